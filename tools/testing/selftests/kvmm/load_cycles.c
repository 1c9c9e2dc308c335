// SPDX-License-Identifier: GPL-2.0
/*
 * load_cycles: unload and load the hypervisor under test many times.
 *
 * Each cycle unloads it, checks the device node went away, loads it, checks
 * the node is back and answers KVM_GET_API_VERSION.  Across the run:
 *
 * - kernel memory must not grow: Slab from /proc/meminfo, read after
 *   dropping caches, before and after the measured cycles (MemFree is shown
 *   for information; it moves with page cache and per-CPU page lists);
 * - the kernel log must stay clean: no Oops/BUG/WARNING/lockup records, no
 *   "kvmm: internal error" (kvmm reports allocations leaked at unload that
 *   way), no new die/warn/lockup taint;
 * - kvmm mode: its debugfs allocation counters are readable while loaded and
 *   read the same after every load.
 *
 * KVMM_CYCLES sets the number of measured cycles (default 100).  kvmm mode
 * cycles kvmm.ko; ref mode unloads KVMM_REF_UNLOAD and loads the last two
 * KVMM_REF_MODULES (kvm and the vendor module).  The hypervisor is left
 * loaded, as the runner had it.
 */
#include <sys/stat.h>

#include "host_util.h"
#include "kvm_util.h"
#include "kvmm_env.h"

#define DEFAULT_CYCLES	100
/* Cycles before the baseline, so one-time allocations are not counted. */
#define WARMUP_CYCLES	3
#define NODE_WAIT_MS	2000
/* Samples per measurement; the lowest Slab reading is used. */
#define MEASURE_SAMPLES	3
#define SETTLE_MS	100

/*
 * Slab growth allowed over the measured cycles: 64 KiB, plus 256 bytes per
 * cycle.
 *
 * The fixed part absorbs allocator noise that does not scale with the
 * cycles: slab pages are freed whole, so a few partially used slabs of
 * higher order (up to 32 KiB each) and the per-CPU partial lists can stay
 * behind after drop_caches.  The per-cycle part keeps long runs fair without
 * hiding real leaks: anything a load creates in sysfs/debugfs/kobjects costs
 * well over 1 KiB per cycle, 100 KiB or more at the default 100 cycles,
 * above the 89 KiB budget.  Smaller leaks of kvmm's own allocations are caught
 * exactly by kvmm's allocation tracking ("kvmm: internal error" at unload).
 */
#define SLAB_BUDGET_KIB(cycles)	(64 + (cycles) / 4)

/*
 * The reference is judged by a looser bound, 4 KiB per cycle: each load of
 * kvm.ko + kvm-amd/kvm-intel creates and destroys a dozen kmem caches and
 * their sysfs directories, and in the svm test host 100 cycles left about
 * 108 KiB of slab behind (about 1 KiB a cycle) that later loads do not
 * reuse.  That is the reference's behaviour, not what this test is for;
 * the tight bound above applies to kvmm.
 */
#define REF_SLAB_BUDGET_KIB(cycles)	(64 + (cycles) * 4)

static struct kmsg kmsg;

struct cycle_stats {
	unsigned int cycles;
	uint64_t cycle_ns;
	unsigned int node_errors;
	unsigned int alloc_unreadable;
	unsigned int alloc_changed;
	bool alloc_seen;
	unsigned long long alloc_objects;
	unsigned long long alloc_bytes;
};

struct mem_sample {
	long slab_kib;
	long sunreclaim_kib;
	long memfree_kib;
};

static bool device_present(void)
{
	struct stat st;

	return !stat(kvm_dev_path(), &st) && S_ISCHR(st.st_mode);
}

