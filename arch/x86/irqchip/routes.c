// SPDX-License-Identifier: GPL-2.0
/*
 * x86's side of GSI routing (include/kvmm/irq.h): which routes
 * KVM_SET_GSI_ROUTING takes, how each is delivered, and the decoding of
 * an MSI into a message to local APICs.
 *
 * Divergences from Linux 6.1, by design: KVM_IRQ_ROUTING_XEN_EVTCHN is
 * refused (kvmm has no Xen emulation); KVM_IRQ_ROUTING_HV_SINT is taken
 * as KVM takes it but delivers nothing (kvmm has no SynIC, as a KVM VM
 * that never enabled one); KVM_CAP_X2APIC_API is not offered, so an
 * MSI's address_hi is ignored as KVM ignores it without that capability.
 */
#include <linux/kvm.h>
#include <asm/apicdef.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>
#include <kvmm/vm.h>

#include "irqchip.h"

/*
 * MSI address and data (SDM 3A 10.11.1, 10.11.2): address bits 31:20
 * are 0xfee, 19:12 the destination ID, bit 3 the redirection hint, bit 2
 * the destination mode (1 logical); data bits 7:0 the vector, 10:8 the
 * delivery mode (APIC_DM_* >> 8), bit 14 the level (assert), bit 15 the
 * trigger mode (1 level).
 */
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DEST_MASK	0xff
#define MSI_ADDR_RH		BIT(3)
#define MSI_ADDR_DM_LOGICAL	BIT(2)
#define MSI_DATA_VECTOR_MASK	0xff
#define MSI_DATA_DM_SHIFT	8
#define MSI_DATA_DM_MASK	0x7
#define MSI_DATA_TRIGGER_LEVEL	BIT(15)

/*
 * The message an MSI sends.  As KVM (kvm_set_msi_irq()), every MSI is an
 * assertion whatever bit 14 says.  A redirection hint with logical
 * destinations makes a fixed interrupt go to the lowest-priority one of
 * them (SDM 3A 10.11.1: "RH = 1, DM = 1"); with a physical destination it
 * changes nothing.
 */
void kvmm_msi_to_apic_msg(u32 address_lo, u32 data, struct kvmm_apic_msg *m)
{
	*m = (struct kvmm_apic_msg) {
		.dest = (address_lo >> MSI_ADDR_DEST_SHIFT) &
			MSI_ADDR_DEST_MASK,
		.vector = data & MSI_DATA_VECTOR_MASK,
		.delivery_mode = (data >> MSI_DATA_DM_SHIFT) &
				 MSI_DATA_DM_MASK,
		.logical = address_lo & MSI_ADDR_DM_LOGICAL,
		.level = data & MSI_DATA_TRIGGER_LEVEL,
		.assert = true,
		.shorthand = 0,		/* no shorthand: the destination */
	};
	if ((address_lo & MSI_ADDR_RH) && m->logical &&
	    m->delivery_mode == APIC_DM_FIXED >> 8)
		m->delivery_mode = APIC_DM_LOWEST >> 8;
}

static int route_msi(struct kvmm_vm *vm, const struct kvmm_irq_route *e)
{
	struct kvmm_apic_msg msg;

	kvmm_msi_to_apic_msg(e->msi.address_lo, e->msi.data, &msg);
	return kvmm_apic_deliver(vm, NULL, &msg);
}

/* An in-kernel irqchip of either kind: routes, lines and MSIs exist. */
bool kvmm_arch_can_set_irq_routing(struct kvmm_vm *vm)
{
	return smp_load_acquire(&vm->arch.irqchip) != NULL;
}

/* KVM's kvm_arch_irqfd_allowed(): resampling needs the PIC and IOAPIC. */
bool kvmm_arch_irqfd_allowed(struct kvmm_vm *vm, bool resample)
{
	struct kvmm_irqchip *ic = smp_load_acquire(&vm->arch.irqchip);

	return ic && (!resample || !ic->split);
}

int kvmm_arch_irq_source(bool resample)
{
	return resample ? KVMM_IRQ_SOURCE_IRQFD_RESAMPLE :
			  KVMM_IRQ_SOURCE_USERSPACE;
}

