// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handlers, indexed by EXITCODE (AMD APM vol. 2, appendix C).
 * Contract: 1 = re-enter, 0 = vcpu->run filled for userspace, <0 = error.
 * An exit code without a handler reaches userspace as KVM_EXIT_UNKNOWN
 * with the raw code.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <asm/debugreg.h>
#include <asm/mce.h>
#include <asm/segment.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "../emulate/emulate.h"
#include "svm.h"
#include "vmcb.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

typedef int (*svm_exit_handler)(struct kvmm_vcpu *vcpu);

static struct vmcb *vmcb_of(struct kvmm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb;
}

/*
 * Exit after the next guest instruction: RFLAGS.TF (#DB is always
 * intercepted).  RF is set too, so that the instruction does not hit an
 * instruction breakpoint a second time (SDM 3B 17.3.1.1).
 */
static void svm_nmi_singlestep(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->nmi_singlestep)
		return;
	svm->nmi_singlestep = true;
	svm->nmi_singlestep_flags = vcpu->arch.rflags &
				    (X86_EFLAGS_TF | X86_EFLAGS_RF);
	vcpu->arch.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
}

/*
 * Any exit ends the single step: give the guest its own flags back, and
 * tell svm_exit_db that a single-step #DB may be kvmm's.
 */
static void svm_nmi_singlestep_done(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->nmi_singlestep_exit = svm->nmi_singlestep;
	if (!svm->nmi_singlestep)
		return;
	svm->nmi_singlestep = false;
	vcpu->arch.rflags = (vcpu->arch.rflags &
			     ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) |
			    svm->nmi_singlestep_flags;
}

/*
 * Program the event the core chose (arch.entry_event) for the next VMRUN
 * (EVENTINJ, APM 15.20).  EVENTINJ bypasses RFLAGS.IF, as KVM's userspace-irqchip injection does:
 * userspace checks ready_for_interrupt_injection.  For the interrupt
 * window, a virtual interrupt (V_IRQ, TPR ignored) makes the CPU exit
 * with VINTR as soon as the guest could take an interrupt (15.21.4).
 *
 * SVM leaves NMI blocking to the hypervisor (15.20: EVENTINJ of an NMI
 * does not block further NMIs): kvmm marks the vCPU NMI-masked when it
 * injects one and intercepts IRET to see it end.  An NMI that waits for
 * that IRET to complete, or for an interrupt shadow to end, single-steps
 * the guest one instruction.  Waiting behind another event is the core's
 * (a self-IPI): TF would be pushed in that event's frame.
 */
void svm_inject_events(struct kvmm_vcpu *vcpu, bool irq_window)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 inj = 0;

	switch (a->entry_event) {
	case KVMM_EVENT_EXCEPTION:
		inj = a->exception.nr | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID;
		if (a->exception.has_error_code)
			inj |= SVM_EVTINJ_VALID_ERR |
			       (u64)a->exception.error_code << 32;
		break;
	case KVMM_EVENT_NMI:
		inj = X86_TRAP_NMI | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
		svm->nmi_masked = true;
		svm->nmi_iret_seen = false;
		break;
	case KVMM_EVENT_INTR:
		inj = a->interrupt.nr | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
		break;
	default:
		break;
	}
	vmcb->control.event_inj = inj;
	if (inj)
		trace_kvmm_inj_event(vcpu->vcpu_id, inj);

	if (svm->nmi_masked && !svm->nmi_iret_seen)
		vmcb_set_intercept(vmcb, SVM_I_IRET);
	else
		vmcb_clr_intercept(vmcb, SVM_I_IRET);
	if (a->nmi.pending && !inj &&
	    (svm->nmi_iret_seen ||
	     (vmcb->control.int_state & SVM_INT_STATE_SHADOW)))
		svm_nmi_singlestep(vcpu);

	if (irq_window && !inj && !svm_interrupt_allowed(vcpu)) {
		vmcb->control.int_ctl |= SVM_INT_CTL_V_IRQ |
					 SVM_INT_CTL_V_IGN_TPR |
					 (0xf << SVM_INT_CTL_V_PRIO_SHIFT);
		vmcb_set_intercept(vmcb, SVM_I_VINTR);
	} else {
		svm_clear_vintr(vcpu);
	}
}

