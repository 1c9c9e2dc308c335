// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_abi: what QEMU 7.2's x86 KVM code (target/i386/kvm/kvm.c,
 * accel/kvm/kvm-all.c) needs from the VM and vCPU ioctls with its own
 * interrupt controllers (kernel_irqchip=off).
 *
 *  - MSRs: the batch kvm_put_msrs() writes at reset, driven as QEMU drives
 *    it by KVM_GET_MSR_INDEX_LIST (its has_msr_* flags), the kvmclock MSRs
 *    it adds whatever the CPUID, MTRRs and the machine-check banks; QEMU
 *    asserts that KVM_SET_MSRS takes the whole batch, and reads the same
 *    MSRs back with KVM_GET_MSRS.
 *  - Machine checks (api.rst KVM_X86_SETUP_MCE, KVM_X86_SET_MCE; Linux
 *    6.1 x86.c set_msr_mce/get_msr_mce): bank count and MCG_CAP checks,
 *    the values after setup, the MSR write rules, an uncorrected error
 *    raising #MC in the guest (or a shutdown with CR4.MCE clear), a
 *    corrected one logged with overflow.
 *  - KVM's paravirtual CPUID leaves (signature "KVMKVMKVM", features); every
 *    offered feature's MSR takes the value QEMU writes at reset without an
 *    in-kernel irqchip; kvmclock is offered and its MSRs are stored.
 *  - kvm_run.cr8 (api.rst "cr8"): userspace's TPR reaches the guest's CR8,
 *    the guest's writes come back in kvm_run.cr8, a lowered TPR exits with
 *    KVM_EXIT_SET_TPR (so a userspace LAPIC can deliver what it held back),
 *    reserved bits are refused (-EINVAL, #GP in the guest).
 *  - Without an in-kernel irqchip: KVM_CAP_IRQ_ROUTING (QEMU's hard
 *    requirement), KVM_SET_GSI_ROUTING -EINVAL after reading the header,
 *    KVM_IRQ_LINE(_STATUS) -ENXIO, KVM_SET_MP_STATE RUNNABLE only.
 */
#include "msr_access.h"
#include "kvmm_env.h"

/* MSRs (Intel SDM 4; AMD APM 2 appendix A; Linux msr.rst). */
#define MSR_IA32_TSC			0x10
#define MSR_KVM_WALL_CLOCK		0x11
#define MSR_KVM_SYSTEM_TIME		0x12
#define MSR_IA32_SYSENTER_CS		0x174
#define MSR_IA32_SYSENTER_ESP		0x175
#define MSR_IA32_SYSENTER_EIP		0x176
#define MSR_IA32_MCG_CAP		0x179
#define MSR_IA32_MCG_STATUS		0x17a
#define MSR_IA32_MCG_CTL		0x17b
#define MSR_IA32_MISC_ENABLE		0x1a0
#define MSR_MTRRphysBase0		0x200
#define MSR_MTRRfix64K_00000		0x250
#define MSR_MTRRfix16K_80000		0x258
#define MSR_MTRRfix16K_A0000		0x259
#define MSR_MTRRfix4K_C0000		0x268
#define MSR_IA32_CR_PAT			0x277
#define MSR_IA32_MC0_CTL2		0x280
#define MSR_MTRRdefType			0x2ff
#define MSR_IA32_MC0_CTL		0x400
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SYSCALL_MASK		0xc0000084
#define MSR_KERNEL_GS_BASE		0xc0000102
#define MSR_KVM_WALL_CLOCK_NEW		0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01
#define MSR_KVM_ASYNC_PF_EN		0x4b564d02
#define MSR_KVM_STEAL_TIME		0x4b564d03
#define MSR_KVM_PV_EOI_EN		0x4b564d04
#define MSR_KVM_POLL_CONTROL		0x4b564d05
#define MSR_KVM_ASYNC_PF_INT		0x4b564d06

#define MCG_CTL_P		(1ull << 8)
#define MCG_SER_P		(1ull << 24)
#define MCG_STATUS_RIPV		(1ull << 0)
#define MCG_STATUS_MCIP		(1ull << 2)
#define MCI_STATUS_VAL		(1ull << 63)
#define MCI_STATUS_OVER		(1ull << 62)
#define MCI_STATUS_UC		(1ull << 61)
#define MCI_STATUS_EN		(1ull << 60)
#define MCI_STATUS_S		(1ull << 56)
#define QEMU_MCE_BANKS		10	/* QEMU's MCE_BANKS_DEF */

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE		0
#define KVM_FEATURE_NOP_IO_DELAY	1
#define KVM_FEATURE_CLOCKSOURCE2	3
#define KVM_FEATURE_ASYNC_PF		4
#define KVM_FEATURE_STEAL_TIME		5
#define KVM_FEATURE_PV_EOI		6
#define KVM_FEATURE_POLL_CONTROL	12
#define KVM_FEATURE_ASYNC_PF_INT	14
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT	24

#define MC_VECTOR		18
#define IRQ_VECTOR		0x40
#define X86_CR4_MCE		(1ul << 6)

/* AND @cond into @ok, naming the condition that failed. */
#define CHECK(ok, cond)							\
do {									\
	bool __c = (cond);						\
									\
	if (!__c)							\
		pr_info("%s:%d: %s failed", __func__, __LINE__, #cond);	\
	(ok) &= __c;							\
} while (0)

static bool is_ref(void)
{
	return test_mode() == TEST_MODE_REF;
}

/* ---- the reset batch (kvm_put_msrs(), KVM_PUT_RESET_STATE) ---- */

struct msr_val {
	uint32_t index;
	uint64_t value;
};

static struct {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[256];
} batch;

static void add(uint32_t index, uint64_t value)
{
	TEST_ASSERT(batch.hdr.nmsrs < 255, "batch full");
	batch.e[batch.hdr.nmsrs].index = index;
	batch.e[batch.hdr.nmsrs].data = value;
	batch.hdr.nmsrs++;
}

static struct kvm_msr_list *index_list(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	int fd = open_kvm_dev_path_or_exit();

	TEST_ASSERT(__kvm_ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe) == -1 &&
		    errno == E2BIG, "KVM_GET_MSR_INDEX_LIST probe");
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	l->nmsrs = probe.nmsrs;
	kvm_ioctl(fd, KVM_GET_MSR_INDEX_LIST, l);
	close(fd);
	return l;
}

static bool listed(const struct kvm_msr_list *l, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < l->nmsrs; i++)
		if (l->indices[i] == index)
			return true;
	return false;
}

