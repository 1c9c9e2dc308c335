// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN on x86: the loop around the backend's single entry.
 *
 * Each iteration checks for work the host must do first (signals: return
 * -EINTR with KVM_EXIT_INTR; rescheduling), enters the guest once with
 * interrupts and preemption off, then, with interrupts back on (pending
 * host interrupts are taken right there), lets the backend handle the
 * exit.  The guest therefore never holds a CPU against the scheduler: a
 * host timer interrupt always exits the guest.
 *
 * The guest's FPU state is swapped in for the whole call
 * (fpu_swap_kvm_fpstate), so a context switch saves and restores it like
 * any task's.
 */
#include <linux/kvm.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <asm/fpu/api.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

/* Fields of kvm_run that describe the vCPU after every KVM_RUN. */
static void kvmm_post_run_save(struct kvmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	/* With an in-kernel LAPIC, CR8 is its TPR (SDM 3A 10.8.6.1). */
	run->cr8 = vcpu->arch.apic ? kvmm_lapic_get_tpr(vcpu) : vcpu->arch.cr8;
	run->apic_base = vcpu->arch.apic_base;
	/* An in-kernel PIC takes no KVM_INTERRUPT: always "ready", as KVM. */
	run->ready_for_interrupt_injection = kvmm_x86_pic_in_kernel(vcpu) ||
		kvmm_x86_ready_for_interrupt(vcpu);
	run->flags = 0;
}

/*
 * Tagged translations (ASID, VPID) stay in a CPU's TLB after the vCPU
 * leaves it.  A vCPU that comes back to a CPU after running elsewhere
 * may find entries there that are stale: second-level mappings zapped
 * meanwhile (the generation it consumed on the other CPU says nothing
 * about this one), table pages freed after a 2 MiB promotion, and its
 * own INVLPG or MOV to CR3 done on the other CPU.  So a vCPU flushes
 * whenever it enters on a CPU other than the one it entered on last, as
 * Linux KVM does (it takes a new ASID there).  The other rules are in
 * Documentation/mmu.rst, "TLB flushes".
 */
static void kvmm_x86_tlb_on_entry(struct kvmm_vcpu *vcpu, int cpu)
{
	if (vcpu->cpu != cpu) {
		kvmm_ops->flush_tlb(vcpu);
		vcpu->stat.tlb_flush_cpu++;
		WRITE_ONCE(vcpu->cpu, cpu);
	}
}

