// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 vCPU state ioctls (api.rst 4.11-4.14 and friends).  All run
 * under vcpu->mutex (KVMM_LOCK_VCPU), so the vCPU is not in the guest.
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

static struct kvmm_vcpu *filp_vcpu(struct file *filp)
{
	return filp->private_data;
}

static const u8 kvm_regs_order[KVMM_NR_GPRS] = {
	KVMM_REG_RAX, KVMM_REG_RBX, KVMM_REG_RCX, KVMM_REG_RDX,
	KVMM_REG_RSI, KVMM_REG_RDI, KVMM_REG_RSP, KVMM_REG_RBP,
	KVMM_REG_R8, KVMM_REG_R9, KVMM_REG_R10, KVMM_REG_R11,
	KVMM_REG_R12, KVMM_REG_R13, KVMM_REG_R14, KVMM_REG_R15,
};
/* struct kvm_regs lists rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8..r15. */
static_assert(offsetof(struct kvm_regs, r15) == 15 * sizeof(__u64));

void kvmm_x86_get_regs(struct kvmm_vcpu *vcpu, struct kvm_regs *regs)
{
	__u64 *r = (__u64 *)regs;
	int i;

	for (i = 0; i < KVMM_NR_GPRS; i++)
		r[i] = vcpu->arch.regs[kvm_regs_order[i]];
	regs->rip = vcpu->arch.rip;
	regs->rflags = vcpu->arch.rflags;
}

void kvmm_x86_set_regs(struct kvmm_vcpu *vcpu, const struct kvm_regs *regs)
{
	const __u64 *r = (const __u64 *)regs;
	int i;

	for (i = 0; i < KVMM_NR_GPRS; i++)
		vcpu->arch.regs[kvm_regs_order[i]] = r[i];
	vcpu->arch.rip = regs->rip;
	/* Bit 1 always reads as 1 (SDM 3A 2.3). */
	vcpu->arch.rflags = regs->rflags | X86_EFLAGS_FIXED;
}

static long get_regs(struct file *filp, unsigned long arg)
{
	struct kvm_regs regs;

	kvmm_x86_get_regs(filp_vcpu(filp), &regs);
	if (copy_to_user((void __user *)arg, &regs, sizeof(regs)))
		return -EFAULT;
	return 0;
}

static long set_regs(struct file *filp, unsigned long arg)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, (void __user *)arg, sizeof(regs)))
		return -EFAULT;
	kvmm_x86_set_regs(filp_vcpu(filp), &regs);
	return 0;
}

void kvmm_x86_get_sregs(struct kvmm_vcpu *vcpu, struct kvm_sregs *out)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct kvm_sregs sregs = { };

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	sregs.es = a->segs[KVMM_SEG_ES];
	sregs.cs = a->segs[KVMM_SEG_CS];
	sregs.ss = a->segs[KVMM_SEG_SS];
	sregs.ds = a->segs[KVMM_SEG_DS];
	sregs.fs = a->segs[KVMM_SEG_FS];
	sregs.gs = a->segs[KVMM_SEG_GS];
	sregs.tr = a->segs[KVMM_SEG_TR];
	sregs.ldt = a->segs[KVMM_SEG_LDTR];
	sregs.gdt = a->gdt;
	sregs.idt = a->idt;
	sregs.cr0 = a->cr0;
	sregs.cr2 = a->cr2;
	sregs.cr3 = a->cr3;
	sregs.cr4 = a->cr4;
	sregs.cr8 = a->cr8;
	sregs.efer = a->efer;
	sregs.apic_base = a->apic_base;
	/* interrupt_bitmap: the queued external interrupt, if any. */
	if (a->interrupt.injected)
		sregs.interrupt_bitmap[a->interrupt.nr / 64] =
			1ULL << (a->interrupt.nr % 64);
	*out = sregs;
}

static long get_sregs(struct file *filp, unsigned long arg)
{
	struct kvm_sregs sregs;

	kvmm_x86_get_sregs(filp_vcpu(filp), &sregs);
	if (copy_to_user((void __user *)arg, &sregs, sizeof(sregs)))
		return -EFAULT;
	return 0;
}

/*
 * What KVM_SET_SREGS refuses with EINVAL, as KVM does (x86.c
 * kvm_is_valid_sregs() and kvm_set_apic_base()): control-register values
 * no MOV to CR could produce (SDM 3A 2.5; APM 3.1), a long-mode state
 * that is not self-consistent, and an APIC base with reserved bits.
 * State that KVM accepts but the CPU's entry checks refuse (reserved
 * EFER bits, CS.L with CS.D, ...) is caught before entry instead, where
 * it ends the run with KVM_EXIT_FAIL_ENTRY (kvmm_x86_entry_state_valid()).
 */
