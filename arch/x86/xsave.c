// SPDX-License-Identifier: GPL-2.0
/*
 * XSAVE-managed state: the guest's XCR0 (XSETBV, KVM_GET/SET_XCRS), its
 * PKRU, and KVM_GET/SET_XSAVE (api.rst 4.42-4.45).
 *
 * kvmm offers x87, SSE, AVX and PKRU state (XCR0 bits 0-2 and 9) where
 * the host has them: the guest FPU buffer (fpu_alloc_guest_fpstate) is
 * sized for the host's features, so every guest XCR0 kvmm allows fits it.
 *
 * VMRUN and #VMEXIT switch neither XCR0 nor PKRU (APM 15.5.1 lists what
 * they do switch), so both are swapped by hand around every entry, after
 * CLGI and before STGI: no interrupt or NMI handler of the host ever runs
 * with the guest's values.  Why every entry and not only while the guest
 * has CR4.OSXSAVE or CR4.PKE: see kvmm_x86_load_guest_xstate().
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/special_insns.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#define KVMM_XCR0_OFFERED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM | XFEATURE_MASK_PKRU)

u64 kvmm_host_xcr0;
u64 kvmm_supported_xcr0;
/*
 * The host runs with CR4.PKE (Linux's OSPKE), so RDPKRU and WRPKRU work
 * here and PKRU matters to it: user mode and the kernel's accesses to user
 * pages are checked against it (SDM 3A 4.6.2).
 */
static bool kvmm_host_pku;
/* Where PKRU sits in the standard (uncompacted) format: CPUID 0xd.9.EBX. */
static u32 kvmm_pkru_offset;

void kvmm_xsave_init(void)
{
	u32 eax, ebx, ecx, edx;

	kvmm_host_pku = cpu_feature_enabled(X86_FEATURE_OSPKE);
	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		kvmm_host_xcr0 = kvmm_supported_xcr0 = 0;
		return;
	}
	kvmm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	kvmm_supported_xcr0 = kvmm_host_xcr0 & KVMM_XCR0_OFFERED;
	if (!kvmm_host_pku)
		kvmm_supported_xcr0 &= ~XFEATURE_MASK_PKRU;
	if (kvmm_supported_xcr0 & XFEATURE_MASK_PKRU) {
		cpuid_count(0xd, XFEATURE_PKRU, &eax, &ebx, &ecx, &edx);
		kvmm_pkru_offset = ebx;
	}
}

/*
 * PKU for guests: the host's PKRU is switched, and the keys in the guest's
 * page tables are checked by the CPU under NPT (a shadow MMU would have to
 * check them itself; KVM offers PKU only with TDP).
 */
