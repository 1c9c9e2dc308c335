// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs: RDMSR/WRMSR exits and KVM_GET/SET_MSRS (api.rst 4.18-4.19).
 *
 * Every guest MSR access exits (the permission map is all ones).  MSRs the
 * backend keeps in hardware state (SYSCALL/SYSENTER, KERNEL_GS_BASE, PAT)
 * go through the backend's get_msr/set_msr; the machine-check MSRs are
 * mce.c's, KVM's paravirtual ones pv.c's (kvmclock.c's for the clock),
 * the TSC tsc.c's; the rest live here.  An
 * MSR nobody knows raises #GP in the guest and ends KVM_GET/SET_MSRS at
 * that entry, as in KVM.
 *
 * Feature MSRs (api.rst 4.3 KVM_GET_MSR_FEATURE_INDEX_LIST, 4.18
 * KVM_GET_MSRS on /dev/kvm) describe what a guest may be given, the way
 * KVM_GET_SUPPORTED_CPUID does for CPUID; each is also a per-vCPU MSR
 * that accepts the value the system read returned.
 */
#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/kvm_para.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

/* MTRRcap: 8 variable ranges, fixed ranges, write-combining (SDM 3A 12.11.1). */
#define KVMM_MTRR_CAP		(0x8 | BIT(8) | BIT(10))
/* A vCPU's microcode revision until userspace sets one (KVM's value). */
#define KVMM_UCODE_REV		0x100000000ULL

/* KVM_GET_MSR_INDEX_LIST: what userspace saves and restores per vCPU. */
static const u32 kvmm_msrs[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_IA32_APICBASE,
	MSR_IA32_MISC_ENABLE, MSR_MTRRcap, MSR_MTRRdefType,
	MSR_IA32_UCODE_REV, MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES,
	MSR_IA32_TSC_DEADLINE,	/* 0 and ignored without an in-kernel LAPIC */
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_POLL_CONTROL,
	MSR_TSC_AUX,		/* only where kvmm_x86_tsc_aux_supported() */
};

/*
 * KVM_GET_MSR_FEATURE_INDEX_LIST: the candidates, in KVM's order; each
 * is listed where kvmm_get_msr_feature() knows it.
 */
static const u32 kvmm_feature_msrs[] = {
	MSR_AMD64_DE_CFG,		/* the backend's (SVM) */
	MSR_IA32_UCODE_REV,
	MSR_IA32_ARCH_CAPABILITIES,
	MSR_IA32_PERF_CAPABILITIES,
};

/*
 * IA32_ARCH_CAPABILITIES (SDM 4, 2.1 "Architectural MSRs") is emulated on
 * every CPU, Intel or AMD, as KVM does: it only states facts, and it lets
 * a guest skip mitigations for flaws the processor does not have.  From
 * the host's own MSR pass only bits that describe the processor and ask
 * nothing of kvmm.  Left out: Enhanced IBRS (IBRS_ALL: needs SPEC_CTRL,
 * not virtualized), SKIP_VMENTRY_L1DFLUSH (a hint for nested VMX, which
 * kvmm does not offer), and every bit announcing an MSR kvmm does not
 * emulate (TSX_CTRL, FB_CLEAR_CTRL, GDS_CTRL, MISC_PACKAGE_CTRLS, ...).
 */
#define KVMM_ARCH_CAP_PASSED						\
	(ARCH_CAP_RDCL_NO | ARCH_CAP_RSBA | ARCH_CAP_SSB_NO |		\
	 ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO |	\
	 ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO |	\
	 ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | ARCH_CAP_BHI_NO |		\
	 ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO |	\
	 ARCH_CAP_RFDS_CLEAR | ARCH_CAP_ITS_NO)

