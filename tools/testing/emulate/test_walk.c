// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the guest page-table walker (arch/x86/mmu/walk.c), built
 * in userspace: page tables are written into a fake guest-physical array
 * and each case checks the translation or the #PF error code against the
 * SDM (vol. 3A 4.6 access rights, 4.6.2 protection keys, 4.7 error code;
 * the reserved bits of tables 4-4 to 4-20).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define PHYS_SIZE	(4u << 20)

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define NX	(1ULL << 63)
#define PKEY(k)	((uint64_t)(k) << 59)

/* Error-code bits. */
#define EC_P	WALK_PF_PRESENT
#define EC_W	WALK_WRITE
#define EC_U	WALK_USER
#define EC_RSVD	WALK_PF_RSVD
#define EC_I	WALK_FETCH
#define EC_PK	WALK_PF_PK

static uint8_t phys[PHYS_SIZE];
static int passed, failed;

static int read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	if (gpa >= PHYS_SIZE || len > PHYS_SIZE - gpa)
		return -14;
	memcpy(buf, phys + gpa, len);
	return 0;
}

static void put64(u64 gpa, uint64_t v)
{
	memcpy(phys + gpa, &v, 8);
}

static void put32(u64 gpa, uint32_t v)
{
	memcpy(phys + gpa, &v, 4);
}

/*
 * 4-level tables: PML4 at 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000.
 * GVA 0x400000 + n * 0x1000 is the 4-KiB page whose PTE is @leaf[n]
 * (pointing at 0x100000 + n * 0x1000); the upper levels carry @upper.
 */
#define PML4	0x1000
#define PDPT	0x2000
#define PD	0x3000
#define PT	0x4000
#define GVA(n)	(0x400000ULL + (n) * 0x1000ULL)
#define GPA(n)	(0x100000ULL + (n) * 0x1000ULL)

static void build4(uint64_t upper)
{
	memset(phys, 0, 0x10000);
	put64(PML4, PDPT | P | upper);
	put64(PDPT, PD | P | upper);
	put64(PD + 2 * 8, PT | P | upper);	/* PD index 2: 0x400000 */
}

static void leaf(unsigned int n, uint64_t flags)
{
	put64(PT + n * 8, GPA(n) | flags);
}

static struct walk_env env4(void)
{
	return (struct walk_env){
		.mode = WALK_LONG4, .cr3 = PML4, .wp = true, .nxe = true,
		.maxphyaddr = 40, .gbpages = true, .read_gpa = read_gpa,
	};
}

static void check(const char *name, const struct walk_env *env, u64 gva,
		  u32 access, bool fault, u32 ec, u64 gpa)
{
	struct walk_result res;
	int r = guest_walk(env, gva, access, &res);
	bool ok = !r && res.fault == fault &&
		  (fault ? res.error_code == ec : res.gpa == gpa);

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL walk: %s\n    r %d fault %d ec %#x gpa %#" PRIx64
	       "; want fault %d ec %#x gpa %#" PRIx64 "\n", name, r,
	       res.fault, res.error_code, res.gpa, fault, ec, gpa);
}

#define OKW(name, env, gva, acc, gpa)	check(name, env, gva, acc, false, 0, gpa)
#define PF(name, env, gva, acc, ec)	check(name, env, gva, acc, true, ec, 0)

static void test_rights(void)
{
	struct walk_env e = env4();

	build4(RW | US);
	leaf(0, P | RW | US);		/* user, writable */
	leaf(1, P | RW);		/* supervisor */
	leaf(2, P | US);		/* user, read-only */
	leaf(3, P | RW | US | NX);	/* user, no-execute */

	OKW("user read", &e, GVA(0) + 0x123, WALK_USER, GPA(0) + 0x123);
	OKW("user write", &e, GVA(0), WALK_USER | WALK_WRITE, GPA(0));
	PF("U/S: user read of supervisor page", &e, GVA(1), WALK_USER,
	   EC_P | EC_U);
	OKW("U/S: supervisor read", &e, GVA(1), 0, GPA(1));
	PF("R/W: user write of read-only", &e, GVA(2),
	   WALK_USER | WALK_WRITE, EC_P | EC_U | EC_W);
	PF("R/W: supervisor write, CR0.WP=1", &e, GVA(2), WALK_WRITE,
	   EC_P | EC_W);
	e.wp = false;
	OKW("R/W: supervisor write, CR0.WP=0", &e, GVA(2), WALK_WRITE,
	    GPA(2));
	e.wp = true;
	PF("NX: fetch", &e, GVA(3), WALK_USER | WALK_FETCH,
	   EC_P | EC_U | EC_I);
	OKW("NX: read", &e, GVA(3), WALK_USER, GPA(3));
	PF("not present", &e, GVA(4), WALK_USER | WALK_WRITE, EC_U | EC_W);
	/* Rights of the upper levels count too. */
	put64(PD + 2 * 8, PT | P | RW);
	PF("U/S from the PDE", &e, GVA(0), WALK_USER, EC_P | EC_U);
	put64(PD + 2 * 8, PT | P | US);
	PF("R/W from the PDE", &e, GVA(0), WALK_USER | WALK_WRITE,
	   EC_P | EC_U | EC_W);
}

