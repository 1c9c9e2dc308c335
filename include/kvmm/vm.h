/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs, vCPUs and memory slots: the arch-neutral objects behind the VM and
 * vCPU file descriptors.
 *
 * Lifetime (Documentation/objects.rst): a VM lives while its fd or any of
 * its vCPU fds is open (vm->refs).  vCPUs are created by KVM_CREATE_VCPU
 * and freed with their VM, never earlier, so a vCPU pointer is valid for
 * as long as a VM reference is held.  Memory slots are published under
 * SRCU (vm->srcu) and freed after a grace period.
 */
#ifndef _KVMM_VM_H
#define _KVMM_VM_H

#include <linux/interval_tree.h>
#include <linux/kvm.h>
#include <linux/maple_tree.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rcuwait.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/xarray.h>

#include <kvmm/arch.h>
#include <kvmm/io_bus.h>
#include <kvmm/irq.h>
#include <kvmm/kvmm.h>

/* Limits: the same numbers Linux's KVM reports on x86. */
#define KVMM_MAX_VCPUS		1024
#define KVMM_MAX_VCPU_IDS	4096
#define KVMM_USER_MEM_SLOTS	32764
#define KVMM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

struct kvmm_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;
	u16 id;
	struct rcu_head rcu;
	/* In vm->by_hva: [userspace_addr, userspace_addr + size - 1]. */
	struct interval_tree_node hva_node;
	/*
	 * KVM_MEM_LOG_DIRTY_PAGES: one bit per page, set atomically by
	 * whatever writes the page (virt/dirty_log.c), followed by as many
	 * bits again that GET/CLEAR_DIRTY_LOG use as their buffer (under
	 * slots_lock).  NULL exactly when the slot does not log.
	 */
	unsigned long *dirty_bitmap;
};

static inline u64 kvmm_memslot_end_gfn(const struct kvmm_memslot *slot)
{
	return slot->base_gfn + slot->npages;
}

