// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walk (Intel SDM vol. 3A, 4.3-4.7; AMD APM vol. 2, 5.2-
 * 5.6).  One loop serves every mode: only the entry size, the number of
 * levels, the index width, where large pages may appear and which bits
 * are reserved differ.  Accessed/dirty bits are not written here.
 *
 * Order of the checks, as the hardware's: a not-present entry ends the
 * walk (its other bits are ignored); then an entry with a reserved bit
 * set ends it with RSVD in the error code; the access rights are decided
 * on the leaf, from the rights of every level (SDM 3A 4.6).
 */
#include "walk.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PTE_PKEY_SHIFT	59	/* bits 62:59 of a 4-level leaf */

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

/* Bits @hi..@lo set; none when @hi < @lo. */
static u64 bit_range(int hi, int lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

static int phys_bits(const struct walk_env *env)
{
	if (env->maxphyaddr < 32)
		return 32;
	return env->maxphyaddr > 52 ? 52 : env->maxphyaddr;
}

/*
 * Reserved bits of a present entry at @level (1: the PTE) whose PS bit
 * is @ps (SDM 3A tables 4-4 to 4-20; APM 2 5.3.x "MBZ"): physical-address
 * bits at or above MAXPHYADDR, NX without EFER.NXE, PS where no large
 * page can be (a PML4E; a PDPTE without 1-GiB pages), and the low
 * address bits of a large page that must be 0 (bits 20:13 or 29:13; bit
 * 21 of a 32-bit 4-MiB page).  AMD's "bit 8 of non-leaf PML4E/PDPE" is
 * not checked: Intel ignores it and QEMU's TCG does not check it either.
 */
static u64 rsvd_bits(const struct walk_env *env, int level, bool ps)
{
	int m = phys_bits(env);
	u64 r;

	if (env->mode == WALK_32) {
		/* PSE-36: PTE bits 20:13 are address bits 39:32. */
		if (level == 2 && ps && env->pse)
			return (1ULL << 21) | bit_range(20, 13 + (m < 40 ? m : 40) - 32);
		return 0;
	}
	r = bit_range(51, m);
	if (!env->nxe)
		r |= PTE_NX;
	if (env->mode == WALK_LONG4 && level == 4)
		r |= PTE_PS;
	if (level == 3 && ps) {
		if (env->gbpages)
			r |= bit_range(29, 13);
		else
			r |= PTE_PS;
	}
	if (level == 2 && ps)
		r |= bit_range(20, 13);
	return r;
}

/*
 * PAE PDPTEs: bits 63:MAXPHYADDR (NX included).  Intel also reserves
 * bits 2:1 and 8:5 but checks them when CR3 is loaded (SDM 3A 4.4.1), not
 * on a walk; AMD's nested paging (and QEMU's TCG) walk PDPTEs from memory
 * and set the accessed bit, bit 5, in them: a walk must accept those.
 */
static u64 pae_pdpte_rsvd_bits(const struct walk_env *env)
{
	return bit_range(63, phys_bits(env));
}

int guest_walk(const struct walk_env *env, u64 gva, u32 access,
	       struct walk_result *res)
{
	const struct walk_geometry *g;
	u64 table, pte = 0;
	bool writable = true, user = true, exec = true;
	bool write = access & WALK_WRITE, fetch = access & WALK_FETCH;
	u32 ec;
	int level, r;

	res->fault = false;
	res->error_code = 0;
	if (env->mode == WALK_NONE) {
		res->gpa = gva;
		return 0;
	}
	g = &geometries[env->mode];

	/*
	 * The error code's I/D bit is reported only where fetches can be
	 * refused (SDM 3A 4.7: NXE with PAE/4-level paging, or SMEP).
	 */
	ec = access & (WALK_WRITE | WALK_USER);
	if (fetch && ((env->nxe && env->mode != WALK_32) || env->smep))
		ec |= WALK_FETCH;

	/* PAE: CR3 points at 4 PDPTEs indexed by bits 31:30. */
	if (env->mode == WALK_PAE) {
		table = env->cr3 & 0xffffffe0ULL;
		gva &= 0xffffffffULL;
		r = env->read_gpa(env->ctx, table + ((gva >> 30) & 3) * 8,
				  &pte, 8);
		if (r)
			return r;
		if (!(pte & PTE_P))
			goto not_present;
		if (pte & pae_pdpte_rsvd_bits(env))
			goto reserved;
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
		bool ps;

		pte = 0;
		r = env->read_gpa(env->ctx, table + index * g->entry_size,
				  &pte, g->entry_size);
		if (r)
			return r;
		if (!(pte & PTE_P))
			goto not_present;
		ps = level > 1 && (pte & PTE_PS);
		if (pte & rsvd_bits(env, level, ps))
			goto reserved;
		writable &= !!(pte & PTE_RW);
		user &= !!(pte & PTE_US);
		if (g->entry_size == 8 && env->nxe && (pte & PTE_NX))
			exec = false;

		/*
		 * Large page: 4 MiB (32-bit + PSE), 2 MiB, 1 GiB.  PS where
		 * no large page can be was refused as reserved above; in
		 * 32-bit paging without CR4.PSE it is ignored.
		 */
		if (ps && (env->mode != WALK_32 || env->pse)) {
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
	/* Access rights (SDM 3A 4.6.1; APM 2 5.6). */
	if (access & WALK_USER) {
		res->fault = !user || (write && !writable) ||
			     (fetch && !exec);
	} else if (fetch) {
		/* SMEP: no supervisor fetch from a user-mode page. */
		res->fault = !exec || (env->smep && user);
	} else {
		res->fault = write && !writable && env->wp;
		/*
		 * SMAP: no supervisor data access to a user-mode page,
		 * unless EFLAGS.AC is set and the access is explicit.
		 */
		if (env->smap && user && ((access & WALK_SYSTEM) || !env->ac))
			res->fault = true;
	}

	/*
	 * Protection keys (SDM 3A 4.6.2; APM 2 5.6.7): 4-level paging, data
	 * accesses to user-mode pages, at any CPL.  AD forbids every data
	 * access; WD forbids writes by user accesses, and by supervisor
	 * ones when CR0.WP is set.
	 */
	if (env->pke && env->mode == WALK_LONG4 && user && !fetch) {
		unsigned int key = (pte >> PTE_PKEY_SHIFT) & 0xf;
		u32 ad_wd = (env->pkru >> (2 * key)) & 3;

		if ((ad_wd & 1) ||
		    (write && (ad_wd & 2) && ((access & WALK_USER) || env->wp))) {
			res->fault = true;
			ec |= WALK_PF_PK;
		}
	}
	if (res->fault)
		res->error_code = ec | WALK_PF_PRESENT;
	return 0;

reserved:
	res->fault = true;
	res->error_code = ec | WALK_PF_PRESENT | WALK_PF_RSVD;
	return 0;

not_present:
	res->fault = true;
	res->error_code = ec;
	return 0;
}