/* QEMU's MSRs that it writes only when KVM lists them, and their values. */
static const struct msr_val qemu_optional[] = {
	{ MSR_STAR, 0x0023001000000000ull },
	{ 0xc0010117, 0 },			/* MSR_VM_HSAVE_PA */
	{ 0x3b, 0 },				/* MSR_TSC_ADJUST */
	{ MSR_IA32_MISC_ENABLE, 1 },		/* fast strings */
	{ 0x9e, 0x30000 },			/* MSR_IA32_SMBASE */
	{ 0x34, 0 },				/* MSR_SMI_COUNT */
	{ 0x48, 0 },				/* MSR_IA32_SPEC_CTRL */
	{ 0xc0000104, 1ull << 32 },		/* MSR_AMD64_TSC_RATIO */
	{ 0xc001011f, 0 },			/* MSR_VIRT_SSBD */
	{ 0xda0, 0 },				/* MSR_IA32_XSS */
	{ 0x6e0, 0 },				/* MSR_IA32_TSC_DEADLINE */
};

static bool mce_setup(struct kvm_vcpu *vcpu, uint64_t *cap)
{
	uint64_t supported;

	if (kvm_check_cap(KVM_CAP_MCE) <= 0)
		return false;
	kvm_ioctl(vcpu->vm->kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported);
	/* What kvm_arch_init_vcpu() asks for: its default, less the rest. */
	*cap = ((MCG_CTL_P | MCG_SER_P) & supported) | QEMU_MCE_BANKS;
	vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, cap);
	return true;
}

