// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the guest without an in-kernel irqchip: exceptions raised by
 * kvmm or set by userspace, external interrupts from KVM_INTERRUPT, the
 * interrupt window (request_interrupt_window, KVM_EXIT_IRQ_WINDOW_OPEN,
 * ready_for_interrupt_injection), NMIs from KVM_NMI and
 * KVM_GET/SET_VCPU_EVENTS.
 *
 * The model is KVM's (struct kvmm_arch_vcpu): an exception raised by
 * kvmm is 'pending' until an entry programs it; an event is 'injected'
 * from the moment it is chosen for delivery until the CPU delivered it.
 * One entry programs one event (SVM's EVENTINJ and VMX's entry
 * interruption field hold one), recorded in arch.entry_event; the
 * backend's complete_events retires only that one after the exit, and
 * puts it back when the exit cut its delivery short.  The others wait,
 * still queued, for the following entries: nothing queued is dropped
 * because something else went first.
 */
#include <linux/smp.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

/*
 * An exception raised by kvmm (an exit handler, the emulator): pending
 * until the next entry, which delivers it before anything else queued.
 * It replaces an exception still queued, as KVM does for a pair that
 * does not make a #DF; the #DF and triple-fault merges (SDM 3A 6.15,
 * table 6-5) are not modelled yet.
 */
void kvmm_x86_queue_exception(struct kvmm_vcpu *vcpu, u8 nr, bool has_error,
			      u32 error_code)
{
	vcpu->arch.exception.pending = true;
	vcpu->arch.exception.injected = false;
	vcpu->arch.exception.nr = nr;
	vcpu->arch.exception.has_error_code = has_error;
	vcpu->arch.exception.error_code = error_code;
}

/*
 * An exception whose delivery an exit cut short (the backend read it
 * from the CPU's exit information): still in delivery, it goes first at
 * the next entry, with its error code.
 */
void kvmm_x86_requeue_exception(struct kvmm_vcpu *vcpu, u8 nr,
				bool has_error, u32 error_code)
{
	kvmm_x86_queue_exception(vcpu, nr, has_error, error_code);
	vcpu->arch.exception.pending = false;
	vcpu->arch.exception.injected = true;
}

/* KVM's pic_in_kernel(): KVM_CREATE_IRQCHIP, not the split irqchip. */
bool kvmm_x86_pic_in_kernel(struct kvmm_vcpu *vcpu)
{
	struct kvmm_irqchip *chip = READ_ONCE(vcpu->vm->arch.irqchip);

	return chip && !chip->split;
}

/*
 * KVM_INTERRUPT (api.rst 4.16).  Without an in-kernel irqchip: queue
 * vector irq for the next entry, 'injected' at once, as in KVM; if an
 * exception or NMI is in the way (userspace did not wait for
 * ready_for_interrupt_injection), it is delivered right after it.  With
 * the split irqchip it is the ExtINT of userspace's PIC, taken by the
 * LAPIC when LINT0 lets it (one at a time: -EEXIST); with the in-kernel
 * PIC there is no such thing: -ENXIO.
 */
long kvmm_x86_interrupt(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	if (!READ_ONCE(vcpu->vm->arch.irqchip)) {
		vcpu->arch.interrupt.injected = true;
		vcpu->arch.interrupt.nr = irq.irq;
		return 0;
	}
	if (kvmm_x86_pic_in_kernel(vcpu))
		return -ENXIO;
	if (vcpu->arch.pending_extint != -1)
		return -EEXIST;
	vcpu->arch.pending_extint = irq.irq;
	return 0;
}

/*
 * Userspace wants an exit as soon as it may inject an interrupt; never
 * with the in-kernel PIC, whose interrupts userspace does not inject.
 */
static bool kvmm_wants_irq_window(struct kvmm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window) &&
	       !kvmm_x86_pic_in_kernel(vcpu);
}

static bool kvmm_event_in_delivery(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	return a->exception.pending || a->exception.injected ||
	       a->nmi.injected || a->interrupt.injected;
}

/*
 * Userspace's ExtINT of the split irqchip, when the LAPIC would take it
 * (LINT0 in ExtINT mode, or the LAPIC disabled: SDM 3A 10.5.1).
 */
static bool kvmm_extint_pending(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.pending_extint >= 0 && kvmm_lapic_accepts_pic(vcpu);
}

/* Userspace may hand over an interrupt (KVM's kvm_cpu_accept_dm_intr). */
static bool kvmm_accepts_dm_intr(struct kvmm_vcpu *vcpu)
{
	if (!vcpu->arch.apic)
		return true;
	return vcpu->arch.pending_extint < 0 && kvmm_lapic_accepts_pic(vcpu);
}

bool kvmm_x86_ready_for_interrupt(struct kvmm_vcpu *vcpu)
{
	return kvmm_ops->interrupt_allowed(vcpu) &&
	       kvmm_accepts_dm_intr(vcpu) && !kvmm_event_in_delivery(vcpu);
}

