/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the SVM backend. */
#ifndef _KVMM_SVM_H
#define _KVMM_SVM_H

#include <linux/types.h>

/*
 * CPUID Fn8000_000A EDX: optional SVM features (AMD APM vol. 3, appendix E.4.9
 * "Function 8000_000Ah - SVM Features").  Each is used only when present.
 */
enum svm_feature_bit {
	SVM_FEAT_NP		= 0,	/* nested paging */
	SVM_FEAT_LBRV		= 1,	/* LBR virtualization */
	SVM_FEAT_SVML		= 2,	/* SVM lock */
	SVM_FEAT_NRIPS		= 3,	/* next_rip saved on #VMEXIT */
	SVM_FEAT_TSC_RATE	= 4,	/* TSC ratio MSR */
	SVM_FEAT_VMCB_CLEAN	= 5,	/* VMCB clean bits */
	SVM_FEAT_FLUSH_ASID	= 6,	/* TLB_CONTROL flush by ASID */
	SVM_FEAT_DECODE_ASSISTS	= 7,	/* instruction bytes / decoded info */
	SVM_FEAT_PAUSE_FILTER	= 10,
	SVM_FEAT_PF_THRESHOLD	= 12,
	SVM_FEAT_AVIC		= 13,
	SVM_FEAT_VMSAVE_VIRT	= 15,
	SVM_FEAT_VGIF		= 16,
	SVM_FEAT_NR		= 32,
};

struct svm_caps {
	u32 revision;		/* Fn8000_000A EAX[7:0] */
	u32 nr_asids;		/* Fn8000_000A EBX */
	u32 features;		/* Fn8000_000A EDX */
};

extern struct svm_caps svm_caps;

static inline bool svm_has(enum svm_feature_bit bit)
{
	return svm_caps.features & (1u << bit);
}

int svm_probe(const char **why);
int svm_hardware_setup(void);
void svm_hardware_unsetup(void);
int svm_hardware_enable(void);
void svm_hardware_disable(void);
void svm_report(void);

#endif /* _KVMM_SVM_H */
