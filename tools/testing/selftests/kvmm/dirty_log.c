// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log: KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (api.rst 4.8,
 * 4.35, 4.117, 7.18), as Linux 6.1 gives them; Documentation/mmu.rst,
 * "Dirty logging".
 *
 * Each part uses a fresh VM whose slot TEST_SLOT (TEST_PAGES pages at
 * TEST_GPA) logs, and a guest that writes the pages the host names:
 *  - the capability's answer and KVM_ENABLE_CAP's errors for bad flags;
 *  - errors of GET/CLEAR for bad slots, ranges and buffers;
 *  - every page written shows up once, and no other; GET clears the log
 *    and protects the pages again, so rewriting them shows them again;
 *  - a write kvmm makes itself (INS into RAM, done by the emulator)
 *    shows up like the guest's own;
 *  - manual protection: GET leaves the log alone, CLEAR clears only the
 *    range it names and protects only those pages again (on kvmm the
 *    write-protect fault counter in debugfs must grow by exactly them);
 *  - KVM_DIRTY_LOG_INITIALLY_SET: a new logged slot starts all dirty;
 *  - logging switched on and off on a slot in use: the contents stay,
 *    the log starts empty, GET fails once it is off, and a vCPU writing
 *    all along never sees the slot vanish (an MMIO exit would show it);
 *  - a read-only slot may log, and never shows a page;
 *  - a slot backed by transparent huge pages is logged per 4 KiB; on
 *    kvmm, pages_2m drops when logging starts and does not grow while
 *    it is on (the reference splits lazily, so that check is kvmm's);
 *  - two vCPUs write sequence numbers into random pages while the host
 *    harvests: a page that changed and is not in one harvest must be in
 *    the next, which a write lost by the log would not be.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

#define TEST_SLOT	1
#define TEST_GPA	0x40000000ul
#define TEST_PAGES	1024ul		/* 4 MiB: two 2-MiB pages */
#define TEST_BYTES	(TEST_PAGES * PAGE_SIZE)
#define TEST_WORDS	(TEST_PAGES / 64)
#define HUGE_SIZE	(2ul << 20)
#define NR_VCPUS	2
#define INS_PORT	0x2000
#define NR_TESTS	17

#ifndef KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1 << 0)
#define KVM_DIRTY_LOG_INITIALLY_SET		(1 << 1)
#endif
#define MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
			 KVM_DIRTY_LOG_INITIALLY_SET)

enum guest_op {
	OP_NONE,
	OP_WRITE,	/* write seed into pages first + k * stride, k < count */
	OP_READ,	/* sum word 0 of the same pages */
	OP_INS,		/* rep insb 8 bytes from INS_PORT to gpa */
	OP_LOOP,	/* write sequence numbers until stop (guest_loop) */
};

static struct guest_cmd {
	uint64_t op;
	uint64_t first, count, stride;
	uint64_t seed;
	uint64_t gpa;
} cmd;

/* Set by the host to end OP_LOOP and guest_loop(). */
static uint64_t stop;

static inline volatile uint64_t *page_word(uint64_t page, uint64_t word)
{
	return (volatile uint64_t *)(TEST_GPA + page * PAGE_SIZE) + word;
}

/* Word @id of a pseudo-random page, sequence number 1, 2, ... */
static void guest_loop(uint64_t id)
{
	uint64_t seq, page;

	for (seq = 1; !*(volatile uint64_t *)&stop; seq++) {
		page = (seq * 2654435761ull + id * 40503ull) % TEST_PAGES;
		*page_word(page, id + 1) = seq;
	}
	GUEST_DONE();
}

static void guest_code(void)
{
	for (;;) {
		volatile struct guest_cmd *c = &cmd;
		uint64_t i, sum = 0, page = c->first;

		switch (c->op) {
		case OP_WRITE:
			for (i = 0; i < c->count; i++, page += c->stride)
				*page_word(page, 0) = c->seed;
			break;
		case OP_READ:
			for (i = 0; i < c->count; i++, page += c->stride)
				sum += *page_word(page, 0);
			break;
		case OP_INS:
			__asm__ __volatile__("rep insb"
					     : "+D"(c->gpa), "=c"(i)
					     : "d"(INS_PORT), "1"(8ul)
					     : "memory");
			break;
		case OP_LOOP:
			guest_loop(0);
			break;
		}
		GUEST_SYNC_ARGS(0, sum, 0, 0, 0);
	}
}

