// SPDX-License-Identifier: GPL-2.0
/*
 * lapic: the in-kernel local APIC (KVM_CREATE_IRQCHIP) as a guest with
 * interrupts disabled sees it, and as KVM_GET/SET_LAPIC show it.  Every
 * check is against SDM 3A chapter 11 and Linux 6.1's lapic.c, and none
 * needs an interrupt to be injected (the guest runs with IF=0 and reads
 * IRR instead):
 *  - reset values of an AP's registers (ID = vCPU id, version 0x50014,
 *    every LVT masked, DFR all ones, SPIV 0xff);
 *  - TPR, PPR and CR8 are one register; KVM_GET/SET_LAPIC see it;
 *  - writable bits of LVT, LDR, DFR, ID; a software-disabled LAPIC
 *    forces LVT masks and drops fixed IPIs;
 *  - PPR from ISR, EOI retiring the highest in-service vector (ISR set
 *    by KVM_SET_LAPIC);
 *  - IPIs through the ICR into IRR/TMR: self, physical, broadcast,
 *    shorthands, logical flat and cluster, lowest priority, level
 *    de-assert dropped; KVM_SET_LAPIC clears them again;
 *  - the timer: one-shot counting down, masked expiry with no IRR,
 *    expiry setting IRR, periodic reload, TMCCT across
 *    KVM_GET/SET_LAPIC, TSC-deadline mode (MSR 0x6e0, cleared on expiry,
 *    TMICT ignored, past deadline fires at once);
 *  - x2APIC mode: MSRs 0x800-0x8ff, 32-bit ID and derived LDR, #GP for
 *    DFR/ID writes/reserved ICR bits/EOI reads, SELF IPI, the MMIO page
 *    reading all ones, KVM_GET_LAPIC's ID in bits 31:24, and the APIC
 *    base transitions SDM 3A 11.12.5 forbids (#GP);
 *  - IPIs between vCPUs, seen in the targets' IRR through KVM_GET_LAPIC
 *    (the targets never run): physical, broadcast, all-but-self, logical
 *    flat and cluster, lowest priority (KVM's vector hashing: the
 *    (vector mod n)-th candidate), nothing for a hardware-disabled or,
 *    fixed, a software-disabled target, and an x2APIC sender reaching an
 *    xAPIC-mode vCPU whose id is above 0xff;
 *  - KVM_GET_LAPIC without an in-kernel irqchip: EINVAL.
 * kvmm skips while it refuses KVM_CREATE_IRQCHIP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmm_env.h"
#include "msr_access.h"
#include "processor.h"

#define APIC_GPA		0xfee00000ul
#define VCPU_ID			5	/* an AP: no BSP LVT0 quirk */

#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_BASE_X2APIC	(1ull << 10)

#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_TASKPRI		0x80
#define APIC_ARBPRI		0x90
#define APIC_PROCPRI		0xa0
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_DFR		0xe0
#define APIC_SPIV		0xf0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVTTHMR		0x330
#define APIC_LVTPC		0x340
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0

#define MASKED			0x10000u
#define ICR_SELF		0x40000u
#define ICR_ALL			0x80000u
#define ICR_ALLBUT		0xc0000u
#define ICR_LEVEL		0x8000u
#define ICR_ASSERT		0x4000u
#define ICR_LOGICAL		0x800u
#define ICR_LOWEST		0x100u
#define TIMER_PERIODIC		(1u << 17)
#define TIMER_TSCDEADLINE	(2u << 17)

#define CPUID_X2APIC		(1u << 21)	/* 1.ECX */
#define CPUID_TSC_DEADLINE	(1u << 24)	/* 1.ECX */

/* ---- guest ---- */

static volatile uint64_t gp_count;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* RDMSR 0F 32, WRMSR 0F 30 */
}

static uint32_t apic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static void apic_write(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + off) = val;
}

