// SPDX-License-Identifier: GPL-2.0
/*
 * msr_model: model-specific MSRs a guest OS probes although the virtual
 * CPU has none of the hardware behind them (arch/x86/msr_model.c), as
 * Linux 6.1 answers them on AMD (x86.c kvm_get/set_msr_common(), svm.c
 * svm_get/set_msr()).  For each MSR of the table, from the guest (RDMSR,
 * WRMSR with #GP caught) and from the host (KVM_GET/SET_MSRS):
 *  - every one reads 0 on a new vCPU;
 *  - "refused": any guest write raises #GP, userspace's write of any
 *    value fails (none is in KVM_GET_MSR_INDEX_LIST, so not even 0 is
 *    taken) -- PLATFORM_ID, EBL_CR_POWERON, the last-branch/interrupt
 *    records, PERF_CTL, SYSCFG, TSEG base/mask, INT_PENDING_MSG, RAPL;
 *  - "dropped": any write succeeds and the MSR still reads 0 -- NB_CFG,
 *    BU_CFG2, DC_CFG, TW_CFG, EX_CFG, and, with no vPMU, the legacy
 *    K7 and P6 counters and event selects;
 *  - MMIO_CONF_BASE: 0 accepted, anything else #GP / refused;
 *  - HWCR: McStatusWrEn (bit 18) sticks and reads back; bits 3, 6, 8
 *    are accepted and dropped; any other bit is #GP / refused;
 *  - VM_HSAVE_PA: a register (svm.c): the guest may write a page-aligned
 *    address below MAXPHYADDR (#GP otherwise), userspace anything; it
 *    reads back without bits 11:0.
 * The reference VM's vPMU is switched off (KVM_CAP_PMU_CAPABILITY) where
 * offered, so the legacy counters are the plain model there too.
 *
 * One known difference is checked per mode: Linux 6.1 never clears
 * McStatusWrEn once set (a write of 0 is accepted and ignored); later
 * Linux fixed that ("KVM: x86: Allow HWCR.McStatusWrEn to be cleared
 * once set"), and kvmm clears it, as the hardware does.
 */
#include "msr_access.h"

#define MSR_IA32_PLATFORM_ID		0x00000017
#define MSR_IA32_EBL_CR_POWERON		0x0000002a
#define MSR_P6_PERFCTR0			0x000000c1
#define MSR_P6_EVNTSEL0			0x00000186
#define MSR_IA32_PERF_CTL		0x00000199
#define MSR_IA32_LASTBRANCHFROMIP	0x000001db
#define MSR_IA32_LASTBRANCHTOIP		0x000001dc
#define MSR_IA32_LASTINTFROMIP		0x000001dd
#define MSR_IA32_LASTINTTOIP		0x000001de
#define MSR_RAPL_POWER_UNIT		0x00000606
#define MSR_PKG_ENERGY_STATUS		0x00000611
#define MSR_DRAM_ENERGY_STATUS		0x00000619
#define MSR_PP0_ENERGY_STATUS		0x00000639
#define MSR_PP1_ENERGY_STATUS		0x00000641
#define MSR_K7_EVNTSEL0			0xc0010000
#define MSR_K7_PERFCTR0			0xc0010004
#define MSR_AMD64_SYSCFG		0xc0010010
#define MSR_K7_HWCR			0xc0010015
#define MSR_AMD64_NB_CFG		0xc001001f
#define MSR_K8_INT_PENDING_MSG		0xc0010055
#define MSR_FAM10H_MMIO_CONF_BASE	0xc0010058
#define MSR_K8_TSEG_ADDR		0xc0010112
#define MSR_K8_TSEG_MASK		0xc0010113
#define MSR_VM_HSAVE_PA			0xc0010117
#define MSR_AMD64_DC_CFG		0xc0011022
#define MSR_AMD64_TW_CFG		0xc0011023
#define MSR_AMD64_BU_CFG2		0xc001102a
#define MSR_F15H_EX_CFG			0xc001102c

#define HWCR_IGNORED			((1ull << 3) | (1ull << 6) | (1ull << 8))
#define HWCR_MCSTATUSWREN		(1ull << 18)
#define HWCR_TSCFREQSEL			(1ull << 24)

/* A value with low and high bits, page-aligned so that no check rejects
 * it for alignment alone. */
#define PATTERN				0x00a5a5a5a5a5a000ull

enum model { REFUSED, DROPPED, ZERO_ONLY };

