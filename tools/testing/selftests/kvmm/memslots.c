// SPDX-License-Identifier: GPL-2.0
/*
 * memslots: KVM_SET_USER_MEMORY_REGION.
 *
 * The rules, as Linux KVM applies them (virt/kvm/kvm_main.c,
 * check_memory_region_flags() and __kvm_set_memory_region(); api.rst
 * 4.35), checked in this order:
 *  - flags other than KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY: EINVAL;
 *  - slot (low 16 bits) >= KVM_CAP_NR_MEMSLOTS, or an address space (high
 *    16 bits) the VM does not have: EINVAL;
 *  - memory_size, guest_phys_addr or userspace_addr not page aligned, or
 *    userspace_addr + memory_size not user memory: EINVAL;
 *  - guest_phys_addr + memory_size wraps: EINVAL;
 *  - size 0 deletes the slot; deleting a slot that does not exist: EINVAL;
 *  - an existing slot may move (new guest_phys_addr) or change
 *    KVM_MEM_LOG_DIRTY_PAGES; a different size, userspace_addr or
 *    KVM_MEM_READONLY bit: EINVAL; the same values again: success;
 *  - a new or moved slot that overlaps another: EEXIST.
 * Slots may alias the same host memory.  A guest write to a read-only slot
 * exits to userspace as KVM_EXIT_MMIO; reads see the memory.
 *
 * The guest parts that need MMIO exits are skipped while kvmm's gaps table
 * lists "mmio" (kvmm_gaps.h); the read-only slot also needs
 * KVM_CAP_READONLY_MEM.
 */
#include <sys/mman.h>

#include "kvmm_gaps.h"
#include "processor.h"

#define SLOT_GPA	0x80000000ull	/* inside the guest identity map */

static void *host_mem;
static size_t host_size = 64 * PAGE_SIZE;

static int set_region(struct kvm_vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva)
{
	return __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);
}

/* Expect @ret to be -1 with @err; print @what otherwise. */
static bool expect_err(int ret, int err, const char *what)
{
	if (ret == -1 && errno == err)
		return true;
	pr_info("%s: rc %d errno %s, expected %s", what, ret,
		ret ? errno_name(errno) : "-", errno_name(err));
	return false;
}

static bool expect_ok(int ret, const char *what)
{
	if (!ret)
		return true;
	pr_info("%s: rc %d errno %s, expected success", what, ret,
		errno_name(errno));
	return false;
}

static void test_basic(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool ok = true;

	ok &= expect_ok(set_region(vm, 0, 0, 0, host_size, host_mem),
			"create slot 0");
	ok &= expect_ok(set_region(vm, 0, 0, 0, host_size, host_mem),
			"same values again");
	ok &= expect_ok(set_region(vm, 1, 0, host_size, PAGE_SIZE, host_mem),
			"second slot aliasing the same memory");
	ok &= expect_ok(set_region(vm, 0, 0, 0, 0, host_mem), "delete slot 0");
	ok &= expect_ok(set_region(vm, 0, 0, 0, host_size, host_mem),
			"re-create slot 0");
	/*
	 * Dirty logging has no capability of its own in KVM's ABI; while
	 * the gaps table lists it, kvmm rejects the flag (EINVAL), a
	 * documented difference checked as such.
	 */
	if (kvmm_gap("dirty_log")) {
		ok &= expect_err(set_region(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0,
					    host_size, host_mem), EINVAL,
				 kvmm_gap_reason("dirty_log"));
	} else {
		ok &= expect_ok(set_region(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0,
					   host_size, host_mem),
				"turn on dirty logging");
		ok &= expect_ok(set_region(vm, 0, 0, 0, host_size, host_mem),
				"turn off dirty logging");
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "create_delete_recreate");
}

static void test_bad_flags(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	unsigned int bit;
	bool ok = true;

	for (bit = 2; bit < 32; bit++) {
		char what[48];

		snprintf(what, sizeof(what), "flags bit %u", bit);
		ok &= expect_err(set_region(vm, 0, 1u << bit, 0, host_size,
					    host_mem), EINVAL, what);
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "bad_flags_einval");
}

