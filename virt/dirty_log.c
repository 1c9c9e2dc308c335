// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging (api.rst 4.8 KVM_GET_DIRTY_LOG, 4.117
 * KVM_CLEAR_DIRTY_LOG, 7.18 KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, and
 * KVM_MEM_LOG_DIRTY_PAGES of 4.35), with KVM's semantics and errors.
 *
 * A slot created or changed with KVM_MEM_LOG_DIRTY_PAGES gets a bitmap,
 * one bit per page, that whatever writes guest memory sets with an
 * atomic operation: the second-level fault path under mmu_lock when it
 * lets the guest write a page (arch/x86/mmu/dirty.c), kvmm's own writes
 * (the emulator, kvmm_write_guest()) after writing.  Userspace harvests
 * it: GET_DIRTY_LOG copies it out and, unless manual protection is on,
 * clears what it copied and write-protects those pages again;
 * CLEAR_DIRTY_LOG clears and write-protects the pages userspace names.
 *
 * Locking (Documentation/mmu.rst, "Dirty logging"): slots_lock orders
 * harvests against each other and against slot changes, and guards the
 * second half of the bitmap (the harvest's buffer).  The bits themselves
 * are set without slots_lock; a harvest takes each word with xchg or
 * fetch-and-not under mmu_lock and write-protects the pages whose bits
 * it took before dropping mmu_lock, then flushes the TLBs before it
 * returns.  So a write after the harvest returns always faults and sets
 * its bit again.
 */
#include <linux/bitmap.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

/* What KVM_CHECK_EXTENSION(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) offers. */
#define KVMM_DIRTY_LOG_MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)

static unsigned long *kvmm_second_bitmap(const struct kvmm_memslot *slot)
{
	return slot->dirty_bitmap +
	       kvmm_dirty_bitmap_bytes(slot) / sizeof(unsigned long);
}

void kvmm_dirty_bitmap_free(struct kvmm_memslot *slot)
{
	kvmm_kvfree(slot->dirty_bitmap, 2 * kvmm_dirty_bitmap_bytes(slot));
	slot->dirty_bitmap = NULL;
}

static bool kvmm_initially_set(const struct kvmm_vm *vm)
{
	return vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET;
}

/*
 * Before @new (replacing @old, or NULL) is published, slots_lock held:
 * give it a bitmap when it logs.  As in KVM, a slot that logged before
 * keeps its bitmap (a move keeps the bits); a new one starts clear, or
 * all set with KVM_DIRTY_LOG_INITIALLY_SET.
 */
int kvmm_dirty_log_prepare(struct kvmm_vm *vm, struct kvmm_memslot *old,
			   struct kvmm_memslot *new)
{
	new->dirty_bitmap = NULL;
	if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return 0;
	if (old && old->dirty_bitmap) {
		new->dirty_bitmap = old->dirty_bitmap;
		return 0;
	}
	new->dirty_bitmap = kvmm_kvzalloc(2 * kvmm_dirty_bitmap_bytes(new),
					  GFP_KERNEL_ACCOUNT);
	if (!new->dirty_bitmap)
		return -ENOMEM;
	if (kvmm_initially_set(vm))
		bitmap_set(new->dirty_bitmap, 0, new->npages);
	return 0;
}

/*
 * After @new replaced @old in place (same frames, only the flags
 * changed) and no SRCU reader still uses @old: make the mappings fit the
 * new flags.  KVM does nothing for read-only slots, whose pages can
 * never be written; their bitmap stays clear.  @old's bitmap, if @new
 * did not take it over, is freed with @old by the caller.
 */
void kvmm_dirty_log_commit(struct kvmm_vm *vm, struct kvmm_memslot *old,
			   struct kvmm_memslot *new)
{
	bool was = old->dirty_bitmap, is = new->dirty_bitmap;

	if (was == is || (new->flags & KVM_MEM_READONLY))
		return;
	if (is)
		kvmm_x86_dirty_log_enable(vm, new, !kvmm_initially_set(vm));
	else
		kvmm_x86_dirty_log_disable(vm, new);
}

/*
 * Record a write to @gfn of @slot; SRCU held (the slot and its bitmap
 * live until the reader is gone).  Callers that made the page writable
 * in the second-level table hold mmu_lock too; those that wrote it
 * themselves call this after the write.
 */
void kvmm_mark_page_dirty_in_slot(struct kvmm_vm *vm,
				  const struct kvmm_memslot *slot, u64 gfn)
{
	if (!slot || !slot->dirty_bitmap)
		return;
	if (!test_and_set_bit(gfn - slot->base_gfn, slot->dirty_bitmap))
		atomic64_inc(&vm->dirty_marked);
}

/* The same, looking the slot up; SRCU held. */
void kvmm_mark_page_dirty(struct kvmm_vm *vm, u64 gfn)
{
	kvmm_mark_page_dirty_in_slot(vm, kvmm_gfn_to_memslot(vm, gfn), gfn);
}

/*
 * Only address space 0 exists (no SMM: KVM_CAP_MULTI_ADDRESS_SPACE
 * answers 0), so slot ids with bits above 15 get -EINVAL, as from a KVM
 * built without SMM; ids beyond the slot count too.
 */
static bool kvmm_slot_id_valid(u32 id)
{
	return !(id >> 16) && (u16)id < KVMM_USER_MEM_SLOTS;
}

/*
 * The logging slot @id names, for the two harvest ioctls (slots_lock
 * held): -EINVAL for an address space or id KVM does not have, -ENOENT
 * for no slot or one that does not log.
 */
static struct kvmm_memslot *kvmm_logged_slot(struct kvmm_vm *vm, u32 id,
					     long *err)
{
	struct kvmm_memslot *slot;

	*err = -EINVAL;
	if (!kvmm_slot_id_valid(id))
		return NULL;
	*err = -ENOENT;
	slot = xa_load(&vm->by_id, (u16)id);
	if (!slot || !slot->dirty_bitmap)
		return NULL;
	return slot;
}

/*
 * Take the bits of @mask out of word @i of @slot's bitmap (all of them
 * when @mask is ~0) and write-protect the pages whose bits were set;
 * mmu_lock held.  Returns the bits taken.
 */
static unsigned long kvmm_harvest_word(struct kvmm_vm *vm,
				       struct kvmm_memslot *slot,
				       unsigned long i, unsigned long mask,
				       bool *flush)
{
	atomic_long_t *word = (atomic_long_t *)&slot->dirty_bitmap[i];

	if (!mask || !atomic_long_read(word))
		return 0;
	if (mask == ~0UL)
		mask = atomic_long_xchg(word, 0);
	else
		mask &= atomic_long_fetch_andnot(mask, word);
	if (mask)
		*flush |= kvmm_x86_dirty_wrprot_masked(vm, slot,
						       i * BITS_PER_LONG, mask);
	return mask;
}

static long kvmm_get_dirty_log(struct kvmm_vm *vm, struct kvm_dirty_log *log)
{
	struct kvmm_memslot *slot;
	unsigned long i, n, *buf;
	bool flush = false;
	long r;

	slot = kvmm_logged_slot(vm, log->slot, &r);
	if (!slot)
		return r;
	n = kvmm_dirty_bitmap_bytes(slot);
	if (vm->manual_dirty_log_protect) {
		/* Userspace clears and protects with KVM_CLEAR_DIRTY_LOG. */
		buf = slot->dirty_bitmap;
	} else {
		buf = kvmm_second_bitmap(slot);
		spin_lock(&vm->mmu_lock);
		for (i = 0; i < n / sizeof(long); i++)
			buf[i] = kvmm_harvest_word(vm, slot, i, ~0UL, &flush);
		spin_unlock(&vm->mmu_lock);
	}
	/* No write may go unrecorded through a stale writable translation. */
	if (flush)
		kvmm_x86_flush_remote_tlbs(vm);
	if (copy_to_user(log->dirty_bitmap, buf, n))
		return -EFAULT;
	return 0;
}

/* KVM_GET_DIRTY_LOG (api.rst 4.8). */
long kvmm_vm_get_dirty_log(struct kvmm_vm *vm, struct kvm_dirty_log *log)
{
	long r;

	mutex_lock(&vm->slots_lock);
	r = kvmm_get_dirty_log(vm, log);
	mutex_unlock(&vm->slots_lock);
	return r;
}

static long kvmm_clear_dirty_log(struct kvmm_vm *vm,
				 struct kvm_clear_dirty_log *log)
{
	struct kvmm_memslot *slot;
	unsigned long i, n, *buf;
	bool flush = false;
	long r;

	/* KVM's order of checks, and so of errors. */
	if (!kvmm_slot_id_valid(log->slot))
		return -EINVAL;
	if (log->first_page & 63)
		return -EINVAL;
	slot = kvmm_logged_slot(vm, log->slot, &r);
	if (!slot)
		return r;
	/*
	 * The range lies in the slot, and only the slot's last range may
	 * have a length that is not a multiple of 64.
	 */
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63)))
		return -EINVAL;

	n = ALIGN(log->num_pages, BITS_PER_LONG) / BITS_PER_LONG;
	buf = kvmm_second_bitmap(slot);
	if (copy_from_user(buf, log->dirty_bitmap, n * sizeof(long)))
		return -EFAULT;

	/*
	 * Bits beyond the slot's end are never set in its bitmap, so what
	 * userspace sets there clears nothing.
	 */
	spin_lock(&vm->mmu_lock);
	for (i = 0; i < n; i++)
		kvmm_harvest_word(vm, slot, log->first_page / BITS_PER_LONG + i,
				  buf[i], &flush);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		kvmm_x86_flush_remote_tlbs(vm);
	return 0;
}

/* KVM_CLEAR_DIRTY_LOG (api.rst 4.117); works with or without manual mode. */
long kvmm_vm_clear_dirty_log(struct kvmm_vm *vm,
			     struct kvm_clear_dirty_log *log)
{
	long r;

	mutex_lock(&vm->slots_lock);
	r = kvmm_clear_dirty_log(vm, log);
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) (api.rst 7.18):
 * args[0] holds the flags; INITIALLY_SET only together with
 * MANUAL_PROTECT_ENABLE, no cap flags, else -EINVAL.  0 turns manual
 * mode off again.  Slots that already log keep their bitmaps.
 */
long kvmm_vm_enable_manual_dirty_log(struct kvmm_vm *vm,
				     const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = KVMM_DIRTY_LOG_MANUAL_CAPS;
	if (cap->flags || (cap->args[0] & ~allowed))
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	vm->manual_dirty_log_protect = cap->args[0];
	mutex_unlock(&vm->slots_lock);
	return 0;
}