static void build_reset_batch(const struct kvm_msr_list *l, uint64_t mcg_cap)
{
	unsigned int i;

	batch.hdr.nmsrs = 0;
	add(MSR_IA32_SYSENTER_CS, 0x10);
	/* 32-bit values: KVM keeps only those for an AMD guest. */
	add(MSR_IA32_SYSENTER_ESP, 0x81004000);
	add(MSR_IA32_SYSENTER_EIP, 0x81001000);
	add(MSR_IA32_CR_PAT, 0x0007040600070406ull);
	for (i = 0; i < ARRAY_SIZE(qemu_optional); i++)
		if (listed(l, qemu_optional[i].index))
			add(qemu_optional[i].index, qemu_optional[i].value);
	add(MSR_CSTAR, 0xffffffff81a00100ull);
	add(MSR_KERNEL_GS_BASE, 0xffff888000000000ull);
	add(MSR_SYSCALL_MASK, 0x47700);
	add(MSR_LSTAR, 0xffffffff81a00000ull);
	/*
	 * Far from the VM's own TSC: KVM takes a host write within a second
	 * of it as a synchronization and keeps its offset (6.1's
	 * kvm_synchronize_tsc()), which the vmx host's slow TSC showed.
	 */
	add(MSR_IA32_TSC, 1ull << 40);
	/* Not enabled (bit 0 clear), and outside guest memory. */
	add(MSR_KVM_SYSTEM_TIME, 0xf0001000);
	add(MSR_KVM_WALL_CLOCK, 0xf0002000);
	/* MTRRs: CPUID.1:EDX.MTRR is in every QEMU model. */
	add(MSR_MTRRdefType, 0xc06);
	add(MSR_MTRRfix64K_00000, 0x0606060606060606ull);
	add(MSR_MTRRfix16K_80000, 0x0606060606060606ull);
	add(MSR_MTRRfix16K_A0000, 0);
	for (i = 0; i < 8; i++)
		add(MSR_MTRRfix4K_C0000 + i, 0x0505050505050505ull);
	for (i = 0; i < 8; i++) {
		add(MSR_MTRRphysBase0 + 2 * i, i ? 0 : 0x80000000ull);
		add(MSR_MTRRphysBase0 + 2 * i + 1, i ? 0 : 0xf80000800ull);
	}
	if (mcg_cap) {
		add(MSR_IA32_MCG_STATUS, 0);
		add(MSR_IA32_MCG_CTL, ~0ull);
		for (i = 0; i < (mcg_cap & 0xff) * 4; i++)
			add(MSR_IA32_MC0_CTL + i,
			    i % 4 == 0 ? ~0ull : i % 4 == 1 ? 0 : 0x1000 * i);
	}
}

static void guest_idle(void)
{
	for (;;)
		GUEST_SYNC(0);
}

static void test_reset_batch(void)
{
	struct kvm_msr_list *l = index_list();
	struct kvm_msr_entry want[256];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t cap = 0;
	uint32_t i, n;
	int r, bad = 0;

	vm = vm_create_with_one_vcpu(&vcpu, guest_idle);
	mce_setup(vcpu, &cap);
	build_reset_batch(l, cap);
	n = batch.hdr.nmsrs;
	memcpy(want, batch.e, n * sizeof(want[0]));

	r = __vcpu_ioctl(vcpu, KVM_SET_MSRS, &batch);
	if (r != (int)n)
		pr_info("KVM_SET_MSRS took %d of %u; first refused: 0x%x",
			r, n, r >= 0 && r < (int)n ? batch.e[r].index : 0);
	ksft_test_result(r == (int)n, "reset_batch_taken_whole (%u MSRs)", n);

	for (i = 0; i < n; i++)
		batch.e[i].data = 0xdead;
	r = __vcpu_ioctl(vcpu, KVM_GET_MSRS, &batch);
	for (i = 0; r == (int)n && i < n; i++) {
		bool ok = want[i].index == MSR_IA32_TSC ?
			  batch.e[i].data >= want[i].data :
			  batch.e[i].data == want[i].data;

		if (!ok) {
			pr_info("MSR 0x%x read 0x%llx, wrote 0x%llx",
				want[i].index, (unsigned long long)batch.e[i].data,
				(unsigned long long)want[i].data);
			bad++;
		}
	}
	ksft_test_result(r == (int)n && !bad, "reset_batch_reads_back");

	/* The guest runs after the batch (a broken TSC or PAT would show). */
	vcpu_run_expect_sync(vcpu, 0);
	ksft_test_result_pass("guest_runs_after_batch");
	kvm_vm_free(vm);
	free(l);
}

