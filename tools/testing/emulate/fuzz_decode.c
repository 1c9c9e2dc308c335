// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target for the kvmm x86 emulator: decode and then emulate arbitrary
 * bytes in every mode.  The instruction bytes live in an allocation of
 * exactly their size, so ASan catches any read past them; the callbacks
 * check the emulator keeps its side of the ops contract.
 *
 * Input: byte 0 selects the mode and REP/flag variations, byte 1 seeds the
 * registers, the rest (up to 15 bytes) is the instruction.
 *
 * With -DFUZZ_STANDALONE (gcc), main() feeds random inputs instead of
 * libFuzzer: "./fuzz_smoke N".
 */
#include <stdio.h>
#include <stdlib.h>

#include "emulate.h"

#define CODE_LA		0x1000ULL

struct fuzz_ctx {
	const u8 *code;
	unsigned int code_len;
	unsigned int calls;
	bool always_changed;
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz: contract violation: %s\n", what);
	abort();
}

static int data_cb(struct x86_emu *emu, u64 la, unsigned int len, bool rd,
		   void *buf)
{
	struct fuzz_ctx *c = emu->ctx;
	unsigned int i;

	if (!len || len > X86EMU_STR_BATCH)
		die("data access length");
	if (len > 8 && (la & 4095) + len > 4096)
		die("batch crosses a page");
	if (++c->calls > 4 * X86EMU_REP_STEPS + 8)
		die("too many callbacks for one call");
	/* Some addresses fault, some exit to userspace. */
	if ((la >> 12) % 7 == 3)
		return x86_emu_page_fault(emu, la, rd ? 0 : 2);
	if ((la >> 12) % 7 == 5)
		return X86EMU_EXIT_USER;
	if (rd)
		for (i = 0; i < len; i++)
			((u8 *)buf)[i] = (u8)(la + i);
	return X86EMU_OK;
}

static int cb_read(struct x86_emu *emu, u64 la, void *buf, unsigned int len)
{
	return data_cb(emu, la, len, true, buf);
}

static int cb_write(struct x86_emu *emu, u64 la, const void *buf,
		    unsigned int len)
{
	return data_cb(emu, la, len, false, (void *)buf);
}

static int pio_cb(struct x86_emu *emu, u16 port, unsigned int size,
		  unsigned int count, bool in, void *buf)
{
	struct fuzz_ctx *c = emu->ctx;

	if ((size != 1 && size != 2 && size != 4) || !count ||
	    size * count > X86EMU_STR_BATCH)
		die("port access size");
	if (++c->calls > 4 * X86EMU_REP_STEPS + 8)
		die("too many callbacks for one call");
	if (port == 0x99)
		return X86EMU_EXIT_USER;
	if (in)
		memset(buf, 0x5a, size * count);
	return X86EMU_OK;
}

static int cb_in(struct x86_emu *emu, u16 port, unsigned int size,
		 unsigned int count, void *buf)
{
	return pio_cb(emu, port, size, count, true, buf);
}

static int cb_out(struct x86_emu *emu, u16 port, unsigned int size,
		  unsigned int count, const void *buf)
{
	return pio_cb(emu, port, size, count, false, (void *)buf);
}

/* TSS reads: 1..8 bytes; the bitmap reads as the address's low byte. */
static int cb_read_sys(struct x86_emu *emu, u64 la, void *buf,
		       unsigned int len)
{
	if (!len || len > 8)
		die("system read length");
	return data_cb(emu, la, len, true, buf);
}

/* Locked writes: with input bit 7 the memory always "changed". */
static int cb_cmpxchg(struct x86_emu *emu, u64 la, const void *old,
		      const void *new, unsigned int len)
{
	struct fuzz_ctx *c = emu->ctx;
	int ret;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		die("cmpxchg length");
	ret = data_cb(emu, la, len, false, (void *)new);
	if (ret == X86EMU_OK && c->always_changed)
		return X86EMU_RETRY;
	return ret;
}

/* Code at CODE_LA..+len; anything else faults. */
static int cb_fetch(struct x86_emu *emu, u64 la, void *buf, unsigned int len)
{
	struct fuzz_ctx *c = emu->ctx;

	if (!len || len > X86_MAX_INSN_LEN || (la & 4095) + len > 4096)
		die("fetch length");
	if (la < CODE_LA || la - CODE_LA >= c->code_len ||
	    len > c->code_len - (la - CODE_LA))
		return x86_emu_page_fault(emu, la, 0x10);
	memcpy(buf, c->code + (la - CODE_LA), len);
	return X86EMU_OK;
}

