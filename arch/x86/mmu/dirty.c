// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging in the second-level table (Documentation/mmu.rst, "Dirty
 * logging"): write-protecting a logged slot's leaves so the guest's
 * first write to a page faults and is recorded, splitting the slot's
 * 2-MiB leaves so that a write is recorded per 4-KiB page, and giving
 * write permission back on such a fault.  The bitmap and the ioctls are
 * virt/dirty_log.c's.
 *
 * The invariant all of it keeps, under mmu_lock: a leaf of a logged slot
 * is writable only while its page's bit in the slot's bitmap is set.  A
 * harvest clears bits and write-protects their leaves under one hold of
 * mmu_lock, then flushes before it returns (a CPU could otherwise still
 * write through a writable translation it cached).
 */
#include <linux/mm.h>
#include <linux/sched.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "tdp.h"

/* 2-MiB regions handled per hold of mmu_lock when a slot starts logging. */
#define DIRTY_BATCH_2M	64

/*
 * Replace the 2-MiB leaf at @pde (value @old) with @table, filled with
 * the 512 4-KiB leaves of the same frames, read-only when @wrprot and
 * otherwise with the 2-MiB leaf's permission.  The guest keeps its
 * mappings: only writes fault afterwards.
 */
static void dirty_split_2m(struct kvmm_vm *vm, u64 *pde, u64 old,
			   u64 *table, bool wrprot, struct tdp_removed *rm)
{
	u64 pfn = spte_addr(old) >> PAGE_SHIFT;
	bool host_writable = old & SPTE_HOST_WRITABLE;
	bool writable = !wrprot && (old & SPTE_RW);
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		table[i] = spte_make_leaf(pfn + i, writable, host_writable,
					  SPTE_LEVEL_4K);
		tdp_spte_changed(vm, 0, table[i], SPTE_LEVEL_4K, rm);
	}
	vm->arch.tdp.nr_pages++;
	tdp_set_spte(vm, pde, spte_make_table(__pa(table)), SPTE_LEVEL_2M, rm);
	vm->arch.tdp.split_2m++;
}

/* Write-protect the present 4-KiB leaves of @table for [gfn, end). */
static void dirty_wrprot_4k(struct kvmm_vm *vm, u64 *table, u64 gfn, u64 end,
			    struct tdp_removed *rm)
{
	for (; gfn < end; gfn++) {
		u64 *e = &table[spte_index(gfn, SPTE_LEVEL_4K)];

		if (READ_ONCE(*e) & SPTE_RW)
			tdp_clear_writable(vm, e, SPTE_LEVEL_4K, rm);
	}
}

/*
 * @slot starts logging (its bitmap is published and no fault still uses
 * the slot as it was): split its 2-MiB leaves and, when @wrprot, take
 * write permission from all its leaves; flush before returning.  Without
 * @wrprot (KVM_DIRTY_LOG_INITIALLY_SET: every bit starts set) writable
 * leaves keep their permission, which the invariant allows.
 *
 * A table page for a split is allocated with mmu_lock dropped; if none
 * can be had, the 2-MiB leaf is dropped instead and its range faults in
 * again by 4 KiB.
 */
void kvmm_x86_dirty_log_enable(struct kvmm_vm *vm,
			       const struct kvmm_memslot *slot, bool wrprot)
{
	u64 gfn = slot->base_gfn;
	u64 end = min(kvmm_memslot_end_gfn(slot), vm->arch.tdp.gfn_end);
	struct tdp_removed rm = {};
	struct page *spare = NULL;
	bool no_pages = false;

	while (gfn < end) {
		unsigned int n;

		spin_lock(&vm->mmu_lock);
		for (n = 0; gfn < end && n < DIRTY_BATCH_2M; n++) {
			u64 next = min(ALIGN(gfn + 1, TDP_2M_FRAMES), end);
			int level;
			u64 *e = tdp_walk_to(vm, gfn, SPTE_LEVEL_2M, &level);
			u64 v = READ_ONCE(*e);

			if (!spte_present(v)) {
				/* Nothing mapped below this entry: skip it. */
				next = min(ALIGN(gfn + 1, spte_level_frames(level)),
					   end);
			} else if (spte_is_leaf(v, level)) {
				if (spare) {
					dirty_split_2m(vm, e, v,
						       page_address(spare),
						       wrprot, &rm);
					spare = NULL;
				} else if (no_pages) {
					tdp_set_spte(vm, e, 0, level, &rm);
				} else {
					break;	/* get a page, come back */
				}
			} else if (wrprot) {
				dirty_wrprot_4k(vm, __va(spte_addr(v)), gfn,
						next, &rm);
			}
			gfn = next;
		}
		spin_unlock(&vm->mmu_lock);
		if (gfn < end && n < DIRTY_BATCH_2M && !spare && !no_pages) {
			spare = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
			no_pages = !spare;
		}
		cond_resched();
	}
	kvmm_free_page(spare);
	tdp_finish(vm, &rm);
}

