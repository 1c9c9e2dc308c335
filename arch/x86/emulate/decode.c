// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction decoder: legacy prefixes, REX, the one- and two-byte opcode
 * tables, ModRM/SIB/displacement and immediates (SDM Vol. 2A chapter 2 and
 * appendix A).  It produces a struct x86_insn and never touches the guest:
 * the bytes come in as an array, and it reads none at or past its length.
 */
#include "emu_internal.h"

/*
 * An operand specifier packs where the operand comes from (low nibble) and
 * its size (high nibble), after the SDM's opcode-map notation: "Ev" is
 * ModRM r/m of operand size, "Gb" is ModRM reg, byte-sized, and so on.
 */
enum opnd_loc {
	L_NONE,
	L_E,		/* ModRM r/m: register or memory */
	L_G,		/* ModRM reg: register */
	L_I,		/* immediate */
	L_ACC,		/* AL / AX / EAX / RAX */
	L_MOFFS,	/* memory at an address-size offset (A0..A3) */
	L_SI,		/* string source, DS:rSI (segment overridable) */
	L_DI,		/* string destination, ES:rDI */
	L_DX,		/* I/O port in DX */
};

enum opnd_size {
	S_B = 1,	/* byte */
	S_W,		/* word */
	S_D,		/* doubleword */
	S_V,		/* operand size: 2, 4 or 8 */
	S_Z,		/* operand size capped at 4 (imm, INS/OUTS) */
};

#define OPND(loc, size)	((u8)((loc) | ((size) << 4)))
#define OPND_LOC(o)	((o) & 0xf)
#define OPND_SIZE(o)	((o) >> 4)

#define O_Eb	OPND(L_E, S_B)
#define O_Ew	OPND(L_E, S_W)
#define O_Ed	OPND(L_E, S_D)
#define O_Ev	OPND(L_E, S_V)
#define O_Gb	OPND(L_G, S_B)
#define O_Gv	OPND(L_G, S_V)
#define O_Ib	OPND(L_I, S_B)
#define O_Iz	OPND(L_I, S_Z)
#define O_AL	OPND(L_ACC, S_B)
#define O_rAX	OPND(L_ACC, S_V)
#define O_Ob	OPND(L_MOFFS, S_B)
#define O_Ov	OPND(L_MOFFS, S_V)
#define O_Xb	OPND(L_SI, S_B)
#define O_Xv	OPND(L_SI, S_V)
#define O_Xz	OPND(L_SI, S_Z)
#define O_Yb	OPND(L_DI, S_B)
#define O_Yv	OPND(L_DI, S_V)
#define O_Yz	OPND(L_DI, S_Z)
#define O_DX	OPND(L_DX, S_W)

/* Descriptor flags. */
#define D_MODRM		(1u << 0)	/* a ModRM byte follows */
#define D_LOCK		(1u << 1)	/* LOCK allowed (memory dst) */
#define D_GROUP		(1u << 2)	/* ModRM.reg selects the op */
#define D_ONLY64	(1u << 3)	/* this meaning is 64-bit only */
#define D_NO64		(1u << 4)	/* #UD in 64-bit mode */
#define D_NOSRC		(1u << 5)	/* group entry: no source */
#define D_MOD3		(1u << 6)	/* register form (mod = 3) only: the
					 * op comes from its own table */

struct op_desc {
	u8 op;		/* enum x86_op */
	u8 dst;		/* OPND() */
	u8 src;		/* OPND() */
	u8 flags;	/* D_* */
	u8 group;	/* enum op_group, with D_GROUP */
};

/* Group entries: the operation picked by ModRM.reg (SDM Vol. 2D A.4). */
struct group_desc {
	u8 op;
	u8 flags;	/* D_LOCK, D_NOSRC */
};

enum op_group {
	GRP1,		/* 80..83: immediate ALU */
	GRP3,		/* F6/F7: TEST/NOT/NEG/... */
	GRP4,		/* FE: INC/DEC Eb */
	GRP5,		/* FF: INC/DEC Ev, CALL/JMP/PUSH */
	GRP11,		/* C6/C7: MOV Ex, imm */
	NR_GROUPS,
};

