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

/* lapic.c */
int kvmm_lapic_create(struct kvmm_vcpu *vcpu)
{
	return -EINVAL;
}

void kvmm_lapic_free(struct kvmm_vcpu *vcpu)
{
}

int kvmm_apic_deliver(struct kvmm_vm *vm, struct kvmm_lapic *src,
		      const struct kvmm_apic_msg *msg)
{
	return -1;
}

int kvmm_lapic_pending_vector(struct kvmm_vcpu *vcpu)
{
	return -1;
}

void kvmm_lapic_accept(struct kvmm_vcpu *vcpu, int vector)
{
}

bool kvmm_lapic_accepts_pic(struct kvmm_vcpu *vcpu)
{
	return false;
}

bool kvmm_lapic_has_work(struct kvmm_vcpu *vcpu)
{
	return false;
}

int kvmm_lapic_get(struct kvmm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	return -ENXIO;
}

int kvmm_lapic_set(struct kvmm_vcpu *vcpu, const struct kvm_lapic_state *s)
{
	return -ENXIO;
}

int kvmm_lapic_msr_read(struct kvmm_vcpu *vcpu, u32 msr, u64 *data)
{
	return 1;
}

int kvmm_lapic_msr_write(struct kvmm_vcpu *vcpu, u32 msr, u64 data)
{
	return 1;
}

void kvmm_lapic_set_base(struct kvmm_vcpu *vcpu, u64 value)
{
}

void kvmm_lapic_set_tpr(struct kvmm_vcpu *vcpu, u64 cr8)
{
}

u64 kvmm_lapic_get_tpr(struct kvmm_vcpu *vcpu)
{
	return 0;
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
