/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 parts of the VM and vCPU objects.  Backend-private state hangs off
 * the opaque 'backend' pointers; nothing here is a VMCB or VMCS field.
 */
#ifndef _KVMM_X86_ARCH_H
#define _KVMM_X86_ARCH_H

#include <linux/kvm.h>
#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <asm/page.h>
#include <asm/fpu/types.h>

#include <kvmm/regs.h>

struct kvmm_vcpu;
struct kvmm_irqchip;
struct kvmm_lapic;
struct kvmm_pit;

/* Machine-check banks a vCPU can have (KVM's KVM_MAX_MCE_BANKS). */
#define KVMM_MAX_MCE_BANKS	32

/*
 * A VM's kvmclock and guest-TSC bookkeeping (kvmclock.c, tsc.c), all
 * under 'lock'.  kvmclock = host base time (kvmm_clock_base_ns()) +
 * offset.  With a master clock, every vCPU's pvclock page is computed
 * from the one host (TSC, ns) pair taken at the same instant.
 */
struct kvmm_clock {
	spinlock_t lock;
	s64 offset;
	bool master;		/* master_tsc/master_ns valid and used */
	u64 master_tsc;
	s64 master_ns;
	bool boot_vcpu_old_msr;	/* vCPU 0 uses MSR_KVM_SYSTEM_TIME (0x12) */
	u64 wall_clock;		/* MSR_KVM_WALL_CLOCK(_NEW), VM-wide */
	/* The last host write of a guest TSC and its generation (tsc.c). */
	bool tsc_written;
	s64 tsc_write_ns;
	u64 tsc_write_value;
	u64 tsc_gen_offset;
};

/* Second-level (NPT/EPT) page table of a VM: arch/x86/mmu/tdp.c. */
struct kvmm_tdp {
	u64 *root;		/* top-level table, from VM creation on */
	unsigned long nr_pages;	/* table pages in use, for the leak check */
	int levels;		/* 4 or 5 */
	/*
	 * Guest frames from here on cannot be mapped (the reach, see
	 * kvmm_tdp_gpa_bits()): no slot goes there, no fault maps there.
	 */
	u64 gfn_end;
	/*
	 * Leaves present, [0] 4 KiB and [1] 2 MiB: KVM's pages_4k and
	 * pages_2m in debugfs.  Written under mmu_lock.
	 */
	u64 leaves[2];
	/*
	 * Dirty logging, under mmu_lock: writes that found a leaf the log
	 * had write-protected, and 2-MiB leaves split for a logged slot.
	 */
	u64 wrprot_faults;
	u64 split_2m;
};

struct kvmm_arch_vm {
	void *backend;
	struct kvmm_tdp tdp;
	u64 tss_addr;
	u64 identity_map_addr;
	struct kvmm_clock clock;
	/* KVM_CAP_X86_DISABLE_EXITS: HLT runs in the guest (vm.c). */
	bool hlt_in_guest;
	/* In-kernel PIC/IOAPIC/PIT (irqchip/irqchip.h); NULL: userspace's. */
	struct kvmm_irqchip *irqchip;
	/* The vCPU id that resets as the BSP (KVM_SET_BOOT_CPU_ID), 0 else. */
	u32 bsp_vcpu_id;
	/* KVM_CREATE_PIT2 (irqchip/pit.c), with or without an irqchip. */
	struct kvmm_pit *pit;
	/*
	 * KVM_CAP_X2APIC_API's flags (VM-wide, with or without an irqchip
	 * yet): 32-bit x2APIC IDs in KVM_GET/SET_LAPIC and MSIs, and no
	 * 0xff -> x2APIC broadcast for IOAPIC and MSI messages.
	 */
	bool x2apic_format;
	bool x2apic_broadcast_quirk_disabled;
};

/* Which of vcpu->arch's events an entry delivers (at most one). */
enum kvmm_event {
	KVMM_EVENT_NONE,
	KVMM_EVENT_EXCEPTION,
	KVMM_EVENT_NMI,
	KVMM_EVENT_INTR,
};

/*
 * Guest state the backend keeps in hardware structures is cached here in
 * groups.  A group is read from hardware only when valid lacks it, and
 * written back before the next entry when dirty has it (style: lazy state
 * with valid/dirty bits).  GPRs, RIP and RFLAGS are always valid outside
 * the guest.
 */
enum kvmm_state_group {
	KVMM_SG_SEGS,		/* segs[], gdt, idt */
	KVMM_SG_CRS,		/* cr0, cr2, cr3, cr4, efer */
	KVMM_SG_DRS,		/* db[], dr6, dr7 */
	KVMM_SG_NR,
};

enum kvmm_seg {
	KVMM_SEG_ES, KVMM_SEG_CS, KVMM_SEG_SS, KVMM_SEG_DS,
	KVMM_SEG_FS, KVMM_SEG_GS, KVMM_SEG_TR, KVMM_SEG_LDTR,
	KVMM_SEG_NR,
};

struct kvmm_arch_vcpu {
	unsigned long regs[KVMM_NR_GPRS];
	unsigned long rip;
	unsigned long rflags;

	u32 sg_valid;
	u32 sg_dirty;
	struct kvm_segment segs[KVMM_SEG_NR];
	struct kvm_dtable gdt, idt;
	u64 cr0, cr2, cr3, cr4, efer;
	u64 db[4];		/* DR0-DR3 */
	u64 dr6, dr7;

