// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the kvmm x86 emulator (arch/x86/emulate/), built in
 * userspace.  The guest is a flat RAM array at linear 0, an MMIO window
 * with a backing array, and fake ports; "userspace" can be asked to handle
 * MMIO and port I/O so the X86EMU_EXIT_USER restart path is exercised.
 * Arithmetic flags are checked against the host CPU running the same
 * instruction.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "emulate.h"

#define RAM_SIZE	(1u << 20)
#define MMIO_BASE	0x40000000ULL
#define MMIO_SIZE	0x10000u
#define CODE		0x1000ULL
#define M		(MMIO_BASE + 0x100)	/* the memory operand */

#define ARITH		X86EMU_FL_ARITH
#define CF		X86EMU_FL_CF
#define PF		X86EMU_FL_PF
#define AF		X86EMU_FL_AF
#define ZF		X86EMU_FL_ZF
#define SF		X86EMU_FL_SF
#define OF		X86EMU_FL_OF
#define DF		X86EMU_FL_DF

/* Instruction bytes given as a string literal: pointer and length. */
#define B(s)		(const u8 *)(s), (sizeof(s) - 1)

static int passed, failed;
static const char *cur_test;
static bool cur_ok;

static void begin(const char *name)
{
	cur_test = name;
	cur_ok = true;
}

static void end(void)
{
	if (cur_ok)
		passed++;
	else
		failed++;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (cur_ok)
		printf("FAIL %s\n", cur_test);
	cur_ok = false;
	va_start(ap, fmt);
	printf("    ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

#define EXPECT(what, got, want) do {					\
	u64 _g = (u64)(got), _w = (u64)(want);				\
	if (_g != _w)							\
		fail("%s:%d %s = %#" PRIx64 ", want %#" PRIx64,	\
		     __FILE__, __LINE__, what, _g, _w);			\
} while (0)

/* ---- the fake guest ---------------------------------------------------- */

enum acc_kind { ACC_READ, ACC_WRITE, ACC_IN, ACC_OUT };

/* An access handed to "userspace", and its completion. */
struct record {
	int kind;
	u64 addr;		/* linear address or port */
	unsigned int size, count, len;
	bool done;
	u8 data[X86EMU_STR_BATCH];
};

struct fake {
	u8 ram[RAM_SIZE];
	u8 mmio[MMIO_SIZE];
	bool user;		/* MMIO and ports are handled by userspace */
	struct record rec[4];
	int nrec;
	int pending;		/* record waiting for userspace, or -1 */
	unsigned int mmio_reads, mmio_writes, pio_ins, pio_outs, fetches;
	unsigned int last_count;	/* count of the last pio call */
	u8 in_next;		/* port input: an incrementing byte stream */
	u8 out[4096];
	unsigned int out_len;
	u16 last_port;
	bool fault;		/* #PF on [fault_at, fault_at + 4096) */
	u64 fault_at;
	unsigned int sys_reads, cmpxchgs;
	unsigned int interfere;	/* cmpxchg calls that find the memory
				 * incremented by "another CPU" first */
};

static struct fake F;

static void fake_reset(void)
{
	memset(&F, 0, sizeof(F));
	F.pending = -1;
}

static void dev_access(int kind, u64 addr, unsigned int size,
		       unsigned int count, u8 *data)
{
	unsigned int i, len = size * count;

	switch (kind) {
	case ACC_READ:
		memcpy(data, F.mmio + (addr - MMIO_BASE), len);
		F.mmio_reads++;
		break;
	case ACC_WRITE:
		memcpy(F.mmio + (addr - MMIO_BASE), data, len);
		F.mmio_writes++;
		break;
	case ACC_IN:
		for (i = 0; i < len; i++)
			data[i] = F.in_next++;
		F.pio_ins++;
		F.last_port = (u16)addr;
		F.last_count = count;
		break;
	case ACC_OUT:
		if (F.out_len + len <= sizeof(F.out)) {
			memcpy(F.out + F.out_len, data, len);
			F.out_len += len;
		}
		F.pio_outs++;
		F.last_port = (u16)addr;
		F.last_count = count;
		break;
	}
}

/*
 * The caller's side of the restart contract (emulate.h, struct x86_emu):
 * records of accesses sent to userspace answer the re-run.
 */
static int device(struct x86_emu *emu, int kind, u64 addr, unsigned int size,
		  unsigned int count, void *buf)
{
	unsigned int len = size * count;
	struct record *r;
	int i;

	if (!F.user) {
		dev_access(kind, addr, size, count, buf);
		return X86EMU_OK;
	}
	if (emu->step > 0)
		F.nrec = 0;
	for (i = 0; i < F.nrec; i++) {
		r = &F.rec[i];
		if (!r->done || r->kind != kind || r->addr != addr ||
		    r->size != size || r->count != count)
			continue;
		if (kind == ACC_READ || kind == ACC_IN)
			memcpy(buf, r->data, len);
		return X86EMU_OK;
	}
	if (F.nrec == (int)ARRAY_SIZE(F.rec) || len > sizeof(r->data))
		return X86EMU_UNHANDLEABLE;
	r = &F.rec[F.nrec];
	r->kind = kind;
	r->addr = addr;
	r->size = size;
	r->count = count;
	r->len = len;
	r->done = false;
	if (kind == ACC_WRITE || kind == ACC_OUT)
		memcpy(r->data, buf, len);
	F.pending = F.nrec++;
	return X86EMU_EXIT_USER;
}

/* "Userspace" performs the pending access. */
static void user_complete(void)
{
	struct record *r = &F.rec[F.pending];

	dev_access(r->kind, r->addr, r->size, r->count, r->data);
	r->done = true;
	F.pending = -1;
}

static int mem(struct x86_emu *emu, int kind, u64 la, void *buf,
	       unsigned int len)
{
	if (F.fault && la >= F.fault_at && la < F.fault_at + 4096)
		return x86_emu_page_fault(emu, la, kind == ACC_WRITE ? 2 : 0);
	if (la < RAM_SIZE && len <= RAM_SIZE - la) {
		if (kind == ACC_READ)
			memcpy(buf, F.ram + la, len);
		else
			memcpy(F.ram + la, buf, len);
		return X86EMU_OK;
	}
	if (la >= MMIO_BASE && la - MMIO_BASE <= MMIO_SIZE - len)
		return device(emu, kind, la, len, 1, buf);
	return x86_emu_page_fault(emu, la, kind == ACC_WRITE ? 2 : 0);
}

static int cb_read(struct x86_emu *emu, u64 la, void *buf, unsigned int len)
{
	return mem(emu, ACC_READ, la, buf, len);
}

static int cb_write(struct x86_emu *emu, u64 la, const void *buf,
		    unsigned int len)
{
	return mem(emu, ACC_WRITE, la, (void *)buf, len);
}

static int cb_in(struct x86_emu *emu, u16 port, unsigned int size,
		 unsigned int count, void *buf)
{
	return device(emu, ACC_IN, port, size, count, buf);
}

static int cb_out(struct x86_emu *emu, u16 port, unsigned int size,
		  unsigned int count, const void *buf)
{
	return device(emu, ACC_OUT, port, size, count, (void *)buf);
}

static int cb_fetch(struct x86_emu *emu, u64 la, void *buf, unsigned int len)
{
	F.fetches++;
	if ((la & 4095) + len > 4096)
		return X86EMU_UNHANDLEABLE;	/* contract violation */
	if (F.fault && la >= F.fault_at && la < F.fault_at + 4096)
		return x86_emu_page_fault(emu, la, 0x10);
	if (la >= RAM_SIZE || len > RAM_SIZE - la)
		return x86_emu_page_fault(emu, la, 0x10);
	memcpy(buf, F.ram + la, len);
	return X86EMU_OK;
}

static int cb_read_sys(struct x86_emu *emu, u64 la, void *buf,
		       unsigned int len)
{
	F.sys_reads++;
	return mem(emu, ACC_READ, la, buf, len);
}

/* On RAM a real compare-and-exchange; elsewhere a plain write. */
static int cb_cmpxchg(struct x86_emu *emu, u64 la, const void *old,
		      const void *new, unsigned int len)
{
	F.cmpxchgs++;
	if (la >= RAM_SIZE || len > RAM_SIZE - la)
		return mem(emu, ACC_WRITE, la, (void *)new, len);
	if (F.interfere) {
		F.interfere--;
		F.ram[la]++;
	}
	if (memcmp(F.ram + la, old, len))
		return X86EMU_RETRY;
	memcpy(F.ram + la, new, len);
	return X86EMU_OK;
}

static const struct x86_emu_ops fake_ops = {
	.read_mem = cb_read,
	.write_mem = cb_write,
	.pio_in = cb_in,
	.pio_out = cb_out,
	.fetch = cb_fetch,
	.read_sys = cb_read_sys,
	.cmpxchg = cb_cmpxchg,
};

static void emu_init(struct x86_emu *e, u8 mode)
{
	memset(e, 0, sizeof(*e));
	e->mode = mode;
	e->ops = &fake_ops;
	e->rip = CODE;
	e->rflags = 0x2;
}

static void put_code(u64 at, const u8 *code, size_t n)
{
	memcpy(F.ram + at, code, n);
}

static u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, 8);
}

/* Run to completion, letting "userspace" complete what it must. */
static int run(struct x86_emu *e, unsigned int *runs)
{
	unsigned int n = 0;
	int ret;

	for (;;) {
		ret = x86_emulate_insn(e);
		n++;
		if (ret != X86EMU_EXIT_USER || n > 10000)
			break;
		user_complete();
	}
	F.nrec = 0;
	if (runs)
		*runs = n;
	return ret;
}

