// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects and the vCPU file descriptor (api.rst "vcpu ioctls").
 *
 * A vCPU is created by KVM_CREATE_VCPU and freed with its VM; its fd
 * holds a VM reference.  Every vCPU ioctl runs under vcpu->mutex (taken
 * killably by the dispatcher), so one vCPU never runs on two threads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/ioctl.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

static atomic64_t kvmm_vcpu_serial = ATOMIC64_INIT(0);

struct mutex *kvmm_vcpu_file_lock(struct file *filp)
{
	struct kvmm_vcpu *vcpu = filp->private_data;

	return &vcpu->mutex;
}

/*
 * KVM_RUN (api.rst 4.10).  immediate_exit and a pending signal end the
 * call with -EINTR and KVM_EXIT_INTR before the guest runs.
 */
static long kvmm_vcpu_run_ioctl(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp->private_data;
	sigset_t saved;
	long r;

	if (arg)
		return -EINVAL;
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &saved);
	r = kvmm_arch_vcpu_run(vcpu);
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}

/* KVM_SET_SIGNAL_MASK (api.rst 4.17): len must be 8 on x86-64. */
static long kvmm_vcpu_set_signal_mask(struct file *filp, unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp->private_data;
	struct kvm_signal_mask __user *umask = (void __user *)arg;
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!umask) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, umask, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, umask->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static const struct kvmm_ioctl_desc kvmm_vcpu_ioctls[] = {
	KVMM_IOCTL(KVM_RUN, kvmm_vcpu_run_ioctl, KVMM_LOCK_VCPU),
	KVMM_IOCTL(KVM_SET_SIGNAL_MASK, kvmm_vcpu_set_signal_mask,
		   KVMM_LOCK_VCPU),
};

static long kvmm_vcpu_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct kvmm_vcpu *vcpu = filp->private_data;
	const struct kvmm_ioctl_desc *d;
	long r;

	if (vcpu->vm->mm != current->mm || kvmm_vm_is_dead(vcpu->vm))
		return -EIO;

	r = kvmm_ioctl_dispatch(kvmm_vcpu_ioctls,
				ARRAY_SIZE(kvmm_vcpu_ioctls), filp, cmd, arg,
				-ENOIOCTLCMD);
	if (r != -ENOIOCTLCMD)
		return r;

	/* The x86 state ioctls: one more table, same lock. */
	d = kvmm_x86_vcpu_ioctl_find(cmd);
	if (!d)
		return -EINVAL;		/* as KVM for an unknown vCPU ioctl */
	return kvmm_ioctl_dispatch(d, 1, filp, cmd, arg, -EINVAL);
}

static vm_fault_t kvmm_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->arch.pio_data);
	else if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->vm->io.ring);	/* the VM's */
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvmm_vcpu_vm_ops = {
	.fault = kvmm_vcpu_fault,
};

static int kvmm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmm_vcpu_vm_ops;
	return 0;
}

static int kvmm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvmm_vcpu *vcpu = filp->private_data;

	kvmm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations kvmm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmm_vcpu_release,
	.unlocked_ioctl	= kvmm_vcpu_ioctl,
	.mmap		= kvmm_vcpu_mmap,
	.llseek		= noop_llseek,
};

void kvmm_vcpu_destroy(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_vcpu_destroy(vcpu);
	kvmm_free_page(vcpu->run_page);
	kvmm_free(vcpu);
}

static struct kvmm_vcpu *kvmm_vcpu_by_id(struct kvmm_vm *vm, u32 id)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return vcpu;
	return NULL;
}

/*
 * Publishing a vCPU.  Once it is in vm->vcpus, other threads find it
 * without taking vm->lock (kvmm_make_all_request() from the MMU notifier, a
 * TLB flush or a dead VM) and may read it at any time until the VM is
 * destroyed, so it must never be taken out and freed again: that would
 * need an RCU grace period between the erase and the free, and even then
 * the kick walks the array without rcu_read_lock().  Every step that can
 * fail therefore comes first: the index is reserved (a reserved entry is
 * NULL to lookups and walks, and storing into it allocates nothing), the
 * fd number and the file are obtained, and only then is the vCPU stored
 * and the fd installed, neither of which can fail.  Linux's KVM gets the
 * same effect by counting a vCPU in online_vcpus, which bounds its
 * walks, only after its fd exists.
 */
int kvmm_vm_create_vcpu(struct kvmm_vm *vm, unsigned long id)
{
	struct kvmm_vcpu *vcpu;
	struct file *file;
	char name[24];
	u32 index;
	int r, fd;

	if (id >= KVMM_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->created_vcpus >= KVMM_MAX_VCPUS) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->lock);

	r = -ENOMEM;
	vcpu = kvmm_zalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_count;
	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	vcpu->serial = atomic64_inc_return(&kvmm_vcpu_serial);
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	vcpu->run_page = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run_page)
		goto out_free;
	vcpu->run = page_address(vcpu->run_page);

	r = kvmm_x86_vcpu_create(vcpu);
	if (r)
		goto out_run;

	mutex_lock(&vm->lock);
	if (kvmm_vcpu_by_id(vm, id)) {
		r = -EEXIST;
		goto out_unlock;
	}
	/* NULL reserves the index: walks and lookups skip it. */
	r = xa_alloc(&vm->vcpus, &index, NULL, xa_limit_32b,
		     GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_unlock;
	vcpu->index = index;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_release;
	}
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	file = anon_inode_getfile(name, &kvmm_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		put_unused_fd(fd);
		goto out_release;
	}

	/* Nothing fails from here on: publish the vCPU, then its fd. */
	kvmm_vm_get(vm);		/* the file's reference */
	xa_store(&vm->vcpus, index, vcpu, 0);
	atomic_inc(&vm->nr_vcpus);
	kvmm_debugfs_vcpu_init(vcpu);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

out_release:
	xa_release(&vm->vcpus, index);
out_unlock:
	mutex_unlock(&vm->lock);
	kvmm_x86_vcpu_destroy(vcpu);
out_run:
	kvmm_free_page(vcpu->run_page);
out_free:
	kvmm_free(vcpu);
out_count:
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	return r;
}
