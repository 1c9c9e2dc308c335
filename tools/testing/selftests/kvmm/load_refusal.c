// SPDX-License-Identifier: GPL-2.0
/*
 * load_refusal: kvmm refuses to load where it must, and keeps Linux KVM's
 * vendor modules out while it is loaded.
 *
 * - No SVM and no VMX on the host: finit_module(kvmm.ko) fails with ENODEV,
 *   kvmm logs one line saying why, and no device node appears.
 * - SVM or VMX: with the reference (kvm + kvm_amd/kvm_intel) loaded, kvmm
 *   fails with EBUSY and logs one line, and the reference keeps working;
 *   with kvmm loaded, the reference's vendor module fails with EBUSY and
 *   kvmm keeps working.
 *
 * Nothing here may make the kernel warn.  kvmm mode only: these are kvmm's
 * own refusal paths.  The test leaves kvmm loaded as the runner had it, and
 * unloads the reference modules it loaded itself.
 */
#include <sys/stat.h>

#include "host_util.h"
#include "kvm_util.h"
#include "kvmm_env.h"

static struct kmsg kmsg;
static const char *ko;

/* Reference modules: paths, names, and which were loaded before the test. */
static struct str_list ref_paths;
static char (*ref_names)[64];
static bool *ref_was_loaded;

/*
 * Lines kvmm itself logged.  The module loader also prefixes its notes with
 * the module's name ("kvmm: loading out-of-tree module taints kernel."), and
 * prints them only on the first tainting load; those are not kvmm's.
 */
static unsigned int kvmm_own_lines(void)
{
	static const char * const loader_notes[] = {
		"taints kernel", "tainting kernel",
		"module verification failed", "module license",
		"Unknown symbol",
	};
	unsigned int n = 0, i;
	size_t r;

	kmsg_poll(&kmsg);
	for (r = 0; r < kmsg.nr_recs; r++) {
		bool note = false;

		if (strncmp(kmsg.recs[r], "kvmm: ", 6))
			continue;
		for (i = 0; i < ARRAY_SIZE(loader_notes); i++)
			note = note || strstr(kmsg.recs[r], loader_notes[i]);
		n += !note;
	}
	return n;
}

static bool device_absent(void)
{
	struct stat st;

	return stat(kvm_dev_path(), &st) && errno == ENOENT;
}

static bool no_kernel_problems(long taint_before)
{
	long taint = kernel_tainted();
	unsigned int problems = kmsg_problems(&kmsg);
	bool ok = !problems;

	if (problems)
		pr_info("%u kernel problem record(s) in kmsg", problems);
	if (taint >= 0 && taint_before >= 0 &&
	    (taint & ~taint_before & TAINT_PROBLEM_MASK)) {
		pr_info("kernel taint went from %#lx to %#lx", taint_before,
			taint);
		ok = false;
	}
	if (kmsg.lost)
		pr_info("kmsg overran %u time(s): records may be missing",
			kmsg.lost);
	return ok;
}

/* ---- no SVM, no VMX ---- */

static void test_no_virt(long taint0)
{
	bool ok;
	int ret;

	ksft_set_plan(5);

	ok = !module_is_loaded(KVMM_MODULE_NAME);
	if (!ok)
		pr_info("kvmm is loaded on a host without SVM/VMX");
	ksft_test_result(ok, "not_loaded_at_start");

	kmsg_mark(&kmsg);
	ret = module_load(ko, NULL);
	if (!ret) {
		pr_info("kvmm loaded on a host without SVM/VMX; unloading it");
		module_unload(KVMM_MODULE_NAME);
	} else if (ret != -ENODEV) {
		pr_info("finit_module(kvmm) failed with %s, expected ENODEV",
			errno_name(-ret));
	}
	ksft_test_result(ret == -ENODEV, "load_refused_enodev");

	ret = kvmm_own_lines();
	if (ret != 1) {
		pr_info("%d kvmm line(s) logged, expected exactly 1", ret);
		kmsg_dump(&kmsg);
	} else {
		pr_debug("refusal logged");
		if (test_debug_enabled())
			kmsg_dump(&kmsg);
	}
	ksft_test_result(ret == 1 && kmsg_has(&kmsg, "kvmm:"),
			 "one_kvmm_line");

	ok = device_absent() && !module_is_loaded(KVMM_MODULE_NAME);
	if (!ok)
		pr_info("%s exists or kvmm is listed after the refusal",
			kvm_dev_path());
	ksft_test_result(ok, "no_device_node");

	ksft_test_result(no_kernel_problems(taint0), "no_kernel_problems");
}

