// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and PIO (api.rst 4.67 KVM_REGISTER_COALESCED_MMIO, and
 * KVM_CAP_COALESCED_MMIO): guest writes into a registered zone are
 * appended to a ring that userspace drains at its leisure, with no exit.
 *
 * The ring is one page per VM (vm->io.ring), mapped by every vCPU fd at
 * page offset KVM_COALESCED_MMIO_PAGE_OFFSET.  The kernel appends at
 * 'last', userspace consumes from 'first'; one entry always stays free,
 * so first == last means empty and last + 1 == first (mod
 * KVM_COALESCED_MMIO_MAX) full.  A write that finds the ring full is not
 * taken: it exits to userspace as KVM_EXIT_MMIO (KVM_EXIT_IO), and the
 * VMM drains the ring before it handles the exit, which keeps the order.
 *
 * Both indexes live in memory userspace can write at any time: each is
 * read once (READ_ONCE), an out-of-range value counts as a full ring, and
 * the slot index is clamped under speculation before it is used.
 *
 * A zone is a device on the MMIO (or, with pio = 1, the PIO) bus with no
 * read op: reads still exit.  Zones are on vm->io.coalesced_zones, under
 * vm->io.lock; appends serialize on vm->io.ring_lock.
 */
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

struct kvmm_coalesced_zone {
	struct kvmm_io_device dev;
	struct list_head link;
	struct kvmm_vm *vm;
	struct kvm_coalesced_mmio_zone zone;
};

static struct kvmm_coalesced_zone *to_zone(struct kvmm_io_device *dev)
{
	return container_of(dev, struct kvmm_coalesced_zone, dev);
}

/* Is [addr, addr + len) inside the zone?  No wrap-around either way. */
static bool zone_holds(const struct kvm_coalesced_mmio_zone *z, u64 addr,
		       u64 len)
{
	if (addr + len < addr || addr < z->addr)
		return false;
	return addr + len <= z->addr + z->size;
}

static int coalesced_write(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			   u64 addr, u32 len, const void *val)
{
	struct kvmm_coalesced_zone *cz = to_zone(dev);
	struct kvm_coalesced_mmio_ring *ring = cz->vm->io.ring;
	struct kvm_coalesced_mmio *e;
	u32 first, last;

	if (len > sizeof(e->data) || !zone_holds(&cz->zone, addr, len))
		return -EOPNOTSUPP;

	spin_lock(&cz->vm->io.ring_lock);
	first = READ_ONCE(ring->first);
	last = READ_ONCE(ring->last);
	if (first >= KVM_COALESCED_MMIO_MAX ||
	    last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == first) {
		spin_unlock(&cz->vm->io.ring_lock);
		return -EOPNOTSUPP;
	}
	e = &ring->coalesced_mmio[array_index_nospec(last,
						     KVM_COALESCED_MMIO_MAX)];
	e->phys_addr = addr;
	e->len = len;
	e->pio = cz->zone.pio;
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, val, len);
	/* The entry is complete before userspace can see the new 'last'. */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	spin_unlock(&cz->vm->io.ring_lock);
	return 0;
}

static void coalesced_free(struct kvmm_coalesced_zone *cz)
{
	list_del(&cz->link);
	kvmm_free(cz);
}

static void coalesced_destructor(struct kvmm_io_device *dev)
{
	coalesced_free(to_zone(dev));
}

static const struct kvmm_io_device_ops coalesced_ops = {
	.write		= coalesced_write,
	.destructor	= coalesced_destructor,
};

static int zone_from_user(struct kvm_coalesced_mmio_zone *z,
			  unsigned long arg)
{
	if (copy_from_user(z, (void __user *)arg, sizeof(*z)))
		return -EFAULT;
	/* pio shares the word with the old pad: 0 MMIO, 1 PIO, else -EINVAL. */
	if (z->pio != 0 && z->pio != 1)
		return -EINVAL;
	return 0;
}

/*
 * KVM_REGISTER_COALESCED_MMIO: overlapping and nested zones are allowed
 * (KVM checks none); the bus's device limit gives -ENOSPC.  Locks
 * vm->io.lock inside.
 */
long kvmm_vm_register_coalesced_mmio(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvmm_coalesced_zone *cz;
	struct kvm_coalesced_mmio_zone z;
	int r;

	r = zone_from_user(&z, arg);
	if (r)
		return r;
	cz = kvmm_zalloc(sizeof(*cz), GFP_KERNEL_ACCOUNT);
	if (!cz)
		return -ENOMEM;
	cz->dev.ops = &coalesced_ops;
	cz->vm = vm;
	cz->zone = z;

	mutex_lock(&vm->io.lock);
	r = kvmm_io_bus_register(vm, z.pio ? KVMM_PIO_BUS : KVMM_MMIO_BUS,
				 z.addr, z.size, &cz->dev);
	if (!r)
		list_add_tail(&cz->link, &vm->io.coalesced_zones);
	mutex_unlock(&vm->io.lock);
	if (r)
		kvmm_free(cz);
	return r;
}

/*
 * KVM_UNREGISTER_COALESCED_MMIO: every zone of the same kind that holds
 * the whole given range goes (KVM's rule: the range names the zones it
 * falls in); none is not an error (0, as KVM).  Unlike KVM, which drops
 * every device of the bus when it cannot allocate the smaller copy, an
 * allocation failure leaves the zone in place and answers -ENOMEM.
 */
long kvmm_vm_unregister_coalesced_mmio(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvmm_coalesced_zone *cz, *tmp;
	struct kvm_coalesced_mmio_zone z;
	int r;

	r = zone_from_user(&z, arg);
	if (r)
		return r;

	mutex_lock(&vm->io.lock);
	list_for_each_entry_safe(cz, tmp, &vm->io.coalesced_zones, link) {
		if (cz->zone.pio != z.pio ||
		    !zone_holds(&cz->zone, z.addr, z.size))
			continue;
		r = kvmm_io_bus_unregister(vm, z.pio ? KVMM_PIO_BUS :
						       KVMM_MMIO_BUS,
					   &cz->dev);
		if (r)
			break;
		coalesced_free(cz);
	}
	mutex_unlock(&vm->io.lock);
	return r;
}
