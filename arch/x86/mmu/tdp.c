// SPDX-License-Identifier: GPL-2.0
/*
 * Two-dimensional paging (NPT now, EPT later): second-level page tables
 * filled on demand from memory slots and kept coherent with the host mm.
 * The rules are in Documentation/mmu.rst; in short:
 *
 *  - a mapping is created only by a guest fault, from the slot's
 *    userspace address, with no page pinned beyond the fault; it maps
 *    2 MiB when the slot's layout and the host's own mapping allow;
 *  - vm->mmu_lock protects the tables; pages for new tables are taken
 *    before the lock and handed in through a small cache;
 *  - an MMU-notifier invalidation overlapping a fault in flight makes the
 *    fault retry (vm->mn_seq / mn_active), so a mapping never outlives the
 *    host page it maps;
 *  - after entries are removed, vCPUs flush their TLB before re-entering
 *    (KVMM_REQ_TLB_FLUSH) and running ones are kicked out first; a table
 *    page taken out of the tree is freed only after that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>

#include <kvmm/kvmm.h>
#include <kvmm/request.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "tdp.h"

#define TDP_CACHE_PAGES	SPTE_MAX_LEVELS
static_assert(TDP_CACHE_PAGES <= ARRAY_SIZE(((struct kvmm_mmu_cache *)0)->pages));
static_assert(SPTE_LEAF_LEVELS == ARRAY_SIZE(((struct kvmm_tdp *)0)->leaves));

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
static int tdp_levels(void)
{
	return pgtable_l5_enabled() ? 5 : 4;
}

/*
 * Guest-physical address bits the second-level table reaches
 * (Documentation/mmu.rst, "Guest-physical reach"), the least of:
 *
 *  - what its levels index: 12 bits of page offset and 9 per level, 48
 *    with four levels, 57 with five.  An entry for a frame beyond would
 *    be indexed modulo the top level and alias a low frame;
 *  - the CPU's physical address width, CPUID Fn8000_0008 EAX[7:0]: a
 *    guest cannot form a larger address, as its page tables and CR3
 *    reserve the bits above it (APM vol. 2, 5.3 and 5.4).  CPUID's own
 *    value, as Linux KVM takes it: the kernel lowers x86_phys_bits for
 *    memory encryption, which narrows host addresses, not guest ones;
 *  - GuestPhysAddrSize, EAX[23:16], when the CPU gives it (nonzero): the
 *    largest guest address it supports with nested paging.
 */
unsigned int kvmm_tdp_gpa_bits(void)
{
	unsigned int bits = PAGE_SHIFT + 9 * tdp_levels();
	unsigned int phys = boot_cpu_data.x86_phys_bits, guest = 0;

	if (boot_cpu_data.extended_cpuid_level >= 0x80000008) {
		u32 eax = cpuid_eax(0x80000008);

		phys = eax & 0xff;
		guest = (eax >> 16) & 0xff;
	}
	bits = min(bits, phys);
	if (guest)
		bits = min(bits, guest);
	return bits;
}

/* The first guest frame the VM's table cannot map. */
u64 kvmm_tdp_gfn_end(struct kvmm_vm *vm)
{
	return vm->arch.tdp.gfn_end;
}