/* ---- host side ---- */

struct test_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem;		/* TEST_SLOT's memory */
	size_t mem_size;
};

/* @size bytes of anonymous memory at a 2-MiB boundary. */
static void *mmap_aligned(size_t size)
{
	size_t len = size + HUGE_SIZE;
	uintptr_t p = (uintptr_t)mmap(NULL, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	TEST_ASSERT((void *)p != MAP_FAILED, "mmap(%zu)", len);
	a = (p + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	if (a > p)
		munmap((void *)p, a - p);
	if (p + len > a + size)
		munmap((void *)(a + size), p + len - (a + size));
	return (void *)a;
}

static void enable_manual(struct kvm_vm *vm, uint64_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { flags },
	};

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
}

/*
 * A VM with vCPU 0 in guest_code, manual protection @manual (0: off),
 * and TEST_SLOT of @npages with @flags over fresh memory the host wrote.
 */
static struct test_vm new_vm_n(uint64_t manual, uint32_t flags,
			       uint64_t npages)
{
	struct test_vm t;

	t.vm = vm_create_with_one_vcpu(&t.vcpu, guest_code);
	if (manual)
		enable_manual(t.vm, manual);
	t.mem_size = npages * PAGE_SIZE;
	t.mem = mmap_aligned(t.mem_size);
	memset(t.mem, 0x5a, t.mem_size);
	vm_set_user_memory_region(t.vm, TEST_SLOT, flags, TEST_GPA,
				  t.mem_size, t.mem);
	return t;
}

static struct test_vm new_vm(uint64_t manual, uint32_t flags)
{
	return new_vm_n(manual, flags, TEST_PAGES);
}

static void free_vm(struct test_vm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->mem, t->mem_size);
}

static uint64_t guest_op(struct test_vm *t, enum guest_op op, uint64_t first,
			 uint64_t count, uint64_t stride, uint64_t seed)
{
	struct guest_cmd c = {
		.op = op, .first = first, .count = count, .stride = stride,
		.seed = seed,
	};
	struct ucall uc;

	write_guest_global(t->vm, cmd, c);
	TEST_ASSERT(vcpu_run_ucall(t->vcpu, &uc) == UCALL_SYNC,
		    "expected a sync from the guest");
	return uc.args[1];
}

/* Word @word of page @page of the slot, as the host sees it. */
static volatile uint64_t *host_word(struct test_vm *t, uint64_t page,
				    uint64_t word)
{
	return (volatile uint64_t *)(t->mem + page * PAGE_SIZE) + word;
}

static int __get_log(struct kvm_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return __vm_ioctl(vm, KVM_GET_DIRTY_LOG, &log);
}

static void get_log(struct test_vm *t, uint64_t *bm)
{
	TEST_ASSERT(!__get_log(t->vm, TEST_SLOT, bm),
		    KVM_IOCTL_ERROR("KVM_GET_DIRTY_LOG", -1));
}

static int __clear_log(struct kvm_vm *vm, uint32_t slot, uint64_t first,
		       uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot, .first_page = first, .num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return __vm_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &log);
}

static bool bit(const uint64_t *bm, uint64_t n)
{
	return bm[n / 64] >> (n % 64) & 1;
}

static void set_bit_in(uint64_t *bm, uint64_t n)
{
	bm[n / 64] |= 1ull << (n % 64);
}

/* Pages first + k * stride, k < count, as a bitmap. */
static void expect_pages(uint64_t *bm, uint64_t first, uint64_t count,
			 uint64_t stride)
{
	uint64_t k;

	memset(bm, 0, TEST_WORDS * 8);
	for (k = 0; k < count; k++)
		set_bit_in(bm, first + k * stride);
}

/* Is @got exactly @want?  Names the first difference. */
static bool same_log(const char *what, const uint64_t *got,
		     const uint64_t *want)
{
	uint64_t n;

	for (n = 0; n < TEST_PAGES; n++) {
		if (bit(got, n) != bit(want, n)) {
			pr_info("%s: page %llu is %s in the log, expected %s",
				what, (unsigned long long)n,
				bit(got, n) ? "set" : "clear",
				bit(want, n) ? "set" : "clear");
			return false;
		}
	}
	return true;
}

