/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic interrupt lines of a VM (virt/irq_routing.c, virt/irqfd.c): a
 * GSI goes through the routing table to irqchip pins or MSIs; devices
 * that need to know when the guest acknowledged a line (the PIT's
 * reinjection, resampling irqfds) register an ack notifier on its GSI.
 *
 * Locking (Documentation/irqchip.rst, "Routing and irqfds"):
 *  - vm->irq.lock (mutex): writers of the routing table and of the ack
 *    notifier list.  Taken after vm->lock, never the other way round.
 *  - vm->irq.srcu: readers of both (KVM_IRQ_LINE, irqfd injection, EOIs).
 *    Its own SRCU, not vm->srcu, so that a routing change waits only for
 *    interrupt deliveries, never for a memslot reader.
 *  - vm->irq.irqfds_lock (spinlock, irqs off): the irqfd list and each
 *    irqfd's copy of its route; taken in the eventfd's wakeup, which runs
 *    under the eventfd's wait-queue lock with interrupts off.
 *  - vm->irq.resampler_lock (mutex): the resamplers and their irqfd lists.
 */
#ifndef _KVMM_IRQ_H
#define _KVMM_IRQ_H

#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>

struct file;
struct kvmm_vm;

/*
 * Irqchips a route can name and pins per chip: x86's two PICs and IOAPIC
 * (KVM_IRQCHIP_PIC_MASTER/SLAVE/IOAPIC), 24 pins for the largest.
 */
#define KVMM_NR_IRQCHIPS	3
#define KVMM_IRQCHIP_NUM_PINS	24

/* One route of a GSI, as KVM_SET_GSI_ROUTING gave it (after checks). */
struct kvmm_irq_route {
	struct hlist_node link;		/* on its table's map[gsi] */
	u32 gsi;
	u32 type;			/* KVM_IRQ_ROUTING_* */
	union {
		struct {
			u32 chip;	/* KVM_IRQCHIP_* */
			u32 pin;	/* within the chip: 0-7 for a PIC */
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
			u32 flags;	/* KVM_MSI_VALID_DEVID */
			u32 devid;
		} msi;
		struct {
			u32 vcpu;
			u32 sint;
		} hv_sint;
	};
};

/*
 * One routing table; immutable once published in vm->irq.routing, freed
 * after an SRCU grace period when the next one replaces it.
 */
struct kvmm_irq_routing_table {
	/* GSI of [chip][pin] (-1: none), for EOIs and ack notifiers. */
	int chip[KVMM_NR_IRQCHIPS][KVMM_IRQCHIP_NUM_PINS];
	u32 nr_routes;
	struct kvmm_irq_route *routes;	/* nr_routes, in userspace's order */
	u32 nr_gsis;			/* highest GSI + 1 */
	struct hlist_head map[];	/* nr_gsis: the routes of each GSI */
};

/* vm->irq */
struct kvmm_vm_irq {
	struct mutex lock;
	struct srcu_struct srcu;
	struct kvmm_irq_routing_table __rcu *routing;	/* NULL: no irqchip */
	struct hlist_head ack_notifiers;
	/* virt/irqfd.c */
	spinlock_t irqfds_lock;
	struct list_head irqfds;
	struct mutex resampler_lock;
	struct list_head resamplers;
};

/*
 * Drive GSI @gsi to @level for @source (an arch irq source id, such as
 * enum kvmm_irq_source on x86).  Returns as KVM_IRQ_LINE_STATUS: > 0
 * delivered to that many targets, 0 coalesced, < 0 masked or none.
 * Callable from process context and, for edge MSIs only, from atomic
 * context (irqfd wakeups).
 */
int kvmm_set_irq(struct kvmm_vm *vm, int source, u32 gsi, int level,
		 bool line_status);

struct kvmm_irq_ack_notifier {
	struct hlist_node link;
	u32 gsi;
	void (*acked)(struct kvmm_irq_ack_notifier *kian);
};

/* Process context; unregister waits until no EOI still calls @kian. */
void kvmm_register_irq_ack_notifier(struct kvmm_vm *vm,
				    struct kvmm_irq_ack_notifier *kian);
void kvmm_unregister_irq_ack_notifier(struct kvmm_vm *vm,
				      struct kvmm_irq_ack_notifier *kian);

/* virt/irq_routing.c */
int kvmm_irq_init(struct kvmm_vm *vm);
void kvmm_irq_destroy(struct kvmm_vm *vm);
int kvmm_set_irq_routing(struct kvmm_vm *vm,
			 const struct kvm_irq_routing_entry *ue, u32 nr);
/* An EOI of irqchip pin @pin of @chip: call the notifiers of its GSI. */
void kvmm_notify_acked_irq(struct kvmm_vm *vm, u32 chip, u32 pin);
long kvmm_vm_signal_msi(struct file *filp, unsigned long arg);

/* virt/irqfd.c */
int kvmm_irqfd_module_init(void);
void kvmm_irqfd_module_exit(void);
long kvmm_vm_irqfd(struct file *filp, unsigned long arg);
void kvmm_irqfd_routing_update(struct kvmm_vm *vm);
void kvmm_irqfd_release(struct kvmm_vm *vm);

/*
 * Arch hooks for routes.  set_routing_entry checks one entry of
 * KVM_SET_GSI_ROUTING beyond the generic checks (chip, pin, type) and
 * fills @e; set_irq delivers through one route (process context);
 * set_irq_inatomic does it from atomic context where the route allows,
 * else answers -EWOULDBLOCK.  KVM_SIGNAL_MSI goes through set_irq with
 * an MSI route made up for the call.
 */
int kvmm_arch_set_routing_entry(struct kvmm_vm *vm, struct kvmm_irq_route *e,
				const struct kvm_irq_routing_entry *ue);
int kvmm_arch_set_irq(struct kvmm_vm *vm, const struct kvmm_irq_route *e,
		      int source, int level, bool line_status);
int kvmm_arch_set_irq_inatomic(struct kvmm_vm *vm,
			       const struct kvmm_irq_route *e, int source,
			       int level);
/* A new table is in place (under vm->irq.lock): derived arch state. */
void kvmm_arch_irq_routing_update(struct kvmm_vm *vm,
				  struct kvmm_irq_routing_table *rt);
/* KVM_IRQFD: an irqchip to inject into (resample: PIC/IOAPIC as well). */
bool kvmm_arch_irqfd_allowed(struct kvmm_vm *vm, bool resample);
/* The irq source ids of userspace's KVM_IRQ_LINE and resampling irqfds. */
int kvmm_arch_irq_source(bool resample);

#endif /* _KVMM_IRQ_H */
