/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small x86 instruction emulator for the accesses hardware hands back to
 * the hypervisor: MMIO (a guest access outside every memory slot, or a
 * write to a read-only slot) and string port I/O.
 *
 * Decode (decode.c) is kept apart from execution (exec.c).  The emulator
 * has no side effect of its own: guest memory, MMIO, port I/O, instruction
 * fetch and exceptions all go through struct x86_emu_ops, so the same
 * sources build in userspace for tests/fuzzing (tools/testing/emulate/).
 *
 * The instruction is fetched again after the exit, so it may not be the
 * one that exited (another vCPU can rewrite the bytes in between: the
 * CVE-2010-0306 class).  The emulator therefore makes the checks the
 * hardware would make for whatever it decodes, so that the instruction can
 * do nothing its code could not do by itself: every memory access goes
 * through the caller's translation with the CPL (page rights, SMEP, SMAP,
 * protection keys: arch/x86/mmu/walk.c), INS/OUTS check IOPL and the
 * TSS I/O permission bitmap, and privileged instructions are never
 * executed (only decoded, for intercepts).  LOCKed read-modify-writes and
 * XCHG with memory use the cmpxchg callback, atomic against other vCPUs.
 * Documentation/design.rst, "The emulator and a guest's own isolation".
 *
 * Not in this version: segment limit and access-rights checks (only the
 * segment base is applied), alignment checks (#AC), TF/#DB after the
 * instruction, 5-level (LA57) canonical checks, and CMPS/SCAS.
 */
#ifndef _KVMM_X86_EMULATE_H
#define _KVMM_X86_EMULATE_H

#include "emu_types.h"

/*
 * Return codes, shared by the callbacks and the emulator.
 *
 * X86EMU_OK            done.
 * X86EMU_UNHANDLEABLE  the instruction or situation is not supported; the
 *                      caller reports KVM_EXIT_INTERNAL_ERROR with the bytes
 *                      (emu->insn.bytes[0 .. emu->insn.nr_bytes)).
 * X86EMU_EXCEPTION     emu->exception is filled (by a callback, e.g. a #PF
 *                      while translating, or by the emulator: #UD, #GP(0)
 *                      for non-canonical addresses or an instruction longer
 *                      than 15 bytes); the caller injects it.
 * X86EMU_EXIT_USER     the access needs userspace.  The instruction (or,
 *                      for REP string instructions, the current iteration)
 *                      is abandoned with no architectural change; the caller
 *                      returns to userspace and, once userspace completed
 *                      the access, runs x86_emulate_insn() again from scratch
 *                      on the same instruction; see "Restart" below.
 * X86EMU_NEED_BYTES    only from x86_decode(): the @len bytes given end
 *                      before the instruction does (and @len < 15).
 * X86EMU_RETRY         only from the cmpxchg callback (the memory no longer
 *                      held the value read) and, when that kept happening,
 *                      from x86_emulate_insn(): the instruction is abandoned
 *                      with no change; the caller re-enters the guest, which
 *                      executes it again.
 */
enum x86emu_status {
	X86EMU_OK = 0,
	X86EMU_UNHANDLEABLE,
	X86EMU_EXCEPTION,
	X86EMU_EXIT_USER,
	X86EMU_NEED_BYTES,
	X86EMU_RETRY,
};

/* Maximum instruction length (SDM Vol. 2A 2.3.11); longer is #GP(0). */
#define X86_MAX_INSN_LEN	15

/*
 * Execution mode: the default operand and address size.
 *   X86_MODE_REAL    CR0.PE = 0, or virtual-8086 mode: 16-bit
 *   X86_MODE_PROT16  CR0.PE = 1, CS.D = 0 (also compatibility mode): 16-bit
 *   X86_MODE_PROT32  CR0.PE = 1, CS.D = 1 (also compatibility mode): 32-bit
 *   X86_MODE_LONG64  EFER.LMA = 1 and CS.L = 1: 64-bit mode
 */
enum x86_mode {
	X86_MODE_REAL,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/* General-purpose registers, in hardware (ModRM/REX) order. */
enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_NR_REGS,
};

/* Segment registers, in hardware (Sreg encoding) order. */
enum x86_seg {
	X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
	X86_NR_SEGS,
};

/* RFLAGS bits the emulator reads or writes (SDM Vol. 1 3.4.3). */
#define X86EMU_FL_CF	(1ULL << 0)
#define X86EMU_FL_PF	(1ULL << 2)
#define X86EMU_FL_AF	(1ULL << 4)
#define X86EMU_FL_ZF	(1ULL << 6)
#define X86EMU_FL_SF	(1ULL << 7)
#define X86EMU_FL_DF	(1ULL << 10)
#define X86EMU_FL_OF	(1ULL << 11)
#define X86EMU_FL_IOPL	(3ULL << 12)
#define X86EMU_FL_RF	(1ULL << 16)
#define X86EMU_FL_VM	(1ULL << 17)
#define X86EMU_FL_ARITH	(X86EMU_FL_CF | X86EMU_FL_PF | X86EMU_FL_AF | \
			 X86EMU_FL_ZF | X86EMU_FL_SF | X86EMU_FL_OF)