/* A kvmm VM counter in debugfs; -1 on the reference or when unreadable. */
static long long kvmm_stat(struct kvm_vm *vm, const char *name)
{
	unsigned long long v;

	if (test_mode() != TEST_MODE_KVMM || vm_debugfs_stat(vm->fd, name, &v))
		return -1;
	return v;
}

/* ---- the parts ---- */

static void test_caps(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	static const struct {
		uint64_t args0;
		uint32_t flags;
		int err;
	} cases[] = {
		{ KVM_DIRTY_LOG_INITIALLY_SET, 0, EINVAL },
		{ 4, 0, EINVAL },
		{ MANUAL_CAPS | 4, 0, EINVAL },
		{ KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 1, EINVAL },
		{ MANUAL_CAPS, 0, 0 },
		{ KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 0, 0 },
		{ 0, 0, 0 },
	};
	unsigned int v = kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), i;
	struct kvm_vm *vm = vm_create_barebones();
	bool ok = true;
	int r;

	ksft_test_result(v == MANUAL_CAPS && vm_check_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) == MANUAL_CAPS,
			 "check_extension_manual_protect2_flags");
	if (v != MANUAL_CAPS)
		pr_info("KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %u", v);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		cap.args[0] = cases[i].args0;
		cap.flags = cases[i].flags;
		r = __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
		if ((cases[i].err ? r != -1 || errno != cases[i].err : r)) {
			pr_info("ENABLE_CAP args[0] %#llx flags %u: rc %d errno %s, expected %s",
				(unsigned long long)cases[i].args0,
				cases[i].flags, r, errno_name(errno),
				cases[i].err ? errno_name(cases[i].err) : "0");
			ok = false;
		}
	}
	ksft_test_result(ok, "enable_cap_flags_errnos");
	kvm_vm_free(vm);
}

