/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM ABI helpers for kvmm selftests, in the style of Linux's KVM selftests:
 * a double-underscore helper returns the raw result and leaves errno alone,
 * the plain one asserts success and names what failed.
 *
 * The device is $KVMM_DEVICE (default /dev/kvm), so the same binaries test
 * kvmm and Linux KVM (the reference).
 *
 * Later: VM and vCPU objects (vm_create(), vm_vcpu_add(), vcpu_run()), guest
 * code in the test's own C file, ucall over a reserved I/O port and
 * GUEST_ASSERT() are added here and in lib/ next to this file.
 */
#ifndef KVMM_SELFTEST_KVM_UTIL_H
#define KVMM_SELFTEST_KVM_UTIL_H

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "test_util.h"

#define KVM_DEV_PATH_DEFAULT	"/dev/kvm"

/* The device under test: $KVMM_DEVICE, or /dev/kvm. */
const char *kvm_dev_path(void);

/*
 * Open @path; skip the whole test if it does not exist (ENOENT, ENXIO,
 * ENODEV: no hypervisor loaded), fail it on any other error.
 */
int open_path_or_exit(const char *path, int flags);
/* Open the device under test with @flags; skips when it is absent. */
int _open_kvm_dev_path_or_exit(int flags);
/* Open the device under test read-only (all system ioctls need). */
int open_kvm_dev_path_or_exit(void);

/*
 * Raw ioctl: the return value as the kernel gave it (-1 and errno on error).
 * @arg may be a pointer or an integer; it is passed as a full unsigned long
 * so integer arguments reach the kernel sign-extended and with defined upper
 * bits.
 */
#define __kvm_ioctl(fd, cmd, arg)					\
	ioctl(fd, cmd, (unsigned long)(arg))

#define KVM_IOCTL_ERROR(name, ret)					\
	"%s failed, rc: %i errno: %i (%s)", name, ret, errno,		\
	errno_name(errno)

/*
 * ioctl that must succeed (return >= 0); evaluates to the return value.
 * The assertion message names the ioctl.
 */
#define kvm_ioctl(fd, cmd, arg)						\
({									\
	int __ret = __kvm_ioctl(fd, cmd, arg);				\
									\
	TEST_ASSERT(__ret >= 0, KVM_IOCTL_ERROR(#cmd, __ret));		\
	__ret;								\
})

/* KVM_CHECK_EXTENSION on a fresh system fd; asserts the answer is >= 0. */
unsigned int kvm_check_cap(long cap);
/* Same on an open fd, returning the raw result (-1 and errno on error). */
int __kvm_check_cap(int fd, long cap);

/* Human name of a KVM_CAP_* number known to <linux/kvm.h>, or NULL. */
const char *kvm_cap_name(long cap);

#endif /* KVMM_SELFTEST_KVM_UTIL_H */
