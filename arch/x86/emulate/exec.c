// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction executor: one function per operation kind, and the entry
 * point x86_emulate_insn() (fetch, decode, execute, commit).
 *
 * Restartability: register results go to a private copy (struct exec)
 * committed only when the instruction succeeded, and every instruction
 * does all its reads (memory, port) before its single write, so a callback
 * failing with X86EMU_EXIT_USER or X86EMU_EXCEPTION leaves nothing behind.
 */
#include "emu_internal.h"

#define PAGE_SZ		4096u

struct exec {
	struct x86_emu *emu;
	const struct x86_insn *insn;
	u64 regs[X86_NR_REGS];	/* working copy, committed on success */
	u64 rflags;
	bool hold_rip;		/* REP not finished: RIP stays */
};

static u64 load_le(const u8 *buf, unsigned int len)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u64)buf[i] << (8 * i);
	return v;
}

static void store_le(u8 *buf, u64 v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(v >> (8 * i));
}

/* 48-bit canonical form (SDM Vol. 1 3.3.7.1). */
static bool is_canonical(u64 la)
{
	return (u64)((s64)(la << 16) >> 16) == la;
}

/*
 * In 64-bit mode every byte accessed must be canonical, else #SS(0) for
 * SS-based accesses and #GP(0) otherwise (SDM Vol. 3A 6.15).
 */
static int check_linear(struct exec *x, unsigned int seg, u64 la,
			unsigned int len)
{
	if (x->emu->mode != X86_MODE_LONG64)
		return X86EMU_OK;
	if (is_canonical(la) && is_canonical(la + len - 1))
		return X86EMU_OK;
	return x86_emu_raise(x->emu, seg == X86_SEG_SS ? X86EMU_VEC_SS :
			     X86EMU_VEC_GP, true, 0);
}

static int mem_read(struct exec *x, unsigned int seg, u64 la, void *buf,
		    unsigned int len)
{
	int ret = check_linear(x, seg, la, len);

	if (ret)
		return ret;
	return x->emu->ops->read_mem(x->emu, la, buf, len);
}

static int mem_write(struct exec *x, unsigned int seg, u64 la,
		     const void *buf, unsigned int len)
{
	int ret = check_linear(x, seg, la, len);

	if (ret)
		return ret;
	return x->emu->ops->write_mem(x->emu, la, buf, len);
}

static int read_opnd(struct exec *x, const struct x86_operand *o, u64 *val)
{
	u8 buf[8];
	int ret;

	switch (o->kind) {
	case X86_OPND_REG:
		*val = emu_get_reg(x->regs, o->reg, o->hi8, o->size);
		return X86EMU_OK;
	case X86_OPND_IMM:
		*val = o->imm;
		return X86EMU_OK;
	case X86_OPND_MEM:
		ret = mem_read(x, o->seg, o->linear, buf, o->size);
		if (ret)
			return ret;
		*val = load_le(buf, o->size);
		return X86EMU_OK;
	}
	return X86EMU_UNHANDLEABLE;
}

static int write_opnd(struct exec *x, const struct x86_operand *o, u64 val)
{
	u8 buf[8];

	switch (o->kind) {
	case X86_OPND_REG:
		emu_set_reg(x->regs, o->reg, o->hi8, o->size, val);
		return X86EMU_OK;
	case X86_OPND_MEM:
		store_le(buf, val, o->size);
		return mem_write(x, o->seg, o->linear, buf, o->size);
	}
	return X86EMU_UNHANDLEABLE;
}

/*
 * The write of a read-modify-write whose read gave @old: atomic for LOCK
 * and for XCHG with memory, which is locked whatever its prefixes (SDM 2B
 * XCHG), so another vCPU's LOCKed update of the same location is never
 * lost.  X86EMU_RETRY when the memory changed since the read.
 */