static void test_bad_args(void)
{
	/* 1000 pages: the last 40 are a range that may be unaligned. */
	struct test_vm t = new_vm_n(0, KVM_MEM_LOG_DIRTY_PAGES, 1000);
	uint64_t bm[TEST_WORDS] = {};
	void *plain = mmap_aligned(HUGE_SIZE);
	static const struct {
		uint32_t slot;
		uint64_t first;
		uint32_t num;
		int err;
	} clear[] = {
		{ TEST_SLOT, 1, 64, EINVAL },		/* first unaligned */
		{ TEST_SLOT, 0, 63, EINVAL },		/* num unaligned, not last */
		{ TEST_SLOT, 64, 1000, EINVAL },	/* past the end */
		{ TEST_SLOT, 1024, 0, EINVAL },		/* first past the end */
		{ TEST_SLOT, 960, 40, 0 },		/* the unaligned tail */
		{ TEST_SLOT, 0, 1000, 0 },
		{ TEST_SLOT, 1000 & ~63ul, 0, 0 },
		{ 2, 0, 64, ENOENT },			/* logs not */
		{ 2, 1, 64, EINVAL },			/* alignment first */
		{ 3, 0, 64, ENOENT },			/* no slot */
		{ 2u << 16 | TEST_SLOT, 0, 64, EINVAL },/* no such space */
		{ 32764, 0, 64, EINVAL },		/* beyond the slots */
	};
	static const struct {
		uint32_t slot;
		int err;
	} get[] = {
		{ 2, ENOENT }, { 3, ENOENT }, { 2u << 16 | TEST_SLOT, EINVAL },
		{ 32764, EINVAL },
	};
	/*
	 * Address space 1 is SMM's: with it, no slot there logs (ENOENT);
	 * without it (kvmm, KVM built without SMM), EINVAL.
	 */
	int smm_err = kvm_check_cap(KVM_CAP_MULTI_ADDRESS_SPACE) > 1 ?
		      ENOENT : EINVAL;
	bool ok = true;
	unsigned int i;
	int r;

	vm_set_user_memory_region(t.vm, 2, 0, TEST_GPA + TEST_BYTES,
				  HUGE_SIZE, plain);
	r = __get_log(t.vm, 1u << 16 | TEST_SLOT, bm);
	if (r != -1 || errno != smm_err) {
		pr_info("GET in address space 1: rc %d errno %s, expected %s",
			r, errno_name(errno), errno_name(smm_err));
		ok = false;
	}
	r = __clear_log(t.vm, 1u << 16 | TEST_SLOT, 0, 64, bm);
	if (r != -1 || errno != smm_err) {
		pr_info("CLEAR in address space 1: rc %d errno %s, expected %s",
			r, errno_name(errno), errno_name(smm_err));
		ok = false;
	}
	for (i = 0; i < ARRAY_SIZE(get); i++) {
		r = __get_log(t.vm, get[i].slot, bm);
		if (r != -1 || errno != get[i].err) {
			pr_info("GET slot %#x: rc %d errno %s, expected %s",
				get[i].slot, r, errno_name(errno),
				errno_name(get[i].err));
			ok = false;
		}
	}
	r = __get_log(t.vm, TEST_SLOT, NULL);
	if (r != -1 || errno != EFAULT) {
		pr_info("GET to NULL: rc %d errno %s", r, errno_name(errno));
		ok = false;
	}
	for (i = 0; i < ARRAY_SIZE(clear); i++) {
		r = __clear_log(t.vm, clear[i].slot, clear[i].first,
				clear[i].num, bm);
		if (clear[i].err ? r != -1 || errno != clear[i].err : r) {
			pr_info("CLEAR slot %#x first %llu num %u: rc %d errno %s, expected %s",
				clear[i].slot,
				(unsigned long long)clear[i].first,
				clear[i].num, r, errno_name(errno),
				clear[i].err ? errno_name(clear[i].err) : "0");
			ok = false;
		}
	}
	r = __clear_log(t.vm, TEST_SLOT, 0, 64, NULL);
	if (r != -1 || errno != EFAULT) {
		pr_info("CLEAR from NULL: rc %d errno %s", r, errno_name(errno));
		ok = false;
	}
	/* Slot flags: only READONLY and LOG_DIRTY_PAGES exist. */
	r = __vm_set_user_memory_region(t.vm, 3, 1u << 2, TEST_GPA + 2 * TEST_BYTES,
					HUGE_SIZE, plain);
	if (r != -1 || errno != EINVAL) {
		pr_info("slot flag 4: rc %d errno %s", r, errno_name(errno));
		ok = false;
	}
	r = __vm_set_user_memory_region(t.vm, 2, KVM_MEM_READONLY |
					KVM_MEM_LOG_DIRTY_PAGES,
					TEST_GPA + TEST_BYTES, HUGE_SIZE, plain);
	if (r != -1 || errno != EINVAL) {
		pr_info("READONLY added to a slot: rc %d errno %s", r,
			errno_name(errno));
		ok = false;
	}
	ksft_test_result(ok, "bad_arguments_errnos");
	munmap(plain, HUGE_SIZE);
	free_vm(&t);
}