int kvmm_tdp_init(struct kvmm_vm *vm)
{
	struct page *root;

	vm->arch.tdp.levels = tdp_levels();
	vm->arch.tdp.gfn_end = 1ULL << (kvmm_tdp_gpa_bits() - PAGE_SHIFT);
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

static void tdp_count_leaves(struct kvmm_vm *vm, int level, long n)
{
	vm->arch.tdp.leaves[level - 1] += n;
}

static unsigned int tdp_count_present(const u64 *table)
{
	unsigned int i, n = 0;

	for (i = 0; i < SPTE_PER_TABLE; i++)
		n += spte_present(table[i]);
	return n;
}

/*
 * The one place that accounts for an entry at @level going from @old to
 * @new (KVM's handle_changed_spte()); mmu_lock held.  It keeps the leaf
 * counts (pages_4k, pages_2m) and the table-page count, and tells the
 * caller through @rm what the change requires before mmu_lock's holder
 * returns to whoever relies on it:
 *
 *  - a flush when a translation the CPU may have cached is gone or lost
 *    write permission: a present leaf cleared, replaced by a table or
 *    another frame, or made read-only; a table unlinked;
 *  - freeing, after that flush, of a 4-KiB table a 2-MiB leaf replaced.
 *
 * Nothing else changes the tree's shape; a leaf made writable, or a
 * leaf or table added where nothing was, needs no flush.
 */
void tdp_spte_changed(struct kvmm_vm *vm, u64 old, u64 new, int level,
		      struct tdp_removed *rm)
{
	bool old_leaf = spte_present(old) && spte_is_leaf(old, level);
	bool new_leaf = spte_present(new) && spte_is_leaf(new, level);
	bool same_frame = spte_present(new) && spte_addr(new) == spte_addr(old);

	if (old_leaf)
		tdp_count_leaves(vm, level, -1);
	if (new_leaf)
		tdp_count_leaves(vm, level, 1);

	if (old_leaf && (!new_leaf || !same_frame ||
			 ((old & SPTE_RW) && !(new & SPTE_RW))))
		rm->flush = true;

	if (spte_present(old) && !old_leaf && !same_frame) {
		u64 *table = __va(spte_addr(old));

		/* Only a 2-MiB leaf replaces a table: one of 4-KiB leaves. */
		if (level != SPTE_LEVEL_2M || rm->table) {
			kvmm_internal_error("table at level %d unlinked, or a second one\n",
					    level);
			return;
		}
		tdp_count_leaves(vm, SPTE_LEVEL_4K,
				 -(long)tdp_count_present(table));
		vm->arch.tdp.nr_pages--;
		rm->table = table;
		rm->flush = true;
	}
}

/* Replace the entry at @sptep (at @level) with @new; returns the old one. */
u64 tdp_set_spte(struct kvmm_vm *vm, u64 *sptep, u64 new, int level,
		 struct tdp_removed *rm)
{
	/*
	 * xchg: the CPU may set the accessed bit of a present leaf under us
	 * (a locked update); the entry read back is what was replaced.
	 */
	u64 old = xchg(sptep, new);

	tdp_spte_changed(vm, old, new, level, rm);
	return old;
}

/*
 * Take write permission from the present leaf at @sptep, or give it
 * back with the dirty bit preset.  Atomic operations: they cannot undo
 * an accessed bit the CPU sets meanwhile (tdp_age() clears it the same
 * way).
 */
void tdp_clear_writable(struct kvmm_vm *vm, u64 *sptep, int level,
			struct tdp_removed *rm)
{
	u64 old = atomic64_fetch_andnot(SPTE_RW, (atomic64_t *)sptep);

	tdp_spte_changed(vm, old, old & ~SPTE_RW, level, rm);
}

void tdp_make_writable(struct kvmm_vm *vm, u64 *sptep, int level,
		       struct tdp_removed *rm)
{
	u64 old = atomic64_fetch_or(SPTE_RW | SPTE_D, (atomic64_t *)sptep);

	tdp_spte_changed(vm, old, old | SPTE_RW | SPTE_D, level, rm);
}

/*
 * The entry for @gfn at level @target, or the first one above it that is
 * not present or a leaf; its level in @level.  mmu_lock held.
 */
u64 *tdp_walk_to(struct kvmm_vm *vm, u64 gfn, int target, int *level)
{
	u64 *table = vm->arch.tdp.root;
	int l;

	for (l = vm->arch.tdp.levels; ; l--) {
		u64 *e = &table[spte_index(gfn, l)];
		u64 v = READ_ONCE(*e);

		if (l == target || !spte_present(v) || spte_is_leaf(v, l)) {
			*level = l;
			return e;
		}
		table = __va(spte_addr(v));
	}
}

/* After mmu_lock is dropped: flush, then free what was unlinked. */
void tdp_finish(struct kvmm_vm *vm, struct tdp_removed *rm)
{
	if (rm->flush)
		kvmm_x86_flush_remote_tlbs(vm);
	if (rm->table)
		kvmm_free_page(virt_to_page(rm->table));
}

/*
 * Install @spte, a leaf at @level (SPTE_LEVEL_4K or SPTE_LEVEL_2M), for
 * @gfn, aligned to the leaf's size; mmu_lock held.  Whatever the leaf's
 * PDE held before (a 4-KiB table, a 2-MiB leaf) is taken out and
 * reported in @rm.  A leaf already there for the same frame with at
 * least the new permissions stays (another vCPU's fault came first).
 */
static void tdp_map(struct kvmm_vm *vm, struct kvmm_mmu_cache *c, u64 gfn,
		    u64 spte, int level, struct tdp_removed *rm)
{
	u64 *table = vm->arch.tdp.root;
	u64 *e, old;
	int l;

	for (l = vm->arch.tdp.levels; l > level; l--) {
		e = &table[spte_index(gfn, l)];
		/*
		 * A 4-KiB leaf inside a 2-MiB one: the host mapping shrank,
		 * or the slot logs dirty pages now.  The 2-MiB leaf goes;
		 * the rest of its range faults in again.
		 */
		if (spte_present(*e) && spte_is_leaf(*e, l))
			tdp_set_spte(vm, e, 0, l, rm);
		if (!spte_present(*e))
			tdp_set_spte(vm, e,
				     spte_make_table(__pa(tdp_new_table(vm, c))),
				     l, rm);
		table = __va(spte_addr(*e));
	}

	e = &table[spte_index(gfn, level)];
	old = READ_ONCE(*e);
	if (spte_present(old) && spte_is_leaf(old, level) &&
	    spte_addr(old) == spte_addr(spte) &&
	    (!(spte & SPTE_RW) || (old & SPTE_RW)))
		return;
	/*
	 * Over a 4-KiB table, tdp_spte_changed() unlinks it: its leaves
	 * mapped the same host pages (no invalidation came in between), so
	 * until the flush the guest sees nothing stale through them.
	 */
	tdp_set_spte(vm, e, spte, level, rm);
}

/*
 * Clear the leaves overlapping frames [start, end); mmu_lock held.  A
 * 2-MiB leaf overlapping the range in any part goes whole.  @rm->flush
 * says whether any leaf was cleared.
 */
static void tdp_zap(struct kvmm_vm *vm, u64 *table, int level, u64 base,
		    u64 start, u64 end, struct tdp_removed *rm)
{
	u64 span = spte_level_frames(level);
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 lo = base + i * span, hi = lo + span;

		if (hi <= start || lo >= end || !spte_present(table[i]))
			continue;
		if (spte_is_leaf(table[i], level))
			tdp_set_spte(vm, &table[i], 0, level, rm);
		else
			tdp_zap(vm, __va(spte_addr(table[i])), level - 1, lo,
				start, end, rm);
	}
}