/* ---- SVM or VMX ---- */

/* Load the reference modules in order; -EEXIST is fine for helpers. */
static int ref_load(unsigned int upto)
{
	unsigned int i;
	int ret;

	for (i = 0; i < upto; i++) {
		ret = module_load(ref_paths.v[i], NULL);
		if (ret && ret != -EEXIST) {
			pr_info("loading %s failed: %s", ref_paths.v[i],
				errno_name(-ret));
			return ret;
		}
	}
	return 0;
}

static int ref_unload(void)
{
	struct str_list names;
	unsigned int i;
	int ret = 0;

	ref_unload_names(&names);
	for (i = 0; i < names.nr && !ret; i++) {
		if (!module_is_loaded(names.v[i]))
			continue;
		ret = module_unload(names.v[i]);
		if (ret)
			pr_info("unloading %s failed: %s", names.v[i],
				errno_name(-ret));
	}
	str_list_free(&names);
	return ret;
}

/*
 * Leave the host as the runner had it: no reference modules the test loaded,
 * kvmm loaded.  Best effort; runs on every exit.
 */
static void restore_host(void *unused)
{
	unsigned int i;

	(void)unused;
	if (!module_is_loaded(KVMM_MODULE_NAME))
		ref_unload();
	hv_restore();
	for (i = ref_paths.nr; i-- > 0;) {
		if (ref_was_loaded[i] || !module_is_loaded(ref_names[i]))
			continue;
		if (module_unload(ref_names[i]))
			pr_info("could not unload %s (loaded by this test)",
				ref_names[i]);
	}
}