static void test_get(void)
{
	struct test_vm t = new_vm(0, KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t bm[TEST_WORDS], want[TEST_WORDS], zero[TEST_WORDS] = {};
	long long marked = kvmm_stat(t.vm, "dirty_marked"), wp, m2;
	bool ok;

	/* Every third page from 1; page 1023, the last, too. */
	guest_op(&t, OP_WRITE, 1, 341, 3, 11);
	guest_op(&t, OP_WRITE, 1023, 1, 1, 11);
	get_log(&t, bm);
	expect_pages(want, 1, 341, 3);
	set_bit_in(want, 1023);
	ok = same_log("first harvest", bm, want);
	m2 = kvmm_stat(t.vm, "dirty_marked");
	if (marked >= 0 && m2 - marked != 342) {
		pr_info("dirty_marked grew by %lld, not 342", m2 - marked);
		ok = false;
	}
	ksft_test_result(ok, "written_pages_show_up_once");

	get_log(&t, bm);
	ksft_test_result(same_log("second harvest", bm, zero),
			 "get_dirty_log_clears");

	/* Half of them again: protected again, so they fault and show. */
	wp = kvmm_stat(t.vm, "dirty_wrprot_faults");
	guest_op(&t, OP_WRITE, 1, 171, 6, 12);
	get_log(&t, bm);
	expect_pages(want, 1, 171, 6);
	ok = same_log("rewrite harvest", bm, want);
	if (wp >= 0 && kvmm_stat(t.vm, "dirty_wrprot_faults") - wp != 171) {
		pr_info("dirty_wrprot_faults grew by %lld, not 171",
			kvmm_stat(t.vm, "dirty_wrprot_faults") - wp);
		ok = false;
	}
	ksft_test_result(ok && *host_word(&t, 7, 0) == 12,
			 "get_dirty_log_protects_again");
	free_vm(&t);
}

/* The guest's INS writes guest memory through kvmm's own hands. */
static void test_ins(void)
{
	struct test_vm t = new_vm(0, KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t bm[TEST_WORDS], want[TEST_WORDS];
	struct guest_cmd c = { .op = OP_INS, .gpa = TEST_GPA + 77 * PAGE_SIZE + 8 };
	struct kvm_run *run = t.vcpu->run;
	struct ucall uc;
	int exits = 0;

	write_guest_global(t.vm, cmd, c);
	for (;;) {
		vcpu_run(t.vcpu);
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != INS_PORT)
			break;
		TEST_ASSERT(run->io.direction == KVM_EXIT_IO_IN &&
			    ++exits <= 8, "unexpected I/O exit");
		memset(vcpu_io_data(t.vcpu), 0xab,
		       run->io.size * run->io.count);
	}
	TEST_ASSERT(get_ucall(t.vcpu, &uc) == UCALL_SYNC,
		    "expected a sync after INS, got exit %s",
		    exit_reason_str(run->exit_reason));
	get_log(&t, bm);
	expect_pages(want, 77, 1, 1);
	ksft_test_result(same_log("INS", bm, want) &&
			 *host_word(&t, 77, 1) == 0xabababababababab,
			 "emulated_write_to_ram_shows_up");
	free_vm(&t);
}

static void test_manual(void)
{
	struct test_vm t = new_vm(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
				  KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t bm[TEST_WORDS], want[TEST_WORDS], ones[2];
	long long wp;
	bool ok;
	int r;

	guest_op(&t, OP_WRITE, 0, TEST_PAGES / 2, 2, 21);
	get_log(&t, bm);
	expect_pages(want, 0, TEST_PAGES / 2, 2);
	ok = same_log("manual, first GET", bm, want);
	get_log(&t, bm);
	ok &= same_log("manual, second GET", bm, want);
	ksft_test_result(ok, "manual_get_keeps_log");

	/* Clear pages [128, 256) only. */
	memset(ones, 0xff, sizeof(ones));
	r = __clear_log(t.vm, TEST_SLOT, 128, 128, ones);
	TEST_ASSERT(!r, KVM_IOCTL_ERROR("KVM_CLEAR_DIRTY_LOG", r));
	get_log(&t, bm);
	expect_pages(want, 0, 64, 2);
	{
		uint64_t k;

		for (k = 256; k < TEST_PAGES; k += 2)
			set_bit_in(want, k);
	}
	ok = same_log("after CLEAR [128, 256)", bm, want);

	/*
	 * Writing every even page again: only the 64 cleared ones were
	 * protected again (kvmm counts their faults), and all show.
	 */
	wp = kvmm_stat(t.vm, "dirty_wrprot_faults");
	guest_op(&t, OP_WRITE, 0, TEST_PAGES / 2, 2, 22);
	get_log(&t, bm);
	expect_pages(want, 0, TEST_PAGES / 2, 2);
	ok &= same_log("after rewriting", bm, want);
	if (wp >= 0 && kvmm_stat(t.vm, "dirty_wrprot_faults") - wp != 64) {
		pr_info("dirty_wrprot_faults grew by %lld, not 64",
			kvmm_stat(t.vm, "dirty_wrprot_faults") - wp);
		ok = false;
	}
	ksft_test_result(ok, "manual_clear_protects_only_its_range");
	free_vm(&t);
}

static void test_initially_set(void)
{
	struct test_vm t = new_vm_n(MANUAL_CAPS, KVM_MEM_LOG_DIRTY_PAGES, 1000);
	uint64_t bm[TEST_WORDS], want[TEST_WORDS], ones[TEST_WORDS];
	bool ok;
	int r;

	memset(bm, 0, sizeof(bm));
	get_log(&t, bm);
	expect_pages(want, 0, 1000, 1);
	ok = same_log("initially set", bm, want);
	memset(ones, 0xff, sizeof(ones));
	r = __clear_log(t.vm, TEST_SLOT, 0, 1000, ones);
	TEST_ASSERT(!r, KVM_IOCTL_ERROR("KVM_CLEAR_DIRTY_LOG", r));
	get_log(&t, bm);
	memset(want, 0, sizeof(want));
	ok &= same_log("cleared", bm, want);
	guest_op(&t, OP_WRITE, 5, 3, 497, 41);	/* 5, 502, 999 */
	get_log(&t, bm);
	expect_pages(want, 5, 3, 497);
	ok &= same_log("written after clearing", bm, want);
	ksft_test_result(ok, "initially_set_starts_all_dirty");
	free_vm(&t);
}

static uint64_t host_sum(struct test_vm *t, uint64_t first, uint64_t count,
			 uint64_t stride)
{
	uint64_t sum = 0;

	for (; count--; first += stride)
		sum += *host_word(t, first, 0);
	return sum;
}

static void set_log_flag(struct test_vm *t, bool on)
{
	vm_set_user_memory_region(t->vm, TEST_SLOT,
				  on ? KVM_MEM_LOG_DIRTY_PAGES : 0, TEST_GPA,
				  t->mem_size, t->mem);
}

static void test_toggle(void)
{
	struct test_vm t = new_vm(0, 0);
	uint64_t bm[TEST_WORDS], want[TEST_WORDS], zero[TEST_WORDS] = {};
	bool ok;
	int r;

	guest_op(&t, OP_WRITE, 0, TEST_PAGES, 1, 31);
	set_log_flag(&t, true);
	get_log(&t, bm);
	ok = same_log("just enabled", bm, zero);
	ok &= guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0) ==
	      host_sum(&t, 0, TEST_PAGES, 1) &&
	      *host_word(&t, 3, 0) == 31;
	guest_op(&t, OP_WRITE, 2, 200, 5, 32);
	get_log(&t, bm);
	expect_pages(want, 2, 200, 5);
	ok &= same_log("enabled, written", bm, want);

	set_log_flag(&t, false);
	r = __get_log(t.vm, TEST_SLOT, bm);
	if (r != -1 || errno != ENOENT) {
		pr_info("GET after disabling: rc %d errno %s", r,
			errno_name(errno));
		ok = false;
	}
	guest_op(&t, OP_WRITE, 0, TEST_PAGES, 1, 33);
	ok &= *host_word(&t, 1000, 0) == 33;

	set_log_flag(&t, true);
	get_log(&t, bm);
	ok &= same_log("enabled again", bm, zero);
	guest_op(&t, OP_WRITE, 7, 1, 1, 34);
	get_log(&t, bm);
	expect_pages(want, 7, 1, 1);
	ok &= same_log("enabled again, written", bm, want);
	ok &= guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0) ==
	      host_sum(&t, 0, TEST_PAGES, 1);
	ksft_test_result(ok, "log_flag_toggle_keeps_contents");
	free_vm(&t);
}

