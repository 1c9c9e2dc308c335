// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_hugepages: guest memory the host backs with 2-MiB pages is mapped
 * with 2-MiB second-level leaves, and stays coherent with the host
 * (Documentation/mmu.rst, "2 MiB leaves").
 *
 * The VM statistic pages_2m (second-level leaves of 2 MiB) is read from
 * the VM's debugfs directory, kvmm's or Linux KVM's (kvmm_env.h).  Each
 * part uses its own slot of REGION_SIZE (two 2-MiB pages) and compares
 * what the guest reads with what the host wrote, and the other way round:
 *  - THP: an anonymous, 2-MiB aligned region with MADV_HUGEPAGE, written
 *    by the host first so that transparent huge pages back it; pages_2m
 *    grows by at least two when the guest reads it.  Then MADV_DONTNEED
 *    of one 4-KiB page inside a huge page: the guest reads zeros there
 *    and the old data everywhere else (the 2-MiB leaf went whole), now
 *    through 4-KiB leaves.  Then MADV_COLLAPSE makes it one huge page
 *    again: a 2-MiB leaf takes the place of the 4-KiB table;
 *  - hugetlbfs: MAP_HUGETLB memory from pages the test reserves in
 *    /proc/sys/vm/nr_hugepages (restored at exit); pages_2m grows;
 *  - a slot whose host address is 4 KiB off the 2-MiB alignment of its
 *    guest address, over THP-backed memory: data intact, no 2-MiB leaf;
 *  - slots that end inside a huge page (1 MiB, and 2 MiB + 4 KiB), over
 *    THP-backed memory with data beyond their end: no 2-MiB leaf for the
 *    partial 2 MiB (pages_2m does not grow, resp. grows by at most the
 *    one whole 2 MiB), and a read just past the end exits as
 *    KVM_EXIT_MMIO at that address: a leaf that ran past the slot would
 *    hand the guest the host memory behind it instead.
 * A part the host cannot set up (no THP, no huge pages to reserve) is
 * skipped with the reason.  Hosts without NPT/EPT skip the whole test.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

#define HUGE_SIZE	(2ul << 20)
#define REGION_SIZE	(2 * HUGE_SIZE)
#define REGION_PAGES	(REGION_SIZE / PAGE_SIZE)
#define THP_GPA		0x40000000ul
#define HUGETLB_GPA	0x48000000ul
#define MISALIGNED_GPA	0x50000000ul
#define THP_SLOT	1
#define HUGETLB_SLOT	2
#define MISALIGNED_SLOT	3
#define SHORT_GPA	0x58000000ul
#define SHORT_SLOT	4
/* A page inside the first huge page of the THP region, not its first. */
#define DONTNEED_PAGE	5
#define NO_ZERO_PAGE	(~0ull)

#define NR_TESTS	14

/* What userspace answers the guest's read past a slot's end with. */
#define MMIO_MARK	0x4d4d494f2d6d6d69ull

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25	/* Linux 6.1 */
#endif

enum guest_op {
	/*
	 * Warm-up before counting: the guest's own pages get mapped again
	 * (Linux KVM zaps every mapping when a slot is deleted).
	 */
	OP_NONE,
	OP_CHECK,	/* compare every page with the pattern */
	OP_WRITE,	/* write the pattern */
	OP_PROBE,	/* read the first word at gpa, report it */
};

/* What the guest does next; written by the host before each run. */
static struct guest_cmd {
	uint64_t op;
	uint64_t gpa;
	uint64_t npages;
	uint64_t seed;
	uint64_t zero_page;	/* page expected to read 0, or NO_ZERO_PAGE */
} cmd;

/*
 * The value of word @which (0: first, 1: last) of page @page: never 0,
 * different for every page, word and seed.
 */
static inline uint64_t pattern(uint64_t seed, uint64_t page, int which)
{
	return (seed << 48) ^ (page << 1) ^ which ^ 0x0123456789ab0000ull;
}

#define LAST_WORD	(PAGE_SIZE / sizeof(uint64_t) - 1)

/*
 * One command per round; reports how many pages differed, the first that
 * did and what its first word held.
 */
