/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's register arithmetic, with no VM, vCPU, lock or timer
 * in it: vector bitmaps (ISR, TMR, IRR), processor priority, destination
 * matching, ICR decoding, the timer divider, which registers exist and
 * which bits of them are writable.  lapic.c applies it to a live LAPIC;
 * the same source builds in userspace for the unit test in
 * tools/testing/lapic/ (over tools/testing/shim/).
 *
 * Every function takes the register page in the layout of struct
 * kvm_lapic_state (api.rst KVM_GET_LAPIC): the xAPIC MMIO page's first
 * KiB, one 32-bit register every 16 bytes (SDM 3A 11.4.1, table 11-1).
 */
#ifndef _KVMM_LAPIC_REGS_H
#define _KVMM_LAPIC_REGS_H

#include <linux/bitops.h>
#include <linux/types.h>
#include <asm/apicdef.h>

#include "irqchip.h"

/* The register page kept and exchanged (KVM_APIC_REG_SIZE). */
#define LAPIC_REGS_SIZE		0x400
/* The MMIO window at the APIC base (SDM 3A 11.4.1). */
#define LAPIC_MMIO_SIZE		0x1000

/*
 * The version register: version 0x14 (an integrated xAPIC, as KVM
 * presents it), "max LVT entry" 5 (timer, thermal, performance, LINT0,
 * LINT1, error: no CMCI, as mce.c offers none) in bits 23:16 (SDM 3A
 * 11.4.8).  Bit 24, directed EOI, only where KVM sets it: the guest has
 * x2APIC and the IOAPIC is in userspace (split irqchip), since kvmm's
 * IOAPIC, an 82093AA, has no EOI register.
 */
#define LAPIC_VERSION		0x14
#define LAPIC_NR_LVT		6
#define LAPIC_LVR_VALUE		(LAPIC_VERSION | ((LAPIC_NR_LVT - 1) << 16))

/* SPIV's writable bits (SDM 3A 11.9): vector, enable, focus (+ EOI). */
#define LAPIC_SPIV_MASK		0x3ff

/* Destination "all" in each mode (SDM 3A 11.6.2.1, 11.12.9). */
#define LAPIC_XAPIC_BROADCAST	0xffu
#define LAPIC_X2APIC_BROADCAST	0xffffffffu

static inline u32 lapic_reg(const void *regs, u32 off)
{
	return *(const volatile u32 *)((const u8 *)regs + off);
}

static inline void lapic_set_reg(void *regs, u32 off, u32 val)
{
	*(volatile u32 *)((u8 *)regs + off) = val;
}

/* Bit of @vec in the 256-bit register starting at @base (ISR/TMR/IRR). */
static inline bool lapic_vec_test(const void *regs, u32 base, u8 vec)
{
	return lapic_reg(regs, base + (vec / 32) * 0x10) & (1u << (vec % 32));
}

/* Highest vector set in the 256-bit register at @base, or -1. */
int lapic_highest_vector(const void *regs, u32 base);

/*
 * Processor priority from TPR and the highest in-service vector (SDM 3A
 * 11.8.3.1): TPR when its class is at least the ISR's, else the ISR's
 * class with subclass 0.
 */
u32 lapic_compute_ppr(u32 tpr, int highest_isr);
/*
 * The highest requested vector that may interrupt at priority @ppr (its
 * class above PPR's, SDM 3A 11.8.4), or -1.
 */
int lapic_deliverable_irr(const void *regs, u32 ppr);

/* x2APIC: LDR is derived from the ID (SDM 3A 11.12.10.2). */
static inline u32 lapic_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/*
 * Does a LAPIC with these registers accept destination @mda?  @x2apic:
 * the LAPIC is in x2APIC mode; @x2apic_id its 32-bit ID (the vCPU id).
 * Physical: the ID or the broadcast of the mode (SDM 3A 11.6.2.1);
 * logical: the LDR against the flat or cluster model in DFR (11.6.2.2),
 * or x2APIC's cluster/bitmap halves (11.12.10.2).
 */
bool lapic_match_physical(const void *regs, bool x2apic, u32 x2apic_id,
			  u32 mda);
bool lapic_match_logical(const void *regs, bool x2apic, u32 mda);

/*
 * An ICR write as a message (SDM 3A 11.6.1): the destination is ICR2's
 * bits 31:24 in xAPIC mode, the whole high half in x2APIC mode.
 */
void lapic_icr_decode(u32 icr_lo, u32 icr_hi, bool x2apic,
		      struct kvmm_apic_msg *msg);

/* The timer's divider from TDCR bits 0, 1, 3 (SDM 3A 11.5.4, fig 11-10). */
u32 lapic_divide_count(u32 tdcr);

/*
 * Registers that read (SDM 3A table 11-1; x2APIC table 11-6): true for
 * an offset (aligned to 16) that exists in this mode.
 */
bool lapic_reg_readable(u32 off, bool x2apic);
/* Writable bits of LVT register @off (APIC_LVTT..APIC_LVTERR). */
u32 lapic_lvt_mask(u32 off);

#endif /* _KVMM_LAPIC_REGS_H */