/*
 * The in-kernel irqchip has an interrupt for this vCPU: userspace's
 * ExtINT first (KVM's order), then the LAPIC's or the PIC's
 * (kvmm_irqchip_pending_vector(): above the PPR, or an ExtINT).
 */
static bool kvmm_irqchip_interrupt_pending(struct kvmm_vcpu *vcpu)
{
	return kvmm_extint_pending(vcpu) ||
	       kvmm_irqchip_pending_vector(vcpu) >= 0;
}

/* Acknowledge it: the vector, or -1 if it went away meanwhile. */
static int kvmm_irqchip_take(struct kvmm_vcpu *vcpu)
{
	int vector;

	if (kvmm_extint_pending(vcpu)) {
		vector = vcpu->arch.pending_extint;
		vcpu->arch.pending_extint = -1;
		return vector;
	}
	return kvmm_irqchip_ack(vcpu);
}

/*
 * Before an entry, on the vCPU's thread and preemptible (the irqchip's
 * locks may be taken): with an in-kernel LAPIC, move the interrupt it
 * has for the guest into arch.interrupt, acknowledged (LAPIC: IRR to
 * ISR; PIC: INTA), when the guest can take it now: interrupts enabled,
 * no shadow, nothing in delivery, no NMI going first (SDM 3A 6.9).
 * Otherwise ask for the interrupt window (irqchip_window), so that the
 * guest exits as soon as it could take it and the next pass takes it.
 * An interrupt that arrives after this pass makes a KVMM_REQ_EVENT,
 * which backs the entry out and comes here again.
 */
void kvmm_x86_take_irqchip_interrupt(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	int vector;

	a->irqchip_window = false;
	if (!a->apic || a->interrupt.injected ||
	    !kvmm_irqchip_interrupt_pending(vcpu))
		return;
	if (kvmm_event_in_delivery(vcpu) ||
	    (a->nmi.pending && kvmm_ops->nmi_allowed(vcpu)) ||
	    !kvmm_ops->interrupt_allowed(vcpu)) {
		a->irqchip_window = true;
		return;
	}
	vector = kvmm_irqchip_take(vcpu);
	if (vector < 0)
		return;
	a->interrupt.injected = true;
	a->interrupt.nr = vector;
}

/*
 * A halted vCPU has something to wake for (KVM's kvm_vcpu_has_events()):
 * INIT or SIPI, an exception, an NMI it can take (or one just sent), an
 * interrupt it can take.  On the vCPU's thread, also as the wakeup
 * condition of kvmm_vcpu_block() (task state already set): nothing here
 * may sleep.
 */
