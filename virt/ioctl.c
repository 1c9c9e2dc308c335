// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatcher shared by every kvmm file type.
 */
#include <linux/kernel.h>

#include <kvmm/ioctl.h>

long kvmm_ioctl_dispatch(const struct kvmm_ioctl_desc *table, size_t n,
			 struct file *filp, unsigned int cmd,
			 unsigned long arg, long unknown)
{
	size_t i;

	/* Tables are short; a scan is cheaper than anything cleverer. */
	for (i = 0; i < n; i++) {
		if (table[i].cmd != cmd)
			continue;
		switch (table[i].lock) {
		case KVMM_LOCK_NONE:
			return table[i].fn(filp, arg);
		}
		break;
	}
	return unknown;
}