static void test_misaligned(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	uint8_t *mem = host_mem;
	bool ok = true;

	ok &= expect_err(set_region(vm, 0, 0, 0x800, host_size, mem), EINVAL,
			 "gpa not page aligned");
	ok &= expect_err(set_region(vm, 0, 0, 1, host_size, mem), EINVAL,
			 "gpa 1");
	ok &= expect_err(set_region(vm, 0, 0, 0, host_size - 1, mem), EINVAL,
			 "size not page aligned");
	ok &= expect_err(set_region(vm, 0, 0, 0, 0x800, mem), EINVAL,
			 "size half a page");
	ok &= expect_err(set_region(vm, 0, 0, 0, PAGE_SIZE, mem + 0x10),
			 EINVAL, "userspace_addr not page aligned");
	ok &= expect_err(set_region(vm, 0, 0, 0, PAGE_SIZE,
				    (void *)0xffff800000000000ul), EINVAL,
			 "userspace_addr in kernel space");
	ok &= expect_err(set_region(vm, 0, 0, 0, 1ull << 48,
				    (void *)0x7ffffffff000ul), EINVAL,
			 "userspace range leaves user space");
	/* Alignment is checked even for a delete. */
	ok &= expect_err(set_region(vm, 0, 0, 0x800, 0, mem), EINVAL,
			 "delete with misaligned gpa");
	kvm_vm_free(vm);
	ksft_test_result(ok, "misaligned_einval");
}

static void test_slot_ids(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int nr = __vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS);
	int spaces = __vm_check_cap(vm, KVM_CAP_MULTI_ADDRESS_SPACE);
	bool ok = true;
	char what[64];

	if (nr <= 0)
		nr = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	if (spaces < 1)
		spaces = 1;
	pr_info("KVM_CAP_NR_MEMSLOTS %d, address spaces %d", nr, spaces);
	ok &= expect_ok(set_region(vm, nr - 1, 0, 0, PAGE_SIZE, host_mem),
			"last slot id");
	ok &= expect_err(set_region(vm, nr, 0, PAGE_SIZE, PAGE_SIZE,
				    host_mem), EINVAL, "slot id NR_MEMSLOTS");
	ok &= expect_err(set_region(vm, 0xffff, 0, PAGE_SIZE, PAGE_SIZE,
				    host_mem), EINVAL, "slot id 0xffff");
	snprintf(what, sizeof(what), "address space %d", spaces);
	ok &= expect_err(set_region(vm, (uint32_t)spaces << 16, 0, PAGE_SIZE,
				    PAGE_SIZE, host_mem), EINVAL, what);
	ok &= expect_err(set_region(vm, 0xffff0000u, 0, PAGE_SIZE, PAGE_SIZE,
				    host_mem), EINVAL, "address space 0xffff");
	kvm_vm_free(vm);
	ksft_test_result(ok, "slot_id_out_of_range_einval");
}

static void test_wrap(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool ok = true;

	ok &= expect_err(set_region(vm, 0, 0, -PAGE_SIZE, 2 * PAGE_SIZE,
				    host_mem), EINVAL, "gpa range wraps");
	ok &= expect_err(set_region(vm, 0, 0, -PAGE_SIZE, PAGE_SIZE,
				    host_mem), EINVAL,
			 "gpa range ends exactly at 2^64");
	kvm_vm_free(vm);
	ksft_test_result(ok, "wrapping_range_einval");
}