void svm_clear_vintr(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	vmcb->control.int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR |
				   (0xf << SVM_INT_CTL_V_PRIO_SHIFT));
	vmcb_clr_intercept(vmcb, SVM_I_VINTR);
}

bool svm_interrupt_allowed(struct kvmm_vcpu *vcpu)
{
	return (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	       !(vmcb_of(vcpu)->control.int_state & SVM_INT_STATE_SHADOW);
}

/* The guest runs with GIF=1 always (no nested SVM). */
bool svm_nmi_allowed(struct kvmm_vcpu *vcpu)
{
	return !to_svm(vcpu)->nmi_masked &&
	       !(vmcb_of(vcpu)->control.int_state & SVM_INT_STATE_SHADOW);
}

bool svm_get_nmi_mask(struct kvmm_vcpu *vcpu)
{
	return to_svm(vcpu)->nmi_masked;
}

void svm_set_nmi_mask(struct kvmm_vcpu *vcpu, bool masked)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->nmi_masked = masked;
	svm->nmi_iret_seen = false;
}

void svm_set_interrupt_shadow(struct kvmm_vcpu *vcpu, u8 shadow)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	if (shadow)
		vmcb->control.int_state |= SVM_INT_STATE_SHADOW;
	else
		vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
}

/*
 * After #VMEXIT, with RIP and RFLAGS read back.  The event this entry
 * programmed was delivered, unless the exit cut its delivery short: then
 * it is in EXITINTINFO (15.7.2), with its error code, and goes back in
 * the queue as in delivery.  So does an event the guest raised itself
 * (an exception, INTn) whose delivery the exit interrupted; a software
 * interrupt (INTn) is not re-injected: RIP still points at the
 * instruction, which runs again.  Events that waited behind the
 * programmed one were not touched by the CPU and stay queued.  An IRET
 * seen by the intercept has completed once RIP moved on.
 */
void svm_complete_events(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 info = vmcb->control.exit_int_info;

	svm_nmi_singlestep_done(vcpu);
	if (svm->nmi_iret_seen && a->rip != svm->nmi_iret_rip) {
		svm->nmi_masked = false;
		svm->nmi_iret_seen = false;
	}

	switch (a->entry_event) {
	case KVMM_EVENT_EXCEPTION:
		a->exception.injected = false;
		break;
	case KVMM_EVENT_NMI:
		a->nmi.injected = false;
		break;
	case KVMM_EVENT_INTR:
		a->interrupt.injected = false;
		break;
	default:
		break;
	}
	a->entry_event = KVMM_EVENT_NONE;
	a->interrupt_shadow = (vmcb->control.int_state & SVM_INT_STATE_SHADOW) ?
			      KVM_X86_SHADOW_INT_MOV_SS : 0;
	if (!(info & SVM_EVTINJ_VALID))
		return;
	switch (info & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_EXEPT:
		kvmm_x86_requeue_exception(vcpu, info & SVM_EVTINJ_VEC_MASK,
					   info & SVM_EVTINJ_VALID_ERR,
					   info >> 32);
		break;
	case SVM_EVTINJ_TYPE_NMI:
		a->nmi.injected = true;
		break;
	case SVM_EVTINJ_TYPE_INTR:
		a->interrupt.injected = true;
		a->interrupt.nr = info & SVM_EVTINJ_VEC_MASK;
		break;
	default:
		break;
	}
}

/*
 * Where the intercepted instruction @op ends.  With NRIP save the CPU
 * says (APM 15.7.1); without it (QEMU's SVM, pre-2010 CPUs) the core's
 * decoder reads the instruction and checks it is @op.  Returns true with
 * *@next set; false when the instruction must not run, with *@r the
 * handler's return value (1: decoding raised an exception for the guest,
 * e.g. #UD for LOCK; 0: an emulation-failure exit).
 */
