// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatcher shared by every kvmm file type.
 */
#include <linux/kernel.h>
#include <linux/mutex.h>

#include <kvmm/ioctl.h>

static long kvmm_ioctl_call(const struct kvmm_ioctl_desc *d,
			    struct file *filp, unsigned long arg)
{
	struct mutex *lock;
	long r;

	switch (d->lock) {
	case KVMM_LOCK_VM:
		lock = kvmm_vm_file_lock(filp);
		mutex_lock(lock);
		break;
	case KVMM_LOCK_VCPU:
		lock = kvmm_vcpu_file_lock(filp);
		/* A vCPU may sit in KVM_RUN for long: let signals in. */
		if (mutex_lock_killable(lock))
			return -EINTR;
		break;
	default:
		return d->fn(filp, arg);
	}
	r = d->fn(filp, arg);
	mutex_unlock(lock);
	return r;
}

long kvmm_ioctl_dispatch(const struct kvmm_ioctl_desc *table, size_t n,
			 struct file *filp, unsigned int cmd,
			 unsigned long arg, long unknown)
{
	size_t i;

	/* Tables are short; a scan is cheaper than anything cleverer. */
	for (i = 0; i < n; i++) {
		if (table[i].cmd != cmd)
			continue;
		return kvmm_ioctl_call(&table[i], filp, arg);
	}
	return unknown;
}
