/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC as guest code programs it in xAPIC mode: its registers
 * in the MMIO page at the reset base (SDM 3A 11.4.1, table 11-1), read
 * and written 32 bits at a time.  GVA == GPA below 4 GiB (vm_create()),
 * so the page is addressed directly; with an in-kernel irqchip every
 * access exits to the hypervisor's LAPIC.
 *
 * Guest side only (static inline, no libc).  A guest enables its LAPIC
 * with apic_write(APIC_SPIV, 0x1ff) (bit 8: software enable, spurious
 * vector 0xff); it is hardware-enabled from reset.
 */
#ifndef KVMM_SELFTEST_APIC_H
#define KVMM_SELFTEST_APIC_H

#include <stdint.h>

#define APIC_GPA		0xfee00000ul	/* IA32_APIC_BASE at reset */

#define APIC_ID			0x20
#define APIC_EOI		0xb0
#define APIC_SPIV		0xf0
#define APIC_ICR		0x300
#define APIC_ICR2		0x310

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

/*
 * An IPI: the destination (bits 31:24 of ICR2), then the low ICR, whose
 * write sends it (@icr: vector, delivery and destination modes,
 * shorthand).  Two MMIO writes, as Linux's xAPIC code does it.
 */
static inline void apic_send(uint32_t dest_id, uint32_t icr)
{
	apic_write(APIC_ICR2, dest_id << 24);
	apic_write(APIC_ICR, icr);
}

#endif /* KVMM_SELFTEST_APIC_H */
