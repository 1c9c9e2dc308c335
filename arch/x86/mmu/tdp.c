// SPDX-License-Identifier: GPL-2.0
/*
 * Two-dimensional paging (NPT now, EPT later): second-level page tables
 * filled on demand from memory slots and kept coherent with the host mm.
 * The rules are in Documentation/mmu.rst; in short:
 *
 *  - a mapping is created only by a guest fault, from the slot's
 *    userspace address, with no page pinned beyond the fault;
 *  - vm->mmu_lock protects the tables; pages for new tables are taken
 *    before the lock and handed in through a small cache;
 *  - an MMU-notifier invalidation overlapping a fault in flight makes the
 *    fault retry (vm->mn_seq / mn_active), so a mapping never outlives the
 *    host page it maps;
 *  - after entries are removed, vCPUs flush their TLB before re-entering
 *    (arch.tlb_gen) and running ones are kicked out first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "spte.h"

#define TDP_CACHE_PAGES	SPTE_MAX_LEVELS
static_assert(TDP_CACHE_PAGES <= ARRAY_SIZE(((struct kvmm_mmu_cache *)0)->pages));

/*
 * The per-vCPU cache keeps what a fault did not use for the next one, so
 * the common fault (no new table) allocates nothing.
 */
static int tdp_cache_topup(struct kvmm_mmu_cache *c)
{
	while (c->nr < TDP_CACHE_PAGES) {
		struct page *p = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->nr++] = p;
	}
	return 0;
}

void kvmm_mmu_cache_free(struct kvmm_mmu_cache *c)
{
	while (c->nr)
		kvmm_free_page(c->pages[--c->nr]);
}

static u64 *tdp_new_table(struct kvmm_vm *vm, struct kvmm_mmu_cache *c)
{
	struct page *p = c->pages[--c->nr];

	vm->arch.tdp.nr_pages++;
	return page_address(p);
}

/*
 * AMD APM vol. 2, 15.25.3: nested tables have the format of the host's
 * paging mode at VMRUN, so a host running with 5-level paging (CR4.LA57)
 * needs 5-level nested tables.
 */
int kvmm_tdp_init(struct kvmm_vm *vm)
{
	struct page *root;

	vm->arch.tdp.levels = pgtable_l5_enabled() ? 5 : 4;
	/*
	 * The root exists from the start: hardware must never walk a
	 * nested CR3 of 0, which would be host physical page 0.
	 */
	root = kvmm_alloc_page(GFP_KERNEL_ACCOUNT);
	if (!root)
		return -ENOMEM;
	vm->arch.tdp.root = page_address(root);
	vm->arch.tdp.nr_pages = 1;
	return 0;
}

u64 kvmm_tdp_root_pa(struct kvmm_vm *vm)
{
	return __pa(vm->arch.tdp.root);
}

/* Install gfn -> pfn; mmu_lock held.  Returns false when out of pages. */
static void tdp_map(struct kvmm_vm *vm, struct kvmm_mmu_cache *c, u64 gfn,
		    u64 pfn, bool writable)
{
	u64 *table;
	int level;

	table = vm->arch.tdp.root;
	for (level = vm->arch.tdp.levels; level > 1; level--) {
		u64 *e = &table[spte_index(gfn, level)];

		if (!spte_present(*e)) {
			u64 *next = tdp_new_table(vm, c);

			WRITE_ONCE(*e, spte_make_table(__pa(next)));
		}
		table = __va(spte_addr(*e));
	}
	WRITE_ONCE(table[spte_index(gfn, 1)], spte_make_leaf(pfn, writable));
}

/* Clear leaf entries of [start, end); mmu_lock held.  Returns whether any. */
static bool tdp_zap(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (9 * (level - 1));	/* frames per entry */
	bool zapped = false;
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 lo = base + i * span, hi = lo + span;

		if (hi <= start || lo >= end || !spte_present(table[i]))
			continue;
		if (level == 1) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= tdp_zap(__va(spte_addr(table[i])), level - 1,
					  lo, start, end);
		}
	}
	return zapped;
}

static void tdp_free(u64 *table, int level)
{
	unsigned int i;

	if (level > 1)
		for (i = 0; i < SPTE_PER_TABLE; i++)
			if (spte_present(table[i]))
				tdp_free(__va(spte_addr(table[i])), level - 1);
	kvmm_free_page(virt_to_page(table));
}