static void test_smep_smap(void)
{
	struct walk_env e = env4();

	build4(RW | US);
	leaf(0, P | RW | US);		/* user page */
	leaf(1, P | RW);		/* supervisor page */

	OKW("SMEP off: supervisor fetch from user page", &e, GVA(0),
	    WALK_FETCH, GPA(0));
	e.smep = true;
	PF("SMEP: supervisor fetch from user page", &e, GVA(0), WALK_FETCH,
	   EC_P | EC_I);
	OKW("SMEP: supervisor fetch from supervisor page", &e, GVA(1),
	    WALK_FETCH, GPA(1));
	OKW("SMEP: user fetch from user page", &e, GVA(0),
	    WALK_USER | WALK_FETCH, GPA(0));
	OKW("SMEP: supervisor read of user page", &e, GVA(0), 0, GPA(0));
	e.smep = false;

	e.smap = true;
	PF("SMAP: supervisor read of user page, AC=0", &e, GVA(0), 0, EC_P);
	PF("SMAP: supervisor write of user page, AC=0", &e, GVA(0),
	   WALK_WRITE, EC_P | EC_W);
	OKW("SMAP: supervisor read of supervisor page", &e, GVA(1), 0,
	    GPA(1));
	OKW("SMAP: user read of user page", &e, GVA(0), WALK_USER, GPA(0));
	OKW("SMAP: supervisor fetch is SMEP's, not SMAP's", &e, GVA(0),
	    WALK_FETCH, GPA(0));
	e.ac = true;
	OKW("SMAP: explicit supervisor read, AC=1", &e, GVA(0), 0, GPA(0));
	OKW("SMAP: explicit supervisor write, AC=1", &e, GVA(0), WALK_WRITE,
	    GPA(0));
	PF("SMAP: implicit supervisor read ignores AC", &e, GVA(0),
	   WALK_SYSTEM, EC_P);
	e.smap = false;
	OKW("SMAP off: implicit supervisor read of user page", &e, GVA(0),
	    WALK_SYSTEM, GPA(0));
}

static void test_pku(void)
{
	struct walk_env e = env4();

	build4(RW | US);
	leaf(0, P | RW | US | PKEY(1));	/* user page, key 1 */
	leaf(1, P | RW | PKEY(1));	/* supervisor page, key 1 */
	leaf(2, P | RW | US);		/* user page, key 0 */

	e.pke = true;
	e.pkru = 1u << 2;		/* AD for key 1 */
	PF("PKU AD: user read", &e, GVA(0), WALK_USER, EC_P | EC_U | EC_PK);
	PF("PKU AD: supervisor read", &e, GVA(0), 0, EC_P | EC_PK);
	OKW("PKU AD: fetch is not a data access", &e, GVA(0),
	    WALK_USER | WALK_FETCH, GPA(0));
	OKW("PKU AD: supervisor page has no key", &e, GVA(1), 0, GPA(1));
	OKW("PKU AD: other key", &e, GVA(2), WALK_USER, GPA(2));

	e.pkru = 2u << 2;		/* WD for key 1 */
	OKW("PKU WD: user read", &e, GVA(0), WALK_USER, GPA(0));
	PF("PKU WD: user write", &e, GVA(0), WALK_USER | WALK_WRITE,
	   EC_P | EC_U | EC_W | EC_PK);
	PF("PKU WD: supervisor write, CR0.WP=1", &e, GVA(0), WALK_WRITE,
	   EC_P | EC_W | EC_PK);
	e.wp = false;
	OKW("PKU WD: supervisor write, CR0.WP=0", &e, GVA(0), WALK_WRITE,
	    GPA(0));
	e.wp = true;
	PF("PKU WD beside R/W: both bits", &e, GVA(0),
	   WALK_USER | WALK_WRITE, EC_P | EC_U | EC_W | EC_PK);

	e.pke = false;
	e.pkru = 3u << 2;
	OKW("CR4.PKE=0: keys ignored", &e, GVA(0), WALK_USER | WALK_WRITE,
	    GPA(0));
}

