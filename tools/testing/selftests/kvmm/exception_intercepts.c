// SPDX-License-Identifier: GPL-2.0
/*
 * exception_intercepts: what a guest gets for the instructions and
 * exceptions the hypervisor must take away from it.
 *
 *  - RDPMC would read the host's performance counters: a guest without
 *    a PMU in its CPUID gets #GP for it (vector 13).  Both hypervisors
 *    give #GP for a counter index no AMD CPU has (0x10); kvmm, which
 *    offers no PMU at all, gives it for counter 0 too, where Linux KVM
 *    emulates AMD's four legacy counters.  QEMU's TCG raises #UD for an
 *    RDPMC nobody intercepted, so a missing intercept shows as vector 6.
 *  - RDPRU is not in the guest's CPUID: #UD.  (The emulated CPU has no
 *    RDPRU, so this only has teeth on a CPU that has it.)
 *  - #DB is intercepted and handed back (CVE-2015-8104 class): a guest
 *    that single-steps itself with RFLAGS.TF sees one #DB per
 *    instruction, each with DR6.BS (SDM 3B 18.3.1.4, APM 13.1.1.3).
 *    kvmm emulates the guest's DR6 (every MOV DR exits), so a #DB that
 *    reaches the guest without an exit leaves DR6.BS out of what the
 *    guest reads.  QEMU's TCG turns ICEBP into a gdbstub stop rather
 *    than a #DB, and kvmm does not arm the guest's breakpoints in the
 *    hardware DR7, so the single step is the one #DB source tested.
 *  - White box (kvmm only: the reference has no such file): the exception
 *    intercepts of the VMCB, from debugfs <pid>-<VM fd>/exception_intercepts,
 *    include #DB, #AC and #MC, after the guest ran.  QEMU's TCG raises no
 *    #AC (it has no alignment checking) and no #MC, so their intercepts
 *    cannot be seen at work (Documentation/testing.rst).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "processor.h"
#include "kvmm_env.h"

#define AC_VECTOR	17
#define MC_VECTOR	18

#define DR6_BS		(1UL << 14)
#define DR6_INIT	0xffff0ff0UL
#define RFLAGS_TF	(1UL << 8)

/* Single-stepped instructions between setting and clearing TF. */
#define STEP_NOPS	5

static volatile uint64_t last_vector, fault_count;
static volatile uint64_t db_count, db_bs_count, db_rip;

/* Labels in guest_code's inline assembly. */
extern const char rdpmc_insn[], rdpru_insn[], step_end[];

/* #GP and #UD: record, then skip the 2- or 3-byte instruction. */
static void guest_fault_handler(struct ex_regs *regs)
{
	last_vector = regs->vector;
	fault_count++;
	regs->rip += regs->rip == (uintptr_t)rdpru_insn ? 3 : 2;
}

static void guest_db_handler(struct ex_regs *regs)
{
	uint64_t dr6;

	__asm__ __volatile__("mov %%dr6, %0" : "=r"(dr6));
	db_count++;
	if (dr6 & DR6_BS)
		db_bs_count++;
	db_rip = regs->rip;
	/* The CPU never clears DR6.BS itself (SDM 3B 18.2.3). */
	__asm__ __volatile__("mov %0, %%dr6" : : "r"(DR6_INIT));
}

static __attribute__((noinline)) uint64_t guest_rdpmc(uint32_t counter)
{
	uint32_t lo, hi;

	last_vector = ~0ULL;
	__asm__ __volatile__("rdpmc_insn: rdpmc"
			     : "=a"(lo), "=d"(hi) : "c"(counter) : "memory");
	return last_vector;
}

