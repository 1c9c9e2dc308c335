// SPDX-License-Identifier: GPL-2.0
/*
 * Exit handling shared by the backends, after the backend decoded the
 * hardware exit.  Return contract (Documentation/backend.rst):
 * 1 = re-enter the guest, 0 = vcpu->run filled, return to userspace,
 * <0 = error returned by KVM_RUN.
 */
#include <linux/kvm.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include <kvmm/backend.h>
#include <asm/trapnr.h>

/* IN: the data userspace left in the PIO page goes into AL/AX/EAX. */
static int kvmm_complete_pio_in(struct kvmm_vcpu *vcpu)
{
	unsigned long *rax = &vcpu->arch.regs[KVMM_REG_RAX];
	u32 val = 0;

	memcpy(&val, vcpu->arch.pio_data, vcpu->arch.pio.size);
	switch (vcpu->arch.pio.size) {
	case 1:
		*rax = (*rax & ~0xffUL) | (val & 0xff);
		break;
	case 2:
		*rax = (*rax & ~0xffffUL) | (val & 0xffff);
		break;
	default:
		/* A 32-bit write zero-extends into RAX (SDM 1 3.4.1.1). */
		*rax = val;
		break;
	}
	vcpu->arch.rip = vcpu->arch.pio.next_rip;
	return 1;
}

static int kvmm_complete_pio_out(struct kvmm_vcpu *vcpu)
{
	vcpu->arch.rip = vcpu->arch.pio.next_rip;
	return 1;
}

/* Single (non-string) IN/OUT: always completed by userspace. */
int kvmm_x86_exit_io(struct kvmm_vcpu *vcpu, u16 port, u8 size, bool in,
		     unsigned long next_rip)
{
	struct kvm_run *run = vcpu->run;
	u32 val = vcpu->arch.regs[KVMM_REG_RAX];

	vcpu->stat.io_exits++;
	vcpu->arch.pio.port = port;
	vcpu->arch.pio.size = size;
	vcpu->arch.pio.in = in;
	vcpu->arch.pio.count = 1;
	vcpu->arch.pio.next_rip = next_rip;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (in) {
		memset(vcpu->arch.pio_data, 0, size);
		vcpu->arch.complete_userspace = kvmm_complete_pio_in;
	} else {
		memcpy(vcpu->arch.pio_data, &val, size);
		vcpu->arch.complete_userspace = kvmm_complete_pio_out;
	}
	return 0;
}

/* Without an in-kernel LAPIC, HLT always goes to userspace (api.rst). */
int kvmm_x86_exit_hlt(struct kvmm_vcpu *vcpu, unsigned long next_rip)
{
	vcpu->stat.hlt_exits++;
	vcpu->arch.rip = next_rip;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

int kvmm_x86_exit_cpuid(struct kvmm_vcpu *vcpu, unsigned long next_rip)
{
	unsigned long *r = vcpu->arch.regs;
	u32 eax, ebx, ecx, edx;

	kvmm_x86_cpuid(vcpu, r[KVMM_REG_RAX], r[KVMM_REG_RCX],
		       &eax, &ebx, &ecx, &edx);
	r[KVMM_REG_RAX] = eax;
	r[KVMM_REG_RBX] = ebx;
	r[KVMM_REG_RCX] = ecx;
	r[KVMM_REG_RDX] = edx;
	vcpu->arch.rip = next_rip;
	return 1;
}

/* Triple fault (or a shutdown-class event): KVM_EXIT_SHUTDOWN. */
int kvmm_x86_exit_shutdown(struct kvmm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* An exit nobody handles reaches userspace with its raw code. */
int kvmm_x86_exit_unknown(struct kvmm_vcpu *vcpu, u64 hw_reason)
{
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	vcpu->run->hw.hardware_exit_reason = hw_reason;
	return 0;
}

int kvmm_x86_exit_fail_entry(struct kvmm_vcpu *vcpu, u64 hw_reason)
{
	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = hw_reason;
	vcpu->run->fail_entry.cpu = vcpu->cpu;
	return 0;
}

int kvmm_x86_exit_internal(struct kvmm_vcpu *vcpu, u32 suberror, u32 ndata,
			   const u64 *data)
{
	struct kvm_run *run = vcpu->run;
	u32 i;

	ndata = min_t(u32, ndata, ARRAY_SIZE(run->internal.data));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

/* Queue an exception for the next entry; the exit contract's 1. */
int kvmm_x86_inject_ud(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_queue_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

int kvmm_x86_inject_gp(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_queue_exception(vcpu, GP_VECTOR, true, 0);
	return 1;
}
