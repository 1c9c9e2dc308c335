// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O bus (include/kvmm/io_bus.h; Documentation/design.rst, "The I/O
 * bus").
 *
 * A bus is an array of ranges sorted by start address, replaced as a whole
 * on every change: writers (under vm->io.lock) build a new array, publish
 * it with rcu_assign_pointer() and free the old one after an SRCU grace
 * period of vm->srcu, so the exit paths search it with no lock but
 * srcu_read_lock().  An empty bus is a NULL pointer.
 *
 * Lookup rule: the devices whose range holds the whole access are offered
 * it in ascending order of range start (equal starts: in registration
 * order), and the first to answer 0 takes it.  A binary search finds the
 * first range that can start low enough to hold the access, given the
 * longest range on the bus (max_len), and a forward scan stops at the
 * first range that starts after the access.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/srcu.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

struct kvmm_io_range {
	u64 addr;
	u32 len;		/* 0: exactly addr, any length */
	struct kvmm_io_device *dev;
};

struct kvmm_io_bus {
	u32 nr;			/* ranges */
	u32 nr_counted;		/* ... against KVMM_IO_BUS_MAX_DEVS */
	u32 max_len;		/* longest range, bounds the scan */
	struct kvmm_io_range range[];
};

static struct kvmm_io_bus *io_bus_locked(struct kvmm_vm *vm,
					 enum kvmm_bus idx)
{
	return rcu_dereference_protected(vm->io.buses[idx],
					 lockdep_is_held(&vm->io.lock));
}

/* Does @r hold the whole access [addr, addr + len)? */
static bool io_range_holds(const struct kvmm_io_range *r, u64 addr, u32 len)
{
	u64 off;

	if (!r->len)
		return addr == r->addr;
	if (addr < r->addr)
		return false;
	off = addr - r->addr;
	return off < r->len && len <= r->len - off;
}

