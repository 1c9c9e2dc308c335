// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the guest without an in-kernel irqchip: exceptions raised by
 * kvmm or set by userspace, external interrupts from KVM_INTERRUPT, the
 * interrupt window (request_interrupt_window, KVM_EXIT_IRQ_WINDOW_OPEN,
 * ready_for_interrupt_injection), NMIs from KVM_NMI and
 * KVM_GET/SET_VCPU_EVENTS.
 *
 * An event is 'injected' from the moment it is chosen for delivery until
 * the CPU delivered it; one that an exit interrupted is delivered again
 * first.  Only then may a new event be chosen, in the CPU's priority
 * order (SDM 3A 6.9): an NMI before a maskable interrupt.
 */
#include <linux/smp.h>
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

static bool kvmm_event_in_delivery(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	return a->exception.injected || a->nmi.injected ||
	       a->interrupt.injected;
}

bool kvmm_x86_ready_for_interrupt(struct kvmm_vcpu *vcpu)
{
	return kvmm_ops->interrupt_allowed(vcpu) &&
	       !kvmm_event_in_delivery(vcpu);
}

/*
 * Queue one NMI.  At most two can wait: one to be delivered and one
 * latched behind it; while an NMI is in progress (blocked until its IRET,
 * or being delivered) only the latched one (SDM 3A 6.7.1).  Further NMIs
 * collapse into those, as on hardware and in KVM.
 */
static void kvmm_x86_queue_nmi(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u8 limit = 2;

	if (a->nmi.injected || kvmm_ops->get_nmi_mask(vcpu))
		limit = 1;
	a->nmi.pending = min_t(u8, a->nmi.pending + 1, limit);
}

/* KVM_NMI (api.rst 4.60): queue an NMI, delivered at a following entry. */
long kvmm_x86_nmi(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_queue_nmi(vcpu);
	return 0;
}

/*
 * Before entry, interrupts off.  A pending NMI is injected when nothing
 * else is in delivery and the guest does not block NMIs.  When it must
 * wait behind an exception or interrupt being delivered, a self-IPI makes
 * the guest exit right after that delivery, so the NMI is not held back
 * until some unrelated exit; the other reasons to wait (NMI blocking,
 * interrupt shadow) are the backend's to watch (inject_events).
 */
void kvmm_x86_inject_events(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (a->nmi.pending && !kvmm_event_in_delivery(vcpu) &&
	    kvmm_ops->nmi_allowed(vcpu)) {
		a->nmi.pending--;
		a->nmi.injected = true;
		vcpu->stat.nmi_injections++;
	}
	kvmm_ops->inject_events(vcpu, kvmm_wants_irq_window(vcpu));
	if (a->nmi.pending && (a->exception.injected || a->interrupt.injected))
		smp_send_reschedule(smp_processor_id());
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
	ev.nmi.injected = a->nmi.injected;
	ev.nmi.pending = a->nmi.pending != 0;
	ev.nmi.masked = kvmm_ops->get_nmi_mask(vcpu);
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
	/* No SMM. */
	if ((ev.flags & KVM_VCPUEVENT_VALID_SMM) && ev.smi.smm)
		return -EINVAL;

	a->exception.injected = ev.exception.injected || ev.exception.pending;
	a->exception.nr = ev.exception.nr;
	a->exception.has_error_code = ev.exception.has_error_code;
	a->exception.error_code = ev.exception.error_code;
	a->interrupt.injected = ev.interrupt.injected;
	a->interrupt.nr = ev.interrupt.nr;
	/* As KVM: the fields are booleans, any non-zero value counts as 1. */
	a->nmi.injected = !!ev.nmi.injected;
	if (ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		a->nmi.pending = !!ev.nmi.pending;
	kvmm_ops->set_nmi_mask(vcpu, ev.nmi.masked);
	if (ev.flags & KVM_VCPUEVENT_VALID_SHADOW) {
		a->interrupt_shadow = ev.interrupt.shadow &
			(KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI);
		kvmm_ops->set_interrupt_shadow(vcpu, a->interrupt_shadow);
	}
	return 0;
}