static void test_reserved(void)
{
	struct walk_env e = env4();

	build4(RW | US);
	leaf(0, P | RW | US | (1ULL << 45));	/* above MAXPHYADDR 40 */
	leaf(1, P | RW | US | (1ULL << 39));	/* below it */
	leaf(2, P | RW | US | NX);

	PF("RSVD: PTE bit above MAXPHYADDR", &e, GVA(0), WALK_USER,
	   EC_P | EC_RSVD | EC_U);
	PF("RSVD: with the access's W bit", &e, GVA(0),
	   WALK_USER | WALK_WRITE, EC_P | EC_RSVD | EC_U | EC_W);
	OKW("RSVD: bit 39 is an address bit", &e, GVA(1), WALK_USER,
	    GPA(1) | (1ULL << 39));
	e.maxphyaddr = 48;
	OKW("RSVD: MAXPHYADDR 48 takes bit 45", &e, GVA(0), WALK_USER,
	    GPA(0) | (1ULL << 45));
	e.maxphyaddr = 40;
	e.nxe = false;
	PF("RSVD: NX without EFER.NXE", &e, GVA(2), 0, EC_P | EC_RSVD);
	PF("RSVD: fetch without NXE or SMEP has no I/D bit", &e, GVA(0),
	   WALK_FETCH, EC_P | EC_RSVD);
	e.nxe = true;

	/* Reserved bits in a not-present entry do not matter. */
	leaf(3, RW | (1ULL << 45));
	PF("not present beats RSVD", &e, GVA(3), 0, 0);

	/* PS in the PML4E; in a PDPTE without 1-GiB pages. */
	build4(RW | US);
	put64(PML4, PDPT | P | RW | PS);
	PF("RSVD: PS in the PML4E", &e, GVA(0), 0, EC_P | EC_RSVD);

	build4(RW | US);
	put64(PDPT, 0x40000000ULL | P | RW | PS);
	OKW("1-GiB page", &e, 0x12345678, 0, 0x40000000ULL + 0x12345678);
	put64(PDPT, 0x40000000ULL | P | RW | PS | (1ULL << 13));
	PF("RSVD: 1-GiB page bit 13", &e, 0x12345678, 0, EC_P | EC_RSVD);
	put64(PDPT, 0x40000000ULL | P | RW | PS);
	e.gbpages = false;
	PF("RSVD: PS in a PDPTE without 1-GiB pages", &e, 0x12345678, 0,
	   EC_P | EC_RSVD);
	e.gbpages = true;

	build4(RW | US);
	put64(PD, 0x200000ULL | P | RW | PS);
	OKW("2-MiB page", &e, 0x12345, 0, 0x212345);
	put64(PD, 0x200000ULL | P | RW | PS | (1ULL << 20));
	PF("RSVD: 2-MiB page bit 20", &e, 0x12345, 0, EC_P | EC_RSVD);
}

static void test_legacy_modes(void)
{
	struct walk_env e = {
		.mode = WALK_32, .cr3 = 0x1000, .pse = true, .wp = true,
		.maxphyaddr = 36, .read_gpa = read_gpa,
	};

	/* 32-bit paging: PD at 0x1000, 4-MiB page at GVA 0. */
	memset(phys, 0, 0x10000);
	put32(0x1000, 0x400000 | P | RW | PS);
	OKW("32-bit: 4-MiB page", &e, 0x1234, 0, 0x401234);
	put32(0x1000, 0x400000 | P | RW | PS | (1u << 21));
	PF("32-bit: RSVD bit 21 of a 4-MiB page", &e, 0x1234, 0,
	   EC_P | EC_RSVD);
	put32(0x1000, 0x400000 | P | RW | PS | (1u << 17));
	PF("32-bit: PSE-36 bit above MAXPHYADDR 36", &e, 0x1234, 0,
	   EC_P | EC_RSVD);
	e.maxphyaddr = 40;
	OKW("32-bit: PSE-36 bit under MAXPHYADDR 40", &e, 0x1234, 0,
	    0x1000401234ULL);
	put32(0x1000, 0x2000 | P | RW);
	put32(0x2000, 0x5000 | P);
	PF("32-bit: fetch fault has no I/D bit without SMEP", &e, 0x123,
	   WALK_FETCH | WALK_USER, EC_P | EC_U);
	e.smep = true;
	put32(0x1000, 0x2000 | P | RW | US);
	put32(0x2000, 0x5000 | P | US);
	PF("32-bit: SMEP, I/D bit reported", &e, 0, WALK_FETCH,
	   EC_P | EC_I);

	/* PAE: PDPTEs at 0x1000, PD 0x2000, PT 0x3000. */
	e = (struct walk_env){
		.mode = WALK_PAE, .cr3 = 0x1000, .wp = true, .nxe = true,
		.maxphyaddr = 36, .read_gpa = read_gpa, .pke = true,
		.pkru = ~0u,
	};
	memset(phys, 0, 0x10000);
	put64(0x1000, 0x2000 | P);
	put64(0x2000, 0x3000 | P | RW | US);
	put64(0x3000, 0x5000 | P | RW | US | PKEY(1));
	OKW("PAE: 4-KiB page, keys not in PAE paging", &e, 0x123,
	    WALK_USER | WALK_WRITE, 0x5123);
	put64(0x1000, 0x2000 | P | (1ULL << 5));
	OKW("PAE: accessed bit the CPU set in a PDPTE", &e, 0x123, 0,
	    0x5123);
	put64(0x1000, 0x2000 | P | (1ULL << 40));
	PF("PAE: RSVD PDPTE bit above MAXPHYADDR", &e, 0x123, 0,
	   EC_P | EC_RSVD);
	put64(0x1000, 0x2000 | P);
	e.nxe = false;
	put64(0x3000, 0x5000 | P | RW | US | NX);
	PF("PAE: RSVD NX without NXE", &e, 0x123, 0, EC_P | EC_RSVD);
}

int main(void)
{
	test_rights();
	test_smep_smap();
	test_pku();
	test_reserved();
	test_legacy_modes();
	printf("walk: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