static bool vec_set(uint32_t base, uint8_t vec)
{
	return apic_read(base + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

static uint64_t get_cr8(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void set_cr8(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%cr8" : : "r"(v));
}

/* Some seconds of guest TSC (no TSC frequency needed: generous). */
#define WAIT_CYCLES	20000000000ull

static bool wait_irr(uint8_t vec)
{
	uint64_t end = guest_rdtsc() + WAIT_CYCLES;

	while (guest_rdtsc() < end)
		if (vec_set(APIC_IRR, vec))
			return true;
	return vec_set(APIC_IRR, vec);
}

static bool wait_tmcct_zero(void)
{
	uint64_t end = guest_rdtsc() + WAIT_CYCLES;

	while (guest_rdtsc() < end)
		if (!apic_read(APIC_TMCCT))
			return true;
	return !apic_read(APIC_TMCCT);
}

static void send_ipi(uint32_t dest, uint32_t icr)
{
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
}

/* 1: the values after RESET (SDM 3A 11.4.7.1; KVM's kvm_lapic_reset()). */
static void guest_reset_values(void)
{
	uint32_t off;

	GUEST_ASSERT_EQ(apic_read(APIC_ID), VCPU_ID << 24);
	GUEST_ASSERT_EQ(apic_read(APIC_LVR), 0x50014);
	GUEST_ASSERT_EQ(apic_read(APIC_SPIV), 0xff);
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		GUEST_ASSERT_EQ(apic_read(off), MASKED);
	GUEST_ASSERT_EQ(apic_read(APIC_DFR), 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_LDR), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ARBPRI), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ICR), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TDCR), 0);
	for (off = 0; off < 0x80; off += 0x10) {
		GUEST_ASSERT_EQ(apic_read(APIC_ISR + off), 0);
		GUEST_ASSERT_EQ(apic_read(APIC_TMR + off), 0);
		GUEST_ASSERT_EQ(apic_read(APIC_IRR + off), 0);
	}
	GUEST_ASSERT_EQ(get_cr8(), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_APIC_BASE), APIC_GPA | APIC_BASE_ENABLE);
	GUEST_SYNC(1);
}

/*
 * 2: TPR, PPR and CR8 (SDM 3A 11.8.3.1, 11.8.6.1).  Only the priority
 * class (bits 7:4) is compared: KVM on SVM reloads the TPR from V_TPR
 * (CR8) after exits and so drops the subclass a TPR write set.
 */
static void guest_tpr(void)
{
	apic_write(APIC_TASKPRI, 0x35);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI) & ~0xfu, 0x30);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI) & ~0xfu, 0x30);
	GUEST_ASSERT_EQ(get_cr8(), 3);
	set_cr8(5);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0x50);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0x50);
	apic_write(APIC_TASKPRI, 0x147);	/* bits 7:0 only */
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI) & ~0xfu, 0x40);
	/* The host reads 0x4x and writes 0x20 with KVM_GET/SET_LAPIC. */
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0x20);
	GUEST_ASSERT_EQ(get_cr8(), 2);
	set_cr8(0);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0);
	GUEST_SYNC(3);
}

/* 3: writable bits, and what software disable does (11.4.7.2, 11.5.1). */
static void guest_writable_bits(void)
{
	/* Software-disabled: LVTs stay masked, fixed IPIs are dropped. */
	apic_write(APIC_LVTERR, 0x31);
	GUEST_ASSERT_EQ(apic_read(APIC_LVTERR), MASKED | 0x31);
	send_ipi(0, ICR_SELF | 0x40);
	GUEST_ASSERT(!vec_set(APIC_IRR, 0x40));

	apic_write(APIC_SPIV, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_SPIV), 0x3ff);
	apic_write(APIC_SPIV, 0x1ff);
	apic_write(APIC_LVTERR, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_LVTERR), 0x110ff);
	apic_write(APIC_LVT0, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_LVT0), 0x1f7ff);
	apic_write(APIC_LVTPC, 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_LVTPC), 0x117ff);
	apic_write(APIC_LVTT, 0xffffffff);	/* TSC-deadline in CPUID */
	GUEST_ASSERT_EQ(apic_read(APIC_LVTT), 0x710ff);
	apic_write(APIC_LVTT, MASKED);
	apic_write(APIC_LVT0, MASKED);
	apic_write(APIC_LVTPC, MASKED);
	apic_write(APIC_LVTERR, MASKED);

	apic_write(APIC_LDR, 0x12345678);
	GUEST_ASSERT_EQ(apic_read(APIC_LDR), 0x12000000);
	apic_write(APIC_DFR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_DFR), 0x0fffffff);
	apic_write(APIC_DFR, 0xffffffff);
	apic_write(APIC_LDR, 0);
	apic_write(APIC_ID, 0x07abcdef);
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0x07000000);
	apic_write(APIC_ID, VCPU_ID << 24);
	/* Read-only registers ignore writes. */
	apic_write(APIC_LVR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_LVR), 0x50014);
	apic_write(APIC_PROCPRI, 0xff);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0);
	/* EOI with nothing in service changes nothing. */
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0);
	GUEST_SYNC(4);
}

