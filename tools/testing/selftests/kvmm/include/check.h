/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK() for tests that chain several checks into one KTAP result: a
 * failed result then says which of its checks failed.  Not in
 * test_util.h, since other tests define a CHECK of their own.
 */
#ifndef KVMM_SELFTEST_CHECK_H
#define KVMM_SELFTEST_CHECK_H

#include <stdbool.h>

#include "test_util.h"

/* Report which check of a chain failed: ok &= CHECK(expr). */
#define CHECK(expr)							\
({									\
	bool __ok = (expr);						\
									\
	if (!__ok)							\
		pr_info("%s:%d: failed: %s", __func__, __LINE__, #expr);\
	__ok;								\
})

#endif /* KVMM_SELFTEST_CHECK_H */
