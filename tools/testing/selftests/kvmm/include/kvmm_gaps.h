/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kvmm does not implement yet, and how tests skip exactly that.
 *
 * Two kinds of gate, in this order of preference:
 *
 *  1. A KVM capability.  Where Linux KVM has a capability for a feature
 *     (KVM_CAP_XSAVE, KVM_CAP_XCRS, KVM_CAP_VCPU_EVENTS, KVM_CAP_DEBUGREGS,
 *     KVM_CAP_SYNC_REGS, KVM_CAP_READONLY_MEM, ...), a test gates on the
 *     answer with kvm_cap_skip(): the same code is right for both modes, and
 *     kvmm turns the test on by reporting the capability (arch/x86/caps.c).
 *
 *  2. The gaps table (lib/kvmm_gaps.c), for features KVM has no capability
 *     for (MMIO exits, string I/O, KVM_GET/SET_FPU, KVM_TRANSLATE, dirty
 *     logging).  kvmm_gap("mmio") is true only with KVMM_MODE=kvmm and an
 *     entry "mmio" in the table; the commit that implements a feature
 *     deletes its entry, and every test gated on it runs from then on.
 *
 * A gated sub-test is reported as skipped with the table's reason:
 *
 *	if (kvmm_gap_skip("mmio", "mmio %s", op_name))
 *		return;
 *	-> ok 7 mmio mov8 read # SKIP kvmm gap "mmio": MMIO exits need ...
 *
 * Neither gate ever skips anything in ref mode except through a capability
 * the reference itself answers 0 for.
 *
 * KVMM_IGNORE_GAPS="mmio string_io" (or "all") disables table entries, to
 * watch a feature's tests while implementing it.
 */
#ifndef KVMM_SELFTEST_KVMM_GAPS_H
#define KVMM_SELFTEST_KVMM_GAPS_H

#include <stdbool.h>

#include "ktap.h"

/*
 * True when KVMM_MODE=kvmm and @name is an entry of the table (and not
 * listed in KVMM_IGNORE_GAPS).  A name without an entry is implemented.
 */
bool kvmm_gap(const char *name);
/* The entry's one-line reason, or NULL when kvmm_gap(@name) is false. */
const char *kvmm_gap_reason(const char *name);

/*
 * If kvmm_gap(@name): report the sub-result named by @result_fmt as skipped
 * with the entry's reason and return true.  Otherwise return false and
 * report nothing.
 */
bool kvmm_gap_skip(const char *name, const char *result_fmt, ...)
	__ksft_printf(2, 3);

/*
 * If KVM_CHECK_EXTENSION(@cap) answers 0 (on a fresh /dev/kvm fd): report
 * the sub-result named by @result_fmt as skipped ("KVM_CAP_XSAVE not
 * reported") and return true.  Otherwise return false.
 */
bool kvm_cap_skip(long cap, const char *result_fmt, ...) __ksft_printf(2, 3);

#endif /* KVMM_SELFTEST_KVMM_GAPS_H */
