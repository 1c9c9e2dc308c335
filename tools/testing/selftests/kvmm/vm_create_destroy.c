// SPDX-License-Identifier: GPL-2.0
/*
 * vm_create_destroy: the life of VM and vCPU file descriptors.
 *
 * Facts from Linux KVM (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c) and
 * Documentation/virt/kvm/api.rst that kvmm must match:
 *  - KVM_CREATE_VM takes a machine type; 0 is the default x86 VM.  A type
 *    the host does not support is EINVAL (newer kernels list the supported
 *    ones in KVM_CAP_VM_TYPES; types >= 32 can never be valid).
 *  - KVM_CREATE_VCPU: an id at or above KVM_CAP_MAX_VCPU_ID is EINVAL, an id
 *    already in use is EEXIST.  Ids need not be dense.  An id that does not
 *    fit in 32 bits is EINVAL in current Linux (6.1 truncated it).
 *  - KVM_GET_VCPU_MMAP_SIZE wants argument 0 (else EINVAL) and answers at
 *    least one page; the vCPU fd maps kvm_run at offset 0.
 *  - A vCPU fd holds a reference on its VM: the fds close in any order, and
 *    a vCPU outlives the close of its VM fd.
 *  - VM and vCPU ioctls from a process other than the VM's creator (a forked
 *    child with inherited fds) fail with EIO; the creator is unaffected.
 *  - KVM_CHECK_EXTENSION works on the VM fd (KVM_CAP_CHECK_EXTENSION_VM).
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvm_util.h"

static int create_vm(int kvm_fd, unsigned long type)
{
	return __kvm_ioctl(kvm_fd, KVM_CREATE_VM, type);
}

static void test_create_default(int kvm_fd)
{
	int fd = create_vm(kvm_fd, 0);

	if (fd < 0)
		pr_info("KVM_CREATE_VM(0) failed: %s", errno_name(errno));
	ksft_test_result(fd >= 0, "create_vm_type0");
	if (fd >= 0)
		close(fd);
}

#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES	235	/* Linux 6.9 */
#endif

static void test_bad_types(int kvm_fd)
{
	static const unsigned long types[] = {
		32, 64, 0x100, 0x80000000ul, 0x100000000ul, ~0ul,
	};
	int supported = __kvm_check_cap(kvm_fd, KVM_CAP_VM_TYPES);
	unsigned int i;
	bool ok = true;

	/*
	 * Without KVM_CAP_VM_TYPES only type 0 exists; with it, every type
	 * whose bit is clear is refused too.
	 */
	if (supported <= 0)
		supported = 1;
	pr_info("supported VM types: %#x", supported);
	for (i = 0; i < 32 + ARRAY_SIZE(types); i++) {
		unsigned long type = i < 32 ? i : types[i - 32];
		int fd;

		if (type < 32 && (supported & (1u << type)))
			continue;
		fd = create_vm(kvm_fd, type);
		if (fd >= 0 || errno != EINVAL) {
			pr_info("KVM_CREATE_VM(%#lx): %d %s, expected EINVAL",
				type, fd, fd < 0 ? errno_name(errno) : "");
			ok = false;
		}
		if (fd >= 0)
			close(fd);
	}
	ksft_test_result(ok, "bad_types_einval");
}

static void test_check_extension_vm(void)
{
	static const long caps[] = {
		KVM_CAP_USER_MEMORY, KVM_CAP_NR_MEMSLOTS, KVM_CAP_MAX_VCPUS,
		KVM_CAP_MAX_VCPU_ID, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_SYNC_MMU,
		KVM_CAP_NR_VCPUS, KVM_CAP_READONLY_MEM,
	};
	struct kvm_vm *vm;
	unsigned int i;
	bool ok = true;

	if (!kvm_check_cap(KVM_CAP_CHECK_EXTENSION_VM)) {
		ksft_test_result_skip("check_extension_vm",
				      "KVM_CAP_CHECK_EXTENSION_VM not reported");
		return;
	}
	vm = vm_create_barebones();
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		int sys = kvm_check_cap(caps[i]);
		int v = __vm_check_cap(vm, caps[i]);

		/* The VM may narrow an answer, never widen or fail it. */
		if (v < 0 || (sys == 0 && v != 0)) {
			pr_info("%s: system %d, VM %d", kvm_cap_name(caps[i]),
				sys, v);
			ok = false;
		}
	}
	if (__vm_check_cap(vm, 0x7fffffff) != 0) {
		pr_info("unknown capability on the VM fd is not 0");
		ok = false;
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "check_extension_vm");
}