static void check_allocations(struct cycle_stats *s, unsigned int cycle)
{
	unsigned long long objects, bytes;
	int ret = kvmm_read_allocations(&objects, &bytes);

	if (ret) {
		if (s->alloc_unreadable++ < 3)
			pr_info("cycle %u: reading %s: %s", cycle,
				KVMM_ALLOCATIONS_PATH, errno_name(-ret));
		return;
	}
	if (!s->alloc_seen) {
		s->alloc_seen = true;
		s->alloc_objects = objects;
		s->alloc_bytes = bytes;
		pr_info("kvmm allocations after load: objects %llu bytes %llu",
			objects, bytes);
		return;
	}
	if (objects != s->alloc_objects || bytes != s->alloc_bytes) {
		if (s->alloc_changed++ < 3)
			pr_info("cycle %u: kvmm allocations objects %llu bytes %llu, first load had %llu/%llu",
				cycle, objects, bytes, s->alloc_objects,
				s->alloc_bytes);
	}
}

/* One unload/load; false (with a diagnostic) if the cycle cannot go on. */
static bool cycle(struct cycle_stats *s, unsigned int n, bool kvmm)
{
	uint64_t start = now_ns();
	int ret;

	ret = hv_unload();
	if (ret) {
		pr_info("cycle %u: unload failed: %s", n, errno_name(-ret));
		return false;
	}
	if (!wait_for_path(kvm_dev_path(), false, NODE_WAIT_MS) &&
	    s->node_errors++ < 3)
		pr_info("cycle %u: %s still present after unload", n,
			kvm_dev_path());

	ret = hv_load();
	if (ret) {
		pr_info("cycle %u: load failed: %s", n, errno_name(-ret));
		return false;
	}
	if (!wait_for_path(kvm_dev_path(), true, NODE_WAIT_MS) ||
	    !device_present()) {
		if (s->node_errors++ < 3)
			pr_info("cycle %u: %s missing after load", n,
				kvm_dev_path());
	}

	ret = kvm_dev_api_version();
	if (ret != KVM_API_VERSION) {
		pr_info("cycle %u: KVM_GET_API_VERSION gave %d (%s)", n, ret,
			ret < 0 ? errno_name(-ret) : "wrong version");
		return false;
	}
	if (kvmm)
		check_allocations(s, n);

	/* Problems are counted as they are read; keep the window small. */
	kmsg_mark(&kmsg);
	s->cycles++;
	s->cycle_ns += now_ns() - start;
	return true;
}

static struct mem_sample measure(void)
{
	struct mem_sample best = { .slab_kib = -1 }, m;
	int i, ret;

	for (i = 0; i < MEASURE_SAMPLES; i++) {
		ret = drop_caches();
		TEST_ASSERT(!ret, "drop_caches: %s", errno_name(-ret));
		msleep(SETTLE_MS);
		m.slab_kib = meminfo_kib("Slab");
		m.sunreclaim_kib = meminfo_kib("SUnreclaim");
		m.memfree_kib = meminfo_kib("MemFree");
		TEST_ASSERT(m.slab_kib >= 0 && m.sunreclaim_kib >= 0 &&
			    m.memfree_kib >= 0, "reading /proc/meminfo");
		if (best.slab_kib < 0 || m.slab_kib < best.slab_kib)
			best = m;
	}
	return best;
}

