// SPDX-License-Identifier: GPL-2.0
/*
 * Placeholders for the irqchip functions of irqchip.h that are not
 * written yet, so that each part links while the others are built.  Each
 * part deletes its own functions from here when it lands; this file goes
 * away with the last one.  Nothing here is reachable from userspace:
 * KVM_CREATE_IRQCHIP is not offered until the parts are in.
 */
#include <linux/errno.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>
#include <kvmm/vm.h>

#include "irqchip.h"

/* irqchip.c */
int kvmm_irqchip_create(struct kvmm_vm *vm)
{
	return -EINVAL;
}

int kvmm_irqchip_create_split(struct kvmm_vm *vm, u32 pins)
{
	return -EINVAL;
}

void kvmm_irqchip_destroy(struct kvmm_vm *vm)
{
}

int kvmm_irqchip_set_pin(struct kvmm_vm *vm, enum kvmm_irq_source src,
			 u32 chip, u32 pin, bool level)
{
	return -1;
}

void kvmm_irqchip_pic_kick(struct kvmm_vm *vm)
{
}

int kvmm_irqchip_pending_vector(struct kvmm_vcpu *vcpu)
{
	return -1;
}

int kvmm_irqchip_ack(struct kvmm_vcpu *vcpu)
{
	return -1;
}

void kvmm_irqchip_ack_notify(struct kvmm_vm *vm, u32 chip, u32 pin)
{
}

/* pic.c */
struct kvmm_pic *kvmm_pic_create(struct kvmm_vm *vm)
{
	return NULL;
}

void kvmm_pic_free(struct kvmm_pic *pic)
{
}

int kvmm_pic_set_irq(struct kvmm_pic *pic, enum kvmm_irq_source src,
		     u32 pin, bool level)
{
	return -1;
}

bool kvmm_pic_output(struct kvmm_pic *pic)
{
	return false;
}

int kvmm_pic_intack(struct kvmm_pic *pic)
{
	return -1;
}

int kvmm_pic_get(struct kvmm_pic *pic, bool slave, struct kvm_pic_state *s)
{
	return -ENXIO;
}

int kvmm_pic_set(struct kvmm_pic *pic, bool slave,
		 const struct kvm_pic_state *s)
{
	return -ENXIO;
}

/* ioapic.c */
struct kvmm_ioapic *kvmm_ioapic_create(struct kvmm_vm *vm)
{
	return NULL;
}

void kvmm_ioapic_free(struct kvmm_ioapic *ioapic)
{
}

int kvmm_ioapic_set_irq(struct kvmm_ioapic *ioapic, enum kvmm_irq_source src,
			u32 pin, bool level)
{
	return -1;
}

void kvmm_ioapic_eoi(struct kvmm_vm *vm, u8 vector)
{
}

int kvmm_ioapic_get(struct kvmm_ioapic *ioapic, struct kvm_ioapic_state *s)
{
	return -ENXIO;
}

int kvmm_ioapic_set(struct kvmm_ioapic *ioapic,
		    const struct kvm_ioapic_state *s)
{
	return -ENXIO;
}

/* virt/irq_routing.c (include/kvmm/irq.h) */
int kvmm_set_irq(struct kvmm_vm *vm, int source, u32 gsi, int level,
		 bool line_status)
{
	return -1;
}

void kvmm_register_irq_ack_notifier(struct kvmm_vm *vm,
				    struct kvmm_irq_ack_notifier *kian)
{
}

void kvmm_unregister_irq_ack_notifier(struct kvmm_vm *vm,
				      struct kvmm_irq_ack_notifier *kian)
{
}
