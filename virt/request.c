// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU requests, kicks and blocking: the contract is in
 * include/kvmm/request.h.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>

void kvmm_make_request(struct kvmm_vcpu *vcpu, enum kvmm_request req)
{
	set_bit(req, &vcpu->requests);
	/* Pairs with the smp_mb() after mode = IN_GUEST in the run loop. */
	smp_mb__after_atomic();
}

bool kvmm_check_request(struct kvmm_vcpu *vcpu, enum kvmm_request req)
{
	if (!test_bit(req, &vcpu->requests))
		return false;
	clear_bit(req, &vcpu->requests);
	/* The work the request asks for must see what the requester wrote. */
	smp_mb__after_atomic();
	return true;
}

bool kvmm_request_pending(struct kvmm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) != 0;
}

static void kvmm_kick_nop(void *unused)
{
}

/*
 * The IPI only has to make the CPU leave the guest (any host interrupt
 * does: the guest runs with interrupts intercepted); the entry path
 * then sees the request.  @wait: until the handler ran there, so the
 * vCPU is out of the guest on return (TLB flushes need that).
 */
static void kvmm_kick_cpu(struct kvmm_vcpu *vcpu, bool wait)
{
	int me = get_cpu();
	int cpu = READ_ONCE(vcpu->cpu);

	if (READ_ONCE(vcpu->mode) == KVMM_IN_GUEST && cpu >= 0 && cpu != me) {
		if (wait)
			smp_call_function_single(cpu, kvmm_kick_nop, NULL, 1);
		else
			smp_send_reschedule(cpu);
	}
	put_cpu();
}

void kvmm_vcpu_kick(struct kvmm_vcpu *vcpu)
{
	rcuwait_wake_up(&vcpu->wait);
	kvmm_kick_cpu(vcpu, false);
}

void kvmm_make_all_request(struct kvmm_vm *vm, enum kvmm_request req)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		kvmm_make_request(vcpu, req);
		rcuwait_wake_up(&vcpu->wait);
		kvmm_kick_cpu(vcpu, true);
	}
}

/*
 * As KVM's kvm_vcpu_check_block(): requests alone do not wake a blocked
 * vCPU (a TLB flush or a clock update can wait until it runs); those
 * that come with work for it come with state that makes it runnable (an
 * IRR bit, a queued NMI, INIT/SIPI bits), and KVMM_REQ_UNBLOCK wakes it
 * for nothing else.  Evaluated on the vCPU's own thread.
 */
static bool kvmm_vcpu_should_wake(struct kvmm_vcpu *vcpu)
{
	return kvmm_arch_vcpu_runnable(vcpu) ||
	       test_bit(KVMM_REQ_UNBLOCK, &vcpu->requests) ||
	       signal_pending(current);
}

void kvmm_vcpu_block(struct kvmm_vcpu *vcpu)
{
	vcpu->stat.blocks++;
	rcuwait_wait_event(&vcpu->wait, kvmm_vcpu_should_wake(vcpu),
			   TASK_INTERRUPTIBLE);
}

/*
 * Halt polling, as Linux 6.1's kvm_vcpu_halt() with its x86 defaults: the
 * window starts at 0, grows (10 us, then doubling) after a halt that
 * ended within the cap but outlived the window, and drops to 0 after one
 * longer than the cap; polling stops early when the scheduler wants the
 * CPU.  0 turns polling off.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns,
		 "longest halt polling, ns (KVM's x86 default: 200000)");

#define KVMM_HALT_POLL_GROW_START	10000

void kvmm_vcpu_halt(struct kvmm_vcpu *vcpu)
{
	unsigned int max = READ_ONCE(halt_poll_ns);
	bool allowed = max && !kvmm_arch_no_poll(vcpu);
	ktime_t start = ktime_get();
	unsigned int window;
	bool woke = false;
	u64 halt_ns;

	window = min(vcpu->halt_poll_ns, max);
	if (allowed && window) {
		ktime_t stop = ktime_add_ns(start, window);

		vcpu->stat.halt_attempted_poll++;
		do {
			if (kvmm_vcpu_should_wake(vcpu)) {
				vcpu->stat.halt_successful_poll++;
				woke = true;
				break;
			}
			cpu_relax();
		} while (ktime_before(ktime_get(), stop) && !need_resched());
	}
	if (!woke)
		kvmm_vcpu_block(vcpu);
	halt_ns = ktime_to_ns(ktime_sub(ktime_get(), start));

	if (!allowed)
		window = 0;
	else if (halt_ns <= window)
		;
	else if (halt_ns > max)
		window = 0;
	else
		window = clamp_t(u64, (u64)window * 2,
				 KVMM_HALT_POLL_GROW_START, max);
	vcpu->halt_poll_ns = window;
}
