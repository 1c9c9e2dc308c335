/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC, shared by lapic.c (registers, delivery,
 * state) and lapic_timer.c (the APIC timer).  Documentation/irqchip.rst,
 * "Local APIC", has the model and the locking; in short:
 *
 *  - The register page belongs to the vCPU thread (under vcpu->mutex):
 *    MMIO and MSR exits, KVM_GET/SET_LAPIC, acceptance and EOI.
 *  - Others only set bits: a sender (another vCPU's IPI, the IOAPIC, an
 *    MSI from an irqfd, the timer's hrtimer callback in hard-irq
 *    context) sets IRR and TMR bits with atomic bit operations, then
 *    KVMM_REQ_EVENT and a kick.  They read the target's ID, LDR, DFR,
 *    SPIV, LVTT and APIC base with single 32/64-bit loads; a change
 *    racing with a delivery is seen by the next one, as on hardware.
 *  - Timer fields the callback uses are changed by the vCPU thread only
 *    after hrtimer_cancel() (which waits for a running callback); the
 *    callback itself writes only target (periodic re-arm) and
 *    tsc_deadline (cleared on expiry), with WRITE_ONCE.
 */
#ifndef _KVMM_LAPIC_H
#define _KVMM_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>

#include <kvmm/io_bus.h>

#include "lapic_regs.h"

struct kvmm_lapic_timer {
	struct hrtimer hrt;
	u32 mode;		/* LVTT bits 18:17 in effect */
	u32 divide;		/* from TDCR: 1..128 */
	s64 period;		/* ns of one TMICT count-down; 0: stopped */
	ktime_t target;		/* when the count reaches 0 (one-shot/periodic) */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE; 0: disarmed */
};

struct kvmm_lapic {
	struct kvmm_vcpu *vcpu;
	void *regs;			/* LAPIC_REGS_SIZE, a page */
	struct kvmm_io_device mmio;	/* the xAPIC page, on the MMIO bus */
	u64 mmio_base;			/* where mmio is registered */
	bool mmio_registered;
	struct kvmm_lapic_timer timer;
	/*
	 * KVM_SET_VAPIC_ADDR (vapic.c): the guest-physical address of the
	 * page QEMU's kvmvapic ROM shares with kvmm, 0 when off; vapic_on
	 * says whether it is synced (KVM's KVM_APIC_CHECK_VAPIC, which a
	 * reset clears while the address stays).  vCPU thread only.
	 */
	u64 vapic_addr;
	bool vapic_on;
};

/* lapic.c */
/* A fixed interrupt from any context; 1 if the LAPIC took it. */
int kvmm_lapic_accept_fixed(struct kvmm_lapic *apic, u8 vector, bool level);
bool kvmm_lapic_hw_enabled(const struct kvmm_lapic *apic);
bool kvmm_lapic_x2apic_mode(const struct kvmm_lapic *apic);
/* Hardware- and software-enabled (SPIV bit 8). */
bool kvmm_lapic_enabled(const struct kvmm_lapic *apic);
/* Write the 8-bit TPR (and CR8, PPR) as a guest write would. */
void kvmm_lapic_write_tpr(struct kvmm_lapic *apic, u32 tpr);

/* lapic_timer.c; all but the callback from the vCPU thread. */
void kvmm_lapic_timer_init(struct kvmm_lapic *apic);
void kvmm_lapic_timer_cancel(struct kvmm_lapic *apic);
/* LVTT changed: apply the timer mode, stopping the timer across modes. */
void kvmm_lapic_timer_lvtt(struct kvmm_lapic *apic);
/* TMICT written (or restored with @count counts left); 0 stops. */
void kvmm_lapic_timer_start(struct kvmm_lapic *apic, u32 count);
/* TDCR written: rescale the count-down in progress. */
void kvmm_lapic_timer_tdcr(struct kvmm_lapic *apic);
u32 kvmm_lapic_timer_current(struct kvmm_lapic *apic);	/* TMCCT */
u64 kvmm_lapic_tsc_deadline(struct kvmm_lapic *apic);
void kvmm_lapic_set_tsc_deadline(struct kvmm_lapic *apic, u64 deadline);

#endif /* _KVMM_LAPIC_H */
