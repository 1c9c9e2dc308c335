/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB: AMD APM vol. 2, appendix B ("Layout of VMCB"), tables B-1
 * (control area) and B-2 (state save area).  Offsets are pinned below.
 */
#ifndef _KVMM_SVM_VMCB_H
#define _KVMM_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Intercept vector words (table B-1, offsets 000h-014h). */
enum svm_intercept_word {
	SVM_ICPT_CR = 0,	/* 15:0 reads, 31:16 writes */
	SVM_ICPT_DR,		/* 15:0 reads, 31:16 writes */
	SVM_ICPT_EXCP,		/* one bit per exception vector */
	SVM_ICPT_MISC1,
	SVM_ICPT_MISC2,
	SVM_ICPT_MISC3,
	SVM_ICPT_WORDS,
};

/* Intercept bits, numbered word * 32 + bit. */
#define SVM_ICPT(word, bit)	((word) * 32 + (bit))
/* Exception vector @vec (table B-1 offset 008h, 15.12). */
#define SVM_I_EXCP(vec)		SVM_ICPT(SVM_ICPT_EXCP, (vec))
enum svm_intercept {
	SVM_I_CR8_WRITE	= SVM_ICPT(SVM_ICPT_CR, 16 + 8),
	SVM_I_INTR	= SVM_ICPT(SVM_ICPT_MISC1, 0),
	SVM_I_NMI	= SVM_ICPT(SVM_ICPT_MISC1, 1),
	SVM_I_SMI	= SVM_ICPT(SVM_ICPT_MISC1, 2),
	SVM_I_INIT	= SVM_ICPT(SVM_ICPT_MISC1, 3),
	SVM_I_VINTR	= SVM_ICPT(SVM_ICPT_MISC1, 4),
	SVM_I_RDPMC	= SVM_ICPT(SVM_ICPT_MISC1, 15),
	SVM_I_CPUID	= SVM_ICPT(SVM_ICPT_MISC1, 18),
	SVM_I_RSM	= SVM_ICPT(SVM_ICPT_MISC1, 19),
	SVM_I_IRET	= SVM_ICPT(SVM_ICPT_MISC1, 20),
	SVM_I_INVD	= SVM_ICPT(SVM_ICPT_MISC1, 22),
	SVM_I_HLT	= SVM_ICPT(SVM_ICPT_MISC1, 24),
	SVM_I_INVLPGA	= SVM_ICPT(SVM_ICPT_MISC1, 26),
	SVM_I_IOIO	= SVM_ICPT(SVM_ICPT_MISC1, 27),
	SVM_I_MSR	= SVM_ICPT(SVM_ICPT_MISC1, 28),
	SVM_I_TASK_SWITCH = SVM_ICPT(SVM_ICPT_MISC1, 29),
	SVM_I_SHUTDOWN	= SVM_ICPT(SVM_ICPT_MISC1, 31),
	SVM_I_VMRUN	= SVM_ICPT(SVM_ICPT_MISC2, 0),
	SVM_I_VMMCALL	= SVM_ICPT(SVM_ICPT_MISC2, 1),
	SVM_I_VMLOAD	= SVM_ICPT(SVM_ICPT_MISC2, 2),
	SVM_I_VMSAVE	= SVM_ICPT(SVM_ICPT_MISC2, 3),
	SVM_I_STGI	= SVM_ICPT(SVM_ICPT_MISC2, 4),
	SVM_I_CLGI	= SVM_ICPT(SVM_ICPT_MISC2, 5),
	SVM_I_SKINIT	= SVM_ICPT(SVM_ICPT_MISC2, 6),
	SVM_I_RDTSCP	= SVM_ICPT(SVM_ICPT_MISC2, 7),
	SVM_I_WBINVD	= SVM_ICPT(SVM_ICPT_MISC2, 9),
	SVM_I_MONITOR	= SVM_ICPT(SVM_ICPT_MISC2, 10),
	SVM_I_MWAIT	= SVM_ICPT(SVM_ICPT_MISC2, 11),
	SVM_I_XSETBV	= SVM_ICPT(SVM_ICPT_MISC2, 13),
	SVM_I_RDPRU	= SVM_ICPT(SVM_ICPT_MISC2, 14),
};

/* V_* interrupt control at 060h (table B-1). */
#define SVM_INT_CTL_V_TPR_MASK		0xfULL	/* the guest's CR8 (15.21.1) */
#define SVM_INT_CTL_V_IRQ		BIT(8)
#define SVM_INT_CTL_V_IGN_TPR		BIT(20)
#define SVM_INT_CTL_V_INTR_MASKING	BIT(24)
#define SVM_INT_CTL_V_PRIO_SHIFT	16

/* Interrupt shadow at 068h. */
#define SVM_INT_STATE_SHADOW		BIT(0)

