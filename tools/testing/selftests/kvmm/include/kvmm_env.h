/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test host contract: what the runner exports and what it has loaded.
 *
 *   KVMM_MODE         kvmm (kvmm.ko under test) | ref (Linux KVM under test)
 *   KVMM_CONFIG       svm | svm-nonpt | vmx | vmx-noept | nosvm
 *   KVMM_MODULE       path of kvmm.ko
 *   KVMM_REF_MODULES  ordered .ko paths that load the reference
 *   KVMM_REF_UNLOAD   module names that unload the reference, in order
 *   KVMM_DEVICE       device node (default /dev/kvm)
 *
 * Before the tests, the runner loads the hypervisor under test if it loads at
 * all.  A test that unloads it puts it back before exiting (hv_restore()).
 */
#ifndef KVMM_SELFTEST_KVMM_ENV_H
#define KVMM_SELFTEST_KVMM_ENV_H

#include <stdbool.h>

enum test_mode {
	TEST_MODE_UNSET,	/* KVMM_MODE not set: run generic checks only */
	TEST_MODE_KVMM,
	TEST_MODE_REF,
};

#define KVMM_MODULE_NAME	"kvmm"
#define KVMM_ALLOCATIONS_PATH	"/sys/kernel/debug/kvmm/allocations"
/* Misc device minor of /dev/kvm (KVM_MINOR in <linux/miscdevice.h>). */
#define KVM_MISC_MAJOR		10
#define KVM_MINOR		232

/* KVMM_MODE; a value other than kvmm/ref fails the test. */
enum test_mode test_mode(void);
const char *test_mode_name(void);
/* KVMM_CONFIG, or "unknown". */
const char *test_config(void);
/* KVMM_MODULE, or NULL. */
const char *kvmm_module_path(void);

/* A space-separated environment list split into words. */
struct str_list {
	unsigned int nr;
	char **v;
};

/* Parse $@name; an unset variable gives an empty list. */
void str_list_from_env(struct str_list *l, const char *name);
void str_list_free(struct str_list *l);

/* KVMM_REF_MODULES, KVMM_REF_UNLOAD. */
void ref_modules(struct str_list *l);
void ref_unload_names(struct str_list *l);
/* Are KVMM_REF_MODULES set and every file present? */
bool ref_modules_present(void);

/*
 * The hypervisor under test, by mode.  kvmm: kvmm.ko.  ref: unloading runs
 * KVMM_REF_UNLOAD; loading loads the last two KVMM_REF_MODULES (kvm and the
 * vendor module), leaving helpers such as irqbypass and ccp loaded.
 * hv_load() accepts -EEXIST for all but the last (vendor) module.
 * All return 0 or -errno and never assert.
 */
bool hv_is_loaded(void);
int hv_load(void);
int hv_unload(void);
/* Load it if it is not loaded (for cleanup steps); reports, never asserts. */
void hv_restore(void);
/* test_cleanup_push() adapter for hv_restore(). */
void hv_restore_cleanup(void *unused);

/* kvmm's debugfs allocation counters; 0 or -errno (-EINVAL: bad format). */
int kvmm_read_allocations(unsigned long long *objects,
			  unsigned long long *bytes);

/*
 * Per-VM statistics in debugfs, named and laid out as Linux 6.1 does:
 * <dir>/<pid>-<VM fd>/<name> holding one decimal number, where <dir> is
 * /sys/kernel/debug/kvmm (kvmm mode) or /sys/kernel/debug/kvm (ref mode;
 * unset mode tries both).  For a VM created by this process's main
 * thread.  0, or -errno (-ENOENT: no such statistic; -EINVAL: bad format).
 */
#define KVMM_DEBUGFS_DIR	"/sys/kernel/debug/kvmm"
#define KVM_DEBUGFS_DIR		"/sys/kernel/debug/kvm"
int vm_debugfs_stat(int vm_fd, const char *name, unsigned long long *val);

#endif /* KVMM_SELFTEST_KVMM_ENV_H */
