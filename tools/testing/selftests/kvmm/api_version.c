// SPDX-License-Identifier: GPL-2.0
/*
 * api_version: KVM_GET_API_VERSION and the system fd's answer to ioctls it
 * does not know.
 *
 * Linux KVM (virt/kvm/kvm_main.c, kvm_dev_ioctl()) answers
 * KVM_GET_API_VERSION with KVM_API_VERSION (12) when the argument is 0 and
 * -EINVAL otherwise; any command it does not handle, including the VM and
 * vCPU commands sent to the wrong fd, falls through to
 * kvm_arch_dev_ioctl(), which on x86 answers -EINVAL.  The system ioctls do
 * not look at the open mode, so a read-only fd is enough for all of them.
 */
#include "kvm_util.h"

/*
 * Commands /dev/kvm must reject with EINVAL.  Each probes a different way a
 * dispatcher can go wrong: an unused number in KVM's own range, a known
 * number with different direction/size bits, a foreign ioctl type, and
 * commands that belong to VM and vCPU fds.
 */
static const struct {
	unsigned long cmd;
	const char *what;
} unknown_cmds[] = {
	{ _IO(KVMIO, 0xff), "_IO(KVMIO, 0xff) (unused number)" },
	{ _IOW(KVMIO, 0x00, int),
	  "_IOW(KVMIO, 0x00, int) (GET_API_VERSION's number, other type)" },
	{ _IOR(KVMIO, 0x03, long),
	  "_IOR(KVMIO, 0x03, long) (CHECK_EXTENSION's number, other type)" },
	{ _IO('k', 0x42), "_IO('k', 0x42) (foreign ioctl type)" },
	{ KVM_CREATE_VCPU, "KVM_CREATE_VCPU (VM ioctl)" },
	{ KVM_RUN, "KVM_RUN (vCPU ioctl)" },
	{ KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION (VM ioctl)" },
};

static void test_api_version(int fd)
{
	int ret = __kvm_ioctl(fd, KVM_GET_API_VERSION, 0);

	if (ret != KVM_API_VERSION)
		pr_info("KVM_GET_API_VERSION returned %d (errno %s), expected %d",
			ret, errno_name(ret < 0 ? errno : 0), KVM_API_VERSION);
	ksft_test_result(ret == KVM_API_VERSION, "get_api_version");
}

static void test_nonzero_arg(int fd)
{
	static const unsigned long args[] = { 1, 12, 0x100000000ul, ~0ul };
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		int ret = __kvm_ioctl(fd, KVM_GET_API_VERSION, args[i]);

		if (ret != -1 || errno != EINVAL) {
			pr_info("KVM_GET_API_VERSION(%#lx) returned %d errno %s, expected -1 EINVAL",
				args[i], ret, errno_name(ret < 0 ? errno : 0));
			ok = false;
		}
	}
	ksft_test_result(ok, "nonzero_arg_einval");
}

static void test_unknown_ioctls(int fd)
{
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(unknown_cmds); i++) {
		int ret = __kvm_ioctl(fd, unknown_cmds[i].cmd, 0);

		if (ret != -1 || errno != EINVAL) {
			pr_info("%s on the system fd returned %d errno %s, expected -1 EINVAL",
				unknown_cmds[i].what, ret,
				errno_name(ret < 0 ? errno : 0));
			ok = false;
		}
	}
	ksft_test_result(ok, "unknown_ioctl_einval");
}

static void test_open_mode(int flags, const char *name)
{
	int fd = _open_kvm_dev_path_or_exit(flags);
	int ret = __kvm_ioctl(fd, KVM_GET_API_VERSION, 0);

	if (ret != KVM_API_VERSION)
		pr_info("%s: KVM_GET_API_VERSION returned %d (errno %s)", name,
			ret, errno_name(ret < 0 ? errno : 0));
	ksft_test_result(ret == KVM_API_VERSION, "%s", name);
	close(fd);
}

/* The answer is a constant: the same on every fd and every call. */
static void test_many_fds(void)
{
	int fds[8], i, bad = 0;

	for (i = 0; i < (int)ARRAY_SIZE(fds); i++)
		fds[i] = open_kvm_dev_path_or_exit();
	for (i = 0; i < 4 * (int)ARRAY_SIZE(fds); i++)
		if (__kvm_ioctl(fds[i % ARRAY_SIZE(fds)], KVM_GET_API_VERSION,
				0) != KVM_API_VERSION)
			bad++;
	for (i = 0; i < (int)ARRAY_SIZE(fds); i++)
		close(fds[i]);
	if (bad)
		pr_info("%d of %zu calls gave another answer", bad,
			4 * ARRAY_SIZE(fds));
	ksft_test_result(!bad, "stable_across_fds");
}

int main(void)
{
	int fd;

	ksft_print_header();
	/* Skips the whole test, before the plan, when there is no device. */
	fd = open_kvm_dev_path_or_exit();
	pr_info("device %s, mode %s, config %s", kvm_dev_path(),
		env_str("KVMM_MODE", "unset"), env_str("KVMM_CONFIG", "unset"));

	ksft_set_plan(6);
	test_api_version(fd);
	test_nonzero_arg(fd);
	test_unknown_ioctls(fd);
	test_open_mode(O_RDONLY, "read_only_open");
	test_open_mode(O_RDWR, "read_write_open");
	test_many_fds();
	close(fd);

	ksft_finished();
}
