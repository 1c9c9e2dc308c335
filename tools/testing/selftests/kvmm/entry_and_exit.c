// SPDX-License-Identifier: GPL-2.0
/*
 * entry_and_exit: invalid guest state, and a process that dies with its
 * VMs running.
 *
 *  - CR0.NW=1 with CR0.CD=0 is illegal (AMD APM vol. 2, 15.5.1 VMRUN
 *    checks; Intel SDM 3C 27.3.1.1 for VM entry).  KVM_SET_SREGS accepts
 *    it (KVM does not check it either), and KVM_RUN then reports
 *    KVM_EXIT_FAIL_ENTRY: invalid state reaches userspace as a defined
 *    exit, never an oops.
 *  - A child process creates a VM whose vCPU spins in the guest on another
 *    thread, then exits without closing anything.  Everything is torn
 *    down by the fds' release: in kvmm mode the module's allocation
 *    counters return to where they were, and the kernel log stays clean.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

static void guest_spin(void)
{
	for (;;)
		;
}

static void guest_done(void)
{
	GUEST_DONE();
}

static void test_fail_entry(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	struct kvm_sregs sregs;
	int r;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr0 |= 1ul << 29;		/* NW */
	sregs.cr0 &= ~(1ul << 30);	/* CD */
	r = __vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs);
	if (r) {
		pr_info("KVM_SET_SREGS refused CR0.NW without CD: errno %s",
			errno_name(errno));
		ksft_test_result(errno == EINVAL, "invalid_cr0_fail_entry");
		kvm_vm_free(vm);
		return;
	}
	r = _vcpu_run(vcpu);
	pr_info("KVM_RUN: %d, exit %s, hardware reason %#llx", r,
		exit_reason_str(vcpu->run->exit_reason),
		(unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
	ksft_test_result(!r && vcpu->run->exit_reason == KVM_EXIT_FAIL_ENTRY,
			 "invalid_cr0_fail_entry");
	kvm_vm_free(vm);
}

static void *spin_vcpu(void *arg)
{
	vcpu_run(arg);		/* never returns before the process exits */
	return NULL;
}

static void child_main(void)
{
	struct kvm_vcpu *vcpu;
	pthread_t t;

	vm_create_with_one_vcpu(&vcpu, guest_spin);
	pthread_create(&t, NULL, spin_vcpu, vcpu);
	usleep(200000);		/* let the guest run */
	_exit(0);		/* no close, no free: the kernel cleans up */
}

static void test_process_exit(void)
{
	unsigned long long obj0 = 0, bytes0 = 0, obj, bytes;
	bool kvmm = test_mode() == TEST_MODE_KVMM;
	bool counted = kvmm && !kvmm_read_allocations(&obj0, &bytes0);
	bool ok = true;
	struct kmsg k;
	int status, i;
	pid_t pid;

	TEST_ASSERT(!kmsg_open(&k), "kmsg_open");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid)
		child_main();
	waitpid(pid, &status, 0);
	ok &= WIFEXITED(status) && !WEXITSTATUS(status);

	/* Teardown may finish just after the exit: give it a moment. */
	for (i = 0; counted && i < 50; i++) {
		if (kvmm_read_allocations(&obj, &bytes))
			break;
		if (obj == obj0 && bytes == bytes0)
			break;
		usleep(20000);
	}
	if (counted && (obj != obj0 || bytes != bytes0)) {
		pr_info("allocations before %llu/%llu, after %llu/%llu", obj0,
			bytes0, obj, bytes);
		ok = false;
	}
	kmsg_poll(&k);
	ok &= !kmsg_problems(&k);
	kmsg_close(&k);
	ksft_test_result(ok, "process_exit_with_running_vm");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(2);
	test_fail_entry();
	test_process_exit();
	ksft_finished();
}
