/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the SVM backend. */
#ifndef _KVMM_SVM_H
#define _KVMM_SVM_H

#include <linux/types.h>

#include <kvmm/vm.h>

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
	bool rdpru;		/* Fn8000_0008 EBX[4]: RDPRU exists */
};

extern struct svm_caps svm_caps;

static inline bool svm_has(enum svm_feature_bit bit)
{
	return svm_caps.features & (1u << bit);
}

struct kvmm_vm;
struct kvmm_vcpu;
struct vmcb;

/* Per-VM SVM state. */
struct svm_vm {
	u32 asid;
};

/* Per-vCPU SVM state. */
struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	bool flush_tlb;		/* flush this ASID at the next VMRUN */

	/*
	 * NMI blocking, which SVM does not track for its guest (without
	 * vNMI): set when kvmm injects an NMI, cleared once the guest's
	 * IRET completed.  The IRET intercept fires before the IRET runs,
	 * so it only records where the IRET is; blocking ends at the first
	 * exit with RIP elsewhere.
	 */
	bool nmi_masked;
	bool nmi_iret_seen;
	unsigned long nmi_iret_rip;
	/*
	 * To exit after one guest instruction (an NMI waits for an IRET or
	 * an interrupt shadow to end), kvmm sets RFLAGS.TF and intercepts
	 * #DB; the guest's own TF and RF are kept here meanwhile.
	 */
	bool nmi_singlestep;
	unsigned long nmi_singlestep_flags;
	/* The last exit ended such a step: its single-step #DB is kvmm's. */
	bool nmi_singlestep_exit;
	/*
	 * What the last VMRUN was given, of the fields its consistency
	 * checks read (APM 15.5.1): a CPU that refuses it (VMEXIT_INVALID
	 * from hardware, after kvmm's own checks passed) may overwrite the
	 * save area, QEMU's TCG with the host's own state, so the refused
	 * values are only known from here (svm_handle_exit()).
	 */
	struct {
		u64 cr0, cr3, cr4, efer, dr6, dr7, rflags, rip, event_inj;
		u32 asid, int_ctl;
		u16 cs_attrib;
		/* kvmm's own checks refused it: VMRUN never ran. */
		bool refused_by_kvmm;
	} entry;
};

static inline struct svm_vcpu *to_svm(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.backend;
}

/* Physically contiguous all-ones maps: every port and MSR intercepted. */
extern u64 svm_iopm_pa, svm_msrpm_pa;
extern int svm_tsc_aux_slot;

void kvmm_svm_vcpu_run(unsigned long vmcb_pa, unsigned long *regs,
		       unsigned long host_save_pa);
unsigned long svm_host_save_pa(void);

int svm_vm_init(struct kvmm_vm *vm);
void svm_vm_destroy(struct kvmm_vm *vm);
int svm_vcpu_create(struct kvmm_vcpu *vcpu);
void svm_vcpu_free(struct kvmm_vcpu *vcpu);
void svm_init_vmcb(struct kvmm_vcpu *vcpu);
void svm_cache_state(struct kvmm_vcpu *vcpu, enum kvmm_state_group group);
void svm_flush_dirty(struct kvmm_vcpu *vcpu);
void svm_flush_tlb(struct kvmm_vcpu *vcpu);
int svm_vcpu_run(struct kvmm_vcpu *vcpu);
int svm_handle_exit(struct kvmm_vcpu *vcpu);
const char *svm_guests_unsupported(void);
void svm_inject_events(struct kvmm_vcpu *vcpu, bool irq_window);
void svm_clear_vintr(struct kvmm_vcpu *vcpu);
bool svm_interrupt_allowed(struct kvmm_vcpu *vcpu);
bool svm_nmi_allowed(struct kvmm_vcpu *vcpu);
bool svm_get_nmi_mask(struct kvmm_vcpu *vcpu);
void svm_set_nmi_mask(struct kvmm_vcpu *vcpu, bool masked);
void svm_set_interrupt_shadow(struct kvmm_vcpu *vcpu, u8 shadow);
void svm_complete_events(struct kvmm_vcpu *vcpu);
void svm_machine_check(void);

int svm_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data);
void svm_write_tsc_offset(struct kvmm_vcpu *vcpu, u64 offset);
int svm_get_msr_feature(u32 index, u64 *data);
void svm_vcpu_after_set_cpuid(struct kvmm_vcpu *vcpu);
u32 svm_exception_intercepts(struct kvmm_vcpu *vcpu);

int svm_probe(const char **why);
int svm_hardware_setup(void);
void svm_hardware_unsetup(void);
int svm_hardware_enable(void);
void svm_hardware_disable(void);
void svm_report(void);

#endif /* _KVMM_SVM_H */
