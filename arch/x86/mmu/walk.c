// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walk (Intel SDM vol. 3A, 4.3-4.5; AMD APM vol. 2, 5.2-
 * 5.3).  One loop serves every mode: only the entry size, the number of
 * levels, the index width and where large pages may appear differ.
 * Accessed/dirty bits are not written here.
 */
#include "walk.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PF_PRESENT	(1u << 0)
#define PF_RSVD		(1u << 3)

struct walk_geometry {
	int levels;
	int entry_size;		/* bytes */
	int index_bits;		/* per level */
	u64 addr_mask;		/* physical-address bits of an entry */
};

static const struct walk_geometry geometries[] = {
	[WALK_32]	= { 2, 4, 10, 0xfffff000ULL },
	[WALK_PAE]	= { 3, 8, 9, 0x000ffffffffff000ULL },
	[WALK_LONG4]	= { 4, 8, 9, 0x000ffffffffff000ULL },
};

int guest_walk(const struct walk_env *env, u64 gva, u32 access,
	       struct walk_result *res)
{
	const struct walk_geometry *g;
	u64 table, pte = 0;
	bool writable = true, user = true, exec = true;
	int level, r;

	res->fault = false;
	res->error_code = 0;
	if (env->mode == WALK_NONE) {
		res->gpa = gva;
		return 0;
	}
	g = &geometries[env->mode];

	/* PAE: CR3 points at 4 PDPTEs indexed by bits 31:30. */
	if (env->mode == WALK_PAE) {
		table = env->cr3 & 0xffffffe0ULL;
		r = env->read_gpa(env->ctx, table + ((gva >> 30) & 3) * 8,
				  &pte, 8);
		if (r)
			return r;
		if (!(pte & PTE_P))
			goto not_present;
		table = pte & g->addr_mask;
		level = 2;
	} else {
		table = env->cr3 & g->addr_mask;
		level = g->levels;
		if (env->mode == WALK_32)
			gva &= 0xffffffffULL;
	}

	for (; level >= 1; level--) {
		int shift = 12 + g->index_bits * (level - 1);
		u64 index = (gva >> shift) & ((1ULL << g->index_bits) - 1);

		pte = 0;
		r = env->read_gpa(env->ctx, table + index * g->entry_size,
				  &pte, g->entry_size);
		if (r)
			return r;
		if (!(pte & PTE_P))
			goto not_present;
		writable &= !!(pte & PTE_RW);
		user &= !!(pte & PTE_US);
		if (g->entry_size == 8 && env->nxe && (pte & PTE_NX))
			exec = false;

		/* Large page: 4 MiB (32-bit + PSE), 2 MiB, 1 GiB. */
		if (level > 1 && (pte & PTE_PS) &&
		    (env->mode != WALK_32 || env->pse) &&
		    (level == 2 || (level == 3 && env->mode == WALK_LONG4))) {
			u64 mask = (1ULL << shift) - 1;
			u64 base = pte & g->addr_mask & ~mask;

			if (env->mode == WALK_32)	/* PSE-36 bits 20:13 */
				base |= ((pte >> 13) & 0xffULL) << 32;
			res->gpa = base | (gva & mask);
			goto check;
		}
		table = pte & g->addr_mask;
	}
	res->gpa = table | (gva & 0xfff);

check:
	if (((access & WALK_WRITE) && !writable &&
	     ((access & WALK_USER) || env->wp)) ||
	    ((access & WALK_USER) && !user) ||
	    ((access & WALK_FETCH) && !exec)) {
		res->fault = true;
		res->error_code = access | PF_PRESENT;
	}
	return 0;

not_present:
	res->fault = true;
	res->error_code = access;
	return 0;
}
