// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip of a VM as a whole (irqchip.h): its creation by
 * KVM_CREATE_IRQCHIP (api.rst 4.24) or KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)
 * (api.rst 7.8), KVM_GET/SET_IRQCHIP (api.rst 4.26, 4.27), and the glue
 * between the devices: GSI routes onto PIC and IOAPIC pins, the PIC's
 * INTR output onto the vCPUs that take ExtINT, and the choice of the
 * next vector for events.c.
 *
 * vm->arch.irqchip is written once, under vm->lock, with release
 * semantics after the default routes are in place, and read without a
 * lock (acquire) by the ioctls and the devices; it lives until the VM is
 * destroyed.  KVM allows it only before the first vCPU (vm->created_vcpus
 * under vm->lock), so each vCPU is created knowing whether it gets an
 * in-kernel local APIC (arch/x86/vcpu.c).
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>

#include "irqchip.h"

/*
 * KVM's MAX_NR_RESERVED_IOAPIC_PINS: how many GSIs the split irqchip's
 * userspace IOAPIC may claim, bounded only by the routing table.
 */
#define MAX_RESERVED_IOAPIC_PINS	KVMM_MAX_IRQ_ROUTES

static struct kvmm_irqchip *vm_irqchip(struct kvmm_vm *vm)
{
	/* Pairs with the smp_store_release() in irqchip_publish(). */
	return smp_load_acquire(&vm->arch.irqchip);
}

/* Under vm->lock: KVM's conditions for creating either kind. */
static int irqchip_may_create(struct kvmm_vm *vm, int busy)
{
	lockdep_assert_held(&vm->lock);
	if (vm->arch.irqchip)
		return -EEXIST;
	if (vm->created_vcpus)
		return busy;
	return 0;
}

static void irqchip_publish(struct kvmm_vm *vm, struct kvmm_irqchip *ic)
{
	/* The routing table and the devices before the pointer. */
	smp_store_release(&vm->arch.irqchip, ic);
}

/*
 * KVM's default routes (x86 irq_comm.c): GSIs 0-15 to both the PIC pair
 * (master 0-7, slave 8-15) and the IOAPIC's pin of the same number, GSIs
 * 16-23 to the IOAPIC only; the guest uses whichever controller it
 * enabled and ignores the other.
 */
static int irqchip_default_routing(struct kvmm_vm *vm)
{
	struct kvm_irq_routing_entry *ue;
	u32 gsi, n = 0;
	int r;

	ue = kcalloc(KVMM_IOAPIC_NUM_PINS + KVMM_PIC_NUM_PINS, sizeof(*ue),
		     GFP_KERNEL);
	if (!ue)
		return -ENOMEM;
	for (gsi = 0; gsi < KVMM_IOAPIC_NUM_PINS; gsi++) {
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		ue[n++].u.irqchip.pin = gsi;
		if (gsi >= KVMM_PIC_NUM_PINS)
			continue;
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
						    KVM_IRQCHIP_PIC_SLAVE;
		ue[n++].u.irqchip.pin = gsi % 8;
	}
	r = kvmm_set_irq_routing(vm, ue, n);
	kfree(ue);
	return r;
}

/*
 * KVM_CREATE_IRQCHIP, under vm->lock.  KVM's order: an irqchip of either
 * kind exists, EEXIST; a vCPU exists (even one being created), EINVAL;
 * then the PICs, the IOAPIC and the default routes.  The local APICs
 * come with the vCPUs, all created after this.
 */
int kvmm_irqchip_create(struct kvmm_vm *vm)
{
	struct kvmm_irqchip *ic;
	int r;

	r = irqchip_may_create(vm, -EINVAL);
	if (r)
		return r;
	ic = kvmm_zalloc(sizeof(*ic), GFP_KERNEL_ACCOUNT);
	if (!ic)
		return -ENOMEM;
	ic->vm = vm;
	r = -ENOMEM;
	ic->pic = kvmm_pic_create(vm);
	if (!ic->pic)
		goto fail;
	ic->ioapic = kvmm_ioapic_create(vm);
	if (!ic->ioapic)
		goto fail_pic;
	r = irqchip_default_routing(vm);
	if (r)
		goto fail_ioapic;
	irqchip_publish(vm, ic);
	return 0;

fail_ioapic:
	kvmm_ioapic_free(ic->ioapic);
fail_pic:
	kvmm_pic_free(ic->pic);
fail:
	kvmm_free(ic);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): local APICs in the kernel, the
 * PIC and IOAPIC in userspace, which routes its IOAPIC's pins as MSIs and
 * hears about EOIs of the first @pins GSIs through KVM_EXIT_IOAPIC_EOI.
 * KVM's order: too many reserved pins, EINVAL; an irqchip or any vCPU,
 * EEXIST; then an empty routing table.  Takes vm->lock.
 */
