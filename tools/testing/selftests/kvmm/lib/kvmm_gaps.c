// SPDX-License-Identifier: GPL-2.0
/*
 * The gaps table: what kvmm does not implement yet and KVM has no
 * capability for (see kvmm_gaps.h).  The commit that implements a feature
 * deletes its entry here; nothing else needs to change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kvmm_gaps.h"

static const struct {
	const char *name;
	const char *reason;
} kvmm_gaps[] = {
	/* Ends with an empty entry, so the table may hold nothing else. */
	{ NULL, NULL },
};

/* Is @name a word of KVMM_IGNORE_GAPS (or is that "all")? */
static bool gap_ignored(const char *name)
{
	const char *list = env_str("KVMM_IGNORE_GAPS", NULL);
	size_t len = strlen(name);
	const char *p;

	if (!list)
		return false;
	for (p = list; *p; ) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if ((n == len && !strncmp(p, name, n)) ||
		    (n == 3 && !strncmp(p, "all", 3)))
			return true;
		p += n;
	}
	return false;
}

const char *kvmm_gap_reason(const char *name)
{
	unsigned int i;

	if (test_mode() != TEST_MODE_KVMM || gap_ignored(name))
		return NULL;
	for (i = 0; kvmm_gaps[i].name; i++)
		if (!strcmp(kvmm_gaps[i].name, name))
			return kvmm_gaps[i].reason;
	return NULL;
}

bool kvmm_gap(const char *name)
{
	return kvmm_gap_reason(name) != NULL;
}

bool kvmm_gap_skip(const char *name, const char *result_fmt, ...)
{
	const char *reason = kvmm_gap_reason(name);
	va_list ap;
	char *result;

	if (!reason)
		return false;
	va_start(ap, result_fmt);
	if (vasprintf(&result, result_fmt, ap) < 0)
		result = NULL;
	va_end(ap);
	ksft_test_result_skip(result ? result : result_fmt,
			      "kvmm gap \"%s\": %s", name, reason);
	free(result);
	return true;
}

bool kvm_cap_skip(long cap, const char *result_fmt, ...)
{
	const char *name;
	va_list ap;
	char *result;

	if (kvm_check_cap(cap))
		return false;
	name = kvm_cap_name(cap);
	va_start(ap, result_fmt);
	if (vasprintf(&result, result_fmt, ap) < 0)
		result = NULL;
	va_end(ap);
	if (name)
		ksft_test_result_skip(result ? result : result_fmt,
				      "KVM_CAP_%s not reported", name);
	else
		ksft_test_result_skip(result ? result : result_fmt,
				      "capability %ld not reported", cap);
	free(result);
	return true;
}
