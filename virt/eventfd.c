// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD (api.rst 4.59): a guest write to a port or an MMIO
 * address signals an eventfd in the kernel; the write completes and the
 * guest goes on with no exit to userspace.
 *
 * An ioeventfd is a device on the PIO or MMIO bus (io_bus.c) whose write
 * op takes an access only when it is at exactly its address and, unless
 * its length is 0 ("any length"), of exactly its length and (with
 * KVM_IOEVENTFD_FLAG_DATAMATCH) carrying its datamatch value; anything
 * else passes on, to the next device or to userspace as a normal exit.
 *
 * Every ioeventfd is on vm->io.ioeventfds, under vm->io.lock, and holds
 * one reference to its eventfd context until it is deassigned or the VM
 * is destroyed.  KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY is s390's: Linux's
 * KVM accepts it on x86 too and files the ioeventfd on a bus nothing
 * reads, so kvmm keeps such an ioeventfd on the list only (it collides
 * and deassigns as KVM's does, and never fires).
 */
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

/* The bus of an ioeventfd: a kvmm_bus, or the bus nothing reads. */
#define IOEVENTFD_NO_BUS	KVMM_NR_BUSES

/* Every flag bit Linux 6.1 knows, fast_mmio's (internal) included. */
#define IOEVENTFD_FLAGS_KNOWN	((1U << kvm_ioeventfd_flag_nr_max) - 1)

struct kvmm_ioeventfd {
	struct kvmm_io_device dev;
	struct list_head link;
	struct eventfd_ctx *ctx;
	u64 addr;
	u64 datamatch;
	u32 len;		/* 0, 1, 2, 4, 8 */
	u8 bus;			/* enum kvmm_bus or IOEVENTFD_NO_BUS */
	bool match_data;	/* KVM_IOEVENTFD_FLAG_DATAMATCH */
};

static struct kvmm_ioeventfd *to_ioeventfd(struct kvmm_io_device *dev)
{
	return container_of(dev, struct kvmm_ioeventfd, dev);
}

static bool ioeventfd_hit(const struct kvmm_ioeventfd *p, u64 addr, u32 len,
			  const void *val)
{
	__le64 v = 0;

	if (addr != p->addr)
		return false;
	if (!p->len)
		return true;
	if (len != p->len)
		return false;
	if (!p->match_data)
		return true;
	/* The guest's bytes, little-endian, against the whole u64. */
	memcpy(&v, val, len);
	return le64_to_cpu(v) == p->datamatch;
}

static int ioeventfd_write(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			   u64 addr, u32 len, const void *val)
{
	struct kvmm_ioeventfd *p = to_ioeventfd(dev);

	if (!ioeventfd_hit(p, addr, len, val))
		return -EOPNOTSUPP;
	atomic_inc(&kvmm_ioeventfd_signals);
	eventfd_signal(p->ctx, 1);
	return 0;
}

static void ioeventfd_free(struct kvmm_ioeventfd *p)
{
	list_del(&p->link);
	eventfd_ctx_put(p->ctx);
	kvmm_free(p);
}

static void ioeventfd_destructor(struct kvmm_io_device *dev)
{
	ioeventfd_free(to_ioeventfd(dev));
}

/* No read op: reads of an ioeventfd's address go on to userspace. */
static const struct kvmm_io_device_ops ioeventfd_ops = {
	.write		= ioeventfd_write,
	.destructor	= ioeventfd_destructor,
};

static u8 ioeventfd_bus(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return KVMM_PIO_BUS;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return IOEVENTFD_NO_BUS;
	return KVMM_MMIO_BUS;
}

/*
 * Two ioeventfds collide (-EEXIST, as KVM) when on one bus at one address
 * a write could hit both: either has length 0, or the lengths are equal
 * and either takes any data or both want the same value.
 */
static bool ioeventfd_collides(struct kvmm_vm *vm,
			       const struct kvmm_ioeventfd *p)
{
	struct kvmm_ioeventfd *q;

	list_for_each_entry(q, &vm->io.ioeventfds, link) {
		if (q->bus != p->bus || q->addr != p->addr)
			continue;
		if (!q->len || !p->len)
			return true;
		if (q->len == p->len &&
		    (!q->match_data || !p->match_data ||
		     q->datamatch == p->datamatch))
			return true;
	}
	return false;
}

static int ioeventfd_assign(struct kvmm_vm *vm, const struct kvm_ioeventfd *a)
{
	struct eventfd_ctx *ctx;
	struct kvmm_ioeventfd *p;
	int r;

	/* KVM's checks, in KVM's order (virt/kvm/eventfd.c). */
	if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
	    a->len != 8)
		return -EINVAL;
	if (a->addr + a->len < a->addr)
		return -EINVAL;
	if (a->flags & ~IOEVENTFD_FLAGS_KNOWN)
		return -EINVAL;
	if (!a->len && (a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	p = kvmm_zalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	p->dev.ops = &ioeventfd_ops;
	p->dev.uncounted = true;
	p->ctx = ctx;
	p->addr = a->addr;
	p->len = a->len;
	p->bus = ioeventfd_bus(a->flags);
	p->match_data = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (p->match_data)
		p->datamatch = a->datamatch;

	mutex_lock(&vm->io.lock);
	r = -EEXIST;
	if (ioeventfd_collides(vm, p))
		goto fail;
	if (p->bus != IOEVENTFD_NO_BUS) {
		r = kvmm_io_bus_register(vm, p->bus, p->addr, p->len, &p->dev);
		if (r)
			goto fail;
	}
	list_add_tail(&p->link, &vm->io.ioeventfds);
	mutex_unlock(&vm->io.lock);
	return 0;

fail:
	mutex_unlock(&vm->io.lock);
	eventfd_ctx_put(ctx);
	kvmm_free(p);
	return r;
}

/*
 * The ioeventfd with the same eventfd, bus, address, length and datamatch
 * (or its absence) goes; -ENOENT when there is none, as in KVM.
 */
static int ioeventfd_deassign(struct kvmm_vm *vm,
			      const struct kvm_ioeventfd *a)
{
	bool match_data = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	u8 bus = ioeventfd_bus(a->flags);
	struct kvmm_ioeventfd *p;
	struct eventfd_ctx *ctx;
	int r = -ENOENT;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->io.lock);
	list_for_each_entry(p, &vm->io.ioeventfds, link) {
		if (p->bus != bus || p->ctx != ctx || p->addr != a->addr ||
		    p->len != a->len || p->match_data != match_data)
			continue;
		if (match_data && p->datamatch != a->datamatch)
			continue;
		r = 0;
		if (bus != IOEVENTFD_NO_BUS)
			r = kvmm_io_bus_unregister(vm, bus, &p->dev);
		if (!r)
			ioeventfd_free(p);
		break;
	}
	mutex_unlock(&vm->io.lock);
	eventfd_ctx_put(ctx);
	return r;
}

/* KVM_IOEVENTFD; locks vm->io.lock inside. */
long kvmm_vm_ioeventfd(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvm_ioeventfd a;

	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(vm, &a);
	return ioeventfd_assign(vm, &a);
}

/*
 * At VM destruction, after kvmm_io_destroy() destroyed those on a bus:
 * the ones kept off the buses.
 */
void kvmm_ioeventfd_destroy(struct kvmm_vm *vm)
{
	struct kvmm_ioeventfd *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vm->io.ioeventfds, link)
		ioeventfd_free(p);
}
