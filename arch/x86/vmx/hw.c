// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX: detection and VMXON/VMXOFF on a CPU.
 *
 * Intel SDM vol. 3C, 24.7 "Enabling and Entering VMX Operation": VMXON
 * needs CR4.VMXE, IA32_FEATURE_CONTROL locked with "VMX outside SMX"
 * enabled (Linux's feat_ctl code arranges that at boot, or clears the VMX
 * feature when firmware locked it off), and a 4-KiB aligned VMXON region
 * whose first word holds the VMCS revision identifier of IA32_VMX_BASIC.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>
#include <asm/virtext.h>

#include <kvmm/kvmm.h>
#include <kvmm/backend.h>
#include "vmx.h"

struct vmx_caps vmx_caps;

static DEFINE_PER_CPU(struct page *, vmxon_region);
static bool vmx_emergency_registered;

int vmx_probe(const char **why)
{
	u64 basic, msr;
	u32 memtype;

	if (!cpu_has_vmx()) {
		*why = "not available";
		return -ENODEV;
	}
	/*
	 * The kernel clears X86_FEATURE_VMX when firmware locked
	 * IA32_FEATURE_CONTROL without VMX (arch/x86/kernel/cpu/feat_ctl.c).
	 */
	if (!boot_cpu_has(X86_FEATURE_VMX) ||
	    !boot_cpu_has(X86_FEATURE_MSR_IA32_FEAT_CTL)) {
		*why = "disabled by firmware (IA32_FEATURE_CONTROL)";
		return -ENODEV;
	}
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &msr) ||
	    !(msr & FEAT_CTL_LOCKED) ||
	    !(msr & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		*why = "disabled by firmware (IA32_FEATURE_CONTROL)";
		return -ENODEV;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_caps.revision = basic & VMX_BASIC_REVISION_MASK;
	vmx_caps.region_size = (basic & VMX_BASIC_REGION_SIZE_MASK) >>
			       VMX_BASIC_REGION_SIZE_SHIFT;
	memtype = (basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT;
	/* A.1: regions are at most 4 KiB; kvmm maps them write-back. */
	if (vmx_caps.region_size > PAGE_SIZE ||
	    (basic & VMX_BASIC_32BIT_PA_ONLY) ||
	    memtype != VMX_BASIC_MEMTYPE_WB) {
		*why = "unsupported IA32_VMX_BASIC";
		return -ENODEV;
	}

	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, msr);
	if ((msr >> 32) & VMX_PROC_ACTIVATE_SECONDARY) {
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, msr);
		vmx_caps.secondary = msr >> 32;
	}
	if (vmx_has_secondary(VMX_SEC_EPT) || vmx_has_secondary(VMX_SEC_VPID))
		rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_caps.ept_vpid);
	return 0;
}

/*
 * Crash, emergency restart or NMI shootdown: the kernel calls this on every
 * CPU in NMI context.  INIT is blocked in VMX root operation, so leave it
 * or a kdump kernel cannot bring up the other CPUs.  Lock-free by design.
 */
static void vmx_emergency_disable(void)
{
	__cpu_emergency_vmxoff();
}

int vmx_hardware_setup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = kvmm_alloc_page(GFP_KERNEL);

		if (!page) {
			vmx_hardware_unsetup();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmxon_region, cpu) = page;
	}
	/* The slot is free: kvmm owns the KVM hotplug state by now. */
	cpu_emergency_register_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = true;
	return 0;
}

void vmx_hardware_unsetup(void)
{
	int cpu;

	if (vmx_emergency_registered)
		cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = false;
	for_each_possible_cpu(cpu) {
		kvmm_free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static int vmx_vmxon(u64 pa)
{
	/* VMfailInvalid sets CF, VMfailValid sets ZF (SDM 3C 31.2). */
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

int vmx_hardware_enable(void)
{
	u64 pa = page_to_phys(this_cpu_read(vmxon_region));
	int err;

	/*
	 * kvmm sets CR4.VMXE only through here and tracks it per CPU, so a
	 * set bit means another hypervisor is in VMX operation here.
	 */
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;

	/* Intel PT must not trace with VMXON (SDM 3C 33.6). */
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	err = vmx_vmxon(pa);
	if (err) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
	}
	return err;
}

void vmx_hardware_disable(void)
{
	if (!cpu_vmx_enabled())
		return;
	/* Clears CR4.VMXE even when VMXOFF faults. */
	cpu_vmxoff();
	intel_pt_handle_vmx(0);
}

static const char *const vmx_secondary_names[VMX_SEC_NR] = {
	[VMX_SEC_VIRT_APIC_ACCESS]	= "flexpriority",
	[VMX_SEC_EPT]			= "ept",
	[VMX_SEC_VPID]			= "vpid",
	[VMX_SEC_UNRESTRICTED_GUEST]	= "unrestricted_guest",
	[VMX_SEC_APIC_REG_VIRT]		= "apic_register_virt",
	[VMX_SEC_VIRT_INTR_DELIVERY]	= "posted_intr_delivery",
	[VMX_SEC_PAUSE_LOOP_EXIT]	= "ple",
	[VMX_SEC_VMCS_SHADOW]		= "vmcs_shadow",
	[VMX_SEC_PML]			= "pml",
	[VMX_SEC_TSC_SCALING]		= "tsc_scaling",
};

void vmx_report(void)
{
	char buf[256];

	pr_info("Intel VMX revision %#x, features:%s\n", vmx_caps.revision,
		kvmm_feature_list(buf, sizeof(buf), vmx_secondary_names,
				  VMX_SEC_NR, vmx_caps.secondary));
}