static int kvmm_enter_once(struct kvmm_vcpu *vcpu)
{
	struct kvmm_vm *vm = vcpu->vm;
	int r;

	preempt_disable();
	local_irq_disable();

	if (!kvmm_hw_enabled_on_this_cpu()) {
		/* Only if enabling failed when this CPU came online. */
		local_irq_enable();
		preempt_enable();
		pr_err_ratelimited("kvmm: virtualization is off on CPU %d\n",
				   raw_smp_processor_id());
		return -EIO;
	}
	kvmm_x86_tlb_on_entry(vcpu, smp_processor_id());
	kvmm_x86_kvmclock_on_entry(vcpu, smp_processor_id());

	/*
	 * The entry half of the request protocol (include/kvmm/request.h):
	 * publish IN_GUEST, then look at requests and the dead flag.  Either
	 * a requester (kvmm_make_request(), kvmm_vm_dead()) sees IN_GUEST
	 * and its kick's IPI makes this entry exit at once, or this vCPU
	 * sees its bit here and backs out to serve it.
	 */
	WRITE_ONCE(vcpu->mode, KVMM_IN_GUEST);
	smp_mb();
	if (unlikely(kvmm_vm_is_dead(vm))) {
		WRITE_ONCE(vcpu->mode, KVMM_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	if (signal_pending(current) || need_resched() ||
	    kvmm_request_pending(vcpu)) {
		WRITE_ONCE(vcpu->mode, KVMM_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		return -EAGAIN;
	}
	/*
	 * A context switch since the last entry (cond_resched(), preemption
	 * in the run loop) saved the guest's FPU registers into its fpstate
	 * and left them to be reloaded on the way to user mode
	 * (TIF_NEED_FPU_LOAD).  The guest is not user mode: reload them now,
	 * or it would run on another task's registers and its own updates
	 * would be lost at the next save.
	 */
	fpregs_assert_state_consistent();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	kvmm_x86_inject_events(vcpu);

	/* A guest quantum is an RCU quiescent state, as for user mode. */
	rcu_virt_note_context_switch(vcpu->cpu);
	r = kvmm_ops->vcpu_run(vcpu);

	WRITE_ONCE(vcpu->mode, KVMM_OUTSIDE_GUEST);
	local_irq_enable();
	preempt_enable();
	return r;
}

/*
 * Serve the requests other threads made (include/kvmm/request.h), on
 * the vCPU's thread, preemptible, before the next entry or after a
 * wakeup.  Every request bit must be consumed here: the entry backs out
 * while any is set.  Returns 0 when KVM_RUN must return to userspace
 * (run->exit_reason set), 1 to go on.
 */
static int kvmm_x86_serve_requests(struct kvmm_vcpu *vcpu)
{
	if (!kvmm_request_pending(vcpu))
		return 1;
	/*
	 * Second-level mappings went away (kvmm_x86_flush_remote_tlbs()):
	 * the backend flushes this vCPU's tag at its next entry, which is
	 * ordered after the zap by the protocol (Documentation/mmu.rst).
	 */
	if (kvmm_check_request(vcpu, KVMM_REQ_TLB_FLUSH)) {
		kvmm_ops->flush_tlb(vcpu);
		vcpu->stat.tlb_flush_mmu++;
	}
	if (kvmm_check_request(vcpu, KVMM_REQ_APIC_INIT))
		kvmm_x86_accept_init_sipi(vcpu);
	/* NMIs sent by other threads; interrupts are looked at every entry. */
	if (kvmm_check_request(vcpu, KVMM_REQ_EVENT))
		kvmm_x86_process_nmi(vcpu);
	/* The pvclock page (kvmclock.c), before the entry that may read it. */
	if (kvmm_check_request(vcpu, KVMM_REQ_CLOCK_UPDATE))
		kvmm_x86_kvmclock_update(vcpu);
	/* Only for leaving kvmm_vcpu_block(): nothing to do. */
	kvmm_check_request(vcpu, KVMM_REQ_UNBLOCK);
	/*
	 * Last, so the others are served: the LAPIC's EOI of a vector that
	 * userspace's IOAPIC routes level-triggered (split irqchip, api.rst
	 * KVM_EXIT_IOAPIC_EOI).  Asked again here, as KVM does: a routing
	 * change since the EOI may have taken the vector away.
	 */
	if (kvmm_check_request(vcpu, KVMM_REQ_IOAPIC_EOI_EXIT) &&
	    kvmm_irqchip_eoi_exit(vcpu, vcpu->arch.pending_ioapic_eoi)) {
		vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		vcpu->run->eoi.vector = vcpu->arch.pending_ioapic_eoi;
		return 0;
	}
	return 1;
}

/*
 * A vCPU that is not running (HLT with an in-kernel LAPIC, wait-for-SIPI)
 * sleeps in the kernel until it has something to do (KVM's vcpu_block).
 * A wakeup for a signal or KVMM_REQ_UNBLOCK leaves the MP state alone:
 * the run loop returns to userspace, and the next KVM_RUN blocks again.
 */
static void kvmm_x86_vcpu_halted(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (!kvmm_arch_vcpu_runnable(vcpu)) {
		/* HLT polls first (KVM's kvm_vcpu_halt()); wait-for-SIPI not. */
		if (a->mp_state == KVM_MP_STATE_HALTED)
			kvmm_vcpu_halt(vcpu);
		else
			kvmm_vcpu_block(vcpu);
		if (!kvmm_arch_vcpu_runnable(vcpu))
			return;
	}
	kvmm_x86_accept_init_sipi(vcpu);
	if (a->mp_state == KVM_MP_STATE_HALTED ||
	    a->mp_state == KVM_MP_STATE_AP_RESET_HOLD)
		a->mp_state = KVM_MP_STATE_RUNNABLE;
}

/*
 * KVM_RUN of a vCPU that was never started (an AP of a VM with an
 * in-kernel irqchip, or KVM_SET_MP_STATE): block until INIT or SIPI
 * reaches it, or a signal, then return to userspace, -EAGAIN or -EINTR,
 * without running the guest; the next KVM_RUN goes on (as KVM's
 * kvm_arch_vcpu_ioctl_run).
 */
static int kvmm_x86_run_uninitialized(struct kvmm_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->run->immediate_exit))
		return -EINTR;
	kvmm_vcpu_block(vcpu);
	kvmm_x86_accept_init_sipi(vcpu);
	kvmm_check_request(vcpu, KVMM_REQ_UNBLOCK);
	if (signal_pending(current)) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		vcpu->stat.signal_exits++;
		return -EINTR;
	}
	return -EAGAIN;
}

#define KVMM_SYNC_REGS_VALID	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | \
				 KVM_SYNC_X86_EVENTS)

/*
 * sync_regs (api.rst "kvm_valid_regs/kvm_dirty_regs"): state userspace
 * marked dirty in kvm_run.s.regs is loaded before the run; the state it
 * asks for in kvm_valid_regs is stored there after it.
 */
