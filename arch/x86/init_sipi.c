// SPDX-License-Identifier: GPL-2.0
/*
 * INIT and SIPI with an in-kernel LAPIC (SDM 3A 8.4, 10.6.1 and 9.1;
 * APM 2 16.5): the multiprocessor start-up of an AP, and the INIT that
 * any vCPU can receive later.
 *
 * The sender (another vCPU's ICR write, in lapic.c) only records the
 * signal in the target's vcpu->arch.init_sipi and kicks it; the target
 * takes it on its own thread, outside the guest, where its state is its
 * own (kvmm_x86_accept_init_sipi(), from the run loop, from
 * KVM_GET_MP_STATE and from a blocked vCPU's wakeup):
 *
 *   INIT  the vCPU goes to the INIT state (kvmm_x86_init_reset()); the
 *         BSP (APIC base MSR bit 8) runs again at the reset vector, an
 *         AP waits for a SIPI: KVM_MP_STATE_INIT_RECEIVED, where KVM_RUN
 *         blocks in the kernel (wait-for-SIPI).
 *   SIPI  only in wait-for-SIPI (dropped otherwise, SDM 3A 8.4.4.1):
 *         CS.selector = vector << 8, CS.base = vector << 12, IP = 0, and
 *         the vCPU becomes runnable.
 *
 * Ordering: the sender writes sipi_vector before setting its bit; the
 * receiver's test_and_clear_bit() is a full barrier, so the vector it
 * reads afterwards is at least as new as the bit.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <asm/msr-index.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

/*
 * Send INIT to @vcpu (lapic.c: an INIT IPI, or LINT programmed for INIT).
 * Any context, including hard interrupts.
 */
void kvmm_x86_deliver_init(struct kvmm_vcpu *vcpu)
{
	set_bit(KVMM_INIT_PENDING, &vcpu->arch.init_sipi);
	kvmm_make_request(vcpu, KVMM_REQ_APIC_INIT);
	kvmm_vcpu_kick(vcpu);
}

/* Send a start-up IPI with @vector to @vcpu.  Any context. */
void kvmm_x86_deliver_sipi(struct kvmm_vcpu *vcpu, u8 vector)
{
	WRITE_ONCE(vcpu->arch.sipi_vector, vector);
	/* The vector before the bit: see the ordering note above. */
	smp_wmb();
	set_bit(KVMM_SIPI_PENDING, &vcpu->arch.init_sipi);
	kvmm_make_request(vcpu, KVMM_REQ_APIC_INIT);
	kvmm_vcpu_kick(vcpu);
}

bool kvmm_x86_init_sipi_pending(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.apic && READ_ONCE(vcpu->arch.init_sipi);
}

/*
 * The INIT state (SDM 3A 9.1.1 table 9-1, "INIT" column), as KVM makes
 * it: the RESET state for registers, segments, control and debug
 * registers and pending events, but CR0.CD/NW, the x87/SSE/AVX state,
 * XCR0, the APIC base, the MTRRs and the other MSRs keep their values.
 * EDX holds the processor signature (CPUID 1.EAX; 0x600 without CPUID).
 * The guest's TLB is flushed (the SDM asks it; APM 2 16.5 leaves it
 * open, KVM flushes on both).
 */
void kvmm_x86_init_reset(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u64 mtrr[ARRAY_SIZE(a->mtrr)];
	u64 apic_base = a->apic_base, misc_enable = a->misc_enable;
	u64 mtrr_def_type = a->mtrr_def_type, xcr0 = a->xcr0;
	u32 pkru = a->pkru, eax, ebx, ecx, edx;
	u64 cache_bits;

	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	cache_bits = a->cr0 & (X86_CR0_CD | X86_CR0_NW);
	memcpy(mtrr, a->mtrr, sizeof(mtrr));

	kvmm_x86_vcpu_reset(vcpu);

	a->cr0 = X86_CR0_ET | cache_bits;
	a->apic_base = apic_base;
	a->misc_enable = misc_enable;
	a->mtrr_def_type = mtrr_def_type;
	memcpy(a->mtrr, mtrr, sizeof(mtrr));
	a->xcr0 = xcr0;
	a->pkru = pkru;
	kvmm_x86_cpuid(vcpu, 1, 0, &eax, &ebx, &ecx, &edx);
	if (eax)
		a->regs[KVMM_REG_RDX] = eax;

	/* State the backend keeps: NMI blocking and the interrupt shadow. */
	kvmm_ops->set_nmi_mask(vcpu, false);
	kvmm_ops->set_interrupt_shadow(vcpu, 0);
	kvmm_ops->flush_tlb(vcpu);
	if (a->apic)
		kvmm_lapic_reset(vcpu, true);
}

/* The real-mode start of a SIPI (SDM 3A 8.4.4.1 and 10.6.1). */
static void kvmm_x86_sipi_start(struct kvmm_vcpu *vcpu, u8 vector)
{
	struct kvm_segment *cs = &vcpu->arch.segs[KVMM_SEG_CS];

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	cs->selector = (u16)vector << 8;
	cs->base = (u64)vector << 12;
	kvmm_x86_mark_dirty(vcpu, KVMM_SG_SEGS);
	vcpu->arch.rip = 0;
}

/*
 * Take a pending INIT and SIPI, on the vCPU's thread outside the guest.
 * INIT first: an INIT and a SIPI sent back to back start the AP.
 */
void kvmm_x86_accept_init_sipi(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (!kvmm_x86_init_sipi_pending(vcpu))
		return;
	if (test_and_clear_bit(KVMM_INIT_PENDING, &a->init_sipi)) {
		kvmm_x86_init_reset(vcpu);
		if (a->apic_base & MSR_IA32_APICBASE_BSP)
			a->mp_state = KVM_MP_STATE_RUNNABLE;
		else
			a->mp_state = KVM_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(KVMM_SIPI_PENDING, &a->init_sipi) &&
	    a->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		kvmm_x86_sipi_start(vcpu, READ_ONCE(a->sipi_vector));
		a->mp_state = KVM_MP_STATE_RUNNABLE;
	}
}
