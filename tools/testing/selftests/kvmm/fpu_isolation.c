// SPDX-License-Identifier: GPL-2.0
/*
 * fpu_isolation: the extended state VMRUN does not switch stays the
 * guest's while it runs and the host's outside, and no FPU state
 * userspace sets can make the host's XRSTOR fault (issue #12, findings 3
 * and 5).
 *
 * PKRU (SDM 3A 4.6.2): user mode and the kernel's accesses to user pages
 * are checked against it, and the guest changes it with WRPKRU without an
 * exit.  Checked, where the host has PKU (OSPKE):
 *  - a guest that sets CR4.PKE itself and runs WRPKRU sees its value, and
 *    the VMM thread's own PKRU (a distinctive value it set with WRPKRU)
 *    is still its own after the exit;
 *  - KVM_GET_XSAVE carries the guest's PKRU (XSTATE_BV[9] and the PKRU
 *    component at CPUID 0xd.9's offset), and a value KVM_SET_XSAVE puts
 *    there is what the guest's RDPKRU reads next;
 *  - the guest keeps its PKRU across exits and while a thread on the same
 *    CPU with its own PKRU preempts the vCPU thread inside KVM_RUN.
 * XCR0: a guest entered without CR4.OSXSAVE sets it itself (CR4 writes do
 * not exit on kvmm) and reads XCR0 with XGETBV: it must see the XCR0 set
 * with KVM_SET_XCRS, not the host's, and the host's is back afterwards.
 * MXCSR, as Linux 6.1: KVM_SET_FPU ignores its mxcsr field (a reserved
 * bit would make the host's XRSTOR #GP); KVM_SET_XSAVE refuses reserved
 * MXCSR bits, XSTATE_BV bits beyond what is supported, a non-zero
 * XCOMP_BV and reserved header bytes with EINVAL, and takes a valid
 * MXCSR, which the guest then reads.  A guest's LDMXCSR of a reserved bit
 * raises #GP in the guest; QEMU's TCG does not check MXCSR, so that case
 * runs only where the test process's own LDMXCSR faults.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "processor.h"
#include "host_util.h"

#define X86_CR4_PKE		(1UL << 22)
#define CPUID_7_ECX_PKU		(1u << 3)

#define XSAVE_MXCSR		24
#define XSAVE_XSTATE_BV		512
#define XSAVE_XCOMP_BV		520
#define XSAVE_HDR_RESERVED	528
#define XFEATURE_PKRU		9

/* PKRU values: keys 0 stay accessible (every page has key 0). */
#define HOST_PKRU		0x3c3c3c3cu
#define GUEST_PKRU		0xa5a5a5a4u
#define GUEST_PKRU2		0x5a5a5a58u
#define COMPETITOR_PKRU		0x0ff0f0f0u

#define MXCSR_RESERVED		0xffff0000u
#define MXCSR_VALID		0x7f80u		/* masks, round to zero */

static inline uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	__asm__ __volatile__(".byte 0x0f, 0x01, 0xee"	/* RDPKRU */
			     : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static inline void wrpkru(uint32_t val)
{
	__asm__ __volatile__(".byte 0x0f, 0x01, 0xef"	/* WRPKRU */
			     : : "a"(val), "c"(0), "d"(0) : "memory");
}

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

static inline uint32_t stmxcsr(void)
{
	uint32_t v;

	__asm__ __volatile__("stmxcsr %0" : "=m"(v));
	return v;
}

static inline void ldmxcsr(uint32_t v)
{
	__asm__ __volatile__("ldmxcsr %0" : : "m"(v));
}

static inline void set_cr4(uint64_t cr4)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4));
}

/* ---- guest ---- */

#define SPIN_ROUNDS	200
#define SPIN_PAUSES	20000

static void guest_pkru_code(void)
{
	uint64_t r, bad = 0;
	int i;

	set_cr4(get_cr4() | X86_CR4_PKE);
	wrpkru(GUEST_PKRU);
	GUEST_SYNC_ARGS(1, rdpkru(), 0, 0, 0);
	/* The host has put GUEST_PKRU2 there with KVM_SET_XSAVE. */
	GUEST_SYNC_ARGS(2, rdpkru(), 0, 0, 0);

	/* Each round spans host timer ticks: exits, and preemption. */
	for (r = 0; r < SPIN_ROUNDS; r++) {
		uint32_t v = GUEST_PKRU ^ (uint32_t)(r << 8);

		wrpkru(v);
		for (i = 0; i < SPIN_PAUSES; i++)
			__asm__ __volatile__("pause");
		if (rdpkru() != v)
			bad++;
	}
	GUEST_SYNC_ARGS(3, bad, 0, 0, 0);
	GUEST_DONE();
}