/* TLB_CONTROL at 05Ch (15.16.1). */
enum svm_tlb_control {
	SVM_TLB_NOTHING		= 0,
	SVM_TLB_FLUSH_ALL	= 1,	/* every ASID: always available */
	SVM_TLB_FLUSH_ASID	= 3,	/* needs FlushByAsid */
};

/* NP_ENABLE at 090h. */
#define SVM_NESTED_CTL_NP_ENABLE	BIT(0)

/* EVENTINJ / EXITINTINFO (15.20). */
#define SVM_EVTINJ_VEC_MASK	0xff
#define SVM_EVTINJ_TYPE_SHIFT	8
#define SVM_EVTINJ_TYPE_INTR	(0 << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_TYPE_NMI	(2 << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_TYPE_EXEPT	(3 << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_TYPE_SOFT	(4 << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_TYPE_MASK	(7 << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_VALID_ERR	BIT(11)
#define SVM_EVTINJ_VALID	BIT(31)

/* EXITCODE values (appendix C). */
enum svm_exit_code {
	SVM_EXIT_CR0_READ	= 0x000,
	SVM_EXIT_WRITE_CR8	= 0x018,
	SVM_EXIT_READ_DR0	= 0x020,	/* .. 0x02f */
	SVM_EXIT_WRITE_DR0	= 0x030,	/* .. 0x03f */
	SVM_EXIT_EXCP_BASE	= 0x040,
	SVM_EXIT_INTR		= 0x060,
	SVM_EXIT_NMI		= 0x061,
	SVM_EXIT_SMI		= 0x062,
	SVM_EXIT_INIT		= 0x063,
	SVM_EXIT_VINTR		= 0x064,
	SVM_EXIT_RDPMC		= 0x06f,
	SVM_EXIT_CPUID		= 0x072,
	SVM_EXIT_RSM		= 0x073,
	SVM_EXIT_IRET		= 0x074,
	SVM_EXIT_INVD		= 0x076,
	SVM_EXIT_HLT		= 0x078,
	SVM_EXIT_INVLPGA	= 0x07a,
	SVM_EXIT_IOIO		= 0x07b,
	SVM_EXIT_MSR		= 0x07c,
	SVM_EXIT_TASK_SWITCH	= 0x07d,
	SVM_EXIT_SHUTDOWN	= 0x07f,
	SVM_EXIT_VMRUN		= 0x080,
	SVM_EXIT_VMMCALL	= 0x081,
	SVM_EXIT_VMLOAD		= 0x082,
	SVM_EXIT_VMSAVE		= 0x083,
	SVM_EXIT_STGI		= 0x084,
	SVM_EXIT_CLGI		= 0x085,
	SVM_EXIT_SKINIT		= 0x086,
	SVM_EXIT_RDTSCP		= 0x087,
	SVM_EXIT_WBINVD		= 0x089,
	SVM_EXIT_MONITOR	= 0x08a,
	SVM_EXIT_MWAIT		= 0x08b,
	SVM_EXIT_XSETBV		= 0x08d,
	SVM_EXIT_RDPRU		= 0x08e,
	SVM_EXIT_NPF		= 0x400,
	SVM_EXIT_NR		= 0x401,	/* size of the handler table */
	SVM_EXIT_INVALID	= -1,		/* VMRUN consistency check */
};

/* IOIO EXITINFO1 (15.10.2, figure 15-2). */
#define SVM_IOIO_TYPE_IN	BIT(0)
#define SVM_IOIO_STR		BIT(2)
#define SVM_IOIO_REP		BIT(3)
#define SVM_IOIO_SIZE_SHIFT	4	/* SZ8, SZ16, SZ32 at bits 4..6 */
#define SVM_IOIO_SIZE_MASK	(7 << SVM_IOIO_SIZE_SHIFT)
#define SVM_IOIO_ASIZE_SHIFT	7	/* A16, A32, A64 at bits 7..9 */
#define SVM_IOIO_ASIZE_MASK	(7 << SVM_IOIO_ASIZE_SHIFT)
#define SVM_IOIO_SEG_SHIFT	10
#define SVM_IOIO_SEG_MASK	(7 << SVM_IOIO_SEG_SHIFT)
#define SVM_IOIO_PORT_SHIFT	16

/* MOV CRx/DRx EXITINFO1 with decode assists (15.33.1). */
#define SVM_EXITINFO1_MOV_VALID	BIT_ULL(63)	/* MOV, not LMSW/CLTS */
#define SVM_EXITINFO1_GPR_MASK	0xfULL

/* NPF EXITINFO1: a #PF-style error code (15.25.6). */
#define SVM_NPF_PRESENT		BIT_ULL(0)
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_USER		BIT_ULL(2)
#define SVM_NPF_RSVD		BIT_ULL(3)
#define SVM_NPF_FETCH		BIT_ULL(4)
#define SVM_NPF_GUEST_FINAL	BIT_ULL(32)
#define SVM_NPF_GUEST_TABLE	BIT_ULL(33)