static void test_modify(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	uint8_t *mem = host_mem;
	bool ok = true;

	ok &= expect_ok(set_region(vm, 3, 0, 0x100000, 16 * PAGE_SIZE, mem),
			"create slot 3");
	ok &= expect_err(set_region(vm, 3, 0, 0x100000, 8 * PAGE_SIZE, mem),
			 EINVAL, "shrink");
	ok &= expect_err(set_region(vm, 3, 0, 0x100000, 32 * PAGE_SIZE, mem),
			 EINVAL, "grow");
	ok &= expect_err(set_region(vm, 3, 0, 0x100000, 16 * PAGE_SIZE,
				    mem + PAGE_SIZE), EINVAL,
			 "new userspace_addr");
	if (kvm_check_cap(KVM_CAP_READONLY_MEM))
		ok &= expect_err(set_region(vm, 3, KVM_MEM_READONLY, 0x100000,
					    16 * PAGE_SIZE, mem), EINVAL,
				 "set KVM_MEM_READONLY");
	ok &= expect_ok(set_region(vm, 3, 0, 0x200000, 16 * PAGE_SIZE, mem),
			"move");
	ok &= expect_ok(set_region(vm, 4, 0, 0x100000, 16 * PAGE_SIZE, mem),
			"new slot where slot 3 was");
	ok &= expect_err(set_region(vm, 3, 0, 0x10f000, 16 * PAGE_SIZE, mem),
			 EEXIST, "move onto slot 4's end");
	ok &= expect_ok(set_region(vm, 3, 0, 0x200000, 0, mem),
			"delete slot 3");
	ok &= expect_err(set_region(vm, 3, 0, 0x200000, 0, mem), EINVAL,
			 "delete it again");
	ok &= expect_err(set_region(vm, 5, 0, 0, 0, mem), EINVAL,
			 "delete a slot never created");
	kvm_vm_free(vm);
	ksft_test_result(ok, "modify_move_delete");
}

static void test_overlap(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	uint64_t base = 0x100000, size = 16 * PAGE_SIZE;
	bool ok = true;

	ok &= expect_ok(set_region(vm, 0, 0, base, size, host_mem),
			"create slot 0");
	ok &= expect_err(set_region(vm, 1, 0, base, size, host_mem), EEXIST,
			 "same range");
	ok &= expect_err(set_region(vm, 1, 0, base - PAGE_SIZE, 2 * PAGE_SIZE,
				    host_mem), EEXIST, "overlap start");
	ok &= expect_err(set_region(vm, 1, 0, base + size - PAGE_SIZE,
				    2 * PAGE_SIZE, host_mem), EEXIST,
			 "overlap end");
	ok &= expect_err(set_region(vm, 1, 0, base + PAGE_SIZE, PAGE_SIZE,
				    host_mem), EEXIST, "inside");
	ok &= expect_err(set_region(vm, 1, 0, base - PAGE_SIZE, size * 2,
				    host_mem), EEXIST, "covering");
	ok &= expect_ok(set_region(vm, 1, 0, base - PAGE_SIZE, PAGE_SIZE,
				   host_mem), "adjacent below");
	ok &= expect_ok(set_region(vm, 2, 0, base + size, PAGE_SIZE,
				   host_mem), "adjacent above");
	kvm_vm_free(vm);
	ksft_test_result(ok, "overlap_eexist");
}

static void test_bad_pointer(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int ret = __vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (void *)8);

	ksft_test_result(expect_err(ret, EFAULT, "argument pointer 8"),
			 "bad_argument_pointer_efault");
	kvm_vm_free(vm);
}

/* All KVM_CAP_NR_MEMSLOTS slots at once, all aliasing one page. */
static void test_max_slots(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int nr = __vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS), i, ret = 0;
	bool ok;

	if (nr <= 0)
		nr = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	for (i = 0; i < nr; i++) {
		ret = set_region(vm, i, 0, (uint64_t)i * PAGE_SIZE, PAGE_SIZE,
				 host_mem);
		if (ret)
			break;
	}
	ok = expect_ok(ret, "creating every slot");
	if (!ok)
		pr_info("failed at slot %d of %d", i, nr);
	ok &= expect_err(set_region(vm, nr, 0, (uint64_t)nr * PAGE_SIZE,
				    PAGE_SIZE, host_mem), EINVAL,
			 "one more slot");
	kvm_vm_free(vm);
	ksft_test_result(ok, "nr_memslots_all_usable");
}

/* ---- what the guest sees ---- */

static void guest_read_slots(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;

	GUEST_SYNC_ARGS(1, p[0], p[1], 0, 0);
	/* The host moved the slot up by 1 MiB: the data moved with it... */
	GUEST_SYNC_ARGS(2, p[(1 << 20) / 8], 0, 0, 0);
	/* ... and the old address is MMIO now. */
	GUEST_SYNC_ARGS(3, p[0], 0, 0, 0);
	GUEST_DONE();
}