static void guest_xcr0_code(void)
{
	uint64_t cr4 = get_cr4();

	GUEST_ASSERT(!(cr4 & X86_CR4_OSXSAVE));
	set_cr4(cr4 | X86_CR4_OSXSAVE);
	GUEST_SYNC_ARGS(1, xgetbv0(), 0, 0, 0);
	GUEST_DONE();
}

static volatile uint64_t gp_count;
static uint64_t try_ldmxcsr;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 4;		/* LDMXCSR (%rax): 0f ae 50 00 */
}

static void guest_mxcsr_code(void)
{
	uint32_t bad = MXCSR_RESERVED, before;

	GUEST_SYNC_ARGS(0, stmxcsr(), 0, 0, 0);
	GUEST_SYNC_ARGS(1, stmxcsr(), 0, 0, 0);
	GUEST_SYNC_ARGS(2, stmxcsr(), 0, 0, 0);
	if (try_ldmxcsr) {
		before = stmxcsr();
		/* Spelled out so the #GP handler knows the length. */
		__asm__ __volatile__(".byte 0x0f, 0xae, 0x50, 0x00"
				     : : "a"(&bad) : "memory");
		GUEST_SYNC_ARGS(3, gp_count, stmxcsr(), before, 0);
	}
	GUEST_DONE();
}

/* ---- host ---- */

static bool host_has_pku(void)
{
	return host_cpu_has("pku") && host_cpu_has("ospke");
}

static uint32_t pkru_offset(void)
{
	uint32_t a, b, c, d;

	cpuid_count(0xd, XFEATURE_PKRU, &a, &b, &c, &d);
	return b;
}

static uint64_t *xsave_u64(struct kvm_xsave *xs, unsigned int off)
{
	return (uint64_t *)((uint8_t *)xs->region + off);
}

static uint32_t *xsave_u32(struct kvm_xsave *xs, unsigned int off)
{
	return (uint32_t *)((uint8_t *)xs->region + off);
}

static void pin_here(cpu_set_t *cpus)
{
	CPU_ZERO(cpus);
	CPU_SET(sched_getcpu(), cpus);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(*cpus), cpus),
		    "sched_setaffinity");
}

static volatile bool competitor_stop;
static volatile uint64_t competitor_bad;

/* Shares the vCPU thread's CPU with a PKRU of its own, checked all along. */
static void *competitor(void *arg)
{
	wrpkru(COMPETITOR_PKRU);
	while (!competitor_stop) {
		if (rdpkru() != COMPETITOR_PKRU)
			competitor_bad++;
	}
	return arg;
}

