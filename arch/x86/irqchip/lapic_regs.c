// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC register arithmetic (lapic_regs.h): pure functions of the
 * register page, built in the kernel and in tools/testing/lapic/.
 */
#include "lapic_regs.h"

int lapic_highest_vector(const void *regs, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 v = lapic_reg(regs, base + i * 0x10);

		if (v)
			return i * 32 + fls(v) - 1;
	}
	return -1;
}

u32 lapic_compute_ppr(u32 tpr, int highest_isr)
{
	u32 isrv = highest_isr < 0 ? 0 : (u32)highest_isr;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		return tpr & 0xff;
	return isrv & 0xf0;
}

int lapic_deliverable_irr(const void *regs, u32 ppr)
{
	int irr = lapic_highest_vector(regs, APIC_IRR);

	if (irr < 0 || ((u32)irr & 0xf0) <= (ppr & 0xf0))
		return -1;
	return irr;
}

bool lapic_match_physical(const void *regs, bool x2apic, u32 x2apic_id,
			  u32 mda)
{
	if (x2apic)
		return mda == LAPIC_X2APIC_BROADCAST || mda == x2apic_id;
	if (mda == LAPIC_XAPIC_BROADCAST)
		return true;
	/*
	 * An xAPIC-mode LAPIC cannot be named by an ID above 0xff; KVM lets
	 * such a destination reach it by its x2APIC ID instead (so that
	 * vCPUs hot-added with large IDs can be addressed before they
	 * switch to x2APIC).  Below 0xff only the writable xAPIC ID counts.
	 */
	if (mda > 0xff)
		return mda == x2apic_id;
	return mda == lapic_reg(regs, APIC_ID) >> 24;
}

bool lapic_match_logical(const void *regs, bool x2apic, u32 mda)
{
	u32 ldr = lapic_reg(regs, APIC_LDR);

	if (x2apic) {
		if (mda == LAPIC_X2APIC_BROADCAST)
			return true;
		/* Cluster in bits 31:16, a bitmap of 16 in 15:0. */
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	}
	if (mda == LAPIC_XAPIC_BROADCAST)
		return true;
	ldr >>= 24;
	/* DFR bits 31:28: 1111b flat, 0000b cluster (SDM 3A 11.6.2.2). */
	switch (lapic_reg(regs, APIC_DFR) >> 28) {
	case 0xf:
		return ldr & mda;
	case 0x0:
		return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xf);
	default:
		return false;
	}
}

void lapic_icr_decode(u32 icr_lo, u32 icr_hi, bool x2apic,
		      struct kvmm_apic_msg *msg)
{
	msg->vector = icr_lo & APIC_VECTOR_MASK;
	msg->delivery_mode = (icr_lo & APIC_MODE_MASK) >> 8;
	msg->logical = icr_lo & APIC_DEST_LOGICAL;
	msg->assert = icr_lo & APIC_INT_ASSERT;
	msg->level = icr_lo & APIC_INT_LEVELTRIG;
	msg->shorthand = (icr_lo >> 18) & 3;
	msg->dest = x2apic ? icr_hi : icr_hi >> 24;
}

u32 lapic_divide_count(u32 tdcr)
{
	/* Bits 3 and 1:0 form a 3-bit code; 111b means divide by 1. */
	u32 code = ((tdcr & 0x3) | ((tdcr & 0x8) >> 1)) + 1;

	return 1u << (code & 7);
}

/* One bit per 16-byte register of the first KiB. */
#define REG_BIT(off)		(1ull << ((off) >> 4))
#define REG_BITS(off, n)	(REG_BIT(off) * ((1ull << (n)) - 1))

bool lapic_reg_readable(u32 off, bool x2apic)
{
	u64 ok = REG_BIT(APIC_ID) | REG_BIT(APIC_LVR) | REG_BIT(APIC_TASKPRI) |
		 REG_BIT(APIC_PROCPRI) | REG_BIT(APIC_LDR) |
		 REG_BIT(APIC_DFR) | REG_BIT(APIC_SPIV) |
		 REG_BITS(APIC_ISR, 8) | REG_BITS(APIC_TMR, 8) |
		 REG_BITS(APIC_IRR, 8) | REG_BIT(APIC_ESR) |
		 REG_BIT(APIC_ICR) | REG_BIT(APIC_LVTT) |
		 REG_BIT(APIC_LVTTHMR) | REG_BIT(APIC_LVTPC) |
		 REG_BIT(APIC_LVT0) | REG_BIT(APIC_LVT1) |
		 REG_BIT(APIC_LVTERR) | REG_BIT(APIC_TMICT) |
		 REG_BIT(APIC_TMCCT) | REG_BIT(APIC_TDCR);

	/*
	 * Arbitration priority and ICR2 exist in xAPIC mode only; in x2APIC
	 * mode DFR is gone and ICR is one 64-bit MSR (SDM 3A 11.12.1.2).
	 */
	if (x2apic)
		ok &= ~REG_BIT(APIC_DFR);
	else
		ok |= REG_BIT(APIC_ARBPRI) | REG_BIT(APIC_ICR2);
	if (off >= LAPIC_REGS_SIZE || (off & 0xf))
		return false;
	return ok & REG_BIT(off);
}

u32 lapic_lvt_mask(u32 off)
{
	/* Every LVT: vector, delivery status, mask (SDM 3A 11.5.1). */
	const u32 base = APIC_VECTOR_MASK | APIC_SEND_PENDING | APIC_LVT_MASKED;

	switch (off) {
	case APIC_LVTT:		/* + timer mode (17:18) */
		return base | (3u << 17);
	case APIC_LVTTHMR:
	case APIC_LVTPC:	/* + delivery mode */
		return base | APIC_MODE_MASK;
	case APIC_LVT0:
	case APIC_LVT1:		/* + mode, polarity, remote IRR, trigger */
		return base | APIC_MODE_MASK | APIC_INPUT_POLARITY |
		       APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER;
	case APIC_LVTERR:
		return base;
	}
	return 0;
}
