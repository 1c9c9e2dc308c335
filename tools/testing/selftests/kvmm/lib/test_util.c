// SPDX-License-Identifier: GPL-2.0
/*
 * Assertion reporting, cleanup steps and small helpers for kvmm selftests.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_util.h"

#define MAX_CLEANUPS	16

static struct cleanup {
	void (*fn)(void *arg);
	void *arg;
} cleanups[MAX_CLEANUPS];
static unsigned int nr_cleanups;
static bool in_cleanup;
static bool atexit_registered;

bool test_debug_enabled(void)
{
	return env_long("KVMM_DEBUG", 0) != 0;
}

static void run_cleanups(void)
{
	if (!ksft_is_main_process() || in_cleanup)
		return;
	in_cleanup = true;
	while (nr_cleanups) {
		struct cleanup *c = &cleanups[--nr_cleanups];

		c->fn(c->arg);
	}
	in_cleanup = false;
}

void test_cleanup_push(void (*fn)(void *arg), void *arg)
{
	if (!atexit_registered) {
		/* Before the totals if exiting via ktap.h, else at exit. */
		ksft_set_exit_hook(run_cleanups);
		atexit(run_cleanups);
		atexit_registered = true;
	}
	TEST_ASSERT(nr_cleanups < MAX_CLEANUPS, "too many cleanup steps");
	cleanups[nr_cleanups].fn = fn;
	cleanups[nr_cleanups].arg = arg;
	nr_cleanups++;
}

void test_cleanup_pop(bool run)
{
	struct cleanup c;

	TEST_ASSERT(nr_cleanups > 0, "no cleanup step to pop");
	c = cleanups[--nr_cleanups];
	if (run)
		c.fn(c.arg);
}

const char *errno_name(int err)
{
	static __thread char buf[16];
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

__ksft_noreturn void test_assert_fail(const char *expr, const char *file,
				      unsigned int line, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);

	ksft_print_msg("==== Test Assertion Failure ====");
	ksft_print_msg("  %s:%u: %s", file, line, expr);
	ksft_print_msg("  pid=%d tid=%ld errno=%d (%s: %s)", getpid(),
		       (long)syscall(SYS_gettid), err, errno_name(err),
		       strerror(err));
	if (msg) {
		ksft_print_msg("  %s", msg);
		free(msg);
	}

	/*
	 * A failing cleanup step must not re-enter the cleanups, and a
	 * forked child leaves the verdict (and the KTAP stream) to its parent.
	 */
	if (in_cleanup || !ksft_is_main_process()) {
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	ksft_exit_fail_msg("assertion failed at %s:%u", file, line);
}

const char *env_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 0);
	TEST_ASSERT(!errno && !*end, "environment %s=\"%s\" is not a number",
		    name, v);
	return n;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double elapsed_s(uint64_t start_ns)
{
	return (now_ns() - start_ns) / 1e9;
}

void msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

ssize_t read_file(const char *path, char **bufp)
{
	size_t len = 0, size = 4096;
	char *buf, *tmp;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= size) {
			size *= 2;
			tmp = realloc(buf, size);
			if (!tmp) {
				err = ENOMEM;
				goto fail;
			}
			buf = tmp;
		}
		r = read(fd, buf + len, size - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto fail;
		}
		if (!r)
			break;
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	return len;
fail:
	free(buf);
	close(fd);
	return -err;
}

ssize_t read_file_str(const char *path, char **bufp)
{
	ssize_t len = read_file(path, bufp);

	while (len > 0 && strchr(" \t\n", (*bufp)[len - 1]))
		(*bufp)[--len] = '\0';
	return len;
}

int write_file_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, s, len);
	if (r < 0)
		err = -errno;
	else if ((size_t)r != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}
