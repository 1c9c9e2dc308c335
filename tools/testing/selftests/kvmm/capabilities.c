// SPDX-License-Identifier: GPL-2.0
/*
 * capabilities: KVM_CHECK_EXTENSION on the system fd.
 *
 * Generic rules, true for Linux KVM and required of kvmm: an unknown
 * capability answers 0 (not an error), every answer is >= 0, and answers are
 * constants of the host: the same on every call and every fd.  The argument
 * is a long; Linux KVM compares all 64 bits, so a known number with upper
 * bits set is unknown, not the known capability.
 *
 * kvmm mode only: capabilities kvmm does not implement yet must answer 0,
 * because userspace (QEMU, kvmtool, the selftests) turns a nonzero answer
 * into use of the feature.
 */
#include <limits.h>
#include <string.h>

#include "kvm_util.h"

#include "host_util.h"
#include "kvmm_env.h"

/* Scan range for the generic checks: past every number <linux/kvm.h> has. */
#define CAP_SCAN_MAX	512

/*
 * Capabilities kvmm does not implement yet, so it must answer 0.
 *
 * This is the one list to edit: when an issue implements a capability it
 * moves the entry out of here (and into a test of its own that checks the
 * answer it now gives).
 */
#define NOT_YET(name)	{ KVM_CAP_##name, #name }
static const struct {
	long cap;
	const char *name;
} kvmm_not_implemented[] = {
	/* Memory */
	NOT_YET(MULTI_ADDRESS_SPACE),
	NOT_YET(DIRTY_LOG_RING),
	NOT_YET(DIRTY_LOG_RING_ACQ_REL),
	/* vCPUs */
	NOT_YET(INTERNAL_ERROR_DATA),
	NOT_YET(SET_GUEST_DEBUG),
	NOT_YET(X86_ROBUST_SINGLESTEP),
	NOT_YET(EXCEPTION_PAYLOAD),
	NOT_YET(NESTED_STATE),
	/* CPUID, MSRs, time */
	NOT_YET(EXT_EMUL_CPUID),
	NOT_YET(X86_USER_SPACE_MSR),
	NOT_YET(X86_MSR_FILTER),
	NOT_YET(MSR_PLATFORM_INFO),
	NOT_YET(TSC_CONTROL),
	NOT_YET(VM_TSC_CONTROL),
	/* Interrupts and devices */
	NOT_YET(X2APIC_API),
	/* VM-wide controls and introspection */
	NOT_YET(ENABLE_CAP),
	NOT_YET(ENABLE_CAP_VM),
	NOT_YET(HALT_POLL),
	NOT_YET(PMU_EVENT_FILTER),
	NOT_YET(SYS_ATTRIBUTES),
	NOT_YET(BINARY_STATS_FD),
	NOT_YET(X86_SMM),
	NOT_YET(HYPERV),
	NOT_YET(ASYNC_PF),
};

/* Numbers no kernel gives meaning to; all must answer 0. */
static const long unknown_caps[] = {
	0x7fffffff,
	0x40000000,
	CAP_SCAN_MAX * 64,
	-1,
	-2,
	-0x7fffffff,
	LONG_MIN,
	LONG_MAX,
	/* Known numbers with upper bits set: only a full 64-bit compare. */
	(1L << 32) | KVM_CAP_USER_MEMORY,
	(1L << 32) | KVM_CAP_NR_VCPUS,
	(long)(0xffffffff00000000ul | KVM_CAP_IRQCHIP),
};

/* A few capabilities worth seeing side by side between the two modes. */
static const long compare_caps[] = {
	KVM_CAP_USER_MEMORY, KVM_CAP_IRQCHIP, KVM_CAP_HLT, KVM_CAP_NR_VCPUS,
	KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID, KVM_CAP_NR_MEMSLOTS,
	KVM_CAP_SYNC_MMU, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_COALESCED_MMIO,
	KVM_CAP_MULTI_ADDRESS_SPACE, KVM_CAP_X86_SMM, KVM_CAP_NESTED_STATE,
};

