// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC of a vCPU (SDM 3A chapter 11 "Advanced
 * Programmable Interrupt Controller"), in KVM's model and ABI: xAPIC
 * registers in an MMIO page at the APIC base, x2APIC registers as MSRs
 * 0x800-0x8ff, IPIs through the ICR, fixed interrupts into IRR, their
 * acceptance into ISR by arch/x86/events.c, EOI, and the register page
 * userspace reads and writes with KVM_GET/SET_LAPIC.
 *
 * The register arithmetic is in lapic_regs.c, the timer in
 * lapic_timer.c; lapic.h says who may touch what, and
 * Documentation/irqchip.rst, "Local APIC", why.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/xarray.h>
#include <asm/msr-index.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#include "irqchip.h"
#include "lapic.h"

/* KVM's x2APIC ICR: bits that must be 0 (31:20, 17:16, 13). */
#define LAPIC_X2APIC_ICR_RSVD	(GENMASK_ULL(31, 20) | GENMASK_ULL(17, 16) | \
				 BIT_ULL(13))

/* Atomic bit @vec of the 256-bit register at @base: others write IRR/TMR. */
static unsigned long *lapic_vec_word(struct kvmm_lapic *apic, u32 base,
				     u8 vec)
{
	return (unsigned long *)((u8 *)apic->regs + base + (vec / 32) * 0x10);
}

static void lapic_vec_set(struct kvmm_lapic *apic, u32 base, u8 vec)
{
	set_bit(vec % 32, lapic_vec_word(apic, base, vec));
}

static void lapic_vec_clear(struct kvmm_lapic *apic, u32 base, u8 vec)
{
	clear_bit(vec % 32, lapic_vec_word(apic, base, vec));
}

static u32 apic_reg(const struct kvmm_lapic *apic, u32 off)
{
	return lapic_reg(apic->regs, off);
}

static void apic_set(struct kvmm_lapic *apic, u32 off, u32 val)
{
	lapic_set_reg(apic->regs, off, val);
}

bool kvmm_lapic_hw_enabled(const struct kvmm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->arch.apic_base) &
	       MSR_IA32_APICBASE_ENABLE;
}

bool kvmm_lapic_x2apic_mode(const struct kvmm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->arch.apic_base) & X2APIC_ENABLE;
}

static bool lapic_sw_enabled(const struct kvmm_lapic *apic)
{
	return apic_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static bool lapic_enabled(const struct kvmm_lapic *apic)
{
	return kvmm_lapic_hw_enabled(apic) && lapic_sw_enabled(apic);
}

bool kvmm_lapic_enabled(const struct kvmm_lapic *apic)
{
	return lapic_enabled(apic);
}

static struct kvmm_irqchip *lapic_irqchip(const struct kvmm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->vm->arch.irqchip);
}

/*
 * The version register (lapic_regs.h): directed EOI only with x2APIC in
 * the guest's CPUID and the IOAPIC in userspace.  Recomputed whenever it
 * may be read, since CPUID is usually set after the LAPIC exists.
 */
static void lapic_update_version(struct kvmm_lapic *apic)
{
	struct kvmm_irqchip *chip = lapic_irqchip(apic);
	u32 v = LAPIC_LVR_VALUE;

	if (kvmm_x86_guest_has(apic->vcpu, KVMM_GF_X2APIC) &&
	    (!chip || chip->split))
		v |= APIC_LVR_DIRECTED_EOI;
	apic_set(apic, APIC_LVR, v);
}

/*
 * PPR from TPR and ISR.  When it drops, an interrupt that it held back
 * may now be deliverable: events.c must look again.
 */
static void lapic_update_ppr(struct kvmm_lapic *apic)
{
	u32 old = apic_reg(apic, APIC_PROCPRI);
	u32 ppr = lapic_compute_ppr(apic_reg(apic, APIC_TASKPRI),
				    lapic_highest_vector(apic->regs, APIC_ISR));

	apic_set(apic, APIC_PROCPRI, ppr);
	if (ppr < old && lapic_deliverable_irr(apic->regs, ppr) >= 0)
		kvmm_make_request(apic->vcpu, KVMM_REQ_EVENT);
}

/* TPR, and CR8 (its bits 7:4, SDM 3A 11.8.6.1) mirrored for the backend. */
static void lapic_set_tpr(struct kvmm_lapic *apic, u32 tpr)
{
	apic_set(apic, APIC_TASKPRI, tpr & 0xff);
	apic->vcpu->arch.cr8 = (tpr & 0xff) >> 4;
	lapic_update_ppr(apic);
}

