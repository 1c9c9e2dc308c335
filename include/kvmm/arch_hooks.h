/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks virt/ calls in the architecture (arch/<arch>/), all here and
 * all named kvmm_arch_*: the generic code knows an arch only through
 * these (and through the arch's own headers for its ioctl tables, until
 * those move behind hooks too).
 */
#ifndef _KVMM_ARCH_HOOKS_H
#define _KVMM_ARCH_HOOKS_H

#include <linux/types.h>

struct kvmm_vm;
struct kvmm_vcpu;

/*
 * Module and CPUs.  init probes the hardware and picks a backend
 * (-ENODEV: none usable); hardware_setup allocates per-CPU state once
 * kvmm owns virtualization; hw_enable/disable_cpu run on the CPU
 * concerned with interrupts off.  virt/main.c, virt/hw_enable.c.
 */
int kvmm_arch_init(void);
void kvmm_arch_exit(void);
int kvmm_arch_hardware_setup(void);
void kvmm_arch_hardware_unsetup(void);
int kvmm_arch_hw_enable_cpu(void);
void kvmm_arch_hw_disable_cpu(void);
void kvmm_arch_report(void);

/* VMs: the arch takes GSI routes only with an irqchip for them. */
bool kvmm_arch_can_set_irq_routing(struct kvmm_vm *vm);

/*
 * VM ioctls of the arch, looked up after the generic table (NULL: none);
 * KVM_ENABLE_CAP of a capability the generic code does not know.
 */
struct kvmm_ioctl_desc;
struct kvm_enable_cap;
const struct kvmm_ioctl_desc *kvmm_arch_vm_ioctl_find(unsigned int cmd);
long kvmm_arch_vm_enable_cap(struct kvmm_vm *vm,
			     const struct kvm_enable_cap *cap);
/* Stop the VM's device timers and workers before its vCPUs are freed. */
void kvmm_arch_vm_stop_devices(struct kvmm_vm *vm);

/*
 * vCPUs.  vcpu_run: KVM_RUN's body, vcpu->mutex held (virt/vcpu.c).
 * vcpu_runnable: a blocked vCPU may run again (interrupt, NMI,
 * INIT/SIPI); kvmm_vcpu_block() (virt/request.c) evaluates it on the
 * vCPU's own thread.
 */
long kvmm_arch_vcpu_run(struct kvmm_vcpu *vcpu);
bool kvmm_arch_vcpu_runnable(struct kvmm_vcpu *vcpu);
/* The guest asked for no halt polling (x86: MSR_KVM_POLL_CONTROL). */
bool kvmm_arch_no_poll(struct kvmm_vcpu *vcpu);

#endif /* _KVMM_ARCH_HOOKS_H */