static int answers[CAP_SCAN_MAX];

static void test_unknown_caps(int fd)
{
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(unknown_caps); i++) {
		int ret = __kvm_check_cap(fd, unknown_caps[i]);

		if (ret != 0) {
			pr_info("KVM_CHECK_EXTENSION(%#lx) returned %d (errno %s), expected 0",
				unknown_caps[i], ret,
				errno_name(ret < 0 ? errno : 0));
			ok = false;
		}
	}
	ksft_test_result(ok, "unknown_caps_zero");
}

static void test_nonnegative(int fd)
{
	unsigned int bad = 0;
	long cap;

	for (cap = 0; cap < CAP_SCAN_MAX; cap++) {
		answers[cap] = __kvm_check_cap(fd, cap);
		if (answers[cap] < 0) {
			if (bad++ < 8)
				pr_info("KVM_CHECK_EXTENSION(%ld) failed: %s",
					cap, errno_name(errno));
		}
	}
	if (bad)
		pr_info("%u of %d capabilities gave an error", bad,
			CAP_SCAN_MAX);
	ksft_test_result(!bad, "answers_nonnegative");
}

/* Compare the first scan's answers with those from @fd; 0 if equal. */
static unsigned int rescan(int fd, const char *what)
{
	unsigned int differ = 0;
	long cap;

	for (cap = 0; cap < CAP_SCAN_MAX; cap++) {
		int ret = __kvm_check_cap(fd, cap);

		if (ret != answers[cap] && differ++ < 8)
			pr_info("%s: capability %ld answered %d, first %d",
				what, cap, ret, answers[cap]);
	}
	return differ;
}

static void test_stable(int fd)
{
	int fd2;

	ksft_test_result(!rescan(fd, "second call"), "stable_across_calls");

	fd2 = _open_kvm_dev_path_or_exit(O_RDWR);
	ksft_test_result(!rescan(fd2, "second open"), "stable_across_opens");
	close(fd2);
}

/*
 * What kvmm reports once its backend runs guests on this host (the svm
 * configuration today; vmx with the next issue, svm-nonpt with shadow
 * paging).  Elsewhere each of these must answer 0.  -1 means "positive".
 */
#define IMPLEMENTED(name, val)	{ KVM_CAP_##name, #name, val }
static const struct {
	long cap;
	const char *name;
	int value;
} kvmm_implemented[] = {
	IMPLEMENTED(USER_MEMORY, 1),
	IMPLEMENTED(EXT_CPUID, 1),
	IMPLEMENTED(SET_TSS_ADDR, 1),
	IMPLEMENTED(READONLY_MEM, 1),
	IMPLEMENTED(NR_VCPUS, -1),
	IMPLEMENTED(NR_MEMSLOTS, 32764),
	IMPLEMENTED(MP_STATE, 1),
	IMPLEMENTED(SYNC_MMU, 1),
	IMPLEMENTED(DESTROY_MEMORY_REGION_WORKS, 1),
	IMPLEMENTED(JOIN_MEMORY_REGIONS_WORKS, 1),
	IMPLEMENTED(SET_IDENTITY_MAP_ADDR, 1),
	IMPLEMENTED(MAX_VCPUS, 1024),
	IMPLEMENTED(CHECK_EXTENSION_VM, 1),
	IMPLEMENTED(MAX_VCPU_ID, 4096),
	IMPLEMENTED(IMMEDIATE_EXIT, 1),
	IMPLEMENTED(DEBUGREGS, 1),
	IMPLEMENTED(VCPU_EVENTS, 1),
	IMPLEMENTED(USER_NMI, 1),
	IMPLEMENTED(SYNC_REGS, 7),
	IMPLEMENTED(XSAVE, -2),		/* -2: 1 where the host has XSAVE */
	IMPLEMENTED(XCRS, -2),
	IMPLEMENTED(GET_MSR_FEATURES, 1),
	IMPLEMENTED(MCE, 32),
	IMPLEMENTED(HLT, 1),
	IMPLEMENTED(IRQ_ROUTING, 4096),
	IMPLEMENTED(IRQ_INJECT_STATUS, 1),
	IMPLEMENTED(X86_DISABLE_EXITS, 6),	/* HLT | PAUSE */
	IMPLEMENTED(ADJUST_CLOCK, 14),	/* TSC_STABLE | REALTIME | HOST_TSC */
	IMPLEMENTED(GET_TSC_KHZ, 1),
	IMPLEMENTED(KVMCLOCK_CTRL, 1),
	IMPLEMENTED(IRQCHIP, 1),
	IMPLEMENTED(SPLIT_IRQCHIP, 1),
	IMPLEMENTED(IRQFD, 1),
	IMPLEMENTED(IRQFD_RESAMPLE, 1),
	IMPLEMENTED(SIGNAL_MSI, 1),
	IMPLEMENTED(PIT, 1),
	IMPLEMENTED(PIT2, 1),
	IMPLEMENTED(PIT_STATE2, 1),
	IMPLEMENTED(REINJECT_CONTROL, 1),
	IMPLEMENTED(SET_BOOT_CPU_ID, 1),
	IMPLEMENTED(TSC_DEADLINE_TIMER, 1),
};