	u64 cr8;
	u64 apic_base;
	/* The in-kernel local APIC (irqchip/lapic.c), NULL without one. */
	struct kvmm_lapic *apic;
	u64 misc_enable;
	u64 hwcr;		/* MSR_K7_HWCR: McStatusWrEn or 0 */
	u64 vm_hsave_pa;	/* MSR_VM_HSAVE_PA (msr_model.c) */
	u64 mtrr_def_type;
	u64 mtrr[16 + 3 + 8];	/* variable, fixed 64K/16K, fixed 4K */
	u64 xcr0;
	u32 pkru;		/* loaded while the guest runs (xsave.c) */
	u32 host_pkru;		/* the host's, kept across one entry */
	u32 mp_state;
	/* MSRs kept by the core (arch/x86/msr.c). */
	u64 tsc_aux;		/* loaded while the guest runs (uret_msr.c) */
	u64 ucode_rev;
	u64 arch_capabilities;
	u64 de_cfg;
	/* Guest TSC = host TSC + tsc_offset (tsc.c); the backend applies it. */
	u64 tsc_offset;
	u32 tsc_khz;		/* KVM_GET_TSC_KHZ: the host's, no scaling */
	/* KVM paravirtual MSRs (pv.c, kvmclock.c). */
	u64 pv_system_time;	/* MSR_KVM_SYSTEM_TIME(_NEW) */
	bool pvclock_stop;	/* set PVCLOCK_GUEST_STOPPED (KVMCLOCK_CTRL) */
	int pvclock_cpu;	/* host CPU of the page's pair, -1: any */
	u64 pv_poll_control;	/* MSR_KVM_POLL_CONTROL */
	/*
	 * Machine-check architecture (mce.c, SDM 3B 16.3): MCG_CAP as
	 * KVM_X86_SETUP_MCE set it, and per bank MCi_CTL, MCi_STATUS,
	 * MCi_ADDR, MCi_MISC in MSR order.
	 */
	u64 mcg_cap;
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mce_banks[KVMM_MAX_MCE_BANKS * 4];
	/* A shutdown to report at the next KVM_RUN (KVM_X86_SET_MCE). */
	bool triple_fault;

	struct fpu_guest fpu;

	struct kvm_cpuid_entry2 *cpuid;
	u32 cpuid_nent;

	/*
	 * Events for the guest (api.rst KVM_GET/SET_VCPU_EVENTS), in KVM's
	 * model.  'pending': raised, not yet begun (an exception from an exit
	 * handler; KVM_NMIs, counted).  'injected': chosen for delivery; each
	 * entry programs at most one event (entry_event), and only the exit
	 * after that entry clears its 'injected', putting it back if
	 * EXITINTINFO says its delivery was cut short.  An event that waited
	 * behind the programmed one stays 'injected' for a later entry.  The
	 * KVM_INTERRUPT vector is 'injected' from the start: userspace hands
	 * it over already acknowledged (no in-kernel irqchip).
	 */
	struct {
		bool pending;
		bool injected;
		u8 nr;
		bool has_error_code;
		u32 error_code;
	} exception;
	struct {
		bool injected;
		u8 nr;
	} interrupt;
	/*
	 * NMIs: 'pending' counts KVM_NMIs not yet injected, at most one
	 * behind an NMI in progress (SDM 3A 6.7.1: one NMI runs, one more is
	 * latched).  NMI blocking (from delivery to the next IRET) is the
	 * backend's: get_nmi_mask/set_nmi_mask.
	 */
	struct {
		bool injected;
		u8 pending;
	} nmi;
	/*
	 * Events sent from other threads (kvmm_x86_deliver_*(): IPIs, LINT1,
	 * the IOAPIC), which the vCPU folds in itself before an entry.
	 * nmi_queued: NMIs not yet counted in nmi.pending.  init_sipi: the
	 * KVMM_INIT_PENDING and KVMM_SIPI_PENDING bits, sipi_vector written
	 * before its bit (init_sipi.c).
	 */
	atomic_t nmi_queued;
	unsigned long init_sipi;
	u8 sipi_vector;
	/*
	 * Split irqchip: an ExtINT vector userspace's PIC handed over with
	 * KVM_INTERRUPT, -1 if none (the LAPIC takes it when LINT0 allows).
	 */
	int pending_extint;
	/*
	 * Split irqchip: the vector of an EOI that goes out to userspace's
	 * IOAPIC as KVM_EXIT_IOAPIC_EOI, with KVMM_REQ_IOAPIC_EOI_EXIT
	 * (the LAPIC's EOI, on the vCPU's thread).
	 */
	u8 pending_ioapic_eoi;
	/* An irqchip interrupt waits for the guest to open its window. */
	bool irqchip_window;
	u8 entry_event;		/* enum kvmm_event: programmed for this entry */
	u8 interrupt_shadow;	/* KVM_X86_SHADOW_INT_*, valid outside guest */

	/* Port I/O waiting for userspace (KVM_EXIT_IO). */
	void *pio_data;		/* mmap page KVM_PIO_PAGE_OFFSET */
	struct {
		u16 port;
		u8 size;
		bool in;
		u32 count;
		unsigned long next_rip;
	} pio;
	/* Emulated accesses waiting for (or answered by) userspace. */
	struct {
		u64 gpa;
		u32 len;
		bool pending;	/* KVM_EXIT_MMIO read out to userspace */
		bool done;	/* data below is userspace's answer */
		u8 data[8];
	} mmio;
	struct {
		u16 port;
		u8 size;
		u32 count;
		bool pending;
		bool done;	/* answer in pio_data */
	} pio_str;
	bool emul_posted;	/* this emulation posted a write/OUT */

	/* Run before re-entering when userspace resumes after an exit. */
	int (*complete_userspace)(struct kvmm_vcpu *vcpu);

	/* Pages for new second-level tables, filled before taking mmu_lock. */
	struct kvmm_mmu_cache {
		struct page *pages[5];
		int nr;
	} mmu_cache;
	void *backend;
};

#endif /* _KVMM_X86_ARCH_H */
