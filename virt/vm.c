// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects and the VM file descriptor (api.rst 4.x "VM ioctls").
 *
 * A VM is created by KVM_CREATE_VM on /dev/kvm and lives while its fd or
 * any vCPU fd is open: each holds a reference.  It belongs to the process
 * that created it; ioctls from another mm fail with -EIO as in KVM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/ioctl.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

void kvmm_vm_get(struct kvmm_vm *vm)
{
	refcount_inc(&vm->refs);
}

static void kvmm_vm_destroy(struct kvmm_vm *vm)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	/* No fd is left, so nothing runs; the mm may already be gone. */
	kvmm_debugfs_vm_exit(vm);
	kvmm_mmu_notifier_exit(vm);
	kvmm_arch_vm_stop_devices(vm);
	xa_for_each(&vm->vcpus, i, vcpu)
		kvmm_vcpu_destroy(vcpu);
	xa_destroy(&vm->vcpus);
	kvmm_io_destroy(vm);
	kvmm_x86_vm_destroy(vm);
	kvmm_irq_destroy(vm);
	kvmm_memslots_destroy(vm);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kvmm_free(vm);
	module_put(THIS_MODULE);
}

void kvmm_vm_put(struct kvmm_vm *vm)
{
	if (refcount_dec_and_test(&vm->refs))
		kvmm_vm_destroy(vm);
}

/*
 * Mark @vm dead (KVM's kvm_vm_dead()): every later VM and vCPU ioctl gets
 * -EIO, vCPUs now in the guest are kicked out and blocked ones woken
 * (KVMM_REQ_UNBLOCK); the run loop checks the flag after announcing
 * KVMM_IN_GUEST and after every wakeup, so none enters again.  The VM is
 * freed as usual once its fds are closed.  Not with interrupts off: the
 * kick waits for its IPIs.
 */
void kvmm_vm_dead(struct kvmm_vm *vm)
{
	WRITE_ONCE(vm->dead, true);
	/* Pairs with the barrier between mode and the check in run.c. */
	smp_mb();
	kvmm_make_all_request(vm, KVMM_REQ_UNBLOCK);
}

struct mutex *kvmm_vm_file_lock(struct file *filp)
{
	struct kvmm_vm *vm = filp->private_data;

	return &vm->lock;
}

static long kvmm_vm_create_vcpu_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_vm_create_vcpu(filp->private_data, arg);
}

static long kvmm_vm_set_memory_region_ioctl(struct file *filp,
					    unsigned long arg)
{
	struct kvm_userspace_memory_region mem;
	struct kvmm_vm *vm = filp->private_data;
	long r;

	if (copy_from_user(&mem, (void __user *)arg, sizeof(mem)))
		return -EFAULT;
	mutex_lock(&vm->slots_lock);
	r = kvmm_vm_set_memory_region(vm, &mem);
	mutex_unlock(&vm->slots_lock);
	return r;
}

static long kvmm_vm_get_dirty_log_ioctl(struct file *filp, unsigned long arg)
{
	struct kvm_dirty_log log;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	return kvmm_vm_get_dirty_log(filp->private_data, &log);
}

static long kvmm_vm_clear_dirty_log_ioctl(struct file *filp,
					  unsigned long arg)
{
	struct kvm_clear_dirty_log log;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	return kvmm_vm_clear_dirty_log(filp->private_data, &log);
}

/*
 * KVM_ENABLE_CAP on the VM (api.rst 4.37, section 7): a capability kvmm
 * cannot enable gets -EINVAL, as from KVM.
 */
static long kvmm_vm_enable_cap_ioctl(struct file *filp, unsigned long arg)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, (void __user *)arg, sizeof(cap)))
		return -EFAULT;
	switch (cap.cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvmm_vm_enable_manual_dirty_log(filp->private_data,
						       &cap);
	case KVM_CAP_X86_DISABLE_EXITS:
		return kvmm_x86_vm_disable_exits(filp->private_data,
						 cap.args[0]);
	default:
		return kvmm_arch_vm_enable_cap(filp->private_data, &cap);
	}
}

static long kvmm_vm_check_extension_ioctl(struct file *filp,
					  unsigned long arg)
{
	return kvmm_check_extension(filp->private_data, (long)arg);
}

static long kvmm_vm_set_gsi_routing_ioctl(struct file *filp,
					  unsigned long arg)
{
	return kvmm_vm_set_gsi_routing(filp->private_data, (void __user *)arg);
}

static long kvmm_vm_irq_line_ioctl(struct file *filp, unsigned long arg)
{
	return kvmm_vm_irq_line(filp->private_data, (void __user *)arg,
				false);
}

static long kvmm_vm_irq_line_status_ioctl(struct file *filp,
					  unsigned long arg)
{
	return kvmm_vm_irq_line(filp->private_data, (void __user *)arg, true);
}

/*
 * Table of VM ioctls; the lock column is what the dispatcher takes.
 * Memory-region changes, the dirty-log ioctls and the dirty-log mode
 * serialize on vm->slots_lock inside the handler so vCPU creation is not
 * held up by them.
 */
