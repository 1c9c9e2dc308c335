// SPDX-License-Identifier: GPL-2.0
/*
 * SVM VMs and vCPUs: ASIDs, the VMCB and the guest state it carries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "svm.h"
#include "vmcb.h"

/*
 * ASIDs are per VM.  A vCPU flushes its ASID whenever it enters on a CPU
 * where another vCPU entered last (run.c), so an ASID shared by two VMs,
 * when more VMs exist than the CPU has ASIDs, is still correct; and
 * whenever it enters on a CPU other than its last (arch/x86/run.c).
 */
#define SVM_MAX_ASIDS	4096
static DEFINE_SPINLOCK(svm_asid_lock);
static DECLARE_BITMAP(svm_asid_used, SVM_MAX_ASIDS);

static u32 svm_asid_alloc(void)
{
	u32 limit = min_t(u32, svm_caps.nr_asids, SVM_MAX_ASIDS);
	unsigned long asid;

	spin_lock(&svm_asid_lock);
	/* ASID 0 is the host's (APM 15.16). */
	asid = find_next_zero_bit(svm_asid_used, limit, 1);
	if (asid < limit)
		__set_bit(asid, svm_asid_used);
	else
		asid = 1;	/* shared: see above */
	spin_unlock(&svm_asid_lock);
	return asid;
}

static void svm_asid_free(u32 asid)
{
	spin_lock(&svm_asid_lock);
	__clear_bit(asid, svm_asid_used);
	spin_unlock(&svm_asid_lock);
}

int svm_vm_init(struct kvmm_vm *vm)
{
	struct svm_vm *svm_vm = kvmm_zalloc(sizeof(*svm_vm), GFP_KERNEL_ACCOUNT);

	if (!svm_vm)
		return -ENOMEM;
	svm_vm->asid = svm_asid_alloc();
	vm->arch.backend = svm_vm;
	return 0;
}

void svm_vm_destroy(struct kvmm_vm *vm)
{
	struct svm_vm *svm_vm = vm->arch.backend;

	if (!svm_vm)
		return;
	svm_asid_free(svm_vm->asid);
	kvmm_free(svm_vm);
	vm->arch.backend = NULL;
}

/*
 * RDTSCP runs natively only when the guest's CPUID offers it (and its
 * TSC_AUX is switched); otherwise the intercept makes it #UD, as on a
 * CPU without it.  RDPID cannot be intercepted (APM 15.9): it always
 * reads the guest's TSC_AUX.
 */
static void svm_update_rdtscp_intercept(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (svm_tsc_aux_slot >= 0 && kvmm_x86_guest_has(vcpu, KVMM_GF_RDTSCP))
		vmcb_clr_intercept(vmcb, SVM_I_RDTSCP);
	else
		vmcb_set_intercept(vmcb, SVM_I_RDTSCP);
}

void svm_vcpu_after_set_cpuid(struct kvmm_vcpu *vcpu)
{
	svm_update_rdtscp_intercept(vcpu);
}

u32 svm_exception_intercepts(struct kvmm_vcpu *vcpu)
{
	return READ_ONCE(to_svm(vcpu)->vmcb->control.intercepts[SVM_ICPT_EXCP]);
}

/* The guest PAT after reset (SDM 3A 11.12.4; APM 7.8.2). */
#define SVM_PAT_RESET	0x0007040600070406ULL