static u64 kvmm_arch_capabilities(void)
{
	u64 caps = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &caps))
		caps &= KVMM_ARCH_CAP_PASSED;
	else
		caps = 0;

	/*
	 * "Not affected" where the kernel's vulnerability detection found
	 * the processor unaffected (AMD CPUs have no such MSR to copy).
	 * PSCHANGE_MC_NO only on CPUs without the iTLB multihit erratum:
	 * kvmm has no NX-huge-page mitigation that would make it true
	 * elsewhere.
	 */
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		caps |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		caps |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		caps |= ARCH_CAP_MDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT))
		caps |= ARCH_CAP_PSCHANGE_MC_NO;
	if (!boot_cpu_has_bug(X86_BUG_RFDS))
		caps |= ARCH_CAP_RFDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_ITS))
		caps |= ARCH_CAP_ITS_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS))
		caps |= ARCH_CAP_GDS_NO;
	/* TAA needs TSX; without RTM the guest cannot be exposed to it. */
	if (!boot_cpu_has(X86_FEATURE_RTM))
		caps &= ~ARCH_CAP_TAA_NO;
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		caps |= ARCH_CAP_TAA_NO;
	return caps;
}

/*
 * The value a feature MSR offers; 0, or 1 when @index is no feature MSR
 * here.  IA32_PERF_CAPABILITIES is 0: kvmm has no virtual PMU, so no
 * PEBS/LBR format or full-width counter writes to announce.
 */
static int kvmm_get_msr_feature(u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_ARCH_CAPABILITIES:
		*data = kvmm_arch_capabilities();
		return 0;
	case MSR_IA32_UCODE_REV:
		/* The host's revision; 0 if this CPU has no such MSR. */
		if (rdmsrl_safe(MSR_IA32_UCODE_REV, data))
			*data = 0;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*data = 0;
		return 0;
	}
	*data = 0;
	if (kvmm_ops->get_msr_feature)
		return kvmm_ops->get_msr_feature(index, data);
	return 1;
}

/*
 * The guest's TSC_AUX works where the backend switches it around guest
 * entry (a user-return MSR); only then are RDTSCP and RDPID offered.
 */
bool kvmm_x86_tsc_aux_supported(void)
{
	return kvmm_uret_msr_slot(MSR_TSC_AUX) >= 0;
}

/* MSRs an in-kernel LAPIC answers: x2APIC (0x800-0x8ff), TSC deadline. */
static bool kvmm_lapic_msr(struct kvmm_vcpu *vcpu, u32 index)
{
	return vcpu->arch.apic && (index == MSR_IA32_TSC_DEADLINE ||
				   (index >= APIC_BASE_MSR &&
				    index <= APIC_BASE_MSR + 0xff));
}

/* x2APIC -> xAPIC and disabled -> x2APIC go through another state. */
static bool kvmm_apic_base_transition_ok(u64 old, u64 new)
{
	const u64 mode = MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE;

	if ((old & mode) == mode && (new & mode) == MSR_IA32_APICBASE_ENABLE)
		return false;
	return !(!(old & mode) && (new & mode) == mode);
}

/* Initial values of the MSRs kept here that a reset leaves alone. */
void kvmm_x86_msr_vcpu_init(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	a->tsc_aux = 0;
	a->ucode_rev = KVMM_UCODE_REV;
	a->arch_capabilities = kvmm_arch_capabilities();
	a->de_cfg = 0;
	kvmm_x86_pv_vcpu_init(vcpu);
	kvmm_x86_tsc_vcpu_init(vcpu);
	kvmm_x86_mce_vcpu_init(vcpu);
}

/*
 * The slot of MTRR @index in arch.mtrr[], or -1.  The guest picks @index
 * (ECX of its RDMSR/WRMSR): the slot is clamped under speculation too,
 * so that a mispredicted range check cannot reach past the array.
 */
static int kvmm_mtrr_slot(u32 index)
{
	const unsigned int nr = ARRAY_SIZE(((struct kvmm_arch_vcpu *)0)->mtrr);
	unsigned int slot;

	if (index >= 0x200 && index < 0x210)		/* variable ranges */
		slot = index - 0x200;
	else if (index == MSR_MTRRfix64K_00000)		/* fixed ranges */
		slot = 16;
	else if (index == MSR_MTRRfix16K_80000)
		slot = 17;
	else if (index == MSR_MTRRfix16K_A0000)
		slot = 18;
	else if (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000)
		slot = 19 + index - MSR_MTRRfix4K_C0000;
	else
		return -1;
	return array_index_nospec(slot, nr);
}

