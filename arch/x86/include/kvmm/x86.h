/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 core as seen by virt/ and by the backends.
 */
#ifndef _KVMM_X86_H
#define _KVMM_X86_H

#include <linux/types.h>

#include <kvmm/arch.h>
#include <kvmm/ioctl.h>

struct dentry;
struct kvmm_vm;
struct kvmm_vcpu;

/* arch/x86/vm.c */
int kvmm_x86_vm_init(struct kvmm_vm *vm);
void kvmm_x86_vm_destroy(struct kvmm_vm *vm);
void kvmm_x86_vm_debugfs_init(struct kvmm_vm *vm, struct dentry *dir);
long kvmm_x86_vm_set_tss_addr(struct file *filp, unsigned long arg);
int kvmm_x86_vm_disable_exits(struct kvmm_vm *vm, u64 flags);
long kvmm_x86_vm_set_identity_map(struct file *filp, unsigned long arg);
long kvmm_x86_vm_set_boot_cpu_id(struct file *filp, unsigned long arg);
/* arch/x86/irqchip/pit.c: the 8254 (vm->arch.pit) and its VM ioctls. */
void kvmm_pit_stop(struct kvmm_vm *vm);
void kvmm_pit_free(struct kvmm_vm *vm);
long kvmm_x86_vm_create_pit(struct file *filp, unsigned long arg);
long kvmm_x86_vm_create_pit2(struct file *filp, unsigned long arg);
long kvmm_x86_vm_get_pit(struct file *filp, unsigned long arg);
long kvmm_x86_vm_set_pit(struct file *filp, unsigned long arg);
long kvmm_x86_vm_get_pit2(struct file *filp, unsigned long arg);
long kvmm_x86_vm_set_pit2(struct file *filp, unsigned long arg);
long kvmm_x86_vm_reinject_control(struct file *filp, unsigned long arg);
u32 kvmm_x86_memslot_flags(void);

/* arch/x86/caps.c; vm may be NULL (asked on /dev/kvm). */
long kvmm_check_extension(struct kvmm_vm *vm, long cap);

/* arch/x86/vcpu.c */
int kvmm_x86_vcpu_create(struct kvmm_vcpu *vcpu);
void kvmm_x86_vcpu_destroy(struct kvmm_vcpu *vcpu);
void kvmm_x86_vcpu_reset(struct kvmm_vcpu *vcpu);
void kvmm_x86_cache_state(struct kvmm_vcpu *vcpu, enum kvmm_state_group g);
void kvmm_x86_mark_dirty(struct kvmm_vcpu *vcpu, enum kvmm_state_group g);

