// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CHECK_EXTENSION answers.
 *
 * One table, indexed by capability, holds every answer kvmm gives.  An
 * entry is added in the same commit as the code and the selftest that make
 * the capability true (Documentation/caps.rst); everything else is 0, as
 * KVM answers for a capability it does not know.
 */
#include <linux/kernel.h>
#include <linux/kvm.h>

#include <kvmm/kvmm.h>

/* Nothing yet: the foundation serves only the system ioctls. */
static const long kvmm_caps[] = {
	[KVM_CAP_IRQCHIP] = 0,
};

long kvmm_arch_check_extension(long cap)
{
	if (cap < 0 || cap >= ARRAY_SIZE(kvmm_caps))
		return 0;
	return kvmm_caps[cap];
}