/* Exception vectors the emulator raises itself. */
#define X86EMU_VEC_UD	6
#define X86EMU_VEC_SS	12
#define X86EMU_VEC_GP	13
#define X86EMU_VEC_PF	14

/* Operation kinds: what the executor does (one function per kind). */
enum x86_op {
	X86_OP_NONE,	/* not supported: X86EMU_UNHANDLEABLE */
	X86_OP_MOV,
	X86_OP_MOVZX,
	X86_OP_MOVSX,	/* also MOVSXD (63 in 64-bit mode) */
	X86_OP_ADD,
	X86_OP_OR,
	X86_OP_ADC,
	X86_OP_SBB,
	X86_OP_AND,
	X86_OP_SUB,
	X86_OP_XOR,
	X86_OP_CMP,
	X86_OP_TEST,
	X86_OP_XCHG,
	X86_OP_NOT,
	X86_OP_NEG,
	X86_OP_INC,
	X86_OP_DEC,
	X86_OP_MOVS,
	X86_OP_STOS,
	X86_OP_LODS,
	X86_OP_INS,
	X86_OP_OUTS,
	/*
	 * Decoded, never executed: instructions the hypervisor intercepts
	 * and carries out itself, decoded for their length and operands
	 * when the hardware does not say (SVM without NRIP save or decode
	 * assists).  x86_emulate_insn() returns X86EMU_UNHANDLEABLE.
	 */
	X86_OP_HLT,
	X86_OP_CPUID,
	X86_OP_INVD,
	X86_OP_WBINVD,
	X86_OP_RDMSR,
	X86_OP_WRMSR,
	X86_OP_MOV_FROM_DR,	/* ModRM.reg = DR, ModRM.rm = GPR */
	X86_OP_MOV_TO_DR,
	X86_OP_XSETBV,
	X86_OP_MOV_TO_CR,	/* ModRM.reg (+REX.R) = CR, ModRM.rm = GPR */
	X86_OP_NR,
};

enum x86_opnd_kind {
	X86_OPND_NONE,
	X86_OPND_REG,	/* general-purpose register */
	X86_OPND_MEM,	/* memory: seg:ea, at linear */
	X86_OPND_IMM,	/* immediate */
	X86_OPND_PORT,	/* I/O port in DX (INS/OUTS) */
};

struct x86_operand {
	u8 kind;	/* enum x86_opnd_kind */
	u8 size;	/* bytes: 1, 2, 4 or 8 */
	u8 reg;		/* REG: enum x86_reg */
	bool hi8;	/* REG: AH/CH/DH/BH, bits 15:8 of reg 0..3 */
	u8 seg;		/* MEM: enum x86_seg */
	u64 ea;		/* MEM: segment offset, address-size wrapped */
	u64 linear;	/* MEM: segment base + ea, 32-bit wrapped outside
			 * 64-bit mode; in 64-bit mode only FS/GS have a base */
	u64 imm;	/* IMM: value sign-extended to 64 bits */
};

