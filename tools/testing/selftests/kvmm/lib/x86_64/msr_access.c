// SPDX-License-Identifier: GPL-2.0
/*
 * MSR accesses for tests: KVM_GET/SET_MSRS of one MSR from the host, and
 * one guest RDMSR or WRMSR per run, with #GP caught (msr_access.h).
 */
#include "msr_access.h"

int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	int r = __vcpu_ioctl(vcpu, KVM_GET_MSRS, &m);

	*val = m.e.data;
	return r;
}

int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = val };

	return __vcpu_ioctl(vcpu, KVM_SET_MSRS, &m);
}

/* ---- guest ---- */

static uint64_t op_index, op_write, op_val;
static volatile uint64_t gp_count;

static void guest_msr_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* RDMSR and WRMSR are 0F 32 / 0F 30 */
}

void guest_msr_ops(void)
{
	for (;;) {
		uint32_t index = *(volatile uint64_t *)&op_index;
		uint64_t before = gp_count, val = 0;

		if (*(volatile uint64_t *)&op_write)
			wrmsr(index, *(volatile uint64_t *)&op_val);
		else
			val = rdmsr(index);
		GUEST_SYNC_ARGS(0, gp_count != before, val, 0, 0);
	}
}

void vm_install_msr_gp_handler(struct kvm_vm *vm)
{
	vm_install_exception_handler(vm, GP_VECTOR, guest_msr_gp_handler);
}

bool guest_msr(struct kvm_vcpu *vcpu, uint32_t index, bool write,
	       uint64_t val, uint64_t *out)
{
	struct ucall uc;

	write_guest_global(vcpu->vm, op_index, index);
	write_guest_global(vcpu->vm, op_write, write);
	write_guest_global(vcpu->vm, op_val, val);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	if (out)
		*out = uc.args[2];
	return uc.args[1];
}
