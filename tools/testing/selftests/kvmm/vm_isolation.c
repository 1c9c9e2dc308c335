// SPDX-License-Identifier: GPL-2.0
/*
 * vm_isolation: the memory of one VM is never visible to another.
 *
 * NR_VMS VMs (more than the 16 ASIDs the svm test host's CPU has, so
 * some share an ASID: Documentation/mmu.rst, "TLB flushes") map the same
 * guest-physical page, each backed by its own host page.  Their vCPUs run
 * in turns on one host thread, pinned to one CPU so that every entry
 * follows another VM's: in each round every guest reads the page, checks
 * it holds what it stored in the last round, and stores a new value made
 * of its VM number and the round.  Any translation left from another VM
 * (a missing flush, a shared second-level table) shows up as a wrong
 * value.  At the end the host checks every VM's host page.
 */
#include <sched.h>

#include "processor.h"

#define NR_VMS		20
#define NR_ROUNDS	8
#define SHARED_GPA	0x60000000ul

static void guest_code(uint64_t vm_nr)
{
	volatile uint64_t *p = (volatile uint64_t *)SHARED_GPA;
	uint64_t round, want;

	for (round = 0; round < NR_ROUNDS; round++) {
		want = round ? (vm_nr << 32) | (round - 1) : 0;
		GUEST_ASSERT_2(*p == want, *p, want);
		*p = (vm_nr << 32) | round;
		GUEST_SYNC(round);
	}
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpus[NR_VMS];
	struct kvm_vm *vms[NR_VMS];
	uint64_t *hvas[NR_VMS];
	cpu_set_t cpus;
	struct ucall uc;
	bool ok = true;
	int i, round;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(2);

	/* One CPU: every entry follows another VM's on the same CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(cpus), &cpus),
		    "sched_setaffinity");

	for (i = 0; i < NR_VMS; i++) {
		vms[i] = vm_create_with_one_vcpu(&vcpus[i], guest_code);
		hvas[i] = vm_userspace_mem_region_add(vms[i], 1, SHARED_GPA,
						      1, 0);
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
	}

	for (round = 0; round < NR_ROUNDS && ok; round++) {
		for (i = 0; i < NR_VMS; i++) {
			uint64_t cmd;

			vcpu_run(vcpus[i]);
			cmd = get_ucall(vcpus[i], &uc);
			if (cmd == UCALL_SYNC && uc.args[0] == (uint64_t)round)
				continue;
			ok = false;
			if (cmd == UCALL_ABORT)
				pr_info("VM %d, round %d: guest read %#llx, expected %#llx",
					i, round,
					(unsigned long long)uc.args[GUEST_ASSERT_VALUE0],
					(unsigned long long)uc.args[GUEST_ASSERT_VALUE0 + 1]);
			else
				pr_info("VM %d, round %d: exit %s", i, round,
					exit_reason_str(vcpus[i]->run->exit_reason));
			break;
		}
	}
	ksft_test_result(ok, "guests_see_only_their_own_page");

	for (i = 0; i < NR_VMS; i++) {
		uint64_t want = ((uint64_t)i << 32) | (NR_ROUNDS - 1);

		if (ok && hvas[i][0] != want) {
			pr_info("VM %d's host page holds %#llx, expected %#llx",
				i, (unsigned long long)hvas[i][0],
				(unsigned long long)want);
			ok = false;
		}
	}
	ksft_test_result(ok, "host_pages_hold_their_vms_stores");

	for (i = 0; i < NR_VMS; i++) {
		if (ok)
			vcpu_run_expect_done(vcpus[i]);
		kvm_vm_free(vms[i]);
	}
	ksft_finished();
}