/* Free @table and every table below it, counting them and the leaves. */
static void tdp_free(u64 *table, int level, unsigned long *tables,
		     u64 *leaves)
{
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		if (!spte_present(table[i]))
			continue;
		if (spte_is_leaf(table[i], level))
			leaves[level - 1]++;
		else
			tdp_free(__va(spte_addr(table[i])), level - 1, tables,
				 leaves);
	}
	kvmm_free_page(virt_to_page(table));
	(*tables)++;
}

/*
 * Free the tables; what is found must be what was counted (a table page
 * lost from the tree, or a leaf counter gone wrong, is a kvmm bug).
 */
void kvmm_tdp_destroy(struct kvmm_vm *vm)
{
	struct kvmm_tdp *tdp = &vm->arch.tdp;
	u64 leaves[SPTE_LEAF_LEVELS] = {};
	unsigned long tables = 0;

	if (!tdp->root)
		return;
	tdp_free(tdp->root, tdp->levels, &tables, leaves);
	tdp->root = NULL;
	if (tables != tdp->nr_pages || leaves[0] != tdp->leaves[0] ||
	    leaves[1] != tdp->leaves[1])
		kvmm_internal_error("second-level tables: %lu pages freed, %lu counted; 4-KiB leaves %llu, counted %llu; 2-MiB leaves %llu, counted %llu\n",
				    tables, tdp->nr_pages, leaves[0],
				    tdp->leaves[0], leaves[1], tdp->leaves[1]);
}

