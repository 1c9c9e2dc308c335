// SPDX-License-Identifier: GPL-2.0
/*
 * run_long_mode: 64-bit guest code written in C in this file.
 *
 * Covers the selftest machinery itself (ucall round trips, arguments,
 * globals shared with the host, GUEST_ASSERT and exception reporting) and
 * the core of KVM_RUN in long mode: CPUID as set by KVM_SET_CPUID2, and MMIO
 * to guest physical addresses outside every memory slot, which exits with
 * KVM_EXIT_MMIO (Documentation/virt/kvm/api.rst, "kvm_run"): phys_addr, len
 * and is_write describe the access; for a read, userspace puts the value in
 * mmio.data and the next KVM_RUN completes the instruction with it.
 *
 * The MMIO sub-tests are skipped while kvmm's gaps table lists "mmio"
 * (kvmm_gaps.h).
 *
 * Guest code must not call libc (see ucall.h).
 */
#include "kvmm_gaps.h"
#include "processor.h"

/* Outside every slot, inside the identity map: MMIO. */
#define MMIO_GPA	0xc0000000ul

/* ---- ucall round trips ---- */

static volatile uint64_t shared_value;

static void guest_sync(uint64_t a, uint64_t b)
{
	uint64_t i;

	for (i = 0; i < 10; i++)
		GUEST_SYNC_ARGS(i, a + i, b * i, shared_value, 0);
	GUEST_DONE();
}

static void test_sync_round_trip(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync);
	struct ucall uc;
	uint64_t i;
	bool ok = true;

	vcpu_args_set(vcpu, 2, (uint64_t)1000, (uint64_t)3);
	for (i = 0; i < 10; i++) {
		/* Changed between exits, seen by the guest at the next one. */
		shared_value = 0x5a00 + i;
		sync_global_to_guest(vm, shared_value);
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		if (uc.args[0] != i || uc.args[1] != 1000 + i ||
		    uc.args[2] != 3 * i || uc.args[3] != 0x5a00 + i) {
			pr_info("sync %llu: args %llu %llu %llu %#llx",
				(unsigned long long)i,
				(unsigned long long)uc.args[0],
				(unsigned long long)uc.args[1],
				(unsigned long long)uc.args[2],
				(unsigned long long)uc.args[3]);
			ok = false;
		}
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result(ok, "ucall_sync_round_trip");
}

/* ---- guest assertions and exceptions ---- */

enum { FAILING_ASSERT_LINE = __LINE__ + 5 };
static void guest_failing_assert(uint64_t x)
{
	GUEST_SYNC(1);
	/* The host checks the line number below (FAILING_ASSERT_LINE). */
	GUEST_ASSERT_EQ(x + 1, 3);
	GUEST_DONE();
}

static void test_guest_assert(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu,
						    guest_failing_assert);
	char expr[128], file[128], desc[512];
	struct ucall uc;
	bool ok;

	vcpu_args_set(vcpu, 1, (uint64_t)41);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run(vcpu);
	ok = get_ucall(vcpu, &uc) == UCALL_ABORT;
	if (ok) {
		guest_string(vcpu, uc.args[GUEST_ASSERT_EXPR], expr,
			     sizeof(expr));
		guest_string(vcpu, uc.args[GUEST_ASSERT_FILE], file,
			     sizeof(file));
		ucall_describe(vcpu, &uc, desc, sizeof(desc));
		pr_info("as reported: %s", desc);
		ok = !strcmp(expr, "x + 1 == 3") &&
		     strstr(file, "run_long_mode.c") &&
		     uc.args[GUEST_ASSERT_LINE] == FAILING_ASSERT_LINE &&
		     uc.args[GUEST_ASSERT_NR_VALUES] == 2 &&
		     uc.args[GUEST_ASSERT_VALUE0] == 42 &&
		     uc.args[GUEST_ASSERT_VALUE0 + 1] == 3;
	} else {
		pr_info("exit %s, ucall %llu: expected UCALL_ABORT",
			exit_reason_str(vcpu->run->exit_reason),
			(unsigned long long)uc.cmd);
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "guest_assert_reported");
}

extern const uint8_t ud2_insn[];

static void guest_ud2(void)
{
	__asm__ __volatile__("ud2_insn: ud2");
	GUEST_DONE();
}

static void guest_ud_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->vector, UD_VECTOR);
	GUEST_SYNC(regs->rip);
	regs->rip += 2;
}