static bool svm_next_rip(struct kvmm_vcpu *vcpu, u8 op, unsigned long *next,
			 int *r)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	struct x86_insn insn;

	if (svm_has(SVM_FEAT_NRIPS) && vmcb->control.next_rip) {
		*next = vmcb->control.next_rip;
		return true;
	}
	*r = kvmm_x86_decode_intercepted(vcpu, op, &insn, next);
	return *r == 1 && insn.len;
}

/* Advance RIP past the intercepted @op; the exit contract's value. */
static int svm_skip_insn(struct kvmm_vcpu *vcpu, u8 op)
{
	unsigned long next;
	int r;

	if (!svm_next_rip(vcpu, op, &next, &r))
		return r;
	vcpu->arch.rip = next;
	return 1;
}

static int svm_exit_intr(struct kvmm_vcpu *vcpu)
{
	/* The host took the interrupt when interrupts came back on. */
	vcpu->stat.irq_exits++;
	return 1;
}

/* The interrupt window opened; the run loop tells userspace. */
static int svm_exit_vintr(struct kvmm_vcpu *vcpu)
{
	svm_clear_vintr(vcpu);
	return 1;
}

/*
 * IRET while NMIs are blocked, intercepted before it runs (15.21.1
 * "... IRET ... intercept"): remember where it is; the blocking ends at
 * the first exit after it completed (svm_complete_events).
 */
static int svm_exit_iret(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	vcpu->stat.nmi_window_exits++;
	svm->nmi_iret_seen = true;
	svm->nmi_iret_rip = vcpu->arch.rip;
	vmcb_clr_intercept(svm->vmcb, SVM_I_IRET);
	return 1;
}

/* DR6 bits a #DB sets (B0-B3, BD, BS, BT; SDM 3B 18.2.3, APM 13.1.1.3). */
#define SVM_DR6_CAUSES		(DR_TRAP_BITS | BIT(13) | DR_STEP | DR_SWITCH)

/*
 * Every #DB exits (svm_init_vmcb): the CPU has written its causes into
 * the VMCB's DR6 but not delivered it (15.12: the intercept happens
 * instead of the delivery).  A single step of kvmm's own (an NMI window,
 * svm_nmi_singlestep; svm_complete_events already restored the guest's
 * TF) ends here; anything else is the guest's and goes back to it, with
 * its causes in the guest's DR6 as the CPU would have left them: B0-B3
 * replaced, the other bits sticky.  The hardware DR6 is reset so that
 * the next #DB shows only its own causes.
 */