static const struct group_desc groups[NR_GROUPS][8] = {
	[GRP1] = {
		{ X86_OP_ADD, D_LOCK }, { X86_OP_OR, D_LOCK },
		{ X86_OP_ADC, D_LOCK }, { X86_OP_SBB, D_LOCK },
		{ X86_OP_AND, D_LOCK }, { X86_OP_SUB, D_LOCK },
		{ X86_OP_XOR, D_LOCK }, { X86_OP_CMP, 0 },
	},
	[GRP3] = {
		[0] = { X86_OP_TEST, 0 },
		[1] = { X86_OP_TEST, 0 },	/* undocumented alias of /0 */
		[2] = { X86_OP_NOT, D_LOCK | D_NOSRC },
		[3] = { X86_OP_NEG, D_LOCK | D_NOSRC },
		/* MUL, IMUL, DIV, IDIV: not supported */
	},
	[GRP4] = {
		[0] = { X86_OP_INC, D_LOCK },
		[1] = { X86_OP_DEC, D_LOCK },
	},
	[GRP5] = {
		[0] = { X86_OP_INC, D_LOCK },
		[1] = { X86_OP_DEC, D_LOCK },
		/* CALL, JMP, PUSH: not supported */
	},
	[GRP11] = {
		[0] = { X86_OP_MOV, 0 },
	},
};

/*
 * The eight classic ALU rows: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib /
 * rAX,Iz.  @lk is D_LOCK for all but CMP.
 */
#define ALU_ROW(base, o, lk)						\
	[(base) + 0] = { o, O_Eb, O_Gb, D_MODRM | (lk) },		\
	[(base) + 1] = { o, O_Ev, O_Gv, D_MODRM | (lk) },		\
	[(base) + 2] = { o, O_Gb, O_Eb, D_MODRM },			\
	[(base) + 3] = { o, O_Gv, O_Ev, D_MODRM },			\
	[(base) + 4] = { o, O_AL, O_Ib, 0 },				\
	[(base) + 5] = { o, O_rAX, O_Iz, 0 }

#define GROUP(g, d, s, f)	\
	{ X86_OP_NONE, d, s, D_MODRM | D_GROUP | (f), g }

static const struct op_desc one_byte[256] = {
	ALU_ROW(0x00, X86_OP_ADD, D_LOCK),
	ALU_ROW(0x08, X86_OP_OR, D_LOCK),
	ALU_ROW(0x10, X86_OP_ADC, D_LOCK),
	ALU_ROW(0x18, X86_OP_SBB, D_LOCK),
	ALU_ROW(0x20, X86_OP_AND, D_LOCK),
	ALU_ROW(0x28, X86_OP_SUB, D_LOCK),
	ALU_ROW(0x30, X86_OP_XOR, D_LOCK),
	ALU_ROW(0x38, X86_OP_CMP, 0),
	/* 63 is ARPL outside 64-bit mode (not supported), MOVSXD in it. */
	[0x63] = { X86_OP_MOVSX, O_Gv, O_Ed, D_MODRM | D_ONLY64 },
	[0x6c] = { X86_OP_INS, O_Yb, O_DX, 0 },
	[0x6d] = { X86_OP_INS, O_Yz, O_DX, 0 },
	[0x6e] = { X86_OP_OUTS, O_DX, O_Xb, 0 },
	[0x6f] = { X86_OP_OUTS, O_DX, O_Xz, 0 },
	[0x80] = GROUP(GRP1, O_Eb, O_Ib, 0),
	[0x81] = GROUP(GRP1, O_Ev, O_Iz, 0),
	[0x82] = GROUP(GRP1, O_Eb, O_Ib, D_NO64),
	[0x83] = GROUP(GRP1, O_Ev, O_Ib, 0),
	[0x84] = { X86_OP_TEST, O_Eb, O_Gb, D_MODRM },
	[0x85] = { X86_OP_TEST, O_Ev, O_Gv, D_MODRM },
	[0x86] = { X86_OP_XCHG, O_Eb, O_Gb, D_MODRM | D_LOCK },
	[0x87] = { X86_OP_XCHG, O_Ev, O_Gv, D_MODRM | D_LOCK },
	[0x88] = { X86_OP_MOV, O_Eb, O_Gb, D_MODRM },
	[0x89] = { X86_OP_MOV, O_Ev, O_Gv, D_MODRM },
	[0x8a] = { X86_OP_MOV, O_Gb, O_Eb, D_MODRM },
	[0x8b] = { X86_OP_MOV, O_Gv, O_Ev, D_MODRM },
	[0xa0] = { X86_OP_MOV, O_AL, O_Ob, 0 },
	[0xa1] = { X86_OP_MOV, O_rAX, O_Ov, 0 },
	[0xa2] = { X86_OP_MOV, O_Ob, O_AL, 0 },
	[0xa3] = { X86_OP_MOV, O_Ov, O_rAX, 0 },
	[0xa4] = { X86_OP_MOVS, O_Yb, O_Xb, 0 },
	[0xa5] = { X86_OP_MOVS, O_Yv, O_Xv, 0 },
	[0xa8] = { X86_OP_TEST, O_AL, O_Ib, 0 },
	[0xa9] = { X86_OP_TEST, O_rAX, O_Iz, 0 },
	[0xaa] = { X86_OP_STOS, O_Yb, O_AL, 0 },
	[0xab] = { X86_OP_STOS, O_Yv, O_rAX, 0 },
	[0xac] = { X86_OP_LODS, O_AL, O_Xb, 0 },
	[0xad] = { X86_OP_LODS, O_rAX, O_Xv, 0 },
	[0xc6] = GROUP(GRP11, O_Eb, O_Ib, 0),
	[0xc7] = GROUP(GRP11, O_Ev, O_Iz, 0),
	[0xf6] = GROUP(GRP3, O_Eb, O_Ib, 0),
	[0xf7] = GROUP(GRP3, O_Ev, O_Iz, 0),
	[0xf4] = { X86_OP_HLT },
	[0xfe] = GROUP(GRP4, O_Eb, 0, 0),
	[0xff] = GROUP(GRP5, O_Ev, 0, 0),
};

