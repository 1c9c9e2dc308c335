// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU requests, kicks and blocking: the contract is in
 * include/kvmm/request.h.
 */
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
