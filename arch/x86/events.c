// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the guest without an in-kernel irqchip: exceptions raised by
 * kvmm or set by userspace, external interrupts from KVM_INTERRUPT, the
 * interrupt window (request_interrupt_window, KVM_EXIT_IRQ_WINDOW_OPEN,
 * ready_for_interrupt_injection) and KVM_GET/SET_VCPU_EVENTS.
 *
 * NMIs (KVM_NMI) are not offered yet: KVM_CAP_USER_NMI is 0 and
 * KVM_SET_VCPU_EVENTS refuses a pending or injected NMI.
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

void kvmm_x86_queue_exception(struct kvmm_vcpu *vcpu, u8 nr, bool has_error,
			      u32 error_code)
{
	vcpu->arch.exception.injected = true;
	vcpu->arch.exception.nr = nr;
	vcpu->arch.exception.has_error_code = has_error;
	vcpu->arch.exception.error_code = error_code;
}

/* KVM_INTERRUPT (api.rst 4.16): queue vector irq for the next entry. */
long kvmm_x86_interrupt(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	vcpu->arch.interrupt.injected = true;
	vcpu->arch.interrupt.nr = irq.irq;
	return 0;
}

/* Userspace wants an exit as soon as it may inject an interrupt. */
static bool kvmm_wants_irq_window(struct kvmm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window);
}

bool kvmm_x86_ready_for_interrupt(struct kvmm_vcpu *vcpu)
{
	return kvmm_ops->interrupt_allowed(vcpu) &&
	       !vcpu->arch.interrupt.injected &&
	       !vcpu->arch.exception.injected;
}

/* Before entry, interrupts off. */
void kvmm_x86_inject_events(struct kvmm_vcpu *vcpu)
{
	kvmm_ops->inject_events(vcpu, kvmm_wants_irq_window(vcpu));
}

/*
 * After an exit was handled and the guest would re-enter: stop for
 * userspace if it asked for the interrupt window and the window is open
 * (KVM's vcpu_run does the same check).
 */
int kvmm_x86_check_irq_window(struct kvmm_vcpu *vcpu)
{
	if (kvmm_wants_irq_window(vcpu) && kvmm_x86_ready_for_interrupt(vcpu)) {
		vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	return 1;
}

void kvmm_x86_get_events(struct kvmm_vcpu *vcpu, struct kvm_vcpu_events *out)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct kvm_vcpu_events ev = { };

	ev.exception.injected = a->exception.injected;
	ev.exception.nr = a->exception.nr;
	ev.exception.has_error_code = a->exception.has_error_code;
	ev.exception.error_code = a->exception.error_code;
	ev.interrupt.injected = a->interrupt.injected;
	ev.interrupt.nr = a->interrupt.nr;
	ev.interrupt.shadow = a->interrupt_shadow;
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	*out = ev;
}

long kvmm_x86_get_vcpu_events(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_vcpu_events ev;

	kvmm_x86_get_events(vcpu, &ev);
	if (copy_to_user(arg, &ev, sizeof(ev)))
		return -EFAULT;
	return 0;
}

long kvmm_x86_set_vcpu_events(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_vcpu_events ev;

	if (copy_from_user(&ev, arg, sizeof(ev)))
		return -EFAULT;
	return kvmm_x86_set_events(vcpu, &ev);
}

int kvmm_x86_set_events(struct kvmm_vcpu *vcpu,
			const struct kvm_vcpu_events *in)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct kvm_vcpu_events ev = *in;

	/* The flags KVM knows; payloads need KVM_CAP_EXCEPTION_PAYLOAD. */
	if (ev.flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			 KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			 KVM_VCPUEVENT_VALID_SHADOW |
			 KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;
	if ((ev.exception.injected || ev.exception.pending) &&
	    (ev.exception.nr > 31 || ev.exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	/* No NMI support yet, and no SMM. */
	if (ev.nmi.injected ||
	    ((ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING) && ev.nmi.pending))
		return -EINVAL;
	if ((ev.flags & KVM_VCPUEVENT_VALID_SMM) && ev.smi.smm)
		return -EINVAL;

	a->exception.injected = ev.exception.injected || ev.exception.pending;
	a->exception.nr = ev.exception.nr;
	a->exception.has_error_code = ev.exception.has_error_code;
	a->exception.error_code = ev.exception.error_code;
	a->interrupt.injected = ev.interrupt.injected;
	a->interrupt.nr = ev.interrupt.nr;
	if (ev.flags & KVM_VCPUEVENT_VALID_SHADOW) {
		a->interrupt_shadow = ev.interrupt.shadow &
			(KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI);
		kvmm_ops->set_interrupt_shadow(vcpu, a->interrupt_shadow);
	}
	return 0;
}
