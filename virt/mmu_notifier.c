// SPDX-License-Identifier: GPL-2.0
/*
 * Coherence of guest mappings with the host mm (Documentation/mmu.rst).
 *
 * Whenever the host is about to change what a range of the VM owner's
 * address space maps (munmap, MADV_DONTNEED, mprotect, COW after fork,
 * KSM merging, swap-out, migration, THP splitting), the second-level
 * mappings of every slot overlapping the range are removed and vCPUs are
 * made to flush, before the kernel proceeds.  Faults racing with an
 * invalidation see mn_active/mn_seq and retry.
 */
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

static struct kvmm_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvmm_vm, mmu_notifier);
}

enum kvmm_hva_op {
	KVMM_HVA_ZAP,		/* remove the mappings */
	KVMM_HVA_TEST_YOUNG,	/* any accessed bit set? */
	KVMM_HVA_CLEAR_YOUNG,	/* ... and clear them */
};

/*
 * Apply @op to the guest frames behind host addresses [start, end) of
 * every slot mapping them (found in by_hva); mmu_lock held.  Returns
 * whether anything was zapped, or found young.
 */
static bool kvmm_hva_range_locked(struct kvmm_vm *vm, unsigned long start,
				  unsigned long end, enum kvmm_hva_op op)
{
	struct interval_tree_node *node;
	bool ret = false;

	for (node = interval_tree_iter_first(&vm->by_hva, start, end - 1); node;
	     node = interval_tree_iter_next(node, start, end - 1)) {
		struct kvmm_memslot *slot =
			container_of(node, struct kvmm_memslot, hva_node);
		unsigned long s_start = slot->userspace_addr;
		unsigned long s_end = s_start + (slot->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s_start), hi = min(end, s_end);
		u64 gfn_lo = slot->base_gfn + ((lo - s_start) >> PAGE_SHIFT);
		u64 gfn_hi = slot->base_gfn +
			     ((hi - s_start + PAGE_SIZE - 1) >> PAGE_SHIFT);

		if (op == KVMM_HVA_ZAP)
			ret |= kvmm_x86_zap_gfn_range_locked(vm, gfn_lo, gfn_hi);
		else
			ret |= kvmm_x86_age_gfn_range_locked(vm, gfn_lo, gfn_hi,
					op == KVMM_HVA_CLEAR_YOUNG);
	}
	return ret;
}

static bool kvmm_hva_range(struct kvmm_vm *vm, unsigned long start,
			   unsigned long end, enum kvmm_hva_op op)
{
	bool ret;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	ret = kvmm_hva_range_locked(vm, start, end, op);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

/*
 * Mark the range active and zap it under one hold of mmu_lock, then make
 * vCPUs flush, once, before the kernel changes the host pages.
 */
static int kvmm_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvmm_vm *vm = mn_to_vm(mn);
	bool zapped;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	if (!vm->mn_active++) {
		vm->mn_start = range->start;
		vm->mn_end = range->end;
	} else {
		vm->mn_start = min(vm->mn_start, range->start);
		vm->mn_end = max(vm->mn_end, range->end);
	}
	zapped = kvmm_hva_range_locked(vm, range->start, range->end,
				       KVMM_HVA_ZAP);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	if (zapped)
		kvmm_x86_flush_remote_tlbs(vm);
	return 0;
}

static void kvmm_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvmm_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mn_seq++;
	smp_wmb();
	if (!--vm->mn_active)
		vm->mn_start = vm->mn_end = 0;
	spin_unlock(&vm->mmu_lock);
}

/*
 * Page aging (reclaim's "was this page referenced?"): the guest's use of
 * a page counts as a use, as with KVM.  Without these, every page the
 * guest uses looks idle to reclaim.  clear_flush_young also flushes, so
 * that the next guest access walks the table and sets the bit again.
 */
static int kvmm_mn_clear_flush_young(struct mmu_notifier *mn,
				     struct mm_struct *mm, unsigned long start,
				     unsigned long end)
{
	struct kvmm_vm *vm = mn_to_vm(mn);
	bool young = kvmm_hva_range(vm, start, end, KVMM_HVA_CLEAR_YOUNG);

	if (young)
		kvmm_x86_flush_remote_tlbs(vm);
	return young;
}

static int kvmm_mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long start, unsigned long end)
{
	return kvmm_hva_range(mn_to_vm(mn), start, end, KVMM_HVA_CLEAR_YOUNG);
}

static int kvmm_mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long address)
{
	return kvmm_hva_range(mn_to_vm(mn), address, address + 1,
			      KVMM_HVA_TEST_YOUNG);
}

/* The mm is going away (process exit): nothing may map it any more. */
static void kvmm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmm_vm *vm = mn_to_vm(mn);

	kvmm_x86_zap_gfn_range(vm, 0, ~0ULL);
}

static const struct mmu_notifier_ops kvmm_mn_ops = {
	.invalidate_range_start	= kvmm_mn_invalidate_range_start,
	.invalidate_range_end	= kvmm_mn_invalidate_range_end,
	.clear_flush_young	= kvmm_mn_clear_flush_young,
	.clear_young		= kvmm_mn_clear_young,
	.test_young		= kvmm_mn_test_young,
	.release		= kvmm_mn_release,
};

int kvmm_mmu_notifier_init(struct kvmm_vm *vm)
{
	vm->mmu_notifier.ops = &kvmm_mn_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

void kvmm_mmu_notifier_exit(struct kvmm_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}