bool kvmm_x86_pku_supported(void)
{
	return kvmm_supported_xcr0 & XFEATURE_MASK_PKRU;
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

	vcpu->stat.xsetbv_exits++;
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

/*
 * Right before VMRUN (GIF and interrupts off): the guest's XCR0 and PKRU.
 *
 * The guest's CR4 writes do not exit (kvmm does not intercept them), so
 * what CR4 holds at entry says nothing about what the guest will do: a
 * guest entered without CR4.OSXSAVE or CR4.PKE may set it and run XGETBV,
 * XSAVE, AVX, RDPKRU or WRPKRU right away.  Hence both are loaded on
 * every entry, whatever the guest's CR4:
 *  - vcpu->arch.xcr0 is always a value XSETBV accepts here (checked by
 *    kvmm_x86_set_xcr0 against the host's XCR0), and while the guest's
 *    CR4.OSXSAVE is clear XCR0 has no effect on it (XGETBV, XSETBV, the
 *    XSAVE family and VEX instructions raise #UD, SDM 1 13.3, 14.3), so
 *    loading it early is invisible;
 *  - any 32-bit value is a valid PKRU, and it only acts while CR4.PKE is
 *    set (SDM 3A 4.6.2), so the same holds.  The guest can also change
 *    PKRU without CR4.PKE, through XRSTOR with XCR0[9].
 * The cost is an XSETBV (and WRPKRU) each way only while the guest's
 * values differ from the host's.  Intercepting CR4 writes (as KVM does)
 * would make a guest's every CR4 write an exit instead.
 */
void kvmm_x86_load_guest_xstate(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (kvmm_host_xcr0 && a->xcr0 != kvmm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, a->xcr0);
	if (kvmm_host_pku) {
		/* The VMM thread's own value: it changes it with WRPKRU. */
		a->host_pkru = rdpkru();
		if (a->pkru != a->host_pkru)
			wrpkru(a->pkru);
	}
}

/* Right after #VMEXIT, before STGI: the guest's PKRU saved, the host's back. */
void kvmm_x86_load_host_xstate(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (kvmm_host_pku) {
		a->pkru = rdpkru();
		if (a->pkru != a->host_pkru)
			wrpkru(a->host_pkru);
	}
	if (kvmm_host_xcr0 && a->xcr0 != kvmm_host_xcr0)
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

/*
 * The PKRU component of a standard-format buffer (SDM 1 13.4.2, 13.5.7):
 * XSTATE_BV[9] and the value at CPUID 0xd.9's offset.  PKRU is not kept
 * in the guest's FPU buffer (the host's save there holds whatever PKRU
 * the CPU had), only in vcpu->arch.pkru.  It is carried while the guest's
 * CPUID offers PKU, as KVM does (so a guest without it migrates to hosts
 * without PKU), and whenever it is not 0, its init value, so that no
 * guest state is ever left out: a guest may set CR4.PKE without PKU in
 * its CPUID, CR4 writes do not exit.
 */
static void kvmm_xsave_put_pkru(struct kvmm_vcpu *vcpu, struct kvm_xsave *xs)
{
	struct xstate_header *hdr = (void *)xs->region +
				    offsetof(struct xregs_state, header);
	u32 pkru = vcpu->arch.pkru;

	if (!kvmm_x86_pku_supported())
		return;
	if (!pkru && !kvmm_x86_guest_has(vcpu, KVMM_GF_PKU)) {
		hdr->xfeatures &= ~XFEATURE_MASK_PKRU;
		return;
	}
	hdr->xfeatures |= XFEATURE_MASK_PKRU;
	memcpy((void *)xs->region + kvmm_pkru_offset, &pkru, sizeof(pkru));
}

long kvmm_x86_get_xsave(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xsave *xs;
	long r = 0;

	xs = kvmm_zalloc(sizeof(*xs), GFP_KERNEL_ACCOUNT);
	if (!xs)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.fpu, xs, sizeof(*xs),
				       kvmm_supported_xcr0 & ~XFEATURE_MASK_PKRU,
				       0);
	kvmm_xsave_put_pkru(vcpu, xs);
	if (copy_to_user(arg, xs, sizeof(*xs)))
		r = -EFAULT;
	kvmm_free(xs);
	return r;
}

/*
 * Everything XRSTOR would fault on is refused here with -EINVAL, so no
 * buffer userspace gives can make the host's XRSTOR of the guest's state
 * fault (fpu_copy_uabi_to_guest_fpstate, as in KVM): XSTATE_BV bits
 * outside kvmm's XCR0 (a subset of the host's XCR0), a non-zero XCOMP_BV
 * or reserved header bytes (SDM 1 13.8.1), reserved MXCSR bits (checked
 * against the CPU's MXCSR_MASK whenever x87, SSE or AVX state is given;
 * otherwise MXCSR is not taken from the buffer).  PKRU goes to
 * vcpu->arch.pkru when XSTATE_BV[9] is set and is left alone otherwise
 * (KVM's ABI); every 32-bit value is a valid PKRU.
 */
long kvmm_x86_set_xsave(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_xsave *xs;
	long r;

	xs = kvmm_zalloc(sizeof(*xs), GFP_KERNEL_ACCOUNT);
	if (!xs)
		return -ENOMEM;
	if (copy_from_user(xs, arg, sizeof(*xs))) {
		kvmm_free(xs);
		return -EFAULT;
	}
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.fpu, xs,
					   kvmm_supported_xcr0,
					   &vcpu->arch.pkru);
	kvmm_free(xs);
	return r ? -EINVAL : 0;
}
