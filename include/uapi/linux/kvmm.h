/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmm's own additions to the userspace ABI.
 *
 * The ABI kvmm serves is Linux KVM's, from the installed <linux/kvm.h>;
 * nothing in that header is redefined here.  This file holds only what
 * kvmm adds on top, so that a VMM written for KVM never needs it.
 */
#ifndef _UAPI_LINUX_KVMM_H
#define _UAPI_LINUX_KVMM_H

/* Module name and default device node, for tools that manage kvmm. */
#define KVMM_MODULE_NAME	"kvmm"
#define KVMM_DEFAULT_DEVNAME	"kvm"

/*
 * debugfs: /sys/kernel/debug/kvmm/allocations reads
 * "objects <n> bytes <n>\n", the allocations kvmm holds.
 */
#define KVMM_DEBUGFS_DIR	"kvmm"
#define KVMM_DEBUGFS_ALLOCATIONS "allocations"

#endif /* _UAPI_LINUX_KVMM_H */