/*
 * TSC_AUX exists where kvmm switches it; the guest may use it when its
 * CPUID has RDTSCP or RDPID, userspace (@host) always.
 */
static bool kvmm_tsc_aux_accessible(struct kvmm_vcpu *vcpu, bool host)
{
	if (!kvmm_x86_tsc_aux_supported())
		return false;
	return host || kvmm_x86_guest_has(vcpu, KVMM_GF_RDTSCP) ||
	       kvmm_x86_guest_has(vcpu, KVMM_GF_RDPID);
}

/*
 * Feature MSRs and TSC_AUX.  @host: KVM_GET_MSRS (no CPUID checks).
 * Returns 0, 1 for "not here or refused", or -ENOENT for any other
 * index.
 */
static int kvmm_get_msr_ext(struct kvmm_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u64 feature;

	switch (index) {
	case MSR_TSC_AUX:
		if (!kvmm_tsc_aux_accessible(vcpu, host))
			return 1;
		*data = a->tsc_aux;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host &&
		    !kvmm_x86_guest_has(vcpu, KVMM_GF_ARCH_CAPABILITIES))
			return 1;
		*data = a->arch_capabilities;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		if (!host && !kvmm_x86_guest_has(vcpu, KVMM_GF_PDCM))
			return 1;
		*data = 0;
		return 0;
	case MSR_AMD64_DE_CFG:
		if (kvmm_get_msr_feature(index, &feature))
			return 1;
		*data = a->de_cfg;
		return 0;
	}
	return -ENOENT;
}

static int kvmm_set_msr_ext(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			    bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u64 feature;

	switch (index) {
	case MSR_TSC_AUX:
		if (!kvmm_tsc_aux_accessible(vcpu, host))
			return 1;
		/*
		 * Bits 63:32 are reserved on Intel (#GP) and ignored on AMD
		 * (they read as 0).  As in KVM, the guest's CPUID vendor
		 * decides, for the guest and for userspace alike.
		 */
		if ((data >> 32) && kvmm_x86_guest_is_intel(vcpu))
			return 1;
		a->tsc_aux = (u32)data;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		/* Read-only to the guest; userspace picks the CPU model. */
		if (!host)
			return 1;
		a->arch_capabilities = data;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		return host && !data ? 0 : 1;
	case MSR_AMD64_DE_CFG:
		/*
		 * Userspace may set any offered bits; the guest may only
		 * write the offered value itself (bits it cannot change).
		 */
		if (kvmm_get_msr_feature(index, &feature) ||
		    (data & ~feature) || (!host && data != feature))
			return 1;
		a->de_cfg = data;
		return 0;
	}
	return -ENOENT;
}

/*
 * Returns 0, or 1 when the MSR does not exist / the value is invalid.
 * @host: userspace's KVM_GET_MSRS, which skips the guest's CPUID checks.
 */