/* ---- machine checks ---- */

static volatile uint64_t mc_count, mc_status, mc_mcg_status;

static void guest_mc_handler(struct ex_regs *regs __attribute__((unused)))
{
	mc_count++;
	mc_status = rdmsr(MSR_IA32_MC0_CTL + 4 * 1 + 1);
	mc_mcg_status = rdmsr(MSR_IA32_MCG_STATUS);
	wrmsr(MSR_IA32_MCG_STATUS, 0);		/* machine check handled */
}

static void guest_mce(void)
{
	__asm__ __volatile__("mov %%cr4, %%rax; or %0, %%rax; mov %%rax, %%cr4"
			     : : "i"(X86_CR4_MCE) : "rax");
	GUEST_SYNC(1);
	GUEST_SYNC(2);		/* #MC delivered before this */
	GUEST_DONE();
}

static void test_mce(void)
{
	struct kvm_x86_mce m = { };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t cap, sup, v;
	bool ok;

	if (kvm_check_cap(KVM_CAP_MCE) <= 0) {
		for (int i = 0; i < 9; i++)
			ksft_test_result_skip("mce", "no KVM_CAP_MCE");
		return;
	}
	kvm_ioctl(open_kvm_dev_path_or_exit(), KVM_X86_GET_MCE_CAP_SUPPORTED,
		  &sup);
	ksft_test_result(kvm_check_cap(KVM_CAP_MCE) == 32 &&
			 (sup & (MCG_CTL_P | MCG_SER_P)) ==
			 (MCG_CTL_P | MCG_SER_P), "mce_cap_32_banks_ctl_ser");

	vm = vm_create_with_one_vcpu(&vcpu, guest_mce);
	vm_install_exception_handler(vm, MC_VECTOR, guest_mc_handler);
	cap = 0;
	ok = __vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, &cap) == -1 &&
	     errno == EINVAL;
	cap = 33;
	ok &= __vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, &cap) == -1 &&
	      errno == EINVAL;
	cap = (1ull << 11) | 4;		/* MCG_TES_P: no KVM offers it */
	ok &= __vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, &cap) == -1 &&
	      errno == EINVAL;
	ok &= __vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, NULL) == -1 &&
	      errno == EFAULT;
	ksft_test_result(ok, "mce_setup_errors");

	mce_setup(vcpu, &cap);
	ok = true;
	/* An AMD host keeps bits 8:0 only (MCG_SER_P is reserved there). */
	if (host_cpu_is_amd())
		cap &= 0x1ff;
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MCG_CAP, &v) == 1 && v == cap);
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MCG_CTL, &v) == 1 && v == ~0ull);
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 4 * 9, &v) == 1 && v == ~0ull);
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 4 * 9 + 3, &v) == 1);
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 4 * 10, &v) == 0);
	ksft_test_result(ok, "mce_banks_after_setup");

	ok = true;
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL, 0x1234) == 0);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL + 4,
				 ~0ull & ~(1ull << 10)) == 1);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL + 4, ~0ull) == 1);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MCG_CTL, 5) == 0);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MCG_CAP, cap) == 0);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL + 1, 0x1234) == 1);
	CHECK(ok, __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL2, &v) == 1 && !v);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL2, 1) == 0);
	CHECK(ok, __vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL + 1, 0) == 1);
	ksft_test_result(ok, "mce_msr_write_rules");

	vcpu_run_expect_sync(vcpu, 1);
	m.bank = 10;
	m.status = MCI_STATUS_VAL | MCI_STATUS_UC;
	ok = __vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m) == -1 && errno == EINVAL;
	m.bank = 1;
	m.status = MCI_STATUS_UC;
	ok &= __vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m) == -1 && errno == EINVAL;
	ksft_test_result(ok, "mce_set_mce_errors");

	m.status = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN |
		   MCI_STATUS_S | 0x9f;
	m.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV;
	m.addr = 0x123000;
	vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m);
	vcpu_run_expect_sync(vcpu, 2);
	sync_global_from_guest(vm, mc_count);
	sync_global_from_guest(vm, mc_status);
	sync_global_from_guest(vm, mc_mcg_status);
	ok = mc_count == 1 && mc_status == m.status &&
	     mc_mcg_status == m.mcg_status;
	ok &= __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 4 + 2, &v) == 1 &&
	      v == 0x123000;
	if (!ok)
		pr_info("#MC count %llu, MC1_STATUS 0x%llx, MCG_STATUS 0x%llx",
			(unsigned long long)mc_count,
			(unsigned long long)mc_status,
			(unsigned long long)mc_mcg_status);
	ksft_test_result(ok, "mce_uncorrected_raises_mc");

	/* Corrected errors: logged, no #MC; the second one overflows. */
	m.bank = 2;
	m.status = MCI_STATUS_VAL | MCI_STATUS_EN | 0x1;
	m.mcg_status = 0;
	vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m);
	vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m);
	ok = __vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 8 + 1, &v) == 1 &&
	     v == (m.status | MCI_STATUS_OVER);
	vcpu_run_expect_done(vcpu);
	sync_global_from_guest(vm, mc_count);
	ksft_test_result(ok && mc_count == 1, "mce_corrected_logged_overflow");
	kvm_vm_free(vm);

	/* CR4.MCE clear: an uncorrected error shuts the vCPU down. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_idle);
	mce_setup(vcpu, &cap);
	vcpu_run_expect_sync(vcpu, 0);
	m.bank = 0;
	m.status = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN |
		   MCI_STATUS_S;
	m.mcg_status = MCG_STATUS_MCIP;
	vcpu_ioctl(vcpu, KVM_X86_SET_MCE, &m);
	vcpu_run(vcpu);
	ksft_test_result(vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN,
			 "mce_without_cr4_mce_shuts_down");
	kvm_vm_free(vm);

	/* The guest's side of the rules. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_msr_ops);
	vm_install_msr_gp_handler(vm);
	mce_setup(vcpu, &cap);
	if (host_cpu_is_amd())
		cap &= 0x1ff;
	ok = true;
	CHECK(ok, guest_msr(vcpu, MSR_IA32_MC0_CTL + 1, true, 1, NULL));
	CHECK(ok, !guest_msr(vcpu, MSR_IA32_MC0_CTL + 1, true, 0, NULL));
	CHECK(ok, guest_msr(vcpu, MSR_IA32_MC0_CTL2, false, 0, NULL));
	CHECK(ok, guest_msr(vcpu, MSR_IA32_MCG_CAP, true, cap, NULL));
	CHECK(ok, !guest_msr(vcpu, MSR_IA32_MCG_CAP, false, 0, &v) && v == cap);
	CHECK(ok, guest_msr(vcpu, MSR_IA32_MC0_CTL + 4 * QEMU_MCE_BANKS, false,
			    0, NULL));
	ksft_test_result(ok, "mce_guest_msr_rules");
	kvm_vm_free(vm);
}

/* ---- KVM's paravirtual leaves and MSRs ---- */