static bool kvmm_runs_guests_here(void)
{
	return !strcmp(test_config(), "svm");
}

static void test_kvmm_implemented(int fd)
{
	bool guests = kvmm_runs_guests_here();
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(kvmm_implemented); i++) {
		int want = guests ? kvmm_implemented[i].value : 0;

		if (want == -2)
			want = host_cpu_has("xsave") ? 1 : 0;
		int ret = __kvm_check_cap(fd, kvmm_implemented[i].cap);
		bool ok = want == -1 ? ret > 0 : ret == want;

		if (!ok) {
			pr_info("KVM_CAP_%s answered %d, expected %d (config %s)",
				kvmm_implemented[i].name, ret, want,
				test_config());
			bad++;
		}
	}
	ksft_test_result(!bad, "kvmm_implemented_caps");
}

static void test_kvmm_not_implemented(int fd)
{
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(kvmm_not_implemented); i++) {
		int ret = __kvm_check_cap(fd, kvmm_not_implemented[i].cap);

		if (ret != 0) {
			pr_info("KVM_CAP_%s (%ld) answered %d (errno %s); kvmm does not implement it yet",
				kvmm_not_implemented[i].name,
				kvmm_not_implemented[i].cap, ret,
				errno_name(ret < 0 ? errno : 0));
			bad++;
		}
	}
	ksft_test_result(!bad, "kvmm_unimplemented_caps_zero");
}

static void print_answers(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(compare_caps); i++) {
		long cap = compare_caps[i];

		pr_info("%s: KVM_CAP_%s (%ld) = %d", test_mode_name(),
			kvm_cap_name(cap) ?: "?", cap, answers[cap]);
	}
}

int main(void)
{
	enum test_mode mode;
	int fd;

	ksft_print_header();
	mode = test_mode();
	fd = open_kvm_dev_path_or_exit();

	ksft_set_plan(6);
	test_unknown_caps(fd);
	test_nonnegative(fd);
	test_stable(fd);
	print_answers();

	switch (mode) {
	case TEST_MODE_KVMM:
		test_kvmm_not_implemented(fd);
		test_kvmm_implemented(fd);
		break;
	case TEST_MODE_REF:
		ksft_test_result_skip("kvmm_unimplemented_caps_zero",
				      "kvmm's own list; the reference implements them");
		ksft_test_result_skip("kvmm_implemented_caps",
				      "kvmm's own list");
		break;
	default:
		ksft_test_result_skip("kvmm_unimplemented_caps_zero",
				      "KVMM_MODE not set");
		ksft_test_result_skip("kvmm_implemented_caps",
				      "KVMM_MODE not set");
		break;
	}
	close(fd);

	ksft_finished();
}
