/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl tables.  Each fd type (system, VM, vCPU) declares its ioctls in one
 * const table: the command (whose _IOC_SIZE/_IOC_DIR give the argument's
 * size and direction), the handler and the lock the dispatcher takes
 * around it.  Handlers return a value for userspace or a -errno that KVM
 * would return; never a kernel-internal code (-ERESTARTSYS excepted, which
 * the syscall layer turns into a restart or -EINTR).
 */
#ifndef _KVMM_IOCTL_H
#define _KVMM_IOCTL_H

#include <linux/fs.h>
#include <linux/types.h>

enum kvmm_ioctl_lock {
	KVMM_LOCK_NONE,		/* handler serializes itself, or needs nothing */
	KVMM_LOCK_VM,		/* vm->lock held around the handler */
	KVMM_LOCK_VCPU,		/* vcpu->mutex held (interruptibly) */
};

struct kvmm_ioctl_desc {
	unsigned int cmd;
	long (*fn)(struct file *filp, unsigned long arg);
	enum kvmm_ioctl_lock lock;
};

#define KVMM_IOCTL(_cmd, _fn, _lock) \
	{ .cmd = (_cmd), .fn = (_fn), .lock = (_lock) }

/*
 * Run the handler of @cmd in @table; an ioctl missing from the table gets
 * @unknown (KVM answers -EINVAL on /dev/kvm and VM fds, -ENOTTY elsewhere).
 */
long kvmm_ioctl_dispatch(const struct kvmm_ioctl_desc *table, size_t n,
			 struct file *filp, unsigned int cmd,
			 unsigned long arg, long unknown);

/* The locks the dispatcher takes, by file type. */
struct mutex *kvmm_vm_file_lock(struct file *filp);
struct mutex *kvmm_vcpu_file_lock(struct file *filp);

#endif /* _KVMM_IOCTL_H */
