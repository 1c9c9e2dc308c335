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

/* lapic.c */
int kvmm_lapic_create(struct kvmm_vcpu *vcpu)
{
	return -EINVAL;
}

void kvmm_lapic_free(struct kvmm_vcpu *vcpu)
{
}

void kvmm_lapic_reset(struct kvmm_vcpu *vcpu, bool init)
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
