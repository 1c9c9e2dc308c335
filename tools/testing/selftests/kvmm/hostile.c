// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: userspace that misbehaves must not hurt the host, and gets the
 * answers Linux KVM gives.
 *
 *  - Garbage argument pointers (a low address, a kernel address, a buffer
 *    whose header is readable but whose entries run into a PROT_NONE page):
 *    -1/EFAULT from every ioctl that copies an argument (KVM copies with
 *    copy_{from,to}_user and answers -EFAULT).
 *  - Garbage sizes: KVM_SET_CPUID2 with more than KVM_MAX_CPUID_ENTRIES
 *    (256) entries, KVM_GET_CPUID2 / KVM_GET_SUPPORTED_CPUID /
 *    KVM_GET_MSR_INDEX_LIST with too small a buffer: E2BIG;
 *    KVM_SET_SIGNAL_MASK with len != 8, KVM_RUN with an argument,
 *    KVM_CREATE_VCPU with an id beyond KVM_CAP_MAX_VCPU_ID: EINVAL.
 *  - Two threads calling KVM_RUN on one vCPU at once: vcpu->mutex
 *    serializes them (the second waits, killably); each returns -1/EINTR
 *    when a signal kicks it, and the vCPU is still usable afterwards.
 *  - Closing the vCPU, VM and /dev/kvm fds while another thread's guest
 *    spins in KVM_RUN: the ioctl holds its file, the guest runs on; a
 *    signal ends KVM_RUN with -1/EINTR and KVM_EXIT_INTR, and once the
 *    kvm_run mapping goes too, everything is freed (kvmm mode: the
 *    debugfs allocation counters return to where they were).
 *  - munmap() of a slot's host memory while the guest reads it in a loop:
 *    the MMU notifier takes the mapping away, the guest's next access
 *    faults and KVM_RUN returns -1/EFAULT (x86 mmu.c,
 *    kvm_handle_error_pfn(); KVM also sets KVM_EXIT_MEMORY_FAULT, which
 *    is only promised with KVM_CAP_MEMORY_FAULT_INFO, so it is printed,
 *    not checked).  KVM_RUN again: -EFAULT again.  Memory mapped back at
 *    the same address: the guest carries on and reads the new page.
 *    A shadow-paging reference (kvm_pvm) reports the read as KVM_EXIT_MMIO
 *    instead; ref mode accepts that too (see unmapped_read_reported()).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "processor.h"
#include "vcpu_runner.h"

#define SLOT_GPA	0x80000000ull

static volatile uint64_t guest_spins;

/* Host view of the guest's guest_spins. */
static volatile uint64_t *spins_of(struct kvm_vm *vm)
{
	return addr_gva2hva(vm, (vm_vaddr_t)&guest_spins);
}

static void guest_spin_forever(void)
{
	GUEST_SYNC(1);
	/* Interrupts are off: only the host can end KVM_RUN. */
	__asm__ __volatile__("cli");
	for (;;)
		guest_spins++;
}

static void guest_read_slot(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;

	GUEST_SYNC(1);
	while (!p[0])
		guest_spins++;
	GUEST_SYNC_ARGS(2, p[0], 0, 0, 0);
	GUEST_DONE();
}

/* ---- KVM_RUN on another thread (vcpu_runner.h) ---- */

/*
 * One KVM_RUN that must return by itself within @ms: on another thread, so
 * a run that does not (a guest left spinning by a bug) is reported and
 * kicked out with a signal instead of holding the test until the host's
 * timeout.  Returns whether it returned by itself; *@ret and *@err are
 * KVM_RUN's result either way.
 */
static bool run_bounded(struct kvm_vcpu *vcpu, unsigned int ms, int *ret,
			int *err, const char *when)
{
	struct runner r;
	bool returned;

	runner_start(&r, vcpu->fd);
	returned = runner_wait(&r, ms);
	if (!returned)
		pr_info("%s: KVM_RUN still running after %u ms", when, ms);
	runners_kick_and_join(&r, 1);
	*ret = r.ret;
	*err = r.err;
	return returned;
}

