// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION (api.rst 4.35) with KVM's
 * semantics and errors.
 *
 * Slots are indexed three times: by guest frame range in a maple tree,
 * whose lookups are RCU-safe and logarithmic (the fault path), by id in
 * an xarray (the ioctl path), and by host address in an interval tree
 * under mmu_lock (the MMU notifier, so an invalidation costs a lookup,
 * not a walk over up to 32764 slots).  Writers hold vm->slots_lock; readers hold
 * vm->srcu across the lookup and every use of the slot, and a removed
 * slot is freed only after synchronize_srcu().  Before a slot's range
 * stops mapping to its memory, the second-level mappings of the range are
 * zapped (Documentation/mmu.rst).  A change of flags alone replaces the
 * slot in place, so the guest's memory never disappears meanwhile, and
 * starts or stops dirty logging (virt/dirty_log.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

/* A slot no reader can reach any more, with its dirty bitmap. */
static void kvmm_slot_free(struct kvmm_memslot *slot)
{
	if (slot->dirty_bitmap)
		kvmm_dirty_bitmap_free(slot);
	kvmm_free(slot);
}

int kvmm_memslots_init(struct kvmm_vm *vm)
{
	mt_init(&vm->by_gfn);
	xa_init(&vm->by_id);
	vm->by_hva = RB_ROOT_CACHED;
	return 0;
}

void kvmm_memslots_destroy(struct kvmm_vm *vm)
{
	struct kvmm_memslot *slot;
	unsigned long id;

	xa_for_each(&vm->by_id, id, slot)
		kvmm_slot_free(slot);
	xa_destroy(&vm->by_id);
	mtree_destroy(&vm->by_gfn);
}

struct kvmm_memslot *kvmm_gfn_to_memslot(struct kvmm_vm *vm, u64 gfn)
{
	if (gfn > ULONG_MAX)
		return NULL;
	return mtree_load(&vm->by_gfn, gfn);
}

static int kvmm_slot_insert(struct kvmm_vm *vm, struct kvmm_memslot *slot)
{
	/* -EEXIST when any frame of the range is taken: KVM's overlap error. */
	return mtree_insert_range(&vm->by_gfn, slot->base_gfn,
				  kvmm_memslot_end_gfn(slot) - 1, slot,
				  GFP_KERNEL_ACCOUNT);
}

static void kvmm_slot_unpublish(struct kvmm_vm *vm, struct kvmm_memslot *slot)
{
	mtree_store_range(&vm->by_gfn, slot->base_gfn,
			  kvmm_memslot_end_gfn(slot) - 1, NULL, GFP_KERNEL);
	/*
	 * Faults that found the slot are done once SRCU readers are.
	 * Expedited, as KVM waits for memslot changes: the plain wait is
	 * expedited only when SRCU looks idle, and otherwise takes a
	 * scheduler tick or more per slot (make bench, "memslots").
	 */
	synchronize_srcu_expedited(&vm->srcu);
	kvmm_x86_zap_gfn_range(vm, slot->base_gfn, kvmm_memslot_end_gfn(slot));
}

/* A slot enters and leaves by_hva together with by_id. */
static void kvmm_slot_hva_add(struct kvmm_vm *vm, struct kvmm_memslot *slot)
{
	slot->hva_node.start = slot->userspace_addr;
	slot->hva_node.last = slot->userspace_addr +
			      (slot->npages << PAGE_SHIFT) - 1;
	spin_lock(&vm->mmu_lock);
	interval_tree_insert(&slot->hva_node, &vm->by_hva);
	spin_unlock(&vm->mmu_lock);
}

static void kvmm_slot_hva_del(struct kvmm_vm *vm, struct kvmm_memslot *slot)
{
	spin_lock(&vm->mmu_lock);
	interval_tree_remove(&slot->hva_node, &vm->by_hva);
	spin_unlock(&vm->mmu_lock);
}

static int kvmm_check_region(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~kvmm_x86_memslot_flags())
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	/* Address space 1 (SMM) does not exist without KVM_CAP_X86_SMM. */
	if ((mem->slot >> 16) || (u16)mem->slot >= KVMM_USER_MEM_SLOTS)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVMM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/* Is a frame of [start, end) in a slot other than @id? */
static bool kvmm_range_taken(struct kvmm_vm *vm, u64 start, u64 end, u16 id)
{
	struct kvmm_memslot *slot;
	unsigned long index = start;

	mt_for_each(&vm->by_gfn, slot, index, end - 1)
		if (slot->id != id)
			return true;
	return false;
}

/*
 * A slot must end within what the second-level table can map
 * (Documentation/mmu.rst, "Guest-physical reach"); beyond it an entry
 * would alias a low frame and a zap of the slot would miss it.  Linux
 * KVM refuses such a slot with EINVAL when it is created or moved, after
 * its overlap check (EEXIST), so an overlap is reported first here too.
 */
static int kvmm_check_reach(struct kvmm_vm *vm, u64 base_gfn, u64 npages,
			    u16 id)
{
	if (base_gfn + npages <= kvmm_tdp_gfn_end(vm))
		return 0;
	return kvmm_range_taken(vm, base_gfn, base_gfn + npages, id) ?
	       -EEXIST : -EINVAL;
}

/*
 * Same frames, same memory, other flags (KVM_MR_FLAGS_ONLY: only
 * KVM_MEM_LOG_DIRTY_PAGES may change): @new takes @old's place in every
 * index at once, so a fault finds one or the other, never no slot, and
 * the mappings stay.  Once no reader uses @old, the mappings are made to
 * fit the new flags (dirty logging starts or stops).
 */
static long kvmm_slot_change_flags(struct kvmm_vm *vm,
				   struct kvmm_memslot *old,
				   struct kvmm_memslot *new)
{
	int r;

	r = mtree_store_range(&vm->by_gfn, new->base_gfn,
			      kvmm_memslot_end_gfn(new) - 1, new,
			      GFP_KERNEL_ACCOUNT);
	if (r) {
		if (new->dirty_bitmap != old->dirty_bitmap)
			kvmm_dirty_bitmap_free(new);
		kvmm_free(new);
		return -ENOMEM;
	}
	xa_store(&vm->by_id, new->id, new, GFP_KERNEL_ACCOUNT);
	kvmm_slot_hva_add(vm, new);
	kvmm_slot_hva_del(vm, old);
	synchronize_srcu_expedited(&vm->srcu);

	kvmm_dirty_log_commit(vm, old, new);
	if (old->dirty_bitmap == new->dirty_bitmap)
		old->dirty_bitmap = NULL;
	kvmm_slot_free(old);
	return 0;
}

/* Caller holds vm->slots_lock. */
long kvmm_vm_set_memory_region(struct kvmm_vm *vm,
			       const struct kvm_userspace_memory_region *mem)
{
	struct kvmm_memslot *old, *new;
	u64 base_gfn, npages;
	int r;

	r = kvmm_check_region(mem);
	if (r)
		return r;

	old = xa_load(&vm->by_id, (u16)mem->slot);
	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;

	if (!npages) {
		/* Delete. */
		if (!old)
			return -EINVAL;
		kvmm_slot_unpublish(vm, old);
		xa_erase(&vm->by_id, old->id);
		kvmm_slot_hva_del(vm, old);
		vm->nr_slot_pages -= old->npages;
		kvmm_slot_free(old);
		return 0;
	}

	if (old) {
		/* Only the guest address and the non-readonly flags may change. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;
	} else if (vm->nr_slot_pages + npages < vm->nr_slot_pages) {
		return -EINVAL;
	}
	r = kvmm_check_reach(vm, base_gfn, npages, (u16)mem->slot);
	if (r)
		return r;

	new = kvmm_zalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->id = (u16)mem->slot;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->flags = mem->flags;
	new->userspace_addr = mem->userspace_addr;
	r = kvmm_dirty_log_prepare(vm, old, new);
	if (r)
		goto out_free;

	if (!old) {
		r = xa_insert(&vm->by_id, new->id, new, GFP_KERNEL_ACCOUNT);
		if (r)
			goto out_free;
		r = kvmm_slot_insert(vm, new);
		if (r) {
			xa_erase(&vm->by_id, new->id);
			goto out_free;
		}
		kvmm_slot_hva_add(vm, new);
		vm->nr_slot_pages += npages;
		return 0;
	}

	if (base_gfn == old->base_gfn)
		return kvmm_slot_change_flags(vm, old, new);

	/*
	 * Move (the flags may change too): take the old slot out (and its
	 * mappings), then publish the new one; on overlap put the old one
	 * back.
	 */
	kvmm_slot_unpublish(vm, old);
	r = kvmm_slot_insert(vm, new);
	if (r) {
		if (kvmm_slot_insert(vm, old))
			kvmm_vm_bug(vm, "memslot %u lost on failed move\n",
				    old->id);
		goto out_free;
	}
	xa_store(&vm->by_id, new->id, new, GFP_KERNEL_ACCOUNT);
	kvmm_slot_hva_add(vm, new);
	kvmm_slot_hva_del(vm, old);
	/* A bitmap the new slot took over stays (kvmm_dirty_log_prepare()). */
	if (old->dirty_bitmap == new->dirty_bitmap)
		old->dirty_bitmap = NULL;
	kvmm_slot_free(old);
	return 0;

out_free:
	if (new->dirty_bitmap && (!old || new->dirty_bitmap != old->dirty_bitmap))
		kvmm_dirty_bitmap_free(new);
	kvmm_free(new);
	return r == -ENOMEM ? -ENOMEM : (r == -EEXIST ? -EEXIST : -EINVAL);
}