/*
 * MOV to/from DRn (0F 21, 0F 23) always has a register operand: the mod
 * bits are ignored (SDM Vol. 2B "MOV - Move to/from Debug Registers"), so
 * no displacement follows and no operand is decoded here.  The same holds
 * for MOV to CRn (0F 22, "MOV - Move to/from Control Registers"), decoded
 * for the intercepted CR8 write only.
 */
static const struct op_desc two_byte[256] = {
	[0x01] = { X86_OP_NONE, 0, 0, D_MODRM | D_MOD3 },	/* group 7 */
	[0x08] = { X86_OP_INVD },
	[0x09] = { X86_OP_WBINVD },
	[0x21] = { X86_OP_MOV_FROM_DR, 0, 0, D_MODRM },
	[0x22] = { X86_OP_MOV_TO_CR, 0, 0, D_MODRM },
	[0x23] = { X86_OP_MOV_TO_DR, 0, 0, D_MODRM },
	[0x30] = { X86_OP_WRMSR },
	[0x32] = { X86_OP_RDMSR },
	[0xa2] = { X86_OP_CPUID },
	[0xb6] = { X86_OP_MOVZX, O_Gv, O_Eb, D_MODRM },
	[0xb7] = { X86_OP_MOVZX, O_Gv, O_Ew, D_MODRM },
	[0xbe] = { X86_OP_MOVSX, O_Gv, O_Eb, D_MODRM },
	[0xbf] = { X86_OP_MOVSX, O_Gv, O_Ew, D_MODRM },
};

/* Group 7 (0F 01) register forms, by ModRM & 0x3f (SDM Vol. 2D A.4). */
static const u8 group7_mod3[64] = {
	[0x11] = X86_OP_XSETBV,		/* 0F 01 D1 */
};

/* A cursor over the instruction bytes. */
struct cursor {
	const u8 *bytes;
	unsigned int len;	/* bytes available */
	unsigned int pos;	/* bytes consumed */
};

/*
 * Consume @n (1, 2, 4 or 8) little-endian bytes.  Fails with #GP(0) when
 * the instruction would exceed 15 bytes, or NEED_BYTES when the caller gave
 * fewer bytes than the instruction has.
 */
