/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One MSR at a time, from the host (KVM_GET/SET_MSRS) or from the guest.
 *
 * Guest side: a vCPU created with guest_msr_ops() as its code and
 * vm_install_msr_gp_handler() installed does one RDMSR or WRMSR per run,
 * as guest_msr() asks, and reports whether it raised #GP.
 */
#ifndef KVMM_SELFTEST_MSR_ACCESS_H
#define KVMM_SELFTEST_MSR_ACCESS_H

#include "processor.h"

/* The ioctl's return value: 1 when the MSR was read / written. */
int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *val);
int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t val);

void guest_msr_ops(void);
void vm_install_msr_gp_handler(struct kvm_vm *vm);
/* One guest access; true if it raised #GP, else *@out (may be NULL). */
bool guest_msr(struct kvm_vcpu *vcpu, uint32_t index, bool write,
	       uint64_t val, uint64_t *out);

#endif /* KVMM_SELFTEST_MSR_ACCESS_H */