/* ---- decoder: addressing forms, prefixes, sizes, errors --------------- */

struct dec_case {
	const char *name;
	u8 mode;
	const u8 *code;
	size_t n;
	int ret;
	u8 len, opsize, addrsize;	/* 0: not checked */
	bool mem;			/* check the memory operand */
	u8 seg;
	u64 ea, linear;
	u8 vector;			/* for X86EMU_EXCEPTION */
};

#define R	X86_MODE_REAL
#define P16	X86_MODE_PROT16
#define P32	X86_MODE_PROT32
#define L64	X86_MODE_LONG64
#define OK	X86EMU_OK
#define ES	X86_SEG_ES
#define SS	X86_SEG_SS
#define DS	X86_SEG_DS
#define FS	X86_SEG_FS
#define GS	X86_SEG_GS

static const struct dec_case dec_cases[] = {
	/* 16-bit ModRM forms; DS base 0x40000, SS base 0x30000. */
	{ "16 [bx+si]", R, B("\x8b\x00"), OK, 2, 2, 2, true, DS, 0xb00, 0x40b00 },
	{ "16 [bx+di]", R, B("\x8b\x01"), OK, 2, 2, 2, true, DS, 0xc00, 0x40c00 },
	{ "16 [bp+si]", R, B("\x8b\x02"), OK, 2, 2, 2, true, SS, 0xd00, 0x30d00 },
	{ "16 [bp+di]", R, B("\x8b\x03"), OK, 2, 2, 2, true, SS, 0xe00, 0x30e00 },
	{ "16 [si]", R, B("\x8b\x04"), OK, 2, 2, 2, true, DS, 0x700, 0x40700 },
	{ "16 [di]", R, B("\x8b\x05"), OK, 2, 2, 2, true, DS, 0x800, 0x40800 },
	{ "16 [disp16]", R, B("\x8b\x06\x34\x12"), OK, 4, 2, 2, true, DS, 0x1234, 0x41234 },
	{ "16 [bx]", R, B("\x8b\x07"), OK, 2, 2, 2, true, DS, 0x400, 0x40400 },
	{ "16 [bp-2]", R, B("\x8b\x46\xfe"), OK, 3, 2, 2, true, SS, 0x5fe, 0x305fe },
	{ "16 [bx+disp16]", R, B("\x8b\x87\x00\x80"), OK, 4, 2, 2, true, DS, 0x8400, 0x48400 },
	{ "16 offset wraps", R, B("\x8b\x87\x00\xff"), OK, 4, 2, 2, true, DS, 0x300, 0x40300 },
	{ "16 es:", R, B("\x26\x8b\x07"), OK, 3, 2, 2, true, ES, 0x400, 0x10400 },
	{ "16 fs:", R, B("\x64\x8b\x07"), OK, 3, 2, 2, true, FS, 0x400, 0x50400 },
	{ "16 ds:[bp]", R, B("\x3e\x8b\x46\x00"), OK, 4, 2, 2, true, DS, 0x600, 0x40600 },
	{ "16 last seg wins", R, B("\x26\x65\x8b\x07"), OK, 4, 2, 2, true, GS, 0x400, 0x60400 },
	{ "16 a32 [ebx]", R, B("\x67\x8b\x03"), OK, 3, 2, 4, true, DS, 0x400, 0x40400 },
	{ "16 o32", R, B("\x66\x8b\x07"), OK, 3, 4, 2, true, DS, 0x400, 0x40400 },
	{ "16 moffs", R, B("\xa0\x34\x12"), OK, 3, 2, 2, true, DS, 0x1234, 0x41234 },
	{ "p16 [bx]", P16, B("\x8b\x07"), OK, 2, 2, 2, true, DS, 0x400, 0x40400 },
	/* 32-bit forms. */
	{ "32 [ebx]", P32, B("\x8b\x03"), OK, 2, 4, 4, true, DS, 0x400, 0x40400 },
	{ "32 [ebp+8]", P32, B("\x8b\x45\x08"), OK, 3, 4, 4, true, SS, 0x608, 0x30608 },
	{ "32 [disp32]", P32, B("\x8b\x05\x78\x56\x34\x12"), OK, 6, 4, 4, true, DS, 0x12345678, 0x12385678 },
	{ "32 [ebx+ecx*4]", P32, B("\x8b\x04\x8b"), OK, 3, 4, 4, true, DS, 0xc00, 0x40c00 },
	{ "32 [esp+0x10]", P32, B("\x8b\x44\x24\x10"), OK, 4, 4, 4, true, SS, 0x510, 0x30510 },
	{ "32 [ecx*2+disp32]", P32, B("\x8b\x04\x4d\x00\x01\x00\x00"), OK, 7, 4, 4, true, DS, 0x500, 0x40500 },
	{ "32 [ebp+ecx*2-16]", P32, B("\x8b\x44\x4d\xf0"), OK, 4, 4, 4, true, SS, 0x9f0, 0x309f0 },
	{ "32 SIB disp32 only", P32, B("\x8b\x04\x25\x00\x10\x00\x00"), OK, 7, 4, 4, true, DS, 0x1000, 0x41000 },
	{ "32 linear wraps", P32, B("\x8b\x83\x00\x00\xfc\xff"), OK, 6, 4, 4, true, DS, 0xfffc0400, 0x400 },
	{ "32 offset wraps", P32, B("\x8b\x83\x00\xfc\xff\xff"), OK, 6, 4, 4, true, DS, 0, 0x40000 },
	{ "32 a16 [bx]", P32, B("\x67\x8b\x07"), OK, 3, 4, 2, true, DS, 0x400, 0x40400 },
	{ "32 o16", P32, B("\x66\x8b\x03"), OK, 3, 2, 4, true, DS, 0x400, 0x40400 },
	{ "32 moffs", P32, B("\xa1\x78\x56\x34\x12"), OK, 5, 4, 4, true, DS, 0x12345678, 0x12385678 },
	{ "32 82 alias", P32, B("\x82\x03\x01"), OK, 3, 4, 4, true, DS, 0x400, 0x40400 },
	/* 64-bit forms: no ES/CS/SS/DS base, RIP = 0x1000. */
	{ "64 REX.W [rbx]", L64, B("\x48\x8b\x03"), OK, 3, 8, 8, true, DS, 0x400, 0x400 },
	{ "64 [rbx]", L64, B("\x8b\x03"), OK, 2, 4, 8, true, DS, 0x400, 0x400 },
	{ "64 o16", L64, B("\x66\x8b\x03"), OK, 3, 2, 8, true, DS, 0x400, 0x400 },
	{ "64 [r11]", L64, B("\x49\x8b\x03"), OK, 3, 8, 8, true, DS, 0xc00, 0xc00 },
	{ "64 rip+disp", L64, B("\x8b\x05\x10\x00\x00\x00"), OK, 6, 4, 8, true, DS, 0x1016, 0x1016 },
	{ "64 rip+disp, imm32", L64, B("\xc7\x05\x10\x00\x00\x00\x78\x56\x34\x12"), OK, 10, 4, 8, true, DS, 0x101a, 0x101a },
	{ "64 rip-disp, imm8", L64, B("\x83\x3d\xf0\xff\xff\xff\x01"), OK, 7, 4, 8, true, DS, 0xff7, 0xff7 },
	{ "64 a32 rip+disp", L64, B("\x67\x8b\x05\x10\x00\x00\x00"), OK, 7, 4, 4, true, DS, 0x1017, 0x1017 },
	{ "64 [rbx+r12]", L64, B("\x4a\x8b\x04\x23"), OK, 4, 8, 8, true, DS, 0x1100, 0x1100 },
	{ "64 [r13+0]", L64, B("\x41\x8b\x45\x00"), OK, 4, 4, 8, true, DS, 0xe00, 0xe00 },
	{ "64 [r12]", L64, B("\x41\x8b\x04\x24"), OK, 4, 4, 8, true, DS, 0xd00, 0xd00 },
	{ "64 [rsp]", L64, B("\x8b\x04\x24"), OK, 3, 4, 8, true, SS, 0x500, 0x500 },
	{ "64 [rbp+rax*8+disp32]", L64, B("\x8b\x84\xc5\x00\x01\x00\x00"), OK, 7, 4, 8, true, SS, 0xf00, 0xf00 },
	{ "64 fs:", L64, B("\x64\x8b\x03"), OK, 3, 4, 8, true, FS, 0x400, 0x50400 },
	{ "64 gs: REX.W", L64, B("\x65\x48\x8b\x03"), OK, 4, 8, 8, true, GS, 0x400, 0x60400 },
	{ "64 ds: ignored", L64, B("\x3e\x8b\x03"), OK, 3, 4, 8, true, DS, 0x400, 0x400 },
	{ "64 es: ignored", L64, B("\x26\x8b\x03"), OK, 3, 4, 8, true, DS, 0x400, 0x400 },
	{ "64 moffs64", L64, B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), OK, 10, 8, 8, true, DS, 0x1122334455667788, 0x1122334455667788 },
	{ "64 moffs32", L64, B("\x67\xa1\x78\x56\x34\x12"), OK, 6, 4, 4, true, DS, 0x12345678, 0x12345678 },
	{ "64 REX then 66", L64, B("\x48\x66\x8b\x03"), OK, 4, 2, 8, true, DS, 0x400, 0x400 },
	{ "64 66 then REX.W", L64, B("\x66\x48\x8b\x03"), OK, 4, 8, 8, true, DS, 0x400, 0x400 },
	{ "64 movsxd", L64, B("\x48\x63\x03"), OK, 3, 8, 8, true, DS, 0x400, 0x400 },
	{ "64 movzx", L64, B("\x0f\xb6\x03"), OK, 3, 4, 8, true, DS, 0x400, 0x400 },
	{ "64 rep stosq", L64, B("\xf3\x48\xab"), OK, 3, 8, 8, true, ES, 0x800, 0x800 },
	/* Failures. */
	{ "too long", L64, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_GP },
	{ "15 bytes ok", L64, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03"), OK, 15 },
	{ "need bytes: modrm", L64, B("\x8b"), X86EMU_NEED_BYTES },
	{ "need bytes: disp", L64, B("\x8b\x05\x10\x00"), X86EMU_NEED_BYTES },
	{ "need bytes: imm", L64, B("\xc7\x03\x01\x02"), X86EMU_NEED_BYTES },
	{ "lock, reg dst", L64, B("\xf0\x01\xc0"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_UD },
	{ "lock cmp", L64, B("\xf0\x39\x03"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_UD },
	{ "lock mov", L64, B("\xf0\x89\x03"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_UD },
	{ "lock add mem", L64, B("\xf0\x01\x03"), OK, 3 },
	{ "lock xchg mem", L64, B("\xf0\x87\x03"), OK, 3 },
	{ "82 in 64-bit", L64, B("\x82\x03\x01"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_UD },
	{ "63 is ARPL in 32-bit", P32, B("\x63\x03"), X86EMU_UNHANDLEABLE },
	{ "syscall", L64, B("\x0f\x05"), X86EMU_UNHANDLEABLE },
	{ "call [rbx]", L64, B("\xff\x13"), X86EMU_UNHANDLEABLE },
	{ "xgetbv", L64, B("\x0f\x01\xd0"), X86EMU_UNHANDLEABLE },
	{ "lgdt (0f 01 /2 memory)", L64, B("\x0f\x01\x13"), X86EMU_UNHANDLEABLE },
	{ "lock cpuid", L64, B("\xf0\x0f\xa2"), X86EMU_EXCEPTION, .vector = X86EMU_VEC_UD },
	{ "mul byte", L64, B("\xf6\x23"), X86EMU_UNHANDLEABLE },
};

static void preset(struct x86_emu *e, u8 mode)
{
	int i;

	emu_init(e, mode);
	for (i = 0; i < X86_NR_REGS; i++)
		e->regs[i] = 0x100 * (i + 1);
	for (i = 0; i < X86_NR_SEGS; i++)
		e->seg_base[i] = 0x10000 * (i + 1);
}

static void test_decode_table(void)
{
	const struct x86_operand *m;
	struct x86_insn insn;
	struct x86_emu e;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(dec_cases); i++) {
		const struct dec_case *c = &dec_cases[i];
		char name[96];

		snprintf(name, sizeof(name), "decode: %s", c->name);
		begin(name);
		preset(&e, c->mode);
		ret = x86_decode(&e, c->code, c->n, &insn);
		EXPECT("ret", ret, c->ret);
		if (ret == X86EMU_EXCEPTION)
			EXPECT("vector", e.exception.vector, c->vector);
		if (ret == OK && c->len)
			EXPECT("len", insn.len, c->len);
		if (ret == OK && c->opsize)
			EXPECT("opsize", insn.opsize, c->opsize);
		if (ret == OK && c->addrsize)
			EXPECT("addrsize", insn.addrsize, c->addrsize);
		if (ret == OK && c->mem) {
			m = insn.dst.kind == X86_OPND_MEM ? &insn.dst :
							   &insn.src;
			EXPECT("mem kind", m->kind, X86_OPND_MEM);
			EXPECT("seg", m->seg, c->seg);
			EXPECT("ea", m->ea, c->ea);
			EXPECT("linear", m->linear, c->linear);
		}
		end();
	}
}

/*
 * Instructions a hypervisor intercepts: decoded for their length and
 * operands (SVM without NRIP save), never executed.
 */
static void test_decode_intercepted(void)
{
	static const struct {
		const char *name;
		u8 mode;
		const u8 *code;
		size_t n;
		u8 op, len, modrm;
	} cases[] = {
		{ "hlt", L64, B("\xf4"), X86_OP_HLT, 1 },
		{ "cpuid", P32, B("\x0f\xa2"), X86_OP_CPUID, 2 },
		{ "cpuid, prefixes", L64, B("\x66\x2e\x48\x0f\xa2"), X86_OP_CPUID, 5 },
		{ "cpuid, real mode", R, B("\x0f\xa2"), X86_OP_CPUID, 2 },
		{ "invd", L64, B("\x0f\x08"), X86_OP_INVD, 2 },
		{ "wbinvd", L64, B("\x0f\x09"), X86_OP_WBINVD, 2 },
		{ "rdmsr", L64, B("\x0f\x32"), X86_OP_RDMSR, 2 },
		{ "wrmsr, rex", L64, B("\x41\x0f\x30"), X86_OP_WRMSR, 3 },
		{ "xsetbv", L64, B("\x0f\x01\xd1"), X86_OP_XSETBV, 3 },
		{ "mov rax, dr6", L64, B("\x0f\x21\xf0"), X86_OP_MOV_FROM_DR, 3, 0xf0 },
		{ "mov dr7, r9", L64, B("\x41\x0f\x23\xf9"), X86_OP_MOV_TO_DR, 4, 0xf9 },
		{ "mov dr0, eax, mod ignored", P32, B("\x0f\x23\x00"), X86_OP_MOV_TO_DR, 3, 0x00 },
		{ "mov cr8, rax", L64, B("\x44\x0f\x22\xc0"), X86_OP_MOV_TO_CR, 4, 0xc0 },
		{ "mov cr8, r15", L64, B("\x45\x0f\x22\xc7"), X86_OP_MOV_TO_CR, 4, 0xc7 },
	};
	struct x86_insn insn;
	struct x86_emu e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[96];

		snprintf(name, sizeof(name), "decode intercepted: %s",
			 cases[i].name);
		begin(name);
		preset(&e, cases[i].mode);
		EXPECT("ret", x86_decode(&e, cases[i].code, cases[i].n, &insn),
		       OK);
		EXPECT("op", insn.op, cases[i].op);
		EXPECT("len", insn.len, cases[i].len);
		if (cases[i].modrm)
			EXPECT("modrm", insn.modrm, cases[i].modrm);
		EXPECT("no dst", insn.dst.kind, X86_OPND_NONE);
		end();
	}

	begin("emulate intercepted: hlt is not executed");
	put_code(CODE, (const u8 *)"\xf4", 1);
	emu_init(&e, L64);
	EXPECT("ret", x86_emulate_insn(&e), X86EMU_UNHANDLEABLE);
	EXPECT("rip", e.rip, CODE);
	end();
}

static void test_decode_regs(void)
{
	struct x86_insn insn;
	struct x86_emu e;

	begin("decode: byte registers AH vs SPL vs R12B");
	preset(&e, L64);
	EXPECT("ret", x86_decode(&e, B("\x8a\x23"), &insn), OK);
	EXPECT("ah reg", insn.dst.reg, X86_RAX);
	EXPECT("ah hi8", insn.dst.hi8, true);
	EXPECT("ret", x86_decode(&e, B("\x40\x8a\x23"), &insn), OK);
	EXPECT("spl reg", insn.dst.reg, X86_RSP);
	EXPECT("spl hi8", insn.dst.hi8, false);
	EXPECT("ret", x86_decode(&e, B("\x44\x8a\x23"), &insn), OK);
	EXPECT("r12b reg", insn.dst.reg, X86_R12);
	EXPECT("rex", insn.rex, 0x44);
	end();

	begin("decode: immediates sign-extended, opcode and op recorded");
	preset(&e, L64);
	EXPECT("ret", x86_decode(&e, B("\x48\x83\x03\xff"), &insn), OK);
	EXPECT("imm", insn.src.imm, ~0ULL);
	EXPECT("op", insn.op, X86_OP_ADD);
	EXPECT("opcode", insn.opcode, 0x83);
	EXPECT("ret", x86_decode(&e, B("\x0f\xbf\x03"), &insn), OK);
	EXPECT("opcode", insn.opcode, 0x0fbf);
	EXPECT("op", insn.op, X86_OP_MOVSX);
	EXPECT("src size", insn.src.size, 2);
	EXPECT("ret", x86_decode(&e, B("\xf2\xf3\xa4"), &insn), OK);
	EXPECT("rep", insn.rep, X86_REP_F3);
	end();

	begin("decode: bytes kept on failure");
	preset(&e, L64);
	EXPECT("ret", x86_decode(&e, B("\x0f\x05\x90"), &insn),
	       X86EMU_UNHANDLEABLE);
	EXPECT("nr_bytes", insn.nr_bytes, 3);
	EXPECT("byte0", insn.bytes[0], 0x0f);
	EXPECT("byte1", insn.bytes[1], 0x05);
	end();
}

/* ---- executor: one table row per instruction form ---------------------- */

struct ex_case {
	const char *name;
	u8 mode;
	const u8 *code;
	size_t n;
	u64 rax, rcx, mem, fl_in;
	u64 rax_out, rcx_out, mem_out;
	u64 fl_mask, fl_out;
};

#define A	0x1122334455667788ULL
#define MM	0xaaaaaaaaaaaaaaaaULL
#define PAT	0x0102030405060708ULL

static const struct ex_case ex_cases[] = {
	/* MOV stores and loads, every size. */
	{ "mov [rbx],al", L64, B("\x88\x03"), A, 0, MM, 0, A, 0, 0xaaaaaaaaaaaaaa88 },
	{ "mov [rbx],ax", L64, B("\x66\x89\x03"), A, 0, MM, 0, A, 0, 0xaaaaaaaaaaaa7788 },
	{ "mov [rbx],eax", L64, B("\x89\x03"), A, 0, MM, 0, A, 0, 0xaaaaaaaa55667788 },
	{ "mov [rbx],rax", L64, B("\x48\x89\x03"), A, 0, MM, 0, A, 0, A },
	{ "mov al,[rbx]", L64, B("\x8a\x03"), A, 0, PAT, 0, 0x1122334455667708, 0, PAT },
	{ "mov ah,[rbx]", L64, B("\x8a\x23"), A, 0, PAT, 0, 0x1122334455660888, 0, PAT },
	{ "mov ax,[rbx]", L64, B("\x66\x8b\x03"), A, 0, PAT, 0, 0x1122334455660708, 0, PAT },
	{ "mov eax,[rbx] zero-extends", L64, B("\x8b\x03"), A, 0, PAT, 0, 0x05060708, 0, PAT },
	{ "mov rax,[rbx]", L64, B("\x48\x8b\x03"), A, 0, PAT, 0, PAT, 0, PAT },
	{ "mov cl,[rbx] (reg field)", L64, B("\x8a\x0b"), A, 0xffff, PAT, 0, A, 0xff08, PAT },
	{ "mov byte [rbx],imm8", L64, B("\xc6\x03\x5a"), 0, 0, MM, 0, 0, 0, 0xaaaaaaaaaaaaaa5a },
	{ "mov word [rbx],imm16", L64, B("\x66\xc7\x03\x34\x12"), 0, 0, MM, 0, 0, 0, 0xaaaaaaaaaaaa1234 },
	{ "mov dword [rbx],imm32", L64, B("\xc7\x03\x78\x56\x34\x12"), 0, 0, MM, 0, 0, 0, 0xaaaaaaaa12345678 },
	{ "mov qword [rbx],simm32", L64, B("\x48\xc7\x03\xf0\xff\xff\xff"), 0, 0, MM, 0, 0, 0, 0xfffffffffffffff0 },
	{ "mov al,moffs64", L64, B("\xa0\x00\x01\x00\x40\x00\x00\x00\x00"), A, 0, PAT, 0, 0x1122334455667708, 0, PAT },
	{ "mov moffs64,rax", L64, B("\x48\xa3\x00\x01\x00\x40\x00\x00\x00\x00"), A, 0, MM, 0, A, 0, A },
	{ "movzx eax,byte", L64, B("\x0f\xb6\x03"), A, 0, 0x80808080808080f0, 0, 0xf0, 0, 0x80808080808080f0 },
	{ "movzx rax,word", L64, B("\x48\x0f\xb7\x03"), A, 0, 0x80808080808080f0, 0, 0x80f0, 0, 0x80808080808080f0 },
	{ "movzx ax,byte", L64, B("\x66\x0f\xb6\x03"), A, 0, 0x80808080808080f0, 0, 0x11223344556600f0, 0, 0x80808080808080f0 },
	{ "movsx eax,byte", L64, B("\x0f\xbe\x03"), A, 0, 0x80808080808080f0, 0, 0xfffffff0, 0, 0x80808080808080f0 },
	{ "movsx rax,word", L64, B("\x48\x0f\xbf\x03"), A, 0, 0x80808080808080f0, 0, 0xffffffffffff80f0, 0, 0x80808080808080f0 },
	{ "movsxd rax,dword", L64, B("\x48\x63\x03"), A, 0, 0x80000000, 0, 0xffffffff80000000, 0, 0x80000000 },
	{ "movsxd eax,dword", L64, B("\x63\x03"), A, 0, 0x80000000, 0, 0x80000000, 0, 0x80000000 },
	/* ALU with memory destination, results and flags. */
	{ "add [rbx],al", L64, B("\x00\x03"), 1, 0, 0xff, 0, 1, 0, 0, ARITH, CF | ZF | AF | PF },
	{ "add [rbx],eax overflow", L64, B("\x01\x03"), 1, 0, 0x7fffffff, 0, 1, 0, 0x80000000, ARITH, OF | SF | AF | PF },
	{ "adc [rbx],eax CF=1", L64, B("\x11\x03"), 1, 0, 5, CF, 1, 0, 7, ARITH, 0 },
	{ "sbb [rbx],eax CF=1", L64, B("\x19\x03"), 5, 0, 5, CF, 5, 0, 0xffffffff, ARITH, CF | SF | AF | PF },
	{ "sub qword [rbx],1", L64, B("\x48\x83\x2b\x01"), 0, 0, 0, 0, 0, 0, ~0ULL, ARITH, CF | SF | AF | PF },
	{ "cmp byte [rbx],0x10", L64, B("\x80\x3b\x10"), 0, 0, 0x10, 0, 0, 0, 0x10, ARITH, ZF | PF },
	{ "and [rbx],eax", L64, B("\x21\x03"), 0xff00ff00, 0, 0xf0f0f0f0, 0, 0xff00ff00, 0, 0xf000f000, ARITH, SF | PF },
	{ "or [rbx],ax", L64, B("\x66\x09\x03"), 0x8000, 0, 0, 0, 0x8000, 0, 0x8000, ARITH, SF | PF },
	{ "xor [rbx],eax", L64, B("\x31\x03"), 0x12345678, 0, 0x12345678, CF | OF, 0x12345678, 0, 0, ARITH, ZF | PF },
	{ "or dword [rbx],imm32", L64, B("\x81\x0b\x00\x00\x00\x80"), 0, 0, 1, 0, 0, 0, 0x80000001, ARITH, SF },
	{ "xor byte [rbx],imm8", L64, B("\x80\x33\xff"), 0, 0, 0x0f, 0, 0, 0, 0xf0, ARITH, SF | PF },
	{ "add qword [rbx],simm8", L64, B("\x48\x83\x03\xff"), 0, 0, 1, 0, 0, 0, 0, ARITH, CF | ZF | AF | PF },
	{ "test [rbx],eax", L64, B("\x85\x03"), 0x100, 0, 0x100, CF, 0x100, 0, 0x100, ARITH, PF },
	{ "test [rbx],al", L64, B("\x84\x03"), 0x80, 0, 0x80, 0, 0x80, 0, 0x80, ARITH, SF },
	{ "test byte [rbx],imm8", L64, B("\xf6\x03\x80"), 0, 0, 0x80, 0, 0, 0, 0x80, ARITH, SF },
	{ "test dword [rbx],imm32", L64, B("\xf7\x03\x00\x00\x00\x80"), 0, 0, 0x80000000, 0, 0, 0, 0x80000000, ARITH, SF | PF },
	{ "add eax,[rbx]", L64, B("\x03\x03"), 0xffffffff00000003, 0, 2, 0, 5, 0, 2, ARITH, PF },
	{ "cmp rax,[rbx]", L64, B("\x48\x3b\x03"), 3, 0, 5, 0, 3, 0, 5, ARITH, CF | SF | AF },
	{ "sub cl,[rbx]", L64, B("\x2a\x0b"), 0, 0x1234, 1, 0, 0, 0x1233, 1, ARITH, PF },
	{ "lock add [rbx],eax", L64, B("\xf0\x01\x03"), 2, 0, 3, 0, 2, 0, 5, ARITH, PF },
	/* XCHG */
	{ "xchg [rbx],eax", L64, B("\x87\x03"), A, 0, 0x1111111122222222, 0, 0x22222222, 0, 0x1111111155667788 },
	{ "xchg [rbx],rax", L64, B("\x48\x87\x03"), A, 0, PAT, 0, PAT, 0, A },
	{ "xchg [rbx],ah", L64, B("\x86\x23"), A, 0, MM, 0, 0x112233445566aa88, 0, 0xaaaaaaaaaaaaaa77 },
	{ "xchg [rbx],cx", L64, B("\x66\x87\x0b"), 0, 0xffff0001, PAT, 0, 0, 0xffff0708, 0x0102030405060001 },
	/* NOT NEG INC DEC */
	{ "not byte [rbx]", L64, B("\xf6\x13"), 0, 0, 0x0f, CF | ZF, 0, 0, 0xf0, ARITH, CF | ZF },
	{ "neg dword [rbx]", L64, B("\xf7\x1b"), 0, 0, 1, 0, 0, 0, 0xffffffff, ARITH, CF | SF | AF | PF },
	{ "neg dword [rbx] of 0", L64, B("\xf7\x1b"), 0, 0, 0, CF, 0, 0, 0, ARITH, ZF | PF },
	{ "inc byte [rbx] keeps CF", L64, B("\xfe\x03"), 0, 0, 0x7f, CF, 0, 0, 0x80, ARITH, CF | OF | SF | AF },
	{ "dec qword [rbx]", L64, B("\x48\xff\x0b"), 0, 0, 0, 0, 0, 0, ~0ULL, ARITH, SF | AF | PF },
	/* 16-bit and 32-bit code. */
	{ "16 mov [bx],ax", R, B("\x89\x07"), A, 0, MM, 0, A, 0, 0xaaaaaaaaaaaa7788 },
	{ "16 mov eax,[bx]", R, B("\x66\x8b\x07"), A, 0, PAT, 0, 0x05060708, 0, PAT },
	{ "16 add word [bx],-1", R, B("\x83\x07\xff"), 0, 0, 1, 0, 0, 0, 0, ARITH, CF | ZF | AF | PF },
	{ "16 mov al,moffs", R, B("\xa0\x00\x01"), A, 0, PAT, 0, 0x1122334455667708, 0, PAT },
	{ "p16 mov [bx],al", P16, B("\x88\x07"), A, 0, MM, 0, A, 0, 0xaaaaaaaaaaaaaa88 },
	{ "32 mov [ebx],eax", P32, B("\x89\x03"), A, 0, MM, 0, A, 0, 0xaaaaaaaa55667788 },
	{ "32 add [ebx],ax", P32, B("\x66\x01\x03"), 1, 0, 0xffff, 0, 1, 0, 0, ARITH, CF | ZF | AF | PF },
	{ "32 movzx eax,word", P32, B("\x0f\xb7\x03"), A, 0, PAT, 0, 0x0708, 0, PAT },
};

static void test_exec_table(void)
{
	struct x86_emu e;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ex_cases); i++) {
		const struct ex_case *c = &ex_cases[i];
		bool bits16 = c->mode == R || c->mode == P16;
		char name[96];

		snprintf(name, sizeof(name), "exec: %s", c->name);
		begin(name);
		fake_reset();
		emu_init(&e, c->mode);
		put_code(CODE, c->code, c->n);
		put64(F.mmio + (M - MMIO_BASE), c->mem);
		e.regs[X86_RAX] = c->rax;
		e.regs[X86_RCX] = c->rcx;
		if (bits16) {
			e.seg_base[X86_SEG_DS] = MMIO_BASE;
			e.regs[X86_RBX] = M - MMIO_BASE;
		} else {
			e.regs[X86_RBX] = M;
		}
		e.rflags = 0x2 | c->fl_in;
		ret = run(&e, NULL);
		EXPECT("ret", ret, OK);
		EXPECT("rip", e.rip, CODE + c->n);
		EXPECT("rax", e.regs[X86_RAX], c->rax_out);
		EXPECT("rcx", e.regs[X86_RCX], c->rcx_out);
		EXPECT("rbx", e.regs[X86_RBX], bits16 ? M - MMIO_BASE : M);
		EXPECT("mem", get64(F.mmio + (M - MMIO_BASE)), c->mem_out);
		if (c->fl_mask)
			EXPECT("flags", e.rflags & c->fl_mask, c->fl_out);
		end();
	}
}

