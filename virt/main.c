// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm: a hypervisor module serving Linux KVM's userspace ABI.
 *
 * Load order is refusal checks first, then ownership of the hardware, then
 * the device node last, so userspace never sees /dev/kvm before kvmm can
 * serve it; unload is the reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>

#include <kvmm/kvmm.h>
#include <kvmm/irq.h>

static int __init kvmm_init(void)
{
	int err;

	err = kvmm_arch_init();
	if (err)
		return err;

	err = kvmm_hw_init();
	if (err)
		goto out_arch;

	err = kvmm_irqfd_module_init();
	if (err)
		goto out_hw;

	kvmm_debugfs_init();

	err = kvmm_dev_init();
	if (err)
		goto out_debugfs;

	kvmm_arch_report();
	pr_info("ready: /dev/%s (misc 10:%d)\n", kvmm_dev_name(), KVM_MINOR);
	return 0;

out_debugfs:
	kvmm_debugfs_exit();
	kvmm_irqfd_module_exit();
out_hw:
	kvmm_hw_exit();
out_arch:
	kvmm_arch_exit();
	kvmm_alloc_check_leaks();
	return err;
}

static void __exit kvmm_exit(void)
{
	kvmm_dev_exit();
	kvmm_debugfs_exit();
	kvmm_irqfd_module_exit();
	kvmm_hw_exit();
	kvmm_arch_exit();
	if (!kvmm_alloc_check_leaks())
		pr_info("unloaded\n");
}

module_init(kvmm_init);
module_exit(kvmm_exit);

MODULE_DESCRIPTION("kvmm: hypervisor serving Linux KVM's userspace ABI");
MODULE_AUTHOR("The kvmm developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(KVM_MINOR);
MODULE_ALIAS("devname:kvm");