/* Control area: what exits, and the fixed parts of entry. */
void svm_init_vmcb(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vm *svm_vm = vcpu->vm->arch.backend;
	struct vmcb *vmcb = svm->vmcb;
	static const u16 intercepts[] = {
		SVM_I_CR8_WRITE, SVM_I_INTR, SVM_I_NMI, SVM_I_SMI, SVM_I_CPUID, SVM_I_HLT,
		SVM_I_INVD, SVM_I_IOIO, SVM_I_MSR, SVM_I_SHUTDOWN,
		SVM_I_TASK_SWITCH, SVM_I_INVLPGA, SVM_I_RSM,
		SVM_I_VMRUN, SVM_I_VMMCALL, SVM_I_VMLOAD, SVM_I_VMSAVE,
		SVM_I_STGI, SVM_I_CLGI, SVM_I_SKINIT, SVM_I_WBINVD,
		SVM_I_MONITOR, SVM_I_MWAIT, SVM_I_XSETBV, SVM_I_RDPMC,
		SVM_I_EXCP(X86_TRAP_DB), SVM_I_EXCP(X86_TRAP_AC),
		SVM_I_EXCP(X86_TRAP_MC),
	};
	unsigned int i;

	memset(vmcb, 0, sizeof(*vmcb));
	/*
	 * VMRUN must be intercepted (APM 15.5.1 consistency checks);
	 * INVD/WBINVD/XSETBV would act on the host; the SVM instructions
	 * are not offered to guests.  RDPMC and RDPRU would read the host's
	 * counters: the guest has no PMU (#GP) and no RDPRU (#UD).  A CR8
	 * write exits so that userspace's LAPIC hears of a lowered TPR
	 * (KVM_EXIT_SET_TPR); reads come from V_TPR, loaded at each entry.
	 *
	 * Exceptions (15.12): #DB and #AC exit so that no guest can make
	 * the CPU deliver them to itself forever without an exit, the
	 * CVE-2015-8104 and CVE-2015-5307 loops (a #DB or #AC raised by
	 * the delivery of the previous one); #MC exits so that the host's
	 * handler sees the machine check.  Documentation/backend.rst
	 * argues why no other exception needs it.
	 */
	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		vmcb_set_intercept(vmcb, intercepts[i]);
	if (svm_caps.rdpru)
		vmcb_set_intercept(vmcb, SVM_I_RDPRU);
	/* KVM_CAP_X86_DISABLE_EXITS (arch/x86/vm.c): HLT stays in the guest. */
	if (READ_ONCE(vcpu->vm->arch.hlt_in_guest))
		vmcb_clr_intercept(vmcb, SVM_I_HLT);

	vmcb->control.iopm_base_pa = svm_iopm_pa;
	vmcb->control.msrpm_base_pa = svm_msrpm_pa;
	vmcb->control.asid = svm_vm->asid;
	/* Host EFLAGS.IF governs physical interrupts while the guest runs. */
	vmcb->control.int_ctl = SVM_INT_CTL_V_INTR_MASKING;
	vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	vmcb->save.g_pat = SVM_PAT_RESET;
	/* The TSC is not reset by a shutdown's fresh VMCB (tsc.c keeps it). */
	vmcb->control.tsc_offset = vcpu->arch.tsc_offset;
	/*
	 * Guest debug registers are emulated (every DR access exits), so
	 * the hardware ones stay disabled: no host DR0-3 address can fire
	 * in the guest.
	 */
	vmcb->control.intercepts[SVM_ICPT_DR] = 0xffffffff;
	vmcb->save.dr6 = 0xffff0ff0;
	vmcb->save.dr7 = 0x400;
	svm_update_rdtscp_intercept(vcpu);
	svm->flush_tlb = true;
	svm->nmi_masked = false;
	svm->nmi_iret_seen = false;
	svm->nmi_singlestep = false;
	svm->nmi_singlestep_exit = false;
}