/*
 * @slot stops logging: drop its 4-KiB leaves where a 2-MiB leaf could
 * map them, so the next faults map 2 MiB again (KVM zaps such
 * "collapsible" leaves too).  Ranges that can never be 2 MiB keep theirs.
 */
void kvmm_x86_dirty_log_disable(struct kvmm_vm *vm,
				const struct kvmm_memslot *slot)
{
	u64 start = ALIGN(slot->base_gfn, TDP_2M_FRAMES);
	u64 end = ALIGN_DOWN(kvmm_memslot_end_gfn(slot), TDP_2M_FRAMES);

	if (((slot->userspace_addr >> PAGE_SHIFT) - slot->base_gfn) &
	    (TDP_2M_FRAMES - 1))
		return;
	if (start < end)
		kvmm_x86_zap_gfn_range(vm, start, end);
}

/*
 * Write-protect the leaves of @slot's pages @gfn_offset + n for each bit
 * n of @mask, whose bits a harvest has just cleared; mmu_lock held.
 * Returns whether a flush is needed before the harvest returns.  A
 * logged slot has no 2-MiB leaf; should one be found, it goes.
 */
bool kvmm_x86_dirty_wrprot_masked(struct kvmm_vm *vm,
				  const struct kvmm_memslot *slot,
				  u64 gfn_offset, unsigned long mask)
{
	struct tdp_removed rm = {};
	u64 region = ~0ULL, *table = NULL;

	lockdep_assert_held(&vm->mmu_lock);
	while (mask) {
		u64 gfn = slot->base_gfn + gfn_offset + __ffs(mask);
		u64 *e;

		mask &= mask - 1;
		if (gfn >= vm->arch.tdp.gfn_end)
			break;
		if (ALIGN_DOWN(gfn, TDP_2M_FRAMES) != region) {
			int level;
			u64 v;

			region = ALIGN_DOWN(gfn, TDP_2M_FRAMES);
			e = tdp_walk_to(vm, gfn, SPTE_LEVEL_2M, &level);
			v = READ_ONCE(*e);
			table = NULL;
			if (level != SPTE_LEVEL_2M || !spte_present(v))
				continue;
			if (spte_is_leaf(v, level)) {
				tdp_set_spte(vm, e, 0, level, &rm);
				continue;
			}
			table = __va(spte_addr(v));
		}
		if (!table)
			continue;
		e = &table[spte_index(gfn, SPTE_LEVEL_4K)];
		if (READ_ONCE(*e) & SPTE_RW)
			tdp_clear_writable(vm, e, SPTE_LEVEL_4K, &rm);
	}
	/* No table is unlinked here, so nothing waits to be freed. */
	return rm.flush;
}

/*
 * A guest write to @gfn of logged @slot (SRCU held): if its leaf is
 * present, read-only only because the log protects it, give the write
 * permission back and mark the page, under mmu_lock (see above).  False
 * when the fault needs the full path (no leaf, or the host page was not
 * obtained for writing).
 */
bool kvmm_tdp_dirty_fault(struct kvmm_vm *vm, const struct kvmm_memslot *slot,
			  u64 gfn)
{
	struct tdp_removed rm = {};
	bool done = false;
	int level;
	u64 *e, v;

	spin_lock(&vm->mmu_lock);
	e = tdp_walk_to(vm, gfn, SPTE_LEVEL_4K, &level);
	v = READ_ONCE(*e);
	if (level == SPTE_LEVEL_4K && spte_present(v) &&
	    (v & SPTE_HOST_WRITABLE)) {
		if (!(v & SPTE_RW)) {
			tdp_make_writable(vm, e, level, &rm);
			vm->arch.tdp.wrprot_faults++;
		}
		kvmm_mark_page_dirty_in_slot(vm, slot, gfn);
		done = true;
	}
	spin_unlock(&vm->mmu_lock);
	/* Permission given, none taken: nothing to flush or free. */
	return done;
}
