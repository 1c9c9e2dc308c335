// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD (api.rst 4.75): an eventfd whose signal raises a GSI in the
 * kernel, without the VMM's thread waking up; with
 * KVM_IRQFD_FLAG_RESAMPLE, a level-triggered line held asserted until the
 * guest's EOI, which deasserts it and signals the resample eventfd so
 * that the device's owner can check whether to raise it again.
 *
 * An irqfd hooks its own entry on the eventfd's wait queue.  The eventfd
 * calls it in irqfd_wakeup() under the queue's spinlock with interrupts
 * off: an MSI route (copied into the irqfd, refreshed by each routing
 * change under irqfds_lock, read under a seqcount) is delivered right
 * there; anything else (PIC/IOAPIC lines, whose devices are driven from
 * process context only) goes through the irqfd's work item.
 *
 * Lifetime, on KVM's model (virt/kvm/eventfd.c): an irqfd is active while
 * on vm->irq.irqfds.  Deassignment, the eventfd's EPOLLHUP (its last
 * reference went) and the VM fd's release take it off under irqfds_lock
 * and queue its shutdown on kvmm_irqfd_wq, which unhooks it from the wait
 * queue, flushes its injection work, leaves its resampler and frees it.
 * Deassign and release flush the queue, so on return no irqfd of theirs
 * injects any more.  An irqfd holds no VM reference: release runs before
 * the VM can go.
 *
 * Resamplers: one per GSI with resampling irqfds (vm->irq.resamplers,
 * under resampler_lock), holding the ack notifier of that GSI and the
 * list of its irqfds (read under vm->irq.srcu).  All of them drive the
 * line through one irq source (the resample one), so the EOI deasserts it
 * once and signals every irqfd's resample eventfd; a device that still
 * wants service signals its irqfd again, which reasserts it.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>
#include <kvmm/vm.h>

struct kvmm_irqfd_resampler {
	struct kvmm_vm *vm;
	struct list_head irqfds;	/* kvmm_irqfd.resampler_link, RCU */
	struct list_head link;		/* on vm->irq.resamplers */
	struct kvmm_irq_ack_notifier notifier;
};

struct kvmm_irqfd {
	struct kvmm_vm *vm;
	u32 gsi;
	struct eventfd_ctx *eventfd;
	/* The GSI's route when it has exactly one, else type 0. */
	struct kvmm_irq_route route;
	seqcount_spinlock_t route_sc;
	struct kvmm_irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
	struct list_head list;		/* on vm->irq.irqfds; empty: inactive */
};

static struct workqueue_struct *kvmm_irqfd_wq;

int kvmm_irqfd_module_init(void)
{
	kvmm_irqfd_wq = alloc_workqueue("kvmm-irqfd-cleanup", 0, 0);
	return kvmm_irqfd_wq ? 0 : -ENOMEM;
}

void kvmm_irqfd_module_exit(void)
{
	destroy_workqueue(kvmm_irqfd_wq);
}

/* Process context: a pulse on an edge line, or assert a resampled one. */
static void irqfd_inject(struct work_struct *work)
{
	struct kvmm_irqfd *irqfd = container_of(work, struct kvmm_irqfd,
						inject);
	struct kvmm_vm *vm = irqfd->vm;

	if (!irqfd->resampler) {
		int src = kvmm_arch_irq_source(false);

		kvmm_set_irq(vm, src, irqfd->gsi, 1, false);
		kvmm_set_irq(vm, src, irqfd->gsi, 0, false);
	} else {
		kvmm_set_irq(vm, kvmm_arch_irq_source(true), irqfd->gsi, 1,
			     false);
	}
}

/* The guest's EOI of the resampled line (an ack notifier). */
static void irqfd_resampler_ack(struct kvmm_irq_ack_notifier *kian)
{
	struct kvmm_irqfd_resampler *rs =
		container_of(kian, struct kvmm_irqfd_resampler, notifier);
	struct kvmm_vm *vm = rs->vm;
	struct kvmm_irqfd *irqfd;
	int idx;

	kvmm_set_irq(vm, kvmm_arch_irq_source(true), kian->gsi, 0, false);
	idx = srcu_read_lock(&vm->irq.srcu);
	list_for_each_entry_srcu(irqfd, &rs->irqfds, resampler_link,
				 srcu_read_lock_held(&vm->irq.srcu))
		eventfd_signal(irqfd->resamplefd, 1);
	srcu_read_unlock(&vm->irq.srcu, idx);
}

/* Leave the resampler; the last one out deasserts the line and frees it. */
static void irqfd_resampler_leave(struct kvmm_irqfd *irqfd)
{
	struct kvmm_irqfd_resampler *rs = irqfd->resampler;
	struct kvmm_vm *vm = rs->vm;

	mutex_lock(&vm->irq.resampler_lock);
	list_del_rcu(&irqfd->resampler_link);
	synchronize_srcu(&vm->irq.srcu);
	if (list_empty(&rs->irqfds)) {
		list_del(&rs->link);
		kvmm_unregister_irq_ack_notifier(vm, &rs->notifier);
		kvmm_set_irq(vm, kvmm_arch_irq_source(true), rs->notifier.gsi,
			     0, false);
		kvmm_free(rs);
	}
	mutex_unlock(&vm->irq.resampler_lock);
}

