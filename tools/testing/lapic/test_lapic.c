// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the local APIC's register arithmetic
 * (arch/x86/irqchip/lapic_regs.c), against the SDM 3A chapter 11 rules
 * each function cites and the facts of KVM's ABI it keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapic_regs.h"

static unsigned int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (a), _b = (b);					\
	if (_a == _b) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "%s:%d: FAIL: %s == %#llx, want %#llx\n", \
			__FILE__, __LINE__, #a, _a, _b);		\
	}								\
} while (0)

static u8 regs[LAPIC_REGS_SIZE] __attribute__((aligned(16)));

static void set_vec(u32 base, u8 vec)
{
	u32 off = base + (vec / 32) * 0x10;

	lapic_set_reg(regs, off, lapic_reg(regs, off) | (1u << (vec % 32)));
}

static void clear_regs(void)
{
	memset(regs, 0, sizeof(regs));
}

static void test_vectors(void)
{
	clear_regs();
	CHECK_EQ(lapic_highest_vector(regs, APIC_IRR), -1);
	set_vec(APIC_IRR, 0x31);
	CHECK_EQ(lapic_highest_vector(regs, APIC_IRR), 0x31);
	set_vec(APIC_IRR, 0x20);
	CHECK_EQ(lapic_highest_vector(regs, APIC_IRR), 0x31);
	set_vec(APIC_IRR, 0xff);
	CHECK_EQ(lapic_highest_vector(regs, APIC_IRR), 0xff);
	CHECK(lapic_vec_test(regs, APIC_IRR, 0x20));
	CHECK(lapic_vec_test(regs, APIC_IRR, 0xff));
	CHECK(!lapic_vec_test(regs, APIC_IRR, 0x21));
	/* Registers are 16 bytes apart: bit 0 of word 1 is vector 32. */
	CHECK_EQ(lapic_reg(regs, APIC_IRR + 0x10), 1u << (0x31 - 32) | 1);
	/* ISR and TMR are separate bitmaps. */
	CHECK_EQ(lapic_highest_vector(regs, APIC_ISR), -1);
	set_vec(APIC_ISR, 0x40);
	CHECK_EQ(lapic_highest_vector(regs, APIC_ISR), 0x40);
	CHECK_EQ(lapic_highest_vector(regs, APIC_TMR), -1);
	clear_regs();
	set_vec(APIC_TMR, 0);
	CHECK_EQ(lapic_highest_vector(regs, APIC_TMR), 0);
}

static void test_ppr(void)
{
	/* SDM 3A 11.8.3.1: class of TPR vs class of the highest ISR. */
	CHECK_EQ(lapic_compute_ppr(0x00, -1), 0x00);
	CHECK_EQ(lapic_compute_ppr(0x35, -1), 0x35);
	CHECK_EQ(lapic_compute_ppr(0x20, 0x45), 0x40);
	CHECK_EQ(lapic_compute_ppr(0x55, 0x41), 0x55);
	CHECK_EQ(lapic_compute_ppr(0x4f, 0x45), 0x4f);	/* equal class: TPR */
	CHECK_EQ(lapic_compute_ppr(0x3f, 0x4a), 0x40);	/* subclass dropped */
	CHECK_EQ(lapic_compute_ppr(0x1ff, -1), 0xff);	/* 8 bits only */

	/* 11.8.4: an IRR vector interrupts only above PPR's class. */
	clear_regs();
	CHECK_EQ(lapic_deliverable_irr(regs, 0), -1);
	set_vec(APIC_IRR, 0x45);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x00), 0x45);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x3f), 0x45);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x40), -1);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x4f), -1);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x50), -1);
	set_vec(APIC_IRR, 0x51);
	CHECK_EQ(lapic_deliverable_irr(regs, 0x40), 0x51);
	/* Only the highest counts: a lower one never jumps it. */
	CHECK_EQ(lapic_deliverable_irr(regs, 0x50), -1);
}