void kvmm_lapic_write_tpr(struct kvmm_lapic *apic, u32 tpr)
{
	lapic_set_tpr(apic, tpr);
}

int kvmm_lapic_accept_fixed(struct kvmm_lapic *apic, u8 vector, bool level)
{
	/* A software-disabled LAPIC drops fixed interrupts (SDM 3A 11.4.7.2). */
	if (!lapic_enabled(apic))
		return 0;
	/* TMR says which vectors need an EOI to the IOAPIC (11.8.4). */
	if (lapic_vec_test(apic->regs, APIC_TMR, vector) != level) {
		if (level)
			lapic_vec_set(apic, APIC_TMR, vector);
		else
			lapic_vec_clear(apic, APIC_TMR, vector);
	}
	lapic_vec_set(apic, APIC_IRR, vector);
	kvmm_make_request(apic->vcpu, KVMM_REQ_EVENT);
	kvmm_vcpu_kick(apic->vcpu);
	return 1;
}

/*
 * One message reaching one LAPIC (KVM's __apic_accept_irq); 1 if taken.
 * SMI and remote read are not modelled (KVM has no SMM here either).
 */
static int lapic_accept(struct kvmm_lapic *apic,
			const struct kvmm_apic_msg *msg)
{
	switch (msg->delivery_mode) {
	case APIC_DM_FIXED >> 8:
	case APIC_DM_LOWEST >> 8:
		/* A level message's de-assert carries nothing to a LAPIC. */
		if (msg->level && !msg->assert)
			return 0;
		return kvmm_lapic_accept_fixed(apic, msg->vector, msg->level);
	case APIC_DM_NMI >> 8:
		kvmm_x86_deliver_nmi(apic->vcpu);
		return 1;
	case APIC_DM_INIT >> 8:
		/* INIT level de-assert: only a bus synchronization (11.6.1). */
		if (msg->level && !msg->assert)
			return 0;
		kvmm_x86_deliver_init(apic->vcpu);
		return 1;
	case APIC_DM_STARTUP >> 8:
		kvmm_x86_deliver_sipi(apic->vcpu, msg->vector);
		return 1;
	}
	return 0;
}

/*
 * The destination as this target sees it.  KVM's broadcast quirk: with
 * no KVM_CAP_X2APIC_API, an interrupt that is not an IPI (IOAPIC, MSI)
 * sent to 0xff reaches x2APIC-mode LAPICs as their broadcast too, since
 * those sources cannot encode a 32-bit destination.
 */
static u32 lapic_mda(const struct kvmm_lapic *target,
		     const struct kvmm_lapic *src, u32 dest)
{
	struct kvmm_vm *vm = target->vcpu->vm;
	bool quirk = !READ_ONCE(vm->arch.x2apic_broadcast_quirk_disabled);

	if (quirk && !src && dest == LAPIC_XAPIC_BROADCAST &&
	    kvmm_lapic_x2apic_mode(target))
		return LAPIC_X2APIC_BROADCAST;
	return dest;
}

static bool lapic_match(struct kvmm_lapic *target, struct kvmm_lapic *src,
			const struct kvmm_apic_msg *msg)
{
	u32 mda;

	switch (msg->shorthand) {
	case APIC_DEST_SELF >> 18:
		return target == src;
	case APIC_DEST_ALLINC >> 18:
		return true;
	case APIC_DEST_ALLBUT >> 18:
		return target != src;
	}
	mda = lapic_mda(target, src, msg->dest);
	if (msg->logical)
		return lapic_match_logical(target->regs,
					   kvmm_lapic_x2apic_mode(target), mda);
	return lapic_match_physical(target->regs,
				    kvmm_lapic_x2apic_mode(target),
				    target->vcpu->vcpu_id, mda);
}

/* A LAPIC that can take part in a delivery: present and not disabled. */
static struct kvmm_lapic *lapic_of(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = READ_ONCE(vcpu->arch.apic);

	return apic && kvmm_lapic_hw_enabled(apic) ? apic : NULL;
}

/*
 * Lowest priority (SDM 3A 11.6.2.4) picks one of the LAPICs the
 * destination names.  Like KVM (its default "vector hashing"), kvmm
 * does not compare arbitration priorities but spreads vectors over the
 * software-enabled candidates: the (vector mod n)-th of them.
 */
