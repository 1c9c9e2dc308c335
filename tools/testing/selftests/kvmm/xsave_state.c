// SPDX-License-Identifier: GPL-2.0
/*
 * xsave_state: a guest that turns on XSAVE-managed AVX state keeps it
 * across exits and host FPU use, and the host sees it through the ABI
 * (api.rst "KVM_GET_XCRS", "KVM_GET_XSAVE"); the host's own AVX registers
 * are never touched by the guest's.
 *
 * The host sets the guest's XCR0 to x87|SSE|AVX with KVM_SET_XCRS; the
 * guest sets CR4.OSXSAVE, writes a pattern to YMM0 and exits; the host
 * scribbles its own YMM0, runs the guest again, which checks its YMM0
 * survived; meanwhile KVM_GET_XCRS must still say 7 and KVM_GET_XSAVE
 * must hold the guest's pattern (upper halves of the YMM registers at
 * offset 576 of the standard format, SDM 1 13.4).  XSETBV with a reserved
 * bit must raise #GP.
 *
 * XCR0 is set from the host, not by the guest's XSETBV, because QEMU's
 * TCG (the svm test host) does not intercept XSETBV: there the guest's
 * XSETBV changes the emulated CPU's XCR0 without an exit, for kvm_amd as
 * for kvmm, and KVM_GET_XCRS cannot see it.
 *
 * Whether a guest's XSETBV exits at all is what kvmm's debugfs counter
 * vcpu0/xsetbv_exits tells (white box, kvmm only): with XCR0 = x87|SSE
 * set from the host, the guest runs XSETBV twice (a reserved bit, then
 * x87|SSE|AVX).  Either both exited, the counter says 2 and KVM_GET_XCRS
 * the new value, or (TCG) neither did, 0 and the old value.
 *
 * Then the guest holds a YMM pattern while it spins, and a host thread
 * pinned to the same CPU competes with the vCPU thread, so the scheduler
 * switches away inside KVM_RUN: the guest's registers must be loaded
 * again before it re-enters (TIF_NEED_FPU_LOAD), or it runs on the other
 * task's registers.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "processor.h"

#define GUEST_PATTERN	0x1122334455667788ull
#define HOST_PATTERN	0xa5a5a5a5a5a5a5a5ull

static volatile uint64_t gp_seen;

static void gp_handler(struct ex_regs *regs)
{
	gp_seen++;
	regs->rip += 3;			/* skip XSETBV (0f 01 d1) */
}

static inline void xsetbv(uint32_t index, uint64_t val)
{
	__asm__ __volatile__("xsetbv" : : "c"(index), "a"((uint32_t)val),
			     "d"((uint32_t)(val >> 32)));
}

static void guest_code(void)
{
	uint64_t out[4], in[4] = { GUEST_PATTERN, GUEST_PATTERN + 1,
				   GUEST_PATTERN + 2, GUEST_PATTERN + 3 };
	uint64_t cr4;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 1ul << 18;		/* OSXSAVE */
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4));

	xsetbv(0, 1ull << 62);		/* reserved: #GP */
	GUEST_ASSERT_EQ(gp_seen, 1);

	__asm__ __volatile__("vmovdqu %0, %%ymm0" : : "m"(in) : "xmm0");
	GUEST_SYNC(1);
	__asm__ __volatile__("vmovdqu %%ymm0, %0" : "=m"(out));
	GUEST_ASSERT_EQ(out[0], GUEST_PATTERN);
	GUEST_ASSERT_EQ(out[3], GUEST_PATTERN + 3);
	GUEST_DONE();
}

static void guest_xsetbv_code(void)
{
	uint64_t cr4;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | (1ul << 18)));
	xsetbv(0, 1ull << 62);		/* reserved: #GP */
	GUEST_ASSERT_EQ(gp_seen, 1);
	xsetbv(0, 7);
	GUEST_DONE();
}

/* kvmm's count of XSETBV exits agrees with what KVM_GET_XCRS saw. */
static void test_xsetbv_exits(void)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	unsigned long long exits = ~0ull;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool seen;

	if (test_mode() != TEST_MODE_KVMM) {
		ksft_test_result_skip("xsetbv_exits_counted",
				      "kvmm's debugfs only");
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, guest_xsetbv_code);
	vm_install_exception_handler(vm, 13, gp_handler);
	xcrs.xcrs[0].value = 3;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	TEST_ASSERT(uc.cmd == UCALL_DONE, "expected the guest to finish");
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	TEST_ASSERT(!vm_debugfs_stat(vm->fd, "vcpu0/xsetbv_exits", &exits),
		    "debugfs vcpu0/xsetbv_exits");
	seen = xcrs.xcrs[0].value == 7;
	pr_info("the guest's XSETBV %s kvmm: %llu exits, XCR0 %#llx",
		seen ? "reaches" : "does not reach (host does not intercept)",
		exits, (unsigned long long)xcrs.xcrs[0].value);
	ksft_test_result(exits == (seen ? 2 : 0) &&
			 (seen || xcrs.xcrs[0].value == 3),
			 "xsetbv_exits_counted");
	kvm_vm_free(vm);
}

