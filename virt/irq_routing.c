// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt lines and routes of a VM: KVM_SET_GSI_ROUTING (api.rst 4.52),
 * KVM_IRQ_LINE / KVM_IRQ_LINE_STATUS (api.rst 4.25), KVM_SIGNAL_MSI
 * (api.rst 4.71), and the ack notifiers of include/kvmm/irq.h.
 *
 * All of them need an in-kernel irqchip (KVM_CREATE_IRQCHIP, or the split
 * one); without it each answers as Linux 6.1 answers, in its order of
 * checks.  VMMs probe for them even then: QEMU 7.2 refuses to start on
 * x86 without KVM_CAP_IRQ_ROUTING (target/i386/kvm/kvm.c, kvm_arch_init())
 * even with kernel_irqchip=off, where it then never calls
 * KVM_SET_GSI_ROUTING.
 *
 * The table, on KVM's model (virt/kvm/irqchip.c): one immutable table
 * per KVM_SET_GSI_ROUTING, published with RCU in vm->irq.routing
 * (readers: irqfd, KVM_IRQ_LINE and EOIs under vm->irq.srcu), holding
 * for each GSI (up to KVMM_MAX_IRQ_ROUTES) the list of its routes, each
 * an IRQCHIP pin (PIC master, PIC slave, IOAPIC) or an MSI (address,
 * data, devid), plus the reverse map from irqchip pin to GSI that EOIs
 * and resampling irqfds need.  The arch checks and delivers each route
 * (arch/x86/irqchip/routes.c); everything else is generic.  The first
 * table is the arch's default one, set when its irqchip is created; a
 * VM without an irqchip has none (NULL).
 */
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>
#include <kvmm/vm.h>

int kvmm_irq_init(struct kvmm_vm *vm)
{
	struct kvmm_vm_irq *irq = &vm->irq;

	mutex_init(&irq->lock);
	INIT_HLIST_HEAD(&irq->ack_notifiers);
	spin_lock_init(&irq->irqfds_lock);
	INIT_LIST_HEAD(&irq->irqfds);
	mutex_init(&irq->resampler_lock);
	INIT_LIST_HEAD(&irq->resamplers);
	RCU_INIT_POINTER(irq->routing, NULL);
	return init_srcu_struct(&irq->srcu);
}

static void routing_table_free(struct kvmm_irq_routing_table *rt)
{
	if (!rt)
		return;
	kvmm_kvfree(rt->routes, array_size(rt->nr_routes, sizeof(*rt->routes)));
	kvmm_kvfree(rt, struct_size(rt, map, rt->nr_gsis));
}

/* At VM destruction: irqfds are gone (VM fd release), nothing reads. */
void kvmm_irq_destroy(struct kvmm_vm *vm)
{
	routing_table_free(rcu_access_pointer(vm->irq.routing));
	cleanup_srcu_struct(&vm->irq.srcu);
}

static struct kvmm_irq_routing_table *routing_table_alloc(u32 nr_gsis,
							  u32 nr_routes)
{
	struct kvmm_irq_routing_table *rt;
	int i, j;

	rt = kvmm_kvzalloc(struct_size(rt, map, nr_gsis), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return NULL;
	rt->nr_gsis = nr_gsis;
	if (nr_routes) {
		rt->routes = kvmm_kvzalloc(array_size(nr_routes,
						      sizeof(*rt->routes)),
					   GFP_KERNEL_ACCOUNT);
		if (!rt->routes) {
			kvmm_kvfree(rt, struct_size(rt, map, nr_gsis));
			return NULL;
		}
	}
	rt->nr_routes = nr_routes;
	for (i = 0; i < KVMM_NR_IRQCHIPS; i++)
		for (j = 0; j < KVMM_IRQCHIP_NUM_PINS; j++)
			rt->chip[i][j] = -1;
	return rt;
}

/*
 * One entry, KVM's checks in KVM's order (setup_routing_entry()): a GSI
 * takes either irqchip routes, at most one per chip, or exactly one route
 * of another type; then the arch checks the route itself.
 */
static int routing_entry_add(struct kvmm_vm *vm,
			     struct kvmm_irq_routing_table *rt,
			     struct kvmm_irq_route *e,
			     const struct kvm_irq_routing_entry *ue)
{
	struct kvmm_irq_route *ei;
	int r;

	hlist_for_each_entry(ei, &rt->map[ue->gsi], link)
		if (ei->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->u.irqchip.irqchip == ei->irqchip.chip)
			return -EINVAL;

	e->gsi = ue->gsi;
	e->type = ue->type;
	r = kvmm_arch_set_routing_entry(vm, e, ue);
	if (r)
		return r;
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
		/* The arch checked both; a bad one here is kvmm's bug. */
		if (e->irqchip.chip >= KVMM_NR_IRQCHIPS ||
		    e->irqchip.pin >= KVMM_IRQCHIP_NUM_PINS) {
			kvmm_vm_bug(vm, "route to chip %u pin %u\n",
				    e->irqchip.chip, e->irqchip.pin);
			return -EIO;
		}
		rt->chip[e->irqchip.chip][e->irqchip.pin] = e->gsi;
	}
	hlist_add_head(&e->link, &rt->map[e->gsi]);
	return 0;
}

