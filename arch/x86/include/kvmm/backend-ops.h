/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The list of backend operations, expanded several times (X-macro):
 *
 *   KVMM_BACKEND_OP(ret, name, args)           mandatory
 *   KVMM_BACKEND_OP_OPTIONAL(ret, name, args)  may be NULL
 *
 * It generates the members of struct kvmm_backend_ops and the check, at
 * module load, that a backend filled every mandatory operation.  Add an
 * operation here and nowhere else; its contract is documented in
 * Documentation/backend.rst.  No include guard on purpose.
 */
#ifndef KVMM_BACKEND_OP_OPTIONAL
#define KVMM_BACKEND_OP_OPTIONAL KVMM_BACKEND_OP
#endif

/* Allocate per-CPU state for all possible CPUs; may sleep. */
KVMM_BACKEND_OP(int, hardware_setup, (void))
/* Free what hardware_setup allocated; every CPU is disabled by then. */
KVMM_BACKEND_OP(void, hardware_unsetup, (void))
/*
 * Turn virtualization on / off on the calling CPU, with interrupts
 * disabled: called from CPU hotplug STARTING/DYING callbacks, so they must
 * neither sleep nor allocate.  disable must be safe on a CPU that is off.
 */
KVMM_BACKEND_OP(int, hardware_enable, (void))
KVMM_BACKEND_OP(void, hardware_disable, (void))
/* One kernel-log line per detected feature set, for the load report. */
KVMM_BACKEND_OP_OPTIONAL(void, report, (void))
/*
 * NULL when this backend can run guests on this CPU, else why not (e.g.
 * "no NPT: shadow paging is not implemented"); KVM_CREATE_VM then fails
 * with -ENODEV and capabilities that need guests answer 0.
 */
KVMM_BACKEND_OP(const char *, guests_unsupported, (void))

/*
 * Guests.  Optional only while a backend is being brought up: without
 * vcpu_run, guests_unsupported() must say so.  Contracts in
 * Documentation/backend.rst.
 */
KVMM_BACKEND_OP_OPTIONAL(int, vm_init, (struct kvmm_vm *vm))
KVMM_BACKEND_OP_OPTIONAL(void, vm_destroy, (struct kvmm_vm *vm))
KVMM_BACKEND_OP_OPTIONAL(int, vcpu_create, (struct kvmm_vcpu *vcpu))
KVMM_BACKEND_OP_OPTIONAL(void, vcpu_free, (struct kvmm_vcpu *vcpu))
/* Read a state group from hardware into vcpu->arch (sets it valid). */
KVMM_BACKEND_OP_OPTIONAL(void, cache_state,
			 (struct kvmm_vcpu *vcpu, enum kvmm_state_group group))
/*
 * Enter the guest once, interrupts and preemption disabled; write dirty
 * state groups first.  Returns 0 after a VM exit, or -errno when entry
 * could not be attempted.
 */
KVMM_BACKEND_OP_OPTIONAL(int, vcpu_run, (struct kvmm_vcpu *vcpu))
/*
 * Handle the last exit, interrupts enabled: 1 = re-enter the guest,
 * 0 = vcpu->run is filled, return to userspace, <0 = error for userspace.
 */
KVMM_BACKEND_OP_OPTIONAL(int, handle_exit, (struct kvmm_vcpu *vcpu))
/*
 * MSRs kept in hardware state (SYSCALL/SYSENTER, KERNEL_GS_BASE, PAT):
 * 0, or 1 when the MSR is not the backend's or the value is bad.
 */
KVMM_BACKEND_OP_OPTIONAL(int, get_msr,
			 (struct kvmm_vcpu *vcpu, u32 index, u64 *data))
KVMM_BACKEND_OP_OPTIONAL(int, set_msr,
			 (struct kvmm_vcpu *vcpu, u32 index, u64 data))
/*
 * Events.  The core keeps the guest's events in vcpu->arch and chooses
 * one per entry (arch.entry_event); before the entry the backend
 * programs it (and, when @irq_window, arranges an exit as soon as the
 * guest can take an interrupt); after the exit it retires that one and
 * queues again an event whose delivery the exit interrupted.
 */
KVMM_BACKEND_OP_OPTIONAL(void, inject_events,
			 (struct kvmm_vcpu *vcpu, bool irq_window))
/* IF set, no interrupt shadow: an external interrupt can be delivered. */
KVMM_BACKEND_OP_OPTIONAL(bool, interrupt_allowed, (struct kvmm_vcpu *vcpu))
KVMM_BACKEND_OP_OPTIONAL(void, set_interrupt_shadow,
			 (struct kvmm_vcpu *vcpu, u8 shadow))
/*
 * NMIs.  nmi_allowed: no NMI blocking and no interrupt shadow, an NMI
 * can be injected now.  get/set_nmi_mask: NMI blocking, which lasts from
 * an NMI's delivery to the guest's next IRET.  inject_events injects
 * arch.nmi when 'injected' and, while one is 'pending', arranges an exit
 * as soon as it could be injected.
 */
KVMM_BACKEND_OP_OPTIONAL(bool, nmi_allowed, (struct kvmm_vcpu *vcpu))
KVMM_BACKEND_OP_OPTIONAL(bool, get_nmi_mask, (struct kvmm_vcpu *vcpu))
KVMM_BACKEND_OP_OPTIONAL(void, set_nmi_mask,
			 (struct kvmm_vcpu *vcpu, bool masked))
/*
 * The guest's TSC is the host's plus @offset from the next entry on
 * (tsc.c keeps the offset; no TSC scaling).
 */
KVMM_BACKEND_OP_OPTIONAL(void, write_tsc_offset,
			 (struct kvmm_vcpu *vcpu, u64 offset))
/* Flush this vCPU's TLB entries (guest and second level) at next entry. */
KVMM_BACKEND_OP_OPTIONAL(void, flush_tlb, (struct kvmm_vcpu *vcpu))
/*
 * Vendor feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST): 0 and the value
 * this backend offers for @index, or 1 when it offers no such MSR.
 */
KVMM_BACKEND_OP_OPTIONAL(int, get_msr_feature, (u32 index, u64 *data))
/* Userspace set a new CPUID table (KVM_SET_CPUID2): update intercepts. */
KVMM_BACKEND_OP_OPTIONAL(void, vcpu_after_set_cpuid,
			 (struct kvmm_vcpu *vcpu))
/*
 * The exception vectors whose delivery exits now, bit n for vector n
 * (SVM: the VMCB's exception intercepts; VMX: the exception bitmap).
 * For debugfs only; may race with the vCPU running.
 */
KVMM_BACKEND_OP_OPTIONAL(u32, exception_intercepts, (struct kvmm_vcpu *vcpu))

#undef KVMM_BACKEND_OP
#undef KVMM_BACKEND_OP_OPTIONAL