#define SPIN_ROUNDS	200
static volatile uint64_t spin_bad;

static void guest_spin_code(void)
{
	uint64_t out[4], in[4];
	uint64_t cr4, r;
	int i;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | (1ul << 18)));
	for (r = 0; r < SPIN_ROUNDS; r++) {
		for (i = 0; i < 4; i++)
			in[i] = GUEST_PATTERN ^ (r << 8) ^ i;
		__asm__ __volatile__("vmovdqu %0, %%ymm0" : : "m"(in) : "xmm0");
		for (i = 0; i < 20000; i++)
			__asm__ __volatile__("pause");
		__asm__ __volatile__("vmovdqu %%ymm0, %0" : "=m"(out));
		if (memcmp(in, out, sizeof(in)))
			spin_bad++;
	}
	GUEST_SYNC_ARGS(2, spin_bad, 0, 0, 0);
	GUEST_DONE();
}

static volatile bool competitor_stop;

static void *competitor(void *arg)
{
	uint64_t host_in[4] = { HOST_PATTERN, 1, 2, 3 };

	while (!competitor_stop)
		__asm__ __volatile__("vmovdqu %0, %%ymm0" : : "m"(host_in)
				     : "xmm0");
	return arg;
}

/* Returns the number of rounds in which the guest lost its YMM0. */
static uint64_t ymm_under_preemption(void)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	cpu_set_t cpus;
	struct ucall uc;

	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(cpus), &cpus),
		    "sched_setaffinity");
	vm = vm_create_with_one_vcpu(&vcpu, guest_spin_code);
	xcrs.xcrs[0].value = 7;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
	competitor_stop = false;
	TEST_ASSERT(!pthread_create(&thread, NULL, competitor, NULL),
		    "pthread_create");
	pthread_setaffinity_np(thread, sizeof(cpus), &cpus);
	for (;;) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(vcpu, uc);
		if (uc.cmd == UCALL_SYNC)
			break;
	}
	competitor_stop = true;
	pthread_join(thread, NULL);
	pr_info("YMM0 lost in %llu of %d rounds under preemption",
		(unsigned long long)uc.args[1], SPIN_ROUNDS);
	kvm_vm_free(vm);
	return uc.args[1];
}

static bool cpu_has_avx(void)
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			     : "a"(1), "c"(0));
	return (c & (1u << 28)) && (c & (1u << 27));
}

int main(void)
{
	uint64_t host_in[4] = { HOST_PATTERN, HOST_PATTERN, HOST_PATTERN,
				HOST_PATTERN }, host_out[4];
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu *vcpu;
	struct kvm_cpuid_entry2 *e;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t hi;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_XSAVE));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_XCRS));
	__TEST_REQUIRE(cpu_has_avx(), "the host has no AVX");
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	e = cpuid_find_entry(kvm_get_supported_cpuid(), 1, 0);
	__TEST_REQUIRE(e && (e->ecx & (1u << 28)),
		       "KVM_GET_SUPPORTED_CPUID offers no AVX");
	vm_install_exception_handler(vm, 13, gp_handler);
	ksft_set_plan(6);

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].value = 7;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	TEST_ASSERT(uc.cmd == UCALL_SYNC, "expected a sync");
	ksft_test_result_pass("xsetbv_reserved_bit_gp_avx_usable");

	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	pr_info("KVM_GET_XCRS: nr %u, xcr %u = %#llx", xcrs.nr_xcrs,
		xcrs.xcrs[0].xcr, (unsigned long long)xcrs.xcrs[0].value);
	ksft_test_result(xcrs.nr_xcrs >= 1 && xcrs.xcrs[0].xcr == 0 &&
			 xcrs.xcrs[0].value == 7, "xcr0_kept_across_run");

	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &xsave);
	memcpy(&hi, (uint8_t *)xsave.region + 576, sizeof(hi));
	if (hi != GUEST_PATTERN + 2)
		pr_info("YMM0[191:128] in KVM_GET_XSAVE: %#llx",
			(unsigned long long)hi);
	ksft_test_result(hi == GUEST_PATTERN + 2, "get_xsave_has_guest_ymm");

	/* The host uses YMM0 itself, then the guest checks its own. */
	__asm__ __volatile__("vmovdqu %0, %%ymm0" : : "m"(host_in) : "xmm0");
	vcpu_run(vcpu);
	__asm__ __volatile__("vmovdqu %%ymm0, %0" : "=m"(host_out));
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	pr_info("after: ucall %llu, host ymm0 %#llx..%#llx",
		(unsigned long long)uc.cmd, (unsigned long long)host_out[0],
		(unsigned long long)host_out[3]);
	ksft_test_result(uc.cmd == UCALL_DONE &&
			 host_out[0] == HOST_PATTERN &&
			 host_out[3] == HOST_PATTERN,
			 "guest_and_host_ymm_kept_apart");
	kvm_vm_free(vm);

	test_xsetbv_exits();
	ksft_test_result(!ymm_under_preemption(),
			 "guest_ymm_survives_host_preemption");
	ksft_finished();
}