static bool kvmm_x86_valid_sregs(struct kvmm_vcpu *vcpu,
				 const struct kvm_sregs *sregs)
{
	if ((sregs->efer & EFER_LME) && (sregs->cr0 & X86_CR0_PG)) {
		if (!(sregs->cr4 & X86_CR4_PAE) || !(sregs->efer & EFER_LMA))
			return false;
		if (sregs->cr3 & kvmm_x86_guest_rsvd_gpa_bits(vcpu))
			return false;
	} else if ((sregs->efer & EFER_LMA) || sregs->cs.l) {
		return false;
	}
	if (sregs->cr4 & ~kvmm_x86_cr4_guest_bits())
		return false;
	return kvmm_x86_valid_cr0(sregs->cr0) &&
	       kvmm_x86_valid_apic_base(vcpu, sregs->apic_base);
}

int kvmm_x86_set_sregs(struct kvmm_vcpu *vcpu, const struct kvm_sregs *in)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct kvm_sregs sregs = *in;
	int i;

	if (!kvmm_x86_valid_sregs(vcpu, &sregs))
		return -EINVAL;

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	a->segs[KVMM_SEG_ES] = sregs.es;
	a->segs[KVMM_SEG_CS] = sregs.cs;
	a->segs[KVMM_SEG_SS] = sregs.ss;
	a->segs[KVMM_SEG_DS] = sregs.ds;
	a->segs[KVMM_SEG_FS] = sregs.fs;
	a->segs[KVMM_SEG_GS] = sregs.gs;
	a->segs[KVMM_SEG_TR] = sregs.tr;
	a->segs[KVMM_SEG_LDTR] = sregs.ldt;
	a->gdt = sregs.gdt;
	a->idt = sregs.idt;
	a->cr0 = sregs.cr0;
	a->cr2 = sregs.cr2;
	a->cr3 = sregs.cr3;
	a->cr4 = sregs.cr4;
	/* As kvm_set_cr8(): a CR8 with bits above 3 is not taken. */
	if (!(sregs.cr8 & ~0xfull))
		a->cr8 = sregs.cr8;
	a->efer = sregs.efer;
	/* An in-kernel LAPIC follows the base and keeps the TPR behind CR8. */
	if (a->apic) {
		kvmm_lapic_set_base(vcpu, sregs.apic_base);
		if (!(sregs.cr8 & ~0xfull))
			kvmm_lapic_set_tpr(vcpu, sregs.cr8);
	} else {
		a->apic_base = sregs.apic_base;
	}
	kvmm_x86_mark_dirty(vcpu, KVMM_SG_SEGS);
	kvmm_x86_mark_dirty(vcpu, KVMM_SG_CRS);
	/* A bit in interrupt_bitmap queues that external interrupt. */
	for (i = 0; i < 256; i++) {
		if (sregs.interrupt_bitmap[i / 64] & (1ULL << (i % 64))) {
			a->interrupt.injected = true;
			a->interrupt.nr = i;
			break;
		}
	}
	return 0;
}

static long set_sregs(struct file *filp, unsigned long arg)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, (void __user *)arg, sizeof(sregs)))
		return -EFAULT;
	return kvmm_x86_set_sregs(filp_vcpu(filp), &sregs);
}

static long set_cpuid2(struct file *filp, unsigned long arg)
{
	return kvmm_x86_set_cpuid2(filp_vcpu(filp), (void __user *)arg);
}

static long get_cpuid2(struct file *filp, unsigned long arg)
{
	return kvmm_x86_get_cpuid2(filp_vcpu(filp), (void __user *)arg);
}

/*
 * KVM_GET_MP_STATE (api.rst 4.38): an INIT or SIPI that arrived is taken
 * first, so the state read is the one the vCPU would run in.
 */
static long get_mp_state(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp_vcpu(filp);
	struct kvm_mp_state mp;

	kvmm_x86_accept_init_sipi(vcpu);
	mp.mp_state = vcpu->arch.mp_state;
	if (copy_to_user((void __user *)arg, &mp, sizeof(mp)))
		return -EFAULT;
	return 0;
}

/*
 * KVM_SET_MP_STATE (api.rst 4.39), checked as 6.1's
 * kvm_arch_vcpu_ioctl_set_mpstate(): RUNNABLE always; the states of the
 * start-up protocol and HALTED only with an in-kernel LAPIC (without
 * one, HLT exits to userspace and INIT/SIPI are userspace's); any other
 * value (s390's) -EINVAL.  SIPI_RECEIVED is kept as KVM keeps it: in
 * wait-for-SIPI with a SIPI pending (the vector from
 * KVM_SET_VCPU_EVENTS), taken before the next entry.  INIT is never
 * blocked here (no SMM, GIF always 1).
 */
static long set_mp_state(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp_vcpu(filp);
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, (void __user *)arg, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_AP_RESET_HOLD:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!vcpu->arch.apic)
			return -EINVAL;
		break;
	case KVM_MP_STATE_RUNNABLE:
		break;
	default:
		return -EINVAL;
	}
	if (mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		vcpu->arch.mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(KVMM_SIPI_PENDING, &vcpu->arch.init_sipi);
		kvmm_make_request(vcpu, KVMM_REQ_APIC_INIT);
	} else {
		vcpu->arch.mp_state = mp.mp_state;
	}
	kvmm_make_request(vcpu, KVMM_REQ_EVENT);
	return 0;
}

