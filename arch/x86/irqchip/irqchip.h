/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel interrupt controllers of an x86 VM (issue #14): two
 * cascaded 8259A PICs, an 82093AA-style IOAPIC with 24 pins, a local APIC
 * per vCPU, and the 8254 PIT that drives GSI 0.
 *
 * Who calls whom (Documentation/irqchip.rst has the whole picture):
 *
 *   KVM_IRQ_LINE, irqfd, PIT      virt/irq_routing.c: GSI -> routes
 *        |                             |
 *        v                             v
 *   kvmm_pic_set_irq()            kvmm_ioapic_set_irq()     MSI route
 *        |  INTR rises                 |  redirection entry      |
 *        v                             v                         v
 *   kvmm_irqchip_pic_kick()       kvmm_apic_deliver(msg)  <------+
 *                                      |  (also ICR writes: IPIs)
 *                                      v
 *                                 local APIC: IRR, then REQ_EVENT + kick
 *                                      |
 *   arch/x86/events.c, before entry: kvmm_irqchip_pending_vector() /
 *   kvmm_irqchip_ack() pick the vector (the PIC's ExtINT first, as
 *   KVM, else the LAPIC's); the backend only delivers it.
 *
 * vcpu->arch.apic == NULL means no in-kernel LAPIC: the userspace
 * irqchip of issue #13 (KVM_INTERRUPT, kvm_run.cr8), which keeps working.
 * vm->arch.irqchip == NULL means no KVM_CREATE_IRQCHIP and no split
 * irqchip.
 */
#ifndef _KVMM_IRQCHIP_H
#define _KVMM_IRQCHIP_H

#include <linux/kvm.h>
#include <linux/types.h>

struct kvmm_vm;
struct kvmm_vcpu;
struct kvmm_pic;
struct kvmm_ioapic;
struct kvmm_lapic;
struct kvmm_pit;

#define KVMM_IOAPIC_NUM_PINS	24	/* KVM_IOAPIC_NUM_PINS */
#define KVMM_PIC_NUM_PINS	16

/*
 * Who drives a level line.  A line is asserted while any source holds
 * it (wired-OR), as KVM keeps one bit per source per pin: userspace's
 * KVM_IRQ_LINE, the PIT, and resampling irqfds each have their own.
 */
enum kvmm_irq_source {
	KVMM_IRQ_SOURCE_USERSPACE,
	KVMM_IRQ_SOURCE_IRQFD_RESAMPLE,
	KVMM_IRQ_SOURCE_PIT,
	KVMM_NR_IRQ_SOURCES,
};

/* vm->arch.irqchip; created by KVM_CREATE_IRQCHIP or KVM_CAP_SPLIT_IRQCHIP. */
struct kvmm_irqchip {
	struct kvmm_vm *vm;
	bool split;			/* LAPICs only; PIC/IOAPIC in userspace */
	u32 nr_reserved_ioapic_pins;	/* split: KVM_CAP_SPLIT_IRQCHIP's args[0] */
	struct kvmm_pic *pic;		/* NULL when split */
	struct kvmm_ioapic *ioapic;	/* NULL when split */
	/*
	 * Split irqchip: vectors whose EOI userspace's IOAPIC must hear of
	 * (KVM_EXIT_IOAPIC_EOI), those of level-triggered MSI routes of
	 * the reserved GSIs; rewritten by each routing change (routes.c).
	 */
	u64 eoi_exit_vectors[4];	/* bit v % 64 of word v / 64 */
};

/*
 * One interrupt message to local APICs: what an IOAPIC redirection
 * entry, an MSI (SDM 3A 10.11) or an ICR write (SDM 3A 10.6.1) sends.
 */
struct kvmm_apic_msg {
	u32 dest;		/* APIC id or logical destination */
	u8 vector;
	u8 delivery_mode;	/* APIC_DM_* of <asm/apicdef.h>, >> 8 */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode: level (sets TMR) */
	bool assert;		/* level: asserted; INIT deassert is a no-op */
	u8 shorthand;		/* APIC_DEST_* of <asm/apicdef.h>, >> 18 */
};

/* irqchip.c: creation, KVM_IRQ_LINE, KVM_GET/SET_IRQCHIP. */
int kvmm_irqchip_create(struct kvmm_vm *vm);		/* KVM_CREATE_IRQCHIP */
int kvmm_irqchip_create_split(struct kvmm_vm *vm, u32 pins);
void kvmm_irqchip_destroy(struct kvmm_vm *vm);
/*
 * An irqchip route: PIC master/slave or IOAPIC (KVM_IRQCHIP_*), @pin
 * within the chip (0-7 for each PIC).  Process context.
 */
int kvmm_irqchip_set_pin(struct kvmm_vm *vm, enum kvmm_irq_source src,
			 u32 chip, u32 pin, bool level);
/*
 * Split irqchip: does the LAPIC's EOI of @vector go out to userspace as
 * KVM_EXIT_IOAPIC_EOI (run->eoi.vector)?  KVM asks this on every EOI,
 * whatever the TMR and directed EOI say (lapic.c's kvm_ioapic_send_eoi()).
 * Any context.
 */
bool kvmm_irqchip_eoi_exit(struct kvmm_vcpu *vcpu, u8 vector);
/* The PIC's INTR output went up: wake the vCPUs that take ExtINT. */
void kvmm_irqchip_pic_kick(struct kvmm_vm *vm);
/*
 * For events.c: the vector to inject next (-1 if none), and accepting it
 * (LAPIC: IRR to ISR; PIC: the INTA cycle).  A vCPU without an in-kernel
 * LAPIC answers -1.  The PIC's ExtINT comes first, as in KVM; its vector
 * is known only at the INTA cycle, so pending_vector() answers
 * KVMM_IRQCHIP_EXTINT_PENDING for it and ack() gives the vector.
 */
#define KVMM_IRQCHIP_EXTINT_PENDING	256
int kvmm_irqchip_pending_vector(struct kvmm_vcpu *vcpu);
int kvmm_irqchip_ack(struct kvmm_vcpu *vcpu);
/* The VM ioctls (arch/x86/vm.c's table). */
struct file;
long kvmm_create_irqchip_ioctl(struct file *filp, unsigned long arg);
long kvmm_get_irqchip_ioctl(struct file *filp, unsigned long arg);
long kvmm_set_irqchip_ioctl(struct file *filp, unsigned long arg);

/* routes.c: an MSI's address and data as a message (SDM 3A 10.11). */
void kvmm_msi_to_apic_msg(u32 address_lo, u32 data, struct kvmm_apic_msg *m);

/*
 * lapic.c (and lapic_timer.c).  create (after the vCPU's reset, before
 * it is published) and free take vm->io.lock and wait for vm->srcu
 * readers: callers may hold vm->lock, not io.lock or an SRCU read side.
 */
int kvmm_lapic_create(struct kvmm_vcpu *vcpu);
void kvmm_lapic_free(struct kvmm_vcpu *vcpu);
/* RESET (@init false) or INIT of the vCPU: the LAPIC's part (SDM 3A 11.4.7). */
void kvmm_lapic_reset(struct kvmm_vcpu *vcpu, bool init);
/*
 * Send @msg; @src is the sending LAPIC for an IPI (shorthands, logical
 * "self"), NULL otherwise.  Returns as KVM's kvm_irq_delivery_to_apic():
 * -1 if no LAPIC took it, else how many did (KVM_IRQ_LINE_STATUS).
 */
int kvmm_apic_deliver(struct kvmm_vm *vm, struct kvmm_lapic *src,
		      const struct kvmm_apic_msg *msg);
int kvmm_lapic_pending_vector(struct kvmm_vcpu *vcpu);	/* above PPR */
void kvmm_lapic_accept(struct kvmm_vcpu *vcpu, int vector);
/* LVT0 in ExtINT mode, or the LAPIC hardware-disabled (SDM 3A 10.4.3). */
bool kvmm_lapic_accepts_pic(struct kvmm_vcpu *vcpu);
/* A halted vCPU has something to wake for (interrupt, NMI, INIT/SIPI). */
bool kvmm_lapic_has_work(struct kvmm_vcpu *vcpu);
int kvmm_lapic_get(struct kvmm_vcpu *vcpu, struct kvm_lapic_state *s);
int kvmm_lapic_set(struct kvmm_vcpu *vcpu, const struct kvm_lapic_state *s);
/*
 * x2APIC MSRs 0x800-0x8ff and IA32_TSC_DEADLINE; 1 = #GP, as the MSR
 * code's contract.
 */
int kvmm_lapic_msr_read(struct kvmm_vcpu *vcpu, u32 msr, u64 *data);
int kvmm_lapic_msr_write(struct kvmm_vcpu *vcpu, u32 msr, u64 data);
/* IA32_APIC_BASE, already checked (msr.c); stores vcpu->arch.apic_base. */
void kvmm_lapic_set_base(struct kvmm_vcpu *vcpu, u64 value);
void kvmm_lapic_set_tpr(struct kvmm_vcpu *vcpu, u64 cr8);
u64 kvmm_lapic_get_tpr(struct kvmm_vcpu *vcpu);		/* as CR8 */

/*
 * vapic.c: KVM_SET_VAPIC_ADDR's page (QEMU's kvmvapic ROM).  The vCPU
 * thread, under vcpu->mutex, preemptible (they access guest memory):
 * set_vapic_addr needs an in-kernel LAPIC; the syncs do nothing without
 * one or without an address.
 */
int kvmm_lapic_set_vapic_addr(struct kvmm_vcpu *vcpu, u64 gpa);
void kvmm_lapic_sync_to_vapic(struct kvmm_vcpu *vcpu);	/* before entry */
void kvmm_lapic_sync_from_vapic(struct kvmm_vcpu *vcpu);	/* after exit */

/* pic.c: the 8259A pair (ports 0x20/0x21, 0xa0/0xa1, ELCR 0x4d0/0x4d1). */
struct kvmm_pic *kvmm_pic_create(struct kvmm_vm *vm);
void kvmm_pic_free(struct kvmm_pic *pic);
/*
 * @pin 0-15: 0-7 the master's IR0-7, 8-15 the slave's (a route's pin of
 * KVM_IRQCHIP_PIC_SLAVE plus 8).  1 delivered, 0 coalesced, -1 masked
 * (KVM_IRQ_LINE_STATUS).  The PIC's ack notifications name the chip and
 * its IR, 0-7.
 */
int kvmm_pic_set_irq(struct kvmm_pic *pic, enum kvmm_irq_source src,
		     u32 pin, bool level);
bool kvmm_pic_output(struct kvmm_pic *pic);	/* master INTR */
int kvmm_pic_intack(struct kvmm_pic *pic);	/* vector of the INTA cycle */
int kvmm_pic_get(struct kvmm_pic *pic, bool slave, struct kvm_pic_state *s);
int kvmm_pic_set(struct kvmm_pic *pic, bool slave,
		 const struct kvm_pic_state *s);

/* ioapic.c: one IOAPIC at 0xfec00000 (MMIO). */
struct kvmm_ioapic *kvmm_ioapic_create(struct kvmm_vm *vm);
void kvmm_ioapic_free(struct kvmm_ioapic *ioapic);
int kvmm_ioapic_set_irq(struct kvmm_ioapic *ioapic, enum kvmm_irq_source src,
			u32 pin, bool level);
/*
 * A LAPIC EOI of @vector, @level its TMR bit.  Called for every EOI, edge
 * ones too (their pins' ack notifiers: the PIT's reinjection), with no
 * LAPIC lock held; only a level EOI clears remote IRR (SDM 3A 10.8.5).
 */
void kvmm_ioapic_eoi(struct kvmm_vm *vm, u8 vector, bool level);
int kvmm_ioapic_get(struct kvmm_ioapic *ioapic, struct kvm_ioapic_state *s);
int kvmm_ioapic_set(struct kvmm_ioapic *ioapic,
		    const struct kvm_ioapic_state *s);

/*
 * An EOI reached irqchip pin @pin of @chip (KVM_IRQCHIP_*; a slave PIC
 * pin as 0-7 or as the pair's 8-15): the ack notifiers of the GSI routed
 * there run (resampling irqfds, the PIT).  Process context, without the
 * device's lock held: a notifier may set the line again.
 */
void kvmm_irqchip_ack_notify(struct kvmm_vm *vm, u32 chip, u32 pin);

#endif /* _KVMM_IRQCHIP_H */