int svm_vcpu_create(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kvmm_zalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!page) {
		kvmm_free(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	vcpu->arch.backend = svm;
	svm_init_vmcb(vcpu);
	return 0;
}

void svm_vcpu_free(struct kvmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	kvmm_free_page(virt_to_page(svm->vmcb));
	kvmm_free(svm);
	vcpu->arch.backend = NULL;
}

/*
 * Segment attributes: the VMCB packs descriptor bits 40-47 and 52-55 into
 * 12 bits (APM 15.5.1, "Segment state in the VMCB").
 */
static void seg_from_vmcb(struct kvm_segment *s, const struct vmcb_seg *v)
{
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->type = v->attrib & 0xf;
	s->s = (v->attrib >> 4) & 1;
	s->dpl = (v->attrib >> 5) & 3;
	s->present = (v->attrib >> 7) & 1;
	s->avl = (v->attrib >> 8) & 1;
	s->l = (v->attrib >> 9) & 1;
	s->db = (v->attrib >> 10) & 1;
	s->g = (v->attrib >> 11) & 1;
	s->unusable = !s->present;
	s->padding = 0;
}

static void seg_to_vmcb(struct vmcb_seg *v, const struct kvm_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	if (s->unusable) {
		v->attrib = 0;
		return;
	}
	v->attrib = (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
		    (s->present & 1) << 7 | (s->avl & 1) << 8 |
		    (s->l & 1) << 9 | (s->db & 1) << 10 | (s->g & 1) << 11;
}

static struct vmcb_seg *vmcb_segs(struct vmcb *vmcb, int seg)
{
	switch (seg) {
	case KVMM_SEG_ES: return &vmcb->save.es;
	case KVMM_SEG_CS: return &vmcb->save.cs;
	case KVMM_SEG_SS: return &vmcb->save.ss;
	case KVMM_SEG_DS: return &vmcb->save.ds;
	case KVMM_SEG_FS: return &vmcb->save.fs;
	case KVMM_SEG_GS: return &vmcb->save.gs;
	case KVMM_SEG_TR: return &vmcb->save.tr;
	default: return &vmcb->save.ldtr;
	}
}

void svm_cache_state(struct kvmm_vcpu *vcpu, enum kvmm_state_group group)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int i;

	switch (group) {
	case KVMM_SG_SEGS:
		for (i = 0; i < KVMM_SEG_NR; i++)
			seg_from_vmcb(&a->segs[i], vmcb_segs(vmcb, i));
		a->gdt.base = vmcb->save.gdtr.base;
		a->gdt.limit = vmcb->save.gdtr.limit;
		a->idt.base = vmcb->save.idtr.base;
		a->idt.limit = vmcb->save.idtr.limit;
		break;
	case KVMM_SG_CRS:
		a->cr0 = vmcb->save.cr0;
		a->cr2 = vmcb->save.cr2;
		a->cr3 = vmcb->save.cr3;
		a->cr4 = vmcb->save.cr4;
		/* EFER.SVME is the host's business (APM 15.5.1). */
		a->efer = vmcb->save.efer & ~EFER_SVME;
		break;
	case KVMM_SG_DRS:
		/* Kept by the core: every DR access exits (svm_exit_dr). */
		break;
	default:
		break;
	}
	a->sg_valid |= BIT(group);
}

/* Write the dirty state groups into the VMCB before VMRUN. */
void svm_flush_dirty(struct kvmm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int i;

	if (a->sg_dirty & BIT(KVMM_SG_SEGS)) {
		if (!(a->sg_valid & BIT(KVMM_SG_CRS)))
			svm_cache_state(vcpu, KVMM_SG_CRS);
		for (i = 0; i < KVMM_SEG_NR; i++)
			seg_to_vmcb(vmcb_segs(vmcb, i), &a->segs[i]);
		vmcb->save.gdtr.base = a->gdt.base;
		vmcb->save.gdtr.limit = a->gdt.limit;
		vmcb->save.idtr.base = a->idt.base;
		vmcb->save.idtr.limit = a->idt.limit;
		/* CPL is SS.DPL in protected mode, 0 in real mode (15.5.1). */
		vmcb->save.cpl = (a->cr0 & X86_CR0_PE) ?
				 a->segs[KVMM_SEG_SS].dpl : 0;
	}
	if (a->sg_dirty & BIT(KVMM_SG_CRS)) {
		vmcb->save.cr0 = a->cr0;
		vmcb->save.cr2 = a->cr2;
		vmcb->save.cr3 = a->cr3;
		vmcb->save.cr4 = a->cr4;
		vmcb->save.efer = a->efer | EFER_SVME;
		/* A CR3 or paging-mode change: flush this ASID. */
		to_svm(vcpu)->flush_tlb = true;
	}
	a->sg_dirty = 0;
}

void svm_flush_tlb(struct kvmm_vcpu *vcpu)
{
	to_svm(vcpu)->flush_tlb = true;
}

/* A PAT entry must name a defined memory type (SDM 3A 12.12.2). */
static bool svm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = (pat >> (8 * i)) & 0xff;

		if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7)
			return false;
	}
	return true;
}

/* MSRs the VMCB holds (VMLOAD/VMSAVE state, PAT). */
int svm_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (index) {
	case MSR_STAR:			*data = vmcb->save.star; break;
	case MSR_LSTAR:			*data = vmcb->save.lstar; break;
	case MSR_CSTAR:			*data = vmcb->save.cstar; break;
	case MSR_SYSCALL_MASK:		*data = vmcb->save.sfmask; break;
	case MSR_KERNEL_GS_BASE:	*data = vmcb->save.kernel_gs_base; break;
	case MSR_IA32_SYSENTER_CS:	*data = vmcb->save.sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP:	*data = vmcb->save.sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP:	*data = vmcb->save.sysenter_eip; break;
	case MSR_IA32_CR_PAT:		*data = vmcb->save.g_pat; break;
	default:
		return 1;
	}
	return 0;
}

int svm_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (index) {
	case MSR_STAR:			vmcb->save.star = data; break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		if (!__is_canonical_address(data, 48))
			return 1;
		if (index == MSR_LSTAR)
			vmcb->save.lstar = data;
		else if (index == MSR_CSTAR)
			vmcb->save.cstar = data;
		else
			vmcb->save.kernel_gs_base = data;
		break;
	case MSR_SYSCALL_MASK:		vmcb->save.sfmask = data; break;
	case MSR_IA32_SYSENTER_CS:	vmcb->save.sysenter_cs = data; break;
	case MSR_IA32_SYSENTER_ESP:	vmcb->save.sysenter_esp = data; break;
	case MSR_IA32_SYSENTER_EIP:	vmcb->save.sysenter_eip = data; break;
	case MSR_IA32_CR_PAT:
		if (!svm_pat_valid(data))
			return 1;
		vmcb->save.g_pat = data;
		break;
	default:
		return 1;
	}
	return 0;
}

/* APM 15.30.1: RDTSC, RDTSCP and RDMSR(TSC) in the guest add this. */
void svm_write_tsc_offset(struct kvmm_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}