static void test_physical(void)
{
	clear_regs();
	lapic_set_reg(regs, APIC_ID, 3u << 24);
	CHECK(lapic_match_physical(regs, false, 3, 3));
	CHECK(!lapic_match_physical(regs, false, 3, 4));
	CHECK(lapic_match_physical(regs, false, 3, 0xff));
	/* The xAPIC ID is writable: the register counts, not the vCPU id. */
	lapic_set_reg(regs, APIC_ID, 7u << 24);
	CHECK(!lapic_match_physical(regs, false, 3, 3));
	CHECK(lapic_match_physical(regs, false, 3, 7));
	/* Above 0xff an xAPIC-mode LAPIC is found by its x2APIC id (KVM). */
	CHECK(lapic_match_physical(regs, false, 0x103, 0x103));
	CHECK(!lapic_match_physical(regs, false, 0x107, 0x103));
	/* x2APIC: the 32-bit id, and 0xffffffff for all; 0xff is an id. */
	CHECK(lapic_match_physical(regs, true, 0x103, 0x103));
	CHECK(lapic_match_physical(regs, true, 0x103, 0xffffffff));
	CHECK(!lapic_match_physical(regs, true, 0x103, 0xff));
	CHECK(lapic_match_physical(regs, true, 0xff, 0xff));
	CHECK(!lapic_match_physical(regs, true, 0x103, 0x3));
}

static void test_logical(void)
{
	/* Flat (SDM 3A 11.6.2.2): any common bit of the 8-bit LDR. */
	clear_regs();
	lapic_set_reg(regs, APIC_DFR, 0xffffffff);
	lapic_set_reg(regs, APIC_LDR, 0x02u << 24);
	CHECK(lapic_match_logical(regs, false, 0x02));
	CHECK(lapic_match_logical(regs, false, 0x03));
	CHECK(!lapic_match_logical(regs, false, 0x01));
	CHECK(!lapic_match_logical(regs, false, 0x00));
	CHECK(lapic_match_logical(regs, false, 0xff));
	CHECK(lapic_match_logical(regs, false, 0x82));

	/* Cluster: same cluster (bits 7:4) and a common member bit. */
	lapic_set_reg(regs, APIC_DFR, 0x0fffffff);
	lapic_set_reg(regs, APIC_LDR, 0x21u << 24);
	CHECK(lapic_match_logical(regs, false, 0x21));
	CHECK(lapic_match_logical(regs, false, 0x23));
	CHECK(!lapic_match_logical(regs, false, 0x22));
	CHECK(!lapic_match_logical(regs, false, 0x11));
	CHECK(!lapic_match_logical(regs, false, 0x01));
	CHECK(lapic_match_logical(regs, false, 0xff));	/* broadcast */
	/* 0x2f names every member of cluster 2. */
	CHECK(lapic_match_logical(regs, false, 0x2f));

	/* A model that is neither matches nothing (but broadcast). */
	lapic_set_reg(regs, APIC_DFR, 0x5fffffff);
	CHECK(!lapic_match_logical(regs, false, 0x21));

	/* x2APIC (11.12.10.2): cluster in 31:16, one-hot member in 15:0. */
	CHECK_EQ(lapic_x2apic_ldr(0), 0x1);
	CHECK_EQ(lapic_x2apic_ldr(0x25), (2u << 16) | (1u << 5));
	CHECK_EQ(lapic_x2apic_ldr(0x1f), (1u << 16) | (1u << 15));
	lapic_set_reg(regs, APIC_LDR, lapic_x2apic_ldr(0x25));
	CHECK(lapic_match_logical(regs, true, (2u << 16) | 0x20));
	CHECK(lapic_match_logical(regs, true, (2u << 16) | 0xffff));
	CHECK(!lapic_match_logical(regs, true, (3u << 16) | 0x20));
	CHECK(!lapic_match_logical(regs, true, (2u << 16) | 0x10));
	CHECK(lapic_match_logical(regs, true, 0xffffffff));
	/* DFR plays no part in x2APIC mode. */
	lapic_set_reg(regs, APIC_DFR, 0);
	CHECK(lapic_match_logical(regs, true, (2u << 16) | 0x20));
}