void kvmm_tdp_destroy(struct kvmm_vm *vm)
{
	if (vm->arch.tdp.root)
		tdp_free(vm->arch.tdp.root, vm->arch.tdp.levels);
	vm->arch.tdp.root = NULL;
}

/* Make vCPUs forget removed translations before they run again. */
void kvmm_x86_flush_remote_tlbs(struct kvmm_vm *vm)
{
	atomic64_inc(&vm->arch.tlb_gen);
	smp_mb__after_atomic();
	kvmm_vcpu_kick_all(vm);
}

/*
 * Remove the mappings of guest frames [start, end); mmu_lock held.
 * Returns whether any existed: the caller then flushes, once for all the
 * ranges it zapped (kvmm_x86_flush_remote_tlbs()).
 */
bool kvmm_x86_zap_gfn_range_locked(struct kvmm_vm *vm, u64 start, u64 end)
{
	lockdep_assert_held(&vm->mmu_lock);
	return tdp_zap(vm->arch.tdp.root, vm->arch.tdp.levels, 0, start, end);
}

void kvmm_x86_zap_gfn_range(struct kvmm_vm *vm, u64 start, u64 end)
{
	bool zapped;

	spin_lock(&vm->mmu_lock);
	zapped = kvmm_x86_zap_gfn_range_locked(vm, start, end);
	spin_unlock(&vm->mmu_lock);
	if (zapped)
		kvmm_x86_flush_remote_tlbs(vm);
}

static bool tdp_retry_needed(struct kvmm_vm *vm, unsigned long seq,
			     unsigned long hva)
{
	if (vm->mn_active && hva >= vm->mn_start && hva < vm->mn_end)
		return true;
	return vm->mn_seq != seq;
}

/*
 * Resolve a second-level fault at @gpa.  Returns 1 when mapped (re-enter),
 * 0 when the address is not guest RAM for this access (MMIO: a missing
 * slot, or a write to a read-only slot), or -errno: -EFAULT when the
 * host cannot provide the page for this access (unmapped, or mapped
 * read-only for a write: KVM 6.1 answers -EFAULT there too).
 */
int kvmm_tdp_fault(struct kvmm_vcpu *vcpu, u64 gpa, bool write)
{
	struct kvmm_vm *vm = vcpu->vm;
	struct kvmm_mmu_cache *cache = &vcpu->arch.mmu_cache;
	struct kvmm_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	bool writable;
	u64 gfn = gpa >> PAGE_SHIFT;
	int idx, r;

	r = tdp_cache_topup(cache);
	if (r)
		return r;

retry:
	idx = srcu_read_lock(&vm->srcu);
	slot = kvmm_gfn_to_memslot(vm, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		srcu_read_unlock(&vm->srcu, idx);
		return 0;
	}
	hva = kvmm_gfn_to_hva(slot, gfn);
	writable = !(slot->flags & KVM_MEM_READONLY);

	seq = READ_ONCE(vm->mn_seq);
	smp_rmb();

	/*
	 * Map writable only when the host page is writable: ask for write
	 * access on writes, and try it on reads of writable slots so that a
	 * read does not leave a read-only mapping behind that faults again.
	 */
	r = get_user_pages_fast(hva, 1, writable && write ? FOLL_WRITE : 0,
				&page);
	if (r == 1 && writable && !write) {
		struct page *wpage;

		if (get_user_pages_fast_only(hva, 1, FOLL_WRITE, &wpage) == 1) {
			put_page(page);
			page = wpage;
		} else {
			writable = false;
		}
	}
	if (r != 1) {
		srcu_read_unlock(&vm->srcu, idx);
		return r == -EINTR || r == -ERESTARTSYS ? -EINTR : -EFAULT;
	}

	/*
	 * Still inside the SRCU section: a slot being deleted or moved is
	 * zapped only after its faults are done, so no mapping outlives it.
	 */
	spin_lock(&vm->mmu_lock);
	if (tdp_retry_needed(vm, seq, hva)) {
		spin_unlock(&vm->mmu_lock);
		srcu_read_unlock(&vm->srcu, idx);
		put_page(page);
		cond_resched();
		goto retry;
	}
	tdp_map(vm, cache, gfn, page_to_pfn(page), writable);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	if (writable)
		set_page_dirty_lock(page);
	mark_page_accessed(page);
	put_page(page);
	return 1;
}
