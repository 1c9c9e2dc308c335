/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Second-level page-table entries kvmm builds: NPT uses the long-mode
 * paging format (AMD APM vol. 2, 15.25 "Nested Paging" and 5.3
 * "Long-Mode Page Translation").  The shadow MMU will build the same
 * entries (Documentation/mmu.rst); EPT gets its own encoder behind the
 * same helpers.
 */
#ifndef _KVMM_MMU_SPTE_H
#define _KVMM_MMU_SPTE_H

#include <linux/bits.h>
#include <linux/types.h>

#define SPTE_P		BIT_ULL(0)
#define SPTE_RW		BIT_ULL(1)
/* Nested-paging accesses are user accesses (APM 15.25.5): U on every level. */
#define SPTE_US		BIT_ULL(2)
#define SPTE_PWT	BIT_ULL(3)
#define SPTE_PCD	BIT_ULL(4)
#define SPTE_A		BIT_ULL(5)
#define SPTE_D		BIT_ULL(6)
#define SPTE_PS		BIT_ULL(7)
/*
 * Software bit (AVL, bits 9-11, ignored by the walk: APM vol. 2, 5.4.1):
 * the leaf maps a host page obtained for writing in a writable slot, so
 * it may be made writable without asking the host again (KVM's
 * host-writable bit).  A dirty-logged slot keeps such leaves read-only
 * until the guest writes (Documentation/mmu.rst, "Dirty logging").
 */
#define SPTE_HOST_WRITABLE BIT_ULL(9)
#define SPTE_NX		BIT_ULL(63)
#define SPTE_ADDR_MASK	GENMASK_ULL(51, 12)

/* Up to 5 levels: NPT follows the host's paging mode, LA57 included. */
#define SPTE_MAX_LEVELS	5
#define SPTE_PER_TABLE	512

/* Levels kvmm puts leaves at: PTEs (4 KiB) and PDEs (2 MiB), no 1 GiB. */
#define SPTE_LEVEL_4K	1
#define SPTE_LEVEL_2M	2
#define SPTE_LEAF_LEVELS 2

/* Bits of the guest frame number indexing level (1 = PTE .. 4 = PML4E). */
static inline unsigned int spte_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (SPTE_PER_TABLE - 1);
}

/* A non-leaf entry: every permission, the leaf decides. */
static inline u64 spte_make_table(u64 table_pa)
{
	return table_pa | SPTE_P | SPTE_RW | SPTE_US | SPTE_A;
}

/* Frames one entry at @level maps: 1 for a PTE, 512 for a PDE, ... */
static inline u64 spte_level_frames(int level)
{
	return 1ULL << (9 * (level - 1));
}

/*
 * A leaf at @level (1: 4-KiB PTE, 2: 2-MiB PDE with PS set, APM 5.3.4):
 * write-back (PAT index 0: PWT, PCD and the large page's PAT bit 12
 * clear), A/D preset so the CPU never needs to write them back.  @pfn is
 * aligned to the leaf's size.  @host_writable: the host page may be
 * written (SPTE_HOST_WRITABLE); @writable (which implies it): the guest
 * may write now.
 */
static inline u64 spte_make_leaf(u64 pfn, bool writable, bool host_writable,
				 int level)
{
	u64 spte = (pfn << 12) | SPTE_P | SPTE_US | SPTE_A;

	if (level > 1)
		spte |= SPTE_PS;
	if (host_writable || writable)
		spte |= SPTE_HOST_WRITABLE;
	if (writable)
		spte |= SPTE_RW | SPTE_D;
	return spte;
}

static inline bool spte_present(u64 spte)
{
	return spte & SPTE_P;
}

/* Does present entry @spte at @level map memory (rather than a table)? */
static inline bool spte_is_leaf(u64 spte, int level)
{
	return level == 1 || (spte & SPTE_PS);
}

/* SPTE_A as a bit number, for atomic test-and-clear against the CPU. */
#define SPTE_A_BIT	5
static_assert(BIT_ULL(SPTE_A_BIT) == SPTE_A);

static inline u64 spte_addr(u64 spte)
{
	return spte & SPTE_ADDR_MASK;
}

#endif /* _KVMM_MMU_SPTE_H */
