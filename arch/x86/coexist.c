// SPDX-License-Identifier: GPL-2.0
/*
 * Living beside Linux's own KVM.
 *
 * SVM and VMX have one owner per CPU.  kvm_amd/kvm_intel are refused while
 * kvmm is loaded: a module notifier fails their MODULE_STATE_COMING, which
 * aborts the load before their init runs (kernel/module/main.c,
 * prepare_coming_module).  The other direction, kvmm loading while a KVM
 * vendor module is present, is caught in virt/hw_enable.c when the KVM CPU
 * hotplug state turns out to be taken.  kvm.ko alone takes no hardware and
 * may stay.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/string.h>

#include "coexist.h"

static const char *const kvmm_rivals[] = { "kvm_amd", "kvm_intel" };

static int kvmm_module_notify(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;
	unsigned int i;

	if (state != MODULE_STATE_COMING)
		return NOTIFY_DONE;

	for (i = 0; i < ARRAY_SIZE(kvmm_rivals); i++) {
		if (strcmp(mod->name, kvmm_rivals[i]))
			continue;
		pr_err("refusing to let %s load: kvmm owns hardware virtualization; unload kvmm first\n",
		       mod->name);
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_DONE;
}

static struct notifier_block kvmm_module_nb = {
	.notifier_call = kvmm_module_notify,
};

int kvmm_coexist_init(void)
{
	return register_module_notifier(&kvmm_module_nb);
}

void kvmm_coexist_exit(void)
{
	unregister_module_notifier(&kvmm_module_nb);
}