/* ---- ALU flags against the host CPU ------------------------------------ */

/*
 * Run "op %y, %x" on the host with RFLAGS = @fin, return x and RFLAGS.
 * The red zone is skipped before pushing.
 */
#define HOST_BIN(fn, mnem, T)						\
static u64 fn(u64 a, u64 b, u64 fin, u64 *fout)			\
{									\
	T x = (T)a, y = (T)b;						\
	u64 fo;								\
									\
	asm volatile("sub $128, %%rsp\n\t"				\
		     "push %[fi]\n\t"					\
		     "popf\n\t"						\
		     mnem " %[y], %[x]\n\t"				\
		     "pushf\n\t"					\
		     "pop %[fo]\n\t"					\
		     "add $128, %%rsp"					\
		     : [x] "+q" (x), [fo] "=&r" (fo)			\
		     : [y] "q" (y), [fi] "r" (fin)			\
		     : "cc", "memory");					\
	*fout = fo;							\
	return x;							\
}

#define HOST_UN(fn, mnem, T)						\
static u64 fn(u64 a, u64 b, u64 fin, u64 *fout)			\
{									\
	T x = (T)a;							\
	u64 fo;								\
									\
	asm volatile("sub $128, %%rsp\n\t"				\
		     "push %[fi]\n\t"					\
		     "popf\n\t"						\
		     mnem " %[x]\n\t"					\
		     "pushf\n\t"					\
		     "pop %[fo]\n\t"					\
		     "add $128, %%rsp"					\
		     : [x] "+q" (x), [fo] "=&r" (fo)			\
		     : [fi] "r" (fin)					\
		     : "cc", "memory");					\
	*fout = fo;							\
	return x;							\
}

