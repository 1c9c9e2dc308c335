// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log reader over /dev/kmsg.
 *
 * Each read() of /dev/kmsg returns one record: "prio,seq,usec,flags;text\n"
 * optionally followed by " KEY=value\n" lines.  Text is escaped by the kernel
 * (non-printables as \xNN), so plain substring matching is enough.  Reads
 * never block (O_NONBLOCK: EAGAIN means "no more for now"), and EPIPE means
 * records were overwritten before we read them; reading on resumes at the
 * oldest record still available.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "test_util.h"

/* Larger than the longest record printk emits (text plus dictionary). */
#define KMSG_RECORD_MAX	8192

/* Window size limit: a flood of messages must not eat the test's memory. */
#define KMSG_WINDOW_MAX	4096

static const char * const problem_patterns[] = {
	"Oops",
	"BUG:",
	"kernel BUG at",
	"WARNING:",
	"general protection fault",
	"soft lockup",
	"hard LOCKUP",
	"detected stall",
	"blocked for more than",
	"UBSAN:",
	"KASAN:",
	"Kernel panic",
	"kvmm: internal error",
};

bool kmsg_is_problem(const char *text)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(problem_patterns); i++)
		if (strstr(text, problem_patterns[i]))
			return true;
	return false;
}

int kmsg_open(struct kmsg *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(k->fd);
		k->fd = -1;
		return err;
	}
	return 0;
}

static void window_clear(struct kmsg *k)
{
	size_t i;

	for (i = 0; i < k->nr_recs; i++)
		free(k->recs[i]);
	k->nr_recs = 0;
}

void kmsg_close(struct kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	window_clear(k);
	free(k->recs);
	k->recs = NULL;
	k->cap_recs = 0;
}

static void window_add(struct kmsg *k, const char *text, size_t len)
{
	char **recs;
	char *s;

	if (k->nr_recs >= KMSG_WINDOW_MAX)
		return;
	if (k->nr_recs == k->cap_recs) {
		size_t cap = k->cap_recs ? 2 * k->cap_recs : 32;

		recs = realloc(k->recs, cap * sizeof(*recs));
		if (!recs)
			return;
		k->recs = recs;
		k->cap_recs = cap;
	}
	s = strndup(text, len);
	if (s)
		k->recs[k->nr_recs++] = s;
}

int kmsg_poll(struct kmsg *k)
{
	char buf[KMSG_RECORD_MAX];
	int nr = 0;

	if (k->fd < 0)
		return -EBADF;
	for (;;) {
		ssize_t r = read(k->fd, buf, sizeof(buf) - 1);
		char *text, *end;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				k->lost++;
				continue;
			}
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		if (!r)
			break;
		buf[r] = '\0';
		text = strchr(buf, ';');
		text = text ? text + 1 : buf;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';

		if (kmsg_is_problem(text)) {
			k->problems++;
			ksft_print_msg("kmsg problem: %s", text);
		}
		window_add(k, text, strlen(text));
		nr++;
	}
	return nr;
}

void kmsg_mark(struct kmsg *k)
{
	kmsg_poll(k);
	window_clear(k);
}

bool kmsg_has(struct kmsg *k, const char *substr)
{
	size_t i;

	kmsg_poll(k);
	for (i = 0; i < k->nr_recs; i++)
		if (strstr(k->recs[i], substr))
			return true;
	return false;
}

unsigned int kmsg_count_prefix(struct kmsg *k, const char *prefix)
{
	size_t i, len = strlen(prefix);
	unsigned int n = 0;

	kmsg_poll(k);
	for (i = 0; i < k->nr_recs; i++)
		if (!strncmp(k->recs[i], prefix, len))
			n++;
	return n;
}

unsigned int kmsg_problems(struct kmsg *k)
{
	kmsg_poll(k);
	return k->problems;
}

void kmsg_dump(struct kmsg *k)
{
	size_t i;

	kmsg_poll(k);
	for (i = 0; i < k->nr_recs; i++)
		ksft_print_msg("kmsg: %s", k->recs[i]);
}
