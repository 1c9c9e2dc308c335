// SPDX-License-Identifier: GPL-2.0
/*
 * Backend selection and the x86 arch hooks of the generic core.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>

#include <kvmm/kvmm.h>
#include <kvmm/backend.h>

#include <kvmm/x86.h>

#include "coexist.h"

const struct kvmm_backend_ops *kvmm_ops;

static const struct kvmm_backend *const kvmm_backends[] = {
	&kvmm_svm_backend,
	&kvmm_vmx_backend,
};

/* A backend that misses a mandatory operation is a kvmm bug. */
static int kvmm_check_ops(const struct kvmm_backend_ops *ops)
{
	int missing = 0;

#define KVMM_BACKEND_OP(ret, op, args)					\
	if (!ops->op) {							\
		kvmm_internal_error("backend %s lacks op %s\n",		\
				    ops->name, #op);			\
		missing++;						\
	}
#define KVMM_BACKEND_OP_OPTIONAL(ret, op, args)
#include <kvmm/backend-ops.h>

	return missing ? -EINVAL : 0;
}

int kvmm_arch_init(void)
{
	const char *why[ARRAY_SIZE(kvmm_backends)] = { };
	int err = -ENODEV;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmm_backends); i++) {
		err = kvmm_backends[i]->probe(&why[i]);
		if (!err)
			break;
		/* Another hypervisor owning the extension ends the search. */
		if (err == -EBUSY) {
			pr_err("%s: %s\n", kvmm_backends[i]->ops->name, why[i]);
			return err;
		}
	}
	if (err) {
		pr_err("no usable hardware virtualization (%s: %s; %s: %s)\n",
		       kvmm_backends[0]->ops->name, why[0],
		       kvmm_backends[1]->ops->name, why[1]);
		return -ENODEV;
	}

	err = kvmm_check_ops(kvmm_backends[i]->ops);
	if (err)
		return err;

	err = kvmm_coexist_init();
	if (err)
		return err;

	kvmm_ops = kvmm_backends[i]->ops;
	kvmm_xsave_init();
	return 0;
}

void kvmm_arch_exit(void)
{
	kvmm_coexist_exit();
	kvmm_ops = NULL;
}

int kvmm_arch_hardware_setup(void)
{
	int err = kvmm_ops->hardware_setup();

	if (err)
		kvmm_uret_msrs_reset();
	return err;
}

void kvmm_arch_hardware_unsetup(void)
{
	kvmm_ops->hardware_unsetup();
	kvmm_uret_msrs_reset();
}

int kvmm_arch_hw_enable_cpu(void)
{
	kvmm_uret_cpu_enable();
	return kvmm_ops->hardware_enable();
}

/* Host values of user-return MSRs go back before the CPU is let go. */
void kvmm_arch_hw_disable_cpu(void)
{
	kvmm_uret_cpu_disable();
	kvmm_ops->hardware_disable();
}

/*
 * " name name ..." for the bits of @mask that have a name in @names[@nr],
 * " none" when there are none: the feature list of a backend's report.
 */
const char *kvmm_feature_list(char *buf, size_t size,
			      const char *const *names, unsigned int nr,
			      u32 mask)
{
	unsigned int bit;
	int len = 0;

	buf[0] = '\0';
	for (bit = 0; bit < nr && bit < 32; bit++)
		if ((mask & BIT(bit)) && names[bit])
			len += scnprintf(buf + len, size - len, " %s",
					 names[bit]);
	return len ? buf : " none";
}

void kvmm_arch_report(void)
{
	if (kvmm_ops->report)
		kvmm_ops->report();
}
