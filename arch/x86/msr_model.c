// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific MSRs a guest OS probes at boot although the virtual CPU
 * has none of the hardware behind them (an AMD guest's MTRR code reads
 * SYSCFG, its northbridge code NB_CFG, its errata code DC_CFG and
 * BU_CFG2, Intel guests PLATFORM_ID and the last-branch registers).
 *
 * A #GP there is a splat in the guest's log ("unchecked MSR access") or a
 * dead guest, so kvmm answers them as Linux KVM 6.1 does: each reads as a
 * fixed value, and each write is ignored, refused (#GP), or accepted only
 * when it changes nothing; HWCR and VM_HSAVE_PA keep what they may hold.
 * Nothing here reaches the host's MSRs.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

enum kvmm_model_write {
	KVMM_W_GP,		/* read-only: a write raises #GP */
	KVMM_W_IGNORE,		/* any value accepted and dropped */
	KVMM_W_ZERO_ONLY,	/* 0 accepted (a no-op), anything else #GP */
	KVMM_W_HWCR,		/* HWCR: only McStatusWrEn sticks */
	KVMM_W_HSAVE_PA,	/* VM_HSAVE_PA: a page address, kept */
};

/* Each reads as 0, except HWCR and VM_HSAVE_PA: what was stored. */
struct kvmm_model_msr {
	u32 index;
	u32 count;		/* consecutive MSRs from @index */
	enum kvmm_model_write write;
};

/* HWCR bits KVM accepts and forgets: they only tune a real core. */
#define HWCR_IGNORED	(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8))
#define HWCR_MCSTATUSWREN BIT_ULL(18)

static const struct kvmm_model_msr kvmm_model_msrs[] = {
	{ MSR_IA32_PLATFORM_ID,		1, KVMM_W_GP },
	{ MSR_IA32_EBL_CR_POWERON,	1, KVMM_W_GP },
	{ MSR_IA32_LASTBRANCHFROMIP,	1, KVMM_W_GP },
	{ MSR_IA32_LASTBRANCHTOIP,	1, KVMM_W_GP },
	{ MSR_IA32_LASTINTFROMIP,	1, KVMM_W_GP },
	{ MSR_IA32_LASTINTTOIP,		1, KVMM_W_GP },
	{ MSR_IA32_PERF_CTL,		1, KVMM_W_GP },
	{ MSR_AMD64_SYSCFG,		1, KVMM_W_GP },
	{ MSR_K8_TSEG_ADDR,		1, KVMM_W_GP },
	{ MSR_K8_TSEG_MASK,		1, KVMM_W_GP },
	{ MSR_K8_INT_PENDING_MSG,	1, KVMM_W_GP },
	{ MSR_AMD64_NB_CFG,		1, KVMM_W_IGNORE },
	/*
	 * No nested SVM is offered, yet Linux 6.1's kvm_amd keeps this
	 * register for every guest (svm.c, svm_set_msr()): a write reads back.
	 */
	{ MSR_VM_HSAVE_PA,		1, KVMM_W_HSAVE_PA },
	{ MSR_AMD64_BU_CFG2,		1, KVMM_W_IGNORE },
	{ MSR_AMD64_DC_CFG,		1, KVMM_W_IGNORE },
	{ MSR_AMD64_TW_CFG,		1, KVMM_W_IGNORE },
	{ MSR_F15H_EX_CFG,		1, KVMM_W_IGNORE },
	{ MSR_FAM10H_MMIO_CONF_BASE,	1, KVMM_W_ZERO_ONLY },
	{ MSR_K7_HWCR,			1, KVMM_W_HWCR },
	/* No PMU is offered: the legacy counters read 0, writes vanish. */
	{ MSR_K7_EVNTSEL0,		4, KVMM_W_IGNORE },
	{ MSR_K7_PERFCTR0,		4, KVMM_W_IGNORE },
	{ MSR_P6_PERFCTR0,		2, KVMM_W_IGNORE },
	{ MSR_P6_EVNTSEL0,		2, KVMM_W_IGNORE },
	/* Power reporting: nothing of the host's is shown. */
	{ MSR_RAPL_POWER_UNIT,		1, KVMM_W_GP },
	{ MSR_PKG_ENERGY_STATUS,	1, KVMM_W_GP },
	{ MSR_DRAM_ENERGY_STATUS,	1, KVMM_W_GP },
	{ MSR_PP0_ENERGY_STATUS,	1, KVMM_W_GP },
	{ MSR_PP1_ENERGY_STATUS,	1, KVMM_W_GP },
};

static const struct kvmm_model_msr *kvmm_model_msr(u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmm_model_msrs); i++) {
		const struct kvmm_model_msr *m = &kvmm_model_msrs[i];

		if (index >= m->index && index - m->index < m->count)
			return m;
	}
	return NULL;
}

/* 0 with *data set, or -ENOENT for an MSR that is not one of these. */
int kvmm_x86_model_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data)
{
	const struct kvmm_model_msr *m = kvmm_model_msr(index);

	if (!m)
		return -ENOENT;
	switch (m->write) {
	case KVMM_W_HWCR:
		*data = vcpu->arch.hwcr;
		break;
	case KVMM_W_HSAVE_PA:
		*data = vcpu->arch.vm_hsave_pa;
		break;
	default:
		*data = 0;
	}
	return 0;
}

/* 0, 1 for #GP (or a value userspace may not set), or -ENOENT. */
int kvmm_x86_model_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			   bool host)
{
	const struct kvmm_model_msr *m = kvmm_model_msr(index);

	if (!m)
		return -ENOENT;
	switch (m->write) {
	case KVMM_W_GP:
		/*
		 * Userspace too, even for 0: as in KVM, which takes a 0 only
		 * for MSRs of KVM_GET_MSR_INDEX_LIST, and these are not.
		 */
		return 1;
	case KVMM_W_IGNORE:
		return 0;
	case KVMM_W_ZERO_ONLY:
		return data ? 1 : 0;
	case KVMM_W_HWCR:
		data &= ~HWCR_IGNORED;
		if (data && data != HWCR_MCSTATUSWREN)
			return 1;
		vcpu->arch.hwcr = data;
		return 0;
	case KVMM_W_HSAVE_PA:
		/*
		 * APM 2 15.30.4: a 4 KiB-aligned physical address.  Only the
		 * guest is held to that: userspace restores what it saved.
		 */
		if (!host && (data & (~PAGE_MASK |
				     kvmm_x86_guest_rsvd_gpa_bits(vcpu))))
			return 1;
		vcpu->arch.vm_hsave_pa = data & PAGE_MASK;
		return 0;
	}
	return 1;
}