/* First index whose range starts at or above @addr (nr when none). */
static u32 io_bus_lower_bound(const struct kvmm_io_bus *bus, u64 addr)
{
	u32 lo = 0, hi = bus->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (bus->range[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct kvmm_io_bus *io_bus_alloc(u32 nr)
{
	struct kvmm_io_bus *bus;

	bus = kvmm_zalloc(struct_size(bus, range, nr), GFP_KERNEL_ACCOUNT);
	return bus;
}

static void io_bus_publish(struct kvmm_vm *vm, enum kvmm_bus idx,
			   struct kvmm_io_bus *new, struct kvmm_io_bus *old)
{
	rcu_assign_pointer(vm->io.buses[idx], new);
	/* As KVM: device changes are rare, but a vCPU may wait on them. */
	synchronize_srcu_expedited(&vm->srcu);
	kvmm_free(old);
}

static void io_bus_set_max_len(struct kvmm_io_bus *bus)
{
	u32 i;

	bus->max_len = 0;
	for (i = 0; i < bus->nr; i++)
		bus->max_len = max(bus->max_len, bus->range[i].len);
}

/*
 * Put @dev on bus @idx for [addr, addr + len).  -ENOSPC when the bus
 * holds KVMM_IO_BUS_MAX_DEVS counted devices, for any new device, an
 * uncounted one too (KVM's check and errno); the same device may not be
 * registered twice on one bus.  Caller holds io.lock.
 */
int kvmm_io_bus_register(struct kvmm_vm *vm, enum kvmm_bus idx, u64 addr,
			 u32 len, struct kvmm_io_device *dev)
{
	struct kvmm_io_bus *old = io_bus_locked(vm, idx), *new;
	u32 nr = old ? old->nr : 0, pos;

	lockdep_assert_held(&vm->io.lock);
	if (old && old->nr_counted >= KVMM_IO_BUS_MAX_DEVS)
		return -ENOSPC;
	new = io_bus_alloc(nr + 1);
	if (!new)
		return -ENOMEM;

	/* After every range starting at or below addr: registration order. */
	pos = old ? io_bus_lower_bound(old, addr) : 0;
	while (pos < nr && old->range[pos].addr == addr)
		pos++;
	if (old) {
		memcpy(new->range, old->range, pos * sizeof(old->range[0]));
		memcpy(new->range + pos + 1, old->range + pos,
		       (nr - pos) * sizeof(old->range[0]));
		new->nr_counted = old->nr_counted;
	}
	new->range[pos] = (struct kvmm_io_range){ addr, len, dev };
	new->nr = nr + 1;
	new->nr_counted += !dev->uncounted;
	new->max_len = max(old ? old->max_len : 0, len);
	io_bus_publish(vm, idx, new, old);
	return 0;
}

/*
 * Take @dev off bus @idx.  When it returns, no vCPU is in the device's
 * ops any more and none will enter them.  -ENOENT when @dev is not on the
 * bus, -ENOMEM when the smaller copy cannot be allocated (the device then
 * stays).  Caller holds io.lock.
 */
int kvmm_io_bus_unregister(struct kvmm_vm *vm, enum kvmm_bus idx,
			   struct kvmm_io_device *dev)
{
	struct kvmm_io_bus *old = io_bus_locked(vm, idx), *new = NULL;
	u32 i;

	lockdep_assert_held(&vm->io.lock);
	for (i = 0; old && i < old->nr; i++)
		if (old->range[i].dev == dev)
			break;
	if (!old || i == old->nr)
		return -ENOENT;

	if (old->nr > 1) {
		new = io_bus_alloc(old->nr - 1);
		if (!new)
			return -ENOMEM;
		memcpy(new->range, old->range, i * sizeof(old->range[0]));
		memcpy(new->range + i, old->range + i + 1,
		       (old->nr - i - 1) * sizeof(old->range[0]));
		new->nr = old->nr - 1;
		new->nr_counted = old->nr_counted - !dev->uncounted;
		io_bus_set_max_len(new);
	}
	io_bus_publish(vm, idx, new, old);
	return 0;
}

/*
 * Offer an access to the devices of bus @idx (the lookup rule above).
 * Returns 0 when one took it, -EOPNOTSUPP when none did: the caller then
 * exits to userspace.
 */
static int io_bus_access(struct kvmm_vcpu *vcpu, enum kvmm_bus idx, u64 addr,
			 u32 len, void *val, bool write)
{
	struct kvmm_vm *vm = vcpu->vm;
	const struct kvmm_io_bus *bus;
	int srcu_idx, r = -EOPNOTSUPP;
	u32 i;

	srcu_idx = srcu_read_lock(&vm->srcu);
	bus = srcu_dereference(vm->io.buses[idx], &vm->srcu);
	if (!bus)
		goto out;
	/* A range holding the access starts at most max_len below it. */
	i = io_bus_lower_bound(bus, addr > bus->max_len ?
				    addr - bus->max_len : 0);
	for (; i < bus->nr && bus->range[i].addr <= addr; i++) {
		const struct kvmm_io_range *rg = &bus->range[i];
		const struct kvmm_io_device_ops *ops = rg->dev->ops;

		if (!io_range_holds(rg, addr, len))
			continue;
		if (write)
			r = ops->write ? ops->write(vcpu, rg->dev, addr, len,
						    val) : -EOPNOTSUPP;
		else
			r = ops->read ? ops->read(vcpu, rg->dev, addr, len,
						  val) : -EOPNOTSUPP;
		if (!r)
			break;
	}
	if (r)
		r = -EOPNOTSUPP;
out:
	srcu_read_unlock(&vm->srcu, srcu_idx);
	return r;
}

int kvmm_io_bus_write(struct kvmm_vcpu *vcpu, enum kvmm_bus idx, u64 addr,
		      u32 len, const void *val)
{
	return io_bus_access(vcpu, idx, addr, len, (void *)val, true);
}

int kvmm_io_bus_read(struct kvmm_vcpu *vcpu, enum kvmm_bus idx, u64 addr,
		     u32 len, void *val)
{
	return io_bus_access(vcpu, idx, addr, len, val, false);
}

int kvmm_io_init(struct kvmm_vm *vm)
{
	struct page *page;

	mutex_init(&vm->io.lock);
	INIT_LIST_HEAD(&vm->io.ioeventfds);
	INIT_LIST_HEAD(&vm->io.coalesced_zones);
	spin_lock_init(&vm->io.ring_lock);
	/* The coalesced-MMIO ring, shared by every vCPU's mmap (api.rst). */
	page = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!page)
		return -ENOMEM;
	vm->io.ring = page_address(page);
	return 0;
}

/*
 * At VM destruction (no vCPU runs, no fd is left): every device still on
 * a bus is destroyed through its destructor, then what eventfd.c keeps
 * off the buses.
 */
void kvmm_io_destroy(struct kvmm_vm *vm)
{
	int idx;
	u32 i;

	mutex_lock(&vm->io.lock);
	for (idx = 0; idx < KVMM_NR_BUSES; idx++) {
		struct kvmm_io_bus *bus = io_bus_locked(vm, idx);

		RCU_INIT_POINTER(vm->io.buses[idx], NULL);
		for (i = 0; bus && i < bus->nr; i++)
			if (bus->range[i].dev->ops->destructor)
				bus->range[i].dev->ops->destructor(
					bus->range[i].dev);
		kvmm_free(bus);
	}
	mutex_unlock(&vm->io.lock);
	kvmm_ioeventfd_destroy(vm);
	if (vm->io.ring)
		kvmm_free_page(virt_to_page(vm->io.ring));
}