static const struct {
	const char *name;
	uint32_t index;
	uint32_t count;
	enum model model;
} msrs[] = {
	{ "platform_id",	MSR_IA32_PLATFORM_ID,		1, REFUSED },
	{ "ebl_cr_poweron",	MSR_IA32_EBL_CR_POWERON,	1, REFUSED },
	{ "lastbranchfromip",	MSR_IA32_LASTBRANCHFROMIP,	1, REFUSED },
	{ "lastbranchtoip",	MSR_IA32_LASTBRANCHTOIP,	1, REFUSED },
	{ "lastintfromip",	MSR_IA32_LASTINTFROMIP,		1, REFUSED },
	{ "lastinttoip",	MSR_IA32_LASTINTTOIP,		1, REFUSED },
	{ "perf_ctl",		MSR_IA32_PERF_CTL,		1, REFUSED },
	{ "syscfg",		MSR_AMD64_SYSCFG,		1, REFUSED },
	{ "tseg_addr",		MSR_K8_TSEG_ADDR,		1, REFUSED },
	{ "tseg_mask",		MSR_K8_TSEG_MASK,		1, REFUSED },
	{ "int_pending_msg",	MSR_K8_INT_PENDING_MSG,		1, REFUSED },
	{ "nb_cfg",		MSR_AMD64_NB_CFG,		1, DROPPED },
	{ "bu_cfg2",		MSR_AMD64_BU_CFG2,		1, DROPPED },
	{ "dc_cfg",		MSR_AMD64_DC_CFG,		1, DROPPED },
	{ "tw_cfg",		MSR_AMD64_TW_CFG,		1, DROPPED },
	{ "ex_cfg",		MSR_F15H_EX_CFG,		1, DROPPED },
	{ "mmio_conf_base",	MSR_FAM10H_MMIO_CONF_BASE,	1, ZERO_ONLY },
	{ "k7_evntsel0_3",	MSR_K7_EVNTSEL0,		4, DROPPED },
	{ "k7_perfctr0_3",	MSR_K7_PERFCTR0,		4, DROPPED },
	{ "p6_perfctr0_1",	MSR_P6_PERFCTR0,		2, DROPPED },
	{ "p6_evntsel0_1",	MSR_P6_EVNTSEL0,		2, DROPPED },
	{ "rapl_power_unit",	MSR_RAPL_POWER_UNIT,		1, REFUSED },
	{ "pkg_energy_status",	MSR_PKG_ENERGY_STATUS,		1, REFUSED },
	{ "dram_energy_status",	MSR_DRAM_ENERGY_STATUS,		1, REFUSED },
	{ "pp0_energy_status",	MSR_PP0_ENERGY_STATUS,		1, REFUSED },
	{ "pp1_energy_status",	MSR_PP1_ENERGY_STATUS,		1, REFUSED },
};

static bool ok;

/* Record a failed expectation (all of them are printed, not just one). */
#define EXPECT(cond, fmt, ...)						\
do {									\
	if (!(cond)) {							\
		pr_info("%s: " fmt, #cond, ##__VA_ARGS__);		\
		ok = false;						\
	}								\
} while (0)

/* A guest access: expect #GP or not; returns what RDMSR read. */
static uint64_t guest(struct kvm_vcpu *vcpu, uint32_t index, bool write,
		      uint64_t val, bool gp)
{
	uint64_t got = 0;
	bool faulted = guest_msr(vcpu, index, write, val, &got);

	EXPECT(faulted == gp, "guest %s %#x (%#llx): #GP %d, expected %d",
	       write ? "WRMSR" : "RDMSR", index, (unsigned long long)val,
	       faulted, gp);
	return got;
}

static void guest_reads(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v)
{
	uint64_t got = guest(vcpu, index, false, 0, false);

	EXPECT(got == v, "guest RDMSR %#x = %#llx, expected %#llx", index,
	       (unsigned long long)got, (unsigned long long)v);
}

/* KVM_SET_MSRS of one MSR: expect it taken (1) or refused (0). */
static void host_set(struct kvm_vcpu *vcpu, uint32_t index, uint64_t val,
		     bool taken)
{
	int r = __vcpu_set_msr(vcpu, index, val);

	EXPECT(r == (taken ? 1 : 0), "KVM_SET_MSRS %#x = %#llx: %d", index,
	       (unsigned long long)val, r);
}

static void host_reads(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v)
{
	uint64_t got = 0;
	int r = __vcpu_get_msr(vcpu, index, &got);

	EXPECT(r == 1 && got == v, "KVM_GET_MSRS %#x: %d, %#llx, expected %#llx",
	       index, r, (unsigned long long)got, (unsigned long long)v);
}

static void check_one(struct kvm_vcpu *vcpu, uint32_t index, enum model m)
{
	guest_reads(vcpu, index, 0);
	host_reads(vcpu, index, 0);
	switch (m) {
	case REFUSED:
		guest(vcpu, index, true, 0, true);
		guest(vcpu, index, true, PATTERN, true);
		host_set(vcpu, index, PATTERN, false);
		host_set(vcpu, index, 0, false);
		break;
	case DROPPED:
		guest(vcpu, index, true, PATTERN, false);
		guest(vcpu, index, true, ~0ull, false);
		host_set(vcpu, index, PATTERN, true);
		host_set(vcpu, index, 0, true);
		break;
	case ZERO_ONLY:
		guest(vcpu, index, true, 0, false);
		guest(vcpu, index, true, PATTERN, true);
		host_set(vcpu, index, 0, true);
		host_set(vcpu, index, PATTERN, false);
		break;
	}
	/* Whatever was tried, the MSR still reads 0. */
	guest_reads(vcpu, index, 0);
	host_reads(vcpu, index, 0);
}

static void test_table(struct kvm_vcpu *vcpu)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		ok = true;
		for (j = 0; j < msrs[i].count; j++)
			check_one(vcpu, msrs[i].index + j, msrs[i].model);
		ksft_test_result(ok, "%s", msrs[i].name);
	}
}