struct runner {
	struct kvm_vcpu *vcpu;
	bool done;
	unsigned int exit_reason;
};

/* Run until the guest's DONE; anything else (an MMIO exit) ends it. */
static void *run_to_done(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(r->vcpu);
		r->exit_reason = r->vcpu->run->exit_reason;
		switch (get_ucall(r->vcpu, &uc)) {
		case UCALL_DONE:
			r->done = true;
			return NULL;
		case UCALL_SYNC:
			continue;
		default:
			return NULL;
		}
	}
}

static void test_toggle_under_load(void)
{
	struct test_vm t = new_vm(0, 0);
	struct guest_cmd c = { .op = OP_LOOP };
	struct runner r = { .vcpu = t.vcpu };
	uint64_t bm[TEST_WORDS];
	pthread_t th;
	int i;

	write_guest_global(t.vm, cmd, c);
	TEST_ASSERT(!pthread_create(&th, NULL, run_to_done, &r),
		    "pthread_create");
	for (i = 0; i < 40; i++) {
		set_log_flag(&t, !(i & 1));
		if (!(i & 1))
			get_log(&t, bm);
		usleep(1000);
	}
	write_guest_global(t.vm, stop, 1ull);
	pthread_join(th, NULL);
	if (!r.done)
		pr_info("the writing vCPU stopped with exit %s",
			exit_reason_str(r.exit_reason));
	ksft_test_result(r.done, "log_flag_toggle_under_writes_keeps_slot");
	free_vm(&t);
}