static int svm_exit_db(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 causes = vmcb->save.dr6 & SVM_DR6_CAUSES;

	vmcb->save.dr6 = DR6_RESERVED;
	if (svm->nmi_singlestep_exit) {
		if (!(vcpu->arch.rflags & X86_EFLAGS_TF))
			causes &= ~DR_STEP;
		if (!causes)
			return 1;
	}
	vcpu->arch.dr6 = (vcpu->arch.dr6 & ~DR_TRAP_BITS) | causes;
	kvmm_x86_queue_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

/*
 * #AC (vector 17, a fault with error code 0): the guest's own, back to
 * it.  The exit is what matters: an #AC raised while the CPU delivers an
 * #AC would otherwise repeat inside the CPU with no exit at all.
 */
static int svm_exit_ac(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_queue_exception(vcpu, X86_TRAP_AC, true, 0);
	return 1;
}

/*
 * A machine check while the guest ran is the host's: svm_machine_check()
 * ran on this CPU right after the exit.  The guest gets nothing (it has
 * no MCA banks to look at: MCG_CAP reads 0).
 */
static int svm_exit_mc(struct kvmm_vcpu *vcpu)
{
	return 1;
}

/*
 * With an intercepted #MC the CPU does not call the host's handler
 * (15.12); call it by hand, still on the CPU whose banks hold the error,
 * interrupts off.  The register frame says "user mode": the error hit
 * the guest, on behalf of the VMM's thread, so a recoverable one is
 * handled by signalling that thread rather than as a kernel fault.
 */
void svm_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = __USER_CS,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/* No PMU in the guest's CPUID: #GP, as for a counter that is not there. */
static int svm_exit_rdpmc(struct kvmm_vcpu *vcpu)
{
	return kvmm_x86_inject_gp(vcpu);
}

static int svm_exit_nop(struct kvmm_vcpu *vcpu)
{
	return 1;
}

static int svm_exit_cpuid(struct kvmm_vcpu *vcpu)
{
	unsigned long next;
	int r;

	if (!svm_next_rip(vcpu, X86_OP_CPUID, &next, &r))
		return r;
	return kvmm_x86_exit_cpuid(vcpu, next);
}

static int svm_exit_hlt(struct kvmm_vcpu *vcpu)
{
	unsigned long next;
	int r;

	if (!svm_next_rip(vcpu, X86_OP_HLT, &next, &r))
		return r;
	return kvmm_x86_exit_hlt(vcpu, next);
}

/* INVD and WBINVD would act on the host's caches: run them as NOPs. */
static int svm_exit_invd(struct kvmm_vcpu *vcpu)
{
	return svm_skip_insn(vcpu, X86_OP_INVD);
}

static int svm_exit_wbinvd(struct kvmm_vcpu *vcpu)
{
	return svm_skip_insn(vcpu, X86_OP_WBINVD);
}

/* SVM instructions are not offered to guests (no nested SVM): #UD. */
static int svm_exit_ud(struct kvmm_vcpu *vcpu)
{
	return kvmm_x86_inject_ud(vcpu);
}

static int svm_exit_ioio(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 info = vmcb->control.exit_info_1;
	u16 port = info >> SVM_IOIO_PORT_SHIFT;
	u8 size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	bool in = info & SVM_IOIO_TYPE_IN;

	/* SZ8/SZ16/SZ32 are one-hot: 1, 2, 4 are exactly the byte counts. */
	if (size != 1 && size != 2 && size != 4)
		return kvmm_x86_exit_unknown(vcpu, vmcb->control.exit_code);
	/* INS/OUTS go through the emulator (memory operand, REP). */
	if (info & SVM_IOIO_STR)
		return kvmm_x86_emulate(vcpu);
	/* EXITINFO2 holds the next RIP for IOIO even without NRIP save. */
	return kvmm_x86_exit_io(vcpu, port, size, in,
				vmcb->control.exit_info_2);
}

static int svm_exit_msr(struct kvmm_vcpu *vcpu)
{
	bool write = vmcb_of(vcpu)->control.exit_info_1 == 1;
	unsigned long next;
	int r;

	if (!svm_next_rip(vcpu, write ? X86_OP_WRMSR : X86_OP_RDMSR, &next,
			  &r))
		return r;
	return kvmm_x86_exit_msr(vcpu, write, next);
}

/*
 * MOV DRn (0F 21 /r reads, 0F 23 /r writes; SDM 2B "MOV-Move to/from
 * Debug Registers"): ModRM.reg is the debug register, ModRM.rm the GPR.
 * With decode assists EXITINFO1 names the GPR (APM 15.8.1) and with NRIP
 * save the CPU gives the next RIP; otherwise the core decodes.
 */
static int svm_exit_dr(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 code = vmcb->control.exit_code, info = vmcb->control.exit_info_1;
	bool write = code >= SVM_EXIT_WRITE_DR0;
	u8 op = write ? X86_OP_MOV_TO_DR : X86_OP_MOV_FROM_DR;
	int dr = code & 0xf, r;
	struct x86_insn insn;
	unsigned long next;

	if (svm_has(SVM_FEAT_DECODE_ASSISTS) && svm_has(SVM_FEAT_NRIPS) &&
	    (info & SVM_EXITINFO1_MOV_VALID) && vmcb->control.next_rip)
		return kvmm_x86_exit_dr(vcpu, write, dr,
					info & SVM_EXITINFO1_GPR_MASK,
					vmcb->control.next_rip);

	r = kvmm_x86_decode_intercepted(vcpu, op, &insn, &next);
	if (r != 1 || !insn.len)
		return r;
	if (insn.rex & 0x4)			/* REX.R: DR8-15 do not exist */
		return kvmm_x86_inject_ud(vcpu);
	return kvmm_x86_exit_dr(vcpu, write, dr,
				(insn.modrm & 7) | ((insn.rex & 1) << 3), next);
}

/*
 * MOV to CR8 (APM 15.9: the write intercept of CR8, with the GPR in
 * EXITINFO1 under decode assists).  Only CR8 writes are intercepted: an
 * instruction that decodes as another MOV to CR (the guest rewrote it
 * meanwhile) is left to run natively.  LOCK MOV CR0, AMD's alternative
 * encoding, is refused by the decoder (#UD): the guest's CPUID does not
 * offer it (CR8_LEGACY).
 */
static int svm_exit_cr8_write(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 info = vmcb->control.exit_info_1;
	struct x86_insn insn;
	unsigned long next;
	int r;

	if (svm_has(SVM_FEAT_DECODE_ASSISTS) && svm_has(SVM_FEAT_NRIPS) &&
	    (info & SVM_EXITINFO1_MOV_VALID) && vmcb->control.next_rip)
		return kvmm_x86_exit_cr8_write(vcpu,
					       info & SVM_EXITINFO1_GPR_MASK,
					       vmcb->control.next_rip);

	r = kvmm_x86_decode_intercepted(vcpu, X86_OP_MOV_TO_CR, &insn, &next);
	if (r != 1 || !insn.len)
		return r;
	if ((((insn.modrm >> 3) & 7) | ((insn.rex & 4) << 1)) != 8)
		return 1;
	return kvmm_x86_exit_cr8_write(vcpu,
				       (insn.modrm & 7) | ((insn.rex & 1) << 3),
				       next);
}

static int svm_exit_xsetbv(struct kvmm_vcpu *vcpu)
{
	unsigned long next;
	int r;

	if (!svm_next_rip(vcpu, X86_OP_XSETBV, &next, &r))
		return r;
	return kvmm_x86_exit_xsetbv(vcpu, next);
}

static int svm_exit_shutdown(struct kvmm_vcpu *vcpu)
{
	/*
	 * The VMCB is undefined after a shutdown intercept (APM 15.12):
	 * start from a fresh one, with the vCPU in its reset state.
	 */
	svm_init_vmcb(vcpu);
	kvmm_x86_vcpu_reset(vcpu);
	return kvmm_x86_exit_shutdown(vcpu);
}

static int svm_exit_npf(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 gpa = vmcb->control.exit_info_2;
	u64 err = vmcb->control.exit_info_1;
	int r;

	vcpu->stat.npf_exits++;
	r = kvmm_tdp_fault(vcpu, gpa, err & SVM_NPF_WRITE);
	if (r) {
		if (r == -EINTR)
			return 1;	/* the run loop sees the signal */
		return r;
	}
	/*
	 * MMIO (no slot, or a write to a read-only one): emulate the
	 * instruction.  Fetching code from MMIO is not supported.
	 */
	if (err & SVM_NPF_FETCH) {
		u64 data[4] = { vmcb->control.exit_code, vcpu->arch.rip, gpa,
				err };

		return kvmm_x86_exit_internal(vcpu,
					      KVM_INTERNAL_ERROR_EMULATION,
					      4, data);
	}
	return kvmm_x86_emulate(vcpu);
}

static const svm_exit_handler svm_exit_handlers[SVM_EXIT_NR] = {
	[SVM_EXIT_WRITE_CR8]	= svm_exit_cr8_write,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR0 + 15] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB] = svm_exit_db,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MC] = svm_exit_mc,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC] = svm_exit_ac,
	[SVM_EXIT_INTR]		= svm_exit_intr,
	[SVM_EXIT_NMI]		= svm_exit_nop,
	[SVM_EXIT_SMI]		= svm_exit_nop,
	[SVM_EXIT_VINTR]	= svm_exit_vintr,
	[SVM_EXIT_RDPMC]	= svm_exit_rdpmc,
	[SVM_EXIT_CPUID]	= svm_exit_cpuid,
	[SVM_EXIT_IRET]		= svm_exit_iret,
	[SVM_EXIT_HLT]		= svm_exit_hlt,
	[SVM_EXIT_INVD]		= svm_exit_invd,
	[SVM_EXIT_WBINVD]	= svm_exit_wbinvd,
	[SVM_EXIT_IOIO]		= svm_exit_ioio,
	[SVM_EXIT_MSR]		= svm_exit_msr,
	[SVM_EXIT_SHUTDOWN]	= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]	= svm_exit_ud,
	[SVM_EXIT_VMLOAD]	= svm_exit_ud,
	[SVM_EXIT_VMSAVE]	= svm_exit_ud,
	[SVM_EXIT_STGI]		= svm_exit_ud,
	[SVM_EXIT_CLGI]		= svm_exit_ud,
	[SVM_EXIT_SKINIT]	= svm_exit_ud,
	[SVM_EXIT_INVLPGA]	= svm_exit_ud,
	[SVM_EXIT_MONITOR]	= svm_exit_ud,
	[SVM_EXIT_MWAIT]	= svm_exit_ud,
	[SVM_EXIT_RDTSCP]	= svm_exit_ud,	/* not in the guest's CPUID */
	[SVM_EXIT_XSETBV]	= svm_exit_xsetbv,
	[SVM_EXIT_RDPRU]	= svm_exit_ud,	/* not in the guest's CPUID */
	[SVM_EXIT_NPF]		= svm_exit_npf,
};