static int take(struct x86_emu *emu, struct cursor *c, unsigned int n,
		u64 *val)
{
	unsigned int i;
	u64 v = 0;

	if (c->pos + n > X86_MAX_INSN_LEN)
		return x86_emu_raise(emu, X86EMU_VEC_GP, true, 0);
	if (c->pos + n > c->len)
		return X86EMU_NEED_BYTES;
	for (i = 0; i < n; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	*val = v;
	return X86EMU_OK;
}

static int take_byte(struct x86_emu *emu, struct cursor *c, u8 *b)
{
	u64 v;
	int ret = take(emu, c, 1, &v);

	*b = (u8)v;
	return ret;
}

/* Legacy prefixes and REX (SDM Vol. 2A 2.1.1, 2.2.1). */
static int decode_prefixes(struct x86_emu *emu, struct cursor *c,
			   struct x86_insn *insn, u8 *opcode)
{
	bool opsize_pfx = false, addrsize_pfx = false;
	bool long64 = emu->mode == X86_MODE_LONG64;
	bool default32 = emu->mode == X86_MODE_PROT32;
	int ret;
	u8 b;

	for (;;) {
		ret = take_byte(emu, c, &b);
		if (ret)
			return ret;
		switch (b) {
		case 0x26: insn->seg_override = X86_SEG_ES; break;
		case 0x2e: insn->seg_override = X86_SEG_CS; break;
		case 0x36: insn->seg_override = X86_SEG_SS; break;
		case 0x3e: insn->seg_override = X86_SEG_DS; break;
		case 0x64: insn->seg_override = X86_SEG_FS; break;
		case 0x65: insn->seg_override = X86_SEG_GS; break;
		case 0x66: opsize_pfx = true; break;
		case 0x67: addrsize_pfx = true; break;
		case 0xf0: insn->lock = true; break;
		case 0xf2: insn->rep = X86_REP_F2; break;
		case 0xf3: insn->rep = X86_REP_F3; break;
		default:
			if (long64 && (b & 0xf0) == 0x40) {
				insn->rex = b;
				continue;
			}
			goto done;
		}
		/* A REX followed by a legacy prefix is ignored (2.2.1). */
		insn->rex = 0;
	}
done:
	*opcode = b;

	/* CS, DS, ES, SS overrides are ignored in 64-bit mode (3.4.2.1). */
	if (long64 && insn->seg_override >= 0 &&
	    insn->seg_override != X86_SEG_FS &&
	    insn->seg_override != X86_SEG_GS)
		insn->seg_override = -1;

	if (long64) {
		insn->opsize = (insn->rex & 0x8) ? 8 : opsize_pfx ? 2 : 4;
		insn->addrsize = addrsize_pfx ? 4 : 8;
	} else {
		insn->opsize = (default32 ^ opsize_pfx) ? 4 : 2;
		insn->addrsize = (default32 ^ addrsize_pfx) ? 4 : 2;
	}
	return X86EMU_OK;
}

static unsigned int opnd_bytes(const struct x86_insn *insn, unsigned int sz)
{
	switch (sz) {
	case S_B: return 1;
	case S_W: return 2;
	case S_D: return 4;
	case S_Z: return insn->opsize == 2 ? 2 : 4;
	default: return insn->opsize;
	}
}

/* Register @reg of @size bytes; byte registers 4..7 are AH..BH without REX. */
static void set_reg_opnd(const struct x86_insn *insn, struct x86_operand *o,
			 unsigned int reg, unsigned int size)
{
	o->kind = X86_OPND_REG;
	o->size = size;
	o->reg = reg;
	o->hi8 = false;
	if (size == 1 && !insn->rex && reg >= 4 && reg < 8) {
		o->reg = reg - 4;
		o->hi8 = true;
	}
}

/* 16-bit ModRM forms (SDM Vol. 2A table 2-1). */
static const u8 ea16_base[8] = {
	X86_RBX, X86_RBX, X86_RBP, X86_RBP, X86_RSI, X86_RDI, X86_RBP, X86_RBX,
};

static const s8 ea16_index[8] = {
	X86_RSI, X86_RDI, X86_RSI, X86_RDI, -1, -1, -1, -1,
};

/*
 * The memory form of ModRM r/m: fills @m's segment and offset (for
 * RIP-relative, the displacement only; fixed up once the length is known).
 */
static int decode_modrm_mem(struct x86_emu *emu, struct cursor *c,
			    struct x86_insn *insn, struct x86_operand *m)
{
	unsigned int mod = insn->modrm >> 6, rm = insn->modrm & 7;
	unsigned int seg = X86_SEG_DS;
	int base = -1, index = -1, scale = 0;
	unsigned int disp_bytes = 0;
	u64 ea = 0, v;
	int ret;

	if (insn->addrsize == 2) {
		if (mod == 0 && rm == 6) {
			disp_bytes = 2;
		} else {
			base = ea16_base[rm];
			index = ea16_index[rm];
			disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		}
	} else {
		if (rm == 4) {
			ret = take_byte(emu, c, &insn->sib);
			if (ret)
				return ret;
			insn->has_sib = true;
			scale = insn->sib >> 6;
			index = ((insn->sib >> 3) & 7) | ((insn->rex & 2) << 2);
			if (index == X86_RSP)	/* no index */
				index = -1;
			base = (insn->sib & 7) | ((insn->rex & 1) << 3);
			if ((insn->sib & 7) == 5 && mod == 0) {
				base = -1;
				disp_bytes = 4;
			}
		} else if (rm == 5 && mod == 0) {
			disp_bytes = 4;
			insn->rip_relative = emu->mode == X86_MODE_LONG64;
		} else {
			base = rm | ((insn->rex & 1) << 3);
		}
		if (mod == 1)
			disp_bytes = 1;
		else if (mod == 2)
			disp_bytes = 4;
	}

	if (disp_bytes) {
		ret = take(emu, c, disp_bytes, &v);
		if (ret)
			return ret;
		insn->disp = (s64)emu_sext(v, disp_bytes);
	}

	/* rBP or rSP as base selects SS (SDM Vol. 1 3.7.5, table 3-5). */
	if (base == X86_RBP || base == X86_RSP)
		seg = X86_SEG_SS;
	if (base >= 0)
		ea += emu->regs[base];
	if (index >= 0)
		ea += emu->regs[index] << scale;
	ea += (u64)insn->disp;

	m->kind = X86_OPND_MEM;
	m->seg = insn->seg_override >= 0 ? (u8)insn->seg_override : seg;
	m->ea = ea & emu_size_mask(insn->addrsize);
	return X86EMU_OK;
}

static int decode_operand(struct x86_emu *emu, struct cursor *c,
			  struct x86_insn *insn, u8 spec,
			  struct x86_operand *o)
{
	unsigned int size = opnd_bytes(insn, OPND_SIZE(spec));
	unsigned int reg;
	u64 v;
	int ret;

	o->size = size;
	switch (OPND_LOC(spec)) {
	case L_NONE:
		o->kind = X86_OPND_NONE;
		o->size = 0;
		return X86EMU_OK;
	case L_E:
		if ((insn->modrm >> 6) == 3) {
			reg = (insn->modrm & 7) | ((insn->rex & 1) << 3);
			set_reg_opnd(insn, o, reg, size);
			return X86EMU_OK;
		}
		return decode_modrm_mem(emu, c, insn, o);
	case L_G:
		reg = ((insn->modrm >> 3) & 7) | ((insn->rex & 4) << 1);
		set_reg_opnd(insn, o, reg, size);
		return X86EMU_OK;
	case L_ACC:
		set_reg_opnd(insn, o, X86_RAX, size);
		return X86EMU_OK;
	case L_I:
		ret = take(emu, c, size, &v);
		if (ret)
			return ret;
		o->kind = X86_OPND_IMM;
		o->imm = emu_sext(v, size);
		return X86EMU_OK;
	case L_MOFFS:
		ret = take(emu, c, insn->addrsize, &v);
		if (ret)
			return ret;
		o->kind = X86_OPND_MEM;
		o->seg = insn->seg_override >= 0 ? (u8)insn->seg_override :
						  X86_SEG_DS;
		o->ea = v;
		return X86EMU_OK;
	case L_SI:
		o->kind = X86_OPND_MEM;
		o->seg = insn->seg_override >= 0 ? (u8)insn->seg_override :
						  X86_SEG_DS;
		o->ea = emu->regs[X86_RSI] & emu_size_mask(insn->addrsize);
		return X86EMU_OK;
	case L_DI:
		/* The destination segment is ES, with no override. */
		o->kind = X86_OPND_MEM;
		o->seg = X86_SEG_ES;
		o->ea = emu->regs[X86_RDI] & emu_size_mask(insn->addrsize);
		return X86EMU_OK;
	case L_DX:
		o->kind = X86_OPND_PORT;
		o->size = 2;
		return X86EMU_OK;
	}
	return X86EMU_UNHANDLEABLE;
}

static int decode_insn(struct x86_emu *emu, const u8 *bytes,
		       unsigned int len, struct x86_insn *insn)
{
	bool long64 = emu->mode == X86_MODE_LONG64;
	struct cursor c = { .bytes = bytes, .len = len, .pos = 0 };
	struct op_desc d;
	u8 opcode, flags;
	int ret;

	memset(insn, 0, sizeof(*insn));
	insn->seg_override = -1;
	insn->mode = emu->mode;

	ret = decode_prefixes(emu, &c, insn, &opcode);
	if (ret)
		return ret;

	if (opcode == 0x0f) {
		ret = take_byte(emu, &c, &opcode);
		if (ret)
			return ret;
		insn->opcode = 0x0f00 | opcode;
		d = two_byte[opcode];
	} else {
		insn->opcode = opcode;
		d = one_byte[opcode];
	}

	if (d.op == X86_OP_NONE && !(d.flags & (D_GROUP | D_MOD3)))
		return X86EMU_UNHANDLEABLE;
	if ((d.flags & D_ONLY64) && !long64)
		return X86EMU_UNHANDLEABLE;
	if ((d.flags & D_NO64) && long64)
		return x86_emu_raise(emu, X86EMU_VEC_UD, false, 0);

	if (d.flags & D_MODRM) {
		ret = take_byte(emu, &c, &insn->modrm);
		if (ret)
			return ret;
		insn->has_modrm = true;
	}
	flags = d.flags;
	if (d.flags & D_MOD3) {
		if ((insn->modrm >> 6) != 3)
			return X86EMU_UNHANDLEABLE;
		d.op = group7_mod3[insn->modrm & 0x3f];
		if (d.op == X86_OP_NONE)
			return X86EMU_UNHANDLEABLE;
	}
	if (d.flags & D_GROUP) {
		const struct group_desc *g;

		g = &groups[d.group][(insn->modrm >> 3) & 7];
		if (g->op == X86_OP_NONE)
			return X86EMU_UNHANDLEABLE;
		d.op = g->op;
		flags = (flags & ~D_LOCK) | g->flags;
		if (g->flags & D_NOSRC)
			d.src = 0;
	}
	insn->op = d.op;

	/* MOVSXD with a 16-bit operand size reads 16 bits. */
	if (d.op == X86_OP_MOVSX && OPND_SIZE(d.src) == S_D &&
	    insn->opsize < 4)
		d.src = OPND(OPND_LOC(d.src), S_V);

	/* Operand order in the encoding: ModRM memory form, then immediate. */
	ret = decode_operand(emu, &c, insn, d.dst, &insn->dst);
	if (ret)
		return ret;
	ret = decode_operand(emu, &c, insn, d.src, &insn->src);
	if (ret)
		return ret;

	insn->len = c.pos;

	/* LOCK only on a lockable instruction with a memory destination. */
	if (insn->lock &&
	    (!(flags & D_LOCK) || insn->dst.kind != X86_OPND_MEM))
		return x86_emu_raise(emu, X86EMU_VEC_UD, false, 0);

	/* RIP-relative: relative to the next instruction (2.2.1.6). */
	if (insn->rip_relative) {
		struct x86_operand *m = insn->dst.kind == X86_OPND_MEM ?
					&insn->dst : &insn->src;

		m->ea = (emu->rip + insn->len + (u64)insn->disp) &
			emu_size_mask(insn->addrsize);
	}
	if (insn->dst.kind == X86_OPND_MEM)
		insn->dst.linear = emu_linear(emu, insn->dst.seg, insn->dst.ea);
	if (insn->src.kind == X86_OPND_MEM)
		insn->src.linear = emu_linear(emu, insn->src.seg, insn->src.ea);
	return X86EMU_OK;
}

int x86_decode(struct x86_emu *emu, const u8 *bytes, unsigned int len,
	       struct x86_insn *insn)
{
	int ret = decode_insn(emu, bytes, len, insn);
	unsigned int n;

	/* Keep the bytes for the caller's report, even on failure. */
	if (ret == X86EMU_OK)
		n = insn->len;
	else
		n = len < X86_MAX_INSN_LEN ? len : X86_MAX_INSN_LEN;
	memcpy(insn->bytes, bytes, n);
	insn->nr_bytes = n;
	if (ret != X86EMU_OK)
		insn->len = 0;
	return ret;
}
