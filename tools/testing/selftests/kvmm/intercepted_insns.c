// SPDX-License-Identifier: GPL-2.0
/*
 * intercepted_insns: instructions the hypervisor intercepts and carries
 * out itself resume the guest right after themselves, whatever prefixes
 * they carry, and fault as the CPU would.
 *
 * Without NRIP save (QEMU's SVM) the hypervisor must find the length of
 * an intercepted CPUID, RDMSR, MOV DR, HLT... by decoding it: redundant
 * prefixes and REX count (SDM Vol. 2A 2.1), a LOCK prefix is #UD, and
 * MOV DR with REX.R names DR8-15, which do not exist: #UD.  Each case is
 * followed by a marker store that a wrong length would skip or garble.
 *
 * The two #UD cases are kvmm's only.  A real CPU raises those #UDs before
 * it checks intercepts (APM vol. 2, 15.7.1), but QEMU's TCG intercepts
 * first, and Linux KVM then skips the instruction without looking at its
 * prefixes: in the reference host LOCK CPUID runs as CPUID.  kvmm checks
 * what it decodes, so its guests see the CPU's behaviour either way.
 */
#include "processor.h"
#include "kvmm_env.h"

static volatile uint64_t ud_count, ud_rip;
static volatile uint64_t marker;

/* Labels in guest_code's inline assembly. */
extern const char lock_cpuid[], movdr_rexr[], hlt_prefixed_end[];

static void guest_ud_handler(struct ex_regs *regs)
{
	ud_count++;
	ud_rip = regs->rip;
	/* Skip the faulting instruction: both cases are 3 or 4 bytes. */
	regs->rip += regs->rip == (uintptr_t)lock_cpuid ? 3 : 4;
}

static void guest_code(void)
{
	uint64_t a, d;

	/* CPUID with operand-size, CS and REX.W prefixes (5 bytes). */
	__asm__ __volatile__(".byte 0x66, 0x2e, 0x48, 0x0f, 0xa2\n\t"
			     "movq $1, marker(%%rip)"
			     : "=a"(a) : "a"(0), "c"(0) : "rbx", "rdx", "memory");
	GUEST_SYNC_ARGS(1, marker, a, 0, 0);

	/* RDMSR (EFER) with a segment prefix. */
	__asm__ __volatile__(".byte 0x3e, 0x0f, 0x32\n\t"
			     "movq $2, marker(%%rip)"
			     : "=a"(a), "=d"(d) : "c"(0xc0000080) : "memory");
	GUEST_SYNC_ARGS(2, marker, a, d, 0);

	/* MOV DR7, R9 and back through R10 (REX.B). */
	__asm__ __volatile__("mov $0x401, %%r9\n\t"
			     ".byte 0x41, 0x0f, 0x23, 0xf9\n\t"	/* mov %r9, %dr7 */
			     ".byte 0x41, 0x0f, 0x21, 0xfa\n\t"	/* mov %dr7, %r10 */
			     "mov %%r10, %0\n\t"
			     "movq $3, marker(%%rip)"
			     : "=r"(a) : : "r9", "r10", "memory");
	GUEST_SYNC_ARGS(3, marker, a, 0, 0);

	/* LOCK CPUID and MOV from DR8 (REX.R): #UD, nothing else. */
	__asm__ __volatile__("lock_cpuid: .byte 0xf0, 0x0f, 0xa2\n\t"
			     "movq $4, marker(%%rip)"
			     : : "a"(0), "c"(0) : "rbx", "rdx", "memory");
	GUEST_SYNC_ARGS(4, marker, ud_count, ud_rip, 0);
	__asm__ __volatile__("movdr_rexr: .byte 0x44, 0x0f, 0x21, 0xc0\n\t"
			     "movq $5, marker(%%rip)"
			     : : : "rax", "memory");
	GUEST_SYNC_ARGS(5, marker, ud_count, ud_rip, 0);

	/* HLT with two prefixes: the exit's RIP is past all three bytes. */
	__asm__ __volatile__(".byte 0x2e, 0x3e, 0xf4\n\t"
			     "hlt_prefixed_end: movq $6, marker(%%rip)"
			     : : : "memory");
	GUEST_SYNC_ARGS(6, marker, 0, 0, 0);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, 6, guest_ud_handler);

	uc = vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result(uc.args[1] == 1 && uc.args[2] != 0,
			 "prefixed_cpuid_resumes_after_itself");

	uc = vcpu_run_expect_sync(vcpu, 2);
	ksft_test_result(uc.args[1] == 2 && (uc.args[2] & (1 << 10)) /* LMA */,
			 "prefixed_rdmsr_resumes_after_itself");

	uc = vcpu_run_expect_sync(vcpu, 3);
	ksft_test_result(uc.args[1] == 3 && uc.args[2] == 0x401,
			 "rex_mov_dr_uses_r9_r10");

	uc = vcpu_run_expect_sync(vcpu, 4);
	ok = uc.args[1] == 4 && uc.args[2] == 1 &&
	     uc.args[3] == (uintptr_t)lock_cpuid;
	if (!ok)
		pr_info("LOCK CPUID: %llu #UDs, last at %llx",
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3]);
	if (test_mode() == TEST_MODE_REF)
		ksft_test_result_skip("lock_cpuid_is_ud",
				      "the reference skips an intercepted LOCK CPUID (see the header)");
	else
		ksft_test_result(ok, "lock_cpuid_is_ud");
	uc = vcpu_run_expect_sync(vcpu, 5);
	ok = uc.args[1] == 5 && uc.args[3] == (uintptr_t)movdr_rexr;
	if (!ok)
		pr_info("MOV from DR8: %llu #UDs, last at %llx",
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3]);
	if (test_mode() == TEST_MODE_REF)
		ksft_test_result_skip("mov_from_dr8_is_ud",
				      "the reference skips an intercepted MOV from DR8 (see the header)");
	else
		ksft_test_result(ok, "mov_from_dr8_is_ud");

	vcpu_run(vcpu);
	vcpu_regs_get(vcpu, &regs);
	ksft_test_result(vcpu->run->exit_reason == KVM_EXIT_HLT &&
			 regs.rip == (uintptr_t)hlt_prefixed_end,
			 "prefixed_hlt_exit_rip");
	vcpu_run_expect_sync(vcpu, 6);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_finished();
}