static void test_readonly(void)
{
	struct test_vm t = new_vm(0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t bm[TEST_WORDS], zero[TEST_WORDS] = {};
	struct guest_cmd c = { .op = OP_WRITE, .first = 9, .count = 1,
			       .stride = 1, .seed = 51 };
	struct kvm_run *run = t.vcpu->run;
	struct ucall uc;
	bool ok;

	ok = guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0) ==
	     host_sum(&t, 0, TEST_PAGES, 1);
	write_guest_global(t.vm, cmd, c);
	vcpu_run(t.vcpu);
	if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
	    run->mmio.phys_addr != TEST_GPA + 9 * PAGE_SIZE) {
		pr_info("write to the read-only slot: exit %s",
			exit_reason_str(run->exit_reason));
		ok = false;
	} else {
		TEST_ASSERT(vcpu_run_ucall(t.vcpu, &uc) == UCALL_SYNC,
			    "expected a sync after the MMIO write");
	}
	get_log(&t, bm);
	ok &= same_log("read-only slot", bm, zero);
	ksft_test_result(ok, "readonly_slot_logs_nothing");
	free_vm(&t);
}

static void test_thp(void)
{
	static const char *const names[] = {
		"thp_slot_logged_per_4k", "thp_no_2m_leaf_while_logging",
	};
	struct test_vm t;
	uint64_t bm[TEST_WORDS], want[TEST_WORDS];
	long long m2_before, m2_on, m2_written, m2_off, split;
	bool ok;

	t.vm = vm_create_with_one_vcpu(&t.vcpu, guest_code);
	t.mem_size = TEST_BYTES;
	t.mem = mmap_aligned(TEST_BYTES);
	if (madvise(t.mem, TEST_BYTES, MADV_HUGEPAGE)) {
		ksft_test_result_skip(names[0], "madvise(MADV_HUGEPAGE): %s",
				      errno_name(errno));
		ksft_test_result_skip(names[1], "no THP");
		free_vm(&t);
		return;
	}
	memset(t.mem, 0x11, TEST_BYTES);
	vm_set_user_memory_region(t.vm, TEST_SLOT, 0, TEST_GPA, TEST_BYTES,
				  t.mem);
	guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0);
	m2_before = kvmm_stat(t.vm, "pages_2m");
	split = kvmm_stat(t.vm, "dirty_split_2m");

	set_log_flag(&t, true);
	m2_on = kvmm_stat(t.vm, "pages_2m");
	ok = guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0) ==
	     host_sum(&t, 0, TEST_PAGES, 1);
	guest_op(&t, OP_WRITE, 1, TEST_PAGES / 2, 2, 61);
	m2_written = kvmm_stat(t.vm, "pages_2m");
	get_log(&t, bm);
	expect_pages(want, 1, TEST_PAGES / 2, 2);
	ok &= same_log("THP slot", bm, want);
	ksft_test_result(ok, "%s", names[0]);

	set_log_flag(&t, false);
	guest_op(&t, OP_READ, 0, TEST_PAGES, 1, 0);
	m2_off = kvmm_stat(t.vm, "pages_2m");
	if (test_mode() != TEST_MODE_KVMM) {
		ksft_test_result_skip(names[1],
				      "kvmm's debugfs only (the reference splits on write faults)");
	} else if (m2_before < 2) {
		ksft_test_result_skip(names[1],
				      "the host gave the slot no huge pages (pages_2m %lld)",
				      m2_before);
	} else {
		pr_info("pages_2m: %lld before logging, %lld on, %lld after writes, %lld off again; %lld splits",
			m2_before, m2_on, m2_written, m2_off,
			kvmm_stat(t.vm, "dirty_split_2m") - split);
		ksft_test_result(m2_before - m2_on >= 2 &&
				 m2_written <= m2_on &&
				 kvmm_stat(t.vm, "dirty_split_2m") - split >= 2 &&
				 m2_off >= m2_on + 2, "%s", names[1]);
	}
	free_vm(&t);
}

