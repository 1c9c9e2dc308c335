// SPDX-License-Identifier: GPL-2.0
/*
 * vm_errors: VMs and vCPUs on their error paths.
 *
 *  - Dead VMs (kvmm's KVM_BUG_ON model, Documentation/design.rst "Dead
 *    VMs"): a VM that kvmm finds inconsistent is marked dead.  kvmm-only,
 *    white-box: the test marks the VM dead through its debugfs file
 *    (kvmm/<pid>-<fd>/vm_dead) while its vCPU spins in the guest, and
 *    checks that KVM_RUN returns -1/EIO by itself (the vCPU is kicked, no
 *    signal needed), that the guest no longer runs (its counter in guest
 *    memory stands still), that every later VM and vCPU ioctl gets EIO,
 *    and that closing everything frees everything (debugfs allocation
 *    counters back to where they were).  Linux's KVM has no way for
 *    userspace to kill a VM, so ref mode skips these cases.
 *  - KVM_CREATE_VCPU when no fd number is left (RLIMIT_NOFILE): -1/EMFILE,
 *    nothing left behind (the same id can be created afterwards; kvmm
 *    mode: the allocation counters return).  This is the path of finding
 *    8 of issue #12, where kvmm used to free a vCPU others could still
 *    reach; the race itself cannot be shown without a use-after-free
 *    detector (Documentation/testing.rst).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include "processor.h"
#include "vcpu_runner.h"


static volatile uint64_t guest_spins;

static void guest_spin_forever(void)
{
	GUEST_SYNC(1);
	/* Interrupts are off: only the host can end KVM_RUN. */
	__asm__ __volatile__("cli");
	for (;;)
		guest_spins++;
}

static bool wait_spinning(volatile uint64_t *spins, uint64_t from)
{
	uint64_t start = now_ns();

	while (*spins == from && elapsed_s(start) < 5)
		msleep(1);
	return *spins != from;
}

/* Where the allocation counters must come back to; false: no counters. */
static bool counters_read(unsigned long long *obj, unsigned long long *bytes)
{
	return test_mode() == TEST_MODE_KVMM &&
	       !kvmm_read_allocations(obj, bytes);
}

/* Wait (up to 2 s: frees may follow an RCU grace period) for the counts. */
static bool counters_back(unsigned long long obj0, unsigned long long bytes0)
{
	unsigned long long obj = 0, bytes = 0;
	uint64_t start = now_ns();

	do {
		if (kvmm_read_allocations(&obj, &bytes))
			break;
		if (obj == obj0 && bytes == bytes0)
			return true;
		msleep(10);
	} while (elapsed_s(start) < 2);
	pr_info("kvmm allocations: objects %llu -> %llu, bytes %llu -> %llu",
		obj0, obj, bytes0, bytes);
	return false;
}

/* ---- dead VMs ---- */

static int vm_dead_path(struct kvm_vm *vm, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%d-%d/vm_dead", KVMM_DEBUGFS_DIR,
			(int)getpid(), vm->fd);
}

struct eio_call {
	const char *what;
	int fd;
	unsigned long cmd;
	void *arg;
};

static bool expect_eio(const struct eio_call *c, unsigned int n)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int ret = __kvm_ioctl(c[i].fd, c[i].cmd, c[i].arg);

		if (ret == -1 && errno == EIO)
			continue;
		pr_info("%s on a dead VM: rc %d errno %s, expected EIO",
			c[i].what, ret, ret == -1 ? errno_name(errno) : "-");
		ok = false;
	}
	return ok;
}