static void guest_code(void)
{
	for (;;) {
		volatile struct guest_cmd *c = &cmd;
		uint64_t op = c->op, gpa = c->gpa, n = c->npages;
		uint64_t seed = c->seed, zero = c->zero_page;
		uint64_t i, bad = 0, first = NO_ZERO_PAGE, got = 0;

		if (op == OP_PROBE)
			got = *(volatile uint64_t *)gpa;
		for (i = 0; i < n && op != OP_NONE && op != OP_PROBE; i++) {
			volatile uint64_t *p =
				(volatile uint64_t *)(gpa + i * PAGE_SIZE);
			uint64_t w0 = i == zero ? 0 : pattern(seed, i, 0);
			uint64_t w1 = i == zero ? 0 : pattern(seed, i, 1);

			if (op == OP_WRITE) {
				p[0] = w0;
				p[LAST_WORD] = w1;
			} else if (p[0] != w0 || p[LAST_WORD] != w1) {
				if (!bad++) {
					first = i;
					got = p[0];
				}
			}
		}
		GUEST_SYNC_ARGS(0, bad, first, got, 0);
	}
}

struct guest_result {
	uint64_t bad, first, got;
};

static struct guest_result guest_op_n(struct kvm_vm *vm,
				      struct kvm_vcpu *vcpu, enum guest_op op,
				      uint64_t gpa, uint64_t npages,
				      uint64_t seed, uint64_t zero_page)
{
	struct guest_cmd c = {
		.op = op, .gpa = gpa, .npages = npages, .seed = seed,
		.zero_page = zero_page,
	};
	struct guest_result r;
	struct ucall uc;

	write_guest_global(vm, cmd, c);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC,
		    "expected a sync from the guest");
	r.bad = uc.args[1];
	r.first = uc.args[2];
	r.got = uc.args[3];
	if (r.bad)
		pr_info("guest: %llu pages differ at GPA %#lx, first page %llu read %#llx",
			(unsigned long long)r.bad, (unsigned long)gpa,
			(unsigned long long)r.first,
			(unsigned long long)r.got);
	return r;
}

static struct guest_result guest_op(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				    enum guest_op op, uint64_t gpa,
				    uint64_t seed, uint64_t zero_page)
{
	return guest_op_n(vm, vcpu, op, gpa, REGION_PAGES, seed, zero_page);
}

/*
 * The guest reads 8 bytes at @gpa, outside every slot: true when that
 * exits as an MMIO read of @gpa and the guest gets what userspace answered.
 */
static bool guest_probe_is_mmio(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				uint64_t gpa)
{
	struct guest_cmd c = { .op = OP_PROBE, .gpa = gpa };
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	bool ok;

	write_guest_global(vm, cmd, c);
	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_SYNC) {
		pr_info("the guest read %#llx at GPA %#lx without an exit",
			(unsigned long long)uc.args[3], (unsigned long)gpa);
		return false;
	}
	ok = run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write &&
	     run->mmio.phys_addr == gpa && run->mmio.len == 8;
	if (!ok) {
		pr_info("read at GPA %#lx: exit %s, mmio addr %#llx len %u write %u",
			(unsigned long)gpa, exit_reason_str(run->exit_reason),
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.len, run->mmio.is_write);
		return false;
	}
	memcpy(run->mmio.data, &(uint64_t){ MMIO_MARK }, 8);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC,
		    "expected a sync after the MMIO read");
	if (uc.args[3] != MMIO_MARK) {
		pr_info("the guest read %#llx, not the MMIO answer",
			(unsigned long long)uc.args[3]);
		return false;
	}
	return true;
}

static void host_write(void *mem, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < REGION_PAGES; i++) {
		uint64_t *p = (uint64_t *)((char *)mem + i * PAGE_SIZE);

		p[0] = pattern(seed, i, 0);
		p[LAST_WORD] = pattern(seed, i, 1);
	}
}

/* Pages of @mem that do not hold the pattern (0 on @zero_page). */
static uint64_t host_check(const void *mem, uint64_t seed, uint64_t zero_page)
{
	uint64_t i, bad = 0;

	for (i = 0; i < REGION_PAGES; i++) {
		const uint64_t *p =
			(const uint64_t *)((const char *)mem + i * PAGE_SIZE);
		uint64_t w0 = i == zero_page ? 0 : pattern(seed, i, 0);
		uint64_t w1 = i == zero_page ? 0 : pattern(seed, i, 1);

		if (p[0] != w0 || p[LAST_WORD] != w1) {
			if (!bad)
				pr_info("host: page %llu of %p reads %#llx",
					(unsigned long long)i, (void *)mem,
					(unsigned long long)p[0]);
			bad++;
		}
	}
	return bad;
}