/*
 * Page aging for host reclaim: whether a leaf overlapping frames
 * [start, end) has its accessed bit set, clearing the bits when @clear.
 * The CPU sets A (and D) in second-level entries with a locked update
 * while the guest runs (APM vol. 2, 15.25.5), so the bit is cleared with
 * an atomic operation that cannot undo a concurrent D update.  mmu_lock
 * held.
 */
static bool tdp_age(u64 *table, int level, u64 base, u64 start, u64 end,
		    bool clear)
{
	u64 span = spte_level_frames(level);
	bool young = false;
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 lo = base + i * span, hi = lo + span;
		u64 e = READ_ONCE(table[i]);

		if (hi <= start || lo >= end || !spte_present(e))
			continue;
		if (!spte_is_leaf(e, level)) {
			young |= tdp_age(__va(spte_addr(e)), level - 1, lo,
					 start, end, clear);
			continue;
		}
		if (!(e & SPTE_A))
			continue;
		young = true;
		if (clear)
			clear_bit(SPTE_A_BIT, (unsigned long *)&table[i]);
	}
	return young;
}

bool kvmm_x86_age_gfn_range_locked(struct kvmm_vm *vm, u64 start, u64 end,
				   bool clear)
{
	lockdep_assert_held(&vm->mmu_lock);
	end = min(end, vm->arch.tdp.gfn_end);
	if (start >= end)
		return false;
	return tdp_age(vm->arch.tdp.root, vm->arch.tdp.levels, 0, start, end,
		       clear);
}

/*
 * Make vCPUs forget removed translations before they run again: each
 * flushes before its next entry, and those in the guest now have exited
 * when this returns (the kick waits for its IPI), so a table page
 * unlinked before the call may be freed after it.
 */
void kvmm_x86_flush_remote_tlbs(struct kvmm_vm *vm)
{
	kvmm_make_all_request(vm, KVMM_REQ_TLB_FLUSH);
}

/*
 * Remove the mappings of guest frames [start, end); mmu_lock held.
 * Returns whether any existed: the caller then flushes, once for all the
 * ranges it zapped (kvmm_x86_flush_remote_tlbs()).
 */
