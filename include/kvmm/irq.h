/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic interrupt lines of a VM (virt/irq_routing.c, virt/irqfd.c): a
 * GSI goes through the routing table to irqchip pins or MSIs; devices
 * that need to know when the guest acknowledged a line (the PIT's
 * reinjection, resampling irqfds) register an ack notifier on its GSI.
 */
#ifndef _KVMM_IRQ_H
#define _KVMM_IRQ_H

#include <linux/list.h>
#include <linux/types.h>

struct kvmm_vm;

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

void kvmm_register_irq_ack_notifier(struct kvmm_vm *vm,
				    struct kvmm_irq_ack_notifier *kian);
void kvmm_unregister_irq_ack_notifier(struct kvmm_vm *vm,
				      struct kvmm_irq_ack_notifier *kian);

#endif /* _KVMM_IRQ_H */
