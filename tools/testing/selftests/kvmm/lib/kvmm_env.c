// SPDX-License-Identifier: GPL-2.0
/*
 * The test host contract: environment, and loading/unloading the hypervisor
 * under test in either mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "kvmm_env.h"
#include "test_util.h"

enum test_mode test_mode(void)
{
	const char *m = env_str("KVMM_MODE", NULL);

	if (!m)
		return TEST_MODE_UNSET;
	if (!strcmp(m, "kvmm"))
		return TEST_MODE_KVMM;
	if (!strcmp(m, "ref"))
		return TEST_MODE_REF;
	TEST_FAIL("KVMM_MODE=\"%s\": expected \"kvmm\" or \"ref\"", m);
}

const char *test_mode_name(void)
{
	switch (test_mode()) {
	case TEST_MODE_KVMM:
		return "kvmm";
	case TEST_MODE_REF:
		return "ref";
	default:
		return "unset";
	}
}

const char *test_config(void)
{
	return env_str("KVMM_CONFIG", "unknown");
}

const char *kvmm_module_path(void)
{
	return env_str("KVMM_MODULE", NULL);
}

void str_list_from_env(struct str_list *l, const char *name)
{
	const char *v = env_str(name, "");
	char *copy, *tok, *save;

	l->nr = 0;
	l->v = NULL;
	copy = strdup(v);
	TEST_ASSERT(copy, "out of memory");
	for (tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		l->v = realloc(l->v, (l->nr + 1) * sizeof(*l->v));
		TEST_ASSERT(l->v, "out of memory");
		l->v[l->nr] = strdup(tok);
		TEST_ASSERT(l->v[l->nr], "out of memory");
		l->nr++;
	}
	free(copy);
}

void str_list_free(struct str_list *l)
{
	unsigned int i;

	for (i = 0; i < l->nr; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->nr = 0;
}

void ref_modules(struct str_list *l)
{
	str_list_from_env(l, "KVMM_REF_MODULES");
}

void ref_unload_names(struct str_list *l)
{
	str_list_from_env(l, "KVMM_REF_UNLOAD");
}

bool ref_modules_present(void)
{
	struct str_list mods;
	bool ok;
	unsigned int i;

	ref_modules(&mods);
	ok = mods.nr > 0;
	for (i = 0; i < mods.nr; i++)
		ok = ok && file_exists(mods.v[i]);
	str_list_free(&mods);
	return ok;
}

bool hv_is_loaded(void)
{
	struct str_list names;
	unsigned int i;
	bool loaded;

	if (test_mode() == TEST_MODE_KVMM)
		return module_is_loaded(KVMM_MODULE_NAME);

	ref_unload_names(&names);
	loaded = names.nr > 0;
	for (i = 0; i < names.nr; i++)
		loaded = loaded && module_is_loaded(names.v[i]);
	str_list_free(&names);
	return loaded;
}

int hv_load(void)
{
	struct str_list mods;
	unsigned int i;
	int ret = 0;

	if (test_mode() == TEST_MODE_KVMM) {
		if (!kvmm_module_path())
			return -ENOENT;
		return module_load(kvmm_module_path(), NULL);
	}

	ref_modules(&mods);
	if (!mods.nr)
		ret = -ENOENT;
	for (i = mods.nr >= 2 ? mods.nr - 2 : 0; i < mods.nr && !ret; i++) {
		ret = module_load(mods.v[i], NULL);
		if (ret == -EEXIST && i + 1 < mods.nr)
			ret = 0;
	}
	str_list_free(&mods);
	return ret;
}

int hv_unload(void)
{
	struct str_list names;
	unsigned int i;
	int ret = 0;

	if (test_mode() == TEST_MODE_KVMM)
		return module_unload(KVMM_MODULE_NAME);

	ref_unload_names(&names);
	if (!names.nr)
		ret = -ENOENT;
	for (i = 0; i < names.nr && !ret; i++)
		ret = module_unload(names.v[i]);
	str_list_free(&names);
	return ret;
}

void hv_restore(void)
{
	int ret;

	if (test_mode() == TEST_MODE_UNSET || hv_is_loaded())
		return;
	ret = hv_load();
	if (ret)
		ksft_print_msg("restore: loading the %s hypervisor failed: %s",
			       test_mode_name(), errno_name(-ret));
	else
		pr_debug("restore: %s hypervisor loaded again",
			 test_mode_name());
}

void hv_restore_cleanup(void *unused)
{
	(void)unused;
	hv_restore();
}

int kvmm_read_allocations(unsigned long long *objects,
			  unsigned long long *bytes)
{
	char *s;
	ssize_t r = read_file_str(KVMM_ALLOCATIONS_PATH, &s);
	int ret = 0;

	if (r < 0)
		return r;
	if (sscanf(s, "objects %llu bytes %llu", objects, bytes) != 2)
		ret = -EINVAL;
	free(s);
	return ret;
}

static int debugfs_stat_in(const char *dir, int vm_fd, const char *name,
			   unsigned long long *val)
{
	char path[256], *s, *end;
	ssize_t r;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%d-%d/%s", dir, (int)getpid(), vm_fd,
		 name);
	r = read_file_str(path, &s);
	if (r < 0)
		return r;
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		ret = -EINVAL;
	free(s);
	return ret;
}

int vm_debugfs_stat(int vm_fd, const char *name, unsigned long long *val)
{
	int ret;

	switch (test_mode()) {
	case TEST_MODE_KVMM:
		return debugfs_stat_in(KVMM_DEBUGFS_DIR, vm_fd, name, val);
	case TEST_MODE_REF:
		return debugfs_stat_in(KVM_DEBUGFS_DIR, vm_fd, name, val);
	default:
		ret = debugfs_stat_in(KVMM_DEBUGFS_DIR, vm_fd, name, val);
		if (ret == -ENOENT)
			ret = debugfs_stat_in(KVM_DEBUGFS_DIR, vm_fd, name, val);
		return ret;
	}
}