static inline unsigned long kvmm_gfn_to_hva(const struct kvmm_memslot *slot,
					    u64 gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

struct kvmm_vm {
	refcount_t refs;
	struct mm_struct *mm;		/* the creator's; guest memory lives here */
	u64 serial;			/* unique for the module's lifetime */

	struct mutex lock;		/* vCPU creation, VM-wide settings */

	/*
	 * Memory slots.  Readers: srcu_read_lock(&vm->srcu) around lookups
	 * and every use of the slot found.  Writers hold slots_lock.
	 * by_gfn maps [base_gfn, end_gfn) to the slot (RCU-safe lookups);
	 * by_id is the writers' index.
	 */
	struct mutex slots_lock;
	struct srcu_struct srcu;
	struct maple_tree by_gfn;
	struct xarray by_id;
	/*
	 * The same slots by host address, for the MMU notifier; changed and
	 * walked under mmu_lock.  A slot is in it exactly while it is in
	 * by_id, so an invalidation reaches its mappings until they are gone.
	 */
	struct rb_root_cached by_hva;
	unsigned long nr_slot_pages;

	/*
	 * Coherence with the host mm (Documentation/mmu.rst): an
	 * invalidation in progress (mn_active) or completed since a fault
	 * sampled mn_seq makes that fault retry.  mmu_lock protects both
	 * and the second-level page tables.
	 */
	struct mmu_notifier mmu_notifier;
	spinlock_t mmu_lock;
	unsigned long mn_seq;
	long mn_active;
	unsigned long mn_start, mn_end;	/* union of active ranges */

	struct dentry *debugfs_dir;	/* kvmm/<pid>-<fd>/, or NULL */

	/* In-kernel I/O devices: the PIO and MMIO buses (io_bus.h). */
	struct kvmm_vm_io io;
	/* GSI routing, ack notifiers and irqfds (irq.h). */
	struct kvmm_vm_irq irq;

	/*
	 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags (KVM_DIRTY_LOG_*), set by
	 * KVM_ENABLE_CAP under slots_lock.  dirty_marked counts bits that
	 * went from 0 to 1 in any slot's dirty bitmap (debugfs).
	 */
	u64 manual_dirty_log_protect;
	atomic64_t dirty_marked;

	/*
	 * Set once, never cleared, by kvmm_vm_dead(): kvmm found the VM
	 * inconsistent.  Every later ioctl on the VM and its vCPUs fails
	 * with -EIO and no vCPU enters the guest again (Documentation/
	 * design.rst, "Dead VMs").
	 */
	bool dead;

	struct xarray vcpus;		/* index: creation order */
	atomic_t nr_vcpus;
	unsigned int created_vcpus;	/* under lock, incl. half-built */

	struct kvmm_arch_vm arch;
};

enum kvmm_vcpu_mode {
	KVMM_OUTSIDE_GUEST,
	KVMM_IN_GUEST,		/* between the last check and VM exit */
};

struct kvmm_vcpu {
	struct kvmm_vm *vm;
	u32 vcpu_id;		/* userspace's id (APIC id) */
	u32 index;		/* creation order */
	u64 serial;		/* unique for the module's lifetime */

	struct mutex mutex;	/* held across every vCPU ioctl */
	struct kvm_run *run;	/* mmap page 0 */
	struct page *run_page;
	int cpu;		/* where it last ran, -1 before */
	int mode;		/* enum kvmm_vcpu_mode, read by kicks */
	unsigned long requests;	/* enum kvmm_request bits (request.h) */
	struct rcuwait wait;	/* kvmm_vcpu_block() sleeps here */
	unsigned int halt_poll_ns;	/* kvmm_vcpu_halt()'s window now */
	sigset_t sigset;
	bool sigset_active;

	struct kvmm_vcpu_stat {
		u64 exits;
		u64 io_exits;
		u64 mmio_exits;
		u64 hlt_exits;
		u64 blocks;		/* kvmm_vcpu_block() calls */
		/* kvmm_vcpu_halt(): halts that polled, and those it ended. */
		u64 halt_attempted_poll;
		u64 halt_successful_poll;
		u64 signal_exits;
		u64 irq_exits;
		u64 npf_exits;
		u64 nmi_injections;
		u64 nmi_window_exits;
		u64 xsetbv_exits;	/* a host may not intercept XSETBV */
		/* Flushes asked for at entry, by reason (mmu.rst). */
		u64 tlb_flush_cpu;	/* entered on another CPU than last */
		u64 tlb_flush_mmu;	/* second-level mappings went away */
		u64 tlb_flush_vcpu;	/* backend: another vCPU ran here */
		u64 tlb_flushes;	/* backend: entries that flushed */
		/* Entries refused before the CPU saw them (state_check.c). */
		u64 entry_state_invalid;
		/* Entries the CPU refused after kvmm's checks passed. */
		u64 entry_refused_by_cpu;
	} stat;

	struct kvmm_arch_vcpu arch;
};

/* virt/vm.c */
long kvmm_dev_create_vm(unsigned long type);
void kvmm_vm_get(struct kvmm_vm *vm);
void kvmm_vm_put(struct kvmm_vm *vm);
void kvmm_vm_dead(struct kvmm_vm *vm);

/*
 * Module-wide white-box counters in debugfs (kvmm/irqfd_injections,
 * kvmm/ioeventfd_signals): they outlive the VM, so a test reads them
 * around a whole QEMU run to see the eventfd paths did the work.
 */
extern atomic_t kvmm_irqfd_injections;
extern atomic_t kvmm_ioeventfd_signals;

static inline bool kvmm_vm_is_dead(const struct kvmm_vm *vm)
{
	return READ_ONCE(vm->dead);
}

/*
 * kvmm broke an invariant of a live VM (KVM's KVM_BUG_ON): log it as an
 * internal error and mark the VM dead, which keeps the host running and
 * the VM's memory untouched from then on.  For conditions that cannot
 * happen unless kvmm is wrong, never for anything userspace or the guest
 * can cause by themselves.
 */
#define kvmm_vm_bug(vm, fmt, ...)					\
do {									\
	kvmm_internal_error("VM %llu: " fmt, (vm)->serial,		\
			    ##__VA_ARGS__);				\
	kvmm_vm_dead(vm);						\
} while (0)

/* virt/vcpu.c */
int kvmm_vm_create_vcpu(struct kvmm_vm *vm, unsigned long id);
void kvmm_vcpu_destroy(struct kvmm_vcpu *vcpu);

/* virt/memslot.c */
int kvmm_memslots_init(struct kvmm_vm *vm);
void kvmm_memslots_destroy(struct kvmm_vm *vm);
long kvmm_vm_set_memory_region(struct kvmm_vm *vm,
			       const struct kvm_userspace_memory_region *mem);
struct kvmm_memslot *kvmm_gfn_to_memslot(struct kvmm_vm *vm, u64 gfn);

/* virt/dirty_log.c (Documentation/mmu.rst, "Dirty logging") */
static inline unsigned long kvmm_dirty_bitmap_bytes(const struct kvmm_memslot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

int kvmm_dirty_log_prepare(struct kvmm_vm *vm, struct kvmm_memslot *old,
			   struct kvmm_memslot *new);
void kvmm_dirty_log_commit(struct kvmm_vm *vm, struct kvmm_memslot *old,
			   struct kvmm_memslot *new);
void kvmm_dirty_bitmap_free(struct kvmm_memslot *slot);
void kvmm_mark_page_dirty_in_slot(struct kvmm_vm *vm,
				  const struct kvmm_memslot *slot, u64 gfn);
void kvmm_mark_page_dirty(struct kvmm_vm *vm, u64 gfn);
long kvmm_vm_get_dirty_log(struct kvmm_vm *vm, struct kvm_dirty_log *log);
long kvmm_vm_clear_dirty_log(struct kvmm_vm *vm,
			     struct kvm_clear_dirty_log *log);
long kvmm_vm_enable_manual_dirty_log(struct kvmm_vm *vm,
				     const struct kvm_enable_cap *cap);

/* virt/mmu_notifier.c */
int kvmm_mmu_notifier_init(struct kvmm_vm *vm);
void kvmm_mmu_notifier_exit(struct kvmm_vm *vm);

#endif /* _KVMM_VM_H */