bool kvmm_x86_zap_gfn_range_locked(struct kvmm_vm *vm, u64 start, u64 end)
{
	struct tdp_removed rm = {};

	lockdep_assert_held(&vm->mmu_lock);
	/* Nothing is mapped beyond the reach (kvmm_tdp_fault()). */
	end = min(end, vm->arch.tdp.gfn_end);
	if (start >= end)
		return false;
	tdp_zap(vm, vm->arch.tdp.root, vm->arch.tdp.levels, 0, start, end,
		&rm);
	return rm.flush;
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

/* Is an invalidation running over any of host addresses [start, end)? */
static bool tdp_invalidating(struct kvmm_vm *vm, unsigned long start,
			     unsigned long end)
{
	return vm->mn_active && start < vm->mn_end && end > vm->mn_start;
}

static bool tdp_retry_needed(struct kvmm_vm *vm, unsigned long seq,
			     unsigned long hva)
{
	return tdp_invalidating(vm, hva, hva + 1) || vm->mn_seq != seq;
}

/*
 * Could @gfn's aligned 2 MiB be one leaf as far as @slot goes: all of it
 * in the slot, backed by one aligned 2 MiB of host addresses?
 */
static bool tdp_slot_allows_2m(const struct kvmm_memslot *slot, u64 gfn)
{
	u64 base = gfn & ~(TDP_2M_FRAMES - 1);

	if (base < slot->base_gfn ||
	    base + TDP_2M_FRAMES > kvmm_memslot_end_gfn(slot))
		return false;
	return !(((slot->userspace_addr >> PAGE_SHIFT) - slot->base_gfn) &
		 (TDP_2M_FRAMES - 1));
}

/*
 * Does the host map @hva with a PMD or PUD leaf (THP, hugetlbfs)?  A
 * lockless walk of @mm's page table: with interrupts off no host table
 * page can be freed under it (x86 frees them after an IPI or an RCU-sched
 * grace period), and each entry is read once, as a huge page may replace
 * a table during the walk.  The answer is only meaningful while no
 * invalidation of @hva can run: the caller holds mmu_lock and has done
 * its retry check (Documentation/mmu.rst, "2 MiB leaves").
 */
static bool tdp_host_maps_huge(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	bool huge = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || !pgd_present(pgd))
		goto out;
	/* Without LA57, p4d_offset() folds onto this copy of the PGD entry. */
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_large(pud)) {
		huge = true;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	huge = !pmd_none(pmd) && pmd_present(pmd) && pmd_large(pmd);
out:
	local_irq_restore(flags);
	return huge;
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
	struct tdp_removed rm = {};
	struct kvmm_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	bool writable, huge_slot, logging;
	u64 gfn = gpa >> PAGE_SHIFT, frames, spte;
	int idx, r, level;

	/*
	 * Beyond the reach no slot can exist (kvmm_vm_set_memory_region())
	 * and an entry would alias a low frame: MMIO, never a mapping.  A
	 * guest forms such an address only if userspace showed it a wider
	 * MAXPHYADDR than KVM_GET_SUPPORTED_CPUID offers.
	 */
	if (gfn >= vm->arch.tdp.gfn_end)
		return 0;

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
	/*
	 * Dirty logging: a write to a page the log write-protected only
	 * needs the permission back (and the page marked), no host lookup.
	 */
	logging = slot->dirty_bitmap;
	if (logging && write && kvmm_tdp_dirty_fault(vm, slot, gfn)) {
		srcu_read_unlock(&vm->srcu, idx);
		return 1;
	}
	hva = kvmm_gfn_to_hva(slot, gfn);
	writable = !(slot->flags & KVM_MEM_READONLY);
	/* A logged slot is mapped by 4 KiB: the log has a bit per page. */
	huge_slot = !logging && tdp_slot_allows_2m(slot, gfn);

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
	/*
	 * 2 MiB when the slot allows it, no invalidation is changing any
	 * part of the host's 2 MiB, and the host maps it with one leaf: the
	 * page is then part of an aligned, contiguous 2 MiB (or larger) of
	 * host memory, writable as a whole if the page was obtained so.
	 */
	level = SPTE_LEVEL_4K;
	if (huge_slot &&
	    !tdp_invalidating(vm, ALIGN_DOWN(hva, TDP_2M_BYTES),
			      ALIGN_DOWN(hva, TDP_2M_BYTES) + TDP_2M_BYTES) &&
	    tdp_host_maps_huge(vm->mm, hva))
		level = SPTE_LEVEL_2M;
	frames = spte_level_frames(level);
	/*
	 * A logged slot's leaf is writable only once the guest writes, and
	 * the page's bit is set under the same hold of mmu_lock: a harvest
	 * (GET/CLEAR_DIRTY_LOG) then either sees the bit and write-protects
	 * the leaf after us, or comes first and the bit is for the next one.
	 */
	spte = spte_make_leaf(ALIGN_DOWN(page_to_pfn(page), frames),
			      writable && (write || !logging), writable, level);
	tdp_map(vm, cache, ALIGN_DOWN(gfn, frames), spte, level, &rm);
	if (logging && write && writable)
		kvmm_mark_page_dirty_in_slot(vm, slot, gfn);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	tdp_finish(vm, &rm);

	if (writable)
		set_page_dirty_lock(page);
	mark_page_accessed(page);
	put_page(page);
	return 1;
}
