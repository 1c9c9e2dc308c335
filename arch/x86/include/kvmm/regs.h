/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest general-purpose register indexes, in the hardware's encoding
 * order (ModRM reg field, REX.B extends), shared with assembly.
 */
#ifndef _KVMM_X86_REGS_H
#define _KVMM_X86_REGS_H

#define KVMM_REG_RAX	0
#define KVMM_REG_RCX	1
#define KVMM_REG_RDX	2
#define KVMM_REG_RBX	3
#define KVMM_REG_RSP	4
#define KVMM_REG_RBP	5
#define KVMM_REG_RSI	6
#define KVMM_REG_RDI	7
#define KVMM_REG_R8	8
#define KVMM_REG_R9	9
#define KVMM_REG_R10	10
#define KVMM_REG_R11	11
#define KVMM_REG_R12	12
#define KVMM_REG_R13	13
#define KVMM_REG_R14	14
#define KVMM_REG_R15	15
#define KVMM_NR_GPRS	16

#endif /* _KVMM_X86_REGS_H */