struct vmcb_control {
	u32 intercepts[SVM_ICPT_WORDS];		/* 000h */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;		/* 03Ch */
	u16 pause_filter_count;			/* 03Eh */
	u64 iopm_base_pa;			/* 040h */
	u64 msrpm_base_pa;			/* 048h */
	u64 tsc_offset;				/* 050h */
	u32 asid;				/* 058h */
	u8 tlb_control;				/* 05Ch */
	u8 reserved_05d[3];
	u32 int_ctl;				/* 060h */
	u32 int_vector;				/* 064h */
	u64 int_state;				/* 068h */
	u64 exit_code;				/* 070h */
	u64 exit_info_1;			/* 078h */
	u64 exit_info_2;			/* 080h */
	u64 exit_int_info;			/* 088h */
	u64 nested_ctl;				/* 090h */
	u64 avic_apic_bar;			/* 098h */
	u64 ghcb_pa;				/* 0A0h */
	u64 event_inj;				/* 0A8h */
	u64 nested_cr3;				/* 0B0h */
	u64 virt_ext;				/* 0B8h */
	u32 clean;				/* 0C0h */
	u32 reserved_0c4;
	u64 next_rip;				/* 0C8h */
	u8 insn_len;				/* 0D0h */
	u8 insn_bytes[15];			/* 0D1h */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_seg {
	u16 selector;
	u16 attrib;	/* 12 bits: type, S, DPL, P, AVL, L, D/B, G */
	u32 limit;
	u64 base;
} __packed;

struct vmcb_save {
	struct vmcb_seg es;			/* 000h */
	struct vmcb_seg cs;			/* 010h */
	struct vmcb_seg ss;			/* 020h */
	struct vmcb_seg ds;			/* 030h */
	struct vmcb_seg fs;			/* 040h */
	struct vmcb_seg gs;			/* 050h */
	struct vmcb_seg gdtr;			/* 060h */
	struct vmcb_seg ldtr;			/* 070h */
	struct vmcb_seg idtr;			/* 080h */
	struct vmcb_seg tr;			/* 090h */
	u8 reserved_0a0[0x0cb - 0x0a0];
	u8 cpl;					/* 0CBh */
	u32 reserved_0cc;
	u64 efer;				/* 0D0h */
	u8 reserved_0d8[0x148 - 0x0d8];
	u64 cr4;				/* 148h */
	u64 cr3;				/* 150h */
	u64 cr0;				/* 158h */
	u64 dr7;				/* 160h */
	u64 dr6;				/* 168h */
	u64 rflags;				/* 170h */
	u64 rip;				/* 178h */
	u8 reserved_180[0x1d8 - 0x180];
	u64 rsp;				/* 1D8h */
	u64 s_cet;				/* 1E0h */
	u64 ssp;				/* 1E8h */
	u64 isst_addr;				/* 1F0h */
	u64 rax;				/* 1F8h */
	u64 star;				/* 200h */
	u64 lstar;				/* 208h */
	u64 cstar;				/* 210h */
	u64 sfmask;				/* 218h */
	u64 kernel_gs_base;			/* 220h */
	u64 sysenter_cs;			/* 228h */
	u64 sysenter_esp;			/* 230h */
	u64 sysenter_eip;			/* 238h */
	u64 cr2;				/* 240h */
	u8 reserved_248[0x268 - 0x248];
	u64 g_pat;				/* 268h */
	u64 dbgctl;				/* 270h */
	u64 br_from;				/* 278h */
	u64 br_to;				/* 280h */
	u64 last_excp_from;			/* 288h */
	u64 last_excp_to;			/* 290h */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	u8 reserved[4096 - 0x400 - sizeof(struct vmcb_save)];
} __packed;

static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, exit_int_info) == 0x088);
static_assert(offsetof(struct vmcb_control, nested_ctl) == 0x090);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, nested_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, clean) == 0x0c0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(offsetof(struct vmcb_control, insn_bytes) == 0x0d1);
static_assert(sizeof(struct vmcb_seg) == 16);
static_assert(offsetof(struct vmcb_save, tr) == 0x090);
static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb);
static_assert(offsetof(struct vmcb_save, efer) == 0x0d0);
static_assert(offsetof(struct vmcb_save, cr4) == 0x148);
static_assert(offsetof(struct vmcb_save, rip) == 0x178);
static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8);
static_assert(offsetof(struct vmcb_save, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save, cr2) == 0x240);
static_assert(offsetof(struct vmcb_save, g_pat) == 0x268);
static_assert(sizeof(struct vmcb) == 4096);

static inline void vmcb_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= 1u << (bit % 32);
}

static inline void vmcb_clr_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~(1u << (bit % 32));
}

#endif /* _KVMM_SVM_VMCB_H */