static const struct kvmm_ioctl_desc kvmm_vm_ioctls[] = {
	KVMM_IOCTL(KVM_CREATE_VCPU, kvmm_vm_create_vcpu_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SET_USER_MEMORY_REGION,
		   kvmm_vm_set_memory_region_ioctl, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_CHECK_EXTENSION, kvmm_vm_check_extension_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_GET_DIRTY_LOG, kvmm_vm_get_dirty_log_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_CLEAR_DIRTY_LOG, kvmm_vm_clear_dirty_log_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_ENABLE_CAP, kvmm_vm_enable_cap_ioctl, KVMM_LOCK_NONE),
	/* Interrupt lines (irq.h): they lock inside. */
	KVMM_IOCTL(KVM_SET_GSI_ROUTING, kvmm_vm_set_gsi_routing_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_IRQ_LINE, kvmm_vm_irq_line_ioctl, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_IRQ_LINE_STATUS, kvmm_vm_irq_line_status_ioctl,
		   KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_SIGNAL_MSI, kvmm_vm_signal_msi, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_IRQFD, kvmm_vm_irqfd, KVMM_LOCK_NONE),
	/* The I/O bus ioctls take vm->io.lock inside (io_bus.h). */
	KVMM_IOCTL(KVM_IOEVENTFD, kvmm_vm_ioeventfd, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_REGISTER_COALESCED_MMIO,
		   kvmm_vm_register_coalesced_mmio, KVMM_LOCK_NONE),
	KVMM_IOCTL(KVM_UNREGISTER_COALESCED_MMIO,
		   kvmm_vm_unregister_coalesced_mmio, KVMM_LOCK_NONE),
};

static long kvmm_vm_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	const struct kvmm_ioctl_desc *d;
	long r;

	if (vm->mm != current->mm || kvmm_vm_is_dead(vm))
		return -EIO;
	r = kvmm_ioctl_dispatch(kvmm_vm_ioctls, ARRAY_SIZE(kvmm_vm_ioctls),
				filp, cmd, arg, -ENOIOCTLCMD);
	if (r != -ENOIOCTLCMD)
		return r;
	/* The arch's table; KVM answers -ENOTTY to one it does not know. */
	d = kvmm_arch_vm_ioctl_find(cmd);
	if (!d)
		return -ENOTTY;
	return kvmm_ioctl_dispatch(d, 1, filp, cmd, arg, -ENOTTY);
}

static int kvmm_vm_release(struct inode *inode, struct file *filp)
{
	/* As KVM: irqfds end with the VM fd, not with the last vCPU fd. */
	kvmm_irqfd_release(filp->private_data);
	kvmm_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations kvmm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmm_vm_release,
	.unlocked_ioctl	= kvmm_vm_ioctl,
	.llseek		= noop_llseek,
};

/* VM serial numbers, never reused (backends compare them per CPU). */
static atomic64_t kvmm_vm_serial = ATOMIC64_INIT(0);

static struct kvmm_vm *kvmm_vm_alloc(void)
{
	struct kvmm_vm *vm;
	int err;

	vm = kvmm_zalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	refcount_set(&vm->refs, 1);
	vm->serial = atomic64_inc_return(&kvmm_vm_serial);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	spin_lock_init(&vm->mmu_lock);
	xa_init_flags(&vm->vcpus, XA_FLAGS_ALLOC);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	err = init_srcu_struct(&vm->srcu);
	if (err)
		goto out_free;
	err = kvmm_irq_init(vm);
	if (err)
		goto out_srcu;
	err = kvmm_io_init(vm);
	if (err)
		goto out_io;
	err = kvmm_memslots_init(vm);
	if (err)
		goto out_io;
	err = kvmm_x86_vm_init(vm);
	if (err)
		goto out_slots;
	err = kvmm_mmu_notifier_init(vm);
	if (err)
		goto out_arch;
	return vm;

out_arch:
	kvmm_x86_vm_destroy(vm);
out_slots:
	kvmm_memslots_destroy(vm);
out_io:
	kvmm_io_destroy(vm);
	kvmm_irq_destroy(vm);
out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_free:
	mmdrop(vm->mm);
	kvmm_free(vm);
	return ERR_PTR(err);
}

long kvmm_dev_create_vm(unsigned long type)
{
	struct kvmm_vm *vm;
	struct file *file;
	const char *why;
	int fd;

	/* Type 0 is the only x86 VM type of KVM's 6.1 ABI. */
	if (type)
		return -EINVAL;

	why = kvmm_ops->guests_unsupported();
	if (why) {
		pr_info_ratelimited("KVM_CREATE_VM: %s\n", why);
		return -ENODEV;
	}

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	vm = kvmm_vm_alloc();
	if (IS_ERR(vm)) {
		module_put(THIS_MODULE);
		return PTR_ERR(vm);
	}

	/*
	 * The fd number is known before the file is installed, so the
	 * debugfs directory named after it exists by the time userspace
	 * sees the fd.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kvmm_vm_put(vm);
		return fd;
	}
	file = anon_inode_getfile("kvm-vm", &kvmm_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvmm_vm_put(vm);
		return PTR_ERR(file);
	}
	kvmm_debugfs_vm_init(vm, fd);
	fd_install(fd, file);
	return fd;
}