/* 4: IPIs into IRR and TMR (11.6); the host checks and clears them. */
static void guest_ipis(void)
{
	uint32_t icr = ICR_SELF | 0x40;

	send_ipi(0, icr);
	GUEST_ASSERT_EQ(apic_read(APIC_ICR), icr);		/* not busy */
	send_ipi(0, ICR_SELF | ICR_LEVEL | ICR_ASSERT | 0x41);
	send_ipi(0, ICR_SELF | ICR_LEVEL | 0x42);		/* de-assert */
	send_ipi(VCPU_ID, 0x43);				/* physical */
	send_ipi(VCPU_ID + 1, 0x44);
	send_ipi(0xff, 0x45);					/* broadcast */
	send_ipi(0, ICR_ALL | 0x46);
	send_ipi(0, ICR_ALLBUT | 0x47);
	apic_write(APIC_LDR, 0x04 << 24);			/* flat */
	send_ipi(0x06, ICR_LOGICAL | 0x48);
	send_ipi(0x03, ICR_LOGICAL | 0x49);
	apic_write(APIC_DFR, 0x0fffffff);			/* cluster */
	apic_write(APIC_LDR, 0x24 << 24);
	send_ipi(0x2c, ICR_LOGICAL | 0x4a);
	send_ipi(0x14, ICR_LOGICAL | 0x4b);
	send_ipi(0x21, ICR_LOGICAL | 0x4c);
	send_ipi(0x24, ICR_LOGICAL | ICR_LOWEST | 0x4d);
	/* Requests do not raise the processor priority. */
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0);
	GUEST_SYNC_ARGS(5, apic_read(APIC_IRR + 0x20),
			apic_read(APIC_TMR + 0x20), 0, 0);
	/* The host cleared IRR and TMR with KVM_SET_LAPIC. */
	GUEST_ASSERT_EQ(apic_read(APIC_IRR + 0x20), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMR + 0x20), 0);
	apic_write(APIC_DFR, 0xffffffff);
	apic_write(APIC_LDR, 0);
	GUEST_SYNC(6);
}

/*
 * 4b: PPR from ISR and EOI (SDM 3A 11.8.3.1, 11.8.5).  The host put
 * vectors 0x50 and 0x61 in service with KVM_SET_LAPIC (nothing is
 * injected here to get them there).
 */
static void guest_eoi(void)
{
	GUEST_ASSERT(vec_set(APIC_ISR, 0x50) && vec_set(APIC_ISR, 0x61));
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0x60);
	apic_write(APIC_TASKPRI, 0x70);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI) & ~0xfu, 0x70);
	apic_write(APIC_TASKPRI, 0);
	apic_write(APIC_EOI, 0);		/* the highest: 0x61 */
	GUEST_ASSERT(!vec_set(APIC_ISR, 0x61));
	GUEST_ASSERT(vec_set(APIC_ISR, 0x50));
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0x50);
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT(!vec_set(APIC_ISR, 0x50));
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0);
	GUEST_SYNC(12);
}

