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
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

static void kvmm_kick_nop(void *unused)
{
}

/*
 * Make every vCPU of @vm that is in the guest exit (and see new
 * requests, such as a TLB generation bump) before returning.  Callable
 * without vm->lock from anything that keeps the VM alive (a reference,
 * or the MMU notifier, which the VM unregisters before freeing vCPUs): a
 * vCPU found in vm->vcpus lives until the VM is destroyed (virt/vcpu.c
 * publishes only vCPUs whose creation can no longer fail).
 */
void kvmm_vcpu_kick_all(struct kvmm_vm *vm)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		int cpu;

		if (READ_ONCE(vcpu->mode) != KVMM_IN_GUEST)
			continue;
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != raw_smp_processor_id())
			smp_call_function_single(cpu, kvmm_kick_nop, NULL, 1);
	}
}

/* Fields of kvm_run that describe the vCPU after every KVM_RUN. */
static void kvmm_post_run_save(struct kvmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->arch.cr8;
	run->apic_base = vcpu->arch.apic_base;
	run->ready_for_interrupt_injection =
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
	u64 gen;
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

	/*
	 * Pairs with the barriers in kvmm_x86_flush_remote_tlbs() and
	 * kvmm_vm_dead(): either they see KVMM_IN_GUEST and kick, or this
	 * vCPU sees their change below.
	 */
	WRITE_ONCE(vcpu->mode, KVMM_IN_GUEST);
	smp_mb();
	if (unlikely(kvmm_vm_is_dead(vm))) {
		WRITE_ONCE(vcpu->mode, KVMM_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	if (signal_pending(current) || need_resched()) {
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

	gen = atomic64_read(&vm->arch.tlb_gen);
	if (gen != vcpu->arch.tlb_gen) {
		kvmm_ops->flush_tlb(vcpu);
		vcpu->stat.tlb_flush_mmu++;
		vcpu->arch.tlb_gen = gen;
	}

	kvmm_x86_inject_events(vcpu);

	/* A guest quantum is an RCU quiescent state, as for user mode. */
	rcu_virt_note_context_switch(vcpu->cpu);
	r = kvmm_ops->vcpu_run(vcpu);

	WRITE_ONCE(vcpu->mode, KVMM_OUTSIDE_GUEST);
	local_irq_enable();
	preempt_enable();
	return r;
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
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat.signal_exits++;
			r = -EINTR;
			break;
		}
		cond_resched();

		r = kvmm_enter_once(vcpu);
		if (r == -EAGAIN)
			continue;
		if (r)
			break;
		vcpu->stat.exits++;
		r = kvmm_ops->handle_exit(vcpu);
		if (r > 0)
			r = kvmm_x86_check_irq_window(vcpu);
		if (r <= 0)
			break;
	}
out:
	fpu_swap_kvm_fpstate(&vcpu->arch.fpu, false);
	if (run->kvm_valid_regs)
		kvmm_sync_regs_out(vcpu);
	kvmm_post_run_save(vcpu);
	return r;
}

/*
 * kvmm_vcpu_block() wakes when this turns true.  Without an in-kernel
 * LAPIC nothing blocks (HLT goes to userspace), so only the MP state
 * counts; the in-kernel irqchip adds pending interrupts, NMIs and
 * INIT/SIPI here.
 */
bool kvmm_arch_vcpu_runnable(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE;
}