bool kvmm_x86_vcpu_has_events(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (kvmm_x86_init_sipi_pending(vcpu))
		return true;
	if (a->exception.pending || a->exception.injected)
		return true;
	if (atomic_read(&a->nmi_queued) ||
	    (a->nmi.pending && kvmm_ops->nmi_allowed(vcpu)))
		return true;
	if (!kvmm_ops->interrupt_allowed(vcpu))
		return false;
	return a->interrupt.injected ||
	       (a->apic && kvmm_irqchip_interrupt_pending(vcpu));
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

/*
 * An NMI from another thread (the in-kernel LAPIC): counted in
 * nmi_queued, folded into nmi.pending by the vCPU itself
 * (kvmm_x86_process_nmi()), which alone may look at its NMI blocking.
 */
void kvmm_x86_deliver_nmi(struct kvmm_vcpu *vcpu)
{
	atomic_inc(&vcpu->arch.nmi_queued);
	kvmm_make_request(vcpu, KVMM_REQ_EVENT);
	kvmm_vcpu_kick(vcpu);
}

/* On the vCPU's thread: take the NMIs other threads sent. */
void kvmm_x86_process_nmi(struct kvmm_vcpu *vcpu)
{
	/* More than two collapse anyway (kvmm_x86_queue_nmi()). */
	int n = min(atomic_xchg(&vcpu->arch.nmi_queued, 0), 2);

	while (n-- > 0)
		kvmm_x86_queue_nmi(vcpu);
}

/* KVM_NMI (api.rst 4.60): queue an NMI, delivered at a following entry. */
long kvmm_x86_nmi(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_queue_nmi(vcpu);
	return 0;
}

/*
 * The event for this entry, in KVM's order: an exception first (one in
 * delivery, else a pending one: it belongs to the instruction before
 * any interrupt boundary), then an NMI or interrupt in delivery, then a
 * pending NMI when the guest does not block NMIs (SDM 3A 6.9: an NMI
 * before a maskable interrupt).
 */
static enum kvmm_event kvmm_pick_event(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (a->exception.pending) {
		a->exception.pending = false;
		a->exception.injected = true;
	}
	if (a->exception.injected)
		return KVMM_EVENT_EXCEPTION;
	if (a->nmi.injected)
		return KVMM_EVENT_NMI;
	if (a->interrupt.injected)
		return KVMM_EVENT_INTR;
	if (a->nmi.pending && kvmm_ops->nmi_allowed(vcpu)) {
		a->nmi.pending--;
		a->nmi.injected = true;
		vcpu->stat.nmi_injections++;
		return KVMM_EVENT_NMI;
	}
	return KVMM_EVENT_NONE;
}

/*
 * Before entry, interrupts off: choose the event the backend programs.
 * An NMI or interrupt (the irqchip's too) that must wait behind it gets
 * a self-IPI, so the guest exits right after that delivery and the next
 * entry delivers it, instead of holding it until some unrelated exit.
 * The other reasons for an NMI to wait (NMI blocking, interrupt shadow)
 * are the backend's to watch (inject_events).
 */
void kvmm_x86_inject_events(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	enum kvmm_event ev = kvmm_pick_event(vcpu);

	a->entry_event = ev;
	kvmm_ops->inject_events(vcpu, kvmm_wants_irq_window(vcpu) ||
				      a->irqchip_window);
	if (ev == KVMM_EVENT_NONE)
		return;
	if (((a->nmi.pending || a->nmi.injected) && ev != KVMM_EVENT_NMI) ||
	    (a->interrupt.injected && ev != KVMM_EVENT_INTR) ||
	    a->irqchip_window)
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

/*
 * The guest wrote CR8, its task priority (SDM 3A 10.8.6.1; APM 15.21.1),
 * with @gpr holding the value.  Without an in-kernel LAPIC the TPR is
 * userspace's: it reads it from kvm_run.cr8 after every exit and writes
 * it back there before every entry.  A lower TPR may unmask an interrupt
 * userspace holds back, so that write goes out at once as
 * KVM_EXIT_SET_TPR; a raise waits for the next exit, as in KVM.
 * Reserved bits (63:4) set: #GP.
 */
int kvmm_x86_exit_cr8_write(struct kvmm_vcpu *vcpu, int gpr,
			    unsigned long next_rip)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	u64 val = a->regs[gpr], old = a->cr8;

	if (val & ~0xfULL)
		return kvmm_x86_inject_gp(vcpu);
	a->rip = next_rip;
	/* An in-kernel LAPIC takes it as its TPR; nothing to tell userspace. */
	if (a->apic) {
		kvmm_lapic_set_tpr(vcpu, val);
		return 1;
	}
	a->cr8 = val;
	if (val >= old)
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
	return 0;
}

void kvmm_x86_get_events(struct kvmm_vcpu *vcpu, struct kvm_vcpu_events *out)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct kvm_vcpu_events ev = { };

	kvmm_x86_process_nmi(vcpu);
	/*
	 * Without KVM_CAP_EXCEPTION_PAYLOAD, KVM reports a pending exception
	 * as injected too (and sets 'pending' beside it).
	 */
	ev.exception.injected = a->exception.injected || a->exception.pending;
	ev.exception.pending = a->exception.pending;
	ev.exception.nr = a->exception.nr;
	ev.exception.has_error_code = a->exception.has_error_code;
	ev.exception.error_code = a->exception.error_code;
	ev.interrupt.injected = a->interrupt.injected;
	ev.interrupt.nr = a->interrupt.nr;
	ev.interrupt.shadow = a->interrupt_shadow;
	ev.nmi.injected = a->nmi.injected;
	ev.nmi.pending = a->nmi.pending != 0;
	ev.nmi.masked = kvmm_ops->get_nmi_mask(vcpu);
	/* An INIT not yet taken; sipi_vector is never reported (as KVM). */
	ev.smi.latched_init = kvmm_x86_init_sipi_pending(vcpu) &&
			      test_bit(KVMM_INIT_PENDING, &a->init_sipi);
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
	/*
	 * 'pending' is meaningful only with KVM_VCPUEVENT_VALID_PAYLOAD
	 * (KVM_CAP_EXCEPTION_PAYLOAD, which kvmm does not offer): KVM
	 * ignores it otherwise, and takes 'injected' as an exception that
	 * already began its delivery.
	 */
	ev.exception.pending = 0;
	if (ev.exception.injected &&
	    (ev.exception.nr > 31 || ev.exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	/* No SMM. */
	if ((ev.flags & KVM_VCPUEVENT_VALID_SMM) && ev.smi.smm)
		return -EINVAL;

	kvmm_x86_process_nmi(vcpu);

	a->exception.pending = false;
	a->exception.injected = ev.exception.injected;
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
	/* INIT and SIPI state of the in-kernel LAPIC (init_sipi.c). */
	if ((ev.flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR) && a->apic)
		WRITE_ONCE(a->sipi_vector, ev.sipi_vector);
	if ((ev.flags & KVM_VCPUEVENT_VALID_SMM) && a->apic) {
		if (ev.smi.latched_init)
			set_bit(KVMM_INIT_PENDING, &a->init_sipi);
		else
			clear_bit(KVMM_INIT_PENDING, &a->init_sipi);
	}
	kvmm_make_request(vcpu, KVMM_REQ_EVENT);
	return 0;
}