/* Repeat prefixes, as found. */
#define X86_REP_NONE	0
#define X86_REP_F3	1	/* REP / REPE */
#define X86_REP_F2	2	/* REPNE */

/* One decoded instruction (output of x86_decode()). */
struct x86_insn {
	u8 bytes[X86_MAX_INSN_LEN];
	u8 nr_bytes;		/* valid in bytes[]: len, or on failure what
				 * was given/fetched (for error reports) */
	u8 len;			/* length, 1..15; 0 on failure */
	u16 opcode;		/* one-byte opcode, or 0x0fXX */
	u8 op;			/* enum x86_op */
	u8 mode;		/* enum x86_mode it was decoded for */
	u8 opsize;		/* effective operand size: 2, 4 or 8 */
	u8 addrsize;		/* effective address size: 2, 4 or 8 */
	u8 rep;			/* X86_REP_* (last F2/F3 wins) */
	bool lock;		/* F0 */
	s8 seg_override;	/* enum x86_seg, or -1 */
	u8 rex;			/* REX byte (0x40..0x4f), or 0 */
	bool has_modrm;
	u8 modrm;
	bool has_sib;
	u8 sib;
	bool rip_relative;
	s64 disp;		/* displacement, sign-extended */
	struct x86_operand dst;	/* destination (first operand) */
	struct x86_operand src;	/* source (second operand), or NONE */
};

/* The exception to inject when a call returns X86EMU_EXCEPTION. */
struct x86_exception {
	u8 vector;
	bool has_error_code;
	u32 error_code;
	u64 cr2;		/* #PF only: the faulting linear address */
};

struct x86_emu;

/*
 * Every side effect of the emulator.  All return an enum x86emu_status:
 * X86EMU_OK, or X86EMU_EXCEPTION after filling emu->exception, or
 * X86EMU_EXIT_USER, or X86EMU_UNHANDLEABLE.
 *
 * Fetches never cross a 4-KiB page boundary.  Data accesses are 1..8
 * bytes and may cross one (the callback splits them), except INS/OUTS
 * batches: up to X86EMU_STR_BATCH bytes, crossing a page boundary only
 * when a single element straddles it.  Data callbacks must
 * either complete the whole access or fail it: there is no partial
 * success.  A callback that fails must not have changed guest state.
 */