/* 5: one-shot and periodic count-down (11.5.4). */
static void guest_timer(void)
{
	uint64_t end, nonzero;
	uint32_t c1, c2;

	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, MASKED | 0x60);
	apic_write(APIC_TMICT, 200000000);
	c1 = apic_read(APIC_TMCCT);
	c2 = apic_read(APIC_TMCCT);
	GUEST_ASSERT(c1 > 0 && c1 <= 200000000);
	GUEST_ASSERT(c2 > 0 && c2 <= c1);
	apic_write(APIC_TMICT, 0);		/* stops it */
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);

	/* Masked: it runs out, but nothing is requested. */
	apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT(wait_tmcct_zero());
	GUEST_ASSERT(!vec_set(APIC_IRR, 0x60));
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), 1000);

	apic_write(APIC_LVTT, 0x61);
	apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT(wait_irr(0x61));
	GUEST_ASSERT(wait_tmcct_zero());
	GUEST_ASSERT(!vec_set(APIC_TMR, 0x61));

	/* Periodic: reloads from TMICT, every 1 ms here. */
	apic_write(APIC_LVTT, TIMER_PERIODIC | 0x62);
	apic_write(APIC_TMICT, 1000000);
	GUEST_ASSERT(wait_irr(0x62));
	/* It keeps counting (a read may catch a late reload at 0). */
	nonzero = 0;
	end = guest_rdtsc() + 100000000;
	while (guest_rdtsc() < end ||
	       (!nonzero && guest_rdtsc() < end + WAIT_CYCLES)) {
		c1 = apic_read(APIC_TMCCT);
		GUEST_ASSERT(c1 <= 1000000);
		nonzero += c1 != 0;
	}
	GUEST_ASSERT(nonzero);
	apic_write(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);

	/* A long one-shot that KVM_GET/SET_LAPIC carries over. */
	apic_write(APIC_LVTT, MASKED | 0x60);
	apic_write(APIC_TMICT, 0xffffffff);	/* 4.3 s at 1 GHz */
	GUEST_SYNC(7);
	c1 = apic_read(APIC_TMCCT);
	GUEST_ASSERT(c1 > 0 && c1 < 0xffffffff);
	apic_write(APIC_TMICT, 0);
	GUEST_SYNC(8);
}

/* 6: TSC-deadline mode (11.5.4.1). */
static void guest_tsc_deadline(void)
{
	uint64_t far;

	apic_write(APIC_LVTT, TIMER_TSCDEADLINE | 0x63);
	apic_write(APIC_TMICT, 1000);		/* ignored in this mode */
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	wrmsr(MSR_TSC_DEADLINE, guest_rdtsc() + 1000000);
	GUEST_ASSERT(wait_irr(0x63));
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);

	/* Already passed: at once. */
	apic_write(APIC_LVTT, TIMER_TSCDEADLINE | 0x64);
	wrmsr(MSR_TSC_DEADLINE, 1);
	GUEST_ASSERT(wait_irr(0x64));

	far = guest_rdtsc() + (1ull << 50);
	wrmsr(MSR_TSC_DEADLINE, far);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), far);
	/* Leaving the mode disarms it. */
	apic_write(APIC_LVTT, MASKED);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	wrmsr(MSR_TSC_DEADLINE, far);		/* dropped outside the mode */
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	GUEST_SYNC(9);
}

/* Does this MSR access raise #GP? */
static bool rdmsr_gp(uint32_t msr)
{
	uint64_t before = gp_count;

	rdmsr(msr);
	return gp_count != before;
}

static bool wrmsr_gp(uint32_t msr, uint64_t val)
{
	uint64_t before = gp_count;

	wrmsr(msr, val);
	return gp_count != before;
}

#define X2(reg)		(0x800 + ((reg) >> 4))