/* Each PV feature with an MSR, and what QEMU writes there at reset. */
static const struct {
	int bit;
	uint32_t msr;
	uint64_t reset;
} pv_msrs[] = {
	{ KVM_FEATURE_CLOCKSOURCE, MSR_KVM_SYSTEM_TIME, 0 },
	{ KVM_FEATURE_CLOCKSOURCE, MSR_KVM_WALL_CLOCK, 0 },
	{ KVM_FEATURE_CLOCKSOURCE2, MSR_KVM_SYSTEM_TIME_NEW, 0 },
	{ KVM_FEATURE_CLOCKSOURCE2, MSR_KVM_WALL_CLOCK_NEW, 0 },
	{ KVM_FEATURE_ASYNC_PF, MSR_KVM_ASYNC_PF_EN, 0 },
	{ KVM_FEATURE_STEAL_TIME, MSR_KVM_STEAL_TIME, 0 },
	{ KVM_FEATURE_PV_EOI, MSR_KVM_PV_EOI_EN, 0 },
	{ KVM_FEATURE_POLL_CONTROL, MSR_KVM_POLL_CONTROL, 1 },
	{ KVM_FEATURE_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_INT, 0 },
};

static void test_pv(void)
{
	const struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	struct kvm_cpuid_entry2 *sig, *feat;
	struct kvm_vcpu *vcpu, *vcpu1;
	struct kvm_vm *vm;
	unsigned int i, refused = 0;
	uint64_t v;
	bool ok;

	sig = cpuid_find_entry(c, KVM_CPUID_SIGNATURE, 0);
	feat = cpuid_find_entry(c, KVM_CPUID_FEATURES, 0);
	ok = sig && feat && sig->eax >= KVM_CPUID_FEATURES &&
	     !memcmp(&sig->ebx, "KVMK", 4) && !memcmp(&sig->ecx, "VMKV", 4) &&
	     !memcmp(&sig->edx, "M\0\0\0", 4);
	ksft_test_result(ok, "pv_signature_leaf");
	if (!feat) {
		for (i = 0; i < 4; i++)
			ksft_test_result_skip("pv", "no leaf 0x40000001");
		return;
	}
	pr_info("%s: leaf 0x40000001 EAX 0x%x EDX 0x%x", test_mode_name(),
		feat->eax, feat->edx);

	/* What QEMU does at reset with the features it is offered. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_msr_ops);
	for (i = 0; i < ARRAY_SIZE(pv_msrs); i++) {
		if (!(feat->eax & (1u << pv_msrs[i].bit)))
			continue;
		if (__vcpu_set_msr(vcpu, pv_msrs[i].msr, pv_msrs[i].reset) != 1) {
			pr_info("offered feature %d: MSR 0x%x refuses 0x%llx",
				pv_msrs[i].bit, pv_msrs[i].msr,
				(unsigned long long)pv_msrs[i].reset);
			refused++;
		}
	}
	if (refused && is_ref())
		ksft_test_result_skip("pv_offered_msrs_take_reset_values",
				      "Linux 6.1 offers ASYNC_PF_INT, whose MSR needs an in-kernel LAPIC (QEMU -cpu max aborts on it)");
	else
		ksft_test_result(!refused, "pv_offered_msrs_take_reset_values");

	/* kvmclock (its own selftest: kvmclock). */
	v = (1u << KVM_FEATURE_CLOCKSOURCE) | (1u << KVM_FEATURE_CLOCKSOURCE2) |
	    (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	ksft_test_result((feat->eax & v) == v, "pv_kvmclock_offered");

	/* kvmclock's MSRs: stored, system time per vCPU, wall clock per VM. */
	vcpu1 = vm_vcpu_add(vm, 1, guest_msr_ops);
	ok = __vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME, 0xf0003000) == 1;
	ok &= __vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0xf0004000) == 1;
	ok &= __vcpu_get_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v) == 1 &&
	      v == 0xf0004000;
	ok &= __vcpu_get_msr(vcpu1, MSR_KVM_SYSTEM_TIME, &v) == 1 && v == 0;
	ok &= __vcpu_set_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW, 0xf0005000) == 1;
	ok &= __vcpu_get_msr(vcpu1, MSR_KVM_WALL_CLOCK, &v) == 1 &&
	      v == 0xf0005000;
	vm_install_msr_gp_handler(vm);
	ok &= !guest_msr(vcpu, MSR_KVM_SYSTEM_TIME, true, 0xf0006000, NULL);
	ok &= __vcpu_get_msr(vcpu, MSR_KVM_SYSTEM_TIME, &v) == 1 &&
	      v == 0xf0006000;
	ksft_test_result(ok, "kvmclock_msrs_stored");

	if (feat->eax & (1u << KVM_FEATURE_POLL_CONTROL)) {
		ok = __vcpu_get_msr(vcpu1, MSR_KVM_POLL_CONTROL, &v) == 1 &&
		     v == 1;
		ok &= !guest_msr(vcpu, MSR_KVM_POLL_CONTROL, true, 0, NULL);
		ok &= guest_msr(vcpu, MSR_KVM_POLL_CONTROL, true, 2, NULL);
		ok &= !guest_msr(vcpu, MSR_KVM_POLL_CONTROL, false, 0, &v) &&
		      v == 0;
		ksft_test_result(ok, "poll_control_msr");
	} else {
		ksft_test_result_skip("poll_control_msr", "not offered");
	}
	kvm_vm_free(vm);
}