int kvmm_irqchip_create_split(struct kvmm_vm *vm, u32 pins)
{
	struct kvmm_irqchip *ic;
	int r;

	if (pins > MAX_RESERVED_IOAPIC_PINS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = irqchip_may_create(vm, -EEXIST);
	if (r)
		goto out;
	r = -ENOMEM;
	ic = kvmm_zalloc(sizeof(*ic), GFP_KERNEL_ACCOUNT);
	if (!ic)
		goto out;
	ic->vm = vm;
	ic->split = true;
	ic->nr_reserved_ioapic_pins = pins;
	r = kvmm_set_irq_routing(vm, NULL, 0);
	if (r) {
		kvmm_free(ic);
		goto out;
	}
	irqchip_publish(vm, ic);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * At VM destruction, after the vCPUs (and their local APICs) and the I/O
 * buses are gone and the irqfds released: nothing drives a line any more.
 */
void kvmm_irqchip_destroy(struct kvmm_vm *vm)
{
	struct kvmm_irqchip *ic = vm->arch.irqchip;

	if (!ic)
		return;
	if (ic->ioapic)
		kvmm_ioapic_free(ic->ioapic);
	if (ic->pic)
		kvmm_pic_free(ic->pic);
	kvmm_free(ic);
	vm->arch.irqchip = NULL;
}

/*
 * Drive pin @pin of irqchip @chip (a route's KVM_IRQCHIP_* and its pin
 * within the chip, 0-7 for each PIC).  Answers as the device: 1
 * delivered, 0 coalesced, -1 masked, or no such device (split irqchip).
 */
int kvmm_irqchip_set_pin(struct kvmm_vm *vm, enum kvmm_irq_source src,
			 u32 chip, u32 pin, bool level)
{
	struct kvmm_irqchip *ic = vm_irqchip(vm);

	if (!ic || ic->split)
		return -1;
	switch (chip) {
	case KVM_IRQCHIP_PIC_SLAVE:
		pin += 8;
		fallthrough;
	case KVM_IRQCHIP_PIC_MASTER:
		if (pin >= KVMM_PIC_NUM_PINS)
			return -1;
		return kvmm_pic_set_irq(ic->pic, src, pin, level);
	case KVM_IRQCHIP_IOAPIC:
		if (pin >= KVMM_IOAPIC_NUM_PINS)
			return -1;
		return kvmm_ioapic_set_irq(ic->ioapic, src, pin, level);
	default:
		return -1;
	}
}

/*
 * An EOI reached a pin.  The PICs may name a slave pin by the pair's
 * numbering (8-15, as their IRQ numbers) or by the chip's (0-7): both
 * mean the same route.
 */
void kvmm_irqchip_ack_notify(struct kvmm_vm *vm, u32 chip, u32 pin)
{
	if ((chip == KVM_IRQCHIP_PIC_MASTER || chip == KVM_IRQCHIP_PIC_SLAVE) &&
	    pin >= 8) {
		chip = KVM_IRQCHIP_PIC_SLAVE;
		pin -= 8;
	}
	kvmm_notify_acked_irq(vm, chip, pin);
}

/*
 * The PIC pair's INTR went up.  As KVM (i8259.c, pic_unlock()), the first
 * vCPU whose local APIC takes ExtINT is asked to look (normally the BSP,
 * LVT0 in ExtINT mode; every vCPU whose APIC is hardware-disabled).
 */
void kvmm_irqchip_pic_kick(struct kvmm_vm *vm)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		if (!vcpu->arch.apic || !kvmm_lapic_accepts_pic(vcpu))
			continue;
		kvmm_make_request(vcpu, KVMM_REQ_EVENT);
		kvmm_vcpu_kick(vcpu);
		return;
	}
}