static void skip_ref_parts(const char *why)
{
	static const char * const names[] = {
		"ref_loads_and_works", "kvmm_refused_ebusy",
		"ref_still_works", "kvmm_loads_after_ref",
		"vendor_refused_ebusy", "kvmm_still_works",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		ksft_test_result_skip(names[i], "%s", why);
}

static void test_virt(long taint0)
{
	const char *vendor;
	unsigned int i;
	bool ok;
	int ret;

	ksft_set_plan(8);

	ok = module_is_loaded(KVMM_MODULE_NAME);
	if (!ok)
		pr_info("kvmm is not loaded on a host with %s",
			host_cpu_has("svm") ? "SVM" : "VMX");
	ksft_test_result(ok, "loaded_at_start");

	ref_modules(&ref_paths);
	if (!ref_paths.nr || !ref_modules_present()) {
		skip_ref_parts("reference modules (KVMM_REF_MODULES) not present");
		goto out;
	}
	ref_names = calloc(ref_paths.nr, sizeof(*ref_names));
	ref_was_loaded = calloc(ref_paths.nr, sizeof(*ref_was_loaded));
	TEST_ASSERT(ref_names && ref_was_loaded, "out of memory");
	for (i = 0; i < ref_paths.nr; i++) {
		module_name_from_path(ref_paths.v[i], ref_names[i],
				      sizeof(ref_names[i]));
		ref_was_loaded[i] = module_is_loaded(ref_names[i]);
	}
	vendor = ref_paths.v[ref_paths.nr - 1];
	test_cleanup_push(restore_host, NULL);

	/* kvmm out, reference in: it must work as usual. */
	ret = module_is_loaded(KVMM_MODULE_NAME) ?
	      module_unload(KVMM_MODULE_NAME) : 0;
	if (ret)
		pr_info("unloading kvmm failed: %s", errno_name(-ret));
	if (!ret)
		ret = ref_load(ref_paths.nr);
	if (!ret) {
		ret = kvm_dev_api_version();
		if (ret != KVM_API_VERSION)
			pr_info("reference: KVM_GET_API_VERSION gave %d", ret);
	}
	if (ret != KVM_API_VERSION) {
		ksft_test_result_fail("ref_loads_and_works");
		ksft_exit_fail_msg("cannot set up the reference; stopping");
	}
	ksft_test_result_pass("ref_loads_and_works");

	/* kvmm must refuse, explain once, and leave the reference alone. */
	kmsg_mark(&kmsg);
	ret = module_load(ko, NULL);
	if (!ret) {
		pr_info("kvmm loaded next to the reference; unloading it");
		module_unload(KVMM_MODULE_NAME);
	} else if (ret != -EBUSY) {
		pr_info("finit_module(kvmm) failed with %s, expected EBUSY",
			errno_name(-ret));
	}
	i = kvmm_own_lines();
	if (i != 1) {
		pr_info("%u kvmm line(s) logged, expected exactly 1", i);
		kmsg_dump(&kmsg);
	}
	ksft_test_result(ret == -EBUSY && i == 1, "kvmm_refused_ebusy");

	ret = kvm_dev_api_version();
	if (ret != KVM_API_VERSION)
		pr_info("reference after kvmm's refusal: KVM_GET_API_VERSION gave %d",
			ret);
	ksft_test_result(ret == KVM_API_VERSION, "ref_still_works");

	/* Reference out, kvmm in. */
	ret = ref_unload();
	if (!ret) {
		ret = module_load(ko, NULL);
		if (ret)
			pr_info("loading kvmm after the reference failed: %s",
				errno_name(-ret));
	}
	if (ret) {
		ksft_test_result_fail("kvmm_loads_after_ref");
		ksft_exit_fail_msg("cannot load kvmm again; stopping");
	}
	ksft_test_result_pass("kvmm_loads_after_ref");

	/* kvm.ko may load next to kvmm; the vendor module may not. */
	ret = ref_load(ref_paths.nr - 1);
	if (!ret) {
		ret = module_load(vendor, NULL);
		if (!ret) {
			pr_info("%s loaded next to kvmm; unloading it",
				vendor);
			module_unload(ref_names[ref_paths.nr - 1]);
		} else if (ret != -EBUSY) {
			pr_info("loading %s failed with %s, expected EBUSY",
				vendor, errno_name(-ret));
		}
	}
	ksft_test_result(ret == -EBUSY, "vendor_refused_ebusy");

	ret = kvm_dev_api_version();
	if (ret != KVM_API_VERSION)
		pr_info("kvmm after the vendor module's refusal: KVM_GET_API_VERSION gave %d",
			ret);
	ksft_test_result(ret == KVM_API_VERSION, "kvmm_still_works");

	/* kvm.ko (and helpers) loaded just now go; kvmm stays. */
	test_cleanup_pop(true);
out:
	ksft_test_result(no_kernel_problems(taint0), "no_kernel_problems");
}

int main(void)
{
	enum test_mode mode;
	long taint0;
	int ret;

	ksft_print_header();
	mode = test_mode();
	__TEST_REQUIRE(mode == TEST_MODE_KVMM,
		       "tests kvmm's own refusal paths (KVMM_MODE=%s)",
		       test_mode_name());
	__TEST_REQUIRE(!geteuid(), "needs root to load modules");
	ko = kvmm_module_path();
	__TEST_REQUIRE(ko && file_exists(ko), "KVMM_MODULE (%s) not found",
		       ko ?: "unset");
	ret = kmsg_open(&kmsg);
	__TEST_REQUIRE(!ret, "/dev/kmsg not readable: %s", errno_name(-ret));
	taint0 = kernel_tainted();

	pr_info("config %s: cpu flags%s%s", test_config(),
		host_cpu_has("svm") ? " svm" : "",
		host_cpu_has("vmx") ? " vmx" : "");
	if (!host_cpu_has("svm") && !host_cpu_has("vmx"))
		test_no_virt(taint0);
	else
		test_virt(taint0);

	kmsg_close(&kmsg);
	ksft_finished();
}