static int lapic_deliver_lowest(struct kvmm_vm *vm, struct kvmm_lapic *src,
				const struct kvmm_apic_msg *msg)
{
	struct kvmm_lapic *apic, *first = NULL;
	struct kvmm_vcpu *vcpu;
	unsigned long i;
	unsigned int n = 0, k;

	xa_for_each(&vm->vcpus, i, vcpu) {
		apic = lapic_of(vcpu);
		if (apic && lapic_sw_enabled(apic) &&
		    lapic_match(apic, src, msg)) {
			if (!first)
				first = apic;
			n++;
		}
	}
	if (!first)
		return -1;
	k = msg->vector % n;
	xa_for_each(&vm->vcpus, i, vcpu) {
		apic = lapic_of(vcpu);
		if (apic && lapic_sw_enabled(apic) &&
		    lapic_match(apic, src, msg) && !k--)
			return lapic_accept(apic, msg);
	}
	/* The candidates changed between the walks: take the first. */
	return lapic_accept(first, msg);
}

int kvmm_apic_deliver(struct kvmm_vm *vm, struct kvmm_lapic *src,
		      const struct kvmm_apic_msg *msg)
{
	struct kvmm_apic_msg m = *msg;
	struct kvmm_vcpu *vcpu;
	unsigned long i;
	int r = -1;

	/* KVM: a physical broadcast cannot pick one; it goes to all. */
	if (m.delivery_mode == APIC_DM_LOWEST >> 8 && !m.logical &&
	    m.dest == LAPIC_XAPIC_BROADCAST)
		m.delivery_mode = APIC_DM_FIXED >> 8;
	if (m.delivery_mode == APIC_DM_LOWEST >> 8)
		return lapic_deliver_lowest(vm, src, &m);

	xa_for_each(&vm->vcpus, i, vcpu) {
		struct kvmm_lapic *apic = lapic_of(vcpu);

		if (!apic || !lapic_match(apic, src, &m))
			continue;
		if (r < 0)
			r = 0;
		r += lapic_accept(apic, &m);
	}
	return r;
}

/* Send what the ICR now holds (SDM 3A 11.6.1); no delay, never busy. */
static void lapic_send_ipi(struct kvmm_lapic *apic, u32 lo, u32 hi)
{
	struct kvmm_apic_msg msg;

	lapic_icr_decode(lo, hi, kvmm_lapic_x2apic_mode(apic), &msg);
	kvmm_apic_deliver(apic->vcpu->vm, apic, &msg);
}

/*
 * EOI (SDM 3A 11.8.5): retire the highest in-service vector and tell the
 * IOAPIC, with the vector's trigger mode (TMR): a level one clears its
 * remote IRR, and edge acks feed the ack notifiers (the PIT's
 * reinjection on pin 2).  Not a level one when the guest chose directed
 * EOI (SPIV bit 12): it writes the IOAPIC's EOI register itself.
 */
static void lapic_eoi(struct kvmm_lapic *apic)
{
	struct kvmm_irqchip *chip = lapic_irqchip(apic);
	int vec = lapic_highest_vector(apic->regs, APIC_ISR);
	bool level;

	if (vec < 0)
		return;
	lapic_vec_clear(apic, APIC_ISR, vec);
	lapic_update_ppr(apic);
	level = lapic_vec_test(apic->regs, APIC_TMR, vec);
	if (chip && !chip->split &&
	    !(level && (apic_reg(apic, APIC_SPIV) & APIC_SPIV_DIRECTED_EOI)))
		kvmm_ioapic_eoi(apic->vcpu->vm, vec, level);
	/*
	 * Split irqchip: userspace's IOAPIC hears of the EOI of a vector
	 * of its level-triggered routes through KVM_EXIT_IOAPIC_EOI,
	 * whatever TMR and directed EOI say (as KVM's
	 * kvm_ioapic_send_eoi()); the run loop exits before the next entry.
	 */
	if (chip && chip->split && kvmm_irqchip_eoi_exit(apic->vcpu, vec)) {
		apic->vcpu->arch.pending_ioapic_eoi = vec;
		kvmm_make_request(apic->vcpu, KVMM_REQ_IOAPIC_EOI_EXIT);
	}
	kvmm_make_request(apic->vcpu, KVMM_REQ_EVENT);
}

