/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions, skips and small utilities for kvmm selftests.
 *
 * A failed TEST_ASSERT() ends the whole program with KSFT_FAIL after printing
 * where and why as KTAP diagnostics; a TEST_REQUIRE() that is not met ends it
 * with KSFT_SKIP and the reason.  Sub-results that may fail independently are
 * reported with ksft_test_result*() instead (see ktap.h).
 *
 * Tests that change host state (module loaded, device node owner) register an
 * undo step with test_cleanup_push(); the steps run on every exit of the main
 * process, including failed assertions and skips.
 */
#ifndef KVMM_SELFTEST_TEST_UTIL_H
#define KVMM_SELFTEST_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktap.h"

/* Diagnostics: pr_info() always, pr_debug() only with KVMM_DEBUG=1 set. */
#define pr_info(fmt, ...)	ksft_print_msg(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)						\
do {									\
	if (test_debug_enabled())					\
		ksft_print_msg(fmt, ##__VA_ARGS__);			\
} while (0)

bool test_debug_enabled(void);

__ksft_noreturn void test_assert_fail(const char *expr, const char *file,
				      unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Check @e; if false print file:line, the expression, errno and the message,
 * then exit KSFT_FAIL.  errno is reported as it was when @e was evaluated.
 */
#define TEST_ASSERT(e, fmt, ...)					\
do {									\
	if (!(e))							\
		test_assert_fail(#e, __FILE__, __LINE__, fmt,		\
				 ##__VA_ARGS__);			\
} while (0)

/* Unconditional failure with a message. */
#define TEST_FAIL(fmt, ...)						\
	test_assert_fail("TEST_FAIL", __FILE__, __LINE__, fmt, ##__VA_ARGS__)

/* Compare two integers; both values are printed on failure. */
#define TEST_ASSERT_EQ(a, b)						\
do {									\
	long long __a = (long long)(a), __b = (long long)(b);		\
									\
	if (__a != __b)							\
		test_assert_fail(#a " == " #b, __FILE__, __LINE__,	\
				 "%s is %lld (%#llx), %s is %lld (%#llx)",\
				 #a, __a, (unsigned long long)__a,	\
				 #b, __b, (unsigned long long)__b);	\
} while (0)

/* Skip the whole test with a reason (printf-style) unless @f holds. */
#define __TEST_REQUIRE(f, fmt, ...)					\
do {									\
	if (!(f))							\
		ksft_exit_skip(fmt, ##__VA_ARGS__);			\
} while (0)

/* Skip the whole test unless @f holds; the reason is @f itself. */
#define TEST_REQUIRE(f)	__TEST_REQUIRE(f, "Requirement not met: %s", #f)

/*
 * Undo steps for host state.  Pushed steps run in reverse order when the main
 * process exits (normally, by TEST_ASSERT or by a skip); forked children never
 * run them.  test_cleanup_pop() removes the newest step, running it first if
 * @run.  A step must not use TEST_ASSERT (a failure inside a step is reported
 * and the process exits KSFT_FAIL at once); report with pr_info() instead.
 */
void test_cleanup_push(void (*fn)(void *arg), void *arg);
void test_cleanup_pop(bool run);

/* "EINVAL" for EINVAL, "0" for 0, a number for unknown values. */
const char *errno_name(int err);

/* Environment: string (or @def when unset/empty), number (or @def). */
const char *env_str(const char *name, const char *def);
long env_long(const char *name, long def);

/* Monotonic time in nanoseconds, and elapsed seconds since @start_ns. */
uint64_t now_ns(void);
double elapsed_s(uint64_t start_ns);

/* Sleep for @ms milliseconds (restarting on signals). */
void msleep(unsigned int ms);

/*
 * Read a small file into a NUL-terminated heap buffer; returns the length or
 * -errno.  read_file_str() trims trailing whitespace.
 */
ssize_t read_file(const char *path, char **bufp);
ssize_t read_file_str(const char *path, char **bufp);
/* Write @s to @path (e.g. a /proc/sys knob); returns 0 or -errno. */
int write_file_str(const char *path, const char *s);

#endif /* KVMM_SELFTEST_TEST_UTIL_H */