static void test_hwcr(struct kvm_vcpu *vcpu)
{
	/* What a write of 0 leaves behind (see the comment at the top). */
	uint64_t after_clear = test_mode() == TEST_MODE_REF ?
			       HWCR_MCSTATUSWREN : 0;

	ok = true;
	guest_reads(vcpu, MSR_K7_HWCR, 0);
	host_reads(vcpu, MSR_K7_HWCR, 0);
	/* McStatusWrEn sticks, for the guest and for userspace. */
	guest(vcpu, MSR_K7_HWCR, true, HWCR_MCSTATUSWREN, false);
	guest_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	host_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	/* Any other bit is refused and leaves the value alone. */
	guest(vcpu, MSR_K7_HWCR, true, HWCR_MCSTATUSWREN | 1, true);
	guest(vcpu, MSR_K7_HWCR, true, HWCR_TSCFREQSEL, true);
	host_set(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN | HWCR_TSCFREQSEL, false);
	guest_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	/* The ignored bits are accepted and not kept. */
	guest(vcpu, MSR_K7_HWCR, true, HWCR_MCSTATUSWREN | HWCR_IGNORED,
	      false);
	guest_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	/* Clearing it. */
	guest(vcpu, MSR_K7_HWCR, true, HWCR_IGNORED, false);
	guest_reads(vcpu, MSR_K7_HWCR, after_clear);
	/* From userspace: the same rules. */
	host_set(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN | HWCR_IGNORED, true);
	host_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	guest_reads(vcpu, MSR_K7_HWCR, HWCR_MCSTATUSWREN);
	host_set(vcpu, MSR_K7_HWCR, 0, true);
	host_reads(vcpu, MSR_K7_HWCR, after_clear);
	ksft_test_result(ok, "hwcr_mcstatuswren");
}

static void test_hsave_pa(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e;
	unsigned int maxphyaddr = 36;

	/* SVM's MSR: KVM's VMX takes and drops it (reads 0), as will kvmm's. */
	if (!host_cpu_is_amd()) {
		ksft_test_result_skip("vm_hsave_pa", "VM_HSAVE_PA is AMD's");
		return;
	}

	e = cpuid_find_entry(kvm_get_supported_cpuid(), 0x80000008, 0);
	if (e && (e->eax & 0xff))
		maxphyaddr = e->eax & 0xff;
	ok = true;
	guest_reads(vcpu, MSR_VM_HSAVE_PA, 0);
	host_reads(vcpu, MSR_VM_HSAVE_PA, 0);
	guest(vcpu, MSR_VM_HSAVE_PA, true, 0x12345000, false);
	guest_reads(vcpu, MSR_VM_HSAVE_PA, 0x12345000);
	/* Not page-aligned, or beyond MAXPHYADDR: #GP, value kept. */
	guest(vcpu, MSR_VM_HSAVE_PA, true, 0x12346008, true);
	guest(vcpu, MSR_VM_HSAVE_PA, true, 1ull << maxphyaddr, true);
	guest_reads(vcpu, MSR_VM_HSAVE_PA, 0x12345000);
	/* Userspace may set anything; bits 11:0 are dropped. */
	host_set(vcpu, MSR_VM_HSAVE_PA, (1ull << maxphyaddr) | 0xfff, true);
	host_reads(vcpu, MSR_VM_HSAVE_PA, 1ull << maxphyaddr);
	guest_reads(vcpu, MSR_VM_HSAVE_PA, 1ull << maxphyaddr);
	host_set(vcpu, MSR_VM_HSAVE_PA, 0, true);
	guest_reads(vcpu, MSR_VM_HSAVE_PA, 0);
	ksft_test_result(ok, "vm_hsave_pa");
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	vm = vm_create(0);
	/* The reference's vPMU would own the legacy counters: off. */
	if (vm_check_cap(vm, KVM_CAP_PMU_CAPABILITY) & KVM_PMU_CAP_DISABLE) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_PMU_CAPABILITY,
			.args[0] = KVM_PMU_CAP_DISABLE,
		};

		vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
		pr_info("%s: vPMU switched off", test_mode_name());
	}
	vcpu = vm_vcpu_add(vm, 0, guest_msr_ops);
	vm_install_msr_gp_handler(vm);

	ksft_set_plan(ARRAY_SIZE(msrs) + 2);
	test_table(vcpu);
	test_hwcr(vcpu);
	test_hsave_pa(vcpu);
	kvm_vm_free(vm);
	ksft_finished();
}
