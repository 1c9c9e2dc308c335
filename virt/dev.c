// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kvm: the system file of Linux KVM's ABI (Documentation/virt/kvm/
 * api.rst, "System ioctls"), served by kvmm.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <kvmm/kvmm.h>
#include <kvmm/ioctl.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include <kvmm/backend.h>

static char *devname = "kvm";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname, "name of the device node under /dev (default kvm)");

/* KVM_GET_API_VERSION: the argument must be 0 (api.rst 4.1). */
static long kvmm_dev_get_api_version(struct file *filp, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return KVM_API_VERSION;
}

/*
 * KVM_CHECK_EXTENSION: 0 for anything kvmm does not implement and test;
 * a capability is reported only once it works (Documentation/caps.rst).
 */
static long kvmm_dev_check_extension(struct file *filp, unsigned long arg)
{
	return kvmm_check_extension(NULL, (long)arg);
}

static long kvmm_dev_create_vm_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_dev_create_vm(arg);
}

/*
 * KVM_GET_VCPU_MMAP_SIZE: struct kvm_run, the PIO data page and the
 * coalesced-MMIO ring (pages 0, KVM_PIO_PAGE_OFFSET and
 * KVM_COALESCED_MMIO_PAGE_OFFSET), as KVM on x86.
 */
static_assert(KVM_PIO_PAGE_OFFSET == 1 && KVM_COALESCED_MMIO_PAGE_OFFSET == 2);

static long kvmm_dev_get_vcpu_mmap_size(struct file *filp, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE;
}

static long kvmm_dev_get_supported_cpuid(struct file *filp,
					 unsigned long arg)
{
	if (kvmm_ops->guests_unsupported())
		return -EINVAL;
	return kvmm_x86_get_supported_cpuid((void __user *)arg);
}

static long kvmm_dev_get_msr_index_list(struct file *filp, unsigned long arg)
{
	if (kvmm_ops->guests_unsupported())
		return -EINVAL;
	return kvmm_x86_get_msr_index_list((void __user *)arg);
}

static long kvmm_dev_get_msr_feature_index_list(struct file *filp,
						unsigned long arg)
{
	if (kvmm_ops->guests_unsupported())
		return -EINVAL;
	return kvmm_x86_get_msr_feature_index_list((void __user *)arg);
}

/* KVM_GET_MSRS on /dev/kvm reads feature MSRs (api.rst 4.18). */
static long kvmm_dev_get_msrs(struct file *filp, unsigned long arg)
{
	if (kvmm_ops->guests_unsupported())
		return -EINVAL;
	return kvmm_x86_get_feature_msrs((void __user *)arg);
}

static long kvmm_dev_get_mce_cap_supported(struct file *filp,
					   unsigned long arg)
{
	return kvmm_x86_get_mce_cap_supported((void __user *)arg);
}

/* Locking: none of these touches shared state. */
static const struct kvmm_ioctl_desc kvmm_dev_ioctls[] = {
	KVMM_IOCTL(KVM_GET_API_VERSION, kvmm_dev_get_api_version,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_CHECK_EXTENSION, kvmm_dev_check_extension,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_CREATE_VM, kvmm_dev_create_vm_ioctl, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_VCPU_MMAP_SIZE, kvmm_dev_get_vcpu_mmap_size,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_SUPPORTED_CPUID, kvmm_dev_get_supported_cpuid,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_MSR_INDEX_LIST, kvmm_dev_get_msr_index_list,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_MSR_FEATURE_INDEX_LIST,
		   kvmm_dev_get_msr_feature_index_list, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_MSRS, kvmm_dev_get_msrs, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_X86_GET_MCE_CAP_SUPPORTED,
		   kvmm_dev_get_mce_cap_supported, KVMM_LOCK_NONE),
};

static long kvmm_dev_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	/* KVM answers -EINVAL to an ioctl /dev/kvm does not know. */
	return kvmm_ioctl_dispatch(kvmm_dev_ioctls,
				   ARRAY_SIZE(kvmm_dev_ioctls), filp, cmd,
				   arg, -EINVAL);
}

static const struct file_operations kvmm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvmm_dev_ioctl,
	.compat_ioctl	= kvmm_dev_ioctl,
	.llseek		= noop_llseek,
};

/*
 * KVM's fixed minor, so existing device nodes and udev's static_node=kvm
 * rule apply.  Mode 0660: devtmpfs creates the node root-only otherwise;
 * udev then hands it to group kvm.
 */
static struct miscdevice kvmm_dev = {
	.minor	= KVM_MINOR,
	.fops	= &kvmm_dev_fops,
	.mode	= 0660,
};

int kvmm_dev_init(void)
{
	int err;

	if (!devname || !*devname || strchr(devname, '/')) {
		pr_err("invalid devname\n");
		return -EINVAL;
	}
	kvmm_dev.name = devname;
	err = misc_register(&kvmm_dev);
	if (err == -EBUSY)
		pr_err("misc minor %d is taken (is another kvm loaded?)\n",
		       KVM_MINOR);
	return err;
}

void kvmm_dev_exit(void)
{
	misc_deregister(&kvmm_dev);
}

const char *kvmm_dev_name(void)
{
	return devname;
}