/* Wait until the guest's spin counter moves past @from. */
static bool wait_spinning(volatile uint64_t *spins, uint64_t from)
{
	uint64_t start = now_ns();

	while (*spins == from && elapsed_s(start) < 5)
		msleep(1);
	return *spins != from;
}

/* ---- bad pointers and sizes ---- */

struct call {
	const char *what;
	int fd;
	unsigned long cmd;
	void *arg;
	int err;
};

static bool expect_calls(const struct call *c, unsigned int n)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int ret = __kvm_ioctl(c[i].fd, c[i].cmd, c[i].arg);

		if (ret == -1 && errno == c[i].err)
			continue;
		pr_info("%s: rc %d errno %s, expected %s", c[i].what, ret,
			ret == -1 ? errno_name(errno) : "-",
			errno_name(c[i].err));
		ok = false;
	}
	return ok;
}

/*
 * Two pages, the second PROT_NONE: a structure placed so that its header
 * ends at the guard page has readable counts and unreadable entries.
 */
static uint8_t *guarded_pages(void)
{
	uint8_t *p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap failed");
	TEST_ASSERT(!mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE),
		    "mprotect failed");
	return p;
}

static void test_bad_pointers(void)
{
	void *low = (void *)8;
	void *kernel = (void *)0xffff888000000000ul;
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	uint8_t *guard = guarded_pages();
	struct kvm_msrs *msrs = (void *)(guard + PAGE_SIZE - sizeof(*msrs));
	struct kvm_cpuid2 *cpuid = (void *)(guard + PAGE_SIZE - sizeof(*cpuid));
	struct kvm_signal_mask *sigmask =
		(void *)(guard + PAGE_SIZE - sizeof(*sigmask));
	int sys = vm->kvm_fd, vmfd = vm->fd, fd = vcpu->fd;
	const struct call calls[] = {
		{ "KVM_GET_REGS(8)", fd, KVM_GET_REGS, low, EFAULT },
		{ "KVM_SET_REGS(8)", fd, KVM_SET_REGS, low, EFAULT },
		{ "KVM_GET_REGS(kernel)", fd, KVM_GET_REGS, kernel, EFAULT },
		{ "KVM_SET_REGS(kernel)", fd, KVM_SET_REGS, kernel, EFAULT },
		{ "KVM_GET_SREGS(8)", fd, KVM_GET_SREGS, low, EFAULT },
		{ "KVM_SET_SREGS(8)", fd, KVM_SET_SREGS, low, EFAULT },
		{ "KVM_SET_SREGS(kernel)", fd, KVM_SET_SREGS, kernel, EFAULT },
		{ "KVM_GET_MSRS(8)", fd, KVM_GET_MSRS, low, EFAULT },
		{ "KVM_SET_MSRS(8)", fd, KVM_SET_MSRS, low, EFAULT },
		{ "KVM_GET_MSRS(entries unmapped)", fd, KVM_GET_MSRS, msrs,
		  EFAULT },
		{ "KVM_SET_MSRS(entries unmapped)", fd, KVM_SET_MSRS, msrs,
		  EFAULT },
		{ "KVM_SET_CPUID2(8)", fd, KVM_SET_CPUID2, low, EFAULT },
		{ "KVM_SET_CPUID2(entries unmapped)", fd, KVM_SET_CPUID2,
		  cpuid, EFAULT },
		{ "KVM_GET_CPUID2(8)", fd, KVM_GET_CPUID2, low, EFAULT },
		{ "KVM_GET_MP_STATE(8)", fd, KVM_GET_MP_STATE, low, EFAULT },
		{ "KVM_SET_MP_STATE(8)", fd, KVM_SET_MP_STATE, low, EFAULT },
		{ "KVM_SET_SIGNAL_MASK(8)", fd, KVM_SET_SIGNAL_MASK, low,
		  EFAULT },
		{ "KVM_SET_SIGNAL_MASK(set unmapped)", fd, KVM_SET_SIGNAL_MASK,
		  sigmask, EFAULT },
		{ "KVM_SET_USER_MEMORY_REGION(8)", vmfd,
		  KVM_SET_USER_MEMORY_REGION, low, EFAULT },
		{ "KVM_SET_USER_MEMORY_REGION(kernel)", vmfd,
		  KVM_SET_USER_MEMORY_REGION, kernel, EFAULT },
		{ "KVM_GET_MSR_INDEX_LIST(8)", sys, KVM_GET_MSR_INDEX_LIST, low,
		  EFAULT },
		{ "KVM_GET_SUPPORTED_CPUID(8)", sys, KVM_GET_SUPPORTED_CPUID,
		  low, EFAULT },
	};
	bool ok;

	msrs->nmsrs = 4;
	cpuid->nent = 4;
	sigmask->len = 8;
	ok = expect_calls(calls, ARRAY_SIZE(calls));
	/* Nothing was broken for the next caller. */
	ok = ok && !__vcpu_ioctl(vcpu, KVM_GET_REGS, &(struct kvm_regs){});
	munmap(guard, 2 * PAGE_SIZE);
	kvm_vm_free(vm);
	ksft_test_result(ok, "bad_pointers_efault");
}

