// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID: the table userspace sets with KVM_SET_CPUID2
 * (api.rst 4.73), answered in the kernel on every CPUID exit.
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#define ALL	0xffffffffu
#define B(n)	(1u << (n))

/* KVM's limit on the table (KVM_MAX_CPUID_ENTRIES). */
#define KVMM_MAX_CPUID_ENTRIES	256

long kvmm_x86_set_cpuid2(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_cpuid2 __user *ucpuid = arg;
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 hdr;
	size_t size;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = hdr.nent * sizeof(*e);
	if (size) {
		e = kvmm_zalloc(size, GFP_KERNEL_ACCOUNT);
		if (!e)
			return -ENOMEM;
		if (copy_from_user(e, ucpuid->entries, size)) {
			kvmm_free(e);
			return -EFAULT;
		}
	}
	kvmm_free(vcpu->arch.cpuid);
	vcpu->arch.cpuid = e;
	vcpu->arch.cpuid_nent = hdr.nent;
	if (kvmm_ops->vcpu_after_set_cpuid)
		kvmm_ops->vcpu_after_set_cpuid(vcpu);
	return 0;
}

long kvmm_x86_get_cpuid2(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_cpuid2 __user *ucpuid = arg;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->arch.cpuid_nent) {
		hdr.nent = vcpu->arch.cpuid_nent;
		if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
			return -EFAULT;
		return -E2BIG;
	}
	hdr.nent = vcpu->arch.cpuid_nent;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)) ||
	    copy_to_user(ucpuid->entries, vcpu->arch.cpuid,
			 hdr.nent * sizeof(*vcpu->arch.cpuid)))
		return -EFAULT;
	return 0;
}

static const struct kvm_cpuid_entry2 *
kvmm_cpuid_find(struct kvmm_vcpu *vcpu, u32 leaf, u32 subleaf)
{
	u32 i;

	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid[i];

		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != subleaf)
			continue;
		return e;
	}
	return NULL;
}