/*
 * One route of KVM_SET_GSI_ROUTING, checked as x86's
 * kvm_set_routing_entry(): an irqchip route is refused with the split
 * irqchip, and needs a known chip and a pin below 8 (each PIC) or 24
 * (IOAPIC); an MSI takes anything; other types EINVAL.  Also used for the
 * default routes while the irqchip is being created, before
 * vm->arch.irqchip is set.
 */
int kvmm_arch_set_routing_entry(struct kvmm_vm *vm, struct kvmm_irq_route *e,
				const struct kvm_irq_routing_entry *ue)
{
	struct kvmm_irqchip *ic = vm->arch.irqchip;

	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ic && ic->split)
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			if (ue->u.irqchip.pin >= KVMM_PIC_NUM_PINS / 2)
				return -EINVAL;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (ue->u.irqchip.pin >= KVMM_IOAPIC_NUM_PINS)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		e->irqchip.chip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		e->msi.flags = ue->flags;
		e->msi.devid = ue->u.msi.devid;
		return 0;
	case KVM_IRQ_ROUTING_HV_SINT:
		e->hv_sint.vcpu = ue->u.hv_sint.vcpu;
		e->hv_sint.sint = ue->u.hv_sint.sint;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Deliver through one route (process context).  An MSI is an edge: it is
 * sent when the GSI goes to 1 and a 0 does nothing (-1, as KVM).
 */
int kvmm_arch_set_irq(struct kvmm_vm *vm, const struct kvmm_irq_route *e,
		      int source, int level, bool line_status)
{
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		return kvmm_irqchip_set_pin(vm, source, e->irqchip.chip,
					    e->irqchip.pin, level);
	case KVM_IRQ_ROUTING_MSI:
		if (!level)
			return -1;
		return route_msi(vm, e);
	default:
		return -1;	/* HV_SINT: no SynIC */
	}
}

/*
 * From an irqfd's wakeup, interrupts off: only an MSI goes straight to
 * the local APICs (kvmm_apic_deliver() takes spinlocks only); the
 * irqchip pins are driven from the irqfd's work item.
 */
int kvmm_arch_set_irq_inatomic(struct kvmm_vm *vm,
			       const struct kvmm_irq_route *e, int source,
			       int level)
{
	if (e->type != KVM_IRQ_ROUTING_MSI)
		return -EWOULDBLOCK;
	if (!level)
		return -1;
	return route_msi(vm, e);
}

/*
 * Split irqchip: the vectors of level-triggered MSI routes on the GSIs
 * reserved for userspace's IOAPIC (KVM_CAP_SPLIT_IRQCHIP's args[0]), whose
 * EOIs go out as KVM_EXIT_IOAPIC_EOI (KVM's kvm_scan_ioapic_routes()).
 * KVM keeps one set per vCPU, of the routes aimed at it; one set for the
 * VM is a superset, and a vCPU EOIs only vectors it was sent.  Readers
 * see each word change at once; an EOI racing with a routing change may
 * see either table's answer, as in KVM.
 */
void kvmm_arch_irq_routing_update(struct kvmm_vm *vm,
				  struct kvmm_irq_routing_table *rt)
{
	struct kvmm_irqchip *ic = vm->arch.irqchip;
	struct kvmm_irq_route *e;
	u64 v[ARRAY_SIZE(ic->eoi_exit_vectors)] = {};
	u32 gsi, n, vec;
	int i;

	if (!ic || !ic->split)
		return;
	n = min(rt->nr_gsis, ic->nr_reserved_ioapic_pins);
	for (gsi = 0; gsi < n; gsi++) {
		hlist_for_each_entry(e, &rt->map[gsi], link) {
			if (e->type != KVM_IRQ_ROUTING_MSI ||
			    !(e->msi.data & MSI_DATA_TRIGGER_LEVEL))
				continue;
			vec = e->msi.data & MSI_DATA_VECTOR_MASK;
			v[vec / 64] |= BIT_ULL(vec % 64);
		}
	}
	for (i = 0; i < ARRAY_SIZE(v); i++)
		WRITE_ONCE(ic->eoi_exit_vectors[i], v[i]);
}

bool kvmm_irqchip_eoi_exit(struct kvmm_vcpu *vcpu, u8 vector)
{
	struct kvmm_irqchip *ic = smp_load_acquire(&vcpu->vm->arch.irqchip);

	return ic && ic->split &&
	       (READ_ONCE(ic->eoi_exit_vectors[vector / 64]) &
		BIT_ULL(vector % 64));
}
