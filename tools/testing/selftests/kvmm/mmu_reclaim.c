// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_reclaim: guest mappings stay coherent with the VM owner's address
 * space when the kernel itself changes what backs it: KSM merging and
 * swap (Documentation/mmu.rst, "Coherence with the host mm").
 * mmu_coherence covers what userspace does (munmap, MADV_DONTNEED,
 * mprotect, fork).
 *
 * The guest runs one command per round (read or write a quadword, or
 * hash a page) and reports the result.  The host keeps the content every
 * page should have and compares the guest's view and its own with it.
 *
 * KSM: four identical pages, read by the guest (so second-level mappings
 * exist), are merged by ksmd into one frame (pagemap shows one PFN,
 * pages_sharing grows).  The guest then writes to the first: the host sees
 * the store in that page alone, on a frame of its own, and the guest reads
 * it back.  The guest reads the third and fourth (mapping the shared frame),
 * the host writes to the third: the guest sees the host's store there and
 * the old content in the fourth.  Last the guest writes to the fourth,
 * through its read-only mapping of the frame it still shares with the
 * second: the store lands in a copy, the second keeps the frame and its
 * content.
 *
 * Swap: sixteen pages, each with its own content, read and written by the
 * guest, are swapped out with MADV_PAGEOUT (pagemap shows every one as a
 * swap entry).  The guest reads them all back, then writes to each: the
 * host sees every store.  After a second swap-out the host writes to one
 * page and the guest, first, to another: both sides then agree on all
 * sixteen.
 *
 * Whenever frames were just freed under the guest (a merge, a swap-out),
 * the test allocates and poisons enough memory to take them back, so a
 * second-level entry left pointing at a freed frame shows up as garbage
 * instead of as the right content by luck.
 *
 * Host setup, undone at exit: KSM's run, pages_to_scan and sleep_millisecs
 * are saved and restored.  Swap: an active swap device is used as it is;
 * otherwise /dev/zram0 (zram.ko, loaded by the test host's runner) is
 * sized, given a swap header and enabled, then disabled and reset.  Each
 * half is skipped with the reason where the host cannot do it.  The test
 * pins itself to one CPU: MADV_PAGEOUT reclaims only pages on the LRU,
 * and the freed frames go back to that CPU's free lists.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

#define KSM_SLOT	1
#define KSM_GPA		0x50000000ul
#define KSM_PAGES	4
#define SWAP_SLOT	2
#define SWAP_GPA	0x60000000ul
#define SWAP_PAGES	16

#define QWORDS		(PAGE_SIZE / sizeof(uint64_t))

#define KSM_DIR		"/sys/kernel/mm/ksm"
#define KSM_MERGE_MS	60000
#define ZRAM_DEV	"/dev/zram0"
#define ZRAM_SYS	"/sys/block/zram0"
#define ZRAM_SIZE	"32M"
#define SCRUB_BYTES	(32ul << 20)

/* /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT	(1ull << 63)
#define PM_SWAPPED	(1ull << 62)
#define PM_PFN_MASK	((1ull << 55) - 1)

enum guest_op {
	OP_READ = 1,	/* result: the quadword at gpa */
	OP_WRITE,	/* store val at gpa; result: the quadword read back */
	OP_HASH,	/* result: page_hash() of the page holding gpa */
};

struct guest_cmd {
	uint64_t op;
	uint64_t gpa;
	uint64_t val;
};

/* Written by the host into the guest's copy before every round. */
static struct guest_cmd cmd;

