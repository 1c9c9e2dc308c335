// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handlers, indexed by EXITCODE (AMD APM vol. 2, appendix C).
 * Contract: 1 = re-enter, 0 = vcpu->run filled for userspace, <0 = error.
 * An exit code without a handler reaches userspace as KVM_EXIT_UNKNOWN
 * with the raw code.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "svm.h"
#include "vmcb.h"

typedef int (*svm_exit_handler)(struct kvmm_vcpu *vcpu);

static struct vmcb *vmcb_of(struct kvmm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb;
}

/*
 * Program the pending event for the next VMRUN (EVENTINJ, APM 15.20):
 * an exception first, else an external interrupt.  EVENTINJ bypasses
 * RFLAGS.IF, as KVM's userspace-irqchip injection does: userspace checks
 * ready_for_interrupt_injection.  For the interrupt window, a virtual
 * interrupt (V_IRQ, TPR ignored) makes the CPU exit with VINTR as soon as
 * the guest could take an interrupt (15.21.4).
 */
void svm_inject_events(struct kvmm_vcpu *vcpu, bool irq_window)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 inj = 0;

	if (a->exception.injected) {
		inj = a->exception.nr | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID;
		if (a->exception.has_error_code)
			inj |= SVM_EVTINJ_VALID_ERR |
			       (u64)a->exception.error_code << 32;
	} else if (a->interrupt.injected) {
		inj = a->interrupt.nr | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
	}
	vmcb->control.event_inj = inj;

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

void svm_set_interrupt_shadow(struct kvmm_vcpu *vcpu, u8 shadow)
{
	struct vmcb *vmcb = vmcb_of(vcpu);

	if (shadow)
		vmcb->control.int_state |= SVM_INT_STATE_SHADOW;
	else
		vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
}

/*
 * After #VMEXIT: an event whose delivery the exit interrupted is in
 * EXITINTINFO (15.7.2) and goes back in the queue; anything else was
 * delivered.  A software interrupt (INTn) is not re-injected: RIP still
 * points at the instruction, which runs again.
 */
void svm_complete_events(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct vmcb *vmcb = vmcb_of(vcpu);
	u64 info = vmcb->control.exit_int_info;

	a->exception.injected = false;
	a->interrupt.injected = false;
	a->interrupt_shadow = (vmcb->control.int_state & SVM_INT_STATE_SHADOW) ?
			      KVM_X86_SHADOW_INT_MOV_SS : 0;
	if (!(info & SVM_EVTINJ_VALID))
		return;
	switch (info & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_EXEPT:
		kvmm_x86_queue_exception(vcpu, info & SVM_EVTINJ_VEC_MASK,
					 info & SVM_EVTINJ_VALID_ERR,
					 info >> 32);
		break;
	case SVM_EVTINJ_TYPE_INTR:
		a->interrupt.injected = true;
		a->interrupt.nr = info & SVM_EVTINJ_VEC_MASK;
		break;
	default:
		break;
	}
}

static bool is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

static int svm_emulation_failure(struct kvmm_vcpu *vcpu, const u8 *bytes,
				 int n)
{
	return kvmm_x86_exit_emulation_failure(vcpu,
					       vmcb_of(vcpu)->control.exit_code,
					       vcpu->arch.rip, bytes, n);
}

/*
 * Fetch the instruction at CS:RIP into @bytes (@n bytes read) and return
 * the offset of its opcode, past legacy prefixes and, in 64-bit mode, a
 * REX prefix (stored in @rex, 0 if none).
 */
static int svm_fetch_opcode(struct kvmm_vcpu *vcpu, u8 *bytes, int *n,
			    u8 *rex)
{
	int i = 0;

	*n = kvmm_x86_fetch_insn(vcpu, bytes);
	*rex = 0;
	while (i < *n && is_legacy_prefix(bytes[i]))
		i++;
	/* REX exists in 64-bit mode only (segments cached by the fetch). */
	if (i < *n && (bytes[i] & 0xf0) == 0x40 &&
	    (vcpu->arch.efer & EFER_LMA) && vcpu->arch.segs[KVMM_SEG_CS].l)
		*rex = bytes[i++];
	return i;
}

/*
 * Advance RIP past the intercepted instruction, whose opcode bytes are
 * @opcode.  With NRIP save the CPU tells the next RIP (APM 15.7.1);
 * without it (QEMU's SVM, pre-2010 CPUs) kvmm reads the instruction and
 * checks it really is the expected one.  Returns 1, or 0 with an
 * internal-error exit prepared.
 */