/* 7: x2APIC mode (11.12). */
static void guest_x2apic(void)
{
	uint64_t x2 = APIC_GPA | APIC_BASE_ENABLE | APIC_BASE_X2APIC;

	GUEST_ASSERT(rdmsr_gp(X2(APIC_ID)));	/* not in xAPIC mode */
	GUEST_ASSERT(!wrmsr_gp(MSR_APIC_BASE, x2));
	GUEST_ASSERT_EQ(rdmsr(X2(APIC_ID)), VCPU_ID);
	GUEST_ASSERT_EQ(rdmsr(X2(APIC_LDR)), 1u << VCPU_ID);
	GUEST_ASSERT_EQ(rdmsr(X2(APIC_LVR)), 0x50014);
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0xffffffff);	/* a hole */
	GUEST_ASSERT(rdmsr_gp(X2(APIC_DFR)));
	GUEST_ASSERT(rdmsr_gp(X2(APIC_EOI)));
	GUEST_ASSERT(rdmsr_gp(X2(APIC_ICR2)));
	GUEST_ASSERT(wrmsr_gp(X2(APIC_ID), 0));
	GUEST_ASSERT(wrmsr_gp(X2(APIC_LDR), 0));
	GUEST_ASSERT(wrmsr_gp(X2(APIC_ESR), 1));
	GUEST_ASSERT(!wrmsr_gp(X2(APIC_ESR), 0));
	GUEST_ASSERT(wrmsr_gp(X2(APIC_TASKPRI), 1ull << 32));
	GUEST_ASSERT(!wrmsr_gp(X2(APIC_TASKPRI), 0x20));
	GUEST_ASSERT_EQ(rdmsr(X2(APIC_PROCPRI)), 0x20);
	GUEST_ASSERT_EQ(get_cr8(), 2);
	wrmsr(X2(APIC_TASKPRI), 0);

	/* SELF IPI (0x83f) and the 64-bit ICR. */
	GUEST_ASSERT(!wrmsr_gp(0x83f, 0x70));
	GUEST_ASSERT(wrmsr_gp(0x83f, 0x171));
	GUEST_ASSERT(wrmsr_gp(X2(APIC_ICR), (1ull << 13) | 0x72));
	GUEST_ASSERT(!wrmsr_gp(X2(APIC_ICR), ((uint64_t)VCPU_ID << 32) | 0x73));
	GUEST_ASSERT_EQ(rdmsr(X2(APIC_ICR)), ((uint64_t)VCPU_ID << 32) | 0x73);
	/* Logical: cluster 0, member bit VCPU_ID. */
	wrmsr(X2(APIC_ICR), ((uint64_t)(1u << VCPU_ID) << 32) | ICR_LOGICAL |
			    0x74);
	wrmsr(X2(APIC_ICR), ((uint64_t)(0x10000 | 1u << VCPU_ID) << 32) |
			    ICR_LOGICAL | 0x75);
	GUEST_SYNC_ARGS(10, rdmsr(X2(APIC_IRR + 0x30)), 0, 0, 0);

	/* x2APIC -> xAPIC directly: #GP; through disabled: fine. */
	GUEST_ASSERT(wrmsr_gp(MSR_APIC_BASE, APIC_GPA | APIC_BASE_ENABLE));
	GUEST_ASSERT(!wrmsr_gp(MSR_APIC_BASE, APIC_GPA));
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0xffffffff);	/* disabled */
	GUEST_ASSERT(wrmsr_gp(MSR_APIC_BASE, x2));
	GUEST_ASSERT(!wrmsr_gp(MSR_APIC_BASE, APIC_GPA | APIC_BASE_ENABLE));
	GUEST_ASSERT_EQ(apic_read(APIC_ID), VCPU_ID << 24);
	GUEST_DONE();
}

static void guest_code(void)
{
	guest_reset_values();
	guest_tpr();
	guest_writable_bits();
	guest_ipis();
	guest_eoi();
	guest_timer();
	guest_tsc_deadline();
	guest_x2apic();
}

/* The IPI sender of the multi-vCPU part: the ICRs the host lists. */
#define MAX_IPIS	8
static uint64_t ipis[MAX_IPIS];		/* x2APIC ICR layout */
static uint64_t nr_ipis;

static void guest_sender(void)
{
	uint64_t i;

	for (;;) {
		bool x2 = rdmsr(MSR_APIC_BASE) & APIC_BASE_X2APIC;

		for (i = 0; i < nr_ipis; i++) {
			if (x2) {
				wrmsr(0x830, ipis[i]);
			} else {
				apic_write(APIC_ICR2, (ipis[i] >> 32) << 24);
				apic_write(APIC_ICR, (uint32_t)ipis[i]);
			}
		}
		GUEST_SYNC(20);
	}
}

/* ---- host ---- */

