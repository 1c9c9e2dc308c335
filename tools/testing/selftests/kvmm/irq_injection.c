// SPDX-License-Identifier: GPL-2.0
/*
 * irq_injection: external interrupts and exceptions from userspace when
 * the interrupt controller lives in userspace (no KVM_CREATE_IRQCHIP).
 *
 * From api.rst ("KVM_INTERRUPT", "request_interrupt_window",
 * "ready_for_interrupt_injection", "KVM_EXIT_IRQ_WINDOW_OPEN",
 * "KVM_SET_VCPU_EVENTS"):
 *  - with interrupts disabled in the guest, ready_for_interrupt_injection
 *    is 0 and if_flag is 0;
 *  - with request_interrupt_window set, KVM_RUN returns
 *    KVM_EXIT_IRQ_WINDOW_OPEN as soon as the guest can take an interrupt
 *    (after STI and its one-instruction shadow), with
 *    ready_for_interrupt_injection 1;
 *  - KVM_INTERRUPT then delivers the vector through the guest's IDT;
 *  - an exception set with KVM_SET_VCPU_EVENTS (with its error code) is
 *    delivered at the next KVM_RUN.
 */
#include "processor.h"

#define IRQ_VECTOR	0x40

static volatile uint64_t irq_count;
static volatile uint64_t gp_count, gp_error;

static void guest_irq_handler(struct ex_regs *regs __attribute__((unused)))
{
	irq_count++;
}

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error = regs->error_code;
}

static void guest_code(void)
{
	__asm__ __volatile__("cli");
	GUEST_SYNC(1);
	/* The window opens after STI's shadow. */
	__asm__ __volatile__("sti; nop");
	while (!irq_count)
		;
	GUEST_SYNC(2);
	/* Userspace queues a #GP for the next entry. */
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_error, 0x1234);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, IRQ_VECTOR, guest_irq_handler);
	vm_install_exception_handler(vm, 13, guest_gp_handler);
	run = vcpu->run;
	ksft_set_plan(5);

	vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result(!run->ready_for_interrupt_injection && !run->if_flag,
			 "not_ready_with_if_clear");

	run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_IRQ_WINDOW_OPEN)
		pr_info("exit %s, expected KVM_EXIT_IRQ_WINDOW_OPEN",
			exit_reason_str(run->exit_reason));
	ksft_test_result(run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN &&
			 run->ready_for_interrupt_injection && run->if_flag,
			 "irq_window_open_exit");

	run->request_interrupt_window = 0;
	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	vcpu_run_expect_sync(vcpu, 2);
	sync_global_from_guest(vm, irq_count);
	ksft_test_result(irq_count == 1, "kvm_interrupt_delivered");

	irq.irq = 256;
	ksft_test_result(__vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq) == -1 &&
			 errno == EINVAL, "kvm_interrupt_bad_vector_einval");

	if (!kvm_check_cap(KVM_CAP_VCPU_EVENTS)) {
		ksft_test_result_skip("vcpu_events_exception_delivered",
				      "KVM_CAP_VCPU_EVENTS not reported");
		kvm_vm_free(vm);
		ksft_finished();
	}
	vcpu_run_expect_sync(vcpu, 3);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x1234;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	vcpu_run_expect_done(vcpu);
	ksft_test_result_pass("vcpu_events_exception_delivered");
	kvm_vm_free(vm);
	ksft_finished();
}