static void test_icr(void)
{
	struct kvmm_apic_msg m;

	/* INIT, level assert, all but self, as an OS starts its APs. */
	lapic_icr_decode(0x000c4500, 0, false, &m);
	CHECK_EQ(m.delivery_mode, APIC_DM_INIT >> 8);
	CHECK(m.assert);
	CHECK(!m.level);
	CHECK(!m.logical);
	CHECK_EQ(m.shorthand, APIC_DEST_ALLBUT >> 18);

	/* SIPI vector 0x9a to APIC 5 (ICR2 bits 31:24). */
	lapic_icr_decode(0x0000069a, 0x05000000, false, &m);
	CHECK_EQ(m.delivery_mode, APIC_DM_STARTUP >> 8);
	CHECK_EQ(m.vector, 0x9a);
	CHECK_EQ(m.dest, 5);
	CHECK_EQ(m.shorthand, 0);

	/* Fixed, logical, level de-assert; ICR2's low bits are no dest. */
	lapic_icr_decode(0x00008831, 0x0300ffff, false, &m);
	CHECK_EQ(m.delivery_mode, APIC_DM_FIXED >> 8);
	CHECK(m.logical);
	CHECK(m.level);
	CHECK(!m.assert);
	CHECK_EQ(m.vector, 0x31);
	CHECK_EQ(m.dest, 3);

	/* x2APIC: the whole high half is the destination. */
	lapic_icr_decode(0x00000140 | APIC_DEST_SELF, 0x00012345, true, &m);
	CHECK_EQ(m.delivery_mode, APIC_DM_LOWEST >> 8);
	CHECK_EQ(m.dest, 0x12345);
	CHECK_EQ(m.shorthand, APIC_DEST_SELF >> 18);
	CHECK_EQ(m.vector, 0x40);

	lapic_icr_decode(0x00080402, 0, false, &m);
	CHECK_EQ(m.delivery_mode, APIC_DM_NMI >> 8);
	CHECK_EQ(m.shorthand, APIC_DEST_ALLINC >> 18);
}

static void test_divide(void)
{
	/* SDM 3A figure 11-10: bits 3, 1:0. */
	static const struct { u32 tdcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
		{ 0x4, 2 },	/* bit 2 is reserved, ignored */
		{ 0xfffffff3, 16 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_EQ(lapic_divide_count(t[i].tdcr), t[i].div);
}

static void test_readable(void)
{
	CHECK(lapic_reg_readable(APIC_ID, false));
	CHECK(lapic_reg_readable(APIC_LVR, true));
	CHECK(lapic_reg_readable(APIC_ISR + 0x70, false));
	CHECK(lapic_reg_readable(APIC_IRR, true));
	CHECK(lapic_reg_readable(APIC_TMCCT, true));
	CHECK(lapic_reg_readable(APIC_ARBPRI, false));
	CHECK(!lapic_reg_readable(APIC_ARBPRI, true));
	CHECK(lapic_reg_readable(APIC_DFR, false));
	CHECK(!lapic_reg_readable(APIC_DFR, true));
	CHECK(lapic_reg_readable(APIC_ICR2, false));
	CHECK(!lapic_reg_readable(APIC_ICR2, true));
	/* Write-only: EOI, SELF IPI; reserved: 0x0, 0x10, 0xc0, 0x3a0. */
	CHECK(!lapic_reg_readable(APIC_EOI, false));
	CHECK(!lapic_reg_readable(APIC_EOI, true));
	CHECK(!lapic_reg_readable(APIC_SELF_IPI, true));
	CHECK(!lapic_reg_readable(0x00, false));
	CHECK(!lapic_reg_readable(0x10, false));
	CHECK(!lapic_reg_readable(0xc0, false));
	CHECK(!lapic_reg_readable(0x3a0, false));
	/* CMCI (0x2f0) is not offered; nothing past the first KiB. */
	CHECK(!lapic_reg_readable(0x2f0, false));
	CHECK(!lapic_reg_readable(0x400, false));
	CHECK(!lapic_reg_readable(0xff0, true));
	CHECK(!lapic_reg_readable(APIC_ID + 4, false));
}

static void test_lvt_masks(void)
{
	CHECK_EQ(lapic_lvt_mask(APIC_LVTT), 0x700ff | APIC_SEND_PENDING);
	CHECK(lapic_lvt_mask(APIC_LVTT) & APIC_LVT_TIMER_TSCDEADLINE);
	CHECK(!(lapic_lvt_mask(APIC_LVTT) & APIC_MODE_MASK));
	CHECK(lapic_lvt_mask(APIC_LVT0) & APIC_LVT_LEVEL_TRIGGER);
	CHECK(lapic_lvt_mask(APIC_LVT1) & APIC_INPUT_POLARITY);
	CHECK(lapic_lvt_mask(APIC_LVTPC) & APIC_MODE_MASK);
	CHECK(!(lapic_lvt_mask(APIC_LVTPC) & APIC_LVT_LEVEL_TRIGGER));
	CHECK_EQ(lapic_lvt_mask(APIC_LVTERR),
		 APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK);
	CHECK_EQ(lapic_lvt_mask(APIC_TMICT), 0);
	/* KVM's version register: 0x14, 6 LVTs. */
	CHECK_EQ(LAPIC_LVR_VALUE, 0x50014);
}

int main(void)
{
	test_vectors();
	test_ppr();
	test_physical();
	test_logical();
	test_icr();
	test_divide();
	test_readable();
	test_lvt_masks();
	printf("lapic unit tests: %u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