int kvmm_x86_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data,
		     bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int slot, r;

	if (kvmm_lapic_msr(vcpu, index))
		return kvmm_lapic_msr_read(vcpu, index, data);
	/*
	 * Without an in-kernel LAPIC the deadline is userspace's business:
	 * it reads 0 and writes are dropped, as KVM does, so a VMM restores
	 * the listed MSR with any irqchip.
	 */
	if (index == MSR_IA32_TSC_DEADLINE) {
		*data = 0;
		return 0;
	}
	r = kvmm_get_msr_ext(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_pv_get_msr(vcpu, index, data);
	if (r == -ENOENT)
		r = kvmm_x86_tsc_get_msr(vcpu, index, data);
	if (r == -ENOENT)
		r = kvmm_x86_mce_get_msr(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_model_get_msr(vcpu, index, data);
	if (r != -ENOENT)
		return r;
	switch (index) {
	case MSR_EFER:
		kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
		*data = a->efer;
		return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
		*data = a->segs[index == MSR_FS_BASE ? KVMM_SEG_FS :
						       KVMM_SEG_GS].base;
		return 0;
	case MSR_IA32_APICBASE:
		*data = a->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = a->misc_enable;
		return 0;
	case MSR_MTRRcap:
		*data = KVMM_MTRR_CAP;
		return 0;
	case MSR_MTRRdefType:
		*data = a->mtrr_def_type;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = a->ucode_rev;
		return 0;
	}
	slot = kvmm_mtrr_slot(index);
	if (slot >= 0) {
		*data = a->mtrr[slot];
		return 0;
	}
	return kvmm_ops->get_msr(vcpu, index, data);
}

int kvmm_x86_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
		     bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int slot, r;

	if (kvmm_lapic_msr(vcpu, index))
		return kvmm_lapic_msr_write(vcpu, index, data);
	if (index == MSR_IA32_TSC_DEADLINE)
		return 0;	/* no in-kernel LAPIC: kvmm_x86_get_msr() */
	r = kvmm_set_msr_ext(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_pv_set_msr(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_tsc_set_msr(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_mce_set_msr(vcpu, index, data, host);
	if (r == -ENOENT)
		r = kvmm_x86_model_set_msr(vcpu, index, data, host);
	if (r != -ENOENT)
		return r;
	switch (index) {
	case MSR_EFER:
		if (data & ~kvmm_x86_efer_valid_bits())
			return 1;
		kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
		/* The guest may not flip LME with paging on (SDM 3A 10.8.5). */
		if (!host && (a->cr0 & X86_CR0_PG) &&
		    ((data ^ a->efer) & EFER_LME))
			return 1;
		/* LMA follows LME+PG; only userspace sets it directly. */
		if (!host)
			data = (data & ~EFER_LMA) | (a->efer & EFER_LMA);
		a->efer = data;
		kvmm_x86_mark_dirty(vcpu, KVMM_SG_CRS);
		return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!__is_canonical_address(data, 48))
			return 1;
		kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
		a->segs[index == MSR_FS_BASE ? KVMM_SEG_FS :
					       KVMM_SEG_GS].base = data;
		kvmm_x86_mark_dirty(vcpu, KVMM_SG_SEGS);
		return 0;
	case MSR_IA32_APICBASE:
		/*
		 * Without an in-kernel LAPIC this is a register, but one
		 * with KVM's rules (state_check.c), for the guest and for
		 * userspace alike.
		 */
		if (!kvmm_x86_valid_apic_base(vcpu, data))
			return 1;
		if (!a->apic) {
			a->apic_base = data;
			return 0;
		}
		/*
		 * The in-kernel LAPIC's mode changes as SDM 3A 11.12.5
		 * allows the guest: not from x2APIC straight to xAPIC, not
		 * from disabled straight to x2APIC (KVM's kvm_set_apic_base).
		 */
		if (!host && !kvmm_apic_base_transition_ok(a->apic_base, data))
			return 1;
		kvmm_lapic_set_base(vcpu, data);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		a->misc_enable = data;
		return 0;
	case MSR_MTRRdefType:
		a->mtrr_def_type = data;
		return 0;
	case MSR_IA32_UCODE_REV:
		/* The guest's writes (a microcode load) are ignored. */
		if (host)
			a->ucode_rev = data;
		return 0;
	case MSR_MTRRcap:
		return host ? 0 : 1;	/* read-only to the guest */
	}
	slot = kvmm_mtrr_slot(index);
	if (slot >= 0) {
		a->mtrr[slot] = data;
		return 0;
	}
	return kvmm_ops->set_msr(vcpu, index, data);
}

/* RDMSR/WRMSR exit, after the backend found the instruction length. */
int kvmm_x86_exit_msr(struct kvmm_vcpu *vcpu, bool write,
		      unsigned long next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	u32 index = r[KVMM_REG_RCX];
	u64 data;

	if (write) {
		data = (u32)r[KVMM_REG_RAX] | (r[KVMM_REG_RDX] << 32);
		if (kvmm_x86_set_msr(vcpu, index, data, false))
			return kvmm_x86_inject_gp(vcpu);
	} else {
		if (kvmm_x86_get_msr(vcpu, index, &data, false))
			return kvmm_x86_inject_gp(vcpu);
		r[KVMM_REG_RAX] = (u32)data;
		r[KVMM_REG_RDX] = data >> 32;
	}
	vcpu->arch.rip = next_rip;
	return 1;
}

/*
 * Copy @n indices to a struct kvm_msr_list (api.rst 4.3): the count is
 * always written back; E2BIG when userspace's nmsrs is smaller.
 */
static long kvmm_put_msr_list(void __user *arg, const u32 *indices, u32 n)
{
	struct kvm_msr_list __user *ulist = arg;
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, ulist, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(ulist, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	if (copy_to_user(ulist->indices, indices, n * sizeof(*indices)))
		return -EFAULT;
	return 0;
}

/* KVM_GET_MSR_INDEX_LIST (api.rst 4.3), a system ioctl. */
long kvmm_x86_get_msr_index_list(void __user *arg)
{
	u32 list[ARRAY_SIZE(kvmm_msrs)];
	u32 i, n = 0;

	for (i = 0; i < ARRAY_SIZE(kvmm_msrs); i++) {
		if (kvmm_msrs[i] == MSR_TSC_AUX &&
		    !kvmm_x86_tsc_aux_supported())
			continue;
		list[n++] = kvmm_msrs[i];
	}
	return kvmm_put_msr_list(arg, list, n);
}

/* KVM_GET_MSR_FEATURE_INDEX_LIST (api.rst 4.3), a system ioctl. */
long kvmm_x86_get_msr_feature_index_list(void __user *arg)
{
	u32 list[ARRAY_SIZE(kvmm_feature_msrs)];
	u32 i, n = 0;
	u64 data;

	for (i = 0; i < ARRAY_SIZE(kvmm_feature_msrs); i++)
		if (!kvmm_get_msr_feature(kvmm_feature_msrs[i], &data))
			list[n++] = kvmm_feature_msrs[i];
	return kvmm_put_msr_list(arg, list, n);
}

/*
 * KVM_GET_MSRS on /dev/kvm (api.rst 4.18): the values feature MSRs
 * offer.  As in KVM: fewer than 256 entries, read until the first index
 * that is no feature MSR (its data is set to 0), every entry written
 * back, and the number read returned.
 */
long kvmm_x86_get_feature_msrs(void __user *arg)
{
	struct kvm_msrs __user *umsrs = arg;
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	size_t size;
	long r;
	u32 i;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= 256)
		return -E2BIG;
	size = hdr.nmsrs * sizeof(*e);
	e = memdup_user(umsrs->entries, size);
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++)
		if (kvmm_get_msr_feature(e[i].index, &e[i].data))
			break;
	r = copy_to_user(umsrs->entries, e, size) ? -EFAULT : i;
	kfree(e);
	return r;
}

/*
 * KVM_GET_MSRS / KVM_SET_MSRS: process entries until one fails; return
 * how many succeeded.  Fewer than 256 entries per call, as KVM's
 * MAX_IO_MSRS.
 */
long kvmm_x86_vcpu_msrs(struct kvmm_vcpu *vcpu, void __user *arg, bool set)
{
	struct kvm_msrs __user *umsrs = arg;
	struct kvm_msr_entry __user *ue = umsrs->entries;
	struct kvm_msrs hdr;
	u32 i;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= 256)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		struct kvm_msr_entry e;

		if (copy_from_user(&e, &ue[i], sizeof(e)))
			return -EFAULT;
		if (set) {
			if (kvmm_x86_set_msr(vcpu, e.index, e.data, true))
				break;
		} else {
			if (kvmm_x86_get_msr(vcpu, e.index, &e.data, true))
				break;
			if (copy_to_user(&ue[i].data, &e.data, sizeof(e.data)))
				return -EFAULT;
		}
	}
	return i;
}
