/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest page-table walker: one function for every paging mode the
 * guest can be in (none, 32-bit, PAE, 4-level), shared by instruction
 * fetch for exits without decode assists, KVM_TRANSLATE, the emulator and
 * (later) the shadow MMU.  It reads guest memory only through the
 * read_gpa callback, so it builds in userspace too
 * (tools/testing/emulate/test_walk.c, over tools/testing/shim/).
 *
 * It applies every check the hardware makes on a guest linear access
 * (SDM 3A 4.6, 4.7; APM 2 5.6): present, reserved bits, U/S, R/W with
 * CR0.WP, NX, SMEP, SMAP (with EFLAGS.AC and implicit supervisor
 * accesses) and protection keys.  It does not set accessed/dirty bits.
 */
#ifndef _KVMM_MMU_WALK_H
#define _KVMM_MMU_WALK_H

#include <linux/types.h>

enum walk_mode {
	WALK_NONE,	/* CR0.PG = 0: linear == physical */
	WALK_32,	/* CR4.PAE = 0: 2 levels, 4-MiB pages with CR4.PSE */
	WALK_PAE,	/* EFER.LMA = 0, CR4.PAE = 1: 3 levels */
	WALK_LONG4,	/* EFER.LMA = 1: 4 levels */
};

/*
 * Access being checked.  WRITE, USER and FETCH are the #PF error-code
 * bits (SDM 3A 4.7); USER means CPL 3.  SYSTEM is not an error-code bit:
 * an implicit supervisor-mode access (SDM 3A 4.6: the processor reading
 * a system structure such as the TSS, at any CPL), which SMAP checks
 * whatever EFLAGS.AC says; it is never combined with USER.
 */
#define WALK_WRITE	(1u << 1)
#define WALK_USER	(1u << 2)
#define WALK_FETCH	(1u << 4)
#define WALK_SYSTEM	(1u << 16)

/* #PF error-code bits the walker reports besides the access bits. */
#define WALK_PF_PRESENT	(1u << 0)
#define WALK_PF_RSVD	(1u << 3)
#define WALK_PF_PK	(1u << 5)

struct walk_env {
	enum walk_mode mode;
	u64 cr3;
	bool pse;	/* CR4.PSE */
	bool wp;	/* CR0.WP */
	bool nxe;	/* EFER.NXE */
	bool smep;	/* CR4.SMEP */
	bool smap;	/* CR4.SMAP */
	bool pke;	/* CR4.PKE (used in WALK_LONG4 only, SDM 3A 4.6.2) */
	bool ac;	/* EFLAGS.AC: SMAP off for explicit supervisor data */
	bool gbpages;	/* 1-GiB pages exist (else PS in a PDPTE is reserved) */
	u8 maxphyaddr;	/* physical-address width, 32..52 */
	u32 pkru;	/* the guest's PKRU, with pke */
	/* Read @len (4 or 8) bytes of guest physical memory; 0 or -errno. */
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, unsigned int len);
	void *ctx;
};

struct walk_result {
	u64 gpa;
	u32 error_code;		/* #PF error code when fault is set */
	bool fault;
};

static inline enum walk_mode walk_mode_of(u64 cr0, u64 cr4, u64 efer)
{
	if (!(cr0 & (1ULL << 31)))
		return WALK_NONE;
	if (efer & (1ULL << 10))	/* LMA */
		return WALK_LONG4;
	return (cr4 & (1ULL << 5)) ? WALK_PAE : WALK_32;
}

/* Returns 0 (see res) or the read_gpa error. */
int guest_walk(const struct walk_env *env, u64 gva, u32 access,
	       struct walk_result *res);

#endif /* _KVMM_MMU_WALK_H */