static uint32_t reg(const struct kvm_lapic_state *s, uint32_t off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void set_reg(struct kvm_lapic_state *s, uint32_t off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

/* Without KVM_CREATE_IRQCHIP there is no LAPIC state to get. */
static void test_no_irqchip(void)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	r = __vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	ksft_test_result(r == -1 && errno == EINVAL,
			 "get_lapic_without_irqchip_einval");
	r = __vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	ksft_test_result(r == -1 && errno == EINVAL,
			 "set_lapic_without_irqchip_einval");
	kvm_vm_free(vm);
}

static const uint32_t ids[] = { 0, 1, 2, 3, 300 };
#define NR_IDS	(sizeof(ids) / sizeof(ids[0]))

struct lapic_cfg {
	uint32_t spiv, dfr, ldr;
};

static void lapic_config(struct kvm_vcpu *vcpu, const struct lapic_cfg *c)
{
	struct kvm_lapic_state s;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	set_reg(&s, APIC_SPIV, c->spiv);
	set_reg(&s, APIC_DFR, c->dfr);
	set_reg(&s, APIC_LDR, c->ldr);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
}

/*
 * Send @n IPIs from vCPU 0; return, per vCPU of ids[], which of the
 * vectors 0x40-0x5f reached its IRR (then cleared).
 */
static void send_and_collect(struct kvm_vcpu **v, const uint64_t *list,
			     unsigned int n, uint32_t *got)
{
	struct kvm_lapic_state s;
	unsigned int i;

	memset(ipis, 0, sizeof(ipis));
	memcpy(ipis, list, n * sizeof(*list));
	nr_ipis = n;
	sync_global_to_guest(v[0]->vm, ipis);
	sync_global_to_guest(v[0]->vm, nr_ipis);
	vcpu_run_expect_sync(v[0], 20);
	for (i = 0; i < NR_IDS; i++) {
		vcpu_ioctl(v[i], KVM_GET_LAPIC, &s);
		got[i] = reg(&s, APIC_IRR + 0x20);
		set_reg(&s, APIC_IRR + 0x20, 0);
		vcpu_ioctl(v[i], KVM_SET_LAPIC, &s);
	}
}

/* One ICR in x2APIC layout: destination in the high half. */
#define IPI(dest, lo)	(((uint64_t)(dest) << 32) | (lo))
#define B(vec)		(1u << ((vec) - 0x40))

static bool check_round(const char *name, struct kvm_vcpu **v,
			const uint64_t *list, unsigned int n,
			const uint32_t *want)
{
	uint32_t got[NR_IDS];
	bool ok = true;
	unsigned int i;

	send_and_collect(v, list, n, got);
	for (i = 0; i < NR_IDS; i++) {
		if (got[i] == want[i])
			continue;
		ok = false;
		pr_info("%s: vCPU %u IRR[95:64] %#x, want %#x", name, ids[i],
			got[i], want[i]);
	}
	return ok;
}

static void test_ipi_between_vcpus(void)
{
	static const struct lapic_cfg flat[NR_IDS] = {
		{ 0x1ff, 0xffffffff, 0 },
		{ 0x1ff, 0xffffffff, 0x02u << 24 },
		{ 0x1ff, 0xffffffff, 0x04u << 24 },
		{ 0x1ff, 0xffffffff, 0x08u << 24 },
		{ 0x1ff, 0xffffffff, 0 },
	};
	static const struct lapic_cfg cluster[NR_IDS] = {
		{ 0x1ff, 0x0fffffff, 0 },
		{ 0x1ff, 0x0fffffff, 0x11u << 24 },
		{ 0x1ff, 0x0fffffff, 0x12u << 24 },
		{ 0x1ff, 0x0fffffff, 0x21u << 24 },
		{ 0x1ff, 0x0fffffff, 0 },
	};
	struct kvm_cpuid2 *cpuid = kvm_supported_cpuid_copy();
	struct kvm_vcpu *v[NR_IDS];
	struct kvm_cpuid_entry2 *e;
	struct kvm_vm *vm;
	unsigned int i;
	bool ok;

	vm = vm_create(0);
	vm_create_irqchip(vm);
	e = cpuid_find_entry(cpuid, 1, 0);
	TEST_ASSERT(e, "no CPUID leaf 1");
	e->ecx |= CPUID_X2APIC;
	for (i = 0; i < NR_IDS; i++) {
		v[i] = i ? __vm_vcpu_add(vm, ids[i]) :
			   vm_vcpu_add(vm, ids[i], guest_sender);
		vcpu_set_cpuid(v[i], cpuid);
		lapic_config(v[i], &flat[i]);
	}

	{
		static const uint64_t l[] = {
			IPI(2, 0x40),				/* physical */
			IPI(0xff, 0x41),			/* broadcast */
			IPI(0, ICR_ALLBUT | 0x42),
			IPI(0x0c, ICR_LOGICAL | 0x43),		/* flat */
			IPI(0x0e, ICR_LOGICAL | ICR_LOWEST | 0x54),
			IPI(0x0e, ICR_LOGICAL | ICR_LOWEST | 0x55),
		};
		/* 0x54 % 3 = 0: vCPU 1; 0x55 % 3 = 1: vCPU 2. */
		static const uint32_t want[NR_IDS] = {
			B(0x41),
			B(0x41) | B(0x42) | B(0x54),
			B(0x40) | B(0x41) | B(0x42) | B(0x43) | B(0x55),
			B(0x41) | B(0x42) | B(0x43),
			B(0x41) | B(0x42),
		};

		ok = check_round("flat", v, l, 6, want);
		ksft_test_result(ok, "ipi_physical_broadcast_flat_lowest");
	}

	for (i = 0; i < NR_IDS; i++)
		lapic_config(v[i], &cluster[i]);
	{
		static const uint64_t l[] = {
			IPI(0x13, ICR_LOGICAL | 0x44),
			IPI(0x2f, ICR_LOGICAL | 0x45),
			IPI(0x14, ICR_LOGICAL | 0x46),
		};
		static const uint32_t want[NR_IDS] = {
			0, B(0x44), B(0x44), B(0x45), 0,
		};

		ok = check_round("cluster", v, l, 3, want);
		ksft_test_result(ok, "ipi_logical_cluster");
	}

	/* vCPU 3 hardware-disabled, vCPU 2 software-disabled. */
	TEST_ASSERT_EQ(__vcpu_set_msr(v[3], MSR_APIC_BASE, APIC_GPA), 1);
	lapic_config(v[2], &(struct lapic_cfg){ 0xff, 0xffffffff, 0 });
	{
		static const uint64_t l[] = {
			IPI(3, 0x47),
			IPI(2, 0x48),
			IPI(0xff, 0x49),
		};
		static const uint32_t want[NR_IDS] = {
			B(0x49), B(0x49), 0, 0, B(0x49),
		};

		ok = check_round("disabled", v, l, 3, want);
		ksft_test_result(ok, "ipi_not_to_disabled_lapics");
	}

	/* An x2APIC sender names vCPU 300 (xAPIC mode) by its 32-bit id. */
	TEST_ASSERT_EQ(__vcpu_set_msr(v[0], MSR_APIC_BASE, APIC_GPA |
				      APIC_BASE_ENABLE | APIC_BASE_X2APIC), 1);
	{
		static const uint64_t l[] = {
			IPI(300, 0x4a),
			IPI(1, 0x4b),
		};
		static const uint32_t want[NR_IDS] = {
			0, B(0x4b), 0, 0, B(0x4a),
		};

		ok = check_round("x2apic", v, l, 2, want);
		ksft_test_result(ok, "ipi_x2apic_to_large_xapic_id");
	}
	kvm_vm_free(vm);
	free(cpuid);
}

int main(void)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_cpuid_entry2 *e;
	struct kvm_lapic_state s;
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint32_t irr, tmr, c1, c2;
	int r;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_IRQCHIP));
	ksft_set_plan(17);
	cpuid = kvm_supported_cpuid_copy();

	test_no_irqchip();

	/*
	 * What a VMM reads before it offers the guest x2APIC and
	 * TSC-deadline (QEMU's kvm_arch_get_supported_cpuid()): KVM offers
	 * x2APIC in KVM_GET_SUPPORTED_CPUID whatever the host has, and
	 * TSC-deadline through KVM_CAP_TSC_DEADLINE_TIMER.
	 */
	e = cpuid_find_entry(cpuid, 1, 0);
	TEST_ASSERT(e, "no CPUID leaf 1");
	ksft_test_result((e->ecx & CPUID_X2APIC) &&
			 kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER) == 1,
			 "x2apic_and_tsc_deadline_offered");

	vm = vm_create(0);
	r = __vm_create_irqchip(vm);
	TEST_ASSERT(!r, "KVM_CREATE_IRQCHIP: %s", errno_name(errno));
	vcpu = vm_vcpu_add(vm, VCPU_ID, guest_code);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	/* An AP waits for INIT/SIPI with an in-kernel LAPIC: start it. */
	vcpu_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
	e = cpuid_find_entry(cpuid, 1, 0);
	TEST_ASSERT(e, "no CPUID leaf 1");
	e->ecx |= CPUID_X2APIC | CPUID_TSC_DEADLINE;
	vcpu_set_cpuid(vcpu, cpuid);

	vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result_pass("reset_values");

	vcpu_run_expect_sync(vcpu, 2);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(reg(&s, APIC_TASKPRI) & ~0xfu, 0x40);
	TEST_ASSERT_EQ(sregs.cr8, 4);
	set_reg(&s, APIC_TASKPRI, 0x20);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	vcpu_run_expect_sync(vcpu, 3);
	ksft_test_result_pass("tpr_ppr_cr8");

	vcpu_run_expect_sync(vcpu, 4);
	ksft_test_result_pass("writable_bits_and_sw_disable");

	uc = vcpu_run_expect_sync(vcpu, 5);
	irr = uc.args[1];
	tmr = uc.args[2];
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	/* 0x40 0x41 0x43 0x45 0x46 0x48 0x4a 0x4d; TMR: 0x41 (level). */
	ksft_test_result(irr == 0x256b && tmr == 0x2 &&
			 reg(&s, APIC_IRR + 0x20) == irr &&
			 reg(&s, APIC_TMR + 0x20) == tmr,
			 "ipi_destinations");
	if (irr != 0x256b || tmr != 0x2)
		pr_info("IRR[95:64] %#x (want 0x256b), TMR %#x (want 0x2)",
			irr, tmr);
	set_reg(&s, APIC_IRR + 0x20, 0);
	set_reg(&s, APIC_TMR + 0x20, 0);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	vcpu_run_expect_sync(vcpu, 6);

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	set_reg(&s, APIC_ISR + 0x20, 1u << (0x50 - 0x40));
	set_reg(&s, APIC_ISR + 0x30, 1u << (0x61 - 0x60));
	set_reg(&s, APIC_TMR + 0x30, 1u << (0x61 - 0x60));	/* level */
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	vcpu_run_expect_sync(vcpu, 12);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	ksft_test_result(!reg(&s, APIC_ISR + 0x20) && !reg(&s, APIC_ISR + 0x30),
			 "eoi_retires_highest_in_service");

	vcpu_run_expect_sync(vcpu, 7);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	c1 = reg(&s, APIC_TMCCT);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	c2 = reg(&s, APIC_TMCCT);
	ksft_test_result(c1 > 0 && c1 < 0xffffffff && c2 > 0 && c2 <= c1,
			 "timer_count_across_get_set_lapic");
	if (!(c1 > 0 && c2 > 0 && c2 <= c1))
		pr_info("TMCCT %u, then %u after KVM_SET_LAPIC", c1, c2);
	vcpu_run_expect_sync(vcpu, 8);
	ksft_test_result_pass("timer_oneshot_periodic");

	vcpu_run_expect_sync(vcpu, 9);
	ksft_test_result_pass("timer_tsc_deadline");
	/* The timers' vectors stay requested (IF=0): clear them. */
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	for (r = 0; r < 8; r++)
		set_reg(&s, APIC_IRR + r * 0x10, 0);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);

	uc = vcpu_run_expect_sync(vcpu, 10);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	/* 0x70 (SELF IPI), 0x73 (physical), 0x74 (logical); not 0x75. */
	irr = uc.args[1];
	ksft_test_result(irr == ((1u << 16) | (1u << 19) | (1u << 20)) &&
			 reg(&s, APIC_ID) == VCPU_ID << 24 &&
			 reg(&s, APIC_LDR) == 1u << VCPU_ID,
			 "x2apic_msrs_and_state");
	if (irr != ((1u << 16) | (1u << 19) | (1u << 20)))
		pr_info("x2APIC IRR[127:96] %#x", irr);
	vcpu_run_expect_done(vcpu);
	ksft_test_result_pass("apic_base_transitions");

	kvm_vm_free(vm);
	free(cpuid);

	test_ipi_between_vcpus();
	ksft_finished();
}
