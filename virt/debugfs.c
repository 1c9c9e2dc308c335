// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/kvmm/: what kvmm counts about itself.
 *
 *   allocations   "objects <n> bytes <n>": outstanding accounted allocations
 *   <pid>-<fd>/   one directory per VM, named as Linux 6.1 names its own
 *                 under kvm/ (creator's pid, VM fd number); the arch puts
 *                 its VM counters there (x86: pages_4k, pages_2m,
 *                 dirty_wrprot_faults, dirty_split_2m)
 *   <pid>-<fd>/dirty_marked
 *                 pages whose dirty-log bit went from 0 to 1
 *   <pid>-<fd>/vcpu<id>/
 *                 one directory per vCPU with its counters (struct
 *                 kvmm_vcpu_stat), one file each, read-only
 *   <pid>-<fd>/vm_dead
 *                 0 or 1; writing 1 marks the VM dead as an internal
 *                 inconsistency would (kvmm_vm_dead()), for tests of the
 *                 dead-VM model.  Root only, like all of debugfs.
 *
 * debugfs may be absent or locked down; kvmm works without it.
 */
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

static struct dentry *kvmm_debugfs_dir;
atomic_t kvmm_irqfd_injections = ATOMIC_INIT(0);
atomic_t kvmm_ioeventfd_signals = ATOMIC_INIT(0);
/* Makes the lookup and creation of a VM's directory one step. */
static DEFINE_MUTEX(kvmm_debugfs_vm_lock);

static int kvmm_allocations_show(struct seq_file *m, void *unused)
{
	long objects, bytes;

	kvmm_alloc_counts(&objects, &bytes);
	seq_printf(m, "objects %ld bytes %ld\n", objects, bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvmm_allocations);

int kvmm_debugfs_init(void)
{
	kvmm_debugfs_dir = debugfs_create_dir("kvmm", NULL);
	debugfs_create_file("allocations", 0444, kvmm_debugfs_dir, NULL,
			    &kvmm_allocations_fops);
	debugfs_create_atomic_t("irqfd_injections", 0444, kvmm_debugfs_dir,
				&kvmm_irqfd_injections);
	debugfs_create_atomic_t("ioeventfd_signals", 0444, kvmm_debugfs_dir,
				&kvmm_ioeventfd_signals);
	return 0;
}

void kvmm_debugfs_exit(void)
{
	debugfs_remove(kvmm_debugfs_dir);
	kvmm_debugfs_dir = NULL;
}

static int kvmm_vm_dead_get(void *data, u64 *val)
{
	*val = kvmm_vm_is_dead(data);
	return 0;
}

static int kvmm_vm_dead_set(void *data, u64 val)
{
	struct kvmm_vm *vm = data;

	/* Death is final. */
	if (val != 1)
		return -EINVAL;
	pr_info("kvmm: VM %llu marked dead through debugfs\n", vm->serial);
	kvmm_vm_dead(vm);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kvmm_vm_dead_fops, kvmm_vm_dead_get,
			 kvmm_vm_dead_set, "%llu\n");

static int kvmm_dirty_marked_get(void *data, u64 *val)
{
	struct kvmm_vm *vm = data;

	*val = atomic64_read(&vm->dirty_marked);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kvmm_dirty_marked_fops, kvmm_dirty_marked_get, NULL,
			 "%llu\n");

/*
 * Give a new VM, about to be installed as @fd, its directory.  A VM whose
 * fd was closed but which lives on (vCPU fds open) may still hold the
 * name: the new VM then goes without one, as in KVM.
 */
void kvmm_debugfs_vm_init(struct kvmm_vm *vm, int fd)
{
	struct dentry *dir;
	char name[32];

	if (IS_ERR_OR_NULL(kvmm_debugfs_dir))
		return;
	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current), fd);
	mutex_lock(&kvmm_debugfs_vm_lock);
	dir = debugfs_lookup(name, kvmm_debugfs_dir);
	if (dir) {
		dput(dir);
		dir = NULL;
	} else {
		dir = debugfs_create_dir(name, kvmm_debugfs_dir);
	}
	mutex_unlock(&kvmm_debugfs_vm_lock);
	if (IS_ERR_OR_NULL(dir))
		return;
	vm->debugfs_dir = dir;
	debugfs_create_file_unsafe("vm_dead", 0600, dir, vm,
				   &kvmm_vm_dead_fops);
	debugfs_create_file_unsafe("dirty_marked", 0444, dir, vm,
				   &kvmm_dirty_marked_fops);
	kvmm_x86_vm_debugfs_init(vm, dir);
}

/* The counters of struct kvmm_vcpu_stat, by name. */
#define KVMM_VCPU_STAT(name) { #name, offsetof(struct kvmm_vcpu_stat, name) }
static const struct {
	const char *name;
	size_t offset;
} kvmm_vcpu_stats[] = {
	KVMM_VCPU_STAT(exits),
	KVMM_VCPU_STAT(io_exits),
	KVMM_VCPU_STAT(mmio_exits),
	KVMM_VCPU_STAT(hlt_exits),
	KVMM_VCPU_STAT(blocks),
	KVMM_VCPU_STAT(halt_attempted_poll),
	KVMM_VCPU_STAT(halt_successful_poll),
	KVMM_VCPU_STAT(signal_exits),
	KVMM_VCPU_STAT(irq_exits),
	KVMM_VCPU_STAT(npf_exits),
	KVMM_VCPU_STAT(nmi_injections),
	KVMM_VCPU_STAT(nmi_window_exits),
	KVMM_VCPU_STAT(xsetbv_exits),
	KVMM_VCPU_STAT(tlb_flush_cpu),
	KVMM_VCPU_STAT(tlb_flush_mmu),
	KVMM_VCPU_STAT(tlb_flush_vcpu),
	KVMM_VCPU_STAT(tlb_flushes),
	KVMM_VCPU_STAT(entry_state_invalid),
	KVMM_VCPU_STAT(entry_refused_by_cpu),
};
static_assert(ARRAY_SIZE(kvmm_vcpu_stats) * sizeof(u64) ==
	      sizeof(struct kvmm_vcpu_stat));

/*
 * A published vCPU's counters.  The directory goes with its VM's
 * (debugfs_remove() is recursive and waits for readers), before the
 * vCPU is freed.
 */
void kvmm_debugfs_vcpu_init(struct kvmm_vcpu *vcpu)
{
	struct dentry *dir;
	char name[24];
	unsigned int i;

	if (IS_ERR_OR_NULL(vcpu->vm->debugfs_dir))
		return;
	snprintf(name, sizeof(name), "vcpu%u", vcpu->vcpu_id);
	dir = debugfs_create_dir(name, vcpu->vm->debugfs_dir);
	if (IS_ERR_OR_NULL(dir))
		return;
	for (i = 0; i < ARRAY_SIZE(kvmm_vcpu_stats); i++)
		debugfs_create_u64(kvmm_vcpu_stats[i].name, 0444, dir,
				   (u64 *)((char *)&vcpu->stat +
					   kvmm_vcpu_stats[i].offset));
}

/* Before the VM is freed: waits for readers of its files. */
void kvmm_debugfs_vm_exit(struct kvmm_vm *vm)
{
	mutex_lock(&kvmm_debugfs_vm_lock);
	debugfs_remove(vm->debugfs_dir);
	mutex_unlock(&kvmm_debugfs_vm_lock);
	vm->debugfs_dir = NULL;
}
