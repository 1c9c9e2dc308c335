// SPDX-License-Identifier: GPL-2.0
/*
 * x86 parts of a VM: the backend's VM state, the second-level page table,
 * and the two VMX-era addresses KVM's ABI lets userspace set.
 */
#include <linux/debugfs.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

int kvmm_x86_vm_init(struct kvmm_vm *vm)
{
	int r;

	atomic64_set(&vm->arch.tlb_gen, 0);
	r = kvmm_tdp_init(vm);
	if (r)
		return r;
	r = kvmm_ops->vm_init(vm);
	if (r)
		kvmm_tdp_destroy(vm);
	return r;
}

void kvmm_x86_vm_destroy(struct kvmm_vm *vm)
{
	kvmm_ops->vm_destroy(vm);
	kvmm_tdp_destroy(vm);
}

/*
 * The VM's debugfs directory: second-level leaves by size, under the
 * names and in the format of Linux 6.1's x86 VM statistics.
 */
void kvmm_x86_vm_debugfs_init(struct kvmm_vm *vm, struct dentry *dir)
{
	debugfs_create_u64("pages_4k", 0444, dir, &vm->arch.tdp.leaves[0]);
	debugfs_create_u64("pages_2m", 0444, dir, &vm->arch.tdp.leaves[1]);
}

/* KVM_MEM_READONLY only: dirty logging is not implemented yet. */
u32 kvmm_x86_memslot_flags(void)
{
	return KVM_MEM_READONLY;
}

/*
 * KVM_SET_TSS_ADDR (api.rst 4.42): three pages below 4 GiB that real-mode
 * emulation on VMX without unrestricted guest may use.  Recorded for the
 * VMX backend; the checks are KVM's (the range must not wrap past 4 GiB).
 */
long kvmm_x86_vm_set_tss_addr(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;

	if (arg > (u32)(-3 * PAGE_SIZE))
		return -EINVAL;
	vm->arch.tss_addr = arg;
	return 0;
}

/* KVM_SET_IDENTITY_MAP_ADDR (api.rst 4.60): one page, before any vCPU. */
long kvmm_x86_vm_set_identity_map(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	u64 addr;

	if (copy_from_user(&addr, (void __user *)arg, sizeof(addr)))
		return -EFAULT;
	if (vm->created_vcpus)
		return -EINVAL;
	vm->arch.identity_map_addr = addr;
	return 0;
}
