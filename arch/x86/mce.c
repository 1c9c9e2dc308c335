// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's machine-check architecture (SDM 3B ch. 16; APM 2, 9.3):
 * KVM_CAP_MCE, KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE and
 * KVM_X86_SET_MCE (api.rst 4.100-4.102), and the MSRs behind them:
 * MCG_CAP, MCG_STATUS, MCG_CTL and per bank MCi_CTL, MCi_STATUS,
 * MCi_ADDR, MCi_MISC.
 *
 * The banks are registers only: no hardware error ever reaches them.
 * They exist because VMMs give guests MCE/MCA in CPUID (QEMU adds both
 * to every model, whatever KVM_GET_SUPPORTED_CPUID says) and then write
 * the whole bank set in every KVM_SET_MSRS batch, which must be taken
 * whole; and because userspace injects machine checks it learned of
 * (a poisoned page under guest memory) with KVM_X86_SET_MCE.
 *
 * Rules as in Linux 6.1 (x86.c set_msr_mce/get_msr_mce): a vCPU starts
 * with 32 banks and no MCG_CTL; KVM_X86_SETUP_MCE picks the bank count
 * and capabilities and sets every MCi_CTL (and MCG_CTL when present) to
 * all ones; MCi_CTL takes 0 or all ones (bits 10 and 0 may be clear, for
 * old guests); a guest may only clear an MCi_STATUS (AMD's McStatusWrEn
 * in HWCR, which would allow more, is not emulated).  CMCI (MCi_CTL2) is
 * not offered, as on AMD under KVM: userspace may read those MSRs and
 * write 0, the guest gets #GP.
 */
#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

/* MCG_CAP bits a vCPU may have besides the counts (KVM's on SVM). */
#define KVMM_MCG_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)
#define KVMM_MCG_CAP_COUNTS	(MCG_BANKCNT_MASK | MCG_EXT_CNT_MASK)

#define KVMM_MC_CTL_LAST	(MSR_IA32_MC0_CTL + 4 * KVMM_MAX_MCE_BANKS - 1)
#define KVMM_MC_CTL2_LAST	(MSR_IA32_MC0_CTL2 + KVMM_MAX_MCE_BANKS - 1)

static unsigned int kvmm_mce_nr_banks(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.mcg_cap & MCG_BANKCNT_MASK;
}

/* Before KVM_X86_SETUP_MCE: the most banks, nothing else (as KVM). */
void kvmm_x86_mce_vcpu_init(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	a->mcg_cap = KVMM_MAX_MCE_BANKS;
	a->mcg_status = 0;
	a->mcg_ctl = 0;
	memset(a->mce_banks, 0, sizeof(a->mce_banks));
}

