// SPDX-License-Identifier: GPL-2.0
/*
 * x86 parts of a VM: the backend's VM state, the second-level page table,
 * and the two VMX-era addresses KVM's ABI lets userspace set.
 */
#include <linux/debugfs.h>
#include <linux/kvm.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

#include "irqchip/irqchip.h"

int kvmm_x86_vm_init(struct kvmm_vm *vm)
{
	int r;

	kvmm_x86_kvmclock_vm_init(vm);
	r = kvmm_tdp_init(vm);
	if (r)
		return r;
	r = kvmm_ops->vm_init(vm);
	if (r)
		kvmm_tdp_destroy(vm);
	return r;
}

/*
 * At VM destruction, before the vCPUs go: in-kernel devices whose timers
 * or workers raise interrupts stop here, so none reaches a freed vCPU.
 */
void kvmm_arch_vm_stop_devices(struct kvmm_vm *vm)
{
	kvmm_pit_stop(vm);
}

void kvmm_x86_vm_destroy(struct kvmm_vm *vm)
{
	kvmm_pit_free(vm);
	kvmm_irqchip_destroy(vm);
	kvmm_ops->vm_destroy(vm);
	kvmm_tdp_destroy(vm);
}

/*
 * exception_intercepts: one line per vCPU, "<vcpu id> 0x<bitmap>", the
 * exception vectors whose delivery exits (bit n: vector n), so tests can
 * see the intercepts the emulated CPU cannot show at work (#AC, #MC).
 * vm->lock keeps vCPUs from being published or unpublished meanwhile;
 * the VM frees none before this file is gone.
 */
static int kvmm_exception_intercepts_show(struct seq_file *m, void *unused)
{
	struct kvmm_vm *vm = m->private;
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	mutex_lock(&vm->lock);
	xa_for_each(&vm->vcpus, i, vcpu)
		seq_printf(m, "%u 0x%08x\n", vcpu->vcpu_id,
			   kvmm_ops->exception_intercepts(vcpu));
	mutex_unlock(&vm->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvmm_exception_intercepts);

/*
 * The VM's debugfs directory: second-level leaves by size, under the
 * names and in the format of Linux 6.1's x86 VM statistics, and kvmm's
 * own exception_intercepts and dirty-logging counters (writes that found
 * a page the log had write-protected, 2-MiB leaves split for logging).
 */
void kvmm_x86_vm_debugfs_init(struct kvmm_vm *vm, struct dentry *dir)
{
	debugfs_create_u64("pages_4k", 0444, dir, &vm->arch.tdp.leaves[0]);
	debugfs_create_u64("pages_2m", 0444, dir, &vm->arch.tdp.leaves[1]);
	debugfs_create_u64("dirty_wrprot_faults", 0444, dir,
			   &vm->arch.tdp.wrprot_faults);
	debugfs_create_u64("dirty_split_2m", 0444, dir,
			   &vm->arch.tdp.split_2m);
	if (kvmm_ops->exception_intercepts)
		debugfs_create_file("exception_intercepts", 0444, dir, vm,
				    &kvmm_exception_intercepts_fops);
}

/* The slot flags of KVM 6.1 on x86. */
u32 kvmm_x86_memslot_flags(void)
{
	return KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES;
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

/*
 * KVM_ENABLE_CAP(KVM_CAP_X86_DISABLE_EXITS) (api.rst 7.14): the guest's
 * HLT stops exiting (QEMU's -overcommit cpu-pm=on asks for it).  kvmm
 * offers HLT and PAUSE (PAUSE never exits on kvmm: no pause filter is
 * programmed); MWAIT and CSTATE are accepted and left alone, as Linux
 * 6.1 accepts them on a host that cannot give them.  As in 6.1, nothing
 * stops the call after vCPUs exist: the setting applies to vCPUs created
 * afterwards, when their intercepts are set up.
 *
 * A halted guest does not hold a host CPU: physical interrupts are
 * always intercepted (APM 15.21.4 with V_INTR_MASKING), and the #VMEXIT
 * they cause ends the halt (APM 15.9: HLT resumes at the next
 * instruction after an intercepted interrupt).
 */
int kvmm_x86_vm_disable_exits(struct kvmm_vm *vm, u64 flags)
{
	if (flags & ~KVM_X86_DISABLE_VALID_EXITS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (flags & KVM_X86_DISABLE_EXITS_HLT)
		vm->arch.hlt_in_guest = true;
	mutex_unlock(&vm->lock);
	return 0;
}

/*
 * KVM_SET_BOOT_CPU_ID (api.rst 4.76): which vCPU id resets as the BSP
 * (APIC base MSR bit 8, RUNNABLE at creation with an in-kernel irqchip).
 * Only before the first vCPU: -EBUSY after, as 6.1.  The id itself is not
 * checked (nor by KVM); a VM whose BSP id no vCPU has simply has no BSP.
 */
long kvmm_x86_vm_set_boot_cpu_id(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;

	if (vm->created_vcpus)
		return -EBUSY;
	vm->arch.bsp_vcpu_id = arg;
	return 0;
}

/*
 * The x86 VM ioctls (api.rst 4.x), looked up after virt/vm.c's generic
 * table; the lock column is what the dispatcher takes.  The irqchip
 * state ioctls lock inside each device.
 */
static const struct kvmm_ioctl_desc kvmm_x86_vm_ioctls[] = {
	KVMM_IOCTL(KVM_SET_TSS_ADDR, kvmm_x86_vm_set_tss_addr,
		   KVMM_LOCK_VM),
	KVMM_IOCTL(KVM_SET_IDENTITY_MAP_ADDR, kvmm_x86_vm_set_identity_map,
		   KVMM_LOCK_VM),
	KVMM_IOCTL(KVM_SET_BOOT_CPU_ID, kvmm_x86_vm_set_boot_cpu_id,
		   KVMM_LOCK_VM),
	/* kvmclock: clock.lock inside (arch/x86/kvmclock.c). */
	KVMM_IOCTL(KVM_GET_CLOCK, kvmm_x86_vm_get_clock, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SET_CLOCK, kvmm_x86_vm_set_clock, KVMM_LOCK_NONE),
	/* The PIT: creation under vm->lock, the rest under the PIT's lock. */
	KVMM_IOCTL(KVM_CREATE_PIT, kvmm_x86_vm_create_pit, KVMM_LOCK_VM),
	KVMM_IOCTL(KVM_CREATE_PIT2, kvmm_x86_vm_create_pit2, KVMM_LOCK_VM),
	KVMM_IOCTL(KVM_GET_PIT, kvmm_x86_vm_get_pit, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SET_PIT, kvmm_x86_vm_set_pit, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_PIT2, kvmm_x86_vm_get_pit2, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SET_PIT2, kvmm_x86_vm_set_pit2, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_REINJECT_CONTROL, kvmm_x86_vm_reinject_control,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_CREATE_IRQCHIP, kvmm_create_irqchip_ioctl,
		   KVMM_LOCK_VM),
	KVMM_IOCTL(KVM_GET_IRQCHIP, kvmm_get_irqchip_ioctl, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SET_IRQCHIP, kvmm_set_irqchip_ioctl, KVMM_LOCK_NONE),
};

const struct kvmm_ioctl_desc *kvmm_arch_vm_ioctl_find(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmm_x86_vm_ioctls); i++)
		if (kvmm_x86_vm_ioctls[i].cmd == cmd)
			return &kvmm_x86_vm_ioctls[i];
	return NULL;
}
