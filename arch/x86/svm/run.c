// SPDX-License-Identifier: GPL-2.0
/*
 * One guest entry on SVM (interrupts and preemption off).
 */
#include <linux/percpu.h>
#include <asm/debugreg.h>
#include <asm/hw_breakpoint.h>
#include <asm/nospec-branch.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "svm.h"
#include "vmcb.h"

/* Exit code preset before VMRUN: still there means VMRUN did not run. */
#define SVM_EXIT_NOT_RUN	0xffffffffdeadULL

/* The vCPU (by serial) that last entered the guest on this CPU. */
static DEFINE_PER_CPU(u64, svm_last_vcpu);
/* The VM (by serial) that last entered the guest on this CPU. */
static DEFINE_PER_CPU(u64, svm_last_vm);

static __always_inline void svm_clgi(void)
{
	asm volatile("1: clgi\n2:\n" _ASM_EXTABLE(1b, 2b) ::: "memory");
}

static __always_inline void svm_stgi(void)
{
	asm volatile("1: stgi\n2:\n" _ASM_EXTABLE(1b, 2b) ::: "memory");
}

int svm_vcpu_run(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	/*
	 * State the CPU's consistency checks would refuse (APM 15.5.1)
	 * never reaches VMRUN: the exit is the one the CPU would give.
	 */
	if (!kvmm_x86_entry_state_valid(vcpu)) {
		vmcb->control.exit_code = SVM_EXIT_INVALID;
		svm->entry.refused_by_kvmm = true;
		return 0;
	}
	if (a->sg_dirty)
		svm_flush_dirty(vcpu);
	vmcb->save.rax = a->regs[KVMM_REG_RAX];
	vmcb->save.rsp = a->regs[KVMM_REG_RSP];
	vmcb->save.rip = a->rip;
	vmcb->save.rflags = a->rflags;
	/*
	 * The TPR userspace keeps (kvm_run.cr8) or the guest last wrote:
	 * the guest's CR8 reads return V_TPR (APM 15.21.1).  Its writes
	 * exit, so V_TPR never has to be read back.
	 */
	vmcb->control.int_ctl = (vmcb->control.int_ctl &
				 ~SVM_INT_CTL_V_TPR_MASK) |
				(a->cr8 & SVM_INT_CTL_V_TPR_MASK);
	vmcb->control.nested_cr3 = kvmm_tdp_root_pa(vcpu->vm);

	/*
	 * TLB entries are tagged by ASID only, and all vCPUs of a VM share
	 * one (as do VMs, once there are more than ASIDs): entering after
	 * another vCPU on this CPU needs a flush (APM 15.16.1), on top of
	 * the core's rules (a vCPU back from another CPU, mappings gone:
	 * Documentation/mmu.rst).  Serials are never reused, so a vCPU of
	 * a new VM that got a freed ASID flushes too.  Without FlushByAsid
	 * the only choice is flushing every ASID.
	 */
	if (this_cpu_read(svm_last_vcpu) != vcpu->serial) {
		this_cpu_write(svm_last_vcpu, vcpu->serial);
		svm->flush_tlb = true;
		vcpu->stat.tlb_flush_vcpu++;
	}
	/*
	 * Branch predictions one VM trained must not steer another's (or be
	 * probed by it): IBPB when the VM changes, unless the host already
	 * issues one on every exit (SRSO's IBPB_ON_VMEXIT).
	 */
	if (this_cpu_read(svm_last_vm) != vcpu->vm->serial) {
		this_cpu_write(svm_last_vm, vcpu->vm->serial);
		if (!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
			indirect_branch_prediction_barrier();
	}
	if (svm->flush_tlb) {
		vmcb->control.tlb_control = svm_has(SVM_FEAT_FLUSH_ASID) ?
			SVM_TLB_FLUSH_ASID : SVM_TLB_FLUSH_ALL;
		vcpu->stat.tlb_flushes++;
	} else {
		vmcb->control.tlb_control = SVM_TLB_NOTHING;
	}
	svm->flush_tlb = false;

	svm->entry.cr0 = vmcb->save.cr0;
	svm->entry.cr3 = vmcb->save.cr3;
	svm->entry.cr4 = vmcb->save.cr4;
	svm->entry.efer = vmcb->save.efer;
	svm->entry.dr6 = vmcb->save.dr6;
	svm->entry.dr7 = vmcb->save.dr7;
	svm->entry.rflags = vmcb->save.rflags;
	svm->entry.rip = vmcb->save.rip;
	svm->entry.event_inj = vmcb->control.event_inj;
	svm->entry.asid = vmcb->control.asid;
	svm->entry.int_ctl = vmcb->control.int_ctl;
	svm->entry.cs_attrib = vmcb->save.cs.attrib;
	svm->entry.refused_by_kvmm = false;
	vmcb->control.exit_code = SVM_EXIT_NOT_RUN;
	/* RDTSCP/RDPID in the guest read it; the host's is back by user mode. */
	if (svm_tsc_aux_slot >= 0)
		kvmm_uret_msr_set(svm_tsc_aux_slot, a->tsc_aux);
	svm_clgi();
	/*
	 * XCR0 and PKRU, which VMRUN does not switch: inside CLGI/STGI so
	 * that not even an NMI handler (perf reading a user stack, which
	 * PKRU governs) runs with the guest's.
	 */
	kvmm_x86_load_guest_xstate(vcpu);
	kvmm_svm_vcpu_run(svm->vmcb_pa, a->regs, svm_host_save_pa());
	kvmm_x86_load_host_xstate(vcpu);
	svm_stgi();

	/* #VMEXIT leaves DR7 at its reset value (APM 15.5.1). */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();

	if (vmcb->control.exit_code == SVM_EXIT_NOT_RUN) {
		/* Only when SVM was switched off under us. */
		this_cpu_write(svm_last_vcpu, 0);
		this_cpu_write(svm_last_vm, 0);
		return -EIO;
	}

	/* Before anything can move this thread off the CPU (svm_exit_mc). */
	if (vmcb->control.exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC)
		svm_machine_check();

	a->regs[KVMM_REG_RAX] = vmcb->save.rax;
	a->regs[KVMM_REG_RSP] = vmcb->save.rsp;
	a->rip = vmcb->save.rip;
	a->rflags = vmcb->save.rflags;
	svm_complete_events(vcpu);
	/* Everything else is read from the VMCB when someone asks. */
	a->sg_valid = 0;
	return 0;
}
