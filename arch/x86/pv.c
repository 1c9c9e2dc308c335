// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual interface (Documentation/virt/kvm/x86/cpuid.rst and
 * msr.rst in Linux): the CPUID leaves at 0x40000000 and the MSRs behind
 * them.
 *
 * KVM_GET_SUPPORTED_CPUID offers only features that work here:
 *  - KVM_FEATURE_NOP_IO_DELAY: a hint that port 0x80 delays are
 *    pointless, true of any virtual machine;
 *  - KVM_FEATURE_POLL_CONTROL: MSR_KVM_POLL_CONTROL, by which a guest
 *    that polls itself asks the host not to poll on its HLT.  kvmm never
 *    polls (without an in-kernel irqchip HLT exits to userspace), so the
 *    register's only duty is to hold its enable bit;
 *  - kvmclock (KVM_FEATURE_CLOCKSOURCE, CLOCKSOURCE2 and
 *    CLOCKSOURCE_STABLE_BIT; kvmclock.c), on hosts that know their TSC's
 *    rate (tsc_khz: calibration did not fail).
 * Not offered: everything that needs an in-kernel LAPIC, hypercalls
 * or asynchronous page faults (PV_EOI, PV_UNHALT, PV_SEND_IPI,
 * ASYNC_PF, ASYNC_PF_INT, STEAL_TIME, PV_TLB_FLUSH, SCHED_YIELD, ...).
 * VMMs write the MSRs of the features they enable, so offering one of
 * these would have them write MSRs kvmm cannot honour.
 *
 * The kvmclock MSRs are taken whatever the guest's CPUID says, as KVM
 * takes them without KVM_CAP_ENFORCE_PV_FEATURE_CPUID: QEMU saves and
 * restores MSR_KVM_SYSTEM_TIME and MSR_KVM_WALL_CLOCK in any case.
 */
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <asm/tsc.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

/* The features of leaf 0x40000001 EAX that work (see above). */
#define KVMM_PV_FEATURES	(BIT(KVM_FEATURE_NOP_IO_DELAY) | \
				 BIT(KVM_FEATURE_POLL_CONTROL))
#define KVMM_PV_CLOCK		(BIT(KVM_FEATURE_CLOCKSOURCE) | \
				 BIT(KVM_FEATURE_CLOCKSOURCE2) | \
				 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

/*
 * Fill @e (room for two) with leaves 0x40000000 and 0x40000001 for
 * KVM_GET_SUPPORTED_CPUID; returns how many were written.
 */
unsigned int kvmm_x86_pv_cpuid(struct kvm_cpuid_entry2 *e)
{
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
	static const u32 sig[3] = { 0x4b4d564b, 0x564b4d56, 0x0000004d };

	e[0] = (struct kvm_cpuid_entry2) {
		.function = KVM_CPUID_SIGNATURE,
		.eax = KVM_CPUID_FEATURES,
		.ebx = sig[0], .ecx = sig[1], .edx = sig[2],
	};
	e[1] = (struct kvm_cpuid_entry2) {
		.function = KVM_CPUID_FEATURES,
		.eax = KVMM_PV_FEATURES | (tsc_khz ? KVMM_PV_CLOCK : 0),
		/* EDX: hints; KVM_HINTS_REALTIME is the host's to give. */
	};
	return 2;
}

void kvmm_x86_pv_vcpu_init(struct kvmm_vcpu *vcpu)
{
	kvmm_x86_kvmclock_vcpu_init(vcpu);
	/* Host polling allowed until the guest says otherwise (msr.rst). */
	vcpu->arch.pv_poll_control = 1;
}

/* Returns 0, 1 (refused), or -ENOENT when @index is no PV MSR. */
int kvmm_x86_pv_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data)
{
	int r = kvmm_x86_kvmclock_get_msr(vcpu, index, data);

	if (r != -ENOENT)
		return r;
	switch (index) {
	case MSR_KVM_POLL_CONTROL:
		*data = vcpu->arch.pv_poll_control;
		return 0;
	}
	return -ENOENT;
}

int kvmm_x86_pv_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			bool host)
{
	int r = kvmm_x86_kvmclock_set_msr(vcpu, index, data, host);

	if (r != -ENOENT)
		return r;
	switch (index) {
	case MSR_KVM_POLL_CONTROL:
		if (data & ~1ULL)	/* only the enable bit exists */
			return 1;
		vcpu->arch.pv_poll_control = data;
		return 0;
	}
	return -ENOENT;
}