/* KVM_X86_GET_MCE_CAP_SUPPORTED, a system ioctl. */
long kvmm_x86_get_mce_cap_supported(void __user *arg)
{
	u64 cap = KVMM_MCG_CAP_SUPPORTED;

	return copy_to_user(arg, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/* KVM_X86_SETUP_MCE: the vCPU's MCG_CAP, and the banks' reset values. */
long kvmm_x86_setup_mce(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	unsigned int nr, i;
	u64 cap;

	if (copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	nr = cap & MCG_BANKCNT_MASK;
	if (!nr || nr > KVMM_MAX_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(KVMM_MCG_CAP_SUPPORTED | KVMM_MCG_CAP_COUNTS))
		return -EINVAL;
	/*
	 * AMD reserves MCG_CAP bits 63:9 (APM 2, 9.3.1.1): on an AMD host
	 * (the SVM backend) the vCPU keeps only the bank count and
	 * MCG_CTL_P, as KVM's svm_setup_mce() does, though MCG_SER_P passes
	 * the check above.
	 */
	if (boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	    boot_cpu_data.x86_vendor == X86_VENDOR_HYGON)
		cap &= GENMASK_ULL(8, 0);
	a->mcg_cap = cap;
	if (cap & MCG_CTL_P)
		a->mcg_ctl = ~0ULL;
	for (i = 0; i < nr; i++)
		a->mce_banks[4 * i] = ~0ULL;
	return 0;
}

/*
 * Userspace's uncorrected error that needs no action (UCNA, SDM 3B
 * 16.9.3): logged in the bank, signalled by CMCI, which is not offered,
 * so nothing is delivered.
 */
static bool kvmm_mce_is_ucna(const struct kvm_x86_mce *m)
{
	return !m->mcg_status &&
	       !(m->status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR)) &&
	       (m->status & MCI_STATUS_VAL) && (m->status & MCI_STATUS_UC);
}

/*
 * KVM_X86_SET_MCE: log an error in a bank as the processor would, and
 * raise #MC for an uncorrected one (SDM 3B 16.3.2.2, 16.10).  A second
 * #MC while one is in progress, or with CR4.MCE clear, shuts the
 * processor down (SDM 3B 16.10.3): the next KVM_RUN returns
 * KVM_EXIT_SHUTDOWN.
 */
long kvmm_x86_set_mce(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	unsigned int nr = kvmm_mce_nr_banks(vcpu);
	struct kvm_x86_mce m;
	bool uc;
	u64 *b;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.bank >= nr || !(m.status & MCI_STATUS_VAL))
		return -EINVAL;
	b = &a->mce_banks[array_index_nospec(4 * m.bank, 4 * nr)];
	uc = m.status & MCI_STATUS_UC;

	if (kvmm_mce_is_ucna(&m)) {
		b[1] = m.status;
		b[2] = m.addr;
		b[3] = m.misc;
		a->mcg_status = m.mcg_status;
		return 0;
	}
	/* Reporting of uncorrected errors off globally or for the bank. */
	if (uc && (((a->mcg_cap & MCG_CTL_P) && a->mcg_ctl != ~0ULL) ||
		   b[0] != ~0ULL))
		return 0;
	if (uc) {
		kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
		if ((a->mcg_status & MCG_STATUS_MCIP) ||
		    !(a->cr4 & X86_CR4_MCE)) {
			a->triple_fault = true;
			return 0;
		}
		if (b[1] & MCI_STATUS_VAL)
			m.status |= MCI_STATUS_OVER;
		b[1] = m.status;
		b[2] = m.addr;
		b[3] = m.misc;
		a->mcg_status = m.mcg_status;
		kvmm_x86_queue_exception(vcpu, X86_TRAP_MC, false, 0);
		return 0;
	}
	/* A corrected error does not overwrite an uncorrected one. */
	if ((b[1] & MCI_STATUS_VAL) && (b[1] & MCI_STATUS_UC)) {
		b[1] |= MCI_STATUS_OVER;
		return 0;
	}
	if (b[1] & MCI_STATUS_VAL)
		m.status |= MCI_STATUS_OVER;
	b[1] = m.status;
	b[2] = m.addr;
	b[3] = m.misc;
	return 0;
}

/*
 * The slot in mce_banks[] of bank MSR @index (below the vCPU's bank
 * count), or -1.  The guest picks @index: clamped under speculation too.
 */
static int kvmm_mce_bank_slot(struct kvmm_vcpu *vcpu, u32 index)
{
	unsigned int n = 4 * kvmm_mce_nr_banks(vcpu);

	if (index < MSR_IA32_MC0_CTL || index - MSR_IA32_MC0_CTL >= n)
		return -1;
	return array_index_nospec(index - MSR_IA32_MC0_CTL, n);
}

/* Is @index one of the MSRs this file owns (whatever the bank count)? */
static bool kvmm_mce_msr(u32 index)
{
	return index == MSR_IA32_MCG_CAP || index == MSR_IA32_MCG_STATUS ||
	       index == MSR_IA32_MCG_CTL || index == MSR_IA32_P5_MC_ADDR ||
	       index == MSR_IA32_P5_MC_TYPE ||
	       (index >= MSR_IA32_MC0_CTL && index <= KVMM_MC_CTL_LAST) ||
	       (index >= MSR_IA32_MC0_CTL2 && index <= KVMM_MC_CTL2_LAST);
}

/*
 * Returns 0, 1 (#GP / entry refused) or -ENOENT when @index is no
 * machine-check MSR.  @host: KVM_GET_MSRS.
 */
int kvmm_x86_mce_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data,
			 bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int slot;

	if (!kvmm_mce_msr(index))
		return -ENOENT;
	switch (index) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		*data = 0;
		return 0;
	case MSR_IA32_MCG_CAP:
		*data = a->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = a->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(a->mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = a->mcg_ctl;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL2 && index <= KVMM_MC_CTL2_LAST) {
		/* No CMCI: userspace reads 0, the guest gets #GP. */
		if (index - MSR_IA32_MC0_CTL2 >= kvmm_mce_nr_banks(vcpu) ||
		    !host)
			return 1;
		*data = 0;
		return 0;
	}
	slot = kvmm_mce_bank_slot(vcpu, index);
	if (slot < 0)
		return 1;
	*data = a->mce_banks[slot];
	return 0;
}

int kvmm_x86_mce_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			 bool host)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int slot;

	if (!kvmm_mce_msr(index))
		return -ENOENT;
	switch (index) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
	case MSR_IA32_MCG_CAP:
		return 1;	/* read-only; KVM_X86_SETUP_MCE sets MCG_CAP */
	case MSR_IA32_MCG_STATUS:
		a->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(a->mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data && data != ~0ULL)
			return 1;
		a->mcg_ctl = data;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL2 && index <= KVMM_MC_CTL2_LAST)
		return index - MSR_IA32_MC0_CTL2 < kvmm_mce_nr_banks(vcpu) &&
		       host && !data ? 0 : 1;
	slot = kvmm_mce_bank_slot(vcpu, index);
	if (slot < 0)
		return 1;
	switch (slot % 4) {
	case 0:		/* MCi_CTL: 0 or all ones, bits 10 and 0 excepted */
		if (data && (data | BIT_ULL(10) | BIT_ULL(0)) != ~0ULL)
			return 1;
		break;
	case 1:		/* MCi_STATUS: the guest may only clear it */
		if (!host && data)
			return 1;
		break;
	}
	a->mce_banks[slot] = data;
	return 0;
}
