// SPDX-License-Identifier: GPL-2.0
/*
 * KVM ABI helpers: device path, open, capability queries.
 */
#include "kvm_util.h"

const char *kvm_dev_path(void)
{
	return env_str("KVMM_DEVICE", KVM_DEV_PATH_DEFAULT);
}

int open_path_or_exit(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	__TEST_REQUIRE(fd >= 0 || (errno != ENOENT && errno != ENXIO &&
				   errno != ENODEV),
		       "%s not available (%s): no hypervisor loaded", path,
		       errno_name(errno));
	TEST_ASSERT(fd >= 0, "open(%s) failed", path);
	return fd;
}

int _open_kvm_dev_path_or_exit(int flags)
{
	return open_path_or_exit(kvm_dev_path(), flags);
}

int open_kvm_dev_path_or_exit(void)
{
	return _open_kvm_dev_path_or_exit(O_RDONLY);
}

int __kvm_check_cap(int fd, long cap)
{
	return __kvm_ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

unsigned int kvm_check_cap(long cap)
{
	int fd = open_kvm_dev_path_or_exit();
	int ret = __kvm_check_cap(fd, cap);

	TEST_ASSERT(ret >= 0, KVM_IOCTL_ERROR("KVM_CHECK_EXTENSION", ret));
	close(fd);
	return ret;
}

#define CAP(name)	{ KVM_CAP_##name, #name }

/* The capabilities tests print by name; extend as tests need more. */
static const struct {
	long cap;
	const char *name;
} cap_names[] = {
	CAP(IRQCHIP), CAP(HLT), CAP(USER_MEMORY), CAP(SET_TSS_ADDR),
	CAP(VAPIC), CAP(EXT_CPUID), CAP(CLOCKSOURCE), CAP(NR_VCPUS),
	CAP(NR_MEMSLOTS), CAP(PIT), CAP(NOP_IO_DELAY), CAP(SYNC_MMU),
	CAP(IOMMU), CAP(DESTROY_MEMORY_REGION_WORKS), CAP(USER_NMI),
	CAP(SET_GUEST_DEBUG), CAP(REINJECT_CONTROL), CAP(IRQ_ROUTING),
	CAP(MP_STATE), CAP(COALESCED_MMIO), CAP(SET_IDENTITY_MAP_ADDR),
	CAP(IRQFD), CAP(PIT2), CAP(SET_BOOT_CPU_ID), CAP(PIT_STATE2),
	CAP(IOEVENTFD), CAP(ADJUST_CLOCK), CAP(VCPU_EVENTS),
	CAP(INTR_SHADOW), CAP(DEBUGREGS), CAP(X86_ROBUST_SINGLESTEP),
	CAP(ENABLE_CAP), CAP(XSAVE), CAP(XCRS), CAP(ASYNC_PF),
	CAP(TSC_CONTROL), CAP(GET_TSC_KHZ), CAP(MAX_VCPUS),
	CAP(SIGNAL_MSI), CAP(TSC_DEADLINE_TIMER), CAP(READONLY_MEM),
	CAP(IRQFD_RESAMPLE), CAP(KVMCLOCK_CTRL), CAP(INTERNAL_ERROR_DATA),
	CAP(EXT_EMUL_CPUID), CAP(CHECK_EXTENSION_VM), CAP(ENABLE_CAP_VM),
	CAP(IOEVENTFD_NO_LENGTH), CAP(IOEVENTFD_ANY_LENGTH),
	CAP(SPLIT_IRQCHIP), CAP(X86_SMM), CAP(MULTI_ADDRESS_SPACE),
	CAP(MAX_VCPU_ID), CAP(X2APIC_API), CAP(IMMEDIATE_EXIT),
	CAP(COALESCED_PIO), CAP(GET_MSR_FEATURES), CAP(NESTED_STATE),
	CAP(MANUAL_DIRTY_LOG_PROTECT2), CAP(HALT_POLL),
	CAP(DIRTY_LOG_RING), CAP(X86_USER_SPACE_MSR), CAP(X86_MSR_FILTER),
	CAP(SYS_ATTRIBUTES), CAP(BINARY_STATS_FD), CAP(VM_TSC_CONTROL),
	CAP(DIRTY_LOG_RING_ACQ_REL), CAP(HYPERV), CAP(SYNC_REGS),
	CAP(EXCEPTION_PAYLOAD), CAP(PMU_EVENT_FILTER), CAP(X86_DISABLE_EXITS),
	CAP(MSR_PLATFORM_INFO), CAP(SMALLER_MAXPHYADDR),
};

const char *kvm_cap_name(long cap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

int kvm_dev_api_version(void)
{
	int fd = open(kvm_dev_path(), O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = __kvm_ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret;
}