static int kvmm_sync_regs_in(struct kvmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sync_regs *s = &run->s.regs;
	int r;

	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		kvmm_x86_set_regs(vcpu, &s->regs);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		r = kvmm_x86_set_sregs(vcpu, &s->sregs);
		if (r)
			return r;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
		r = kvmm_x86_set_events(vcpu, &s->events);
		if (r)
			return r;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

static void kvmm_sync_regs_out(struct kvmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sync_regs *s = &run->s.regs;

	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		kvmm_x86_get_regs(vcpu, &s->regs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_SREGS)
		kvmm_x86_get_sregs(vcpu, &s->sregs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_EVENTS)
		kvmm_x86_get_events(vcpu, &s->events);
}

long kvmm_arch_vcpu_run(struct kvmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 valid = READ_ONCE(run->kvm_valid_regs);
	int r;

	if (unlikely(vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED)) {
		r = kvmm_x86_run_uninitialized(vcpu);
		goto out_nofpu;
	}

	if ((valid | READ_ONCE(run->kvm_dirty_regs)) & ~KVMM_SYNC_REGS_VALID)
		return -EINVAL;
	if (run->kvm_dirty_regs) {
		r = kvmm_sync_regs_in(vcpu);
		if (r)
			return r;
	}

	/*
	 * The TPR of userspace's LAPIC (api.rst "cr8"): it writes it here
	 * before every KVM_RUN, as KVM reads it without an in-kernel LAPIC
	 * (bits above 3 are refused, as kvm_set_cr8() refuses them).  An
	 * in-kernel LAPIC keeps its own TPR and ignores the field.
	 */
	if (!vcpu->arch.apic) {
		if (READ_ONCE(run->cr8) & ~0xfULL)
			return -EINVAL;
		vcpu->arch.cr8 = READ_ONCE(run->cr8);
	}

	fpu_swap_kvm_fpstate(&vcpu->arch.fpu, true);

	/* Finish what the last exit left to userspace (IN data, MMIO). */
	if (vcpu->arch.complete_userspace) {
		int (*complete)(struct kvmm_vcpu *) =
			vcpu->arch.complete_userspace;

		vcpu->arch.complete_userspace = NULL;
		r = complete(vcpu);
		if (r <= 0)
			goto out;
	}

	/* api.rst: immediate_exit makes KVM_RUN return -EINTR at once. */
	if (READ_ONCE(run->immediate_exit)) {
		r = -EINTR;
		goto out;
	}

	for (;;) {
		/* A shutdown raised outside the guest (KVM_X86_SET_MCE). */
		if (vcpu->arch.triple_fault) {
			vcpu->arch.triple_fault = false;
			r = kvmm_x86_exit_shutdown(vcpu);
			break;
		}
		/* kvmm_vm_dead() woke a blocked vCPU with KVMM_REQ_UNBLOCK. */
		if (unlikely(kvmm_vm_is_dead(vcpu->vm))) {
			r = -EIO;
			break;
		}
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat.signal_exits++;
			r = -EINTR;
			break;
		}
		cond_resched();

		r = kvmm_x86_serve_requests(vcpu);
		if (r <= 0)
			break;
		if (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
			kvmm_x86_vcpu_halted(vcpu);
			continue;
		}
		kvmm_x86_take_irqchip_interrupt(vcpu);
		/* The vAPIC page (irqchip/vapic.c): TPR, ISR, IRR out ... */
		kvmm_lapic_sync_to_vapic(vcpu);

		r = kvmm_enter_once(vcpu);
		if (r == -EAGAIN)
			continue;
		if (r)
			break;
		vcpu->stat.exits++;
		/* ... and the guest's TPR back in, before the exit's handling. */
		kvmm_lapic_sync_from_vapic(vcpu);
		r = kvmm_ops->handle_exit(vcpu);
		if (r > 0)
			r = kvmm_x86_check_irq_window(vcpu);
		if (r <= 0)
			break;
	}
out:
	fpu_swap_kvm_fpstate(&vcpu->arch.fpu, false);
out_nofpu:
	if (run->kvm_valid_regs)
		kvmm_sync_regs_out(vcpu);
	kvmm_post_run_save(vcpu);
	return r;
}

/* KVM's kvm_arch_no_poll(): MSR_KVM_POLL_CONTROL bit 0 clear (pv.c). */
bool kvmm_arch_no_poll(struct kvmm_vcpu *vcpu)
{
	return !(vcpu->arch.pv_poll_control & 1);
}

/*
 * kvmm_vcpu_block() wakes when this turns true (KVM's
 * kvm_arch_vcpu_runnable()): a running vCPU; a halted one with an event
 * to take (events.c); one waiting for INIT or SIPI when one came.
 * Without an in-kernel LAPIC only RUNNABLE exists.  On the vCPU's thread.
 */
bool kvmm_arch_vcpu_runnable(struct kvmm_vcpu *vcpu)
{
	switch (vcpu->arch.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return true;
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_AP_RESET_HOLD:
		return kvmm_x86_vcpu_has_events(vcpu);
	default:
		return kvmm_x86_init_sipi_pending(vcpu);
	}
}