static int write_rmw(struct exec *x, const struct x86_operand *o, u64 old,
		     u64 val)
{
	const struct x86_insn *insn = x->insn;
	struct x86_emu *emu = x->emu;
	u8 obuf[8], nbuf[8];
	int ret;

	if (o->kind != X86_OPND_MEM || !emu->ops->cmpxchg ||
	    (!insn->lock && insn->op != X86_OP_XCHG))
		return write_opnd(x, o, val);
	ret = check_linear(x, o->seg, o->linear, o->size);
	if (ret)
		return ret;
	store_le(obuf, old, o->size);
	store_le(nbuf, val, o->size);
	return emu->ops->cmpxchg(emu, o->linear, obuf, nbuf, o->size);
}

/*
 * Arithmetic flags (SDM Vol. 1 3.4.3.1, appendix A).  SF, ZF and PF come
 * from the result; PF is the even parity of its low byte.
 */
static bool parity_even(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

static void set_flags(u64 *fl, u64 res, unsigned int size, bool cf, bool of,
		      bool af)
{
	u64 f = *fl & ~X86EMU_FL_ARITH;

	res &= emu_size_mask(size);
	if (cf)
		f |= X86EMU_FL_CF;
	if (of)
		f |= X86EMU_FL_OF;
	if (af)
		f |= X86EMU_FL_AF;
	if (!res)
		f |= X86EMU_FL_ZF;
	if ((res >> (size * 8 - 1)) & 1)
		f |= X86EMU_FL_SF;
	if (parity_even((u8)res))
		f |= X86EMU_FL_PF;
	*fl = f;
}

/* a + b + carry_in: CF is the carry out, OF a signed overflow. */
static u64 add_flags(u64 a, u64 b, bool cin, unsigned int size, u64 *fl)
{
	u64 m = emu_size_mask(size), sign = 1ULL << (size * 8 - 1);
	u64 r;

	a &= m;
	b &= m;
	r = (a + b + cin) & m;
	set_flags(fl, r, size, cin ? r <= a : r < a,
		  ((a ^ r) & (b ^ r) & sign) != 0, ((a ^ b ^ r) & 0x10) != 0);
	return r;
}

/* a - b - borrow_in: CF is the borrow, OF a signed overflow. */
static u64 sub_flags(u64 a, u64 b, bool bin, unsigned int size, u64 *fl)
{
	u64 m = emu_size_mask(size), sign = 1ULL << (size * 8 - 1);
	u64 r;

	a &= m;
	b &= m;
	r = (a - b - bin) & m;
	set_flags(fl, r, size, bin ? a <= b : a < b,
		  ((a ^ b) & (a ^ r) & sign) != 0, ((a ^ b ^ r) & 0x10) != 0);
	return r;
}

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined, we clear it. */
static u64 logic_flags(u64 r, unsigned int size, u64 *fl)
{
	r &= emu_size_mask(size);
	set_flags(fl, r, size, false, false, false);
	return r;
}

typedef u64 (*alu_fn)(u64 a, u64 b, unsigned int size, u64 *fl);

static u64 alu_add(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return add_flags(a, b, false, size, fl);
}

static u64 alu_adc(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return add_flags(a, b, *fl & X86EMU_FL_CF, size, fl);
}

static u64 alu_sub(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return sub_flags(a, b, false, size, fl);
}

static u64 alu_sbb(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return sub_flags(a, b, *fl & X86EMU_FL_CF, size, fl);
}

static u64 alu_and(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return logic_flags(a & b, size, fl);
}

static u64 alu_or(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return logic_flags(a | b, size, fl);
}

static u64 alu_xor(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return logic_flags(a ^ b, size, fl);
}

/* INC/DEC leave CF alone (SDM Vol. 2A INC). */
static u64 alu_inc(u64 a, u64 b, unsigned int size, u64 *fl)
{
	u64 cf = *fl & X86EMU_FL_CF;
	u64 r = add_flags(a, 1, false, size, fl);

	*fl = (*fl & ~X86EMU_FL_CF) | cf;
	return r;
}

static u64 alu_dec(u64 a, u64 b, unsigned int size, u64 *fl)
{
	u64 cf = *fl & X86EMU_FL_CF;
	u64 r = sub_flags(a, 1, false, size, fl);

	*fl = (*fl & ~X86EMU_FL_CF) | cf;
	return r;
}

/* NEG: 0 - a, so CF = (a != 0). */
static u64 alu_neg(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return sub_flags(0, a, false, size, fl);
}

/* NOT changes no flag. */
static u64 alu_not(u64 a, u64 b, unsigned int size, u64 *fl)
{
	return ~a & emu_size_mask(size);
}

struct exec_desc {
	int (*exec)(struct exec *x, const struct exec_desc *d);
	alu_fn alu;		/* exec_binary, exec_unary */
	bool writeback;		/* exec_binary: false for CMP/TEST */
};

/* MOV, MOVZX, MOVSX/MOVSXD: dst = extend(src). */
static int exec_mov(struct exec *x, const struct exec_desc *d)
{
	const struct x86_insn *insn = x->insn;
	u64 v;
	int ret;

	ret = read_opnd(x, &insn->src, &v);
	if (ret)
		return ret;
	if (insn->op == X86_OP_MOVZX)
		v &= emu_size_mask(insn->src.size);
	else if (insn->op == X86_OP_MOVSX)
		v = emu_sext(v, insn->src.size);
	return write_opnd(x, &insn->dst, v);
}

/* ADD OR ADC SBB AND SUB XOR CMP TEST: dst = dst op src, flags. */
static int exec_binary(struct exec *x, const struct exec_desc *d)
{
	const struct x86_insn *insn = x->insn;
	u64 a, b, r, fl = x->rflags;
	int ret;

	ret = read_opnd(x, &insn->dst, &a);
	if (ret)
		return ret;
	ret = read_opnd(x, &insn->src, &b);
	if (ret)
		return ret;
	r = d->alu(a, b, insn->dst.size, &fl);
	if (d->writeback) {
		ret = write_rmw(x, &insn->dst, a, r);
		if (ret)
			return ret;
	}
	x->rflags = fl;
	return X86EMU_OK;
}

/* NOT NEG INC DEC: dst = op dst. */
static int exec_unary(struct exec *x, const struct exec_desc *d)
{
	const struct x86_insn *insn = x->insn;
	u64 a, r, fl = x->rflags;
	int ret;

	ret = read_opnd(x, &insn->dst, &a);
	if (ret)
		return ret;
	r = d->alu(a, 0, insn->dst.size, &fl);
	ret = write_rmw(x, &insn->dst, a, r);
	if (ret)
		return ret;
	x->rflags = fl;
	return X86EMU_OK;
}

/*
 * XCHG: the memory operand, when there is one, is the destination (the
 * ModRM r/m), so the only external write happens before the register one.
 */
static int exec_xchg(struct exec *x, const struct exec_desc *d)
{
	const struct x86_insn *insn = x->insn;
	u64 a, b;
	int ret;

	ret = read_opnd(x, &insn->dst, &a);
	if (ret)
		return ret;
	ret = read_opnd(x, &insn->src, &b);
	if (ret)
		return ret;
	ret = write_rmw(x, &insn->dst, a, b);
	if (ret)
		return ret;
	return write_opnd(x, &insn->src, a);
}

/*
 * Elements of one INS/OUTS batch: with REP and DF = 0, as many as fit in
 * X86EMU_STR_BATCH, the rest of the page and the address-size range of the
 * index register; otherwise one.  Depends on architectural state only, so
 * a re-run after X86EMU_EXIT_USER asks for the very same batch.
 */
static unsigned int batch_len(struct exec *x, unsigned int size, u64 count,
			      u64 ea, u64 la)
{
	u64 amask = emu_size_mask(x->insn->addrsize);
	u64 n = X86EMU_STR_BATCH / size;
	u64 room = PAGE_SZ - (la & (PAGE_SZ - 1));

	if (x->insn->rep == X86_REP_NONE || (x->rflags & X86EMU_FL_DF))
		return 1;
	if (n > count)
		n = count;
	if (n > room / size)
		n = room / size;
	/* An element straddling the page or the wrap goes alone. */
	if (n <= 1)
		return 1;
	if (amask - ea < n * size - 1)
		n = (amask - ea + 1) / size;
	return n ? (unsigned int)n : 1;
}

/*
 * One step of a string instruction: one element, or one INS/OUTS batch.
 * Reads first, then the one write; returns the elements done in @done.
 */
static int string_step(struct exec *x, unsigned int size, u64 count,
		       unsigned int *done)
{
	const struct x86_insn *insn = x->insn;
	struct x86_emu *emu = x->emu;
	u64 amask = emu_size_mask(insn->addrsize);
	unsigned int src_seg = insn->seg_override >= 0 ?
			       (u8)insn->seg_override : X86_SEG_DS;
	u64 si = x->regs[X86_RSI] & amask, di = x->regs[X86_RDI] & amask;
	u64 src_la = emu_linear(emu, src_seg, si);
	u64 dst_la = emu_linear(emu, X86_SEG_ES, di);
	u16 port = (u16)x->regs[X86_RDX];
	u8 buf[X86EMU_STR_BATCH];
	unsigned int n = 1;
	int ret;

	switch (insn->op) {
	case X86_OP_MOVS:
		ret = mem_read(x, src_seg, src_la, buf, size);
		if (ret)
			return ret;
		ret = mem_write(x, X86_SEG_ES, dst_la, buf, size);
		break;
	case X86_OP_STOS:
		store_le(buf, x->regs[X86_RAX], size);
		ret = mem_write(x, X86_SEG_ES, dst_la, buf, size);
		break;
	case X86_OP_LODS:
		ret = mem_read(x, src_seg, src_la, buf, size);
		if (!ret)
			emu_set_reg(x->regs, X86_RAX, false, size,
				    load_le(buf, size));
		break;
	case X86_OP_INS:
		n = batch_len(x, size, count, di, dst_la);
		ret = check_linear(x, X86_SEG_ES, dst_la, n * size);
		if (ret)
			return ret;
		ret = emu->ops->pio_in(emu, port, size, n, buf);
		if (ret)
			return ret;
		ret = mem_write(x, X86_SEG_ES, dst_la, buf, n * size);
		break;
	case X86_OP_OUTS:
		n = batch_len(x, size, count, si, src_la);
		ret = mem_read(x, src_seg, src_la, buf, n * size);
		if (ret)
			return ret;
		ret = emu->ops->pio_out(emu, port, size, n, buf);
		break;
	default:
		return X86EMU_UNHANDLEABLE;
	}
	*done = n;
	return ret;
}

/*
 * I/O permission (SDM 1 19.5; APM 2 13.3): in protected mode with CPL >
 * IOPL, and always in virtual-8086 mode, the bits of the @size ports from
 * @port in the TSS's I/O permission bitmap must all be clear, else
 * #GP(0), before any access is made.  The bitmap starts at the 16-bit
 * offset at TSS+0x66; the processor reads the two bytes that hold the
 * bits, and either of them beyond the TSS limit denies.  Only a 32- or
 * 64-bit TSS (type 9 or 11) has a bitmap.
 *
 * The hardware makes this check before the IOIO intercept, but the
 * emulator decodes the bytes again after the exit: they may be an INS or
 * OUTS that the hardware never checked (a MOV that faulted on MMIO,
 * rewritten by another vCPU), so the check is made here whatever exited.
 */
static int check_io_perm(struct exec *x, u16 port, unsigned int size)
{
	struct x86_emu *emu = x->emu;
	unsigned int iopl = (x->rflags & X86EMU_FL_IOPL) >> 12;
	u32 off;
	u8 buf[2];
	int ret;

	if (!(x->rflags & X86EMU_FL_VM) &&
	    (emu->mode == X86_MODE_REAL || emu->cpl <= iopl))
		return X86EMU_OK;
	if ((emu->tr_type & 0xd) != 0x9 || emu->tr_limit < 0x67)
		goto gp;
	ret = emu->ops->read_sys(emu, emu->tr_base + 0x66, buf, 2);
	if (ret)
		return ret;
	off = (u32)load_le(buf, 2) + port / 8;
	if (off + 1 > emu->tr_limit)
		goto gp;
	ret = emu->ops->read_sys(emu, emu->tr_base + off, buf, 2);
	if (ret)
		return ret;
	if ((load_le(buf, 2) >> (port & 7)) & ((1u << size) - 1))
		goto gp;
	return X86EMU_OK;
gp:
	return x86_emu_raise(emu, X86EMU_VEC_GP, true, 0);
}

/* rSI/rDI move by @bytes, up or down with DF, wrapping at address size. */
static void advance_index(struct exec *x, unsigned int reg, u64 bytes)
{
	unsigned int asz = x->insn->addrsize;
	u64 v = x->regs[reg];

	v = (x->rflags & X86EMU_FL_DF) ? v - bytes : v + bytes;
	emu_set_reg(x->regs, reg, false, asz, v & emu_size_mask(asz));
}

/*
 * MOVS STOS LODS INS OUTS, with or without REP (F2 acts as F3 for these).
 * The count is rCX of the address size.  With REP, the registers are
 * committed to the emulator after each step (see struct x86_emu).
 */
static int exec_string(struct exec *x, const struct exec_desc *d)
{
	const struct x86_insn *insn = x->insn;
	u64 amask = emu_size_mask(insn->addrsize);
	unsigned int size, steps, n;
	bool uses_si, uses_di;
	u64 count;
	int ret;

	size = insn->op == X86_OP_OUTS ? insn->src.size : insn->dst.size;
	uses_si = insn->op == X86_OP_MOVS || insn->op == X86_OP_LODS ||
		  insn->op == X86_OP_OUTS;
	uses_di = insn->op == X86_OP_MOVS || insn->op == X86_OP_STOS ||
		  insn->op == X86_OP_INS;

	/* Checked even when a REP count is 0, as the hardware does. */
	if (insn->op == X86_OP_INS || insn->op == X86_OP_OUTS) {
		ret = check_io_perm(x, (u16)x->regs[X86_RDX], size);
		if (ret)
			return ret;
	}

	for (steps = 0; ; steps++) {
		count = insn->rep ? x->regs[X86_RCX] & amask : 1;
		if (!count)
			break;
		if (steps == X86EMU_REP_STEPS) {
			x->hold_rip = true;
			break;
		}
		ret = string_step(x, size, count, &n);
		if (ret)
			return ret;
		if (uses_si)
			advance_index(x, X86_RSI, (u64)n * size);
		if (uses_di)
			advance_index(x, X86_RDI, (u64)n * size);
		if (!insn->rep)
			break;
		emu_set_reg(x->regs, X86_RCX, false, insn->addrsize,
			    (count - n) & amask);
		memcpy(x->emu->regs, x->regs, sizeof(x->regs));
		x->emu->step++;
	}
	return X86EMU_OK;
}

static const struct exec_desc exec_table[X86_OP_NR] = {
	[X86_OP_MOV]	= { exec_mov },
	[X86_OP_MOVZX]	= { exec_mov },
	[X86_OP_MOVSX]	= { exec_mov },
	[X86_OP_ADD]	= { exec_binary, alu_add, true },
	[X86_OP_OR]	= { exec_binary, alu_or, true },
	[X86_OP_ADC]	= { exec_binary, alu_adc, true },
	[X86_OP_SBB]	= { exec_binary, alu_sbb, true },
	[X86_OP_AND]	= { exec_binary, alu_and, true },
	[X86_OP_SUB]	= { exec_binary, alu_sub, true },
	[X86_OP_XOR]	= { exec_binary, alu_xor, true },
	[X86_OP_CMP]	= { exec_binary, alu_sub, false },
	[X86_OP_TEST]	= { exec_binary, alu_and, false },
	[X86_OP_XCHG]	= { exec_xchg },
	[X86_OP_NOT]	= { exec_unary, alu_not },
	[X86_OP_NEG]	= { exec_unary, alu_neg },
	[X86_OP_INC]	= { exec_unary, alu_inc },
	[X86_OP_DEC]	= { exec_unary, alu_dec },
	[X86_OP_MOVS]	= { exec_string },
	[X86_OP_STOS]	= { exec_string },
	[X86_OP_LODS]	= { exec_string },
	[X86_OP_INS]	= { exec_string },
	[X86_OP_OUTS]	= { exec_string },
};

/* IP wraps at the code segment's default size (SDM Vol. 1 3.6). */
static u64 ip_mask(const struct x86_emu *emu)
{
	switch (emu->mode) {
	case X86_MODE_LONG64:
		return ~0ULL;
	case X86_MODE_PROT32:
		return 0xffffffffULL;
	default:
		return 0xffff;
	}
}

u64 x86_insn_next_rip(const struct x86_emu *emu, const struct x86_insn *insn)
{
	return (emu->rip + insn->len) & ip_mask(emu);
}

/*
 * Fetch more instruction bytes: up to the end of the current page, and
 * never more than 15 in all.
 */
static int fetch_more(struct x86_emu *emu, u8 *bytes, unsigned int *have)
{
	u64 ip = (emu->rip + *have) & ip_mask(emu);
	u64 la = emu->mode == X86_MODE_LONG64 ? ip :
		 (u32)(emu->seg_base[X86_SEG_CS] + ip);
	unsigned int n = PAGE_SZ - (la & (PAGE_SZ - 1));
	int ret;

	if (n > X86_MAX_INSN_LEN - *have)
		n = X86_MAX_INSN_LEN - *have;
	ret = emu->ops->fetch(emu, la, bytes + *have, n);
	if (ret)
		return ret;
	*have += n;
	return X86EMU_OK;
}

int x86_emulate_insn(struct x86_emu *emu)
{
	struct x86_insn *insn = &emu->insn;
	const struct exec_desc *d;
	u8 bytes[X86_MAX_INSN_LEN];
	unsigned int have = 0, tries;
	struct exec x;
	int ret;

	emu->incomplete = false;
	emu->step = 0;
	do {
		ret = fetch_more(emu, bytes, &have);
		if (ret) {
			memcpy(insn->bytes, bytes, have);
			insn->nr_bytes = have;
			insn->len = 0;
			return ret;
		}
		ret = x86_decode(emu, bytes, have, insn);
	} while (ret == X86EMU_NEED_BYTES);
	if (ret)
		return ret;

	d = &exec_table[insn->op];
	if (!d->exec)
		return X86EMU_UNHANDLEABLE;

	/*
	 * A read-modify-write whose memory changed under it (X86EMU_RETRY
	 * from cmpxchg) runs again from its read; nothing was written.
	 */
	for (tries = 1; ; tries++) {
		memset(&x, 0, sizeof(x));
		x.emu = emu;
		x.insn = insn;
		x.rflags = emu->rflags;
		memcpy(x.regs, emu->regs, sizeof(x.regs));
		ret = d->exec(&x, d);
		if (ret != X86EMU_RETRY || tries == X86EMU_CMPXCHG_TRIES)
			break;
	}
	if (ret)
		return ret;

	/* Commit. */
	memcpy(emu->regs, x.regs, sizeof(x.regs));
	emu->rflags = x.rflags;
	if (x.hold_rip) {
		emu->incomplete = true;
	} else {
		emu->rip = (emu->rip + insn->len) & ip_mask(emu);
		emu->rflags &= ~X86EMU_FL_RF;
	}
	return X86EMU_OK;
}
