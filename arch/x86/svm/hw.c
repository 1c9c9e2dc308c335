// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM: detection and turning SVM on and off on a CPU.
 *
 * AMD APM vol. 2, 15.4 "Enabling SVM": EFER.SVME enables the SVM
 * instructions; VM_CR.SVMDIS (set and possibly locked by firmware) forbids
 * setting it.  Before the first VMRUN, VM_HSAVE_PA must point at a
 * page-aligned area where the CPU saves host state (15.30.4).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/virtext.h>

#include <kvmm/kvmm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>
#include "svm.h"

struct svm_caps svm_caps;

/* The user-return slot holding the guest's TSC_AUX, or -1 (uret_msr.c). */
int svm_tsc_aux_slot = -1;

/*
 * Per possible CPU: the host save area VMRUN uses (VM_HSAVE_PA), and the
 * page the host's VMSAVE/VMLOAD state goes to around each VMRUN.
 */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);
static DEFINE_PER_CPU(struct page *, svm_host_vmsave_page);

/*
 * I/O and MSR permission maps (APM 15.10.1, 15.11): 12 KiB and 8 KiB,
 * physically contiguous; all ones, so every port and MSR access exits.
 * One copy serves every vCPU.
 */
#define SVM_IOPM_ORDER	2
#define SVM_MSRPM_ORDER	1
static struct page *svm_iopm, *svm_msrpm;
u64 svm_iopm_pa, svm_msrpm_pa;

unsigned long svm_host_save_pa(void)
{
	return page_to_phys(this_cpu_read(svm_host_vmsave_page));
}

const char *svm_guests_unsupported(void)
{
	if (!svm_has(SVM_FEAT_NP))
		return "this CPU has no NPT and shadow paging is not implemented yet";
	return NULL;
}

int svm_probe(const char **why)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (!cpu_has_svm(why))
		return -ENODEV;

	/* APM 15.30.1: VM_CR.SVMDIS set means firmware disabled SVM. */
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr) == 0 &&
	    (vm_cr & SVM_VM_CR_SVM_DIS_MASK)) {
		*why = "disabled by firmware (VM_CR.SVMDIS)";
		return -ENODEV;
	}

	cpuid(0x8000000a, &eax, &ebx, &ecx, &edx);
	svm_caps.revision = eax & 0xff;
	svm_caps.nr_asids = ebx;
	svm_caps.features = edx;
	/*
	 * RDPRU (Fn8000_0008 EBX[4], APM vol. 3) reads APERF/MPERF at any
	 * CPL; where the CPU has it, its intercept exists (table B-1).
	 */
	svm_caps.rdpru = cpuid_eax(0x80000000) >= 0x80000008 &&
			 (cpuid_ebx(0x80000008) & BIT(4));
	return 0;
}

int svm_hardware_setup(void)
{
	int cpu;

	svm_iopm = kvmm_alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	svm_msrpm = kvmm_alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		goto fail;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << SVM_IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << SVM_MSRPM_ORDER);
	svm_iopm_pa = page_to_phys(svm_iopm);
	svm_msrpm_pa = page_to_phys(svm_msrpm);

	for_each_possible_cpu(cpu) {
		per_cpu(svm_hsave_page, cpu) = kvmm_alloc_page(GFP_KERNEL);
		per_cpu(svm_host_vmsave_page, cpu) = kvmm_alloc_page(GFP_KERNEL);
		if (!per_cpu(svm_hsave_page, cpu) ||
		    !per_cpu(svm_host_vmsave_page, cpu))
			goto fail;
	}

	/*
	 * VMRUN does not switch TSC_AUX, and RDPID cannot be intercepted
	 * (RDTSCP can): the guest's value is loaded before VMRUN and the
	 * host's put back on return to user mode.  Without the MSR, RDTSCP
	 * and RDPID are not offered.
	 */
	svm_tsc_aux_slot = -1;
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID))
		svm_tsc_aux_slot = kvmm_uret_msr_add(MSR_TSC_AUX);
	if (svm_tsc_aux_slot < 0)
		svm_tsc_aux_slot = -1;
	return 0;
fail:
	svm_hardware_unsetup();
	return -ENOMEM;
}

void svm_hardware_unsetup(void)
{
	int cpu;

	svm_tsc_aux_slot = -1;	/* the core empties the table */

	for_each_possible_cpu(cpu) {
		kvmm_free_page(per_cpu(svm_hsave_page, cpu));
		kvmm_free_page(per_cpu(svm_host_vmsave_page, cpu));
		per_cpu(svm_hsave_page, cpu) = NULL;
		per_cpu(svm_host_vmsave_page, cpu) = NULL;
	}
	kvmm_free_pages(svm_iopm, SVM_IOPM_ORDER);
	kvmm_free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	svm_iopm = svm_msrpm = NULL;
}

int svm_hardware_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	/*
	 * kvmm turns SVME on only through here and tracks it per CPU, so a
	 * set bit means some other hypervisor is using SVM on this CPU.
	 */
	if (efer & EFER_SVME)
		return -EBUSY;

	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA,
	       page_to_phys(this_cpu_read(svm_hsave_page)));
	/* Let perf count host-only/guest-only events correctly. */
	amd_pmu_enable_virt();
	return 0;
}

void svm_hardware_disable(void)
{
	/* Clears VM_HSAVE_PA, forces GIF=1 and clears EFER.SVME. */
	cpu_svm_disable();
	amd_pmu_disable_virt();
}

/*
 * Vendor feature MSRs.  DE_CFG (AMD PPR "MSRC001_1029 Decode
 * Configuration"): bit 1 makes LFENCE dispatch-serializing.  The host
 * kernel sets it where it exists (X86_FEATURE_LFENCE_RDTSC), and VMRUN
 * leaves it alone, so it holds while the guest runs too.
 */
int svm_get_msr_feature(u32 index, u64 *data)
{
	switch (index) {
	case MSR_AMD64_DE_CFG:
		*data = boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ?
			MSR_AMD64_DE_CFG_LFENCE_SERIALIZE : 0;
		return 0;
	}
	return 1;
}

static const char *const svm_feature_names[SVM_FEAT_NR] = {
	[SVM_FEAT_NP]			= "npt",
	[SVM_FEAT_LBRV]			= "lbrv",
	[SVM_FEAT_SVML]			= "svm_lock",
	[SVM_FEAT_NRIPS]		= "nrip_save",
	[SVM_FEAT_TSC_RATE]		= "tsc_scale",
	[SVM_FEAT_VMCB_CLEAN]		= "vmcb_clean",
	[SVM_FEAT_FLUSH_ASID]		= "flush_by_asid",
	[SVM_FEAT_DECODE_ASSISTS]	= "decode_assists",
	[SVM_FEAT_PAUSE_FILTER]		= "pause_filter",
	[SVM_FEAT_PF_THRESHOLD]		= "pf_threshold",
	[SVM_FEAT_AVIC]			= "avic",
	[SVM_FEAT_VMSAVE_VIRT]		= "v_vmsave_vmload",
	[SVM_FEAT_VGIF]			= "vgif",
};

void svm_report(void)
{
	char buf[256];

	pr_info("AMD SVM revision %u, %u ASIDs, features:%s\n",
		svm_caps.revision, svm_caps.nr_asids,
		kvmm_feature_list(buf, sizeof(buf), svm_feature_names,
				  SVM_FEAT_NR, svm_caps.features));
}
