/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how guest code talks to the host test.
 *
 * The guest fills a struct ucall on its stack and writes the structure's
 * address (a GVA below 4 GiB, see vm_create()) with a 32-bit OUT to
 * UCALL_PIO_PORT.  The host sees KVM_EXIT_IO on that port, and get_ucall()
 * reads the structure through the guest's page tables.  The next KVM_RUN
 * completes the OUT and the guest carries on.
 *
 * Guest code must not call libc: no printf, no memset, no malloc.  Only the
 * static inline and guest_* helpers here and in x86_64/processor.h are safe;
 * they are plain code without syscalls or per-thread state.  Assertions in
 * the guest are GUEST_ASSERT*(), which ship the condition text, file, line
 * and values to the host; the host turns them into a test failure with
 * REPORT_GUEST_ASSERT().
 */
#ifndef KVMM_SELFTEST_UCALL_H
#define KVMM_SELFTEST_UCALL_H

#include <stddef.h>
#include <stdint.h>

/* The reserved port (the same one Linux's KVM selftests use). */
#define UCALL_PIO_PORT		0x1000
#define UCALL_MAX_ARGS		7

enum {
	UCALL_NONE,		/* the exit was not a ucall */
	UCALL_SYNC,		/* GUEST_SYNC*(): args[0] = stage, then values */
	UCALL_ABORT,		/* GUEST_ASSERT*() failed, see below */
	UCALL_DONE,		/* GUEST_DONE(): the guest finished */
	UCALL_UNHANDLED,	/* exception without a handler: vector, error code, rip */
	UCALL_PRINT,		/* GUEST_PRINT_STR(): args[0] = string GVA */
};

/*
 * UCALL_ABORT arguments: condition text, file name (both GVAs of strings in
 * the test binary), line, number of values, up to three values.
 */
enum {
	GUEST_ASSERT_EXPR,
	GUEST_ASSERT_FILE,
	GUEST_ASSERT_LINE,
	GUEST_ASSERT_NR_VALUES,
	GUEST_ASSERT_VALUE0,
};

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
};

/* ---- guest side ---- */

/* Send @cmd with @nargs integer arguments to the host. */
void ucall(uint64_t cmd, int nargs, ...);

/* args[0] = @stage; GUEST_SYNC_ARGS() adds four values in args[1..4]. */
#define GUEST_SYNC(stage)	ucall(UCALL_SYNC, 1, (uint64_t)(stage))
#define GUEST_SYNC_ARGS(stage, a1, a2, a3, a4)				\
	ucall(UCALL_SYNC, 5, (uint64_t)(stage), (uint64_t)(a1),		\
	      (uint64_t)(a2), (uint64_t)(a3), (uint64_t)(a4))
#define GUEST_DONE()		ucall(UCALL_DONE, 0)
#define GUEST_PRINT_STR(s)	ucall(UCALL_PRINT, 1, (uint64_t)(const char *)(s))

#define __GUEST_ASSERT(cond, cond_str, nr, ...)				\
do {									\
	if (!(cond))							\
		ucall(UCALL_ABORT, 4 + (nr), (uint64_t)(cond_str),	\
		      (uint64_t)__FILE__, (uint64_t)__LINE__,		\
		      (uint64_t)(nr), ##__VA_ARGS__);			\
} while (0)

#define GUEST_ASSERT(cond)	__GUEST_ASSERT(cond, #cond, 0)
/* ... shipping one or two values for the host to print. */
#define GUEST_ASSERT_1(cond, v)						\
	__GUEST_ASSERT(cond, #cond, 1, (uint64_t)(v))
#define GUEST_ASSERT_2(cond, v1, v2)					\
	__GUEST_ASSERT(cond, #cond, 2, (uint64_t)(v1), (uint64_t)(v2))
#define GUEST_ASSERT_EQ(a, b)						\
do {									\
	uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);		\
									\
	__GUEST_ASSERT(__ga == __gb, #a " == " #b, 2, __ga, __gb);	\
} while (0)
#define GUEST_FAIL(what)	__GUEST_ASSERT(0, what, 0)

/* ---- host side ---- */

struct kvm_vcpu;

/*
 * Decode the last exit of @vcpu: if it is a ucall (a 4-byte OUT to
 * UCALL_PIO_PORT), copy the guest's structure into *@uc (when non-NULL) and
 * return its cmd; otherwise return UCALL_NONE.
 */
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/*
 * Copy a NUL-terminated guest string at @gva into @buf (at most @size bytes,
 * always terminated); unmapped memory ends the string with "<bad address>".
 */
const char *guest_string(struct kvm_vcpu *vcpu, uint64_t gva, char *buf,
			 size_t size);

/* Print a UCALL_ABORT or UCALL_UNHANDLED as diagnostics, ending with \n. */
void ucall_describe(struct kvm_vcpu *vcpu, const struct ucall *uc, char *buf,
		    size_t size);

/* Fail the test with the guest's assertion (file:line, condition, values). */
#define REPORT_GUEST_ASSERT(vcpu, uc)					\
do {									\
	char __buf[512];						\
									\
	ucall_describe(vcpu, &(uc), __buf, sizeof(__buf));		\
	TEST_FAIL("%s", __buf);						\
} while (0)

/*
 * Run @vcpu once and return the ucall it made; UCALL_ABORT and
 * UCALL_UNHANDLED fail the test, and so does an exit that is not a ucall.
 */
uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
/*
 * Run once and assert the guest made GUEST_SYNC(@stage) (returned, with
 * its values), or GUEST_DONE().
 */
struct ucall vcpu_run_expect_sync(struct kvm_vcpu *vcpu, uint64_t stage);
void vcpu_run_expect_done(struct kvm_vcpu *vcpu);

#endif /* KVMM_SELFTEST_UCALL_H */