static const struct x86_emu_ops fuzz_ops = {
	.read_mem = cb_read,
	.write_mem = cb_write,
	.pio_in = cb_in,
	.pio_out = cb_out,
	.fetch = cb_fetch,
	.read_sys = cb_read_sys,
	.cmpxchg = cb_cmpxchg,
};

static void setup(struct x86_emu *e, u8 sel, u8 seed, struct fuzz_ctx *c)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->mode = sel & 3;
	e->ops = &fuzz_ops;
	e->ctx = c;
	e->rip = CODE_LA;
	e->rflags = 0x2 | ((sel & 4) ? X86EMU_FL_DF : 0) |
		    ((sel & 8) ? X86EMU_FL_CF : 0);
	for (i = 0; i < X86_NR_REGS; i++)
		e->regs[i] = (u64)(seed + i) * 0x9e3779b97f4a7c15ULL;
	if (sel & 0x10)
		e->regs[X86_RCX] &= 0x3ff;
	if (sel & 0x20)
		e->regs[X86_RDX] = 0x99;
	for (i = 0; i < X86_NR_SEGS; i++)
		e->seg_base[i] = (u64)(seed ^ i) << 12;
	/* CPL 3 above IOPL 0: INS/OUTS read the TSS's bitmap. */
	if (sel & 0x40) {
		e->cpl = 3;
		e->tr_type = 0xb;
		e->tr_base = (u64)seed << 12;
		e->tr_limit = 0x2067;
	}
	c->always_changed = sel & 0x80;
}

static void check_insn(const struct x86_insn *insn, unsigned int avail)
{
	if (!insn->len || insn->len > X86_MAX_INSN_LEN || insn->len > avail)
		die("length");
	if (insn->opsize != 2 && insn->opsize != 4 && insn->opsize != 8)
		die("operand size");
	if (insn->addrsize != 2 && insn->addrsize != 4 && insn->addrsize != 8)
		die("address size");
	if (insn->op == X86_OP_NONE || insn->op >= X86_OP_NR)
		die("op");
	if (insn->dst.kind == X86_OPND_MEM && insn->addrsize < 8 &&
	    insn->dst.ea >> (insn->addrsize * 8))
		die("ea not wrapped");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx c = { 0 };
	struct x86_insn insn;
	struct x86_emu e;
	unsigned int n;
	u8 *code;
	int ret, i;

	if (size < 2)
		return 0;
	n = size - 2;
	if (n > X86_MAX_INSN_LEN)
		n = X86_MAX_INSN_LEN;
	code = malloc(n ? n : 1);
	if (!code)
		return 0;
	memcpy(code, data + 2, n);

	/* Decode with every prefix of the bytes: never read past @len. */
	for (i = 0; i <= (int)n; i++) {
		setup(&e, data[0], data[1], &c);
		ret = x86_decode(&e, code, i, &insn);
		if (ret == X86EMU_OK)
			check_insn(&insn, i);
		else if (ret == X86EMU_NEED_BYTES && i >= X86_MAX_INSN_LEN)
			die("NEED_BYTES with 15 bytes");
		else if (ret > X86EMU_NEED_BYTES || ret < 0)
			die("decode status");
	}

	/* Then run it, a few times as a caller would after EXIT_USER. */
	c.code = code;
	c.code_len = n;
	setup(&e, data[0], data[1], &c);
	for (i = 0; i < 3; i++) {
		c.calls = 0;
		ret = x86_emulate_insn(&e);
		if (ret < 0 || ret == X86EMU_NEED_BYTES || ret > X86EMU_RETRY)
			die("emulate status");
		if (ret == X86EMU_OK && !e.incomplete)
			break;
	}
	free(code);
	return 0;
}

#ifdef FUZZ_STANDALONE
/* Bytes a decoder cares about, to reach deeper than uniform noise. */
static const u8 interesting[] = {
	0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
	0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0x00, 0x01, 0x03, 0x04,
	0x05, 0x24, 0x25, 0x44, 0x45, 0x63, 0x6c, 0x6d, 0x6e, 0x6f, 0x80,
	0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0xa0,
	0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xb6, 0xb7,
	0xbe, 0xbf, 0xc6, 0xc7, 0xf6, 0xf7, 0xfe, 0xff, 0xc0, 0x84, 0xff,
};

static u64 rng = 0x243f6a8885a308d3ULL;

static u64 next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned long it;
	u8 buf[2 + 20];

	for (it = 0; it < iters; it++) {
		size_t len = 2 + next() % 19, i;

		for (i = 0; i < len; i++) {
			u64 r = next();

			buf[i] = (i >= 2 && (r & 1)) ?
				 interesting[(r >> 8) % sizeof(interesting)] :
				 (u8)(r >> 16);
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz: %lu random inputs, no crash, no contract violation\n",
	       iters);
	return 0;
}
#endif
