// SPDX-License-Identifier: GPL-2.0
/*
 * multi_vcpu: several vCPUs of one VM running at the same time on several
 * host threads (and CPUs), sharing guest memory.
 *
 * Each vCPU adds 1 to a shared counter NR_ADDS times with LOCK XADD and
 * to its own slot, reporting progress through ucalls; the host runs each
 * vCPU in its own thread.  At the end the shared counter must be exactly
 * NR_VCPUS * NR_ADDS (no lost update: the guests really shared memory and
 * ran concurrently without corrupting each other), and every vCPU must
 * have seen its own id.
 *
 * Then a VM with MANY_VCPUS (64, the least a VM must take) vCPUs, each on
 * its own thread, all doing locked adds at once: every one completes and
 * no update is lost.
 */
#include <pthread.h>

#include "processor.h"

#define NR_VCPUS	4
#define NR_ADDS		50000
#define SYNC_EVERY	10000
#define MANY_VCPUS	64
#define MANY_ADDS	2000

static volatile uint64_t shared_counter;
static volatile uint64_t own[NR_VCPUS];
static volatile uint64_t many_counter;

static void guest_code(uint64_t id)
{
	uint64_t i, one = 1;

	for (i = 1; i <= NR_ADDS; i++) {
		__asm__ __volatile__("lock xaddq %0, %1"
				     : "+r"(one), "+m"(shared_counter)
				     : : "memory");
		one = 1;
		own[id]++;
		if (!(i % SYNC_EVERY))
			GUEST_SYNC(id);
	}
	GUEST_DONE();
}

static void guest_code_many(void)
{
	uint64_t i, one;

	for (i = 0; i < MANY_ADDS; i++) {
		one = 1;
		__asm__ __volatile__("lock xaddq %0, %1"
				     : "+r"(one), "+m"(many_counter)
				     : : "memory");
	}
	GUEST_DONE();
}

struct runner {
	struct kvm_vcpu *vcpu;
	uint64_t id;
	int syncs;
	bool ok;
};

static void *run_vcpu(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(r->vcpu);
		switch (get_ucall(r->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] != r->id)
				return NULL;
			r->syncs++;
			continue;
		case UCALL_DONE:
			r->ok = true;
			return NULL;
		default:
			return NULL;
		}
	}
}

static void *run_vcpu_to_done(void *arg)
{
	struct runner *r = arg;

	vcpu_run(r->vcpu);
	r->ok = get_ucall(r->vcpu, NULL) == UCALL_DONE;
	return NULL;
}

static void test_many_vcpus(void)
{
	static struct runner runners[MANY_VCPUS];
	static pthread_t threads[MANY_VCPUS];
	struct kvm_vm *vm;
	bool ok = true;
	int i;

	if (kvm_check_cap(KVM_CAP_MAX_VCPUS) < MANY_VCPUS) {
		ksft_test_result_skip("sixty_four_vcpus_at_once",
				      "KVM_CAP_MAX_VCPUS below %d", MANY_VCPUS);
		return;
	}
	vm = vm_create(MANY_VCPUS * 8);
	for (i = 0; i < MANY_VCPUS; i++) {
		runners[i].vcpu = vm_vcpu_add(vm, i, guest_code_many);
		runners[i].ok = false;
	}
	for (i = 0; i < MANY_VCPUS; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL,
					    run_vcpu_to_done, &runners[i]),
			    "pthread_create");
	for (i = 0; i < MANY_VCPUS; i++) {
		pthread_join(threads[i], NULL);
		if (!runners[i].ok) {
			pr_info("vCPU %d did not finish", i);
			ok = false;
		}
	}
	sync_global_from_guest(vm, many_counter);
	if (many_counter != (uint64_t)MANY_VCPUS * MANY_ADDS) {
		pr_info("counter %llu, expected %llu",
			(unsigned long long)many_counter,
			(unsigned long long)MANY_VCPUS * MANY_ADDS);
		ok = false;
	}
	ksft_test_result(ok, "sixty_four_vcpus_at_once");
	kvm_vm_free(vm);
}

int main(void)
{
	struct runner runners[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	struct kvm_vm *vm;
	bool all_ok = true, own_ok = true;
	uint64_t i;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	__TEST_REQUIRE(kvm_check_cap(KVM_CAP_MAX_VCPUS) >= NR_VCPUS,
		       "needs %d vCPUs", NR_VCPUS);
	ksft_set_plan(4);

	vm = vm_create(0);
	for (i = 0; i < NR_VCPUS; i++) {
		runners[i].vcpu = vm_vcpu_add(vm, i, guest_code);
		runners[i].id = i;
		runners[i].syncs = 0;
		runners[i].ok = false;
		vcpu_args_set(runners[i].vcpu, 1, i);
	}
	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, run_vcpu,
					    &runners[i]), "pthread_create");
	for (i = 0; i < NR_VCPUS; i++) {
		pthread_join(threads[i], NULL);
		if (!runners[i].ok ||
		    runners[i].syncs != NR_ADDS / SYNC_EVERY) {
			pr_info("vCPU %llu: ok %d, %d syncs",
				(unsigned long long)i, runners[i].ok,
				runners[i].syncs);
			all_ok = false;
		}
	}
	ksft_test_result(all_ok, "all_vcpus_ran_to_completion");

	sync_global_from_guest(vm, shared_counter);
	sync_global_from_guest(vm, own);
	pr_info("shared counter %llu (expected %llu)",
		(unsigned long long)shared_counter,
		(unsigned long long)NR_VCPUS * NR_ADDS);
	ksft_test_result(shared_counter == (uint64_t)NR_VCPUS * NR_ADDS,
			 "locked_adds_not_lost");
	for (i = 0; i < NR_VCPUS; i++)
		own_ok &= own[i] == NR_ADDS;
	ksft_test_result(own_ok, "per_vcpu_memory");
	kvm_vm_free(vm);

	test_many_vcpus();
	ksft_finished();
}