static void test_bad_sizes(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_cpuid2 *big = allocate_kvm_cpuid2(257);
	struct kvm_cpuid2 *huge = allocate_kvm_cpuid2(1);
	struct kvm_cpuid2 *small = allocate_kvm_cpuid2(1);
	struct kvm_cpuid2 *none = allocate_kvm_cpuid2(1);
	struct kvm_msr_list list = { .nmsrs = 0 };
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[16];
	} mask = {};
	int sys = vm->kvm_fd, vmfd = vm->fd, fd = vcpu->fd;
	int max_id = __kvm_check_cap(sys, KVM_CAP_MAX_VCPU_ID);
	const struct call calls[] = {
		{ "KVM_SET_CPUID2(nent 257)", fd, KVM_SET_CPUID2, big, E2BIG },
		{ "KVM_SET_CPUID2(nent 0xffffffff)", fd, KVM_SET_CPUID2, huge,
		  E2BIG },
		{ "KVM_GET_CPUID2(nent 1 < 2)", fd, KVM_GET_CPUID2, small,
		  E2BIG },
		{ "KVM_GET_SUPPORTED_CPUID(nent 0)", sys,
		  KVM_GET_SUPPORTED_CPUID, none, E2BIG },
		{ "KVM_GET_MSR_INDEX_LIST(nmsrs 0)", sys,
		  KVM_GET_MSR_INDEX_LIST, &list, E2BIG },
		{ "KVM_SET_SIGNAL_MASK(len 16)", fd, KVM_SET_SIGNAL_MASK, &mask,
		  EINVAL },
		{ "KVM_SET_SIGNAL_MASK(len 0)", fd, KVM_SET_SIGNAL_MASK,
		  &mask.set, EINVAL },
		{ "KVM_RUN(1)", fd, KVM_RUN, (void *)1, EINVAL },
		{ "KVM_CREATE_VCPU(MAX_VCPU_ID)", vmfd, KVM_CREATE_VCPU,
		  (void *)(long)max_id, EINVAL },
		{ "KVM_CREATE_VCPU(-1)", vmfd, KVM_CREATE_VCPU, (void *)-1L,
		  EINVAL },
	};
	struct kvm_cpuid2 *two = allocate_kvm_cpuid2(2);
	bool ok;

	TEST_ASSERT(max_id > 0, "KVM_CAP_MAX_VCPU_ID answered %d", max_id);
	huge->nent = 0xffffffff;
	none->nent = 0;
	mask.hdr.len = 16;
	/* Two entries set, so that one is too few for KVM_GET_CPUID2. */
	two->entries[1].function = 1;
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, two);
	ok = expect_calls(calls, ARRAY_SIZE(calls));
	free(big);
	free(huge);
	free(small);
	free(none);
	free(two);
	kvm_vm_free(vm);
	ksft_test_result(ok, "bad_sizes_e2big_einval");
}