static int create_vcpu(struct kvm_vm *vm, unsigned long id)
{
	return __vm_ioctl(vm, KVM_CREATE_VCPU, id);
}

static void test_vcpu_ids(void)
{
	static const unsigned int ids[] = { 0, 1, 2, 7, 100 };
	struct kvm_vm *vm = vm_create_barebones();
	int fds[ARRAY_SIZE(ids)], max_id, fd;
	unsigned int i;
	bool ok = true;

	max_id = __vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);
	if (max_id <= 0)
		max_id = kvm_check_cap(KVM_CAP_MAX_VCPU_ID);
	pr_info("KVM_CAP_MAX_VCPU_ID %d, KVM_CAP_MAX_VCPUS %u", max_id,
		kvm_check_cap(KVM_CAP_MAX_VCPUS));

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		fds[i] = create_vcpu(vm, ids[i]);
		kvmm_skip_if_unimplemented(fds[i], errno, "KVM_CREATE_VCPU");
		if (fds[i] < 0) {
			pr_info("KVM_CREATE_VCPU(%u): %s", ids[i],
				errno_name(errno));
			ok = false;
		}
	}
	ksft_test_result(ok, "vcpu_ids_sparse");

	fd = create_vcpu(vm, 1);
	if (fd >= 0 || errno != EEXIST)
		pr_info("duplicate id 1: %d %s, expected EEXIST", fd,
			fd < 0 ? errno_name(errno) : "");
	ksft_test_result(fd < 0 && errno == EEXIST, "vcpu_id_duplicate_eexist");
	if (fd >= 0)
		close(fd);

	ok = true;
	if (max_id > 0) {
		static const unsigned long bad[] = {
			0x80000000ul, 0xffffffffu, 0x100000000ul, ~0ul,
		};

		fd = create_vcpu(vm, max_id);
		if (fd >= 0 || errno != EINVAL) {
			pr_info("id %d (= MAX_VCPU_ID): %d %s, expected EINVAL",
				max_id, fd, fd < 0 ? errno_name(errno) : "");
			ok = false;
		}
		if (fd >= 0)
			close(fd);
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			/*
			 * The id is an unsigned long.  Linux 6.1 truncates
			 * it to u32, so 0x100000000 is id 0, which is taken
			 * (EEXIST); later kernels refuse any id above u32
			 * (EINVAL).  kvmm refuses it: EINVAL.
			 */
			bool trunc = (uint32_t)bad[i] == 0;

			fd = create_vcpu(vm, bad[i]);
			if (fd >= 0 || !(errno == EINVAL ||
					 (trunc && errno == EEXIST &&
					  test_mode() != TEST_MODE_KVMM))) {
				pr_info("id %#lx: %d %s, expected EINVAL",
					bad[i], fd,
					fd < 0 ? errno_name(errno) : "");
				ok = false;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	ksft_test_result(ok, "vcpu_id_out_of_range_einval");

	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	kvm_vm_free(vm);
}

static void test_mmap_size(int kvm_fd)
{
	int size = __kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	int bad = __kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 1);
	int bad_errno = errno;

	pr_info("KVM_GET_VCPU_MMAP_SIZE = %d", size);
	ksft_test_result(size >= (int)sizeof(struct kvm_run) &&
			 size >= (int)PAGE_SIZE && !(size % PAGE_SIZE),
			 "vcpu_mmap_size");
	if (bad >= 0 || bad_errno != EINVAL)
		pr_info("KVM_GET_VCPU_MMAP_SIZE(1): %d %s, expected EINVAL",
			bad, bad < 0 ? errno_name(bad_errno) : "");
	ksft_test_result(bad < 0 && bad_errno == EINVAL,
			 "vcpu_mmap_size_arg_einval");
}

