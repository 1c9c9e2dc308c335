/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vCPU requests, kicks and blocking (virt/request.c).
 *
 * Anything outside a vCPU's thread (another vCPU's IPI, an irqfd worker,
 * a timer, the MMU notifier) that needs the vCPU to act sets a request
 * bit and kicks it; the vCPU's run loop consumes the bits before each
 * entry.  The ordering that makes this race-free, as in KVM:
 *
 *   requester                         vCPU thread (kvmm_enter_once)
 *   set_bit(req)                      mode = IN_GUEST
 *   smp_mb__after_atomic()            smp_mb()
 *   kvmm_vcpu_kick(): reads mode      reads requests: any set -> back out
 *
 * so either the vCPU sees the bit before it enters, or the kicker sees
 * IN_GUEST and sends the IPI that makes it exit.  A vCPU that sleeps in
 * kvmm_vcpu_block() is woken by the kick instead.
 *
 * Locking: none; callable from any context that holds a VM reference,
 * including hard interrupts (hrtimer callbacks) for make_request and
 * kick.
 */
#ifndef _KVMM_REQUEST_H
#define _KVMM_REQUEST_H

#include <linux/bitops.h>
#include <linux/types.h>

struct kvmm_vm;
struct kvmm_vcpu;

enum kvmm_request {
	KVMM_REQ_TLB_FLUSH,	/* flush this vCPU's guest TLB before entry */
	KVMM_REQ_EVENT,		/* re-evaluate what to inject (irqchip) */
	KVMM_REQ_APIC_INIT,	/* INIT or SIPI arrived (lapic) */
	KVMM_REQ_CLOCK_UPDATE,	/* rewrite the pvclock page (kvmclock) */
	KVMM_REQ_UNBLOCK,	/* leave kvmm_vcpu_block(), nothing else */
	KVMM_REQ_IOAPIC_EOI_EXIT, /* split irqchip: KVM_EXIT_IOAPIC_EOI (lapic) */
	KVMM_NR_REQUESTS,
};

void kvmm_make_request(struct kvmm_vcpu *vcpu, enum kvmm_request req);
/* Test and clear: true if the request was set; called by the vCPU only. */
bool kvmm_check_request(struct kvmm_vcpu *vcpu, enum kvmm_request req);
bool kvmm_request_pending(struct kvmm_vcpu *vcpu);

/*
 * Make @vcpu notice its requests soon: wake it if it blocks, send an IPI
 * to its CPU if it runs the guest.  Does not wait.
 */
void kvmm_vcpu_kick(struct kvmm_vcpu *vcpu);
/* Request + kick every vCPU; waits until those in the guest exited. */
void kvmm_make_all_request(struct kvmm_vm *vm, enum kvmm_request req);

/*
 * Sleep until kvmm_arch_vcpu_runnable(vcpu), KVMM_REQ_UNBLOCK, or a
 * signal; other requests do not wake it (KVM's rule): whoever gives a
 * blocked vCPU work makes it runnable first, then kicks.  Called by the
 * vCPU thread only, outside the guest, preemptible.
 */
void kvmm_vcpu_block(struct kvmm_vcpu *vcpu);
/*
 * kvmm_vcpu_block() for a halted vCPU, with KVM's halt polling: spin for
 * up to the vCPU's polling window first (a wakeup that comes soon then
 * costs no sleep and no scheduler round trip), and adapt that window to
 * how long the vCPU stays halted (module parameter halt_poll_ns caps it).
 */
void kvmm_vcpu_halt(struct kvmm_vcpu *vcpu);

#endif /* _KVMM_REQUEST_H */