/*
 * KVM_GET/SET_LAPIC (api.rst 4.57, 4.58): -EINVAL without an in-kernel
 * LAPIC, checked before the argument is touched, as in KVM.
 */
static long get_lapic(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp_vcpu(filp);
	struct kvm_lapic_state *s;
	long r;

	if (!vcpu->arch.apic)
		return -EINVAL;
	s = kvmm_zalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	r = kvmm_lapic_get(vcpu, s);
	if (!r && copy_to_user((void __user *)arg, s, sizeof(*s)))
		r = -EFAULT;
	kvmm_free(s);
	return r;
}

static long set_lapic(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp_vcpu(filp);
	struct kvm_lapic_state *s;
	long r;

	if (!vcpu->arch.apic)
		return -EINVAL;
	s = kvmm_zalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	r = -EFAULT;
	if (!copy_from_user(s, (void __user *)arg, sizeof(*s)))
		r = kvmm_lapic_set(vcpu, s);
	kvmm_free(s);
	return r;
}

/*
 * KVM_SET_VAPIC_ADDR (api.rst 4.59): EINVAL without an in-kernel LAPIC,
 * then EFAULT for the argument, as KVM checks them.
 */
static long set_vapic_addr(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp_vcpu(filp);
	struct kvm_vapic_addr va;

	if (!vcpu->arch.apic)
		return -EINVAL;
	if (copy_from_user(&va, (void __user *)arg, sizeof(va)))
		return -EFAULT;
	return kvmm_lapic_set_vapic_addr(vcpu, va.vapic_addr);
}

static long get_msrs(struct file *filp, unsigned long arg)
{
	return kvmm_x86_vcpu_msrs(filp_vcpu(filp), (void __user *)arg, false);
}

static long set_msrs(struct file *filp, unsigned long arg)
{
	return kvmm_x86_vcpu_msrs(filp_vcpu(filp), (void __user *)arg, true);
}

#define VCPU_ARG_IOCTL(fn)						\
static long fn##_ioctl(struct file *filp, unsigned long arg)		\
{									\
	return kvmm_x86_##fn(filp_vcpu(filp), (void __user *)arg);	\
}
static long nmi_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_x86_nmi(filp_vcpu(filp));
}

static long get_tsc_khz_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_x86_get_tsc_khz(filp_vcpu(filp));
}

static long set_tsc_khz_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_x86_set_tsc_khz(filp_vcpu(filp), arg);
}

static long kvmclock_ctrl_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_x86_kvmclock_ctrl(filp_vcpu(filp));
}

VCPU_ARG_IOCTL(get_fpu)
VCPU_ARG_IOCTL(set_fpu)
VCPU_ARG_IOCTL(get_debugregs)
VCPU_ARG_IOCTL(set_debugregs)
VCPU_ARG_IOCTL(translate)
VCPU_ARG_IOCTL(interrupt)
VCPU_ARG_IOCTL(get_vcpu_events)
VCPU_ARG_IOCTL(set_vcpu_events)
VCPU_ARG_IOCTL(get_xcrs)
VCPU_ARG_IOCTL(set_xcrs)
VCPU_ARG_IOCTL(get_xsave)
VCPU_ARG_IOCTL(set_xsave)
VCPU_ARG_IOCTL(setup_mce)
VCPU_ARG_IOCTL(set_mce)

static const struct kvmm_ioctl_desc kvmm_x86_vcpu_ioctls[] = {
	KVMM_IOCTL(KVM_GET_FPU, get_fpu_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_FPU, set_fpu_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_DEBUGREGS, get_debugregs_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_DEBUGREGS, set_debugregs_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_TRANSLATE, translate_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_INTERRUPT, interrupt_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_NMI, nmi_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_VCPU_EVENTS, get_vcpu_events_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_VCPU_EVENTS, set_vcpu_events_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_XCRS, get_xcrs_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_XCRS, set_xcrs_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_XSAVE, get_xsave_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_XSAVE, set_xsave_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_MSRS, get_msrs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_MSRS, set_msrs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_REGS, get_regs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_REGS, set_regs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_SREGS, get_sregs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_SREGS, set_sregs, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_CPUID2, set_cpuid2, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_CPUID2, get_cpuid2, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_MP_STATE, get_mp_state, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_MP_STATE, set_mp_state, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_X86_SETUP_MCE, setup_mce_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_X86_SET_MCE, set_mce_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_TSC_KHZ, get_tsc_khz_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_TSC_KHZ, set_tsc_khz_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_KVMCLOCK_CTRL, kvmclock_ctrl_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_GET_LAPIC, get_lapic, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_LAPIC, set_lapic, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_VAPIC_ADDR, set_vapic_addr, KVMM_LOCK_VCPU),
};

const struct kvmm_ioctl_desc *kvmm_x86_vcpu_ioctl_find(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmm_x86_vcpu_ioctls); i++)
		if (kvmm_x86_vcpu_ioctls[i].cmd == cmd)
			return &kvmm_x86_vcpu_ioctls[i];
	return NULL;
}