static void test_guest_view(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_slots);
	uint64_t *mem = vm_userspace_mem_region_add(vm, 1, SLOT_GPA, 4, 0);
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	bool ok;

	mem[0] = 0x1111222233334444ull;
	mem[1] = 0x5555666677778888ull;
	vcpu_args_set(vcpu, 1, (uint64_t)SLOT_GPA);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = uc.args[1] == mem[0] && uc.args[2] == mem[1];
	ksft_test_result(ok, "guest_reads_slot");

	vm_mem_region_move(vm, 1, SLOT_GPA + (1 << 20));
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = uc.args[0] == 2 && uc.args[1] == mem[0];
	if (!ok)
		pr_info("at the new address: stage %llu value %#llx",
			(unsigned long long)uc.args[0],
			(unsigned long long)uc.args[1]);
	ksft_test_result(ok, "guest_sees_moved_slot");

	if (kvmm_gap_skip("mmio", "guest_old_slot_address_is_mmio")) {
		kvm_vm_free(vm);
		return;
	}
	vcpu_run(vcpu);
	ok = run->exit_reason == KVM_EXIT_MMIO &&
	     run->mmio.phys_addr == SLOT_GPA && !run->mmio.is_write;
	if (!ok)
		pr_info("after the move: exit %s addr %#llx",
			exit_reason_str(run->exit_reason),
			(unsigned long long)run->mmio.phys_addr);
	memset(run->mmio.data, 0x5a, sizeof(run->mmio.data));
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = ok && uc.args[0] == 3 && uc.args[1] == 0x5a5a5a5a5a5a5a5aull;
	ksft_test_result(ok, "guest_old_slot_address_is_mmio");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_readonly(uint64_t gpa)
{
	volatile uint32_t *p = (volatile uint32_t *)gpa;

	GUEST_SYNC_ARGS(1, p[0], 0, 0, 0);
	p[1] = 0xdeadbeef;
	/* The write went to userspace, not to memory. */
	GUEST_SYNC_ARGS(2, p[1], 0, 0, 0);
	GUEST_DONE();
}

static void test_readonly(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;
	struct ucall uc;
	uint32_t *mem;
	bool ok;

	/*
	 * Reads of a read-only slot would work without MMIO, but kvmm
	 * reports KVM_CAP_READONLY_MEM only once the write side (an MMIO
	 * exit through the emulator) works too.
	 */
	if (kvm_cap_skip(KVM_CAP_READONLY_MEM, "readonly_slot"))
		return;
	if (kvmm_gap_skip("mmio", "readonly_slot"))
		return;
	vm = vm_create_with_one_vcpu(&vcpu, guest_readonly);
	run = vcpu->run;
	mem = vm_userspace_mem_region_add(vm, 1, SLOT_GPA, 1,
					  KVM_MEM_READONLY);
	mem[0] = 0xcafe;
	mem[1] = 0x1234;
	vcpu_args_set(vcpu, 1, (uint64_t)SLOT_GPA);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = uc.args[1] == 0xcafe;
	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
	    run->mmio.phys_addr != SLOT_GPA + 4 || run->mmio.len != 4 ||
	    *(uint32_t *)run->mmio.data != 0xdeadbeef) {
		pr_info("write: exit %s addr %#llx len %u write %u",
			exit_reason_str(run->exit_reason),
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.len, run->mmio.is_write);
		ok = false;
	}
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = ok && uc.args[1] == 0x1234 && mem[1] == 0x1234;
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result(ok, "readonly_slot");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	host_mem = mmap(NULL, host_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(host_mem != MAP_FAILED, "mmap failed");

	ksft_set_plan(13);
	test_basic();
	test_bad_flags();
	test_misaligned();
	test_slot_ids();
	test_wrap();
	test_modify();
	test_overlap();
	test_bad_pointer();
	test_max_slots();
	test_guest_view();
	test_readonly();
	ksft_finished();
}
