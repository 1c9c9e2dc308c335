/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP output for kvmm selftests.
 *
 * Same shape as the kselftest helpers (ksft_*) and the same exit codes, so a
 * kselftest runner reads our output and exit status without knowing us.  One
 * difference in use: result and diagnostic strings need no trailing newline
 * (a trailing one is tolerated), and a skipped result carries both a name and
 * a reason:
 *
 *	TAP version 13
 *	1..3
 *	ok 1 get_api_version
 *	not ok 2 nonzero_arg
 *	ok 3 devname_param # SKIP kvmm-only parameter
 *	# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
 *
 * Everything goes to stdout, one flushed line at a time, so forked children
 * and an abrupt exit cannot reorder or duplicate output.
 */
#ifndef KVMM_SELFTEST_KTAP_H
#define KVMM_SELFTEST_KTAP_H

#include <stdbool.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_XFAIL	2
#define KSFT_XPASS	3
#define KSFT_SKIP	4

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define __ksft_printf(a, b)	__attribute__((format(printf, a, b)))
#define __ksft_noreturn		__attribute__((noreturn))

/* "TAP version 13" (unless KSFT_TAP_LEVEL says a parent already printed it). */
void ksft_print_header(void);
/* "1..N": the number of results this program will report. */
void ksft_set_plan(unsigned int plan);
/* Number of results reported so far. */
unsigned int ksft_test_num(void);
/* Diagnostic: every line of the message is printed as "# line". */
void ksft_print_msg(const char *fmt, ...) __ksft_printf(1, 2);

/* "ok N name" */
void ksft_test_result_pass(const char *fmt, ...) __ksft_printf(1, 2);
/* "not ok N name" */
void ksft_test_result_fail(const char *fmt, ...) __ksft_printf(1, 2);
/* "ok N name # SKIP reason" */
void ksft_test_result_skip(const char *name, const char *fmt, ...)
	__ksft_printf(2, 3);
/* "not ok N name # error reason": the check itself could not be carried out. */
void ksft_test_result_error(const char *name, const char *fmt, ...)
	__ksft_printf(2, 3);

/* Pass or fail depending on @cond. */
#define ksft_test_result(cond, fmt, ...)				\
do {									\
	if (cond)							\
		ksft_test_result_pass(fmt, ##__VA_ARGS__);		\
	else								\
		ksft_test_result_fail(fmt, ##__VA_ARGS__);		\
} while (0)

/* "# Totals: ..." (and a note if the plan was not met). */
void ksft_print_cnts(void);

__ksft_noreturn void ksft_exit_pass(void);
__ksft_noreturn void ksft_exit_fail(void);
/* "Bail out! reason", totals, exit KSFT_FAIL. */
__ksft_noreturn void ksft_exit_fail_msg(const char *fmt, ...)
	__ksft_printf(1, 2);
/*
 * Skip the whole program.  Before a plan: "1..0 # SKIP reason".  After one:
 * every result still owed is reported as skipped with the reason.  Exits
 * KSFT_SKIP, or KSFT_FAIL if something already failed.
 */
__ksft_noreturn void ksft_exit_skip(const char *fmt, ...)
	__ksft_printf(1, 2);
/*
 * Totals, then exit: KSFT_FAIL if anything failed or the plan was not met,
 * KSFT_SKIP if every result was a skip, KSFT_PASS otherwise.
 */
__ksft_noreturn void ksft_finished(void);

/* True in the process that started the test (not in forked children). */
bool ksft_is_main_process(void);
/* True once a plan ("1..N") has been printed. */
bool ksft_plan_printed(void);
/*
 * Call @fn once, in the main process, when a ksft_exit_*() or ksft_finished()
 * is about to print its final lines (test_util.h runs cleanup steps here).
 */
void ksft_set_exit_hook(void (*fn)(void));

#endif /* KVMM_SELFTEST_KTAP_H */