static void lapic_set_spiv(struct kvmm_lapic *apic, u32 val)
{
	u32 mask = LAPIC_SPIV_MASK;
	u32 off;

	lapic_update_version(apic);
	if (apic_reg(apic, APIC_LVR) & APIC_LVR_DIRECTED_EOI)
		mask |= APIC_SPIV_DIRECTED_EOI;
	apic_set(apic, APIC_SPIV, val & mask);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	/* Software disable masks every LVT (SDM 3A 11.4.7.2). */
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		apic_set(apic, off, apic_reg(apic, off) | APIC_LVT_MASKED);
	kvmm_lapic_timer_lvtt(apic);
}

static void lapic_set_lvt(struct kvmm_lapic *apic, u32 off, u32 val)
{
	u32 mask = lapic_lvt_mask(off);

	/* TSC-deadline mode only when the guest's CPUID offers it. */
	if (off == APIC_LVTT &&
	    !kvmm_x86_guest_has(apic->vcpu, KVMM_GF_TSC_DEADLINE))
		mask &= ~APIC_LVT_TIMER_TSCDEADLINE;
	if (!lapic_sw_enabled(apic))
		val |= APIC_LVT_MASKED;
	apic_set(apic, off, val & mask);
	if (off == APIC_LVTT)
		kvmm_lapic_timer_lvtt(apic);
}

/*
 * A 32-bit register write, from MMIO or an x2APIC MSR; 1 if the register
 * cannot be written in this mode (an MSR write then raises #GP; the MMIO
 * path drops the write).
 */
static int lapic_reg_write(struct kvmm_lapic *apic, u32 off, u32 val)
{
	bool x2apic = kvmm_lapic_x2apic_mode(apic);

	switch (off) {
	case APIC_ID:
		/* xAPIC: bits 31:24, writable; x2APIC: read-only. */
		if (x2apic)
			return 1;
		apic_set(apic, APIC_ID, val & 0xff000000);
		return 0;
	case APIC_TASKPRI:
		lapic_set_tpr(apic, val);
		return 0;
	case APIC_EOI:
		lapic_eoi(apic);
		return 0;
	case APIC_LDR:
		if (x2apic)
			return 1;
		apic_set(apic, APIC_LDR, val & APIC_LDR_MASK);
		return 0;
	case APIC_DFR:
		if (x2apic)
			return 1;
		/* Only the model, bits 31:28; the rest reads as 1s. */
		apic_set(apic, APIC_DFR, val | 0x0fffffff);
		return 0;
	case APIC_SPIV:
		lapic_set_spiv(apic, val);
		return 0;
	case APIC_ESR:
		/*
		 * kvmm raises no APIC errors, so ESR stays 0 (as in KVM);
		 * x2APIC takes only 0 here (SDM 3A 11.12.1.2).
		 */
		return x2apic && val;
	case APIC_ICR:
		if (x2apic)	/* the 64-bit MSR is handled by the caller */
			return 1;
		val &= ~APIC_ICR_BUSY;
		apic_set(apic, APIC_ICR, val);
		lapic_send_ipi(apic, val, apic_reg(apic, APIC_ICR2));
		return 0;
	case APIC_ICR2:
		if (x2apic)
			return 1;
		apic_set(apic, APIC_ICR2, val & 0xff000000);
		return 0;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
		lapic_set_lvt(apic, off, val);
		return 0;
	case APIC_TMICT:
		/* Ignored in TSC-deadline mode (SDM 3A 11.5.4.1). */
		if (apic->timer.mode != APIC_LVT_TIMER_TSCDEADLINE) {
			apic_set(apic, APIC_TMICT, val);
			kvmm_lapic_timer_start(apic, val);
		}
		return 0;
	case APIC_TDCR:
		apic_set(apic, APIC_TDCR, val & 0xb);
		kvmm_lapic_timer_tdcr(apic);
		return 0;
	case APIC_SELF_IPI:
		/* x2APIC only: a fixed edge IPI to itself, bits 7:0. */
		if (!x2apic || (val & ~APIC_VECTOR_MASK))
			return 1;
		lapic_send_ipi(apic, APIC_DEST_SELF | val, 0);
		return 0;
	}
	return 1;
}

