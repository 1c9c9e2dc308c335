// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CHECK_EXTENSION answers, on /dev/kvm and on VM fds.
 *
 * One table holds every answer kvmm gives.  An entry is added in the same
 * commit as the code and the selftest that make the capability true
 * (Documentation/caps.rst); everything else is 0, as KVM answers for a
 * capability it does not know.  Capabilities about guests answer 0 when
 * the backend cannot run guests on this CPU (VMX for now; SVM without
 * NPT until shadow paging exists).
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kvm.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>

/* A fixed answer, or KVMM_CAP_ONLINE_CPUS for the one computed answer. */
#define KVMM_CAP_ONLINE_CPUS	(-1L)

static const long kvmm_guest_caps[] = {
	[KVM_CAP_USER_MEMORY]			= 1,
	[KVM_CAP_USER_NMI]			= 1,
	[KVM_CAP_EXT_CPUID]			= 1,
	[KVM_CAP_SET_TSS_ADDR]			= 1,
	[KVM_CAP_READONLY_MEM]			= 1,
	[KVM_CAP_NR_VCPUS]			= KVMM_CAP_ONLINE_CPUS,
	[KVM_CAP_NR_MEMSLOTS]			= KVMM_USER_MEM_SLOTS,
	[KVM_CAP_MP_STATE]			= 1,
	[KVM_CAP_SYNC_MMU]			= 1,
	[KVM_CAP_DESTROY_MEMORY_REGION_WORKS]	= 1,
	[KVM_CAP_JOIN_MEMORY_REGIONS_WORKS]	= 1,
	[KVM_CAP_SET_IDENTITY_MAP_ADDR]		= 1,
	[KVM_CAP_MAX_VCPUS]			= KVMM_MAX_VCPUS,
	[KVM_CAP_CHECK_EXTENSION_VM]		= 1,
	[KVM_CAP_MAX_VCPU_ID]			= KVMM_MAX_VCPU_IDS,
	[KVM_CAP_IMMEDIATE_EXIT]		= 1,
	[KVM_CAP_DEBUGREGS]			= 1,
	[KVM_CAP_VCPU_EVENTS]			= 1,
	[KVM_CAP_XSAVE]				= 1,
	[KVM_CAP_XCRS]				= 1,
	[KVM_CAP_GET_MSR_FEATURES]		= 1,
	[KVM_CAP_MCE]				= KVMM_MAX_MCE_BANKS,
	[KVM_CAP_HLT]				= 1,
	[KVM_CAP_X86_DISABLE_EXITS]		= KVM_X86_DISABLE_EXITS_HLT |
						  KVM_X86_DISABLE_EXITS_PAUSE,
	[KVM_CAP_IRQ_ROUTING]			= KVMM_MAX_IRQ_ROUTES,
	[KVM_CAP_IRQ_INJECT_STATUS]		= 1,
	[KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2]	= KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
						  KVM_DIRTY_LOG_INITIALLY_SET,
	[KVM_CAP_SYNC_REGS]			= KVM_SYNC_X86_REGS |
						  KVM_SYNC_X86_SREGS |
						  KVM_SYNC_X86_EVENTS,
	/* The I/O bus (virt/io_bus.c); the ring's page offset, as KVM. */
	[KVM_CAP_IOEVENTFD]			= 1,
	[KVM_CAP_IOEVENTFD_ANY_LENGTH]		= 1,
	[KVM_CAP_IOEVENTFD_NO_LENGTH]		= 1,
	[KVM_CAP_COALESCED_MMIO]		= KVM_COALESCED_MMIO_PAGE_OFFSET,
	[KVM_CAP_COALESCED_PIO]			= 1,
	/* kvmclock.c: the flags KVM_GET_CLOCK gives and KVM_SET_CLOCK takes. */
	[KVM_CAP_ADJUST_CLOCK]			= KVM_CLOCK_TSC_STABLE |
						  KVM_CLOCK_REALTIME |
						  KVM_CLOCK_HOST_TSC,
	[KVM_CAP_GET_TSC_KHZ]			= 1,
	[KVM_CAP_KVMCLOCK_CTRL]			= 1,
	/*
	 * The in-kernel irqchip (arch/x86/irqchip/, Documentation/
	 * irqchip.rst): all or nothing, since QEMU switches to it as soon
	 * as KVM_CAP_IRQCHIP is there and aborts if any part then fails.
	 */
	[KVM_CAP_IRQCHIP]			= 1,
	[KVM_CAP_SPLIT_IRQCHIP]			= 1,
	[KVM_CAP_IRQFD]				= 1,
	[KVM_CAP_IRQFD_RESAMPLE]		= 1,
	[KVM_CAP_SIGNAL_MSI]			= 1,
	[KVM_CAP_PIT]				= 1,
	[KVM_CAP_PIT2]				= 1,
	[KVM_CAP_PIT_STATE2]			= 1,
	[KVM_CAP_REINJECT_CONTROL]		= 1,
	[KVM_CAP_SET_BOOT_CPU_ID]		= 1,
	[KVM_CAP_TSC_DEADLINE_TIMER]		= 1,
};

long kvmm_check_extension(struct kvmm_vm *vm, long cap)
{
	long r;

	if (cap < 0 || cap >= ARRAY_SIZE(kvmm_guest_caps))
		return 0;
	if (kvmm_ops->guests_unsupported())
		return 0;
	/* XSAVE state exists only where the host has XSAVE. */
	if ((cap == KVM_CAP_XSAVE || cap == KVM_CAP_XCRS) &&
	    !kvmm_supported_xcr0)
		return 0;
	r = kvmm_guest_caps[cap];
	if (r == KVMM_CAP_ONLINE_CPUS)
		r = min_t(long, num_online_cpus(), KVMM_MAX_VCPUS);
	return r;
}