struct x86_emu_ops {
	/*
	 * Read guest memory (RAM or MMIO).
	 * [in] emu: the emulator (emu->ctx is the caller's context)
	 * [in] linear: linear address of the first byte
	 * [out] buf: @len bytes read, valid on X86EMU_OK only
	 * [in] len: bytes to read
	 */
	int (*read_mem)(struct x86_emu *emu, u64 linear, void *buf,
			unsigned int len);
	/*
	 * Write guest memory (RAM or MMIO).  For an MMIO write that goes to
	 * userspace the callback may either queue the data and return
	 * X86EMU_OK (the instruction completes, the caller exits to userspace
	 * afterwards, as KVM does), or return X86EMU_EXIT_USER (the
	 * instruction is abandoned and re-run after completion).
	 * [in] emu: the emulator
	 * [in] linear: linear address of the first byte
	 * [in] buf: @len bytes to write
	 * [in] len: bytes to write
	 */
	int (*write_mem)(struct x86_emu *emu, u64 linear, const void *buf,
			 unsigned int len);
	/*
	 * Read @count elements of @size bytes each from I/O port @port.
	 * [in] emu: the emulator
	 * [in] port: the port
	 * [in] size: element size, 1, 2 or 4
	 * [in] count: number of elements, >= 1
	 * [out] buf: @count * @size bytes, valid on X86EMU_OK only
	 */
	int (*pio_in)(struct x86_emu *emu, u16 port, unsigned int size,
		      unsigned int count, void *buf);
	/*
	 * Write @count elements of @size bytes each to I/O port @port.
	 * [in] emu: the emulator
	 * [in] port: the port
	 * [in] size: element size, 1, 2 or 4
	 * [in] count: number of elements, >= 1
	 * [in] buf: @count * @size bytes
	 */
	int (*pio_out)(struct x86_emu *emu, u16 port, unsigned int size,
		       unsigned int count, const void *buf);
	/*
	 * Read instruction bytes.  Exactly @len bytes or failure: the
	 * emulator asks for the bytes up to the end of the page first, and
	 * for the next page only when the instruction really extends into it
	 * (so a #PF on the next page is raised only when it is architectural).
	 * [in] emu: the emulator
	 * [in] linear: linear address of the first byte (CS base + RIP)
	 * [out] buf: @len bytes, valid on X86EMU_OK only
	 * [in] len: 1..15, never crossing a 4-KiB boundary
	 */
	int (*fetch)(struct x86_emu *emu, u64 linear, void *buf,
		     unsigned int len);
	/*
	 * Read a system structure (the TSS's I/O permission bitmap): an
	 * implicit supervisor-mode access at any CPL (SDM 3A 4.6), which
	 * SMAP refuses on a user-mode page whatever EFLAGS.AC says.
	 * [in] emu: the emulator
	 * [in] linear: linear address of the first byte
	 * [out] buf: @len bytes, valid on X86EMU_OK only
	 * [in] len: 1..8 bytes
	 */
	int (*read_sys)(struct x86_emu *emu, u64 linear, void *buf,
			unsigned int len);
	/*
	 * Optional.  The write of a LOCKed read-modify-write or of XCHG with
	 * memory: replace the @len bytes at @linear by @new only if they
	 * still equal @old (what the instruction read), atomically against
	 * other CPUs.  X86EMU_OK when written, X86EMU_RETRY when the bytes
	 * changed (the emulator reads them again and recomputes).  Memory
	 * with no atomicity (MMIO) is simply written.  Without the callback
	 * the emulator uses write_mem.
	 * [in] emu: the emulator
	 * [in] linear: linear address of the first byte
	 * [in] old: @len bytes the instruction read
	 * [in] new: @len bytes to write
	 * [in] len: 1, 2, 4 or 8
	 */
	int (*cmpxchg)(struct x86_emu *emu, u64 linear, const void *old,
		       const void *new, unsigned int len);
};

/* Read-modify-write attempts before x86_emulate_insn() gives X86EMU_RETRY. */
#define X86EMU_CMPXCHG_TRIES	8

/* Elements of a REP string instruction done per x86_emulate_insn() call. */
#define X86EMU_REP_STEPS	128
/* Bytes of INS/OUTS moved per callback (one batch). */
#define X86EMU_STR_BATCH	256

/*
 * The emulator state.  The caller fills the [in] fields before each
 * x86_emulate_insn() and reads the [out] fields after it.
 *
 * Restart (X86EMU_EXIT_USER).  The unit of restart is the instruction, or
 * one step of a REP string instruction (one element, or one INS/OUTS
 * batch).  A unit makes at most one read (read_mem or pio_in) followed by
 * at most one write (write_mem or pio_out), and keeps register results in
 * a private copy committed only when the unit succeeded, so abandoning it
 * is free.  The caller's side:
 *  - a callback returning X86EMU_EXIT_USER records the access (kind,
 *    address or port, size, count, and the data for a write);
 *  - once userspace completed it, the caller runs x86_emulate_insn()
 *    again; callbacks answer an access equal to a record from the record
 *    (a read gets userspace's data, a write is acknowledged) instead of
 *    exiting again;
 *  - records are dropped when x86_emulate_insn() returns anything other
 *    than X86EMU_EXIT_USER, and as soon as a callback sees emu->step > 0
 *    (a REP step committed: later accesses belong to a new unit).
 * An MMIO write or port output may also be posted: the callback queues
 * the data, returns X86EMU_OK and the caller exits to userspace after the
 * instruction (as KVM does); then only reads ever need a restart.
 *
 * REP: the registers (RCX/RSI/RDI) are committed after each step, RIP only
 * when the count reaches zero.  A step that fails leaves the steps before
 * it committed, as if the guest had been interrupted between iterations
 * (SDM Vol. 2B, REP); the re-run resumes at that step.  After
 * X86EMU_REP_STEPS steps the call returns X86EMU_OK with emu->incomplete
 * set and RIP unchanged: the caller may call again, or re-enter the guest,
 * which re-executes the instruction with the updated count.
 */
