/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the VMX backend. */
#ifndef _KVMM_VMX_H
#define _KVMM_VMX_H

#include <linux/bits.h>
#include <linux/types.h>

/* IA32_VMX_BASIC (Intel SDM vol. 3D, A.1 "Basic VMX Information"). */
#define VMX_BASIC_REVISION_MASK		GENMASK_ULL(30, 0)
#define VMX_BASIC_REGION_SIZE_SHIFT	32
#define VMX_BASIC_REGION_SIZE_MASK	GENMASK_ULL(44, 32)
#define VMX_BASIC_32BIT_PA_ONLY		BIT_ULL(48)
#define VMX_BASIC_MEMTYPE_SHIFT		50
#define VMX_BASIC_MEMTYPE_MASK		GENMASK_ULL(53, 50)
#define VMX_BASIC_MEMTYPE_WB		6

/*
 * Allowed-1 settings live in the high 32 bits of the capability MSRs
 * (SDM vol. 3D, A.3.2 and A.3.3).
 */
#define VMX_PROC_ACTIVATE_SECONDARY	BIT(31)	/* SDM 3C 25.6.2, table 25-6 */

/* Secondary processor-based controls (SDM vol. 3C 25.6.2, table 25-7). */
enum vmx_secondary_bit {
	VMX_SEC_VIRT_APIC_ACCESS	= 0,
	VMX_SEC_EPT			= 1,
	VMX_SEC_DESC_TABLE_EXIT		= 2,
	VMX_SEC_RDTSCP			= 3,
	VMX_SEC_VIRT_X2APIC		= 4,
	VMX_SEC_VPID			= 5,
	VMX_SEC_WBINVD_EXIT		= 6,
	VMX_SEC_UNRESTRICTED_GUEST	= 7,
	VMX_SEC_APIC_REG_VIRT		= 8,
	VMX_SEC_VIRT_INTR_DELIVERY	= 9,
	VMX_SEC_PAUSE_LOOP_EXIT		= 10,
	VMX_SEC_INVPCID			= 12,
	VMX_SEC_VMFUNC			= 13,
	VMX_SEC_VMCS_SHADOW		= 14,
	VMX_SEC_PML			= 17,
	VMX_SEC_XSAVES			= 20,
	VMX_SEC_TSC_SCALING		= 25,
	VMX_SEC_NR			= 32,
};

struct vmx_caps {
	u32 revision;		/* VMCS/VMXON region revision identifier */
	u32 region_size;	/* bytes, at most 4096 */
	u32 secondary;		/* allowed-1 secondary controls, 0 if none */
	u64 ept_vpid;		/* IA32_VMX_EPT_VPID_CAP, 0 if neither */
};

extern struct vmx_caps vmx_caps;

static inline bool vmx_has_secondary(enum vmx_secondary_bit bit)
{
	return vmx_caps.secondary & (1u << bit);
}

int vmx_probe(const char **why);
int vmx_hardware_setup(void);
void vmx_hardware_unsetup(void);
int vmx_hardware_enable(void);
void vmx_hardware_disable(void);
void vmx_report(void);

#endif /* _KVMM_VMX_H */