/* The PIC's INTR reaches this vCPU (KVM's kvm_cpu_has_extint()). */
static bool irqchip_has_extint(struct kvmm_vcpu *vcpu)
{
	struct kvmm_irqchip *ic = vm_irqchip(vcpu->vm);

	return ic && ic->pic && kvmm_lapic_accepts_pic(vcpu) &&
	       kvmm_pic_output(ic->pic);
}

/*
 * The next interrupt for this vCPU.  As KVM's kvm_cpu_get_interrupt(),
 * the PIC's ExtINT comes first: it bypasses the local APIC's IRR and
 * priorities (SDM 3A 10.5.1, ExtINT); then the local APIC's highest
 * vector above its PPR.  The ExtINT's vector is known only at the INTA
 * cycle (kvmm_irqchip_ack()), so its pending value is
 * KVMM_IRQCHIP_EXTINT_PENDING, not a vector.  With the split irqchip an
 * ExtINT comes by KVM_INTERRUPT (events.c).
 */
int kvmm_irqchip_pending_vector(struct kvmm_vcpu *vcpu)
{
	if (!vcpu->arch.apic)
		return -1;
	if (irqchip_has_extint(vcpu))
		return KVMM_IRQCHIP_EXTINT_PENDING;
	return kvmm_lapic_pending_vector(vcpu);
}

/* Accept the interrupt kvmm_irqchip_pending_vector() saw; its vector. */
int kvmm_irqchip_ack(struct kvmm_vcpu *vcpu)
{
	int vector;

	if (!vcpu->arch.apic)
		return -1;
	if (irqchip_has_extint(vcpu))
		return kvmm_pic_intack(vm_irqchip(vcpu->vm)->pic);
	vector = kvmm_lapic_pending_vector(vcpu);
	if (vector >= 0)
		kvmm_lapic_accept(vcpu, vector);
	return vector;
}

/*
 * KVM_GET_IRQCHIP and KVM_SET_IRQCHIP.  KVM's order: the argument is read
 * (EFAULT), a VM without the in-kernel PIC and IOAPIC (none, or the split
 * irqchip) gets ENXIO, an unknown chip_id EINVAL.  Locking: none here;
 * each device takes its own lock.
 */
static long irqchip_state_ioctl(struct file *filp, unsigned long arg,
				bool set)
{
	struct kvmm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvmm_irqchip *ic;
	struct kvm_irqchip *chip;
	long r;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	r = -ENXIO;
	ic = vm_irqchip(vm);
	if (!ic || ic->split)
		goto out;
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (set)
			r = kvmm_pic_set(ic->pic,
					 chip->chip_id == KVM_IRQCHIP_PIC_SLAVE,
					 &chip->chip.pic);
		else
			r = kvmm_pic_get(ic->pic,
					 chip->chip_id == KVM_IRQCHIP_PIC_SLAVE,
					 &chip->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (set)
			r = kvmm_ioapic_set(ic->ioapic, &chip->chip.ioapic);
		else
			r = kvmm_ioapic_get(ic->ioapic, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (!r && !set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

long kvmm_get_irqchip_ioctl(struct file *filp, unsigned long arg)
{
	return irqchip_state_ioctl(filp, arg, false);
}

long kvmm_set_irqchip_ioctl(struct file *filp, unsigned long arg)
{
	return irqchip_state_ioctl(filp, arg, true);
}

/* KVM_CREATE_IRQCHIP; the dispatcher holds vm->lock. */
long kvmm_create_irqchip_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_irqchip_create(filp->private_data);
}

/*
 * KVM_ENABLE_CAP on the VM for x86's capabilities: KVM's x86 handler
 * refuses any flag first (EINVAL).  Locking: each capability's own.
 */
long kvmm_arch_vm_enable_cap(struct kvmm_vm *vm,
			     const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		if (cap->args[0] > U32_MAX)
			return -EINVAL;
		return kvmm_irqchip_create_split(vm, cap->args[0]);
	default:
		return -EINVAL;
	}
}
