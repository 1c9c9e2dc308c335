/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side helpers for tests that load and unload hypervisor modules and
 * watch the kernel for trouble while doing so.
 *
 * All functions return 0 (or a count/value) on success and -errno on failure;
 * none of them asserts, so they are safe in cleanup steps.
 */
#ifndef KVMM_SELFTEST_HOST_UTIL_H
#define KVMM_SELFTEST_HOST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- modules ---- */

/*
 * Load the module file at @path with parameter string @params (NULL: none)
 * through finit_module(2).  Compressed files (.xz, .zst, .gz) are handed to
 * the kernel to decompress.  Returns 0 or -errno (e.g. -EEXIST, -ENODEV).
 */
int module_load(const char *path, const char *params);
/*
 * Unload module @name with delete_module(2) and O_NONBLOCK, retrying for up
 * to about two seconds while it answers EAGAIN/EBUSY (a reference still being
 * dropped, or the module still initialising).  Returns 0 or -errno.
 */
int module_unload(const char *name);
/* Is @name listed in /proc/modules ('-' and '_' are the same)? */
bool module_is_loaded(const char *name);
/* Module name for a .ko path: basename without ".ko[.xz]", '-' -> '_'. */
void module_name_from_path(const char *path, char *name, size_t size);
/* Does the file exist (and is it a regular file)? */
bool file_exists(const char *path);

/* ---- kernel log (/dev/kmsg) ---- */

/*
 * A reader that starts at "now" and collects the records logged since into
 * a window.  Every record read is also checked with kmsg_is_problem(); such
 * records are counted for the reader's whole life and printed as diagnostics
 * the moment they are seen.
 */
struct kmsg {
	int fd;
	char **recs;		/* text of each record in the window */
	size_t nr_recs;
	size_t cap_recs;
	unsigned int problems;	/* problem records since kmsg_open() */
	unsigned int lost;	/* times unread records were overwritten */
};

/* Open /dev/kmsg (O_RDONLY | O_NONBLOCK) positioned after the last record. */
int kmsg_open(struct kmsg *k);
void kmsg_close(struct kmsg *k);
/* Read every new record into the window; returns the number read. */
int kmsg_poll(struct kmsg *k);
/* Poll, then empty the window: later queries see only newer records. */
void kmsg_mark(struct kmsg *k);
/* Poll; does any record in the window contain @substr? */
bool kmsg_has(struct kmsg *k, const char *substr);
/* Poll; number of records in the window starting with @prefix. */
unsigned int kmsg_count_prefix(struct kmsg *k, const char *prefix);
/* Poll; number of problem records seen since kmsg_open(). */
unsigned int kmsg_problems(struct kmsg *k);
/* Print the window as diagnostics, each line prefixed "kmsg: ". */
void kmsg_dump(struct kmsg *k);
/*
 * Does a message report a kernel problem: Oops, BUG, WARNING, general
 * protection fault, soft lockup, RCU stall, hung task, UBSAN/KASAN, panic,
 * or "kvmm: internal error"?
 */
bool kmsg_is_problem(const char *text);

/* /proc/sys/kernel/tainted, or -errno. */
long kernel_tainted(void);
/* Taint bits that only a kernel problem sets: D (die), W (warn), L (lockup). */
#define TAINT_PROBLEM_MASK	((1UL << 7) | (1UL << 9) | (1UL << 14))

/* ---- memory ---- */

/* A /proc/meminfo field in KiB (e.g. "Slab", "MemFree"), or -errno. */
long meminfo_kib(const char *field);

/* Run the calling thread on @cpu only (asserts). */
void pin(int cpu);
/* sync(2), then write 3 to /proc/sys/vm/drop_caches; 0 or -errno. */
int drop_caches(void);

/* ---- CPU features (/proc/cpuinfo of the first CPU) ---- */

/* Is @flag in the "flags" line (e.g. "svm", "vmx", "npt")? */
bool host_cpu_has(const char *flag);
/* Is @flag in the "vmx flags" line (e.g. "ept", "unrestricted_guest")? */
bool host_cpu_has_vmx_feature(const char *flag);

/*
 * Read MSR @index of host CPU @cpu through /dev/cpu/N/msr (msr.ko, loaded
 * in the test hosts).  Returns 0 or -errno.
 */
int host_read_msr(int cpu, uint32_t index, uint64_t *val);

/* ---- device nodes ---- */

/*
 * Wait up to @ms for @path to exist (@present) or be gone (!@present);
 * returns true if it reached that state.
 */
bool wait_for_path(const char *path, bool present, unsigned int ms);

#endif /* KVMM_SELFTEST_HOST_UTIL_H */
