// SPDX-License-Identifier: GPL-2.0
/*
 * exits_and_signals: how KVM_RUN ends other than by a guest exit.
 *
 * From api.rst ("KVM_RUN", "immediate_exit", "KVM_SET_SIGNAL_MASK") and
 * virt/kvm/kvm_main.c / arch/x86/kvm/x86.c:
 *  - a triple fault (an exception while delivering a double fault) shuts
 *    the guest down: KVM_EXIT_SHUTDOWN;
 *  - with kvm_run.immediate_exit set, KVM_RUN returns -1/EINTR at once
 *    without running the guest (Linux leaves exit_reason as it was, so it
 *    is printed, not checked);
 *  - a signal that arrives for the vCPU thread while the guest runs (and is
 *    not blocked) ends KVM_RUN with -1/EINTR and KVM_EXIT_INTR, even when
 *    the guest spins forever with interrupts disabled; the next KVM_RUN
 *    carries on where the guest was;
 *  - KVM_SET_SIGNAL_MASK replaces the thread's signal mask for the time of
 *    KVM_RUN: a signal pending and blocked outside is taken inside when the
 *    mask lets it through; a signal the mask blocks does not interrupt the
 *    guest.  kvm_signal_mask.len must be 8 (the kernel's sigset_t), else
 *    EINVAL; a NULL argument removes the mask.
 */
#include <signal.h>

#include "processor.h"
#include "vcpu_runner.h"

/* ---- triple fault ---- */

static void guest_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	/* #UD finds no IDT entry: #GP, then #DF, then shutdown. */
	__asm__ __volatile__("lidt %0; ud2" : : "m"(empty_idt));
	GUEST_FAIL("survived a triple fault");
}

static void test_triple_fault(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_triple_fault);

	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
		pr_info("exit %s, expected KVM_EXIT_SHUTDOWN",
			exit_reason_str(vcpu->run->exit_reason));
	ksft_test_result(vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN,
			 "triple_fault_shutdown");
	kvm_vm_free(vm);
}

/* ---- a guest that never exits by itself ---- */

static volatile uint64_t guest_release;	/* set by the host in guest memory */
static volatile uint64_t guest_spins;	/* read by the host */

static void guest_spin(void)
{
	GUEST_SYNC(1);
	/* Interrupts are off: only the host can end this KVM_RUN. */
	__asm__ __volatile__("cli");
	while (!guest_release)
		guest_spins++;
	GUEST_SYNC(2);
	GUEST_DONE();
}

static struct kvm_vm *spin_vm(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_spin);

	vcpu_run_expect_sync(*vcpu, 1);
	return vm;
}

static void test_immediate_exit(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	int ret, err;
	bool ok;

	vcpu->run->immediate_exit = 1;
	ret = _vcpu_run(vcpu);
	err = errno;
	ok = ret == -1 && err == EINTR;
	pr_info("KVM_RUN with immediate_exit: %d %s, exit_reason %s", ret,
		ret ? errno_name(err) : "",
		exit_reason_str(vcpu->run->exit_reason));
	ksft_test_result(ok, "immediate_exit_eintr");

	/* The guest did not run: its first ucall is still to come. */
	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result_pass("immediate_exit_then_run");
	kvm_vm_free(vm);
}