/*
 * Replace the routing table with @nr entries @ue.  KVM's order
 * (kvm_set_irq_routing()): every GSI is range-checked before any entry is
 * looked at; then entry by entry its flags (an MSI may have
 * KVM_MSI_VALID_DEVID, others none), the GSI's other routes, and the
 * route itself.  The first failure leaves the old table in place.
 * Process context; takes vm->irq.lock, waits for an SRCU grace period.
 */
int kvmm_set_irq_routing(struct kvmm_vm *vm,
			 const struct kvm_irq_routing_entry *ue, u32 nr)
{
	struct kvmm_irq_routing_table *new, *old;
	u32 i, max_gsi = 0;
	int r;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVMM_MAX_IRQ_ROUTES)
			return -EINVAL;
		max_gsi = max(max_gsi, ue[i].gsi);
	}

	new = routing_table_alloc(max_gsi + 1, nr);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		u32 valid = ue[i].type == KVM_IRQ_ROUTING_MSI ?
			    KVM_MSI_VALID_DEVID : 0;

		r = -EINVAL;
		if (ue[i].flags & ~valid)
			goto fail;
		r = routing_entry_add(vm, new, &new->routes[i], &ue[i]);
		if (r)
			goto fail;
	}

	mutex_lock(&vm->irq.lock);
	old = rcu_dereference_protected(vm->irq.routing,
					lockdep_is_held(&vm->irq.lock));
	rcu_assign_pointer(vm->irq.routing, new);
	/* irqfds keep a copy of their route: refresh it under the lock. */
	kvmm_irqfd_routing_update(vm);
	kvmm_arch_irq_routing_update(vm, new);
	mutex_unlock(&vm->irq.lock);

	synchronize_srcu_expedited(&vm->irq.srcu);
	routing_table_free(old);
	return 0;

fail:
	routing_table_free(new);
	return r;
}

/*
 * KVM_SET_GSI_ROUTING.  KVM's order: the header is read (EFAULT); x86
 * refuses any table without an in-kernel irqchip (EINVAL, before the
 * count and flags are looked at: kvm_arch_can_set_irq_routing()); more
 * than KVMM_MAX_IRQ_ROUTES entries or any header flag, EINVAL; the
 * entries are read (EFAULT); then kvmm_set_irq_routing()'s checks.
 * Locking: vm->irq.lock inside.
 */
