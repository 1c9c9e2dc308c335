// SPDX-License-Identifier: GPL-2.0
/*
 * x86 vCPU state: creation, reset and the cached state groups.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include <asm/msr-index.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

void kvmm_x86_cache_state(struct kvmm_vcpu *vcpu, enum kvmm_state_group g)
{
	if (!(vcpu->arch.sg_valid & BIT(g)))
		kvmm_ops->cache_state(vcpu, g);
}

void kvmm_x86_mark_dirty(struct kvmm_vcpu *vcpu, enum kvmm_state_group g)
{
	vcpu->arch.sg_valid |= BIT(g);
	vcpu->arch.sg_dirty |= BIT(g);
}

static void set_seg(struct kvm_segment *s, u16 sel, u64 base, u32 limit,
		    u8 type, u8 s_bit)
{
	*s = (struct kvm_segment) {
		.selector = sel, .base = base, .limit = limit,
		.type = type, .s = s_bit, .present = 1,
	};
}

/*
 * The state after RESET (Intel SDM vol. 3A, 9.1.1, table 9-1; AMD APM
 * vol. 2, 14.1.3), as KVM presents it: real mode, first fetch at
 * 0xfffffff0 (CS.base 0xffff0000 + IP 0xfff0), EDX = processor signature.
 */
void kvmm_x86_vcpu_reset(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int i;

	memset(a->regs, 0, sizeof(a->regs));
	a->regs[KVMM_REG_RDX] = 0x600;
	a->rip = 0xfff0;
	a->rflags = X86_EFLAGS_FIXED;

	set_seg(&a->segs[KVMM_SEG_CS], 0xf000, 0xffff0000, 0xffff, 0xb, 1);
	for (i = 0; i < KVMM_SEG_NR; i++) {
		if (i == KVMM_SEG_CS)
			continue;
		set_seg(&a->segs[i], 0, 0, 0xffff, 0x3, 1);
	}
	set_seg(&a->segs[KVMM_SEG_LDTR], 0, 0, 0xffff, 0x2, 0);
	set_seg(&a->segs[KVMM_SEG_TR], 0, 0, 0xffff, 0xb, 0);
	a->gdt = (struct kvm_dtable) { .base = 0, .limit = 0xffff };
	a->idt = (struct kvm_dtable) { .base = 0, .limit = 0xffff };

	a->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	a->cr2 = a->cr3 = a->cr4 = 0;
	a->efer = 0;
	memset(a->db, 0, sizeof(a->db));
	a->dr6 = 0xffff0ff0;	/* SDM 3B 17.2.3, bits reading as 1 */
	a->dr7 = 0x400;	/* SDM 3B 17.2.4, bit 10 reads as 1 */
	a->cr8 = 0;
	a->xcr0 = XFEATURE_MASK_FP;
	a->pkru = 0;
	a->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE;
	if (vcpu->vcpu_id == vcpu->vm->arch.bsp_vcpu_id)
		a->apic_base |= MSR_IA32_APICBASE_BSP;
	a->mp_state = KVM_MP_STATE_RUNNABLE;
	a->misc_enable = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
			 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
	a->mtrr_def_type = 0;
	memset(a->mtrr, 0, sizeof(a->mtrr));
	a->complete_userspace = NULL;
	memset(&a->exception, 0, sizeof(a->exception));
	memset(&a->interrupt, 0, sizeof(a->interrupt));
	memset(&a->nmi, 0, sizeof(a->nmi));
	atomic_set(&a->nmi_queued, 0);
	a->pending_extint = -1;
	a->irqchip_window = false;
	a->interrupt_shadow = 0;

	a->sg_valid = BIT(KVMM_SG_NR) - 1;
	a->sg_dirty = BIT(KVMM_SG_NR) - 1;
}

int kvmm_x86_vcpu_create(struct kvmm_vcpu *vcpu)
{
	struct page *pio;
	int r;

	pio = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!pio)
		return -ENOMEM;
	vcpu->arch.pio_data = page_address(pio);

	r = -ENOMEM;
	if (!fpu_alloc_guest_fpstate(&vcpu->arch.fpu))
		goto out_pio;

	r = kvmm_ops->vcpu_create(vcpu);
	if (r)
		goto out_fpu;
	kvmm_x86_vcpu_reset(vcpu);
	/*
	 * With an in-kernel irqchip an AP waits for INIT and SIPI from the
	 * start; KVM_RUN blocks until they come (KVM's
	 * kvm_arch_vcpu_create()).  KVM_CREATE_IRQCHIP is refused once
	 * vCPUs exist, so this is decided once.
	 */
	if (READ_ONCE(vcpu->vm->arch.irqchip) &&
	    vcpu->vcpu_id != vcpu->vm->arch.bsp_vcpu_id)
		vcpu->arch.mp_state = KVM_MP_STATE_UNINITIALIZED;
	kvmm_x86_msr_vcpu_init(vcpu);
	/*
	 * An in-kernel irqchip gives every vCPU a local APIC.  It exists
	 * before any vCPU (KVM_CREATE_IRQCHIP refuses once one is counted in
	 * created_vcpus, under vm->lock, as this one is), so nothing else
	 * needs one afterwards.
	 */
	if (vcpu->vm->arch.irqchip) {
		r = kvmm_lapic_create(vcpu);
		if (r)
			goto out_backend;
	}
	return 0;

out_backend:
	kvmm_ops->vcpu_free(vcpu);
out_fpu:
	fpu_free_guest_fpstate(&vcpu->arch.fpu);
out_pio:
	kvmm_free_page(pio);
	vcpu->arch.pio_data = NULL;
	return r;
}

void kvmm_x86_vcpu_destroy(struct kvmm_vcpu *vcpu)
{
	if (vcpu->arch.apic)
		kvmm_lapic_free(vcpu);
	kvmm_ops->vcpu_free(vcpu);
	kvmm_mmu_cache_free(&vcpu->arch.mmu_cache);
	fpu_free_guest_fpstate(&vcpu->arch.fpu);
	kvmm_free(vcpu->arch.cpuid);
	kvmm_free_page(virt_to_page(vcpu->arch.pio_data));
}
