// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_coherence: the guest sees exactly what the VM owner's address space
 * maps, whatever the host does to it (Documentation/mmu.rst, "Coherence
 * with the host mm").
 *
 * A slot of one page at SLOT_GPA.  The guest, in a loop, reports the value
 * at SLOT_GPA, then stores the value the host passes back (when non-zero).
 *  - host writes through its mapping: the guest reads them;
 *  - MADV_DONTNEED drops the page: the guest reads zero, not the old page;
 *  - a new page mapped over the same address (MAP_FIXED): the guest reads
 *    the new page;
 *  - after fork (copy-on-write), a guest store lands in the parent's page,
 *    the child keeps its copy;
 *  - mprotect(PROT_READ): a guest store cannot reach the page: KVM_RUN
 *    fails with EFAULT (Linux 6.1, the reference in the test hosts, and
 *    kvmm; newer KVMs emulate it as a KVM_EXIT_MMIO write, accepted in ref
 *    mode); after PROT_READ|WRITE the store lands in memory.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processor.h"
#include "kvmm_env.h"

#define SLOT_GPA	0x50000000ul

static uint64_t store_value;

static void guest_code(void)
{
	volatile uint64_t *p = (volatile uint64_t *)SLOT_GPA;

	for (;;) {
		GUEST_SYNC_ARGS(0, *p, 0, 0, 0);
		if (*(volatile uint64_t *)&store_value)
			*p = *(volatile uint64_t *)&store_value;
	}
}

/* One round: returns what the guest read; stores @store if non-zero. */
static uint64_t guest_round(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			    uint64_t store, int *err)
{
	struct ucall uc;

	write_guest_global(vm, store_value, store);
	*err = _vcpu_run(vcpu) ? errno : 0;
	if (*err)
		return 0;
	TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_SYNC, "expected a sync, got %s",
		    exit_reason_str(vcpu->run->exit_reason));
	return uc.args[1];
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	volatile uint64_t *hva;
	uint64_t v;
	pid_t child;
	int err, status;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_SYNC_MMU));
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	hva = vm_userspace_mem_region_add(vm, 1, SLOT_GPA, 1, 0);

	/* The first round reads, later rounds store what the last passed. */
	*hva = 0x1111;
	v = guest_round(vm, vcpu, 0, &err);
	ksft_test_result(!err && v == 0x1111, "guest_reads_host_value");

	*hva = 0x2222;
	v = guest_round(vm, vcpu, 0, &err);
	ksft_test_result(!err && v == 0x2222, "host_write_seen");

	TEST_ASSERT(!madvise((void *)hva, getpagesize(), MADV_DONTNEED),
		    "madvise");
	v = guest_round(vm, vcpu, 0, &err);
	if (v)
		pr_info("after MADV_DONTNEED the guest read %#llx",
			(unsigned long long)v);
	ksft_test_result(!err && v == 0, "madv_dontneed_drops_page");

	TEST_ASSERT(mmap((void *)hva, getpagesize(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    (void *)hva, "mmap MAP_FIXED");
	*hva = 0x3333;
	v = guest_round(vm, vcpu, 0, &err);
	ksft_test_result(!err && v == 0x3333, "map_fixed_new_page_seen");

	/* Fork: the child keeps the old value, the guest writes the parent's. */
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (!child) {
		usleep(300000);
		_exit(*hva == 0x3333 ? 0 : 1);
	}
	v = guest_round(vm, vcpu, 0x4444, &err);	/* store happens after */
	v = guest_round(vm, vcpu, 0, &err);
	waitpid(child, &status, 0);
	if (*hva != 0x4444 || v != 0x4444)
		pr_info("after fork: guest read %#llx, parent sees %#llx",
			(unsigned long long)v, (unsigned long long)*hva);
	ksft_test_result(!err && v == 0x4444 && *hva == 0x4444 &&
			 WIFEXITED(status) && !WEXITSTATUS(status),
			 "fork_cow_guest_writes_parent_page");

	/* Read-only host page: the guest's store cannot complete. */
	TEST_ASSERT(!mprotect((void *)hva, getpagesize(), PROT_READ),
		    "mprotect");
	write_guest_global(vm, store_value, 0x5555);
	err = _vcpu_run(vcpu) ? errno : 0;	/* the guest stores first */
	{
		struct kvm_run *run = vcpu->run;
		bool mmio = !err && run->exit_reason == KVM_EXIT_MMIO &&
			    run->mmio.is_write && run->mmio.len == 8 &&
			    run->mmio.phys_addr == SLOT_GPA &&
			    *(uint64_t *)run->mmio.data == 0x5555;
		bool ok = err == EFAULT ||
			  (mmio && test_mode() != TEST_MODE_KVMM);

		pr_info("store to read-only host page: errno %d (%s), exit %s",
			err, errno_name(err), exit_reason_str(run->exit_reason));
		TEST_ASSERT(!mprotect((void *)hva, getpagesize(),
				      PROT_READ | PROT_WRITE), "mprotect back");
		/* Run on: the store (again, or for the first time) lands. */
		v = guest_round(vm, vcpu, 0x5555, &err);
		v = guest_round(vm, vcpu, 0x5555, &err);
		ksft_test_result(ok && !err && v == 0x5555 && *hva == 0x5555,
				 "readonly_host_page_store");
	}

	kvm_vm_free(vm);
	ksft_finished();
}
