/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the second-level table's files (tdp.c, dirty.c) share.  Every
 * change of an entry goes through tdp_set_spte() or one of the two
 * atomic permission updates below, which all end in tdp_spte_changed():
 * the one place that counts leaves and table pages and decides whether
 * the change needs a TLB flush or frees a table (Documentation/mmu.rst).
 */
#ifndef _KVMM_MMU_TDP_H
#define _KVMM_MMU_TDP_H

#include <kvmm/vm.h>
#include "spte.h"

#define TDP_2M_FRAMES	512ULL
#define TDP_2M_BYTES	(TDP_2M_FRAMES << PAGE_SHIFT)

/*
 * What changes took out of the tree, for the caller to deal with once
 * mmu_lock is dropped: flush, and only then free the table page a
 * 2-MiB leaf replaced (hardware may walk it through a cached PDE until
 * the flush).  At most one table per operation: only a fault replaces
 * a table, one PDE at a time.
 */
struct tdp_removed {
	bool flush;
	u64 *table;
};

void tdp_spte_changed(struct kvmm_vm *vm, u64 old, u64 new, int level,
		      struct tdp_removed *rm);
u64 tdp_set_spte(struct kvmm_vm *vm, u64 *sptep, u64 new, int level,
		 struct tdp_removed *rm);
void tdp_clear_writable(struct kvmm_vm *vm, u64 *sptep, int level,
			struct tdp_removed *rm);
void tdp_make_writable(struct kvmm_vm *vm, u64 *sptep, int level,
		       struct tdp_removed *rm);
u64 *tdp_walk_to(struct kvmm_vm *vm, u64 gfn, int target, int *level);
void tdp_finish(struct kvmm_vm *vm, struct tdp_removed *rm);

/* dirty.c */
bool kvmm_tdp_dirty_fault(struct kvmm_vm *vm, const struct kvmm_memslot *slot,
			  u64 gfn);

#endif /* _KVMM_MMU_TDP_H */
