// SPDX-License-Identifier: GPL-2.0
/*
 * disable_exits: KVM_CAP_X86_DISABLE_EXITS (api.rst 7.14), the guest's HLT
 * kept in the guest, as QEMU's -overcommit cpu-pm=on asks for it.
 *
 * From api.rst and Linux 6.1 arch/x86/kvm/x86.c:
 *  - KVM_CHECK_EXTENSION answers a mask of KVM_X86_DISABLE_EXITS_*; this
 *    test needs HLT in it;
 *  - KVM_ENABLE_CAP with a bit outside KVM_X86_DISABLE_VALID_EXITS is
 *    -EINVAL; 0 and any valid mask are taken;
 *  - without it, a guest HLT (no in-kernel irqchip) ends KVM_RUN with
 *    KVM_EXIT_HLT;
 *  - with HLT enabled before the vCPU is created, the guest's HLTs never
 *    reach userspace: the guest halts in hardware until a host interrupt
 *    makes it exit, and goes on after the HLT (APM 15.9);
 *  - 6.1 takes the call after vCPUs exist too, but a vCPU created before
 *    it keeps exiting on HLT (its intercepts were set up at creation).
 */
#include "processor.h"

#define NR_HLTS	8

static void guest_hlt(void)
{
	int i;

	GUEST_SYNC(1);
	for (i = 0; i < NR_HLTS; i++)
		__asm__ __volatile__("hlt");
	GUEST_SYNC(2);
	GUEST_DONE();
}

static int enable_disable_exits(struct kvm_vm *vm, uint64_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_DISABLE_EXITS,
		.args[0] = flags,
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
}

/* Run the HLT guest from its first sync to the end; count KVM_EXIT_HLTs. */
static int run_counting_hlts(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	int hlts = 0;

	vcpu_run_expect_sync(vcpu, 1);
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_HLT) {
			hlts++;
			continue;
		}
		TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_SYNC &&
			    uc.args[0] == 2,
			    "expected GUEST_SYNC(2), got exit %s",
			    exit_reason_str(vcpu->run->exit_reason));
		break;
	}
	vcpu_run_expect_done(vcpu);
	return hlts;
}

static void test_flags(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int r;

	r = enable_disable_exits(vm, ~(uint64_t)KVM_X86_DISABLE_VALID_EXITS);
	ksft_test_result(r == -1 && errno == EINVAL, "invalid_bits_einval");
	ksft_test_result(!enable_disable_exits(vm, 0), "zero_accepted");
	ksft_test_result(!enable_disable_exits(vm, KVM_X86_DISABLE_VALID_EXITS),
			 "every_valid_bit_accepted");
	kvm_vm_free(vm);
}

static void test_hlt_exits_by_default(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);
	int hlts = run_counting_hlts(vcpu);

	pr_info("default: %d KVM_EXIT_HLT for %d HLTs", hlts, NR_HLTS);
	ksft_test_result(hlts == NR_HLTS, "hlt_exits_by_default");
	kvm_vm_free(vm);
}

static void test_hlt_in_guest(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create(0);
	int hlts;

	TEST_ASSERT(!enable_disable_exits(vm, KVM_X86_DISABLE_EXITS_HLT),
		    "KVM_ENABLE_CAP(KVM_CAP_X86_DISABLE_EXITS, HLT)");
	vcpu = vm_vcpu_add(vm, 0, guest_hlt);
	hlts = run_counting_hlts(vcpu);
	pr_info("HLT in guest: %d KVM_EXIT_HLT for %d HLTs", hlts, NR_HLTS);
	ksft_test_result(hlts == 0, "hlt_stays_in_guest");
	kvm_vm_free(vm);
}

static void test_existing_vcpu_keeps_exiting(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);
	int r, hlts;

	r = enable_disable_exits(vm, KVM_X86_DISABLE_EXITS_HLT);
	ksft_test_result(!r, "enable_after_vcpu_accepted");
	hlts = run_counting_hlts(vcpu);
	pr_info("vCPU created before: %d KVM_EXIT_HLT for %d HLTs", hlts,
		NR_HLTS);
	ksft_test_result(hlts == NR_HLTS, "earlier_vcpu_still_exits");
	kvm_vm_free(vm);
}

int main(void)
{
	unsigned int caps;

	ksft_print_header();
	caps = kvm_check_cap(KVM_CAP_X86_DISABLE_EXITS);
	pr_info("KVM_CAP_X86_DISABLE_EXITS: %#x", caps);
	TEST_REQUIRE(caps & KVM_X86_DISABLE_EXITS_HLT);
	ksft_set_plan(3 + 1 + 1 + 2);
	test_flags();
	test_hlt_exits_by_default();
	test_hlt_in_guest();
	test_existing_vcpu_keeps_exiting();
	ksft_finished();
}