/* A 32-bit register read; false if there is no such register here. */
static bool lapic_reg_read(struct kvmm_lapic *apic, u32 off, u32 *val)
{
	if (!lapic_reg_readable(off, kvmm_lapic_x2apic_mode(apic)))
		return false;
	switch (off) {
	case APIC_ARBPRI:
		*val = 0;	/* not modelled, as in KVM */
		return true;
	case APIC_LVR:
		lapic_update_version(apic);
		break;
	case APIC_PROCPRI:
		lapic_update_ppr(apic);
		break;
	case APIC_TMCCT:
		*val = kvmm_lapic_timer_current(apic);
		return true;
	}
	*val = apic_reg(apic, off);
	return true;
}

/*
 * The xAPIC page on the MMIO bus.  Every LAPIC of the VM is registered
 * (uncounted, as KVM keeps its LAPICs off the bus) at its own base, and
 * each answers only its own vCPU: on hardware each CPU sees its own APIC
 * at that address.  A hardware-disabled or x2APIC-mode LAPIC leaves the
 * page a hole that reads all ones and ignores writes (KVM's default
 * KVM_X86_QUIRK_LAPIC_MMIO_HOLE).
 */
static struct kvmm_lapic *mmio_lapic(struct kvmm_vcpu *vcpu,
				     struct kvmm_io_device *dev, u64 addr)
{
	struct kvmm_lapic *apic = container_of(dev, struct kvmm_lapic, mmio);

	if (vcpu->arch.apic != apic || addr < apic->mmio_base ||
	    addr >= apic->mmio_base + LAPIC_MMIO_SIZE)
		return NULL;
	return apic;
}

static int lapic_mmio_read(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			   u64 addr, u32 len, void *val)
{
	struct kvmm_lapic *apic = mmio_lapic(vcpu, dev, addr);
	u32 off, v;

	if (!apic)
		return -EOPNOTSUPP;
	if (!kvmm_lapic_hw_enabled(apic) || kvmm_lapic_x2apic_mode(apic)) {
		memset(val, 0xff, len);
		return 0;
	}
	/*
	 * Registers are read as aligned 32-bit words (SDM 3A 11.4.1); a
	 * smaller read within one gets its bytes, anything else and the
	 * reserved registers read 0.
	 */
	memset(val, 0, len);
	off = addr - apic->mmio_base;
	if ((off & 0xf) + len > 4 || !lapic_reg_read(apic, off & ~0xf, &v))
		return 0;
	memcpy(val, (u8 *)&v + (off & 0xf), len);
	return 0;
}

static int lapic_mmio_write(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			    u64 addr, u32 len, const void *val)
{
	struct kvmm_lapic *apic = mmio_lapic(vcpu, dev, addr);
	u32 off, v;

	if (!apic)
		return -EOPNOTSUPP;
	if (!kvmm_lapic_hw_enabled(apic) || kvmm_lapic_x2apic_mode(apic))
		return 0;
	/* Only aligned 32-bit writes reach a register; others are dropped. */
	off = addr - apic->mmio_base;
	if (len != 4 || (off & 0xf))
		return 0;
	memcpy(&v, val, 4);
	lapic_reg_write(apic, off, v);
	return 0;
}

static void lapic_release(struct kvmm_lapic *apic)
{
	kvmm_free_page(virt_to_page(apic->regs));
	kvmm_free(apic);
}

/*
 * Only a LAPIC that kvmm_lapic_free() could not take off the bus (no
 * memory for the smaller copy) is still there at VM destruction: free it
 * now.  Until then it answers nobody (its vCPU no longer points to it).
 */
static void lapic_mmio_destructor(struct kvmm_io_device *dev)
{
	lapic_release(container_of(dev, struct kvmm_lapic, mmio));
}

static const struct kvmm_io_device_ops lapic_mmio_ops = {
	.read = lapic_mmio_read,
	.write = lapic_mmio_write,
	.destructor = lapic_mmio_destructor,
};

/*
 * Put the page where the APIC base says.  Failing (-ENOMEM) leaves the
 * page where it was, or the LAPIC reachable through x2APIC only; the
 * guest saw its MSR write succeed, as it would on hardware, so there is
 * nobody to tell.
 */