/* The bits behind enum kvmm_guest_feature. */
static const struct {
	u32 leaf, subleaf;
	u8 reg;		/* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	u8 bit;
} kvmm_guest_features[] = {
	[KVMM_GF_PDCM]			= { 0x1, 0, 2, 15 },
	[KVMM_GF_PKU]			= { 0x7, 0, 2, 3 },
	[KVMM_GF_RDPID]			= { 0x7, 0, 2, 22 },
	[KVMM_GF_ARCH_CAPABILITIES]	= { 0x7, 0, 3, 29 },
	[KVMM_GF_RDTSCP]		= { 0x80000001, 0, 3, 27 },
	[KVMM_GF_X2APIC]		= { 0x1, 0, 2, 21 },
	[KVMM_GF_TSC_DEADLINE]		= { 0x1, 0, 2, 24 },
};

/*
 * Does the guest's CPUID table (as userspace set it) show feature @f?
 * For decisions that follow the guest's CPU model, such as which MSRs
 * the guest may access.
 */
bool kvmm_x86_guest_has(struct kvmm_vcpu *vcpu, enum kvmm_guest_feature f)
{
	const struct kvm_cpuid_entry2 *e;
	u32 r;

	e = kvmm_cpuid_find(vcpu, kvmm_guest_features[f].leaf,
			    kvmm_guest_features[f].subleaf);
	if (!e)
		return false;
	switch (kvmm_guest_features[f].reg) {
	case 0: r = e->eax; break;
	case 1: r = e->ebx; break;
	case 2: r = e->ecx; break;
	default: r = e->edx; break;
	}
	return r & B(kvmm_guest_features[f].bit);
}

/*
 * MAXPHYADDR as the guest's CPUID says (leaf 0x80000008 EAX[7:0]; 36
 * without the leaf, SDM 3A 4.1.4, as KVM's default), for the walker and
 * the state checks.
 */
u8 kvmm_x86_guest_maxphyaddr(struct kvmm_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	kvmm_x86_cpuid(vcpu, 0x80000000, 0, &eax, &ebx, &ecx, &edx);
	if (eax < 0x80000008)
		return 36;
	kvmm_x86_cpuid(vcpu, 0x80000008, 0, &eax, &ebx, &ecx, &edx);
	return (eax & 0xff) ? eax & 0xff : 36;
}

/* Physical-address bits the guest's CPUID says are reserved. */
u64 kvmm_x86_guest_rsvd_gpa_bits(struct kvmm_vcpu *vcpu)
{
	u8 bits = kvmm_x86_guest_maxphyaddr(vcpu);

	return bits >= 64 ? 0 : GENMASK_ULL(63, bits);
}

/* Leaf 0 says "GenuineIntel" (EBX, EDX, ECX). */
bool kvmm_x86_guest_is_intel(struct kvmm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvmm_cpuid_find(vcpu, 0, 0);

	return e && e->ebx == 0x756e6547 && e->edx == 0x49656e69 &&
	       e->ecx == 0x6c65746e;
}

/* A leaf missing from the table reads as zeros. */
void kvmm_x86_cpuid(struct kvmm_vcpu *vcpu, u32 leaf, u32 subleaf,
		    u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	const struct kvm_cpuid_entry2 *e = kvmm_cpuid_find(vcpu, leaf, subleaf);

	*eax = e ? e->eax : 0;
	*ebx = e ? e->ebx : 0;
	*ecx = e ? e->ecx : 0;
	*edx = e ? e->edx : 0;
	if (!e)
		return;

	/* Bits that follow the guest's state, as on hardware. */
	if (leaf == 1 && (*ecx & B(26))) {
		kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
		*ecx &= ~B(27);
		if (vcpu->arch.cr4 & X86_CR4_OSXSAVE)
			*ecx |= B(27);		/* OSXSAVE */
	} else if (leaf == 7 && subleaf == 0 && kvmm_x86_pku_supported()) {
		kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
		*ecx &= ~B(4);
		if (vcpu->arch.cr4 & X86_CR4_PKE)
			*ecx |= B(4);		/* OSPKE */
	} else if (leaf == 0xd && subleaf == 0) {
		*ebx = kvmm_xstate_size(vcpu->arch.xcr0);
	}
}

/*
 * KVM_GET_SUPPORTED_CPUID (api.rst 4.46): what a guest may be shown.
 * The host's leaves, masked down to features kvmm really supports: each
 * bit below is there because the guest can use it natively under
 * NPT/EPT or because kvmm handles what it implies (e.g. the MSRs behind
 * SEP, PAT, MTRR; XSETBV for XSAVE; the guest's TSC_AUX behind RDTSCP and
 * RDPID; IA32_ARCH_CAPABILITIES, emulated and offered everywhere; PKU
 * where xsave.c switches PKRU).  XSAVE state is offered for x87, SSE, AVX
 * and PKRU (kvmm_supported_xcr0); the APIC bit is reported as KVM does,
 * for a userspace LAPIC.  MCE and MCA stay: mce.c has the banks.  KVM's
 * paravirtual leaves follow (pv.c).
 */
struct kvmm_cpuid_mask {
	u32 leaf, subleaf;
	bool indexed;
	u32 eax, ebx, ecx, edx;	/* bits that may pass */
};

static const struct kvmm_cpuid_mask kvmm_cpuid_masks[] = {
	{ 0x0, 0, false, ALL, ALL, ALL, ALL },
	{ 0x1, 0, false, ALL, 0x00ffffff,
	  B(0) | B(1) | B(9) | B(12) | B(13) | B(17) | B(19) | B(20) |
	  B(22) | B(23) | B(25) | B(26) | B(28) | B(29) | B(30),
	  B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
	  B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
	  B(19) | B(23) | B(24) | B(25) | B(26) },
	{ 0x7, 0, true, 0,
	  B(0) | B(3) | B(5) | B(7) | B(8) | B(9) | B(10) | B(18) | B(19) | B(20) |
	  B(23) | B(24) | B(29),
	  B(2) | B(3) | B(22), 0 },
	/* XSAVE: sizes and offsets are the host's, features kvmm's. */
	{ 0xd, 0, true, ALL, ALL, ALL, ALL },
	{ 0xd, 1, true, B(0), 0, 0, 0 },	/* XSAVEOPT */
	{ 0xd, 2, true, ALL, ALL, ALL, ALL },	/* AVX state */
	{ 0xd, 9, true, ALL, ALL, ALL, ALL },	/* PKRU state */
	{ 0x80000000, 0, false, ALL, ALL, ALL, ALL },
	{ 0x80000001, 0, false, ALL, 0,
	  B(0) | B(5) | B(6) | B(7) | B(8),
	  B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
	  B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
	  B(20) | B(22) | B(23) | B(24) | B(26) | B(27) | B(29) },
	{ 0x80000002, 0, false, ALL, ALL, ALL, ALL },
	{ 0x80000003, 0, false, ALL, ALL, ALL, ALL },
	{ 0x80000004, 0, false, ALL, ALL, ALL, ALL },
	{ 0x80000008, 0, false, 0xffff, 0, 0, 0 },
};

#define KVMM_CPUID_HYPERVISOR	B(31)	/* leaf 1 ECX: running under one */

long kvmm_x86_get_supported_cpuid(void __user *arg)
{
	struct kvm_cpuid2 __user *ucpuid = arg;
	/* The masked host leaves, then KVM's two paravirtual ones (pv.c). */
	struct kvm_cpuid_entry2 e[ARRAY_SIZE(kvmm_cpuid_masks) + 2];
	u32 max_basic, max_ext, n = 0, i;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;

	max_basic = min_t(u32, cpuid_eax(0), 0xd);
	max_ext = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	for (i = 0; i < ARRAY_SIZE(kvmm_cpuid_masks); i++) {
		const struct kvmm_cpuid_mask *m = &kvmm_cpuid_masks[i];
		u32 eax, ebx, ecx, edx;

		if (m->leaf < 0x80000000 ? m->leaf > max_basic :
					    m->leaf > max_ext)
			continue;
		if (m->leaf == 0xd &&
		    (!kvmm_supported_xcr0 ||
		     (m->subleaf >= 2 && !(kvmm_supported_xcr0 & BIT(m->subleaf)))))
			continue;
		cpuid_count(m->leaf, m->subleaf, &eax, &ebx, &ecx, &edx);
		e[n] = (struct kvm_cpuid_entry2) {
			.function = m->leaf, .index = m->subleaf,
			.flags = m->indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = eax & m->eax, .ebx = ebx & m->ebx,
			.ecx = ecx & m->ecx, .edx = edx & m->edx,
		};
		if (m->leaf == 0) {
			e[n].eax = max_basic;
		} else if (m->leaf == 0x80000000) {
			e[n].eax = max_ext;
		} else if (m->leaf == 1) {
			/*
			 * x2APIC is the in-kernel LAPIC's (irqchip/lapic.c),
			 * whatever the host has, as KVM offers it; QEMU drops
			 * it with its own APIC.  TSC-deadline is announced by
			 * KVM_CAP_TSC_DEADLINE_TIMER instead, as by KVM.
			 */
			e[n].ecx |= KVMM_CPUID_HYPERVISOR | B(21);
			if (!kvmm_supported_xcr0)
				e[n].ecx &= ~B(26);		/* XSAVE */
			if (!(kvmm_supported_xcr0 & XFEATURE_MASK_YMM))
				e[n].ecx &= ~(B(12) | B(28) | B(29));
		} else if (m->leaf == 7) {
			if (!(kvmm_supported_xcr0 & XFEATURE_MASK_YMM))
				e[n].ebx &= ~B(5);		/* AVX2 */
			if (!kvmm_x86_tsc_aux_supported())
				e[n].ecx &= ~B(22);		/* RDPID */
			/* OSPKE (bit 4) follows the guest's CR4.PKE. */
			if (!kvmm_x86_pku_supported())
				e[n].ecx &= ~B(3);		/* PKU */
			/* Emulated on every CPU (msr.c), as KVM does. */
			e[n].edx |= B(29);		/* ARCH_CAPABILITIES */
		} else if (m->leaf == 0x80000001) {
			if (!kvmm_x86_tsc_aux_supported())
				e[n].edx &= ~B(27);		/* RDTSCP */
		} else if (m->leaf == 0x80000008) {
			/*
			 * MAXPHYADDR: what the second-level table reaches
			 * (mmu/tdp.c), so that every address the guest can
			 * form may be a slot.  A table set with more is
			 * honoured as KVM honours it: the guest is shown it,
			 * and its accesses beyond the reach exit as MMIO.
			 */
			e[n].eax = (e[n].eax & ~0xffu) | kvmm_tdp_gpa_bits();
		} else if (m->leaf == 0xd && m->subleaf == 0) {
			e[n].eax = (u32)kvmm_supported_xcr0;
			e[n].edx = kvmm_supported_xcr0 >> 32;
			e[n].ebx = e[n].ecx = kvmm_xstate_size(kvmm_supported_xcr0);
		}
		n++;
	}
	n += kvmm_x86_pv_cpuid(&e[n]);

	if (hdr.nent < n) {
		hdr.nent = n;
		if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
			return -EFAULT;
		return -E2BIG;
	}
	hdr.nent = n;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)) ||
	    copy_to_user(ucpuid->entries, e, n * sizeof(e[0])))
		return -EFAULT;
	return 0;
}