static void test_mmap_vcpu(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_run *run2;
	bool ok;

	/* A second, independent mapping sees the same page. */
	run2 = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    vcpu->fd, 0);
	ok = run2 != MAP_FAILED;
	if (ok) {
		vcpu->run->immediate_exit = 1;
		ok = run2->immediate_exit == 1;
		vcpu->run->immediate_exit = 0;
		ok = ok && run2->immediate_exit == 0;
		munmap(run2, PAGE_SIZE);
	} else {
		pr_info("second mmap of the vCPU fd: %s", errno_name(errno));
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "mmap_vcpu_fd");
}

/* Close the vCPU fd first, then the VM fd. */
static void test_close_vcpu_first(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);

	vm_vcpu_rm(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("close_vcpu_then_vm");
}

/* Close the VM fd while the vCPU fd lives on and still answers. */
static void test_close_vm_first(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int vcpu_fd = __vm_ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_regs regs;
	int ret;

	TEST_ASSERT(vcpu_fd >= 0, KVM_IOCTL_ERROR("KVM_CREATE_VCPU", vcpu_fd));
	kvm_vm_free(vm);
	ret = __kvm_ioctl(vcpu_fd, KVM_GET_REGS, &regs);
	if (ret)
		pr_info("KVM_GET_REGS after the VM fd closed: %s",
			errno_name(errno));
	close(vcpu_fd);
	ksft_test_result(!ret && regs.rip == 0xfff0, "close_vm_then_vcpu");
}

/*
 * A child process that inherited the fds: its VM and vCPU ioctls are EIO,
 * closing them does not hurt the parent's VM.
 */
static void test_fork(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_regs regs;
	int status;
	pid_t pid;

	pid = fork();
	TEST_ASSERT(pid >= 0, "fork failed");
	if (!pid) {
		int code = 0;

		if (__vm_ioctl(vm, KVM_CREATE_VCPU, 1) >= 0 || errno != EIO)
			code |= 1;
		if (__vcpu_ioctl(vcpu, KVM_GET_REGS, &regs) >= 0 ||
		    errno != EIO)
			code |= 2;
		if (__vcpu_ioctl(vcpu, KVM_RUN, 0) >= 0 || errno != EIO)
			code |= 4;
		/* The system fd is not tied to a process. */
		if (__kvm_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != 12)
			code |= 8;
		close(vcpu->fd);
		close(vm->fd);
		_exit(code);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid failed");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		pr_info("child status %#x (bits: 1 CREATE_VCPU, 2 GET_REGS, 4 RUN not EIO; 8 system fd)",
			status);
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
			 "fork_child_ioctls_eio");

	/* The parent's objects still work. */
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, 0xfff0);
	vm_vcpu_rm(__vm_vcpu_add(vm, 1));
	kvm_vm_free(vm);
	ksft_test_result_pass("fork_parent_unaffected");
}

/* Many VMs, each with a few vCPUs, created and destroyed in a loop. */
static void test_many(void)
{
	struct kvm_vm *vms[16];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(vms); i++) {
		vms[i] = vm_create_barebones();
		for (j = 0; j < 4; j++)
			__vm_vcpu_add(vms[i], j);
	}
	for (i = 0; i < ARRAY_SIZE(vms); i++)
		kvm_vm_free(vms[(i * 7) % ARRAY_SIZE(vms)]);
	ksft_test_result_pass("many_vms");
}

int main(void)
{
	int kvm_fd;

	ksft_print_header();
	kvm_fd = _open_kvm_dev_path_or_exit(O_RDWR);
	/* Skips in kvmm mode while kvmm cannot create VMs. */
	kvm_vm_free(vm_create_barebones());

	ksft_set_plan(14);
	test_create_default(kvm_fd);
	test_bad_types(kvm_fd);
	test_check_extension_vm();
	test_vcpu_ids();
	test_mmap_size(kvm_fd);
	test_mmap_vcpu();
	test_close_vcpu_first();
	test_close_vm_first();
	test_fork();
	test_many();
	close(kvm_fd);
	ksft_finished();
}
