// SPDX-License-Identifier: GPL-2.0
/*
 * Exit handling shared by the backends, after the backend decoded the
 * hardware exit.  Return contract (Documentation/backend.rst):
 * 1 = re-enter the guest, 0 = vcpu->run filled, return to userspace,
 * <0 = error returned by KVM_RUN.
 */
#include <linux/kvm.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
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

/*
 * Fill kvm_run for a KVM_EXIT_IO of @count elements of @size bytes; the
 * data lives in the PIO page (filled by the caller for OUT).
 */
void kvmm_x86_fill_io_exit(struct kvmm_vcpu *vcpu, u16 port, u8 size,
			   u32 count, bool in)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->stat.io_exits++;
}

/* Fill kvm_run for a KVM_EXIT_MMIO of @len (<= 8) bytes at @gpa. */
void kvmm_x86_fill_mmio_exit(struct kvmm_vcpu *vcpu, u64 gpa, u32 len,
			     bool write, const void *data)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, data, len);
	vcpu->stat.mmio_exits++;
}

/*
 * KVM_INTERNAL_ERROR_EMULATION with two words of context (@d0, @d1: what
 * the caller knows, e.g. exit code and RIP) and up to 16 instruction
 * bytes packed into the next two.
 */
int kvmm_x86_exit_emulation_failure(struct kvmm_vcpu *vcpu, u64 d0, u64 d1,
				    const u8 *bytes, unsigned int n)
{
	u64 data[4] = { d0, d1 };
	unsigned int i;

	for (i = 0; i < n && i < 16; i++)
		data[2 + i / 8] |= (u64)bytes[i] << (8 * (i % 8));
	return kvmm_x86_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				      4, data);
}

/*
 * Single (non-string) IN/OUT: an in-kernel device on the PIO bus
 * (ioeventfd, coalesced PIO, later the PIC and PIT) completes it here;
 * otherwise userspace does.
 */
int kvmm_x86_exit_io(struct kvmm_vcpu *vcpu, u16 port, u8 size, bool in,
		     unsigned long next_rip)
{
	u32 val = vcpu->arch.regs[KVMM_REG_RAX];

	vcpu->arch.pio.port = port;
	vcpu->arch.pio.size = size;
	vcpu->arch.pio.in = in;
	vcpu->arch.pio.count = 1;
	vcpu->arch.pio.next_rip = next_rip;

	if (in) {
		memset(vcpu->arch.pio_data, 0, size);
		if (!kvmm_io_bus_read(vcpu, KVMM_PIO_BUS, port, size,
				      vcpu->arch.pio_data))
			return kvmm_complete_pio_in(vcpu);
	} else if (!kvmm_io_bus_write(vcpu, KVMM_PIO_BUS, port, size, &val)) {
		return kvmm_complete_pio_out(vcpu);
	}

	kvmm_x86_fill_io_exit(vcpu, port, size, 1, in);
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
/*
 * HLT.  Its completion ends an STI or MOV SS shadow it sat in (the
 * instruction after it is not shadowed), so "sti; hlt" can be woken.
 * With an in-kernel LAPIC the vCPU halts in the kernel: the run loop
 * blocks it until an interrupt, NMI, INIT or signal (KVM's
 * __kvm_emulate_halt); otherwise userspace's irqchip gets KVM_EXIT_HLT.
 */
int kvmm_x86_exit_hlt(struct kvmm_vcpu *vcpu, unsigned long next_rip)
{
	vcpu->stat.hlt_exits++;
	vcpu->arch.rip = next_rip;
	vcpu->arch.interrupt_shadow = 0;
	kvmm_ops->set_interrupt_shadow(vcpu, 0);
	if (vcpu->arch.apic) {
		vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
		return 1;
	}
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