static void test_signal_interrupts(void)
{
	struct kicker k = { .delay_ms = 50 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = spin_vm(&vcpu);
	uint64_t *release = addr_gva2hva(vm, (uintptr_t)&guest_release);
	uint64_t *spins = addr_gva2hva(vm, (uintptr_t)&guest_spins);
	int ret, err;
	bool ok;

	ret = vcpu_run_kicked(vcpu, &k, &err);
	ok = ret == -1 && err == EINTR &&
	     vcpu->run->exit_reason == KVM_EXIT_INTR && sigusr1_count == 1;
	pr_info("KVM_RUN: %d %s, exit %s, handler ran %d time(s), guest spun %llu times",
		ret, ret ? errno_name(err) : "", exit_reason_str(vcpu->run->exit_reason),
		(int)sigusr1_count, (unsigned long long)*spins);
	ksft_test_result(ok, "signal_interrupts_spinning_guest");

	/* The guest resumes where it was. */
	*release = 1;
	vcpu_run_expect_sync(vcpu, 2);
	vcpu_run_expect_done(vcpu);
	ksft_test_result(*spins > 0, "guest_resumes_after_signal");
	kvm_vm_free(vm);
}

/* ---- KVM_SET_SIGNAL_MASK ---- */

static int set_signal_mask(struct kvm_vcpu *vcpu, const sigset_t *set,
			   uint32_t len)
{
	struct {
		struct kvm_signal_mask hdr;
		uint8_t bits[8];
	} m = { .hdr.len = len };

	memcpy(m.bits, set, sizeof(m.bits));
	return __vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, &m);
}

static void test_signal_mask(void)
{
	sigset_t usr1, none, old;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = spin_vm(&vcpu);
	uint64_t *release = addr_gva2hva(vm, (uintptr_t)&guest_release);
	struct kicker k = { .delay_ms = 20, .release = release,
			    .release_ms = 100 };
	int ret, err;
	bool ok;

	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);

	ok = set_signal_mask(vcpu, &none, 4) == -1 && errno == EINVAL;
	ok = ok && set_signal_mask(vcpu, &none, 16) == -1 && errno == EINVAL;
	ksft_test_result(ok, "signal_mask_bad_len_einval");

	/* Blocked outside, let through inside: pending -> EINTR at once. */
	TEST_ASSERT(!set_signal_mask(vcpu, &none, 8), "KVM_SET_SIGNAL_MASK");
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	sigusr1_count = 0;
	raise(SIGUSR1);
	TEST_ASSERT_EQ(sigusr1_count, 0);
	ret = _vcpu_run(vcpu);
	err = errno;
	ok = ret == -1 && err == EINTR &&
	     vcpu->run->exit_reason == KVM_EXIT_INTR;
	if (!ok)
		pr_info("pending signal let through: %d %s, exit %s", ret,
			ret ? errno_name(err) : "",
			exit_reason_str(vcpu->run->exit_reason));
	/* Taken inside KVM_RUN, or at the latest when the mask comes back. */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ok = ok && sigusr1_count == 1;
	ksft_test_result(ok, "signal_mask_unblocks_during_run");

	/* Blocked inside only: the guest runs on until the host releases it. */
	TEST_ASSERT(!set_signal_mask(vcpu, &usr1, 8), "KVM_SET_SIGNAL_MASK");
	ret = vcpu_run_kicked(vcpu, &k, &err);
	ok = ret == 0 && get_ucall(vcpu, NULL) == UCALL_SYNC &&
	     sigusr1_count == 1;
	if (!ok)
		pr_info("signal blocked during KVM_RUN: %d %s, exit %s, handler %d",
			ret, ret ? errno_name(err) : "",
			exit_reason_str(vcpu->run->exit_reason),
			(int)sigusr1_count);
	ksft_test_result(ok, "signal_mask_blocks_during_run");

	/* NULL removes the mask. */
	ok = !__vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, NULL);
	vcpu_run_expect_done(vcpu);
	ksft_test_result(ok, "signal_mask_null_clears");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	runner_setup_kick();

	ksft_set_plan(9);
	test_triple_fault();
	if (kvm_check_cap(KVM_CAP_IMMEDIATE_EXIT)) {
		test_immediate_exit();
	} else {
		ksft_test_result_skip("immediate_exit_eintr",
				      "KVM_CAP_IMMEDIATE_EXIT not reported");
		ksft_test_result_skip("immediate_exit_then_run",
				      "KVM_CAP_IMMEDIATE_EXIT not reported");
	}
	test_signal_interrupts();
	test_signal_mask();
	ksft_finished();
}