/* arch/x86/state.c: the x86 vCPU state ioctls, and their kernel side. */
void kvmm_x86_get_regs(struct kvmm_vcpu *vcpu, struct kvm_regs *regs);
void kvmm_x86_set_regs(struct kvmm_vcpu *vcpu, const struct kvm_regs *regs);
void kvmm_x86_get_sregs(struct kvmm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvmm_x86_set_sregs(struct kvmm_vcpu *vcpu, const struct kvm_sregs *sregs);
const struct kvmm_ioctl_desc *kvmm_x86_vcpu_ioctl_find(unsigned int cmd);

/* arch/x86/state_check.c: valid vCPU states. */
u64 kvmm_x86_cr4_guest_bits(void);
u64 kvmm_x86_efer_valid_bits(void);
bool kvmm_x86_valid_cr0(u64 cr0);
bool kvmm_x86_valid_apic_base(struct kvmm_vcpu *vcpu, u64 base);
bool kvmm_x86_entry_state_valid(struct kvmm_vcpu *vcpu);

/* arch/x86/state_ext.c */
long kvmm_x86_get_fpu(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_fpu(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_get_debugregs(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_debugregs(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_translate(struct kvmm_vcpu *vcpu, void __user *arg);
int kvmm_x86_exit_dr(struct kvmm_vcpu *vcpu, bool write, int dr, int gpr,
		     unsigned long next_rip);

/* arch/x86/events.c */
void kvmm_x86_queue_exception(struct kvmm_vcpu *vcpu, u8 nr, bool has_error,
			      u32 error_code);
void kvmm_x86_requeue_exception(struct kvmm_vcpu *vcpu, u8 nr,
				bool has_error, u32 error_code);
long kvmm_x86_interrupt(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_nmi(struct kvmm_vcpu *vcpu);
void kvmm_x86_process_nmi(struct kvmm_vcpu *vcpu);
bool kvmm_x86_ready_for_interrupt(struct kvmm_vcpu *vcpu);
bool kvmm_x86_pic_in_kernel(struct kvmm_vcpu *vcpu);
void kvmm_x86_take_irqchip_interrupt(struct kvmm_vcpu *vcpu);
bool kvmm_x86_vcpu_has_events(struct kvmm_vcpu *vcpu);
void kvmm_x86_inject_events(struct kvmm_vcpu *vcpu);
int kvmm_x86_check_irq_window(struct kvmm_vcpu *vcpu);
int kvmm_x86_exit_cr8_write(struct kvmm_vcpu *vcpu, int gpr,
			    unsigned long next_rip);
void kvmm_x86_get_events(struct kvmm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int kvmm_x86_set_events(struct kvmm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev);
long kvmm_x86_get_vcpu_events(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_vcpu_events(struct kvmm_vcpu *vcpu, void __user *arg);

/*
 * Events other threads send to a vCPU (the in-kernel LAPIC: IPIs, LINT
 * pins, the IOAPIC's NMI/INIT entries).  Each records the event, makes a
 * request and kicks the vCPU, which takes it on its own thread before
 * its next entry or wakes for it when blocked.  Callable from any
 * context, hard interrupts included; @vcpu must have an in-kernel LAPIC.
 * events.c (NMI) and init_sipi.c.
 */
void kvmm_x86_deliver_nmi(struct kvmm_vcpu *vcpu);
void kvmm_x86_deliver_init(struct kvmm_vcpu *vcpu);
void kvmm_x86_deliver_sipi(struct kvmm_vcpu *vcpu, u8 vector);

/* arch/x86/init_sipi.c: vcpu->arch.init_sipi bits. */
#define KVMM_INIT_PENDING	0
#define KVMM_SIPI_PENDING	1
bool kvmm_x86_init_sipi_pending(struct kvmm_vcpu *vcpu);
void kvmm_x86_accept_init_sipi(struct kvmm_vcpu *vcpu);
void kvmm_x86_init_reset(struct kvmm_vcpu *vcpu);

/* arch/x86/emul.c */
int kvmm_x86_emulate(struct kvmm_vcpu *vcpu);

/* arch/x86/xsave.c */
extern u64 kvmm_host_xcr0, kvmm_supported_xcr0;
void kvmm_xsave_init(void);
bool kvmm_x86_pku_supported(void);
u32 kvmm_xstate_size(u64 xcr0);
int kvmm_x86_set_xcr0(struct kvmm_vcpu *vcpu, u32 index, u64 xcr0);
int kvmm_x86_exit_xsetbv(struct kvmm_vcpu *vcpu, unsigned long next_rip);
void kvmm_x86_load_guest_xstate(struct kvmm_vcpu *vcpu);
void kvmm_x86_load_host_xstate(struct kvmm_vcpu *vcpu);
long kvmm_x86_get_xcrs(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_xcrs(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_get_xsave(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_xsave(struct kvmm_vcpu *vcpu, void __user *arg);

/*
 * arch/x86/exits.c: exit handling shared by the backends.  Each returns
 * the exit contract: 1 = re-enter, 0 = run filled for userspace, <0 error.
 */
int kvmm_x86_exit_io(struct kvmm_vcpu *vcpu, u16 port, u8 size, bool in,
		     unsigned long next_rip);
int kvmm_x86_exit_hlt(struct kvmm_vcpu *vcpu, unsigned long next_rip);
int kvmm_x86_exit_cpuid(struct kvmm_vcpu *vcpu, unsigned long next_rip);
int kvmm_x86_exit_shutdown(struct kvmm_vcpu *vcpu);
int kvmm_x86_exit_unknown(struct kvmm_vcpu *vcpu, u64 hw_reason);
int kvmm_x86_exit_fail_entry(struct kvmm_vcpu *vcpu, u64 hw_reason);
int kvmm_x86_exit_internal(struct kvmm_vcpu *vcpu, u32 suberror,
			   u32 ndata, const u64 *data);
int kvmm_x86_exit_emulation_failure(struct kvmm_vcpu *vcpu, u64 d0, u64 d1,
				    const u8 *bytes, unsigned int n);
void kvmm_x86_fill_io_exit(struct kvmm_vcpu *vcpu, u16 port, u8 size,
			   u32 count, bool in);
void kvmm_x86_fill_mmio_exit(struct kvmm_vcpu *vcpu, u64 gpa, u32 len,
			     bool write, const void *data);
int kvmm_x86_inject_ud(struct kvmm_vcpu *vcpu);
int kvmm_x86_inject_gp(struct kvmm_vcpu *vcpu);

/* arch/x86/cpuid.c */
void kvmm_x86_cpuid(struct kvmm_vcpu *vcpu, u32 leaf, u32 subleaf,
		    u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);
enum kvmm_guest_feature {
	KVMM_GF_PDCM,			/* 1.ECX[15]: PERF_CAPABILITIES */
	KVMM_GF_PKU,			/* 7.0.ECX[3] */
	KVMM_GF_RDPID,			/* 7.0.ECX[22] */
	KVMM_GF_ARCH_CAPABILITIES,	/* 7.0.EDX[29] */
	KVMM_GF_RDTSCP,			/* 8000_0001.EDX[27] */
	KVMM_GF_X2APIC,			/* 1.ECX[21] */
	KVMM_GF_TSC_DEADLINE,		/* 1.ECX[24] */
};
bool kvmm_x86_guest_has(struct kvmm_vcpu *vcpu, enum kvmm_guest_feature f);
bool kvmm_x86_guest_is_intel(struct kvmm_vcpu *vcpu);
u8 kvmm_x86_guest_maxphyaddr(struct kvmm_vcpu *vcpu);
u64 kvmm_x86_guest_rsvd_gpa_bits(struct kvmm_vcpu *vcpu);
long kvmm_x86_set_cpuid2(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_get_cpuid2(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_get_supported_cpuid(void __user *arg);

/* arch/x86/msr.c */
int kvmm_x86_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data,
		     bool host);
int kvmm_x86_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data, bool host);
int kvmm_x86_exit_msr(struct kvmm_vcpu *vcpu, bool write,
		      unsigned long next_rip);
long kvmm_x86_get_msr_index_list(void __user *arg);
long kvmm_x86_vcpu_msrs(struct kvmm_vcpu *vcpu, void __user *arg, bool set);
long kvmm_x86_get_msr_feature_index_list(void __user *arg);
long kvmm_x86_get_feature_msrs(void __user *arg);
void kvmm_x86_msr_vcpu_init(struct kvmm_vcpu *vcpu);
bool kvmm_x86_tsc_aux_supported(void);

/* arch/x86/mce.c: machine-check banks, KVM_X86_*_MCE. */
void kvmm_x86_mce_vcpu_init(struct kvmm_vcpu *vcpu);
long kvmm_x86_get_mce_cap_supported(void __user *arg);
long kvmm_x86_setup_mce(struct kvmm_vcpu *vcpu, void __user *arg);
long kvmm_x86_set_mce(struct kvmm_vcpu *vcpu, void __user *arg);
int kvmm_x86_mce_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data,
			 bool host);
int kvmm_x86_mce_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			 bool host);

/* arch/x86/pv.c: KVM's paravirtual CPUID leaves and MSRs. */
struct kvm_cpuid_entry2;
unsigned int kvmm_x86_pv_cpuid(struct kvm_cpuid_entry2 *e);
void kvmm_x86_pv_vcpu_init(struct kvmm_vcpu *vcpu);
int kvmm_x86_pv_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data);
int kvmm_x86_pv_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			bool host);

/*
 * arch/x86/kvmclock.c: the pvclock pages and KVM_GET/SET_CLOCK;
 * arch/x86/tsc.c: the guest TSC offset, IA32_TSC, KVM_GET/SET_TSC_KHZ.
 */
s64 kvmm_clock_base_ns(void);
void kvmm_x86_kvmclock_vm_init(struct kvmm_vm *vm);
void kvmm_x86_kvmclock_vcpu_init(struct kvmm_vcpu *vcpu);
void kvmm_x86_kvmclock_update(struct kvmm_vcpu *vcpu);
void kvmm_x86_kvmclock_on_entry(struct kvmm_vcpu *vcpu, int cpu);
int kvmm_x86_kvmclock_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data);
int kvmm_x86_kvmclock_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			      bool host);
long kvmm_x86_kvmclock_ctrl(struct kvmm_vcpu *vcpu);
long kvmm_x86_vm_get_clock(struct file *filp, unsigned long arg);
long kvmm_x86_vm_set_clock(struct file *filp, unsigned long arg);
bool kvmm_host_tsc_stable(void);
u64 kvmm_x86_guest_tsc(struct kvmm_vcpu *vcpu, u64 host_tsc);
void kvmm_x86_tsc_vcpu_init(struct kvmm_vcpu *vcpu);
int kvmm_x86_tsc_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data);
int kvmm_x86_tsc_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			 bool host);
long kvmm_x86_get_tsc_khz(struct kvmm_vcpu *vcpu);
long kvmm_x86_set_tsc_khz(struct kvmm_vcpu *vcpu, unsigned long arg);

/* arch/x86/msr_model.c: model-specific MSRs answered as KVM answers them. */
int kvmm_x86_model_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data);
int kvmm_x86_model_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			   bool host);

/* arch/x86/uret_msr.c: MSRs switched back on return to user mode. */
int kvmm_uret_msr_add(u32 msr);
int kvmm_uret_msr_slot(u32 msr);
void kvmm_uret_msrs_reset(void);
void kvmm_uret_cpu_enable(void);
void kvmm_uret_cpu_disable(void);
void kvmm_uret_msr_set(int slot, u64 value);

/* arch/x86/mmu/tdp.c */
int kvmm_tdp_init(struct kvmm_vm *vm);
unsigned int kvmm_tdp_gpa_bits(void);
u64 kvmm_tdp_gfn_end(struct kvmm_vm *vm);
void kvmm_mmu_cache_free(struct kvmm_mmu_cache *c);
int kvmm_tdp_fault(struct kvmm_vcpu *vcpu, u64 gpa, bool write);
u64 kvmm_tdp_root_pa(struct kvmm_vm *vm);
void kvmm_tdp_destroy(struct kvmm_vm *vm);
bool kvmm_x86_zap_gfn_range_locked(struct kvmm_vm *vm, u64 start, u64 end);
void kvmm_x86_zap_gfn_range(struct kvmm_vm *vm, u64 start, u64 end);
bool kvmm_x86_age_gfn_range_locked(struct kvmm_vm *vm, u64 start, u64 end,
				   bool clear);
void kvmm_x86_flush_remote_tlbs(struct kvmm_vm *vm);

/* arch/x86/mmu/dirty.c: dirty logging in the second-level table. */
struct kvmm_memslot;
void kvmm_x86_dirty_log_enable(struct kvmm_vm *vm,
			       const struct kvmm_memslot *slot, bool wrprot);
void kvmm_x86_dirty_log_disable(struct kvmm_vm *vm,
				const struct kvmm_memslot *slot);
bool kvmm_x86_dirty_wrprot_masked(struct kvmm_vm *vm,
				  const struct kvmm_memslot *slot,
				  u64 gfn_offset, unsigned long mask);

/* Guest memory access by guest physical address (arch/x86/guest_mem.c). */
struct walk_env;
int kvmm_read_guest(struct kvmm_vm *vm, u64 gpa, void *buf, unsigned int len);
int kvmm_write_guest(struct kvmm_vm *vm, u64 gpa, const void *buf,
		     unsigned int len);
void kvmm_x86_walk_env(struct kvmm_vcpu *vcpu, struct walk_env *env);
u8 kvmm_x86_cpl(struct kvmm_vcpu *vcpu);
int kvmm_x86_fetch_insn(struct kvmm_vcpu *vcpu, u8 *buf);
struct x86_insn;
int kvmm_x86_decode_intercepted(struct kvmm_vcpu *vcpu, u8 op,
				struct x86_insn *insn, unsigned long *next_rip);

#endif /* _KVMM_X86_H */