/* ---- pages_4k / pages_2m ---- */

struct leaf_counts {
	unsigned long long k4, m2;
	bool ok;
};

static struct leaf_counts leaf_counts(struct kvm_vm *vm)
{
	struct leaf_counts c = { .ok = true };
	int r = vm_debugfs_stat(vm->fd, "pages_4k", &c.k4);

	if (!r)
		r = vm_debugfs_stat(vm->fd, "pages_2m", &c.m2);
	if (r) {
		pr_info("pages_4k/pages_2m of the %s hypervisor not readable: %s",
			test_mode_name(), errno_name(-r));
		c.ok = false;
	}
	return c;
}

/*
 * Result @name: @data_ok and pages_2m grew by at least @min (for @min 0:
 * did not grow, while pages_4k grew by a region's pages).  Without
 * counters (unset mode only) a skip.
 */
static void report_growth(const char *name, bool data_ok,
			  struct leaf_counts before, struct leaf_counts after,
			  unsigned long long min)
{
	long long d4 = after.k4 - before.k4, d2 = after.m2 - before.m2;

	if (!data_ok) {
		ksft_test_result_fail("%s", name);
		return;
	}
	if (!before.ok || !after.ok) {
		if (test_mode() == TEST_MODE_UNSET)
			ksft_test_result_skip(name, "no pages_2m in debugfs");
		else
			ksft_test_result_fail("%s", name);
		return;
	}
	pr_info("%s: pages_4k %+lld (now %llu), pages_2m %+lld (now %llu)",
		name, d4, after.k4, d2, after.m2);
	if (min)
		ksft_test_result(d2 >= (long long)min, "%s", name);
	else
		ksft_test_result(d2 == 0 && d4 >= (long long)REGION_PAGES,
				 "%s", name);
}

/* ---- host memory ---- */