#define HOST_ALL(kind, name, mnem)					\
	kind(host_##name##8, mnem, u8)					\
	kind(host_##name##16, mnem, u16)				\
	kind(host_##name##32, mnem, u32)				\
	kind(host_##name##64, mnem, u64)

HOST_ALL(HOST_BIN, add, "add")
HOST_ALL(HOST_BIN, or, "or")
HOST_ALL(HOST_BIN, adc, "adc")
HOST_ALL(HOST_BIN, sbb, "sbb")
HOST_ALL(HOST_BIN, and, "and")
HOST_ALL(HOST_BIN, sub, "sub")
HOST_ALL(HOST_BIN, xor, "xor")
HOST_ALL(HOST_BIN, cmp, "cmp")
HOST_ALL(HOST_BIN, test, "test")
HOST_ALL(HOST_UN, inc, "inc")
HOST_ALL(HOST_UN, dec, "dec")
HOST_ALL(HOST_UN, neg, "neg")
HOST_ALL(HOST_UN, not, "not")

typedef u64 (*host_fn)(u64 a, u64 b, u64 fin, u64 *fout);

struct oracle_op {
	const char *name;
	u8 opcode;		/* byte form; the v form is opcode + 1 */
	u8 modrm;		/* [rbx] with reg = rcx, or the group /n */
	bool logic;		/* AF undefined */
	bool writes;		/* CMP/TEST don't */
	host_fn host[4];
};

#define HOSTS(name)	{ host_##name##8, host_##name##16, host_##name##32, \
			  host_##name##64 }

static const struct oracle_op oracle_ops[] = {
	{ "add", 0x00, 0x0b, false, true, HOSTS(add) },
	{ "or", 0x08, 0x0b, true, true, HOSTS(or) },
	{ "adc", 0x10, 0x0b, false, true, HOSTS(adc) },
	{ "sbb", 0x18, 0x0b, false, true, HOSTS(sbb) },
	{ "and", 0x20, 0x0b, true, true, HOSTS(and) },
	{ "sub", 0x28, 0x0b, false, true, HOSTS(sub) },
	{ "xor", 0x30, 0x0b, true, true, HOSTS(xor) },
	{ "cmp", 0x38, 0x0b, false, false, HOSTS(cmp) },
	{ "test", 0x84, 0x0b, true, false, HOSTS(test) },
	{ "inc", 0xfe, 0x03, false, true, HOSTS(inc) },
	{ "dec", 0xfe, 0x0b, false, true, HOSTS(dec) },
	{ "neg", 0xf6, 0x1b, false, true, HOSTS(neg) },
	{ "not", 0xf6, 0x13, false, true, HOSTS(not) },
};

static const u64 edge[] = {
	0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,
	0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL,
};

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool oracle_one(const struct oracle_op *op, unsigned int sz_idx,
		       u64 a, u64 b, u64 fin)
{
	static const u8 sizes[4] = { 1, 2, 4, 8 };
	unsigned int size = sizes[sz_idx], n = 0;
	u64 mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	u64 want, want_fl, got, fl_mask = ARITH;
	struct x86_emu e;
	u8 code[4];
	int ret;

	if (size == 2)
		code[n++] = 0x66;
	else if (size == 8)
		code[n++] = 0x48;
	code[n++] = op->opcode + (size > 1);
	code[n++] = op->modrm;
	put_code(CODE, code, n);

	emu_init(&e, L64);
	e.regs[X86_RBX] = M;
	e.regs[X86_RCX] = b;
	e.rflags = 0x2 | fin;
	put64(F.mmio + (M - MMIO_BASE), a);

	want = op->host[sz_idx](a, b, 0x2 | fin, &want_fl);
	if (!op->writes)
		want = a;
	if (op->logic)
		fl_mask &= ~AF;

	ret = x86_emulate_insn(&e);
	got = get64(F.mmio + (M - MMIO_BASE));
	if (ret != OK || (got & mask) != (want & mask) ||
	    (got & ~mask) != (a & ~mask) ||
	    (e.rflags & fl_mask) != (want_fl & fl_mask) ||
	    e.regs[X86_RCX] != b) {
		fail("%s size %u a=%#" PRIx64 " b=%#" PRIx64 " fl=%#" PRIx64
		     ": ret %d got %#" PRIx64 " fl %#" PRIx64
		     ", host %#" PRIx64 " fl %#" PRIx64,
		     op->name, size, a, b, fin, ret, got & mask,
		     e.rflags & fl_mask, want & mask, want_fl & fl_mask);
		return false;
	}
	return true;
}

static void test_flags_oracle(void)
{
	size_t o, i, j;
	unsigned int s;
	char name[64];

	fake_reset();
	for (o = 0; o < ARRAY_SIZE(oracle_ops); o++) {
		for (s = 0; s < 4; s++) {
			const struct oracle_op *op = &oracle_ops[o];
			bool ok = true;

			snprintf(name, sizeof(name), "flags vs host: %s%u",
				 op->name, 8u << s);
			begin(name);
			for (i = 0; i < ARRAY_SIZE(edge) && ok; i++)
				for (j = 0; j < ARRAY_SIZE(edge) && ok; j++)
					ok = oracle_one(op, s, edge[i], edge[j],
							0) &&
					     oracle_one(op, s, edge[i], edge[j],
							ARITH);
			for (i = 0; i < 2000 && ok; i++)
				ok = oracle_one(op, s, rnd(), rnd(),
						rnd() & ARITH);
			end();
		}
	}
}

/* ---- EXIT_USER restart ------------------------------------------------- */

static void test_exit_user(void)
{
	unsigned int runs;
	struct x86_emu e;
	int ret;

	begin("exit-user: MMIO load abandons, then completes");
	fake_reset();
	F.user = true;
	emu_init(&e, L64);
	put_code(CODE, B("\x8b\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = A;
	put64(F.mmio + 0x100, PAT);
	ret = x86_emulate_insn(&e);
	EXPECT("first ret", ret, X86EMU_EXIT_USER);
	EXPECT("rax untouched", e.regs[X86_RAX], A);
	EXPECT("rip untouched", e.rip, CODE);
	EXPECT("device not read yet", F.mmio_reads, 0);
	user_complete();
	ret = x86_emulate_insn(&e);
	EXPECT("second ret", ret, OK);
	EXPECT("rax", e.regs[X86_RAX], 0x05060708);
	EXPECT("rip", e.rip, CODE + 2);
	EXPECT("device reads", F.mmio_reads, 1);
	end();

	begin("exit-user: read-modify-write, read then write restart");
	fake_reset();
	F.user = true;
	emu_init(&e, L64);
	put_code(CODE, B("\x01\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = 1;
	put64(F.mmio + 0x100, 0xffffffff);
	ret = x86_emulate_insn(&e);
	EXPECT("run 1", ret, X86EMU_EXIT_USER);
	user_complete();
	ret = x86_emulate_insn(&e);
	EXPECT("run 2", ret, X86EMU_EXIT_USER);
	EXPECT("flags untouched", e.rflags, 0x2);
	EXPECT("rip untouched", e.rip, CODE);
	EXPECT("mem untouched", get64(F.mmio + 0x100), 0xffffffff);
	user_complete();
	ret = x86_emulate_insn(&e);
	EXPECT("run 3", ret, OK);
	F.nrec = 0;
	EXPECT("mem", get64(F.mmio + 0x100), 0);
	EXPECT("flags", e.rflags & ARITH, CF | ZF | AF | PF);
	EXPECT("rip", e.rip, CODE + 2);
	EXPECT("device reads", F.mmio_reads, 1);
	EXPECT("device writes", F.mmio_writes, 1);
	end();

	begin("exit-user: xchg with MMIO");
	fake_reset();
	F.user = true;
	emu_init(&e, L64);
	put_code(CODE, B("\x48\x87\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = A;
	put64(F.mmio + 0x100, PAT);
	ret = run(&e, &runs);
	EXPECT("ret", ret, OK);
	EXPECT("runs", runs, 3);
	EXPECT("rax", e.regs[X86_RAX], PAT);
	EXPECT("mem", get64(F.mmio + 0x100), A);
	EXPECT("device reads", F.mmio_reads, 1);
	end();

	begin("exit-user: rep insb DF=1, one element per step");
	fake_reset();
	F.user = true;
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\x6c"));
	e.rflags |= DF;
	e.regs[X86_RCX] = 3;
	e.regs[X86_RDI] = 0x5002;
	e.regs[X86_RDX] = 0x60;
	ret = x86_emulate_insn(&e);
	EXPECT("run 1", ret, X86EMU_EXIT_USER);
	EXPECT("rcx", e.regs[X86_RCX], 3);
	user_complete();
	ret = x86_emulate_insn(&e);
	EXPECT("run 2", ret, X86EMU_EXIT_USER);
	EXPECT("one step committed", e.regs[X86_RCX], 2);
	EXPECT("rdi", e.regs[X86_RDI], 0x5001);
	EXPECT("rip held", e.rip, CODE);
	ret = run(&e, &runs);
	EXPECT("ret", ret, OK);
	EXPECT("rcx", e.regs[X86_RCX], 0);
	EXPECT("rdi", e.regs[X86_RDI], 0x4fff);
	EXPECT("rip", e.rip, CODE + 2);
	EXPECT("port reads", F.pio_ins, 3);
	EXPECT("data", F.ram[0x5002] | F.ram[0x5001] << 8 | F.ram[0x5000] << 16,
	       0x020100);
	end();

	begin("exit-user: rep outsw DF=0 batch restarts as one");
	fake_reset();
	F.user = true;
	emu_init(&e, L64);
	put_code(CODE, B("\x66\xf3\x6f"));
	memcpy(F.ram + 0x6000, "abcdefgh", 8);
	e.regs[X86_RCX] = 4;
	e.regs[X86_RSI] = 0x6000;
	e.regs[X86_RDX] = 0x3f8;
	ret = run(&e, &runs);
	EXPECT("ret", ret, OK);
	EXPECT("runs", runs, 2);
	EXPECT("port writes", F.pio_outs, 1);
	EXPECT("count", F.last_count, 4);
	EXPECT("data", memcmp(F.out, "abcdefgh", 8), 0);
	EXPECT("rsi", e.regs[X86_RSI], 0x6008);
	end();
}

/* ---- string instructions ----------------------------------------------- */

static void test_strings(void)
{
	struct x86_emu e;
	unsigned int i;
	bool same;
	int ret;

	begin("string: rep movsb DF=0 RAM to MMIO");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\xa4"));
	for (i = 0; i < 10; i++)
		F.ram[0x2000 + i] = (u8)(0x30 + i);
	e.regs[X86_RSI] = 0x2000;
	e.regs[X86_RDI] = MMIO_BASE + 0x200;
	e.regs[X86_RCX] = 10;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("data", memcmp(F.mmio + 0x200, F.ram + 0x2000, 10), 0);
	EXPECT("rcx", e.regs[X86_RCX], 0);
	EXPECT("rsi", e.regs[X86_RSI], 0x200a);
	EXPECT("rdi", e.regs[X86_RDI], MMIO_BASE + 0x20a);
	EXPECT("rip", e.rip, CODE + 2);
	EXPECT("writes", F.mmio_writes, 10);
	end();

	begin("string: rep movsd DF=1 MMIO to RAM");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\xa5"));
	for (i = 0; i < 16; i++)
		F.mmio[0x300 + i] = (u8)(0x40 + i);
	e.rflags |= DF;
	e.regs[X86_RSI] = MMIO_BASE + 0x30c;
	e.regs[X86_RDI] = 0x300c;
	e.regs[X86_RCX] = 4;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("data", memcmp(F.ram + 0x3000, F.mmio + 0x300, 16), 0);
	EXPECT("rsi", e.regs[X86_RSI], MMIO_BASE + 0x2fc);
	EXPECT("rdi", e.regs[X86_RDI], 0x2ffc);
	EXPECT("reads", F.mmio_reads, 4);
	end();

	begin("string: overlapping rep movsb replicates like hardware");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\xa4"));
	F.ram[0x2000] = 0x77;
	e.regs[X86_RSI] = 0x2000;
	e.regs[X86_RDI] = 0x2001;
	e.regs[X86_RCX] = 8;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	same = true;
	for (i = 0; i < 9; i++)
		same &= F.ram[0x2000 + i] == 0x77;
	EXPECT("replicated", same, true);
	end();

	begin("string: real-mode rep stosb, DI wraps at 64 KiB");
	fake_reset();
	emu_init(&e, R);
	put_code(CODE, B("\xf3\xaa"));
	e.seg_base[X86_SEG_ES] = 0x20000;
	e.regs[X86_RAX] = 0x5a;
	e.regs[X86_RDI] = 0xabcd0000ffffULL;
	e.regs[X86_RCX] = 0x99990002;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("es:ffff", F.ram[0x2ffff], 0x5a);
	EXPECT("es:0000", F.ram[0x20000], 0x5a);
	EXPECT("di", e.regs[X86_RDI], 0xabcd00000001ULL);
	EXPECT("cx only", e.regs[X86_RCX], 0x99990000);
	end();

	begin("string: real-mode rep stosw");
	fake_reset();
	emu_init(&e, R);
	put_code(CODE, B("\xf3\xab"));
	e.seg_base[X86_SEG_ES] = 0x20000;
	e.regs[X86_RAX] = 0xbeef;
	e.regs[X86_RDI] = 0x10;
	e.regs[X86_RCX] = 3;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("words", get64(F.ram + 0x20010) & 0xffffffffffffULL,
	       0xbeefbeefbeefULL);
	EXPECT("di", e.regs[X86_RDI], 0x16);
	end();

	begin("string: lodsb without rep, fs: source");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x64\xac"));
	e.seg_base[X86_SEG_FS] = MMIO_BASE;
	F.mmio[0x40] = 0xc3;
	e.regs[X86_RSI] = 0x40;
	e.regs[X86_RCX] = 5;
	e.regs[X86_RAX] = A;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("al", e.regs[X86_RAX], 0x11223344556677c3);
	EXPECT("rsi", e.regs[X86_RSI], 0x41);
	EXPECT("rcx untouched", e.regs[X86_RCX], 5);
	EXPECT("rip", e.rip, CODE + 2);
	end();

	begin("string: rep with count 0 only advances RIP");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\x48\xab"));
	e.regs[X86_RDI] = MMIO_BASE;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("rip", e.rip, CODE + 3);
	EXPECT("writes", F.mmio_writes, 0);
	end();

	begin("string: a32 rep stosd in 64-bit mode uses ECX/EDI");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x67\xf3\xab"));
	e.regs[X86_RAX] = 0x11111111;
	e.regs[X86_RCX] = 0xffffffff00000002ULL;
	e.regs[X86_RDI] = 0xffffffff00007000ULL;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("mem", get64(F.ram + 0x7000), 0x1111111111111111ULL);
	EXPECT("rcx", e.regs[X86_RCX], 0);
	EXPECT("rdi", e.regs[X86_RDI], 0x7008);
	end();

	begin("string: rep insb batches up to 256 bytes");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\x6c"));
	e.regs[X86_RCX] = 300;
	e.regs[X86_RDI] = 0x4000;
	e.regs[X86_RDX] = 0x1f0;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("port calls", F.pio_ins, 2);
	EXPECT("last count", F.last_count, 44);
	EXPECT("port", F.last_port, 0x1f0);
	EXPECT("byte 0", F.ram[0x4000], 0);
	EXPECT("byte 299", F.ram[0x4000 + 299], 299 & 0xff);
	EXPECT("rdi", e.regs[X86_RDI], 0x4000 + 300);
	EXPECT("rcx", e.regs[X86_RCX], 0);
	end();

	begin("string: rep insw stops batches at a page boundary");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x66\xf3\x6d"));
	e.regs[X86_RCX] = 4;
	e.regs[X86_RDI] = 0x4ffe;
	e.regs[X86_RDX] = 0x1f0;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("port calls", F.pio_ins, 2);
	EXPECT("last count", F.last_count, 3);
	EXPECT("data", get64(F.ram + 0x4ffe), 0x0706050403020100ULL);
	end();

	begin("string: rep outsd, then #PF mid-way keeps done steps");
	fake_reset();
	emu_init(&e, P32);
	put_code(CODE, B("\xf3\x6f"));
	e.regs[X86_RCX] = 6;
	e.regs[X86_RSI] = 0x7ff8;
	e.regs[X86_RDX] = 0x80;
	F.fault = true;
	F.fault_at = 0x8000;
	memcpy(F.ram + 0x7ff8, "ABCDEFGH", 8);
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_PF);
	EXPECT("cr2", e.exception.cr2, 0x8000);
	EXPECT("rcx", e.regs[X86_RCX], 4);
	EXPECT("rsi", e.regs[X86_RSI], 0x8000);
	EXPECT("rip held", e.rip, CODE);
	EXPECT("out", memcmp(F.out, "ABCDEFGH", 8), 0);
	end();

	begin("string: rep outsd, element straddling a page goes alone");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x67\xf3\x6f"));
	e.regs[X86_RCX] = 3;
	e.regs[X86_RSI] = 0x7ffe;
	e.regs[X86_RDX] = 0x80;
	ret = x86_emulate_insn(&e);
	EXPECT("ret", ret, OK);
	EXPECT("port calls", F.pio_outs, 2);
	EXPECT("last count", F.last_count, 2);
	EXPECT("rsi", e.regs[X86_RSI], 0x800a);
	end();

	begin("string: real-mode outsb with es: source override");
	fake_reset();
	emu_init(&e, R);
	put_code(CODE, B("\x26\x6e"));
	e.seg_base[X86_SEG_ES] = 0x30000;
	e.seg_base[X86_SEG_DS] = 0x40000;
	F.ram[0x30005] = 0xe5;
	e.regs[X86_RSI] = 5;
	e.regs[X86_RDX] = 0x12345678;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("byte", F.out[0], 0xe5);
	EXPECT("port", F.last_port, 0x5678);
	EXPECT("si", e.regs[X86_RSI], 6);
	end();

	begin("string: REP step limit holds RIP, second call finishes");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf3\xaa"));
	e.regs[X86_RCX] = X86EMU_REP_STEPS + 72;
	e.regs[X86_RDI] = MMIO_BASE;
	ret = x86_emulate_insn(&e);
	EXPECT("ret", ret, OK);
	EXPECT("incomplete", e.incomplete, true);
	EXPECT("rip held", e.rip, CODE);
	EXPECT("rcx", e.regs[X86_RCX], 72);
	ret = x86_emulate_insn(&e);
	EXPECT("ret", ret, OK);
	EXPECT("complete", e.incomplete, false);
	EXPECT("rip", e.rip, CODE + 2);
	EXPECT("rcx", e.regs[X86_RCX], 0);
	EXPECT("rdi", e.regs[X86_RDI], MMIO_BASE + X86EMU_REP_STEPS + 72);
	end();
}

/* ---- fetch, faults, modes ---------------------------------------------- */

static void test_misc(void)
{
	struct x86_emu e;
	int ret;

	begin("fetch: split at the page boundary, next page needed");
	fake_reset();
	emu_init(&e, L64);
	e.rip = 0x1ffe;
	put_code(0x1ffe, B("\x48\x89\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = A;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("fetches", F.fetches, 2);
	EXPECT("mem", get64(F.mmio + 0x100), A);
	EXPECT("rip", e.rip, 0x2001);
	end();

	begin("fetch: no #PF on the next page when not needed");
	fake_reset();
	emu_init(&e, L64);
	e.rip = 0x1ffe;
	put_code(0x1ffe, B("\x89\x03"));
	F.fault = true;
	F.fault_at = 0x2000;
	e.regs[X86_RBX] = M;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("fetches", F.fetches, 1);
	end();

	begin("fetch: #PF on the next page when the insn spans it");
	fake_reset();
	emu_init(&e, L64);
	e.rip = 0x1ffe;
	put_code(0x1ffe, B("\x48\x89"));
	F.fault = true;
	F.fault_at = 0x2000;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_PF);
	EXPECT("cr2", e.exception.cr2, 0x2000);
	EXPECT("rip", e.rip, 0x1ffe);
	end();

	begin("fault: #PF on the data access changes nothing");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x01\x03"));
	e.regs[X86_RBX] = 0x90000000;
	e.rflags = 0x2 | CF;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_PF);
	EXPECT("cr2", e.exception.cr2, 0x90000000);
	EXPECT("rip", e.rip, CODE);
	EXPECT("flags", e.rflags, 0x2 | CF);
	end();

	begin("fault: non-canonical is #GP(0), #SS(0) via rsp");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x8b\x03\x8b\x04\x24"));
	e.regs[X86_RBX] = 0x0000800000000000ULL;
	e.regs[X86_RSP] = 0xfff0000000000000ULL;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_GP);
	EXPECT("error code", e.exception.has_error_code, true);
	e.rip = CODE + 2;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_SS);
	end();

	begin("fault: access ending non-canonical is #GP");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x48\x8b\x03"));
	e.regs[X86_RBX] = 0x00007ffffffffffcULL;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_GP);
	end();

	begin("mode: 16-bit IP wraps at 64 KiB, CS base applies");
	fake_reset();
	emu_init(&e, R);
	e.seg_base[X86_SEG_CS] = 0x10000;
	e.seg_base[X86_SEG_DS] = MMIO_BASE;
	e.rip = 0xfffe;
	put_code(0x1fffe, B("\x89\x07"));
	e.regs[X86_RBX] = 0x100;
	e.regs[X86_RAX] = 0x4242;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("ip", e.rip, 0);
	EXPECT("mem", get64(F.mmio + 0x100) & 0xffff, 0x4242);
	end();

	begin("mode: unhandleable reports the fetched bytes");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x0f\x0b"));
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_UNHANDLEABLE);
	EXPECT("nr_bytes", e.insn.nr_bytes, 15);
	EXPECT("byte0", e.insn.bytes[0], 0x0f);
	EXPECT("byte1", e.insn.bytes[1], 0x0b);
	EXPECT("rip", e.rip, CODE);
	end();

	begin("mode: 32-bit RF cleared, other flags kept");
	fake_reset();
	emu_init(&e, P32);
	put_code(CODE, B("\x89\x03"));
	e.regs[X86_RBX] = M;
	e.rflags = 0x2 | X86EMU_FL_RF | DF | 0x200;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("rflags", e.rflags, 0x2 | DF | 0x200);
	end();
}

/* ---- isolation checks: I/O permission, atomic RMW ---------------------- */

#define TSS		0x20000ULL
#define IOPB_OFF	0x68
#define IOPL3		X86EMU_FL_IOPL
#define VM		X86EMU_FL_VM

/*
 * A 64-bit TSS at TSS with its I/O permission bitmap right after it,
 * every port denied but 0x60..0x67 and 0x3f8..0x3ff; the limit takes the
 * whole bitmap plus the 0xff byte that must follow it.
 */
static void io_setup(struct x86_emu *e, u8 mode, u8 cpl, u64 rflags)
{
	fake_reset();
	emu_init(e, mode);
	e->cpl = cpl;
	e->rflags = 0x2 | rflags;
	e->tr_base = TSS;
	e->tr_type = 0xb;
	e->tr_limit = IOPB_OFF + 8192;
	F.ram[TSS + 0x66] = IOPB_OFF;
	memset(F.ram + TSS + IOPB_OFF, 0xff, 8193);
	F.ram[TSS + IOPB_OFF + 0x60 / 8] = 0;
	F.ram[TSS + IOPB_OFF + 0x3f8 / 8] = 0;
	e->regs[X86_RSI] = 0x8000;
	e->regs[X86_RDI] = 0x8000;
	e->regs[X86_RCX] = 4;
}

/* Runs @code; expects #GP(0), no port access, nothing changed. */
static void expect_io_gp(struct x86_emu *e, const u8 *code, size_t n)
{
	u64 regs[X86_NR_REGS];
	int ret;

	memcpy(regs, e->regs, sizeof(regs));
	put_code(CODE, code, n);
	ret = run(e, NULL);
	EXPECT("ret", ret, X86EMU_EXCEPTION);
	EXPECT("vector", e->exception.vector, X86EMU_VEC_GP);
	EXPECT("has error code", e->exception.has_error_code, true);
	EXPECT("error code", e->exception.error_code, 0);
	EXPECT("port accesses", F.pio_ins + F.pio_outs, 0);
	EXPECT("rip", e->rip, CODE);
	EXPECT("regs unchanged", memcmp(regs, e->regs, sizeof(regs)), 0);
}

static void expect_io_ok(struct x86_emu *e, const u8 *code, size_t n,
			 u16 port)
{
	int ret;

	put_code(CODE, code, n);
	ret = run(e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("port accesses", F.pio_ins + F.pio_outs > 0, 1);
	EXPECT("port", F.last_port, port);
	EXPECT("rip", e->rip, CODE + n);
}

static void test_io_permission(void)
{
	struct x86_emu e;

	begin("io perm: CPL 3 > IOPL 0, OUTSB to a port the bitmap allows");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x3f9;
	expect_io_ok(&e, B("\x6e"), 0x3f9);
	EXPECT("TSS read", F.sys_reads > 0, 1);
	end();

	begin("io perm: CPL 3 > IOPL 0, OUTSB to a denied port is #GP(0)");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x70;
	expect_io_gp(&e, B("\x6e"));
	end();

	begin("io perm: INSB to a denied port is #GP(0), memory untouched");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x71;
	F.ram[0x8000] = 0x5a;
	expect_io_gp(&e, B("\x6c"));
	EXPECT("mem", F.ram[0x8000], 0x5a);
	end();

	begin("io perm: REP OUTSB, denied: no element goes out");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x80;
	expect_io_gp(&e, B("\xf3\x6e"));
	EXPECT("rcx", e.regs[X86_RCX], 4);
	end();

	begin("io perm: REP INSB with RCX = 0 is still checked");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x80;
	e.regs[X86_RCX] = 0;
	expect_io_gp(&e, B("\xf3\x6c"));
	end();

	begin("io perm: every port of a word access: 0x67 ok, 0x68 denied");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x67;
	expect_io_gp(&e, B("\x66\x6f"));
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x66;
	expect_io_ok(&e, B("\x66\x6f"), 0x66);
	end();

	begin("io perm: dword OUTSD, ports 0x3fc..0x3ff allowed");
	io_setup(&e, P32, 3, 0);
	e.regs[X86_RDX] = 0x3fc;
	expect_io_ok(&e, B("\x6f"), 0x3fc);
	io_setup(&e, P32, 3, 0);
	e.regs[X86_RDX] = 0x3fd;	/* 0x3fd..0x400: 0x400 denied */
	expect_io_gp(&e, B("\x6f"));
	end();

	begin("io perm: bitmap bytes past the TSS limit deny");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x3f8;
	e.tr_limit = IOPB_OFF + 0x3f8 / 8;	/* second byte beyond */
	expect_io_gp(&e, B("\x6e"));
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x3f8;
	e.tr_limit = IOPB_OFF + 0x3f8 / 8 + 1;
	expect_io_ok(&e, B("\x6e"), 0x3f8);
	end();

	begin("io perm: TSS limit under 0x67, 16-bit TSS, unusable TR: #GP");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x60;
	e.tr_limit = 0x66;
	expect_io_gp(&e, B("\x6e"));
	io_setup(&e, P32, 3, 0);
	e.regs[X86_RDX] = 0x60;
	e.tr_type = 0x3;
	expect_io_gp(&e, B("\x6e"));
	io_setup(&e, P32, 3, 0);
	e.regs[X86_RDX] = 0x60;
	e.tr_type = 0;
	expect_io_gp(&e, B("\x6e"));
	end();

	begin("io perm: CPL <= IOPL needs no bitmap");
	io_setup(&e, L64, 3, IOPL3);
	e.regs[X86_RDX] = 0x70;
	e.tr_type = 0;
	expect_io_ok(&e, B("\x6e"), 0x70);
	EXPECT("TSS reads", F.sys_reads, 0);
	io_setup(&e, P32, 0, 0);
	e.regs[X86_RDX] = 0x70;
	expect_io_ok(&e, B("\x6e"), 0x70);
	EXPECT("TSS reads", F.sys_reads, 0);
	end();

	begin("io perm: real mode has no check");
	io_setup(&e, R, 0, 0);
	e.regs[X86_RDX] = 0x70;
	expect_io_ok(&e, B("\x6e"), 0x70);
	EXPECT("TSS reads", F.sys_reads, 0);
	end();

	begin("io perm: virtual-8086 mode checks the bitmap even at IOPL 3");
	io_setup(&e, R, 3, VM | IOPL3);
	e.regs[X86_RDX] = 0x70;
	expect_io_gp(&e, B("\x6e"));
	io_setup(&e, R, 3, VM | IOPL3);
	e.regs[X86_RDX] = 0x60;
	expect_io_ok(&e, B("\x6e"), 0x60);
	end();

	begin("io perm: a fault reading the TSS is delivered");
	io_setup(&e, L64, 3, 0);
	e.regs[X86_RDX] = 0x60;
	F.fault = true;
	F.fault_at = TSS;
	put_code(CODE, B("\x6e"));
	EXPECT("ret", run(&e, NULL), X86EMU_EXCEPTION);
	EXPECT("vector", e.exception.vector, X86EMU_VEC_PF);
	EXPECT("port accesses", F.pio_outs, 0);
	end();
}

static void test_atomic_rmw(void)
{
	struct x86_emu e;
	int ret;

	begin("lock add: memory changed by another CPU is re-read");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf0\x01\x03"));
	e.regs[X86_RBX] = 0x8000;
	e.regs[X86_RAX] = 0x10;
	put64(F.ram + 0x8000, 0x100);
	F.interfere = 1;	/* the other CPU's increment lands between */
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("mem", get64(F.ram + 0x8000), 0x111);
	EXPECT("cmpxchg calls", F.cmpxchgs, 2);
	EXPECT("rip", e.rip, CODE + 3);
	end();

	begin("xchg with memory is atomic without LOCK");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x48\x87\x03"));
	e.regs[X86_RBX] = 0x8000;
	e.regs[X86_RAX] = 0x77;
	put64(F.ram + 0x8000, 0x100);
	F.interfere = 1;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("mem", get64(F.ram + 0x8000), 0x77);
	EXPECT("rax: the value really replaced", e.regs[X86_RAX], 0x101);
	EXPECT("cmpxchg calls", F.cmpxchgs, 2);
	end();

	begin("lock inc goes through cmpxchg; plain add does not");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf0\xff\x03"));
	e.regs[X86_RBX] = 0x8000;
	put64(F.ram + 0x8000, 5);
	EXPECT("ret", run(&e, NULL), OK);
	EXPECT("mem", get64(F.ram + 0x8000), 6);
	EXPECT("cmpxchg calls", F.cmpxchgs, 1);
	emu_init(&e, L64);
	put_code(CODE, B("\x01\x03"));
	e.regs[X86_RBX] = 0x8000;
	e.regs[X86_RAX] = 1;
	EXPECT("ret", run(&e, NULL), OK);
	EXPECT("mem", get64(F.ram + 0x8000), 7);
	EXPECT("cmpxchg calls", F.cmpxchgs, 1);
	end();

	begin("lock add: memory that keeps changing gives RETRY, no change");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf0\x01\x03"));
	e.regs[X86_RBX] = 0x8000;
	e.regs[X86_RAX] = 0x10;
	e.rflags = 0x2 | CF;
	put64(F.ram + 0x8000, 0x100);
	F.interfere = 1000;
	ret = run(&e, NULL);
	EXPECT("ret", ret, X86EMU_RETRY);
	EXPECT("cmpxchg calls", F.cmpxchgs, X86EMU_CMPXCHG_TRIES);
	EXPECT("mem: only the other CPU's", get64(F.ram + 0x8000),
	       0x100 + X86EMU_CMPXCHG_TRIES);
	EXPECT("rip", e.rip, CODE);
	EXPECT("flags", e.rflags, 0x2 | CF);
	end();

	begin("lock add on MMIO: written, no atomicity to keep");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\xf0\x01\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = 2;
	put64(F.mmio + 0x100, 3);
	EXPECT("ret", run(&e, NULL), OK);
	EXPECT("mem", get64(F.mmio + 0x100), 5);
	end();
}

/* 66 63 /r in 64-bit mode: MOVSXD r16, r/m16 reads 16 bits, not 32. */
static void test_movsxd16(void)
{
	struct x86_emu e;
	int ret;

	begin("movsxd ax,word (66 63): a 2-byte read");
	fake_reset();
	emu_init(&e, L64);
	put_code(CODE, B("\x66\x63\x03"));
	/* The last two bytes of RAM: a 4-byte read would fault. */
	e.regs[X86_RBX] = RAM_SIZE - 2;
	e.regs[X86_RAX] = A;
	F.ram[RAM_SIZE - 2] = 0x34;
	F.ram[RAM_SIZE - 1] = 0x92;
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("rax", e.regs[X86_RAX], 0x1122334455669234ULL);
	EXPECT("rip", e.rip, CODE + 3);
	end();

	begin("movsxd ax,word (66 63) on MMIO: 2 bytes reach the device");
	fake_reset();
	emu_init(&e, L64);
	F.user = true;
	put_code(CODE, B("\x66\x63\x03"));
	e.regs[X86_RBX] = M;
	e.regs[X86_RAX] = A;
	put64(F.mmio + 0x100, 0x8000f234);
	ret = run(&e, NULL);
	EXPECT("ret", ret, OK);
	EXPECT("access size", F.rec[0].size, 2);
	EXPECT("rax", e.regs[X86_RAX], 0x112233445566f234ULL);
	end();
}

int main(void)
{
	test_decode_table();
	test_decode_intercepted();
	test_decode_regs();
	test_exec_table();
	test_flags_oracle();
	test_exit_user();
	test_strings();
	test_misc();
	test_io_permission();
	test_atomic_rmw();
	test_movsxd16();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
