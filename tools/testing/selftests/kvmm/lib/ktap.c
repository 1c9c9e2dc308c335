// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP output: counters, result lines, diagnostics and exit codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

static struct {
	unsigned int pass;
	unsigned int fail;
	unsigned int skip;
	unsigned int error;
} cnt;

static unsigned int plan;
static bool plan_printed;
static pid_t main_pid;
static void (*exit_hook)(void);

/*
 * Line-buffer stdout before main() runs: results interleave correctly with
 * forked children and nothing is lost when a test exits from deep inside a
 * helper.
 */
__attribute__((constructor))
static void ktap_init(void)
{
	main_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
}

bool ksft_is_main_process(void)
{
	return getpid() == main_pid;
}

bool ksft_plan_printed(void)
{
	return plan_printed;
}

void ksft_set_exit_hook(void (*fn)(void))
{
	exit_hook = fn;
}

/* Give the hook (cleanup steps) its say before the final lines. */
static void before_exit(void)
{
	void (*fn)(void) = exit_hook;

	exit_hook = NULL;
	if (fn && ksft_is_main_process())
		fn();
}

unsigned int ksft_test_num(void)
{
	return cnt.pass + cnt.fail + cnt.skip + cnt.error;
}

/*
 * Format into a heap string with trailing newlines removed.  Never returns
 * NULL: on allocation failure the format string itself stands in.
 */
static char *format_text(const char *fmt, va_list ap)
{
	char *s;
	size_t len;

	if (vasprintf(&s, fmt, ap) < 0)
		return strdup(fmt) ?: (char *)"(out of memory)";
	len = strlen(s);
	while (len && s[len - 1] == '\n')
		s[--len] = '\0';
	return s;
}

static void free_text(char *s, const char *fmt)
{
	if (s != fmt && strcmp(s, "(out of memory)"))
		free(s);
}

/* A result line must stay one line: fold embedded newlines. */
static void fold_lines(char *s)
{
	for (; *s; s++)
		if (*s == '\n')
			*s = ' ';
}

static void print_diag(const char *text)
{
	const char *p = text, *nl;

	do {
		nl = strchr(p, '\n');
		if (nl) {
			printf("# %.*s\n", (int)(nl - p), p);
			p = nl + 1;
		} else {
			printf("# %s\n", p);
		}
	} while (nl);
	fflush(stdout);
}

void ksft_print_header(void)
{
	if (!getenv("KSFT_TAP_LEVEL"))
		printf("TAP version 13\n");
	fflush(stdout);
}

void ksft_set_plan(unsigned int n)
{
	plan = n;
	plan_printed = true;
	printf("1..%u\n", n);
	fflush(stdout);
}

void ksft_print_msg(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = format_text(fmt, ap);
	va_end(ap);
	print_diag(s);
	free_text(s, fmt);
	errno = saved_errno;
}

static void result_line(const char *status, const char *name,
			const char *directive, const char *reason)
{
	printf("%s %u%s%s%s%s\n", status, ksft_test_num(),
	       *name ? " " : "", name,
	       directive ? directive : "", reason ? reason : "");
	fflush(stdout);
}

static void result(unsigned int *counter, const char *status,
		   const char *fmt, va_list ap)
{
	char *s = format_text(fmt, ap);

	fold_lines(s);
	(*counter)++;
	result_line(status, s, NULL, NULL);
	free_text(s, fmt);
}

void ksft_test_result_pass(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	result(&cnt.pass, "ok", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void ksft_test_result_fail(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	result(&cnt.fail, "not ok", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

static void directive_result(unsigned int *counter, const char *status,
			     const char *name, const char *directive,
			     const char *fmt, va_list ap)
{
	char *s = format_text(fmt, ap);

	fold_lines(s);
	(*counter)++;
	result_line(status, name ? name : "", directive, s);
	free_text(s, fmt);
}

void ksft_test_result_skip(const char *name, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	directive_result(&cnt.skip, "ok", name, " # SKIP ", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void ksft_test_result_error(const char *name, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	directive_result(&cnt.error, "not ok", name, " # error ", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void ksft_print_cnts(void)
{
	if (plan_printed && plan != ksft_test_num())
		printf("# Planned tests != run tests (%u != %u)\n",
		       plan, ksft_test_num());
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:%u\n",
	       cnt.pass, cnt.fail, cnt.skip, cnt.error);
	fflush(stdout);
}

__ksft_noreturn void ksft_exit_pass(void)
{
	before_exit();
	ksft_print_cnts();
	exit(KSFT_PASS);
}

__ksft_noreturn void ksft_exit_fail(void)
{
	before_exit();
	ksft_print_cnts();
	exit(KSFT_FAIL);
}

__ksft_noreturn void ksft_exit_fail_msg(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = format_text(fmt, ap);
	va_end(ap);
	fold_lines(s);
	before_exit();
	printf("Bail out! %s\n", s);
	free_text(s, fmt);
	ksft_print_cnts();
	exit(KSFT_FAIL);
}

__ksft_noreturn void ksft_exit_skip(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = format_text(fmt, ap);
	va_end(ap);
	fold_lines(s);
	before_exit();

	if (!plan_printed) {
		printf("1..0 # SKIP %s\n", s);
		fflush(stdout);
		exit(KSFT_SKIP);
	}
	/* Settle the plan: whatever is still owed is skipped for @s. */
	if (ksft_test_num() >= plan)
		printf("# SKIP %s\n", s);
	while (ksft_test_num() < plan) {
		cnt.skip++;
		printf("ok %u # SKIP %s\n", ksft_test_num(), s);
	}
	free_text(s, fmt);
	ksft_print_cnts();
	exit(cnt.fail || cnt.error ? KSFT_FAIL : KSFT_SKIP);
}

__ksft_noreturn void ksft_finished(void)
{
	before_exit();
	ksft_print_cnts();
	if (cnt.fail || cnt.error || (plan_printed && plan != ksft_test_num()))
		exit(KSFT_FAIL);
	if (!cnt.pass && cnt.skip)
		exit(KSFT_SKIP);
	exit(KSFT_PASS);
}