static void test_pkru(void)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_xsave xsave;
	struct rusage ru;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	cpu_set_t cpus;
	struct ucall uc;
	uint32_t off, host_after, val;
	bool has_bv, ok;

	static const char *const names[] = {
		"supported_cpuid_offers_pku", "guest_wrpkru_stays_in_guest",
		"get_xsave_has_guest_pkru", "set_xsave_pkru_reaches_guest",
		"guest_pkru_survives_exits_and_preemption",
	};

	if (!host_has_pku()) {
		for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
			ksft_test_result_skip(names[i],
					      "no pku/ospke in /proc/cpuinfo");
		return;
	}
	e = cpuid_find_entry(kvm_get_supported_cpuid(), 7, 0);
	/*
	 * Linux 6.1 offers PKU only with NPT/EPT (cpuid.c: "PKU not yet
	 * implemented for shadow paging"); kvmm runs guests only with them.
	 */
	if (test_mode() == TEST_MODE_REF && !host_cpu_has("npt") &&
	    !host_cpu_has("ept") && !(e && (e->ecx & CPUID_7_ECX_PKU))) {
		for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
			ksft_test_result_skip(names[i],
					      "reference: no PKU for guests with shadow paging");
		return;
	}
	ksft_test_result(e && (e->ecx & CPUID_7_ECX_PKU),
			 "supported_cpuid_offers_pku");

	pin_here(&cpus);
	vm = vm_create_with_one_vcpu(&vcpu, guest_pkru_code);
	wrpkru(HOST_PKRU);

	uc = vcpu_run_expect_sync(vcpu, 1);
	host_after = rdpkru();
	pr_info("guest RDPKRU %#llx; VMM thread's PKRU after the exit %#x",
		(unsigned long long)uc.args[1], host_after);
	ksft_test_result(uc.args[1] == GUEST_PKRU && host_after == HOST_PKRU,
			 "guest_wrpkru_stays_in_guest");

	off = pkru_offset();
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &xsave);
	has_bv = *xsave_u64(&xsave, XSAVE_XSTATE_BV) & (1ull << XFEATURE_PKRU);
	val = *xsave_u32(&xsave, off);
	pr_info("KVM_GET_XSAVE: XSTATE_BV %#llx, PKRU at %#x: %#x",
		(unsigned long long)*xsave_u64(&xsave, XSAVE_XSTATE_BV), off,
		val);
	ksft_test_result(has_bv && val == GUEST_PKRU, "get_xsave_has_guest_pkru");

	*xsave_u64(&xsave, XSAVE_XSTATE_BV) |= 1ull << XFEATURE_PKRU;
	*xsave_u32(&xsave, off) = GUEST_PKRU2;
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, &xsave);
	uc = vcpu_run_expect_sync(vcpu, 2);
	host_after = rdpkru();
	pr_info("after KVM_SET_XSAVE: guest RDPKRU %#llx, VMM thread %#x",
		(unsigned long long)uc.args[1], host_after);
	ksft_test_result(uc.args[1] == GUEST_PKRU2 && host_after == HOST_PKRU,
			 "set_xsave_pkru_reaches_guest");

	competitor_stop = false;
	competitor_bad = 0;
	TEST_ASSERT(!pthread_create(&thread, NULL, competitor, NULL),
		    "pthread_create");
	pthread_setaffinity_np(thread, sizeof(cpus), &cpus);
	ok = true;
	for (;;) {
		vcpu_run(vcpu);
		if (rdpkru() != HOST_PKRU)
			ok = false;
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(vcpu, uc);
		if (uc.cmd == UCALL_SYNC)
			break;
	}
	competitor_stop = true;
	getrusage(RUSAGE_THREAD, &ru);
	pthread_join(thread, NULL);
	TEST_ASSERT_EQ(uc.args[0], 3);
	pr_info("PKRU lost in %llu of %d guest rounds; VMM thread kept its own: %d; competitor lost its own %llu times; vCPU thread preempted %ld times",
		(unsigned long long)uc.args[1], SPIN_ROUNDS, ok,
		(unsigned long long)competitor_bad, ru.ru_nivcsw);
	ksft_test_result(!uc.args[1] && ok && !competitor_bad,
			 "guest_pkru_survives_exits_and_preemption");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void test_xcr0(void)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	uint64_t host_xcr0 = xgetbv0(), guest_xcr0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	/* FP|SSE, or FP alone where that is all the host has. */
	guest_xcr0 = host_xcr0 == 3 ? 1 : 3;
	vm = vm_create_with_one_vcpu(&vcpu, guest_xcr0_code);
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = guest_xcr0;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
	uc = vcpu_run_expect_sync(vcpu, 1);
	pr_info("host XCR0 %#llx, set %#llx, guest's XGETBV after setting CR4.OSXSAVE: %#llx",
		(unsigned long long)host_xcr0, (unsigned long long)guest_xcr0,
		(unsigned long long)uc.args[1]);
	ksft_test_result(uc.args[1] == guest_xcr0,
			 "guest_setting_osxsave_sees_its_xcr0");
	vcpu_run_expect_done(vcpu);
	ksft_test_result(xgetbv0() == host_xcr0, "host_xcr0_back_after_run");
	kvm_vm_free(vm);
}

static sigjmp_buf ldmxcsr_jmp;

static void ldmxcsr_sigsegv(int sig)
{
	siglongjmp(ldmxcsr_jmp, sig);
}

/* Does this CPU raise #GP for a reserved MXCSR bit (TCG does not)? */
static bool cpu_checks_mxcsr(void)
{
	struct sigaction sa = { .sa_handler = ldmxcsr_sigsegv }, old;
	uint32_t saved = stmxcsr();
	bool faulted;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(ldmxcsr_jmp, 1)) {
		faulted = true;
	} else {
		ldmxcsr(MXCSR_RESERVED);
		faulted = false;
	}
	sigaction(SIGSEGV, &old, NULL);
	ldmxcsr(saved);
	return faulted;
}

static int set_xsave_errno(struct kvm_vcpu *vcpu, struct kvm_xsave *xs)
{
	return __vcpu_ioctl(vcpu, KVM_SET_XSAVE, xs) ? errno : 0;
}