/* Join (or start) the resampler of the irqfd's GSI. */
static int irqfd_resampler_join(struct kvmm_irqfd *irqfd)
{
	struct kvmm_vm *vm = irqfd->vm;
	struct kvmm_irqfd_resampler *rs;

	mutex_lock(&vm->irq.resampler_lock);
	list_for_each_entry(rs, &vm->irq.resamplers, link) {
		if (rs->notifier.gsi == irqfd->gsi) {
			irqfd->resampler = rs;
			break;
		}
	}
	if (!irqfd->resampler) {
		rs = kvmm_zalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
		if (!rs) {
			mutex_unlock(&vm->irq.resampler_lock);
			return -ENOMEM;
		}
		rs->vm = vm;
		INIT_LIST_HEAD(&rs->irqfds);
		rs->notifier.gsi = irqfd->gsi;
		rs->notifier.acked = irqfd_resampler_ack;
		list_add(&rs->link, &vm->irq.resamplers);
		kvmm_register_irq_ack_notifier(vm, &rs->notifier);
		irqfd->resampler = rs;
	}
	list_add_rcu(&irqfd->resampler_link, &irqfd->resampler->irqfds);
	synchronize_srcu(&vm->irq.srcu);
	mutex_unlock(&vm->irq.resampler_lock);
	return 0;
}

/*
 * The shutdown work, in an order that lets nothing run on a freed irqfd:
 * the wakeup is unhooked (the queue's lock waits out a running one), no
 * new injection can be queued, the queued one is flushed.
 */