/* ---- kvm_run.cr8 and the TPR ---- */

static volatile uint64_t irq_count, gp_count;

static void guest_irq(struct ex_regs *regs __attribute__((unused)))
{
	irq_count++;
}

static void guest_gp(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 4;		/* mov %rax, %cr8: 44 0f 22 c0 */
}

static inline uint64_t get_cr8(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void set_cr8(uint64_t v)
{
	__asm__ __volatile__(".byte 0x44, 0x0f, 0x22, 0xc0"	/* mov rax, cr8 */
			     : : "a"(v) : "memory");
}

static void guest_tpr(void)
{
	GUEST_SYNC_ARGS(1, get_cr8(), 0, 0, 0);	/* userspace's 5 */
	set_cr8(9);				/* a raise: no exit */
	GUEST_SYNC_ARGS(2, get_cr8(), 0, 0, 0);
	set_cr8(2);				/* a lowering: SET_TPR */
	GUEST_SYNC_ARGS(3, get_cr8(), 0, 0, 0);

	/* Userspace's LAPIC holds vector 0x40 (class 4) while TPR is 8. */
	set_cr8(8);
	__asm__ __volatile__("sti; nop");
	GUEST_SYNC(4);
	GUEST_ASSERT_EQ(irq_count, 0);
	set_cr8(0);
	while (!irq_count)
		;
	__asm__ __volatile__("cli");
	GUEST_SYNC(5);

	set_cr8(0x10);				/* reserved bit: #GP */
	GUEST_SYNC_ARGS(6, gp_count, get_cr8(), 0, 0);
	GUEST_DONE();
}

static void test_tpr(void)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	vm = vm_create_with_one_vcpu(&vcpu, guest_tpr);
	vm_install_exception_handler(vm, IRQ_VECTOR, guest_irq);
	vm_install_exception_handler(vm, 13, guest_gp);
	run = vcpu->run;

	run->cr8 = 0x10;
	ksft_test_result(__vcpu_ioctl(vcpu, KVM_RUN, NULL) == -1 &&
			 errno == EINVAL, "run_cr8_reserved_einval");

	run->cr8 = 5;
	uc = vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result(uc.args[1] == 5 && run->cr8 == 5,
			 "run_cr8_loaded_into_guest");

	uc = vcpu_run_expect_sync(vcpu, 2);
	ksft_test_result(uc.args[1] == 9 && run->cr8 == 9,
			 "guest_tpr_raise_reported");

	vcpu_run(vcpu);
	ok = run->exit_reason == KVM_EXIT_SET_TPR && run->cr8 == 2;
	if (!ok)
		pr_info("exit %s, cr8 %llu", exit_reason_str(run->exit_reason),
			(unsigned long long)run->cr8);
	uc = vcpu_run_expect_sync(vcpu, 3);
	ksft_test_result(ok && uc.args[1] == 2, "guest_tpr_lower_exits_set_tpr");

	/* A userspace LAPIC masking by TPR (SDM 3A 10.8.3.1). */
	vcpu_run_expect_sync(vcpu, 4);
	ok = run->cr8 == 8 && run->if_flag &&
	     run->ready_for_interrupt_injection;
	/* 0x40 >> 4 <= 8: held back. */
	vcpu_run(vcpu);
	ok &= run->exit_reason == KVM_EXIT_SET_TPR && run->cr8 == 0 &&
	      run->ready_for_interrupt_injection && run->if_flag;
	if (ok)
		vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	vcpu_run_expect_sync(vcpu, 5);
	sync_global_from_guest(vm, irq_count);
	ksft_test_result(ok && irq_count == 1, "tpr_masking_by_userspace_lapic");

	uc = vcpu_run_expect_sync(vcpu, 6);
	ksft_test_result(uc.args[1] == 1 && uc.args[2] == 0,
			 "guest_cr8_reserved_gp");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* ---- interrupt routing and lines without an irqchip ---- */

static void test_irq_routing(void)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} rt = { };
	struct kvm_irq_level line = { .irq = 4, .level = 1 };
	struct kvm_mp_state mp;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool ok;

	vm = vm_create_with_one_vcpu(&vcpu, guest_idle);
	ksft_test_result(vm_check_cap(vm, KVM_CAP_IRQ_ROUTING) == 4096 &&
			 kvm_check_cap(KVM_CAP_IRQ_ROUTING) == 4096,
			 "irq_routing_cap_4096");
	ksft_test_result(kvm_check_cap(KVM_CAP_HLT) == 1 &&
			 kvm_check_cap(KVM_CAP_IRQ_INJECT_STATUS) == 1,
			 "hlt_and_irq_inject_status_caps");

	ok = __vm_ioctl(vm, KVM_SET_GSI_ROUTING, &rt) == -1 && errno == EINVAL;
	rt.hdr.nr = 1;
	rt.e[0].gsi = 4;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 4;
	ok &= __vm_ioctl(vm, KVM_SET_GSI_ROUTING, &rt) == -1 && errno == EINVAL;
	/* No irqchip is checked before the count and the flags. */
	rt.hdr.nr = 100000;
	rt.hdr.flags = 1;
	ok &= __vm_ioctl(vm, KVM_SET_GSI_ROUTING, &rt) == -1 && errno == EINVAL;
	ok &= __vm_ioctl(vm, KVM_SET_GSI_ROUTING, NULL) == -1 && errno == EFAULT;
	ksft_test_result(ok, "gsi_routing_without_irqchip");

	ok = __vm_ioctl(vm, KVM_IRQ_LINE, &line) == -1 && errno == ENXIO;
	ok &= __vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &line) == -1 &&
	      errno == ENXIO;
	ok &= __vm_ioctl(vm, KVM_IRQ_LINE, NULL) == -1 && errno == EFAULT;
	ksft_test_result(ok, "irq_line_without_irqchip_enxio");

	/* QEMU's userspace APIC keeps every vCPU RUNNABLE (no INIT state). */
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	ok = __vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp) == -1 && errno == EINVAL;
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	ok &= __vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp) == 0;
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	ok &= mp.mp_state == KVM_MP_STATE_RUNNABLE;
	ksft_test_result(ok, "mp_state_runnable_only");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(3 + 9 + 5 + 6 + 5);
	test_reset_batch();
	test_mce();
	test_pv();
	test_tpr();
	test_irq_routing();
	ksft_finished();
}