int svm_skip_insn(struct kvmm_vcpu *vcpu, const u8 *opcode, int len)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	u8 bytes[15], rex;
	int n, i;

	if (svm_has(SVM_FEAT_NRIPS) && vmcb->control.next_rip) {
		vcpu->arch.rip = vmcb->control.next_rip;
		return 1;
	}
	i = svm_fetch_opcode(vcpu, bytes, &n, &rex);
	if (i + len > n || memcmp(&bytes[i], opcode, len))
		return svm_emulation_failure(vcpu, bytes, n);
	vcpu->arch.rip += i + len;
	return 1;
}

static int svm_next_rip(struct kvmm_vcpu *vcpu, const u8 *opcode, int len,
			unsigned long *next)
{
	unsigned long rip = vcpu->arch.rip;
	int r = svm_skip_insn(vcpu, opcode, len);

	*next = vcpu->arch.rip;
	vcpu->arch.rip = rip;
	return r;
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

static int svm_exit_nop(struct kvmm_vcpu *vcpu)
{
	return 1;
}

static int svm_exit_cpuid(struct kvmm_vcpu *vcpu)
{
	static const u8 op[] = { 0x0f, 0xa2 };
	unsigned long next;

	if (!svm_next_rip(vcpu, op, sizeof(op), &next))
		return 0;
	return kvmm_x86_exit_cpuid(vcpu, next);
}

static int svm_exit_hlt(struct kvmm_vcpu *vcpu)
{
	static const u8 op[] = { 0xf4 };
	unsigned long next;

	if (!svm_next_rip(vcpu, op, sizeof(op), &next))
		return 0;
	return kvmm_x86_exit_hlt(vcpu, next);
}

/* INVD and WBINVD would act on the host's caches: run them as NOPs. */
static int svm_exit_invd(struct kvmm_vcpu *vcpu)
{
	static const u8 op[] = { 0x0f, 0x08 };

	return svm_skip_insn(vcpu, op, sizeof(op));
}

static int svm_exit_wbinvd(struct kvmm_vcpu *vcpu)
{
	static const u8 op[] = { 0x0f, 0x09 };

	return svm_skip_insn(vcpu, op, sizeof(op));
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
	static const u8 rdmsr[] = { 0x0f, 0x32 }, wrmsr[] = { 0x0f, 0x30 };
	bool write = vmcb_of(vcpu)->control.exit_info_1 == 1;
	unsigned long next;

	if (!svm_next_rip(vcpu, write ? wrmsr : rdmsr, 2, &next))
		return 0;
	return kvmm_x86_exit_msr(vcpu, write, next);
}

/*
 * MOV DRn (0F 21 /r reads, 0F 23 /r writes; SDM 2B "MOV-Move to/from
 * Debug Registers"): ModRM.reg is the debug register, ModRM.rm the GPR.
 * Decode assists would give the GPR; without them kvmm decodes.
 */
static int svm_exit_dr(struct kvmm_vcpu *vcpu)
{
	u64 code = vmcb_of(vcpu)->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_DR0;
	int dr = code & 0xf, i, n;
	u8 bytes[15], rex, modrm;

	i = svm_fetch_opcode(vcpu, bytes, &n, &rex);
	if (i + 3 > n || bytes[i] != 0x0f ||
	    bytes[i + 1] != (write ? 0x23 : 0x21))
		return svm_emulation_failure(vcpu, bytes, n);
	modrm = bytes[i + 2];
	if (rex & 0x4)				/* REX.R: DR8-15 do not exist */
		return kvmm_x86_inject_ud(vcpu);
	return kvmm_x86_exit_dr(vcpu, write, dr, (modrm & 7) | ((rex & 1) << 3),
				vcpu->arch.rip + i + 3);
}

static int svm_exit_xsetbv(struct kvmm_vcpu *vcpu)
{
	static const u8 op[] = { 0x0f, 0x01, 0xd1 };
	unsigned long next;

	if (!svm_next_rip(vcpu, op, sizeof(op), &next))
		return 0;
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
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR0 + 15] = svm_exit_dr,
	[SVM_EXIT_INTR]		= svm_exit_intr,
	[SVM_EXIT_NMI]		= svm_exit_nop,
	[SVM_EXIT_SMI]		= svm_exit_nop,
	[SVM_EXIT_VINTR]	= svm_exit_vintr,
	[SVM_EXIT_CPUID]	= svm_exit_cpuid,
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
	[SVM_EXIT_NPF]		= svm_exit_npf,
};

int svm_handle_exit(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = vmcb_of(vcpu);
	/*
	 * EXITCODE is 64 bits with VMEXIT_INVALID = -1, but every defined
	 * code fits 32 bits, and some implementations (QEMU's TCG) write
	 * only the low half of -1: compare 32 bits, as KVM does.
	 */
	u32 code = vmcb->control.exit_code;


	if (code == (u32)SVM_EXIT_INVALID)
		return kvmm_x86_exit_fail_entry(vcpu, vmcb->control.exit_code);
	if (code < SVM_EXIT_NR && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return kvmm_x86_exit_unknown(vcpu, code);
}