static void lapic_mmio_place(struct kvmm_lapic *apic, u64 base)
{
	struct kvmm_vm *vm = apic->vcpu->vm;

	if (apic->mmio_registered && apic->mmio_base == base)
		return;
	mutex_lock(&vm->io.lock);
	if (apic->mmio_registered &&
	    kvmm_io_bus_unregister(vm, KVMM_MMIO_BUS, &apic->mmio)) {
		mutex_unlock(&vm->io.lock);
		return;
	}
	apic->mmio_base = base;
	apic->mmio_registered =
		!kvmm_io_bus_register(vm, KVMM_MMIO_BUS, base, LAPIC_MMIO_SIZE,
				      &apic->mmio);
	mutex_unlock(&vm->io.lock);
}

/*
 * IA32_APIC_BASE changed (msr.c checked it, SDM 3A 11.4.4): enabling
 * (again) gives the xAPIC ID back its reset value, entering x2APIC mode
 * sets the 32-bit ID and the LDR derived from it (11.12.5.1), and the
 * page follows the base address.
 */
void kvmm_lapic_set_base(struct kvmm_vcpu *vcpu, u64 value)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u64 old = vcpu->arch.apic_base;

	WRITE_ONCE(vcpu->arch.apic_base, value);
	if (!apic)
		return;
	if ((old ^ value) & value & MSR_IA32_APICBASE_ENABLE)
		apic_set(apic, APIC_ID, vcpu->vcpu_id << 24);
	if ((old ^ value) & value & X2APIC_ENABLE) {
		apic_set(apic, APIC_ID, vcpu->vcpu_id);
		apic_set(apic, APIC_LDR, lapic_x2apic_ldr(vcpu->vcpu_id));
	}
	lapic_mmio_place(apic, value & MSR_IA32_APICBASE_BASE);
}

/*
 * RESET (@init false) or INIT: every register to its power-up value
 * (SDM 3A 11.4.7.1, table 11-1 notes), except that INIT keeps the APIC
 * ID and the base MSR (11.4.7.3).  LVT0 of the BSP comes out in ExtINT
 * mode, as KVM's default KVM_X86_QUIRK_LINT0_REENABLED does, so the
 * PIC reaches a guest that never programs its LAPIC.
 */
void kvmm_lapic_reset(struct kvmm_vcpu *vcpu, bool init)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	bool x2apic;
	u32 off;

	if (!init)
		kvmm_lapic_set_base(vcpu, vcpu->arch.apic_base);
	if (!apic)
		return;
	kvmm_lapic_timer_cancel(apic);
	x2apic = kvmm_lapic_x2apic_mode(apic);

	if (!init)
		apic_set(apic, APIC_ID, x2apic ? vcpu->vcpu_id :
						 vcpu->vcpu_id << 24);
	lapic_update_version(apic);
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		apic_set(apic, off, APIC_LVT_MASKED);
	if (vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP)
		apic_set(apic, APIC_LVT0, APIC_DM_EXTINT);
	apic_set(apic, APIC_DFR, 0xffffffff);
	apic_set(apic, APIC_SPIV, 0xff);
	apic_set(apic, APIC_TASKPRI, 0);
	vcpu->arch.cr8 = 0;
	if (!x2apic)
		apic_set(apic, APIC_LDR, 0);
	apic_set(apic, APIC_ESR, 0);
	apic_set(apic, APIC_ICR, 0);
	apic_set(apic, APIC_ICR2, 0);
	apic_set(apic, APIC_TDCR, 0);
	apic_set(apic, APIC_TMICT, 0);
	for (off = 0; off < 0x80; off += 0x10) {
		apic_set(apic, APIC_ISR + off, 0);
		apic_set(apic, APIC_TMR + off, 0);
		apic_set(apic, APIC_IRR + off, 0);
	}
	kvmm_lapic_timer_lvtt(apic);
	kvmm_lapic_timer_tdcr(apic);
	kvmm_lapic_timer_start(apic, 0);
	apic->timer.tsc_deadline = 0;
	apic_set(apic, APIC_PROCPRI, 0);
	/*
	 * As KVM's kvm_lapic_reset(): the vapic page stops being synced
	 * (RESET and INIT alike) but its address is kept, until the next
	 * KVM_SET_VAPIC_ADDR.
	 */
	apic->vapic_on = false;
}

