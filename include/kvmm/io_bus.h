/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O bus of a VM: in-kernel devices that take port and MMIO accesses
 * before they reach userspace (the model is KVM's kvm_io_bus).
 *
 * Each VM has one bus per address space (PIO, MMIO).  A device registers a
 * range [addr, addr + len) with its ops; len 0 means "exactly addr, any
 * access length" (ioeventfd's wildcard length).  The exit paths call
 * kvmm_io_bus_read/write(); a device answers 0 when it took the access
 * and -EOPNOTSUPP when it lets it go on to the next device whose range
 * holds it, and in the end to userspace.  Documentation/design.rst, "The
 * I/O bus", has the lookup rule and the locking.
 */
#ifndef _KVMM_IO_BUS_H
#define _KVMM_IO_BUS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct kvmm_vm;
struct kvmm_vcpu;
struct kvmm_io_device;
struct kvm_coalesced_mmio_ring;

enum kvmm_bus {
	KVMM_MMIO_BUS,
	KVMM_PIO_BUS,
	KVMM_NR_BUSES,
};

/*
 * Devices on one bus, not counting ioeventfds (bounded by the number of
 * fds instead): NR_IOBUS_DEVS of Linux's KVM.  Once a bus holds that
 * many, the next device gets -ENOSPC, an ioeventfd too (as in KVM).
 */
#define KVMM_IO_BUS_MAX_DEVS	1000

/*
 * A device's ops.  @vcpu is the vCPU making the access (an in-kernel
 * LAPIC needs it), @addr and @len the access (len 1..8), @val its data in
 * guest (little-endian) byte order.  Return 0 when the device performed
 * the access, -EOPNOTSUPP to pass it on.  Called under the VM's SRCU read
 * lock, from the vCPU thread: they may sleep, but must not take
 * io.lock.  A NULL read or write passes every access of that kind on.
 */
struct kvmm_io_device_ops {
	int (*read)(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
		    u64 addr, u32 len, void *val);
	int (*write)(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
		     u64 addr, u32 len, const void *val);
	/* At VM destruction, for a device still on a bus; may be NULL. */
	void (*destructor)(struct kvmm_io_device *dev);
};

struct kvmm_io_device {
	const struct kvmm_io_device_ops *ops;
	/* Not counted against KVMM_IO_BUS_MAX_DEVS (ioeventfds). */
	bool uncounted;
};

/* The I/O side of a VM (vm->io); lists and buses change under lock. */
struct kvmm_vm_io {
	struct mutex lock;
	struct kvmm_io_bus __rcu *buses[KVMM_NR_BUSES];
	struct list_head ioeventfds;		/* virt/eventfd.c */
	struct list_head coalesced_zones;	/* virt/coalesced_mmio.c */
	struct kvm_coalesced_mmio_ring *ring;	/* vCPU mmap page 2 */
	spinlock_t ring_lock;			/* appends to ring */
};

/* virt/io_bus.c */
int kvmm_io_init(struct kvmm_vm *vm);
void kvmm_io_destroy(struct kvmm_vm *vm);
int kvmm_io_bus_register(struct kvmm_vm *vm, enum kvmm_bus bus, u64 addr,
			 u32 len, struct kvmm_io_device *dev);
int kvmm_io_bus_unregister(struct kvmm_vm *vm, enum kvmm_bus bus,
			   struct kvmm_io_device *dev);
int kvmm_io_bus_write(struct kvmm_vcpu *vcpu, enum kvmm_bus bus, u64 addr,
		      u32 len, const void *val);
int kvmm_io_bus_read(struct kvmm_vcpu *vcpu, enum kvmm_bus bus, u64 addr,
		     u32 len, void *val);

/* virt/eventfd.c */
long kvmm_vm_ioeventfd(struct file *filp, unsigned long arg);
void kvmm_ioeventfd_destroy(struct kvmm_vm *vm);

/* virt/coalesced_mmio.c */
long kvmm_vm_register_coalesced_mmio(struct file *filp, unsigned long arg);
long kvmm_vm_unregister_coalesced_mmio(struct file *filp, unsigned long arg);

#endif /* _KVMM_IO_BUS_H */