struct x86_emu {
	u64 regs[X86_NR_REGS];		/* [in/out] RAX..R15 */
	u64 rip;			/* [in/out] */
	u64 rflags;			/* [in/out] */
	u8 mode;			/* [in] enum x86_mode */
	u64 seg_base[X86_NR_SEGS];	/* [in] ES CS SS DS FS GS bases */
	u8 cpl;				/* [in] 0 in real mode, 3 in
					 * virtual-8086 mode (RFLAGS.VM) */
	u64 tr_base;			/* [in] TR (the TSS), for INS/OUTS */
	u32 tr_limit;			/* [in] in bytes */
	u8 tr_type;			/* [in] descriptor type; 0: unusable */
	const struct x86_emu_ops *ops;	/* [in] */
	void *ctx;			/* [in] the caller's, untouched */
	struct x86_exception exception;	/* [out] on X86EMU_EXCEPTION */
	bool incomplete;		/* [out] REP stopped early, see above */
	u32 step;			/* [out] REP steps committed by this
					 * call so far; read by callbacks */
	struct x86_insn insn;		/* [out] last decoded instruction */
};

/*
 * Decode the instruction in @bytes[0..@len) for @emu->mode, computing
 * memory operand addresses from @emu->regs and @emu->seg_base.  Reads no
 * byte at or beyond @len (nor beyond 15).  Returns X86EMU_OK,
 * X86EMU_NEED_BYTES (@len < 15 and too short), X86EMU_UNHANDLEABLE
 * (unsupported opcode), or X86EMU_EXCEPTION (#UD: misplaced LOCK or an
 * opcode invalid in this mode; #GP(0): longer than 15 bytes).
 */
int x86_decode(struct x86_emu *emu, const u8 *bytes, unsigned int len,
	       struct x86_insn *insn);

/*
 * RIP after the decoded @insn, wrapped as x86_emulate_insn() wraps it:
 * at 16 bits in 16-bit modes and 32 bits in 32-bit mode.
 */
u64 x86_insn_next_rip(const struct x86_emu *emu, const struct x86_insn *insn);

/*
 * Fetch, decode and execute the instruction at CS:RIP.  On X86EMU_OK the
 * registers, RFLAGS and RIP are updated (RIP wraps at 16 bits in 16-bit
 * modes and 32 bits in 32-bit mode).  Any other status leaves them as they
 * were, except for completed REP steps (see struct x86_emu).
 */
int x86_emulate_insn(struct x86_emu *emu);

/* For callbacks: fill emu->exception and return X86EMU_EXCEPTION. */
static inline int x86_emu_raise(struct x86_emu *emu, u8 vector,
				bool has_error_code, u32 error_code)
{
	emu->exception.vector = vector;
	emu->exception.has_error_code = has_error_code;
	emu->exception.error_code = error_code;
	emu->exception.cr2 = 0;
	return X86EMU_EXCEPTION;
}

static inline int x86_emu_page_fault(struct x86_emu *emu, u64 cr2,
				     u32 error_code)
{
	x86_emu_raise(emu, X86EMU_VEC_PF, true, error_code);
	emu->exception.cr2 = cr2;
	return X86EMU_EXCEPTION;
}

#endif /* _KVMM_X86_EMULATE_H */