/*
 * Two vCPUs write sequence numbers into words 1 and 2 of random pages
 * while the host harvests (GET; with @manual, GET then CLEAR).  After
 * each harvest the host reads every page: one that differs from what it
 * read after the last harvest that showed it, and is not in this one,
 * was written after this harvest took its bit, so must be in the next.
 */
static void test_concurrent(bool manual)
{
	static uint64_t snap[TEST_PAGES][NR_VCPUS];
	uint64_t bm[TEST_WORDS], must[TEST_WORDS] = {}, ones[TEST_WORDS];
	struct runner r[NR_VCPUS] = {};
	pthread_t th[NR_VCPUS];
	struct test_vm t = {};
	uint64_t p, v, seen = 0, late = 0;
	bool ok = true, last;
	int i, rounds = 80;

	t.vm = vm_create(0);
	if (manual)
		enable_manual(t.vm, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	t.mem_size = TEST_BYTES;
	t.mem = mmap_aligned(TEST_BYTES);
	memset(t.mem, 0, TEST_BYTES);
	memset(snap, 0, sizeof(snap));
	memset(ones, 0xff, sizeof(ones));
	vm_set_user_memory_region(t.vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				  TEST_GPA, TEST_BYTES, t.mem);
	for (v = 0; v < NR_VCPUS; v++) {
		r[v].vcpu = vm_vcpu_add(t.vm, v, guest_loop);
		vcpu_args_set(r[v].vcpu, 1, v);
	}
	for (v = 0; v < NR_VCPUS; v++)
		TEST_ASSERT(!pthread_create(&th[v], NULL, run_to_done, &r[v]),
			    "pthread_create");

	for (i = 0; i <= rounds && ok; i++) {
		last = i == rounds;
		if (last) {
			write_guest_global(t.vm, stop, 1ull);
			for (v = 0; v < NR_VCPUS; v++)
				pthread_join(th[v], NULL);
		} else {
			usleep(2000);
		}
		get_log(&t, bm);
		if (manual)
			TEST_ASSERT(!__clear_log(t.vm, TEST_SLOT, 0, TEST_PAGES,
						 bm),
				    KVM_IOCTL_ERROR("KVM_CLEAR_DIRTY_LOG", -1));
		for (p = 0; p < TEST_PAGES; p++) {
			bool dirty = bit(bm, p), changed = false;

			if (bit(must, p) && !dirty) {
				pr_info("round %d: page %llu changed after the last harvest and is not in this one",
					i, (unsigned long long)p);
				ok = false;
			}
			for (v = 0; v < NR_VCPUS; v++) {
				uint64_t w = *host_word(&t, p, v + 1);

				changed |= w != snap[p][v];
				snap[p][v] = w;
			}
			seen += dirty;
			must[p / 64] &= ~(1ull << (p % 64));
			if (changed && !dirty) {
				if (last) {
					pr_info("page %llu changed and was never harvested",
						(unsigned long long)p);
					ok = false;
				}
				set_bit_in(must, p);
				late++;
			}
		}
	}
	if (!ok && i <= rounds) {
		write_guest_global(t.vm, stop, 1ull);
		for (v = 0; v < NR_VCPUS; v++)
			pthread_join(th[v], NULL);
	}
	for (v = 0; v < NR_VCPUS; v++) {
		if (!r[v].done) {
			pr_info("vCPU %llu stopped with exit %s",
				(unsigned long long)v,
				exit_reason_str(r[v].exit_reason));
			ok = false;
		}
	}
	pr_info("%s: %llu pages harvested in %d rounds, %llu written after their harvest",
		manual ? "GET+CLEAR" : "GET", (unsigned long long)seen,
		rounds, (unsigned long long)late);
	/* A test where the guests wrote (almost) nothing proves nothing. */
	if (seen < 100) {
		pr_info("too few pages written to judge");
		ok = false;
	}
	ksft_test_result(ok, "%s", manual ?
			 "two_vcpus_get_clear_no_write_lost" :
			 "two_vcpus_get_no_write_lost");
	free_vm(&t);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	ksft_set_plan(NR_TESTS);

	test_caps();
	test_bad_args();
	test_get();
	test_ins();
	test_manual();
	test_initially_set();
	test_toggle();
	test_toggle_under_load();
	test_readonly();
	test_thp();
	test_concurrent(false);
	test_concurrent(true);
	ksft_finished();
}