/* ---- two threads, one vCPU ---- */

static void test_concurrent_run(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin_forever);
	volatile uint64_t *spins = spins_of(vm);
	struct runner r[2];
	struct kvm_regs regs;
	unsigned int i;
	bool ok = true;

	vcpu_run_expect_sync(vcpu, 1);
	runner_start(&r[0], vcpu->fd);
	runner_start(&r[1], vcpu->fd);
	if (!wait_spinning(spins, 0)) {
		pr_info("the guest never started spinning");
		ok = false;
	}
	/* Give the second caller time to queue on the vCPU. */
	msleep(50);
	runners_kick_and_join(r, 2);
	for (i = 0; i < 2; i++) {
		pr_info("thread %u: KVM_RUN %d %s", i, r[i].ret,
			r[i].ret ? errno_name(r[i].err) : "");
		ok = ok && r[i].ret == -1 && r[i].err == EINTR;
	}
	if (vcpu->run->exit_reason != KVM_EXIT_INTR) {
		pr_info("exit reason %s, expected KVM_EXIT_INTR",
			exit_reason_str(vcpu->run->exit_reason));
		ok = false;
	}
	/* The vCPU is still in one piece. */
	if (__vcpu_ioctl(vcpu, KVM_GET_REGS, &regs)) {
		pr_info(KVM_IOCTL_ERROR("KVM_GET_REGS", -1));
		ok = false;
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "concurrent_kvm_run_one_vcpu");
}

/* ---- closing everything under a running guest ---- */

/* Forget a VM whose fds are already closed: unmap and free the rest. */
static void vm_forget_closed(struct kvm_vm *vm)
{
	struct userspace_mem_region *reg;
	struct kvm_vcpu *v;

	while ((v = vm->vcpus)) {
		vm->vcpus = v->next;
		munmap(v->run, v->run_size);
		free(v);
	}
	while ((reg = vm->regions)) {
		vm->regions = reg->next;
		if (reg->mmap_size)
			munmap(reg->host_mem, reg->mmap_size);
		free(reg);
	}
	free(vm);
}

static void test_close_while_running(void)
{
	unsigned long long obj0 = 0, bytes0 = 0, obj = 0, bytes = 0;
	bool counters = test_mode() == TEST_MODE_KVMM &&
			!kvmm_read_allocations(&obj0, &bytes0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin_forever);
	volatile uint64_t *spins = spins_of(vm);
	struct runner r;
	uint64_t before;
	bool ok = true;

	vcpu_run_expect_sync(vcpu, 1);
	runner_start(&r, vcpu->fd);
	ok = wait_spinning(spins, 0);
	TEST_ASSERT(!close(vcpu->fd), "close(vcpu fd) failed");
	TEST_ASSERT(!close(vm->fd), "close(vm fd) failed");
	TEST_ASSERT(!close(vm->kvm_fd), "close(kvm fd) failed");
	before = *spins;
	msleep(20);
	pr_info("fds closed: the guest spun %llu more times in 20 ms",
		(unsigned long long)(*spins - before));
	runners_kick_and_join(&r, 1);
	pr_info("KVM_RUN after the close: %d %s, exit %s", r.ret,
		r.ret ? errno_name(r.err) : "",
		exit_reason_str(vcpu->run->exit_reason));
	ok = ok && r.ret == -1 && r.err == EINTR &&
	     vcpu->run->exit_reason == KVM_EXIT_INTR;
	/* The last reference: the kvm_run mapping. */
	vm_forget_closed(vm);

	if (counters) {
		uint64_t start = now_ns();

		/* Freeing may finish after an RCU grace period. */
		do {
			if (kvmm_read_allocations(&obj, &bytes))
				break;
			if (obj == obj0 && bytes == bytes0)
				break;
			msleep(10);
		} while (elapsed_s(start) < 2);
		pr_info("kvmm allocations: objects %llu -> %llu, bytes %llu -> %llu",
			obj0, obj, bytes0, bytes);
		ok = ok && obj == obj0 && bytes == bytes0;
	}
	ksft_test_result(ok, "close_fds_while_running");
}

