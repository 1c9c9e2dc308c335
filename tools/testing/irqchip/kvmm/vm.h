/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for include/kvmm/vm.h: just the parts of a VM and a
 * vCPU the PIC and IOAPIC models touch (the I/O bus, the vCPU list, the
 * irqchip pointer), plus what the tests' fakes of the LAPIC need.
 */
#ifndef _KVMM_VM_H
#define _KVMM_VM_H

#include <linux/types.h>
#include <kvmm/io_bus.h>

struct kvmm_irqchip;

struct kvmm_vm {
	struct kvmm_vm_io io;
	struct xarray vcpus;
	struct {
		struct kvmm_irqchip *irqchip;
	} arch;
};

struct kvmm_vcpu {
	struct kvmm_vm *vm;
	bool accepts_pic;	/* the fake kvmm_lapic_accepts_pic() */
};

#endif /* _KVMM_VM_H */