static void test_mxcsr(void)
{
	struct kvm_xsave good, bad;
	struct kvm_fpu fpu, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t guest_orig;
	uint32_t orig;
	int r, e[4];
	bool checks = cpu_checks_mxcsr();

	vm = vm_create_with_one_vcpu(&vcpu, guest_mxcsr_code);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	write_guest_global(vm, try_ldmxcsr, checks);

	/*
	 * The guest's MXCSR and the buffer's are compared each with itself:
	 * they differ on Linux 6.1 (its buffer says 0 while XSTATE_BV[1,2]
	 * are clear, the guest has the init value 0x1f80).
	 */
	uc = vcpu_run_expect_sync(vcpu, 0);
	guest_orig = uc.args[1];
	vcpu_ioctl(vcpu, KVM_GET_FPU, &fpu);
	orig = fpu.mxcsr;
	fpu.mxcsr = MXCSR_RESERVED;
	fpu.fcw = 0x27f;		/* shows the rest is taken */
	r = __vcpu_ioctl(vcpu, KVM_SET_FPU, &fpu);
	vcpu_ioctl(vcpu, KVM_GET_FPU, &after);
	uc = vcpu_run_expect_sync(vcpu, 1);
	pr_info("KVM_SET_FPU mxcsr %#x: returned %d, KVM_GET_FPU mxcsr %#x (was %#x) fcw %#x, guest STMXCSR %#llx (was %#llx)",
		MXCSR_RESERVED, r, after.mxcsr, orig, after.fcw,
		(unsigned long long)uc.args[1],
		(unsigned long long)guest_orig);
	ksft_test_result(!r && after.mxcsr == orig && after.fcw == 0x27f &&
			 uc.args[1] == guest_orig, "set_fpu_leaves_mxcsr_alone");

	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &good);
	/* x87 and SSE state given, so MXCSR is taken from the buffer. */
	*xsave_u64(&good, XSAVE_XSTATE_BV) |= 3;

	bad = good;
	*xsave_u32(&bad, XSAVE_MXCSR) = MXCSR_RESERVED;
	e[0] = set_xsave_errno(vcpu, &bad);
	bad = good;
	*xsave_u64(&bad, XSAVE_XSTATE_BV) |= 1ull << 62;
	e[1] = set_xsave_errno(vcpu, &bad);
	bad = good;
	*xsave_u64(&bad, XSAVE_XCOMP_BV) = (1ull << 63) | 3;
	e[2] = set_xsave_errno(vcpu, &bad);
	bad = good;
	*xsave_u64(&bad, XSAVE_HDR_RESERVED + 8) = 1;
	e[3] = set_xsave_errno(vcpu, &bad);
	vcpu_ioctl(vcpu, KVM_GET_FPU, &after);
	pr_info("KVM_SET_XSAVE errnos: MXCSR %d, XSTATE_BV %d, XCOMP_BV %d, reserved %d; mxcsr after %#x",
		e[0], e[1], e[2], e[3], after.mxcsr);
	ksft_test_result(e[0] == EINVAL && e[1] == EINVAL && e[2] == EINVAL &&
			 e[3] == EINVAL && after.mxcsr == orig,
			 "set_xsave_refuses_what_xrstor_faults_on");

	*xsave_u32(&good, XSAVE_MXCSR) = MXCSR_VALID;
	r = set_xsave_errno(vcpu, &good);
	uc = vcpu_run_expect_sync(vcpu, 2);
	pr_info("KVM_SET_XSAVE mxcsr %#x: %d, guest STMXCSR %#llx",
		MXCSR_VALID, r, (unsigned long long)uc.args[1]);
	ksft_test_result(!r && uc.args[1] == MXCSR_VALID,
			 "set_xsave_valid_mxcsr_reaches_guest");

	if (checks) {
		uc = vcpu_run_expect_sync(vcpu, 3);
		pr_info("guest LDMXCSR %#x: %llu #GP, MXCSR %#llx (before %#llx)",
			MXCSR_RESERVED, (unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3]);
		ksft_test_result(uc.args[1] == 1 && uc.args[2] == uc.args[3],
				 "guest_ldmxcsr_reserved_gp");
	} else {
		ksft_test_result_skip("guest_ldmxcsr_reserved_gp",
				      "this CPU does not check MXCSR (QEMU TCG)");
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_XSAVE));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_XCRS));
	ksft_set_plan(11);

	test_pkru();
	test_xcr0();
	test_mxcsr();
	ksft_finished();
}
