// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_hotplug: kvmm keeps hardware virtualization on exactly while it is
 * loaded, on every online CPU, including CPUs that go offline and come
 * back (Documentation/design.rst, "Module life cycle").
 *
 * On AMD the state is visible from userspace: EFER.SVME (bit 12 of MSR
 * 0xc0000080) through /dev/cpu/N/msr (the msr module, loaded by the test
 * host's runner).  CR4.VMXE on Intel is not, so this test runs where the
 * host has SVM and at least two CPUs.  Linux's kvm_amd (6.1) sets SVME
 * only while VMs exist, so in ref mode the test is skipped.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "processor.h"
#include "host_util.h"
#include "kvmm_env.h"

#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ull << 12)

static int read_efer(int cpu, uint64_t *val)
{
	return host_read_msr(cpu, MSR_EFER, val);
}

/* SVME on every CPU in [0, n) is @want. */
static bool svme_everywhere(int n, bool want)
{
	bool ok = true;
	uint64_t efer;
	int cpu;

	for (cpu = 0; cpu < n; cpu++) {
		if (read_efer(cpu, &efer)) {
			pr_info("cpu %d: cannot read EFER", cpu);
			return false;
		}
		if (!!(efer & EFER_SVME) != want) {
			pr_info("cpu %d: EFER %#llx, SVME expected %s", cpu,
				(unsigned long long)efer, want ? "set" : "clear");
			ok = false;
		}
	}
	return ok;
}

static int set_online(int cpu, bool online)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return write_file_str(path, online ? "1" : "0");
}

static void guest_code(void)
{
	GUEST_DONE();
}

/* A guest runs with its vCPU thread pinned to @cpu. */
static bool guest_runs_on(int cpu)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	cpu_set_t set, old;
	bool ok;

	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return false;
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_run(vcpu);
	ok = get_ucall(vcpu, NULL) == UCALL_DONE;
	kvm_vm_free(vm);
	sched_setaffinity(0, sizeof(old), &old);
	return ok;
}

static void restore_cpu1(void *unused)
{
	(void)unused;
	set_online(1, true);
}

int main(void)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct kmsg k;
	uint64_t efer;

	ksft_print_header();
	__TEST_REQUIRE(test_mode() == TEST_MODE_KVMM,
		       "kvmm's own life cycle (kvm_amd sets SVME only while VMs exist)");
	__TEST_REQUIRE(host_cpu_has("svm"),
		       "EFER.SVME is the observable state; CR4.VMXE is not");
	__TEST_REQUIRE(ncpus >= 2, "needs two online CPUs (has %d)", ncpus);
	__TEST_REQUIRE(!read_efer(0, &efer),
		       "/dev/cpu/0/msr not available (msr module)");
	__TEST_REQUIRE(hv_is_loaded(), "kvmm is not loaded");
	TEST_ASSERT(!kmsg_open(&k), "kmsg_open");
	test_cleanup_push(hv_restore_cleanup, NULL);
	test_cleanup_push(restore_cpu1, NULL);

	ksft_set_plan(6);
	ksft_test_result(svme_everywhere(ncpus, true), "svme_on_all_cpus");

	TEST_ASSERT(!set_online(1, false), "offline cpu1");
	ksft_test_result(svme_everywhere(1, true) && guest_runs_on(0),
			 "cpu1_offline_guest_runs_on_cpu0");
	TEST_ASSERT(!set_online(1, true), "online cpu1");
	ksft_test_result(svme_everywhere(ncpus, true) && guest_runs_on(1),
			 "cpu1_back_svme_and_guest");

	TEST_ASSERT(!hv_unload(), "unload kvmm");
	ksft_test_result(svme_everywhere(ncpus, false), "svme_off_after_rmmod");
	TEST_ASSERT(!hv_load(), "reload kvmm");
	ksft_test_result(svme_everywhere(ncpus, true), "svme_on_after_reload");

	kmsg_poll(&k);
	ksft_test_result(!kmsg_problems(&k), "no_kernel_problems");
	kmsg_close(&k);
	ksft_finished();
}