/* @size bytes of anonymous memory at a 2-MiB boundary (+ @offset). */
static void *mmap_aligned(size_t size, size_t offset)
{
	size_t len = size + offset + HUGE_SIZE;
	uintptr_t p = (uintptr_t)mmap(NULL, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t aligned;

	TEST_ASSERT((void *)p != MAP_FAILED, "mmap(%zu)", len);
	aligned = (p + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	/* Keep only [aligned, aligned + offset + size). */
	if (aligned > p)
		munmap((void *)p, aligned - p);
	if (p + len > aligned + offset + size)
		munmap((void *)(aligned + offset + size),
		       p + len - (aligned + offset + size));
	return (void *)aligned;
}

/* AnonHugePages (kB) of the mapping holding @addr, from /proc/self/smaps. */
static long anon_huge_kib(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, a = (uintptr_t)addr;
	bool in = false;
	char line[256];
	long kib = -1;

	TEST_ASSERT(f, "open /proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

static void skip_results(const char *const *names, int n, const char *why)
{
	int i;

	for (i = 0; i < n; i++)
		ksft_test_result_skip(names[i], "%s", why);
}

/* ---- the parts ---- */

static void test_thp(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char *const names[] = {
		"thp_guest_reads_host_data", "thp_mapped_2m",
		"thp_host_reads_guest_data",
		"thp_madv_dontneed_4k_zeroes_that_page_only",
		"thp_collapse_maps_2m_again",
	};
	struct leaf_counts before, after;
	struct guest_result g;
	uint8_t *mem = mmap_aligned(REGION_SIZE, 0);
	char why[128];
	long kib;

	if (madvise(mem, REGION_SIZE, MADV_HUGEPAGE)) {
		snprintf(why, sizeof(why), "madvise(MADV_HUGEPAGE): %s",
			 errno_name(errno));
		skip_results(names, 5, why);
		munmap(mem, REGION_SIZE);
		return;
	}
	host_write(mem, 1);
	kib = anon_huge_kib(mem);
	if (kib < (long)(REGION_SIZE >> 10)) {
		snprintf(why, sizeof(why),
			 "the host backs the region with %ld kB of THP, not %lu",
			 kib, REGION_SIZE >> 10);
		skip_results(names, 5, why);
		munmap(mem, REGION_SIZE);
		return;
	}
	vm_set_user_memory_region(vm, THP_SLOT, 0, THP_GPA, REGION_SIZE, mem);

	guest_op(vm, vcpu, OP_NONE, 0, 0, NO_ZERO_PAGE);
	before = leaf_counts(vm);
	g = guest_op(vm, vcpu, OP_CHECK, THP_GPA, 1, NO_ZERO_PAGE);
	after = leaf_counts(vm);
	ksft_test_result(!g.bad, "%s", names[0]);
	report_growth(names[1], true, before, after, REGION_SIZE / HUGE_SIZE);

	g = guest_op(vm, vcpu, OP_WRITE, THP_GPA, 2, NO_ZERO_PAGE);
	ksft_test_result(!g.bad && !host_check(mem, 2, NO_ZERO_PAGE), "%s",
			 names[2]);

	/*
	 * The host splits the huge page and frees one 4-KiB page of it: the
	 * 2-MiB leaf must have gone whole, so the guest finds zeros there
	 * and, through new mappings, the data everywhere else.
	 */
	before = leaf_counts(vm);
	TEST_ASSERT(!madvise(mem + DONTNEED_PAGE * PAGE_SIZE, PAGE_SIZE,
			     MADV_DONTNEED), "madvise(MADV_DONTNEED)");
	g = guest_op(vm, vcpu, OP_CHECK, THP_GPA, 2, DONTNEED_PAGE);
	after = leaf_counts(vm);
	if (before.ok && after.ok)
		pr_info("MADV_DONTNEED, then the guest reads: pages_4k %llu -> %llu, pages_2m %llu -> %llu",
			before.k4, after.k4, before.m2, after.m2);
	ksft_test_result(!g.bad && !host_check(mem, 2, DONTNEED_PAGE), "%s",
			 names[3]);

	/*
	 * The host makes the first 2 MiB one huge page again: its 4-KiB
	 * leaves go with the invalidation, and the guest's next read puts a
	 * 2-MiB leaf where their table is.
	 */
	if (madvise(mem, HUGE_SIZE, MADV_COLLAPSE)) {
		snprintf(why, sizeof(why), "madvise(MADV_COLLAPSE): %s",
			 errno_name(errno));
		ksft_test_result_skip(names[4], "%s", why);
	} else {
		before = leaf_counts(vm);
		g = guest_op(vm, vcpu, OP_CHECK, THP_GPA, 2, DONTNEED_PAGE);
		after = leaf_counts(vm);
		report_growth(names[4],
			      !g.bad && !host_check(mem, 2, DONTNEED_PAGE),
			      before, after, 1);
	}

	vm_set_user_memory_region(vm, THP_SLOT, 0, THP_GPA, 0, mem);
	munmap(mem, REGION_SIZE);
}

static long saved_nr_hugepages = -1;

static void restore_nr_hugepages(void *unused)
{
	char buf[32];
	int r;

	(void)unused;
	if (saved_nr_hugepages < 0)
		return;
	snprintf(buf, sizeof(buf), "%ld", saved_nr_hugepages);
	r = write_file_str("/proc/sys/vm/nr_hugepages", buf);
	if (r)
		pr_info("restoring nr_hugepages to %ld failed: %s",
			saved_nr_hugepages, errno_name(-r));
}

/* Reserve REGION_SIZE of 2-MiB huge pages; NULL, or why not. */
static const char *reserve_huge_pages(char *why, size_t len)
{
	long want = REGION_SIZE / HUGE_SIZE, free_pages;
	char *s, buf[32];
	ssize_t r;

	if (meminfo_kib("Hugepagesize") != (long)(HUGE_SIZE >> 10))
		return "the default huge page size is not 2 MiB";
	r = read_file_str("/proc/sys/vm/nr_hugepages", &s);
	if (r < 0) {
		snprintf(why, len, "/proc/sys/vm/nr_hugepages: %s",
			 errno_name(-r));
		return why;
	}
	saved_nr_hugepages = strtol(s, NULL, 10);
	free(s);
	test_cleanup_push(restore_nr_hugepages, NULL);
	snprintf(buf, sizeof(buf), "%ld", saved_nr_hugepages + want);
	r = write_file_str("/proc/sys/vm/nr_hugepages", buf);
	if (r) {
		snprintf(why, len, "cannot raise nr_hugepages: %s",
			 errno_name(-r));
		return why;
	}
	/* A count, not kB: meminfo_kib() reads the number all the same. */
	free_pages = meminfo_kib("HugePages_Free");
	if (free_pages < want) {
		snprintf(why, len, "only %ld free huge pages after asking for %ld more",
			 free_pages, want);
		return why;
	}
	return NULL;
}

static void test_hugetlb(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char *const names[] = {
		"hugetlb_guest_reads_host_data", "hugetlb_mapped_2m",
		"hugetlb_host_reads_guest_data",
	};
	struct leaf_counts before, after;
	struct guest_result g;
	const char *why;
	char buf[128];
	void *mem;

	why = reserve_huge_pages(buf, sizeof(buf));
	if (why) {
		skip_results(names, 3, why);
		return;
	}
	mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(buf, sizeof(buf), "mmap(MAP_HUGETLB): %s",
			 errno_name(errno));
		skip_results(names, 3, buf);
		return;
	}
	host_write(mem, 3);
	vm_set_user_memory_region(vm, HUGETLB_SLOT, 0, HUGETLB_GPA,
				  REGION_SIZE, mem);

	guest_op(vm, vcpu, OP_NONE, 0, 0, NO_ZERO_PAGE);
	before = leaf_counts(vm);
	g = guest_op(vm, vcpu, OP_CHECK, HUGETLB_GPA, 3, NO_ZERO_PAGE);
	after = leaf_counts(vm);
	ksft_test_result(!g.bad, "%s", names[0]);
	report_growth(names[1], true, before, after, REGION_SIZE / HUGE_SIZE);

	g = guest_op(vm, vcpu, OP_WRITE, HUGETLB_GPA, 4, NO_ZERO_PAGE);
	ksft_test_result(!g.bad && !host_check(mem, 4, NO_ZERO_PAGE), "%s",
			 names[2]);

	vm_set_user_memory_region(vm, HUGETLB_SLOT, 0, HUGETLB_GPA, 0, mem);
	munmap(mem, REGION_SIZE);
}

/*
 * The slot's host address is 4 KiB past a 2-MiB boundary while its guest
 * address is on one: no aligned 2 MiB of guest frames is one aligned
 * 2 MiB of host memory, even though THPs back most of it.
 */
static void test_misaligned(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char *const names[] = {
		"misaligned_guest_reads_host_data", "misaligned_slot_no_2m",
	};
	size_t span = REGION_SIZE + HUGE_SIZE;	/* whole huge pages */
	struct leaf_counts before, after;
	struct guest_result g;
	uint8_t *base = mmap_aligned(span, 0), *mem = base + PAGE_SIZE;
	char why[128];
	size_t i;
	long kib;

	if (madvise(base, span, MADV_HUGEPAGE)) {
		snprintf(why, sizeof(why), "madvise(MADV_HUGEPAGE): %s",
			 errno_name(errno));
		skip_results(names, 2, why);
		munmap(base, span);
		return;
	}
	for (i = 0; i < span; i += PAGE_SIZE)
		base[i] = 1;
	host_write(mem, 5);
	kib = anon_huge_kib(base);
	if (kib < (long)(REGION_SIZE >> 10)) {
		snprintf(why, sizeof(why),
			 "the host backs the region with %ld kB of THP, not %lu",
			 kib, REGION_SIZE >> 10);
		skip_results(names, 2, why);
		munmap(base, span);
		return;
	}
	vm_set_user_memory_region(vm, MISALIGNED_SLOT, 0, MISALIGNED_GPA,
				  REGION_SIZE, mem);

	guest_op(vm, vcpu, OP_NONE, 0, 0, NO_ZERO_PAGE);
	before = leaf_counts(vm);
	g = guest_op(vm, vcpu, OP_CHECK, MISALIGNED_GPA, 5, NO_ZERO_PAGE);
	after = leaf_counts(vm);
	ksft_test_result(!g.bad, "%s", names[0]);
	report_growth(names[1], true, before, after, 0);

	vm_set_user_memory_region(vm, MISALIGNED_SLOT, 0, MISALIGNED_GPA, 0,
				  mem);
	munmap(base, span);
}

/*
 * A slot of @npages over THP-backed @mem (the host wrote seed 6 to all of
 * REGION_SIZE, so there is data past the slot's end): the guest reads the
 * slot, then the 8 bytes just past its end.  pages_2m may grow by
 * @max_2m, the whole aligned 2 MiB the slot has, and no more.
 */
static void check_short_slot(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			     uint8_t *mem, uint64_t npages,
			     unsigned long long max_2m,
			     const char *name_2m, const char *name_mmio)
{
	uint64_t end = SHORT_GPA + npages * PAGE_SIZE;
	struct leaf_counts before, after;
	struct guest_result g;
	long long d2;
	bool mmio;

	vm_set_user_memory_region(vm, SHORT_SLOT, 0, SHORT_GPA,
				  npages * PAGE_SIZE, mem);
	guest_op(vm, vcpu, OP_NONE, 0, 0, NO_ZERO_PAGE);
	before = leaf_counts(vm);
	g = guest_op_n(vm, vcpu, OP_CHECK, SHORT_GPA, npages, 6, NO_ZERO_PAGE);
	mmio = guest_probe_is_mmio(vm, vcpu, end);
	after = leaf_counts(vm);
	vm_set_user_memory_region(vm, SHORT_SLOT, 0, SHORT_GPA, 0, mem);

	if (!before.ok || !after.ok) {
		if (test_mode() == TEST_MODE_UNSET)
			ksft_test_result_skip(name_2m, "no pages_2m in debugfs");
		else
			ksft_test_result_fail("%s", name_2m);
	} else {
		d2 = after.m2 - before.m2;
		pr_info("%s: pages_4k %+lld, pages_2m %+lld (at most %llu)",
			name_2m, (long long)(after.k4 - before.k4), d2, max_2m);
		ksft_test_result(!g.bad && d2 <= (long long)max_2m, "%s",
				 name_2m);
	}
	ksft_test_result(mmio, "%s", name_mmio);
}

/*
 * Slots that end inside a huge page the host has: the part of the huge
 * page past the slot's end is host memory the guest must never reach.
 */
static void test_slot_end(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char *const names[] = {
		"slot_1m_no_2m_leaf", "slot_1m_read_past_end_is_mmio",
		"slot_2m_4k_no_2m_leaf_past_end",
		"slot_2m_4k_read_past_end_is_mmio",
	};
	uint8_t *mem = mmap_aligned(REGION_SIZE, 0);
	char why[128];
	long kib;

	if (madvise(mem, REGION_SIZE, MADV_HUGEPAGE)) {
		snprintf(why, sizeof(why), "madvise(MADV_HUGEPAGE): %s",
			 errno_name(errno));
		skip_results(names, 4, why);
		munmap(mem, REGION_SIZE);
		return;
	}
	host_write(mem, 6);
	kib = anon_huge_kib(mem);
	if (kib < (long)(REGION_SIZE >> 10)) {
		snprintf(why, sizeof(why),
			 "the host backs the region with %ld kB of THP, not %lu",
			 kib, REGION_SIZE >> 10);
		skip_results(names, 4, why);
		munmap(mem, REGION_SIZE);
		return;
	}
	/* Half a huge page: no whole aligned 2 MiB in the slot. */
	check_short_slot(vm, vcpu, mem, (1ul << 20) / PAGE_SIZE, 0,
			 names[0], names[1]);
	/* One whole 2 MiB, then one page of the next huge page. */
	check_short_slot(vm, vcpu, mem, HUGE_SIZE / PAGE_SIZE + 1, 1,
			 names[2], names[3]);
	munmap(mem, REGION_SIZE);
}

/* Is there a second-level table (NPT/EPT) for 2-MiB leaves to go into? */
static const char *no_tdp_reason(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_amd/parameters/npt",
		"/sys/module/kvm_intel/parameters/ept",
	};
	unsigned int i;

	if (!host_cpu_has("npt") && !host_cpu_has_vmx_feature("ept"))
		return "the host CPU has neither NPT nor EPT";
	if (test_mode() != TEST_MODE_REF)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		char *s;
		bool off;

		if (read_file_str(params[i], &s) < 0)
			continue;
		off = s[0] == 'N' || s[0] == '0';
		free(s);
		if (off)
			return "the reference KVM runs with shadow paging";
	}
	return NULL;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	const char *why;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_SYNC_MMU));
	why = no_tdp_reason();
	__TEST_REQUIRE(!why, "%s", why);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	ksft_set_plan(NR_TESTS);

	test_thp(vm, vcpu);
	test_hugetlb(vm, vcpu);
	test_misaligned(vm, vcpu);
	test_slot_end(vm, vcpu);

	kvm_vm_free(vm);
	ksft_finished();
}