/* ---- the slot's memory goes away under the guest ---- */

/*
 * Did KVM_RUN report the guest's read of the unmapped slot page the way the
 * hypervisor under test should?  -1/EFAULT is what KVM with NPT/EPT gives
 * (and kvmm).  A reference built on shadow paging (the kvm_pvm reference on
 * development machines) instead exits with KVM_EXIT_MMIO for the read; in
 * ref mode that is accepted too, and the read is completed with zeros so
 * the guest keeps polling.
 */
static bool unmapped_read_reported(struct kvm_vcpu *vcpu, int ret, int err,
				   const char *when)
{
	struct kvm_run *run = vcpu->run;

	pr_info("%s: KVM_RUN %d %s, exit %s", when, ret,
		ret ? errno_name(err) : "", exit_reason_str(run->exit_reason));
	if (ret == -1 && err == EFAULT)
		return true;
	if (ret == 0 && test_mode() != TEST_MODE_KVMM &&
	    run->exit_reason == KVM_EXIT_MMIO &&
	    run->mmio.phys_addr == SLOT_GPA && run->mmio.len == 8 &&
	    !run->mmio.is_write) {
		pr_info("%s: the reference reports the unmapped slot as MMIO at %#llx (KVM with NPT/EPT: EFAULT)",
			when, (unsigned long long)run->mmio.phys_addr);
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return true;
	}
	return false;
}

static void test_munmap_while_running(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_slot);
	volatile uint64_t *spins = spins_of(vm);
	uint64_t *mem = vm_userspace_mem_region_add(vm, 1, SLOT_GPA, 1, 0);
	struct ucall uc;
	struct runner r;
	void *again;
	int ret, err;
	bool ok;

	vcpu_args_set(vcpu, 1, (uint64_t)SLOT_GPA);
	vcpu_run_expect_sync(vcpu, 1);
	runner_start(&r, vcpu->fd);
	ok = wait_spinning(spins, 0);
	TEST_ASSERT(!munmap(mem, PAGE_SIZE), "munmap failed");
	if (!runner_wait(&r, 2000)) {
		pr_info("KVM_RUN still running 2 s after the munmap");
		ok = false;
	}
	runners_kick_and_join(&r, 1);
	ok = unmapped_read_reported(vcpu, r.ret, r.err, "across the munmap") &&
	     ok;
	ksft_test_result(ok, "munmap_while_running_efault");

	/*
	 * Bounded like the first run: if the mapping was not taken away, the
	 * guest spins on the old page and only a signal ends KVM_RUN.
	 */
	ok = run_bounded(vcpu, 2000, &ret, &err, "on the unmapped slot");
	ok = unmapped_read_reported(vcpu, ret, err, "on the unmapped slot") &&
	     ok;

	/* Memory back at the same address: the guest reads the new page. */
	again = mmap(mem, PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	TEST_ASSERT(again == mem, "mmap(MAP_FIXED) failed");
	mem[0] = 0x77;
	if (run_bounded(vcpu, 2000, &ret, &err, "after the remap") &&
	    !ret && get_ucall(vcpu, &uc) == UCALL_SYNC) {
		ok = ok && uc.args[0] == 2 && uc.args[1] == 0x77;
		vcpu_run_expect_done(vcpu);
	} else {
		pr_info("after the remap: KVM_RUN %d %s, exit %s, expected GUEST_SYNC(2)",
			ret, ret ? errno_name(err) : "",
			exit_reason_str(vcpu->run->exit_reason));
		ok = false;
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "kvm_run_unmapped_efault_then_remap");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	runner_setup_kick();

	ksft_set_plan(6);
	test_bad_pointers();
	test_bad_sizes();
	test_concurrent_run();
	test_close_while_running();
	test_munmap_while_running();
	ksft_finished();
}