int kvmm_lapic_create(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic;
	struct page *page;

	apic = kvmm_zalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	page = kvmm_alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kvmm_free(apic);
		return -ENOMEM;
	}
	apic->regs = page_address(page);
	apic->vcpu = vcpu;
	apic->mmio.ops = &lapic_mmio_ops;
	apic->mmio.uncounted = true;
	kvmm_lapic_timer_init(apic);
	/* Published before any sender can find the vCPU (lapic.h). */
	WRITE_ONCE(vcpu->arch.apic, apic);
	kvmm_lapic_reset(vcpu, false);
	if (!apic->mmio_registered) {
		/* The bus had no memory for it: no LAPIC rather than half. */
		kvmm_lapic_free(vcpu);
		return -ENOMEM;
	}
	return 0;
}

void kvmm_lapic_free(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	struct kvmm_vm *vm = vcpu->vm;

	bool on_bus = false;

	if (!apic)
		return;
	kvmm_lapic_timer_cancel(apic);
	WRITE_ONCE(vcpu->arch.apic, NULL);
	if (apic->mmio_registered) {
		mutex_lock(&vm->io.lock);
		on_bus = kvmm_io_bus_unregister(vm, KVMM_MMIO_BUS,
						&apic->mmio) != 0;
		mutex_unlock(&vm->io.lock);
	}
	/* Left on the bus: its destructor frees it with the VM. */
	if (!on_bus)
		lapic_release(apic);
}

/* For events.c: the vector to inject, -1 if none is above PPR. */
int kvmm_lapic_pending_vector(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 ppr;

	if (!apic || !kvmm_lapic_hw_enabled(apic))
		return -1;
	ppr = lapic_compute_ppr(apic_reg(apic, APIC_TASKPRI),
				lapic_highest_vector(apic->regs, APIC_ISR));
	return lapic_deliverable_irr(apic->regs, ppr);
}

/* The CPU took @vector (INTA, SDM 3A 11.8.4): IRR to ISR, PPR rises. */
void kvmm_lapic_accept(struct kvmm_vcpu *vcpu, int vector)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;

	if (!apic || vector < 0 || vector > 255)
		return;
	lapic_vec_clear(apic, APIC_IRR, vector);
	lapic_vec_set(apic, APIC_ISR, vector);
	/* PPR only rises here, so nothing new becomes deliverable. */
	apic_set(apic, APIC_PROCPRI,
		 lapic_compute_ppr(apic_reg(apic, APIC_TASKPRI),
				   lapic_highest_vector(apic->regs, APIC_ISR)));
}

