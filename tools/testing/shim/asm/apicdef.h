/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's register offsets and bits (SDM 3A 11.4.1, table 11-1;
 * 11.5.1; 11.6.1) under the names of the kernel's <asm/apicdef.h>, which
 * userspace does not have, for building lapic_regs.c in tools/testing/lapic/.
 */
#ifndef _TOOLS_TESTING_SHIM_ASM_APICDEF_H
#define _TOOLS_TESTING_SHIM_ASM_APICDEF_H

#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_LVR_DIRECTED_EOI	(1 << 24)
#define APIC_TASKPRI		0x80
#define APIC_ARBPRI		0x90
#define APIC_PROCPRI		0xa0
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_LDR_MASK		(0xffu << 24)
#define APIC_DFR		0xe0
#define APIC_SPIV		0xf0
#define APIC_SPIV_DIRECTED_EOI	(1 << 12)
#define APIC_SPIV_APIC_ENABLED	(1 << 8)
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_ICR		0x300
#define APIC_DEST_SELF		0x40000
#define APIC_DEST_ALLINC	0x80000
#define APIC_DEST_ALLBUT	0xc0000
#define APIC_INT_LEVELTRIG	0x08000
#define APIC_INT_ASSERT		0x04000
#define APIC_ICR_BUSY		0x01000
#define APIC_DEST_LOGICAL	0x00800
#define APIC_DM_FIXED		0x00000
#define APIC_DM_LOWEST		0x00100
#define APIC_DM_NMI		0x00400
#define APIC_DM_INIT		0x00500
#define APIC_DM_STARTUP		0x00600
#define APIC_DM_EXTINT		0x00700
#define APIC_VECTOR_MASK	0x000ff
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVTTHMR		0x330
#define APIC_LVTPC		0x340
#define APIC_LVT0		0x350
#define APIC_LVT_TIMER_PERIODIC	(1 << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2 << 17)
#define APIC_LVT_MASKED		(1 << 16)
#define APIC_LVT_LEVEL_TRIGGER	(1 << 15)
#define APIC_LVT_REMOTE_IRR	(1 << 14)
#define APIC_INPUT_POLARITY	(1 << 13)
#define APIC_SEND_PENDING	(1 << 12)
#define APIC_MODE_MASK		0x700
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SELF_IPI		0x3f0

#endif /* _TOOLS_TESTING_SHIM_ASM_APICDEF_H */