long kvmm_vm_set_gsi_routing(struct kvmm_vm *vm, void __user *arg)
{
	struct kvm_irq_routing __user *urt = arg;
	struct kvm_irq_routing_entry *entries = NULL;
	struct kvm_irq_routing hdr;
	long r;

	if (copy_from_user(&hdr, urt, sizeof(hdr)))
		return -EFAULT;
	if (!kvmm_arch_can_set_irq_routing(vm))
		return -EINVAL;
	if (hdr.nr > KVMM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		entries = vmemdup_user(urt->entries,
				       array_size(sizeof(*entries), hdr.nr));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	r = kvmm_set_irq_routing(vm, entries, hdr.nr);
	kvfree(entries);
	return r;
}

/*
 * Drive a GSI through each of its routes.  The routes are copied out of
 * the table under SRCU and delivered after it (a GSI has at most one
 * route per irqchip, or one other).  The answer sums the routes that
 * took the level (> 0 delivered, 0 coalesced) and is < 0 only when none
 * did, as kvm_set_irq().
 */
int kvmm_set_irq(struct kvmm_vm *vm, int source, u32 gsi, int level,
		 bool line_status)
{
	struct kvmm_irq_route routes[KVMM_NR_IRQCHIPS];
	struct kvmm_irq_routing_table *rt;
	struct kvmm_irq_route *e;
	int n = 0, ret = -1, idx;

	idx = srcu_read_lock(&vm->irq.srcu);
	rt = srcu_dereference(vm->irq.routing, &vm->irq.srcu);
	if (rt && gsi < rt->nr_gsis) {
		hlist_for_each_entry(e, &rt->map[gsi], link) {
			if (n == ARRAY_SIZE(routes))
				break;
			routes[n++] = *e;
		}
	}
	srcu_read_unlock(&vm->irq.srcu, idx);

	while (n--) {
		int r = kvmm_arch_set_irq(vm, &routes[n], source, level,
					  line_status);

		if (r >= 0)
			ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/*
 * KVM_IRQ_LINE and KVM_IRQ_LINE_STATUS: the argument is read (EFAULT);
 * a VM without an in-kernel irqchip has no line to set (ENXIO, x86's
 * kvm_vm_ioctl_irq_line()); else the line is set for userspace's irq
 * source and, for _STATUS, kvmm_set_irq()'s answer written back.  A GSI
 * with no route is no error: its status is -1.  Locking: none held (the
 * devices lock themselves).
 */
long kvmm_vm_irq_line(struct kvmm_vm *vm, void __user *arg, bool status)
{
	struct kvm_irq_level irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (!kvmm_arch_can_set_irq_routing(vm))
		return -ENXIO;
	irq.status = kvmm_set_irq(vm, kvmm_arch_irq_source(false), irq.irq,
				  irq.level, status);
	if (status && copy_to_user(arg, &irq, sizeof(irq)))
		return -EFAULT;
	return 0;
}

/*
 * KVM_SIGNAL_MSI: one MSI, as if through a route.  KVM's order: read
 * (EFAULT); no in-kernel irqchip or an unknown flag, EINVAL; then the
 * delivery's own answer is the ioctl's: > 0 LAPICs that took it, 0
 * coalesced, -1 (userspace sees EPERM) when none did.  Locking: none.
 */
long kvmm_vm_signal_msi(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvmm_irq_route e = { .type = KVM_IRQ_ROUTING_MSI };
	struct kvm_msi msi;

	if (copy_from_user(&msi, (void __user *)arg, sizeof(msi)))
		return -EFAULT;
	if (!kvmm_arch_can_set_irq_routing(vm) ||
	    (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	e.msi.address_lo = msi.address_lo;
	e.msi.address_hi = msi.address_hi;
	e.msi.data = msi.data;
	e.msi.flags = msi.flags;
	e.msi.devid = msi.devid;
	return kvmm_arch_set_irq(vm, &e, kvmm_arch_irq_source(false), 1, false);
}

/*
 * An EOI reached irqchip pin @pin of @chip: the ack notifiers of the GSI
 * routed there run (a resampling irqfd deasserts and signals, the PIT
 * reinjects).  Called by the devices in process context, without their
 * own lock: a notifier may drive the line again.
 */
void kvmm_notify_acked_irq(struct kvmm_vm *vm, u32 chip, u32 pin)
{
	struct kvmm_irq_routing_table *rt;
	struct kvmm_irq_ack_notifier *kian;
	int gsi = -1, idx;

	idx = srcu_read_lock(&vm->irq.srcu);
	rt = srcu_dereference(vm->irq.routing, &vm->irq.srcu);
	if (rt && chip < KVMM_NR_IRQCHIPS && pin < KVMM_IRQCHIP_NUM_PINS)
		gsi = rt->chip[chip][pin];
	if (gsi >= 0)
		hlist_for_each_entry_srcu(kian, &vm->irq.ack_notifiers, link,
					  srcu_read_lock_held(&vm->irq.srcu))
			if (kian->gsi == gsi)
				kian->acked(kian);
	srcu_read_unlock(&vm->irq.srcu, idx);
}

void kvmm_register_irq_ack_notifier(struct kvmm_vm *vm,
				    struct kvmm_irq_ack_notifier *kian)
{
	mutex_lock(&vm->irq.lock);
	hlist_add_head_rcu(&kian->link, &vm->irq.ack_notifiers);
	mutex_unlock(&vm->irq.lock);
}

void kvmm_unregister_irq_ack_notifier(struct kvmm_vm *vm,
				      struct kvmm_irq_ack_notifier *kian)
{
	mutex_lock(&vm->irq.lock);
	hlist_del_init_rcu(&kian->link);
	mutex_unlock(&vm->irq.lock);
	synchronize_srcu(&vm->irq.srcu);
}