/* FNV-1a over a page's quadwords; the guest and the host use the same. */
static uint64_t page_hash(const volatile uint64_t *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int i;

	for (i = 0; i < QWORDS; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void guest_code(void)
{
	volatile struct guest_cmd *c = &cmd;

	for (;;) {
		volatile uint64_t *p = (volatile uint64_t *)c->gpa;
		uint64_t op = c->op, r = 0;

		switch (op) {
		case OP_READ:
			r = *p;
			break;
		case OP_WRITE:
			*p = c->val;
			r = *p;
			break;
		case OP_HASH:
			r = page_hash((volatile uint64_t *)(c->gpa & PAGE_MASK));
			break;
		default:
			GUEST_FAIL("unknown command");
		}
		GUEST_SYNC_ARGS(op, r, 0, 0, 0);
	}
}

static uint64_t guest_op(struct kvm_vcpu *vcpu, uint64_t op, uint64_t gpa,
			 uint64_t val)
{
	struct guest_cmd c = { .op = op, .gpa = gpa, .val = val };
	struct ucall uc;

	write_guest_global(vcpu->vm, cmd, c);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC,
		    "expected a sync from the guest");
	TEST_ASSERT_EQ(uc.args[0], op);
	return uc.args[1];
}

static uint64_t guest_hash(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	return guest_op(vcpu, OP_HASH, gpa, 0);
}

/* --- host helpers ------------------------------------------------------ */

static int pagemap_fd = -1;

static uint64_t pagemap(const void *addr)
{
	uint64_t e;
	off_t off = (uintptr_t)addr / PAGE_SIZE * sizeof(e);

	TEST_ASSERT(pread(pagemap_fd, &e, sizeof(e), off) == sizeof(e),
		    "pread /proc/self/pagemap");
	return e;
}

/* PFN of a present page; 0 when absent or hidden (no CAP_SYS_ADMIN). */
static uint64_t page_pfn(const void *addr)
{
	uint64_t e = pagemap(addr);

	return e & PM_PRESENT ? e & PM_PFN_MASK : 0;
}

static void *page_at(void *base, unsigned int i)
{
	return (char *)base + (size_t)i * PAGE_SIZE;
}

/*
 * Take back the frames just freed (order-0 frees go to the CPU's free
 * lists, last in first out) and fill them with poison: a second-level
 * entry still pointing at one now reads 0xdb... instead of the old data.
 */
static void scrub_freed_frames(void)
{
	void *p = mmap(NULL, SCRUB_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %lu bytes", SCRUB_BYTES);
	/* 4 KiB pages, from the lists the freed frames went to. */
	madvise(p, SCRUB_BYTES, MADV_NOHUGEPAGE);
	memset(p, 0xdb, SCRUB_BYTES);
	TEST_ASSERT(!munmap(p, SCRUB_BYTES), "munmap");
}

static void skip_results(const char *const *names, unsigned int n,
			 const char *why)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ksft_test_result_skip(names[i], "%s", why);
}

static long sysfs_long(const char *path)
{
	char *s;
	long v;

	if (read_file_str(path, &s) < 0)
		return -1;
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

/* --- KSM ---------------------------------------------------------------- */

static const char *const ksm_knobs[] = { "run", "pages_to_scan",
					 "sleep_millisecs" };
static char *ksm_saved[ARRAY_SIZE(ksm_knobs)];

static void ksm_restore(void *unused)
{
	char path[128];
	unsigned int i;

	(void)unused;
	/* run last: ksmd stops (or goes on) with the old pace. */
	for (i = ARRAY_SIZE(ksm_knobs); i-- > 0;) {
		if (!ksm_saved[i])
			continue;
		snprintf(path, sizeof(path), KSM_DIR "/%s", ksm_knobs[i]);
		if (write_file_str(path, ksm_saved[i]))
			pr_info("could not restore %s to %s", path,
				ksm_saved[i]);
		free(ksm_saved[i]);
		ksm_saved[i] = NULL;
	}
}

static bool ksm_set(const char *knob, const char *val)
{
	char path[128];
	int r;

	snprintf(path, sizeof(path), KSM_DIR "/%s", knob);
	r = write_file_str(path, val);
	if (r)
		pr_info("%s: %s", path, strerror(-r));
	return !r;
}

static const char *const ksm_results[] = {
	"ksm_pages_merged",
	"ksm_guest_write_seen_by_host",
	"ksm_guest_write_only_that_page",
	"ksm_guest_reads_own_write",
	"ksm_host_write_seen_by_guest",
	"ksm_guest_write_through_shared_mapping",
};

/* Wait until all pages share one frame; false after KSM_MERGE_MS. */
static bool ksm_wait_merged(uint64_t *base, long sharing0)
{
	uint64_t start = now_ns();
	long sharing = 0;
	bool same = false;
	unsigned int i;

	while (elapsed_s(start) * 1000 < KSM_MERGE_MS) {
		uint64_t pfn0 = page_pfn(base);

		sharing = sysfs_long(KSM_DIR "/pages_sharing");
		same = pfn0 != 0;
		for (i = 1; i < KSM_PAGES; i++)
			same &= page_pfn(page_at(base, i)) == pfn0;
		if (same && sharing - sharing0 >= KSM_PAGES - 1)
			break;
		msleep(50);
	}
	pr_info("ksm: pages_sharing %ld -> %ld, one frame: %s, after %.1fs",
		sharing0, sharing, same ? "yes" : "no", elapsed_s(start));
	return same && sharing - sharing0 >= KSM_PAGES - 1;
}

static void test_ksm(struct kvm_vcpu *vcpu, uint64_t *hva)
{
	static uint64_t exp[KSM_PAGES][QWORDS];
	const unsigned int n = ARRAY_SIZE(ksm_results);
	uint64_t *a = hva, *c = page_at(hva, 2);
	uint64_t v, pfn_a, pfn_b;
	unsigned int i, j;
	bool ok, same, before;
	char path[128];
	long sharing0;

	if (access(KSM_DIR "/run", W_OK)) {
		skip_results(ksm_results, n, "no KSM in this kernel (CONFIG_KSM)");
		return;
	}
	if (!page_pfn(&pagemap_fd)) {
		skip_results(ksm_results, n,
			     "pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
		return;
	}

	/* Identical pages, none of them zero (KSM may treat those apart). */
	for (i = 0; i < KSM_PAGES; i++)
		for (j = 0; j < QWORDS; j++)
			exp[i][j] = 0x6b736d0000000000ull | j;
	memcpy(hva, exp, sizeof(exp));

	/* The guest reads every page before the merge: mappings exist. */
	for (i = 0; i < KSM_PAGES; i++)
		TEST_ASSERT_EQ(guest_hash(vcpu, KSM_GPA + i * PAGE_SIZE),
			       page_hash(exp[i]));

	if (madvise(hva, KSM_PAGES * PAGE_SIZE, MADV_MERGEABLE)) {
		skip_results(ksm_results, n, "MADV_MERGEABLE refused");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ksm_knobs); i++) {
		snprintf(path, sizeof(path), KSM_DIR "/%s", ksm_knobs[i]);
		TEST_ASSERT(read_file_str(path, &ksm_saved[i]) >= 0, "read %s",
			    path);
	}
	test_cleanup_push(ksm_restore, NULL);
	sharing0 = sysfs_long(KSM_DIR "/pages_sharing");
	TEST_ASSERT(ksm_set("pages_to_scan", "10000") &&
		    ksm_set("sleep_millisecs", "10") && ksm_set("run", "1"),
		    "cannot start ksmd");

	ok = ksm_wait_merged(hva, sharing0);
	/* Stop scanning: what follows must not be merged again behind us. */
	TEST_ASSERT(ksm_set("run", "0"), "cannot stop ksmd");
	ksft_test_result(ok, "%s", ksm_results[0]);
	if (!ok) {
		skip_results(ksm_results + 1, n - 1, "the pages were not merged");
		test_cleanup_pop(true);
		return;
	}
	scrub_freed_frames();

	/*
	 * The guest's first access after the merge is a store to page 0.
	 * Only that page gets a frame of its own with the store in it.
	 */
	exp[0][0] = 0x57726974650000a0ull;
	v = guest_op(vcpu, OP_WRITE, KSM_GPA, exp[0][0]);
	pfn_a = page_pfn(a);
	pfn_b = page_pfn(page_at(hva, 1));
	ok = !memcmp(a, exp[0], PAGE_SIZE);
	if (!ok || pfn_a == pfn_b)
		pr_info("ksm: after the guest's store page 0 holds %#llx (want %#llx), pfn %#llx, page 1's pfn %#llx",
			(unsigned long long)a[0],
			(unsigned long long)exp[0][0],
			(unsigned long long)pfn_a, (unsigned long long)pfn_b);
	ksft_test_result(ok && pfn_a != pfn_b, "%s", ksm_results[1]);

	ok = true;
	for (i = 1; i < KSM_PAGES; i++) {
		if (!memcmp(page_at(hva, i), exp[i], PAGE_SIZE))
			continue;
		pr_info("ksm: page %u changed: word 0 %#llx, want %#llx", i,
			(unsigned long long)((uint64_t *)page_at(hva, i))[0],
			(unsigned long long)exp[i][0]);
		ok = false;
	}
	ksft_test_result(ok, "%s", ksm_results[2]);

	ok = v == exp[0][0] &&
	     guest_hash(vcpu, KSM_GPA) == page_hash(exp[0]) &&
	     guest_hash(vcpu, KSM_GPA + PAGE_SIZE) == page_hash(exp[1]);
	if (!ok)
		pr_info("ksm: the guest read back %#llx after storing %#llx",
			(unsigned long long)v, (unsigned long long)exp[0][0]);
	ksft_test_result(ok, "%s", ksm_results[3]);

	/*
	 * Pages 1, 2 and 3 still share a frame: the guest maps it by
	 * reading pages 2 and 3, then the host writes to page 2.
	 */
	same = page_pfn(c) == page_pfn(page_at(hva, 3));
	before = guest_hash(vcpu, KSM_GPA + 2 * PAGE_SIZE) ==
		 page_hash(exp[2]);
	before &= guest_hash(vcpu, KSM_GPA + 3 * PAGE_SIZE) ==
		  page_hash(exp[3]);
	exp[2][1] = 0x486f7374000000c1ull;
	c[1] = exp[2][1];
	scrub_freed_frames();
	v = guest_op(vcpu, OP_READ, KSM_GPA + 2 * PAGE_SIZE + 8, 0);
	ok = same && before && v == exp[2][1] &&
	     guest_hash(vcpu, KSM_GPA + 2 * PAGE_SIZE) == page_hash(exp[2]) &&
	     guest_hash(vcpu, KSM_GPA + 3 * PAGE_SIZE) == page_hash(exp[3]) &&
	     !memcmp(page_at(hva, 3), exp[3], PAGE_SIZE);
	if (!ok)
		pr_info("ksm: pages 2 and 3 shared a frame: %s, the guest read them right: %s; after the host's store the guest read %#llx (want %#llx)",
			same ? "yes" : "no", before ? "yes" : "no",
			(unsigned long long)v, (unsigned long long)exp[2][1]);
	ksft_test_result(ok, "%s", ksm_results[4]);

	/*
	 * The guest's mapping of page 3 is the frame it shares with page 1,
	 * read-only: its store must land in a copy, page 1 keeps the frame.
	 */
	pfn_b = page_pfn(page_at(hva, 1));
	same = pfn_b && page_pfn(page_at(hva, 3)) == pfn_b;
	exp[3][2] = 0x5368617265640003ull;
	v = guest_op(vcpu, OP_WRITE, KSM_GPA + 3 * PAGE_SIZE + 16, exp[3][2]);
	ok = same && v == exp[3][2] &&
	     !memcmp(page_at(hva, 3), exp[3], PAGE_SIZE) &&
	     !memcmp(page_at(hva, 1), exp[1], PAGE_SIZE) &&
	     page_pfn(page_at(hva, 1)) == pfn_b &&
	     page_pfn(page_at(hva, 3)) != pfn_b &&
	     guest_hash(vcpu, KSM_GPA + PAGE_SIZE) == page_hash(exp[1]);
	if (!ok)
		pr_info("ksm: pages 1 and 3 shared a frame: %s; after the guest's store page 3 word 2 is %#llx, page 1's %#llx (want %#llx and %#llx)",
			same ? "yes" : "no",
			(unsigned long long)((uint64_t *)page_at(hva, 3))[2],
			(unsigned long long)((uint64_t *)page_at(hva, 1))[2],
			(unsigned long long)exp[3][2],
			(unsigned long long)exp[1][2]);
	ksft_test_result(ok, "%s", ksm_results[5]);

	test_cleanup_pop(true);
}

/* --- swap --------------------------------------------------------------- */

static const char *const swap_results[] = {
	"swap_touched_pages_swapped_out",
	"swap_guest_reads_swapped_pages",
	"swap_guest_write_after_swapin_seen",
	"swap_host_and_guest_writes_after_swapout",
	"swap_guest_use_keeps_pages_in",
};

static void zram_swap_off(void *unused)
{
	(void)unused;
	if (swapoff(ZRAM_DEV))
		pr_info("swapoff %s: %s", ZRAM_DEV, strerror(errno));
	if (write_file_str(ZRAM_SYS "/reset", "1"))
		pr_info("could not reset %s", ZRAM_SYS);
}

/*
 * A swap header (version 1, as mkswap writes it): "SWAPSPACE2" ends the
 * first page; version, last page and bad-page count follow the 1 KiB
 * boot block.
 */
static int write_swap_header(const char *dev, uint64_t bytes)
{
	static uint8_t hdr[PAGE_SIZE];
	uint32_t info[3] = { 1, bytes / PAGE_SIZE - 1, 0 };
	int fd, r = 0;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + 1024, info, sizeof(info));
	memcpy(hdr + PAGE_SIZE - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) || fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

/* Returns NULL with swap usable (and its teardown pushed), else why not. */
static const char *swap_setup(void)
{
	long disksize;
	int r;

	if (meminfo_kib("SwapTotal") > 0) {
		pr_info("swap: using the active swap space");
		return NULL;
	}
	if (access(ZRAM_SYS "/disksize", W_OK))
		return "no swap space and no " ZRAM_SYS " (zram.ko)";
	disksize = sysfs_long(ZRAM_SYS "/disksize");
	if (disksize != 0)
		return ZRAM_SYS " is in use";
	if (write_file_str(ZRAM_SYS "/disksize", ZRAM_SIZE))
		return "cannot size " ZRAM_SYS;
	disksize = sysfs_long(ZRAM_SYS "/disksize");
	r = write_swap_header(ZRAM_DEV, disksize);
	if (!r && swapon(ZRAM_DEV, 0))
		r = -errno;
	if (r) {
		pr_info("swap on %s: %s", ZRAM_DEV, strerror(-r));
		write_file_str(ZRAM_SYS "/reset", "1");
		return "cannot swap on " ZRAM_DEV;
	}
	test_cleanup_push(zram_swap_off, NULL);
	pr_info("swap: %s, %ld KiB", ZRAM_DEV, meminfo_kib("SwapTotal"));
	return NULL;
}

/*
 * MADV_PAGEOUT the slot's pages and check, without touching them, that
 * every one is a swap entry now.  Returns how many are still in, or
 * -errno when MADV_PAGEOUT fails.
 *
 * Linux 6.1's MADV_PAGEOUT keeps pages that reclaim finds referenced, and
 * Linux's KVM reports the guest's accesses through the MMU notifier's
 * clear_flush_young: with it, the first call keeps every page the guest
 * touched (and clears their accessed bits), the second swaps them out.
 * Hence the retries.
 */
static int swap_out(uint64_t *hva)
{
	long free0 = meminfo_kib("SwapFree");
	unsigned int i, tries, in = 0;

	for (tries = 0; tries < 5; tries++) {
		if (madvise(hva, SWAP_PAGES * PAGE_SIZE, MADV_PAGEOUT))
			return -errno;
		for (i = 0, in = 0; i < SWAP_PAGES; i++) {
			uint64_t e = pagemap(page_at(hva, i));

			if ((e & PM_PRESENT) || !(e & PM_SWAPPED))
				in++;
		}
		if (!in)
			break;
		pr_info("swap: try %u left %u of %u pages in", tries + 1, in,
			SWAP_PAGES);
		msleep(100);
	}
	pr_info("swap: %u of %u pages swapped out (%u tries), SwapFree %ld -> %ld KiB",
		SWAP_PAGES - in, SWAP_PAGES, tries + 1, free0,
		meminfo_kib("SwapFree"));
	return in;
}

#define SWAP_REPORT_MAX	3	/* mismatches described per comparison */

/*
 * Compare every page with the expectation, as the guest sees it (its
 * hash) and as the host does.  Returns the number of mismatches.
 */
static unsigned int swap_compare(struct kvm_vcpu *vcpu, uint64_t *hva,
				 uint64_t exp[][QWORDS], bool guest, bool host)
{
	unsigned int i, bad = 0;

	for (i = 0; i < SWAP_PAGES; i++) {
		const uint64_t *h = page_at(hva, i);
		uint64_t want = page_hash(exp[i]), got;

		if (guest) {
			got = guest_hash(vcpu, SWAP_GPA + i * PAGE_SIZE);
			if (got != want && bad++ < SWAP_REPORT_MAX)
				pr_info("swap: guest's page %u hashes to %#llx, want %#llx",
					i, (unsigned long long)got,
					(unsigned long long)want);
		}
		if (host && memcmp(h, exp[i], PAGE_SIZE) &&
		    bad++ < SWAP_REPORT_MAX)
			pr_info("swap: host's page %u: words 0-3 %#llx %#llx %#llx %#llx, want %#llx %#llx %#llx %#llx",
				i, (unsigned long long)h[0],
				(unsigned long long)h[1],
				(unsigned long long)h[2],
				(unsigned long long)h[3],
				(unsigned long long)exp[i][0],
				(unsigned long long)exp[i][1],
				(unsigned long long)exp[i][2],
				(unsigned long long)exp[i][3]);
	}
	if (bad > SWAP_REPORT_MAX)
		pr_info("swap: %u mismatches in all", bad);
	return bad;
}

/* Pages of the slot in [from, to) that are in memory. */
static unsigned int resident(uint64_t *hva, unsigned int from, unsigned int to)
{
	unsigned int i, n = 0;

	for (i = from; i < to; i++)
		n += !!(pagemap(page_at(hva, i)) & PM_PRESENT);
	return n;
}

/*
 * Reclaim asks the MMU notifier whether a page was referenced
 * (clear_flush_young): the guest's use must count.  MADV_PAGEOUT itself
 * clears the host's own accessed bits first, so what keeps a page in is
 * the guest's.  The guest reads every page: one MADV_PAGEOUT keeps them
 * all (and clears the bits).  The guest reads the first half again: the
 * next MADV_PAGEOUT keeps those and swaps out the rest.  The second step
 * needs the accessed bits the CPU sets in second-level entries, and a
 * flush when they were cleared.  Returns the number of wrong pages.
 */
static unsigned int test_guest_aging(struct kvm_vcpu *vcpu, uint64_t *hva)
{
	const unsigned int half = SWAP_PAGES / 2;
	unsigned int i, all, used, unused;

	for (i = 0; i < SWAP_PAGES; i++)
		guest_hash(vcpu, SWAP_GPA + i * PAGE_SIZE);
	TEST_ASSERT(!madvise(hva, SWAP_PAGES * PAGE_SIZE, MADV_PAGEOUT),
		    "MADV_PAGEOUT");
	all = resident(hva, 0, SWAP_PAGES);

	for (i = 0; i < half; i++)
		guest_hash(vcpu, SWAP_GPA + i * PAGE_SIZE);
	TEST_ASSERT(!madvise(hva, SWAP_PAGES * PAGE_SIZE, MADV_PAGEOUT),
		    "MADV_PAGEOUT");
	used = resident(hva, 0, half);
	unused = resident(hva, half, SWAP_PAGES);
	pr_info("aging: %u of %u guest-read pages stayed in; then %u of %u read again and %u of %u not read",
		all, SWAP_PAGES, used, half, unused, SWAP_PAGES - half);
	return (SWAP_PAGES - all) + (half - used) + unused;
}

static void test_swap(struct kvm_vcpu *vcpu, uint64_t *hva)
{
	static uint64_t exp[SWAP_PAGES][QWORDS];
	const unsigned int n = ARRAY_SIZE(swap_results);
	unsigned int i, j, bad;
	const char *why;
	uint64_t gpa, v;
	int in;

	why = swap_setup();
	if (why) {
		skip_results(swap_results, n, why);
		return;
	}

	/* Every page its own content; the guest reads, then writes word 1. */
	for (i = 0; i < SWAP_PAGES; i++)
		for (j = 0; j < QWORDS; j++)
			exp[i][j] = 0x7377617000000000ull | (uint64_t)i << 16 | j;
	memcpy(hva, exp, sizeof(exp));
	for (i = 0; i < SWAP_PAGES; i++) {
		gpa = SWAP_GPA + i * PAGE_SIZE;
		TEST_ASSERT_EQ(guest_hash(vcpu, gpa), page_hash(exp[i]));
		exp[i][1] = 0x4775657374000000ull | i;
		TEST_ASSERT_EQ(guest_op(vcpu, OP_WRITE, gpa + 8, exp[i][1]),
			       exp[i][1]);
	}
	TEST_ASSERT(!swap_compare(vcpu, hva, exp, false, true),
		    "the host does not see the guest's stores before swap-out");

	in = swap_out(hva);
	if (in < 0) {
		pr_info("MADV_PAGEOUT: %s", strerror(-in));
		skip_results(swap_results, n, "MADV_PAGEOUT failed (Linux 5.4+)");
		test_cleanup_pop(true);
		return;
	}
	ksft_test_result(!in, "%s", swap_results[0]);
	if (in) {
		skip_results(swap_results + 1, n - 1,
			     "the pages did not go out to swap");
		test_cleanup_pop(true);
		return;
	}
	scrub_freed_frames();

	/* The guest reads first: its faults bring the pages back. */
	bad = swap_compare(vcpu, hva, exp, true, false);
	ksft_test_result(!bad, "%s", swap_results[1]);

	bad = 0;
	for (i = 0; i < SWAP_PAGES; i++) {
		exp[i][2] = 0x5377617070656400ull | i;
		v = guest_op(vcpu, OP_WRITE, SWAP_GPA + i * PAGE_SIZE + 16,
			     exp[i][2]);
		bad += v != exp[i][2];
	}
	bad += swap_compare(vcpu, hva, exp, false, true);
	ksft_test_result(!bad, "%s", swap_results[2]);

	/*
	 * Out again; the host's store swaps page 0 in, the guest's page 1
	 * (a write fault on a swapped-out page).  Then both compare all.
	 */
	in = swap_out(hva);
	bad = 0;
	if (!in) {
		scrub_freed_frames();
		exp[0][3] = 0x486f737400000003ull;
		((uint64_t *)hva)[3] = exp[0][3];
		exp[1][3] = 0x4775657374000003ull;
		v = guest_op(vcpu, OP_WRITE, SWAP_GPA + PAGE_SIZE + 24,
			     exp[1][3]);
		bad = (v != exp[1][3]) + swap_compare(vcpu, hva, exp, true, true);
	}
	ksft_test_result(!in && !bad, "%s", swap_results[3]);

	bad = test_guest_aging(vcpu, hva);
	ksft_test_result(!bad, "%s", swap_results[4]);

	test_cleanup_pop(true);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t *ksm_hva, *swap_hva;
	cpu_set_t cpus;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_SYNC_MMU));

	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(cpus), &cpus),
		    "sched_setaffinity");
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	__TEST_REQUIRE(pagemap_fd >= 0, "no /proc/self/pagemap");

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	ksm_hva = vm_userspace_mem_region_add(vm, KSM_SLOT, KSM_GPA, KSM_PAGES,
					      0);
	swap_hva = vm_userspace_mem_region_add(vm, SWAP_SLOT, SWAP_GPA,
					       SWAP_PAGES, 0);
	/* 4 KiB pages only: KSM and MADV_PAGEOUT work on those. */
	madvise(ksm_hva, KSM_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE);
	madvise(swap_hva, SWAP_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE);

	/*
	 * The guest runs (reading its own command) before any host setting
	 * changes, and without touching the slots yet.
	 */
	TEST_ASSERT_EQ(guest_op(vcpu, OP_READ, (uintptr_t)&cmd, 0), OP_READ);

	ksft_set_plan(ARRAY_SIZE(ksm_results) + ARRAY_SIZE(swap_results));
	test_ksm(vcpu, ksm_hva);
	test_swap(vcpu, swap_hva);

	kvm_vm_free(vm);
	close(pagemap_fd);
	ksft_finished();
}