static void irqfd_shutdown(struct work_struct *work)
{
	struct kvmm_irqfd *irqfd = container_of(work, struct kvmm_irqfd,
						shutdown);
	u64 cnt;

	/* Assignment publishes the irqfd inside an SRCU section. */
	synchronize_srcu(&irqfd->vm->irq.srcu);
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);
	if (irqfd->resampler) {
		irqfd_resampler_leave(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kvmm_free(irqfd);
}

static bool irqfd_is_active(struct kvmm_irqfd *irqfd)
{
	return !list_empty(&irqfd->list);
}

/* Under irqfds_lock: take it off the list, let the work queue free it. */
static void irqfd_deactivate(struct kvmm_irqfd *irqfd)
{
	list_del_init(&irqfd->list);
	queue_work(kvmm_irqfd_wq, &irqfd->shutdown);
}

/*
 * The eventfd was signalled (EPOLLIN) or is going away (EPOLLHUP).  Runs
 * under the wait queue's lock with interrupts off.
 */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct kvmm_irqfd *irqfd = container_of(wait, struct kvmm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct kvmm_vm *vm = irqfd->vm;
	struct kvmm_irq_route route;
	unsigned int seq;
	unsigned long iflags;
	int idx, ret = 0;

	if (flags & EPOLLIN) {
		u64 cnt;

		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		atomic_inc(&kvmm_irqfd_injections);
		idx = srcu_read_lock(&vm->irq.srcu);
		do {
			seq = read_seqcount_begin(&irqfd->route_sc);
			route = irqfd->route;
		} while (read_seqcount_retry(&irqfd->route_sc, seq));
		/*
		 * A deassigned irqfd no longer gets routing updates: its copy
		 * may be stale, so it goes the slow way, which looks the GSI
		 * up afresh.
		 */
		if (!irqfd_is_active(irqfd) ||
		    kvmm_arch_set_irq_inatomic(vm, &route,
					       kvmm_arch_irq_source(false),
					       1) == -EWOULDBLOCK)
			schedule_work(&irqfd->inject);
		srcu_read_unlock(&vm->irq.srcu, idx);
		ret = 1;
	}

	if (flags & EPOLLHUP) {
		/*
		 * The eventfd is being freed.  Deassignment may have taken
		 * the irqfd off already; the wait queue's lock, held here,
		 * keeps its shutdown from freeing it under us.
		 */
		spin_lock_irqsave(&vm->irq.irqfds_lock, iflags);
		if (irqfd_is_active(irqfd))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irq.irqfds_lock, iflags);
	}
	return ret;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct kvmm_irqfd *irqfd = container_of(pt, struct kvmm_irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

/* Under irqfds_lock and vm->irq.srcu (or irq.lock): copy the route. */
static void irqfd_update(struct kvmm_vm *vm, struct kvmm_irqfd *irqfd)
{
	struct kvmm_irq_routing_table *rt;
	struct kvmm_irq_route *e, *one = NULL;
	int n = 0;

	rt = srcu_dereference_check(vm->irq.routing, &vm->irq.srcu,
				    lockdep_is_held(&vm->irq.lock));
	if (rt && irqfd->gsi < rt->nr_gsis) {
		hlist_for_each_entry(e, &rt->map[irqfd->gsi], link) {
			one = e;
			n++;
		}
	}
	write_seqcount_begin(&irqfd->route_sc);
	if (n == 1)
		irqfd->route = *one;
	else
		irqfd->route.type = 0;
	write_seqcount_end(&irqfd->route_sc);
}

/* Called by kvmm_set_irq_routing() under vm->irq.lock. */
void kvmm_irqfd_routing_update(struct kvmm_vm *vm)
{
	struct kvmm_irqfd *irqfd;

	spin_lock_irq(&vm->irq.irqfds_lock);
	list_for_each_entry(irqfd, &vm->irq.irqfds, list)
		irqfd_update(vm, irqfd);
	spin_unlock_irq(&vm->irq.irqfds_lock);
}

/*
 * KVM's checks in KVM's order (kvm_irqfd_assign()): an irqchip to inject
 * into (EINVAL; a resampling irqfd needs the PIC/IOAPIC, not the split
 * irqchip), the fd (EBADF), an eventfd (EINVAL), the resample fd
 * likewise, and an eventfd already serving an irqfd of this VM (EBUSY).
 * The GSI is not checked: one without a route just injects nothing.
 */
static int irqfd_assign(struct kvmm_vm *vm, const struct kvm_irqfd *args)
{
	bool resample = args->flags & KVM_IRQFD_FLAG_RESAMPLE;
	struct eventfd_ctx *eventfd = NULL, *resamplefd = NULL;
	struct kvmm_irqfd *irqfd, *tmp;
	__poll_t events;
	struct fd f;
	int r, idx;

	if (!kvmm_arch_irqfd_allowed(vm, resample))
		return -EINVAL;

	irqfd = kvmm_zalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_WORK(&irqfd->inject, irqfd_inject);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	seqcount_spinlock_init(&irqfd->route_sc, &vm->irq.irqfds_lock);

	f = fdget(args->fd);
	if (!f.file) {
		r = -EBADF;
		goto out;
	}
	eventfd = eventfd_ctx_fileget(f.file);
	if (IS_ERR(eventfd)) {
		r = PTR_ERR(eventfd);
		eventfd = NULL;
		goto fail;
	}
	irqfd->eventfd = eventfd;

	if (resample) {
		resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(resamplefd)) {
			r = PTR_ERR(resamplefd);
			resamplefd = NULL;
			goto fail;
		}
		irqfd->resamplefd = resamplefd;
		INIT_LIST_HEAD(&irqfd->resampler_link);
		r = irqfd_resampler_join(irqfd);
		if (r)
			goto fail;
	}

	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_ptable_queue_proc);

	spin_lock_irq(&vm->irq.irqfds_lock);
	list_for_each_entry(tmp, &vm->irq.irqfds, list) {
		if (tmp->eventfd == eventfd) {
			spin_unlock_irq(&vm->irq.irqfds_lock);
			r = -EBUSY;
			goto fail;
		}
	}
	idx = srcu_read_lock(&vm->irq.srcu);
	irqfd_update(vm, irqfd);
	list_add_tail(&irqfd->list, &vm->irq.irqfds);
	spin_unlock_irq(&vm->irq.irqfds_lock);

	/* A signal that came before the hook counts as one after it. */
	events = vfs_poll(f.file, &irqfd->pt);
	if (events & EPOLLIN)
		schedule_work(&irqfd->inject);
	srcu_read_unlock(&vm->irq.srcu, idx);

	/* Only now: the file's last reference would raise EPOLLHUP. */
	fdput(f);
	return 0;

fail:
	if (irqfd->resampler)
		irqfd_resampler_leave(irqfd);
	if (resamplefd)
		eventfd_ctx_put(resamplefd);
	if (eventfd)
		eventfd_ctx_put(eventfd);
	fdput(f);
out:
	kvmm_free(irqfd);
	return r;
}

/*
 * Every irqfd of this eventfd on this GSI goes; none is no error (as in
 * KVM).  On return none of them injects any more.
 */
static int irqfd_deassign(struct kvmm_vm *vm, const struct kvm_irqfd *args)
{
	struct kvmm_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	spin_lock_irq(&vm->irq.irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irq.irqfds, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irq.irqfds_lock);
	eventfd_ctx_put(eventfd);

	flush_workqueue(kvmm_irqfd_wq);
	return 0;
}

/*
 * KVM_IRQFD: read (EFAULT), unknown flags (EINVAL), then deassign (which
 * needs no irqchip) or assign.  Locking: irqfds_lock and resampler_lock
 * inside.
 */
long kvmm_vm_irqfd(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvm_irqfd args;

	if (copy_from_user(&args, (void __user *)arg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, &args);
	return irqfd_assign(vm, &args);
}

/*
 * The VM fd is being released: every irqfd goes, and is gone on return
 * (irqfds hold no VM reference).  vCPU fds may keep the VM alive a while
 * longer, as in KVM, with no irqfd injecting.
 */
void kvmm_irqfd_release(struct kvmm_vm *vm)
{
	struct kvmm_irqfd *irqfd, *tmp;

	spin_lock_irq(&vm->irq.irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irq.irqfds, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irq.irqfds_lock);
	flush_workqueue(kvmm_irqfd_wq);
}