static void test_exceptions(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_ud2);
	struct ucall uc;
	bool ok;

	/* No handler: the library reports vector and RIP. */
	vcpu_run(vcpu);
	ok = get_ucall(vcpu, &uc) == UCALL_UNHANDLED &&
	     uc.args[0] == UD_VECTOR && uc.args[2] == (uintptr_t)ud2_insn;
	if (!ok)
		pr_info("ucall %llu vector %llu rip %#llx, expected #UD at %p",
			(unsigned long long)uc.cmd,
			(unsigned long long)uc.args[0],
			(unsigned long long)uc.args[2], ud2_insn);
	kvm_vm_free(vm);
	ksft_test_result(ok, "exception_unhandled_reported");

	/* With a handler that skips the instruction, the guest carries on. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_ud2);
	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	vcpu_run_expect_sync(vcpu, (uintptr_t)ud2_insn);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("exception_handler_resumes");
}

/* ---- CPUID ---- */

#define TEST_LEAF	0x80000002	/* first brand string leaf */

static void guest_cpuid(void)
{
	uint32_t a, b, c, d;

	cpuid_count(TEST_LEAF, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(1, a, b, c, d);
	cpuid_count(0, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(2, a, b, c, d);
	GUEST_DONE();
}

static void test_cpuid(void)
{
	struct kvm_cpuid2 *cpuid = kvm_supported_cpuid_copy();
	struct kvm_cpuid_entry2 *e, *e0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	e = cpuid_find_entry(cpuid, TEST_LEAF, 0);
	e0 = cpuid_find_entry(cpuid, 0, 0);
	if (!e || !e0) {
		ksft_test_result_skip("cpuid_set_cpuid2",
				      "no leaf %#x or 0 in KVM_GET_SUPPORTED_CPUID",
				      TEST_LEAF);
		free(cpuid);
		return;
	}
	memcpy(&e->eax, "kvmm", 4);
	memcpy(&e->ebx, " tes", 4);
	memcpy(&e->ecx, "t cp", 4);
	memcpy(&e->edx, "u 1\0", 4);

	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid);
	vcpu_set_cpuid(vcpu, cpuid);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ok = uc.args[1] == e->eax && uc.args[2] == e->ebx &&
	     uc.args[3] == e->ecx && uc.args[4] == e->edx;
	if (!ok)
		pr_info("leaf %#x: %#llx %#llx %#llx %#llx", TEST_LEAF,
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3],
			(unsigned long long)uc.args[4]);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	if (uc.args[1] != e0->eax || uc.args[2] != e0->ebx ||
	    uc.args[3] != e0->ecx || uc.args[4] != e0->edx) {
		pr_info("leaf 0 differs from KVM_SET_CPUID2's");
		ok = false;
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	free(cpuid);
	ksft_test_result(ok, "cpuid_set_cpuid2");
}

/* ---- MMIO ---- */

enum mmio_op {
	MMIO_READ8, MMIO_READ16, MMIO_READ32, MMIO_READ64,
	MMIO_MOVZX8, MMIO_MOVZX16, MMIO_MOVSX8, MMIO_MOVSX16,
	MMIO_WRITE8, MMIO_WRITE16, MMIO_WRITE32, MMIO_WRITE64,
	MMIO_WRITE_IMM32,
	NR_MMIO_OPS,
};

static const struct {
	const char *name;
	unsigned int len;
	bool write;
	uint64_t result;	/* guest's register after a read */
} mmio_ops[] = {
	[MMIO_READ8]	= { "mov8 read", 1, false, 0x11 },
	[MMIO_READ16]	= { "mov16 read", 2, false, 0x2211 },
	[MMIO_READ32]	= { "mov32 read", 4, false, 0x44332211 },
	[MMIO_READ64]	= { "mov64 read", 8, false, 0x8877665544332211 },
	[MMIO_MOVZX8]	= { "movzx8 read", 1, false, 0xf1 },
	[MMIO_MOVZX16]	= { "movzx16 read", 2, false, 0xf2f1 },
	[MMIO_MOVSX8]	= { "movsx8 read", 1, false, 0xfffffffffffffff1 },
	[MMIO_MOVSX16]	= { "movsx16 read", 2, false, 0xfffffffffffff2f1 },
	[MMIO_WRITE8]	= { "mov8 write", 1, true },
	[MMIO_WRITE16]	= { "mov16 write", 2, true },
	[MMIO_WRITE32]	= { "mov32 write", 4, true },
	[MMIO_WRITE64]	= { "mov64 write", 8, true },
	[MMIO_WRITE_IMM32] = { "mov32 imm write", 4, true },
};

#define MMIO_WRITE_VALUE	0x0123456789abcdefull

static void guest_mmio(void)
{
	volatile uint8_t *p = (volatile uint8_t *)MMIO_GPA;
	uint64_t v = MMIO_WRITE_VALUE, r;

	/*
	 * Each access is one instruction chosen here, not by the compiler:
	 * the host checks the width, and a read's result in the guest.
	 */
	r = 0xaaaaaaaaaaaaaaaa;
	__asm__ __volatile__("movb %1, %b0" : "+q"(r) : "m"(p[0x10]));
	GUEST_ASSERT_EQ(r, 0xaaaaaaaaaaaaaa11);
	r = 0xaaaaaaaaaaaaaaaa;
	__asm__ __volatile__("movw %1, %w0" : "+r"(r) : "m"(p[0x20]));
	GUEST_ASSERT_EQ(r, 0xaaaaaaaaaaaa2211);
	__asm__ __volatile__("movl %1, %k0" : "=r"(r) : "m"(p[0x30]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_READ32].result);
	__asm__ __volatile__("movq %1, %0" : "=r"(r) : "m"(p[0x40]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_READ64].result);
	__asm__ __volatile__("movzbq %1, %0" : "=r"(r) : "m"(p[0x50]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_MOVZX8].result);
	__asm__ __volatile__("movzwq %1, %0" : "=r"(r) : "m"(p[0x60]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_MOVZX16].result);
	__asm__ __volatile__("movsbq %1, %0" : "=r"(r) : "m"(p[0x70]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_MOVSX8].result);
	/* 0F BF with REX.W: two bytes read, sign-extended to 64 bits. */
	__asm__ __volatile__("movswq %1, %0" : "=r"(r) : "m"(p[0x80]));
	GUEST_ASSERT_EQ(r, mmio_ops[MMIO_MOVSX16].result);
	__asm__ __volatile__("movb %b1, %0" : "=m"(p[0x90]) : "q"(v));
	__asm__ __volatile__("movw %w1, %0" : "=m"(p[0xa0]) : "r"(v));
	__asm__ __volatile__("movl %k1, %0" : "=m"(p[0xb0]) : "r"(v));
	__asm__ __volatile__("movq %1, %0" : "=m"(p[0xc0]) : "r"(v));
	__asm__ __volatile__("movl $0x89abcdef, %0" : "=m"(p[0xd0]));
	GUEST_DONE();
}

static void test_mmio(void)
{
	static const uint8_t pattern[8] = {
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	static const uint8_t sign_pattern[8] = { 0xf1, 0xf2, 0xf3, 0xf4 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;
	unsigned int op;

	if (kvmm_gap("mmio")) {
		for (op = 0; op < NR_MMIO_OPS; op++)
			kvmm_gap_skip("mmio", "mmio %s", mmio_ops[op].name);
		kvmm_gap_skip("mmio", "mmio_reads_complete");
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, guest_mmio);
	run = vcpu->run;
	for (op = 0; op < NR_MMIO_OPS; op++) {
		uint64_t addr = MMIO_GPA + 0x10 * (op + 1);
		bool ok;

		vcpu_run(vcpu);
		ok = run->exit_reason == KVM_EXIT_MMIO &&
		     run->mmio.phys_addr == addr &&
		     run->mmio.len == mmio_ops[op].len &&
		     run->mmio.is_write == mmio_ops[op].write;
		if (!ok) {
			struct ucall uc;

			if (get_ucall(vcpu, &uc) == UCALL_ABORT)
				REPORT_GUEST_ASSERT(vcpu, uc);
			pr_info("%s: exit %s addr %#llx len %u write %u; expected MMIO at %#llx len %u write %u",
				mmio_ops[op].name,
				exit_reason_str(run->exit_reason),
				(unsigned long long)run->mmio.phys_addr,
				run->mmio.len, run->mmio.is_write,
				(unsigned long long)addr, mmio_ops[op].len,
				mmio_ops[op].write);
		} else if (mmio_ops[op].write) {
			uint64_t want = op == MMIO_WRITE_IMM32 ?
					0x89abcdef : MMIO_WRITE_VALUE;

			ok = !memcmp(run->mmio.data, &want, run->mmio.len);
			if (!ok)
				pr_info("%s: data %#llx", mmio_ops[op].name,
					*(unsigned long long *)run->mmio.data);
		} else {
			memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
			memcpy(run->mmio.data,
			       op >= MMIO_MOVZX8 ? sign_pattern : pattern,
			       run->mmio.len);
		}
		ksft_test_result(ok, "mmio %s", mmio_ops[op].name);
		if (!ok) {
			ksft_exit_fail_msg("MMIO sequence out of step");
		}
	}
	/* The reads' results are checked by the guest. */
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_test_result_pass("mmio_reads_complete");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());

	ksft_set_plan(6 + NR_MMIO_OPS);
	test_sync_round_trip();
	test_guest_assert();
	test_exceptions();
	test_cpuid();
	test_mmio();
	ksft_finished();
}