static void guest_code(void)
{
	uint64_t v;

	/* RDPMC: counter 0x10 (none), then counter 0. */
	v = guest_rdpmc(0x10);
	GUEST_SYNC_ARGS(1, v, 0, 0, 0);
	v = guest_rdpmc(0);
	GUEST_SYNC_ARGS(2, v, 0, 0, 0);

	/* RDPRU (0F 01 FD), ECX = 0: MPERF. */
	last_vector = ~0ULL;
	__asm__ __volatile__("rdpru_insn: .byte 0x0f, 0x01, 0xfd"
			     : : "c"(0) : "rax", "rdx", "memory");
	GUEST_SYNC_ARGS(3, last_vector, 0, 0, 0);

	/*
	 * Single-step: the POPF that sets TF traps after the next
	 * instruction, every instruction with TF set at its start traps,
	 * up to and including the POPF that clears it.  Nothing in between
	 * exits to the hypervisor.
	 */
	db_count = db_bs_count = 0;
	__asm__ __volatile__("pushfq\n\t"
			     "orq %0, (%%rsp)\n\t"
			     "popfq\n\t"
			     ".rept %c2\n\t"
			     "nop\n\t"
			     ".endr\n\t"
			     "pushfq\n\t"
			     "andq %1, (%%rsp)\n\t"
			     "popfq\n\t"
			     "step_end:"
			     : : "i"(RFLAGS_TF), "i"(~RFLAGS_TF), "i"(STEP_NOPS)
			     : "memory", "cc");
	GUEST_SYNC_ARGS(4, db_count, db_bs_count, db_rip, 0);
	GUEST_DONE();
}

/* Bit map of vCPU @id in the VM's exception_intercepts; -errno. */
static int read_exception_intercepts(struct kvm_vm *vm, unsigned int id,
				     unsigned long *bits)
{
	char path[128];
	unsigned int vcpu_id;
	unsigned long v;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d-%d/exception_intercepts",
		 KVMM_DEBUGFS_DIR, getpid(), vm->fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%u %lx", &vcpu_id, &v) == 2) {
		if (vcpu_id == id) {
			*bits = v;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

int main(void)
{
	bool kvmm = test_mode() != TEST_MODE_REF;
	uint64_t steps = STEP_NOPS + 3;
	struct kvm_vcpu *vcpu;
	unsigned long bits = 0;
	struct kvm_vm *vm;
	struct ucall uc;
	int r;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, GP_VECTOR, guest_fault_handler);
	vm_install_exception_handler(vm, UD_VECTOR, guest_fault_handler);
	vm_install_exception_handler(vm, DB_VECTOR, guest_db_handler);

	uc = vcpu_run_expect_sync(vcpu, 1);
	if (uc.args[1] != GP_VECTOR)
		pr_info("RDPMC of counter 0x10: vector %lld",
			(long long)uc.args[1]);
	ksft_test_result(uc.args[1] == GP_VECTOR, "rdpmc_no_counter_is_gp");

	uc = vcpu_run_expect_sync(vcpu, 2);
	if (!kvmm) {
		ksft_test_result_skip("rdpmc_no_pmu_is_gp",
				      "Linux KVM emulates AMD's legacy counters for every guest");
	} else {
		if (uc.args[1] != GP_VECTOR)
			pr_info("RDPMC of counter 0: vector %lld",
				(long long)uc.args[1]);
		ksft_test_result(uc.args[1] == GP_VECTOR, "rdpmc_no_pmu_is_gp");
	}

	uc = vcpu_run_expect_sync(vcpu, 3);
	ksft_test_result(uc.args[1] == UD_VECTOR, "rdpru_is_ud");

	uc = vcpu_run_expect_sync(vcpu, 4);
	if (uc.args[1] != steps || uc.args[2] != steps ||
	    uc.args[3] != (uintptr_t)step_end)
		pr_info("TF: %llu #DBs (%llu with DR6.BS), last at %llx; want %llu, last at %llx",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long long)uc.args[3],
			(unsigned long long)steps,
			(unsigned long long)(uintptr_t)step_end);
	ksft_test_result(uc.args[1] == steps && uc.args[2] == steps &&
			 uc.args[3] == (uintptr_t)step_end,
			 "guest_single_step_db_with_bs");

	vcpu_run_expect_done(vcpu);

	/* After the run: nothing turned an intercept off on the way. */
	if (!kvmm) {
		ksft_test_result_skip("db_ac_mc_intercepted",
				      "kvmm's debugfs only");
		ksft_test_result_skip("debugfs_lists_vcpu0",
				      "kvmm's debugfs only");
	} else {
		r = read_exception_intercepts(vm, 0, &bits);
		if (r)
			pr_info("exception_intercepts: %s", strerror(-r));
		else
			pr_info("exception_intercepts of vCPU 0: %#lx", bits);
		ksft_test_result(r == 0, "debugfs_lists_vcpu0");
		ksft_test_result(r == 0 && (bits & (1UL << DB_VECTOR)) &&
				 (bits & (1UL << AC_VECTOR)) &&
				 (bits & (1UL << MC_VECTOR)),
				 "db_ac_mc_intercepted");
	}
	kvm_vm_free(vm);
	ksft_finished();
}
