// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side helpers: module load/unload, /proc/meminfo, caches, CPU flags,
 * taint and device node presence.  No assertions here: callers decide.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/module.h>

#include "host_util.h"
#include "test_util.h"

/* Unload retries: 200 x 10 ms covers a reference dropped just before. */
#define UNLOAD_TRIES	200
#define UNLOAD_WAIT_MS	10

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

int module_load(const char *path, const char *params)
{
	unsigned int flags = 0;
	int fd, ret, err = 0;

	if (has_suffix(path, ".xz") || has_suffix(path, ".zst") ||
	    has_suffix(path, ".gz"))
		flags |= MODULE_INIT_COMPRESSED_FILE;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", flags);
	if (ret)
		err = -errno;
	close(fd);
	return err;
}

int module_unload(const char *name)
{
	int tries;

	for (tries = 0; tries < UNLOAD_TRIES; tries++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		msleep(UNLOAD_WAIT_MS);
	}
	return -errno;
}

/* Compare module names treating '-' and '_' alike, as the kernel does. */
static bool module_name_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++, a++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = b[i] == '-' ? '_' : b[i];

		if (!ca || ca != cb)
			return false;
	}
	return !*a;
}

bool module_is_loaded(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = module_name_eq(name, line, strcspn(line, " "));
	fclose(f);
	return found;
}

void module_name_from_path(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(name, size, "%s", base ? base + 1 : path);
	dot = strstr(name, ".ko");
	if (dot)
		*dot = '\0';
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

bool file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

long kernel_tainted(void)
{
	char *s;
	long v;
	ssize_t r = read_file_str("/proc/sys/kernel/tainted", &s);

	if (r < 0)
		return r;
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

long meminfo_kib(const char *field)
{
	size_t flen = strlen(field);
	char line[256];
	long v = -ENOENT;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int drop_caches(void)
{
	sync();
	return write_file_str("/proc/sys/vm/drop_caches", "3");
}

/*
 * Is @flag a word in the value of the first "@key : value" line of
 * /proc/cpuinfo?  The first CPU stands for all: the features that matter
 * here are uniform across CPUs.
 */
static bool cpuinfo_has(const char *key, const char *flag)
{
	size_t klen = strlen(key), flen = strlen(flag);
	char *buf, *line, *p, *end;
	bool found = false;

	if (read_file("/proc/cpuinfo", &buf) < 0)
		return false;
	for (line = buf; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strncmp(line, key, klen))
			continue;
		p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		for (p++; *p; p += strcspn(p, " ")) {
			p += strspn(p, " ");
			if (!strncmp(p, flag, flen) &&
			    (p[flen] == ' ' || !p[flen])) {
				found = true;
				break;
			}
		}
		break;
	}
	free(buf);
	return found;
}

bool host_cpu_has(const char *flag)
{
	return cpuinfo_has("flags", flag);
}

bool host_cpu_has_vmx_feature(const char *flag)
{
	return cpuinfo_has("vmx flags", flag);
}

bool wait_for_path(const char *path, bool present, unsigned int ms)
{
	uint64_t deadline = now_ns() + ms * 1000000ull;
	struct stat st;

	for (;;) {
		bool exists = stat(path, &st) == 0;

		if (exists == present)
			return true;
		if (now_ns() >= deadline)
			return false;
		msleep(5);
	}
}

int host_read_msr(int cpu, uint32_t index, uint64_t *val)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	r = pread(fd, val, sizeof(*val), index) == sizeof(*val) ? 0 : -EIO;
	close(fd);
	return r;
}

void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity(cpu %d)", cpu);
}