int main(void)
{
	struct cycle_stats stats = { 0 };
	struct mem_sample before, after;
	unsigned int done = 0, i;
	enum test_mode mode;
	long cycles, taint0, taint, budget;
	unsigned int problems;
	uint64_t start;
	bool kvmm, ok;
	int ret;

	ksft_print_header();
	mode = test_mode();
	kvmm = mode == TEST_MODE_KVMM;
	__TEST_REQUIRE(mode != TEST_MODE_UNSET,
		       "KVMM_MODE not set: nothing says which hypervisor to cycle");
	__TEST_REQUIRE(!geteuid(), "needs root to load modules");
	if (kvmm) {
		__TEST_REQUIRE(kvmm_module_path() &&
			       file_exists(kvmm_module_path()),
			       "KVMM_MODULE (%s) not found",
			       kvmm_module_path() ?: "unset");
	} else {
		struct str_list names;

		ref_unload_names(&names);
		__TEST_REQUIRE(ref_modules_present() && names.nr,
			       "reference modules not present (KVMM_REF_MODULES, KVMM_REF_UNLOAD)");
		str_list_free(&names);
	}
	__TEST_REQUIRE(hv_is_loaded(),
		       "the %s hypervisor is not loaded (config %s)",
		       test_mode_name(), test_config());
	ret = kmsg_open(&kmsg);
	__TEST_REQUIRE(!ret, "/dev/kmsg not readable: %s", errno_name(-ret));

	cycles = env_long("KVMM_CYCLES", DEFAULT_CYCLES);
	TEST_ASSERT(cycles > 0, "KVMM_CYCLES=%ld: must be positive", cycles);
	taint0 = kernel_tainted();
	test_cleanup_push(hv_restore_cleanup, NULL);

	ksft_set_plan(5);
	pr_info("%s: %u warm-up + %ld measured cycles", test_mode_name(),
		WARMUP_CYCLES, cycles);
	start = now_ns();

	ok = true;
	for (i = 0; i < WARMUP_CYCLES && ok; i++)
		ok = cycle(&stats, i, kvmm);
	if (ok) {
		before = measure();
		for (; i < WARMUP_CYCLES + cycles && ok; i++) {
			ok = cycle(&stats, i, kvmm);
			done += ok;
		}
	}
	if (ok)
		after = measure();
	pr_info("elapsed %.3f s: %u cycles (%u measured), %.1f ms per cycle",
		elapsed_s(start), stats.cycles, done,
		stats.cycles ? stats.cycle_ns / 1e6 / stats.cycles : 0.0);
	ksft_test_result(ok, "cycles_completed");

	if (stats.node_errors)
		pr_info("device node out of step with the module %u time(s)",
			stats.node_errors);
	ksft_test_result(!stats.node_errors, "node_follows_module");

	if (kvmm) {
		if (stats.alloc_unreadable || stats.alloc_changed)
			pr_info("kvmm allocations: unreadable %u time(s), changed %u time(s)",
				stats.alloc_unreadable, stats.alloc_changed);
		ksft_test_result(!stats.alloc_unreadable &&
				 !stats.alloc_changed && stats.alloc_seen,
				 "kvmm_allocations_readable_stable");
	} else {
		ksft_test_result_skip("kvmm_allocations_readable_stable",
				      "kvmm's debugfs; the reference has none");
	}

	if (ok) {
		budget = test_mode() == TEST_MODE_REF ? REF_SLAB_BUDGET_KIB(cycles) :
						   SLAB_BUDGET_KIB(cycles);
		pr_info("Slab    before %ld KiB after %ld KiB growth %+ld KiB (budget %ld KiB)",
			before.slab_kib, after.slab_kib,
			after.slab_kib - before.slab_kib, budget);
		pr_info("of which SUnreclaim before %ld KiB after %ld KiB growth %+ld KiB",
			before.sunreclaim_kib, after.sunreclaim_kib,
			after.sunreclaim_kib - before.sunreclaim_kib);
		pr_info("MemFree before %ld KiB after %ld KiB change %+ld KiB (information only)",
			before.memfree_kib, after.memfree_kib,
			after.memfree_kib - before.memfree_kib);
		ksft_test_result(after.slab_kib - before.slab_kib <= budget,
				 "slab_growth_bounded");
	} else {
		ksft_test_result_skip("slab_growth_bounded",
				      "the cycles did not complete");
	}

	problems = kmsg_problems(&kmsg);
	taint = kernel_tainted();
	ok = !problems;
	if (problems)
		pr_info("%u kernel problem record(s) in kmsg", problems);
	if (taint >= 0 && taint0 >= 0 &&
	    (taint & ~taint0 & TAINT_PROBLEM_MASK)) {
		pr_info("kernel taint went from %#lx to %#lx", taint0, taint);
		ok = false;
	}
	if (kmsg.lost)
		pr_info("kmsg overran %u time(s): records may be missing",
			kmsg.lost);
	ksft_test_result(ok, "no_kernel_problems");

	kmsg_close(&kmsg);
	ksft_finished();
}