/*
 * The CPU refused a VMRUN that kvmm's own checks passed
 * (kvmm_x86_entry_state_valid()): either those checks miss a rule, or
 * the CPU checks one the manual does not have.  Say what it was given.
 */
static void svm_report_refused_entry(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	vcpu->stat.entry_refused_by_cpu++;
	pr_warn_ratelimited("kvmm: vCPU %u: VMRUN refused by the CPU: cr0 %llx cr3 %llx cr4 %llx efer %llx cs.attr %x rflags %llx rip %llx dr6 %llx dr7 %llx asid %u int_ctl %x event_inj %llx\n",
			    vcpu->vcpu_id, svm->entry.cr0, svm->entry.cr3,
			    svm->entry.cr4, svm->entry.efer,
			    svm->entry.cs_attrib, svm->entry.rflags,
			    svm->entry.rip, svm->entry.dr6, svm->entry.dr7,
			    svm->entry.asid, svm->entry.int_ctl,
			    svm->entry.event_inj);
}

int svm_handle_exit(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	/*
	 * EXITCODE is 64 bits with VMEXIT_INVALID = -1, but every defined
	 * code fits 32 bits, and some implementations (QEMU's TCG) write
	 * only the low half of -1: compare 32 bits, as KVM does.
	 */
	u32 code = vmcb->control.exit_code;
	svm_exit_handler handler;

	if (code == (u32)SVM_EXIT_INVALID) {
		if (!to_svm(vcpu)->entry.refused_by_kvmm)
			svm_report_refused_entry(vcpu);
		return kvmm_x86_exit_fail_entry(vcpu, vmcb->control.exit_code);
	}
	if (code >= SVM_EXIT_NR)
		return kvmm_x86_exit_unknown(vcpu, code);
	/*
	 * The guest steers the exit code: keep a mispredicted bound check
	 * from loading a "handler" past the table (Spectre v1).
	 */
	handler = svm_exit_handlers[array_index_nospec(code, SVM_EXIT_NR)];
	if (!handler)
		return kvmm_x86_exit_unknown(vcpu, code);
	return handler(vcpu);
}
