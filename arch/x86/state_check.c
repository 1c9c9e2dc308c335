// SPDX-License-Identifier: GPL-2.0
/*
 * Which vCPU states are valid, in two places:
 *
 *  - the state ioctls refuse with -EINVAL what KVM refuses (x86.c
 *    kvm_is_valid_sregs(), kvm_set_apic_base(), set_efer());
 *  - before each entry whose state userspace or kvmm changed, the
 *    backend checks the architectural rules the CPU's own entry checks
 *    enforce (AMD APM vol. 2, 15.5.1 "VMRUN consistency checks"; Intel
 *    SDM 3C 27.3.1 "Checks on the guest state area") and fails the entry
 *    itself, as the CPU would: KVM_EXIT_FAIL_ENTRY.
 *
 * The second check does not rely on the CPU.  An emulated CPU checks
 * less than the manuals say (QEMU's TCG runs VMRUN with reserved EFER
 * and RFLAGS bits and then stops answering interrupts: the host CPU
 * hangs, Documentation/security.rst), and a state the CPU would refuse
 * gains nothing by reaching it.
 */
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

/* CR4 bits a guest may set: what the host CPU has, minus virtualization. */
u64 kvmm_x86_cr4_guest_bits(void)
{
	u64 bits = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		   X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		   X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_UMIP))
		bits |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		bits |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		bits |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		bits |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		bits |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		bits |= X86_CR4_SMAP;
	/* Only where kvmm switches PKRU: the host enabled PKU (xsave.c). */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		bits |= X86_CR4_PKE;
	return bits;
}

/*
 * EFER bits that exist for a guest (APM vol. 2, 3.1.7; SDM 3A 2.2.1):
 * SVME is kvmm's own and never the guest's (no nested SVM).
 */
u64 kvmm_x86_efer_valid_bits(void)
{
	u64 bits = EFER_SCE | EFER_LME | EFER_LMA;

	if (boot_cpu_has(X86_FEATURE_NX))
		bits |= EFER_NX;
	return bits;
}

/*
 * CR0 values MOV to CR0 accepts (SDM 3A 2.5, APM 3.1.1): bits 63:32
 * clear, no NW without CD, no PG without PE.
 */
bool kvmm_x86_valid_cr0(u64 cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	return !((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE));
}

/*
 * IA32_APIC_BASE (SDM 3A 11.4.4): no bits above the guest's MAXPHYADDR,
 * none of bits 0-7 and 9, x2APIC mode only when the guest's CPUID has
 * x2APIC, and never x2APIC enabled with the APIC disabled.
 */
bool kvmm_x86_valid_apic_base(struct kvmm_vcpu *vcpu, u64 base)
{
	u64 rsvd = kvmm_x86_guest_rsvd_gpa_bits(vcpu) | 0x2ff;

	if (!kvmm_x86_guest_has(vcpu, KVMM_GF_X2APIC))
		rsvd |= X2APIC_ENABLE;
	if (base & rsvd)
		return false;
	return !((base & X2APIC_ENABLE) && !(base & MSR_IA32_APICBASE_ENABLE));
}

/* RFLAGS bits 63:22, 15, 5 and 3 are reserved, read as 0 (SDM 1 3.4.3). */
#define KVMM_RFLAGS_RESERVED	(GENMASK_ULL(63, 22) | BIT_ULL(15) | \
				 BIT_ULL(5) | BIT_ULL(3))

/*
 * Segment and descriptor-table bases (SDM 3C 27.3.1.2-3): CS, SS, DS and
 * ES bases fit 32 bits (no descriptor can give more; 64-bit mode ignores
 * them), the others are canonical.  A wider real-mode CS base makes
 * QEMU's TCG stop answering interrupts (Documentation/security.rst).
 */
static bool kvmm_x86_bases_valid(const struct kvmm_arch_vcpu *a)
{
	static const u8 base32[] = {
		KVMM_SEG_CS, KVMM_SEG_SS, KVMM_SEG_DS, KVMM_SEG_ES,
	};
	static const u8 canonical[] = {
		KVMM_SEG_FS, KVMM_SEG_GS, KVMM_SEG_TR, KVMM_SEG_LDTR,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(base32); i++)
		if (a->segs[base32[i]].base >> 32)
			return false;
	for (i = 0; i < ARRAY_SIZE(canonical); i++)
		if (!__is_canonical_address(a->segs[canonical[i]].base, 48))
			return false;
	return __is_canonical_address(a->gdt.base, 48) &&
	       __is_canonical_address(a->idt.base, 48);
}

/*
 * The state rules both vendors' entry checks enforce (APM 15.5.1; SDM 3C
 * 27.3.1.1 to 27.3.1.4), on the state kvmm is about to load.  The
 * backend asks before each entry, before it writes dirty state groups
 * back.  Only a group written by userspace or by kvmm itself (dirty) is
 * checked: a guest's own MOV to CR0/CR4 or WRMSR cannot break these
 * rules (the CPU raises #GP, kvmm's MSR code refuses), so the common
 * entry costs two tests.  Returns false when the CPU would refuse the
 * entry; the counter shows it happened.
 */
bool kvmm_x86_entry_state_valid(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	const struct kvm_segment *cs;
	bool long_mode;

	if (!(a->sg_dirty & (BIT(KVMM_SG_CRS) | BIT(KVMM_SG_SEGS))) &&
	    !(a->rflags & KVMM_RFLAGS_RESERVED))
		return true;

	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	cs = &a->segs[KVMM_SEG_CS];
	long_mode = (a->efer & EFER_LME) && (a->cr0 & X86_CR0_PG);

	if (!kvmm_x86_valid_cr0(a->cr0) ||
	    (a->cr4 & ~kvmm_x86_cr4_guest_bits()) ||
	    (a->efer & ~kvmm_x86_efer_valid_bits()) ||
	    (a->rflags & KVMM_RFLAGS_RESERVED) || !kvmm_x86_bases_valid(a))
		goto bad;
	/* EFER.LMA is LME && PG, and long mode needs PAE (APM 14.6.1). */
	if (!!(a->efer & EFER_LMA) != long_mode)
		goto bad;
	if (long_mode) {
		if (!(a->cr4 & X86_CR4_PAE) ||
		    (a->cr3 & kvmm_x86_guest_rsvd_gpa_bits(vcpu)) ||
		    (cs->l && cs->db))
			goto bad;
	} else if (cs->l) {
		goto bad;
	}
	return true;
bad:
	vcpu->stat.entry_state_invalid++;
	return false;
}