static void test_dead_vm(void)
{
	static const char *const names[] = {
		"dead_vm_kvm_run_eio", "dead_vm_guest_stopped",
		"dead_vm_ioctls_eio", "dead_vm_close_no_leak",
	};
	unsigned long long obj0 = 0, bytes0 = 0, dead = 0;
	bool counters = counters_read(&obj0, &bytes0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	volatile uint64_t *spins;
	struct kvm_regs regs = {};
	struct kvm_sregs sregs;
	struct runner r;
	uint64_t before;
	char path[128];
	unsigned int i;
	bool ok;

	if (test_mode() != TEST_MODE_KVMM) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			ksft_test_result_skip(names[i], "kvmm-only: Linux's KVM lets no one mark a VM dead from outside");
		return;
	}

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin_forever);
	spins = addr_gva2hva(vm, (vm_vaddr_t)&guest_spins);
	vm_dead_path(vm, path, sizeof(path));
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_sregs_get(vcpu, &sregs);

	runner_start(&r, vcpu->fd);
	TEST_ASSERT(wait_spinning(spins, 0), "the guest never spun");
	TEST_ASSERT(!vm_debugfs_stat(vm->fd, "vm_dead", &dead) && !dead,
		    "%s: %llu, expected 0", path, dead);

	TEST_ASSERT(!write_file_str(path, "1"), "writing 1 to %s failed",
		    path);
	/* No signal: marking the VM dead must get the vCPU out. */
	ok = runner_wait(&r, 2000);
	if (!ok)
		pr_info("KVM_RUN still in the guest 2 s after the VM died");
	runners_kick_and_join(&r, 1);
	pr_info("KVM_RUN across the death: %d %s", r.ret,
		r.ret ? errno_name(r.err) : "");
	ksft_test_result(ok && r.ret == -1 && r.err == EIO,
			 "dead_vm_kvm_run_eio");

	before = *spins;
	msleep(50);
	ok = *spins == before;
	if (!ok)
		pr_info("the dead VM's guest still runs: %llu more spins",
			(unsigned long long)(*spins - before));
	ok = ok && !vm_debugfs_stat(vm->fd, "vm_dead", &dead) && dead == 1;
	ksft_test_result(ok, "dead_vm_guest_stopped");

	{
		struct kvm_userspace_memory_region mem = {
			.slot = 5, .guest_phys_addr = 0x80000000ull,
			.memory_size = PAGE_SIZE,
			.userspace_addr = (unsigned long)spins & PAGE_MASK,
		};
		const struct eio_call calls[] = {
			{ "KVM_RUN", vcpu->fd, KVM_RUN, NULL },
			{ "KVM_GET_REGS", vcpu->fd, KVM_GET_REGS, &regs },
			{ "KVM_SET_REGS", vcpu->fd, KVM_SET_REGS, &regs },
			{ "KVM_SET_SREGS", vcpu->fd, KVM_SET_SREGS, &sregs },
			{ "KVM_NMI", vcpu->fd, KVM_NMI, NULL },
			{ "KVM_CREATE_VCPU", vm->fd, KVM_CREATE_VCPU,
			  (void *)1L },
			{ "KVM_SET_USER_MEMORY_REGION", vm->fd,
			  KVM_SET_USER_MEMORY_REGION, &mem },
			{ "KVM_CHECK_EXTENSION", vm->fd, KVM_CHECK_EXTENSION,
			  (void *)(long)KVM_CAP_USER_MEMORY },
		};

		/*
		 * Should the dispatcher let KVM_RUN through, immediate_exit
		 * makes it return EINTR at once instead of running the guest.
		 */
		vcpu->run->immediate_exit = 1;
		ok = expect_eio(calls, ARRAY_SIZE(calls));
	}
	/* Marking it alive again is refused. */
	if (!write_file_str(path, "0")) {
		pr_info("writing 0 to %s succeeded", path);
		ok = false;
	}
	/* /dev/kvm itself is not affected. */
	ok = ok && __kvm_check_cap(vm->kvm_fd, KVM_CAP_USER_MEMORY) > 0;
	ksft_test_result(ok, "dead_vm_ioctls_eio");

	kvm_vm_free(vm);
	ok = !counters || counters_back(obj0, bytes0);
	ksft_test_result(ok, "dead_vm_close_no_leak");
}

/* ---- no fd number left for the vCPU ---- */

static void test_vcpu_create_emfile(void)
{
	unsigned long long obj0 = 0, bytes0 = 0;
	struct kvm_vm *vm = vm_create_barebones();
	struct rlimit old, lim;
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	int probe, ret, err;
	bool counters, ok;

	/* Counted with the VM, so only the failed vCPU can be missing. */
	counters = counters_read(&obj0, &bytes0);
	TEST_ASSERT(!getrlimit(RLIMIT_NOFILE, &old), "getrlimit failed");
	/* The lowest free fd number: a limit of it leaves none. */
	probe = dup(0);
	TEST_ASSERT(probe >= 0, "dup failed");
	close(probe);
	lim = old;
	lim.rlim_cur = probe;
	TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &lim), "setrlimit failed");
	ret = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)0L);
	err = errno;
	TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &old), "setrlimit failed");
	pr_info("KVM_CREATE_VCPU without a free fd: %d %s", ret,
		ret < 0 ? errno_name(err) : "");
	ok = ret == -1 && err == EMFILE;
	if (ret >= 0)
		close(ret);
	ok = ok && (!counters || counters_back(obj0, bytes0));

	/* Nothing is left of it: the same id is free and works. */
	vcpu = __vm_vcpu_add(vm, 0);
	ok = ok && !__vcpu_ioctl(vcpu, KVM_GET_REGS, &regs);
	kvm_vm_free(vm);
	ksft_test_result(ok, "vcpu_create_emfile_nothing_left");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	runner_setup_kick();

	ksft_set_plan(5);
	test_dead_vm();
	test_vcpu_create_emfile();
	ksft_finished();
}
