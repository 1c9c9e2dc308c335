/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the decoder and the executor; not part of the API.
 */
#ifndef _KVMM_X86_EMU_INTERNAL_H
#define _KVMM_X86_EMU_INTERNAL_H

#include "emulate.h"

/* All-ones in the low @size bytes (1, 2, 4 or 8). */
static inline u64 emu_size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Sign-extend the low @size bytes of @v to 64 bits. */
static inline u64 emu_sext(u64 v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return (u64)((s64)(v << shift) >> shift);
}

/*
 * Linear address of @seg:@ea.  In 64-bit mode only FS and GS have a base
 * (SDM Vol. 3A 3.4.4); elsewhere the sum wraps at 4 GiB.
 */
static inline u64 emu_linear(const struct x86_emu *emu, unsigned int seg,
			     u64 ea)
{
	if (emu->mode == X86_MODE_LONG64) {
		if (seg == X86_SEG_FS || seg == X86_SEG_GS)
			return emu->seg_base[seg] + ea;
		return ea;
	}
	return (u32)(emu->seg_base[seg] + ea);
}

/* Read a register operand of @size bytes (AH..BH when @hi8). */
static inline u64 emu_get_reg(const u64 *regs, unsigned int reg, bool hi8,
			      unsigned int size)
{
	if (hi8)
		return (regs[reg] >> 8) & 0xff;
	return regs[reg] & emu_size_mask(size);
}

/*
 * Write a register operand: 8- and 16-bit writes keep the other bits,
 * 32-bit writes zero-extend to 64 bits (SDM Vol. 1 3.4.1.1).
 */
static inline void emu_set_reg(u64 *regs, unsigned int reg, bool hi8,
			       unsigned int size, u64 val)
{
	if (hi8)
		regs[reg] = (regs[reg] & ~0xff00ULL) | ((val & 0xff) << 8);
	else if (size == 1)
		regs[reg] = (regs[reg] & ~0xffULL) | (val & 0xff);
	else if (size == 2)
		regs[reg] = (regs[reg] & ~0xffffULL) | (val & 0xffff);
	else if (size == 4)
		regs[reg] = (u32)val;
	else
		regs[reg] = val;
}

#endif /* _KVMM_X86_EMU_INTERNAL_H */
