// SPDX-License-Identifier: GPL-2.0
/*
 * XSAVE-managed state: the guest's XCR0 (XSETBV, KVM_GET/SET_XCRS) and
 * KVM_GET/SET_XSAVE (api.rst 4.42-4.45).
 *
 * kvmm offers x87, SSE and AVX state (XCR0 bits 0-2) where the host has
 * them: the guest FPU buffer (fpu_alloc_guest_fpstate) is sized for the
 * host's features, so every guest XCR0 kvmm allows fits it.  The guest's
 * XCR0 is loaded around VMRUN only while the guest has CR4.OSXSAVE and
 * differs from the host's (SDM 1 13.3); the host's is back before
 * interrupts are enabled again.
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#define KVMM_XCR0_OFFERED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM)

u64 kvmm_host_xcr0;
u64 kvmm_supported_xcr0;

void kvmm_xsave_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		kvmm_host_xcr0 = kvmm_supported_xcr0 = 0;
		return;
	}
	kvmm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	kvmm_supported_xcr0 = kvmm_host_xcr0 & KVMM_XCR0_OFFERED;
}

/* Bytes of the standard-format XSAVE area for the components in @xcr0. */
u32 kvmm_xstate_size(u64 xcr0)
{
	u32 size = 512 + 64, eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);	/* size + offset */
	}
	return size;
}

/* The checks of XSETBV (SDM 2C "XSETBV"); 0, or 1 for #GP. */
int kvmm_x86_set_xcr0(struct kvmm_vcpu *vcpu, u32 index, u64 xcr0)
{
	if (index != XCR_XFEATURE_ENABLED_MASK)
		return 1;
	if (!(xcr0 & XFEATURE_MASK_FP))
		return 1;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return 1;
	if (xcr0 & ~(kvmm_supported_xcr0 | XFEATURE_MASK_FP))
		return 1;
	vcpu->arch.xcr0 = xcr0;
	return 0;
}

/* XSETBV exit: CPL 0 only, CR4.OSXSAVE set (else #UD, as the CPU). */
int kvmm_x86_exit_xsetbv(struct kvmm_vcpu *vcpu, unsigned long next_rip)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u64 val = (u32)a->regs[KVMM_REG_RAX] | (a->regs[KVMM_REG_RDX] << 32);

	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	if (!(a->cr4 & X86_CR4_OSXSAVE) || !kvmm_supported_xcr0)
		return kvmm_x86_inject_ud(vcpu);
	if (((a->cr0 & X86_CR0_PE) && a->segs[KVMM_SEG_SS].dpl) ||
	    kvmm_x86_set_xcr0(vcpu, a->regs[KVMM_REG_RCX], val))
		return kvmm_x86_inject_gp(vcpu);
	a->rip = next_rip;
	return 1;
}

/* Interrupts off, right before / after the world switch. */
void kvmm_x86_load_guest_xcr0(struct kvmm_vcpu *vcpu, bool guest_osxsave)
{
	if (guest_osxsave && kvmm_host_xcr0 &&
	    vcpu->arch.xcr0 != kvmm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
}

void kvmm_x86_load_host_xcr0(struct kvmm_vcpu *vcpu, bool guest_osxsave)
{
	if (guest_osxsave && kvmm_host_xcr0 &&
	    vcpu->arch.xcr0 != kvmm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, kvmm_host_xcr0);
}

long kvmm_x86_get_xcrs(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xcrs xcrs = { };

	if (kvmm_supported_xcr0) {
		xcrs.nr_xcrs = 1;
		xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		xcrs.xcrs[0].value = vcpu->arch.xcr0;
	}
	if (copy_to_user(arg, &xcrs, sizeof(xcrs)))
		return -EFAULT;
	return 0;
}

long kvmm_x86_set_xcrs(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xcrs xcrs;
	u32 i;

	if (copy_from_user(&xcrs, arg, sizeof(xcrs)))
		return -EFAULT;
	if (xcrs.nr_xcrs > KVM_MAX_XCRS || xcrs.flags)
		return -EINVAL;
	for (i = 0; i < xcrs.nr_xcrs; i++) {
		if (xcrs.xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (kvmm_x86_set_xcr0(vcpu, XCR_XFEATURE_ENABLED_MASK,
				      xcrs.xcrs[i].value))
			return -EINVAL;
	}
	return 0;
}

long kvmm_x86_get_xsave(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xsave *xs;
	long r = 0;

	xs = kvmm_zalloc(sizeof(*xs), GFP_KERNEL_ACCOUNT);
	if (!xs)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.fpu, xs, sizeof(*xs),
				       kvmm_supported_xcr0, 0);
	if (copy_to_user(arg, xs, sizeof(*xs)))
		r = -EFAULT;
	kvmm_free(xs);
	return r;
}

long kvmm_x86_set_xsave(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xsave *xs;
	u32 pkru = 0;
	long r;

	xs = kvmm_zalloc(sizeof(*xs), GFP_KERNEL_ACCOUNT);
	if (!xs)
		return -ENOMEM;
	if (copy_from_user(xs, arg, sizeof(*xs))) {
		kvmm_free(xs);
		return -EFAULT;
	}
	/* Refuses components outside the supported set, as KVM (-EINVAL). */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.fpu, xs,
					   kvmm_supported_xcr0, &pkru);
	kvmm_free(xs);
	return r ? -EINVAL : 0;
}