bool kvmm_lapic_accepts_pic(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 lvt0;

	if (!apic)
		return false;
	if (!kvmm_lapic_hw_enabled(apic))
		return true;
	lvt0 = apic_reg(apic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

/*
 * An interrupt above PPR.  NMI, INIT and SIPI are kept by the vCPU code
 * (kvmm_x86_deliver_*), which checks them itself.
 */
bool kvmm_lapic_has_work(struct kvmm_vcpu *vcpu)
{
	return kvmm_lapic_pending_vector(vcpu) >= 0;
}

void kvmm_lapic_set_tpr(struct kvmm_vcpu *vcpu, u64 cr8)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;

	if (apic)
		lapic_set_tpr(apic, (cr8 & 0xf) << 4);
}

u64 kvmm_lapic_get_tpr(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;

	return apic ? (apic_reg(apic, APIC_TASKPRI) & 0xf0) >> 4 : 0;
}

/*
 * KVM_GET/SET_LAPIC's view differs from the registers in x2APIC mode
 * only: without KVM_CAP_X2APIC_API's format, the ID travels in bits
 * 31:24 as in xAPIC mode; with it, it must be the vCPU id.  The LDR is
 * always derived from the ID.  ICR is kept split in ICR and ICR2 even in
 * x2APIC mode, which is the ABI's layout already.
 */
static int lapic_state_fixup(struct kvmm_lapic *apic, u8 *regs, bool set)
{
	u32 id = lapic_reg(regs, APIC_ID);

	if (!kvmm_lapic_x2apic_mode(apic))
		return 0;
	if (READ_ONCE(apic->vcpu->vm->arch.x2apic_format)) {
		if (id != apic->vcpu->vcpu_id)
			return -EINVAL;
	} else {
		id = set ? id >> 24 : id << 24;
		lapic_set_reg(regs, APIC_ID, id);
	}
	if (set)
		lapic_set_reg(regs, APIC_LDR, lapic_x2apic_ldr(id));
	return 0;
}

int kvmm_lapic_get(struct kvmm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return -EINVAL;
	lapic_update_version(apic);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	/* The count left now, which SET_LAPIC restarts from. */
	lapic_set_reg(s->regs, APIC_TMCCT, kvmm_lapic_timer_current(apic));
	return lapic_state_fixup(apic, (u8 *)s->regs, false);
}

/*
 * Load the registers as they are (userspace restores what it saved, and
 * a guest write's side effects, such as SPIV masking the LVTs, are not
 * replayed), then everything derived from them (version, PPR, CR8, timer
 * mode and divider), and restart the timer with TMCCT's count left.
 */
int kvmm_lapic_set(struct kvmm_vcpu *vcpu, const struct kvm_lapic_state *s)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 tmcct;

	BUILD_BUG_ON(sizeof(s->regs) != LAPIC_REGS_SIZE);
	if (!apic)
		return -EINVAL;
	kvmm_lapic_set_base(vcpu, vcpu->arch.apic_base);
	/* The one check that can fail comes before any change. */
	if (kvmm_lapic_x2apic_mode(apic) &&
	    READ_ONCE(vcpu->vm->arch.x2apic_format) &&
	    lapic_reg(s->regs, APIC_ID) != vcpu->vcpu_id)
		return -EINVAL;
	kvmm_lapic_timer_cancel(apic);
	memcpy(apic->regs, s->regs, LAPIC_REGS_SIZE);
	lapic_state_fixup(apic, apic->regs, true);
	lapic_update_version(apic);
	lapic_set_tpr(apic, apic_reg(apic, APIC_TASKPRI));
	/* The timer as the registers say, with none of a write's effects. */
	apic->timer.period = 0;
	apic->timer.mode = apic_reg(apic, APIC_LVTT) & (3u << 17);
	apic->timer.divide = lapic_divide_count(apic_reg(apic, APIC_TDCR));
	tmcct = apic_reg(apic, APIC_TMCCT);
	apic_set(apic, APIC_TMCCT, 0);
	/*
	 * A deadline survives (userspace restores IA32_TSC_DEADLINE on its
	 * own, before or after this); a count-down restarts from TMCCT.
	 */
	if (apic->timer.mode == APIC_LVT_TIMER_TSCDEADLINE)
		kvmm_lapic_set_tsc_deadline(apic, apic->timer.tsc_deadline);
	else
		kvmm_lapic_timer_start(apic, tmcct);
	kvmm_make_request(vcpu, KVMM_REQ_EVENT);
	return 0;
}

/*
 * x2APIC MSRs 0x800-0x8ff (SDM 3A 11.12.1.2), only in x2APIC mode, and
 * IA32_TSC_DEADLINE (0x6e0, 11.5.4.1), which reads 0 outside TSC-deadline
 * mode and ignores writes there.  1 = #GP.
 */
int kvmm_lapic_msr_read(struct kvmm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 off = (msr - APIC_BASE_MSR) << 4, v;

	if (!apic)
		return 1;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*data = kvmm_lapic_hw_enabled(apic) ?
			kvmm_lapic_tsc_deadline(apic) : 0;
		return 0;
	}
	if (!kvmm_lapic_x2apic_mode(apic))
		return 1;
	if (off == APIC_ICR) {
		*data = apic_reg(apic, APIC_ICR) |
			(u64)apic_reg(apic, APIC_ICR2) << 32;
		return 0;
	}
	if (!lapic_reg_read(apic, off, &v))
		return 1;
	*data = v;
	return 0;
}

int kvmm_lapic_msr_write(struct kvmm_vcpu *vcpu, u32 msr, u64 data)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!apic)
		return 1;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (kvmm_lapic_hw_enabled(apic))
			kvmm_lapic_set_tsc_deadline(apic, data);
		return 0;
	}
	if (!kvmm_lapic_x2apic_mode(apic))
		return 1;
	if (off == APIC_ICR) {
		/* One 64-bit write sends (11.12.9); busy is reserved there. */
		if (data & LAPIC_X2APIC_ICR_RSVD)
			return 1;
		data &= ~(u64)APIC_ICR_BUSY;
		apic_set(apic, APIC_ICR, data);
		apic_set(apic, APIC_ICR2, data >> 32);
		lapic_send_ipi(apic, data, data >> 32);
		return 0;
	}
	/* Every other x2APIC register is 32 bits wide. */
	if (data >> 32)
		return 1;
	return lapic_reg_write(apic, off, data);
}
