// SPDX-License-Identifier: GPL-2.0
/*
 * nmi_injection: NMIs from userspace (KVM_NMI, KVM_SET_VCPU_EVENTS) and
 * the guest's NMI blocking, with no in-kernel irqchip.
 *
 * From api.rst ("KVM_NMI", "KVM_GET/SET_VCPU_EVENTS") and the SDM
 * (3A 6.7.1 "Handling Multiple NMIs"):
 *  - KVM_NMI delivers vector 2 through the guest's IDT;
 *  - from delivery to the handler's IRET, NMIs are blocked: events report
 *    nmi.masked, a second NMI waits (nmi.pending) and is delivered right
 *    after the IRET, a third one collapses into it;
 *  - with nothing in progress, three KVM_NMIs give exactly two NMIs;
 *  - an NMI waits for an interrupt shadow (MOV SS/STI) to end: it is
 *    taken after exactly one instruction;
 *  - nmi.masked set by KVM_SET_VCPU_EVENTS holds an NMI back until the
 *    guest executes an IRET;
 *  - nmi.injected set by KVM_SET_VCPU_EVENTS is delivered at once;
 *  - an NMI queued behind an interrupt (KVM_INTERRUPT) is delivered right
 *    after the interrupt, in the interrupt's entry stub.
 */
#include "processor.h"

#define IRQ_VECTOR	0x40

static volatile uint64_t nmi_count, nmi_nested, in_nmi, nmi_rip;
static uint64_t sync_in_nmi;	/* set by the host */
static volatile uint64_t irq_count;

/* Labels in guest_code's inline assembly, for RIP checks. */
extern const char shadow_hlt_end[], shadow_nop_end[];
extern const char masked_hlt_end[], iret_done[];
extern const char irq_hlt_end[];

static void guest_nmi_handler(struct ex_regs *regs)
{
	if (in_nmi)
		nmi_nested++;
	in_nmi = 1;
	nmi_count++;
	nmi_rip = regs->rip;
	/* Stop in the handler: the host checks the blocking from here. */
	if (*(volatile uint64_t *)&sync_in_nmi) {
		*(volatile uint64_t *)&sync_in_nmi = 0;
		GUEST_SYNC(10);
	}
	in_nmi = 0;
}

static void guest_irq_handler(struct ex_regs *regs __attribute__((unused)))
{
	irq_count++;
}

/* Time for an NMI that is (wrongly) late to show up anyway. */
static void guest_delay(void)
{
	int i;

	for (i = 0; i < 1000; i++)
		__asm__ __volatile__("pause");
}

static void guest_code(void)
{
	/* 1: one NMI, blocking while in its handler. */
	GUEST_SYNC(1);
	while (!nmi_count)
		;
	GUEST_SYNC_ARGS(2, nmi_count, nmi_nested, 0, 0);

	/* 2: three NMIs while none is in progress. */
	GUEST_SYNC(3);
	guest_delay();
	GUEST_SYNC_ARGS(4, nmi_count, nmi_nested, 0, 0);

	/* 3: an NMI set pending inside a MOV SS shadow (the HLT exit). */
	__asm__ __volatile__("hlt\n\t"
			     "shadow_hlt_end: nop\n\t"
			     "shadow_nop_end:\n\t" ::: "memory");
	GUEST_SYNC_ARGS(5, nmi_count, nmi_rip, 0, 0);

	/* 4: nmi.masked from the host: the NMI waits for an IRET. */
	__asm__ __volatile__("hlt\n\tmasked_hlt_end:" ::: "memory");
	guest_delay();
	GUEST_SYNC_ARGS(6, nmi_count, 0, 0, 0);
	/* An IRET to the next instruction, as from a handler. */
	__asm__ __volatile__("mov %%rsp, %%rax\n\t"
			     "mov %%ss, %%ecx\n\t"
			     "push %%rcx\n\t"
			     "push %%rax\n\t"
			     "pushfq\n\t"
			     "mov %%cs, %%ecx\n\t"
			     "push %%rcx\n\t"
			     "lea iret_done(%%rip), %%rcx\n\t"
			     "push %%rcx\n\t"
			     "iretq\n\t"
			     "iret_done:\n\t"
			     ::: "rax", "rcx", "memory");
	GUEST_SYNC_ARGS(7, nmi_count, nmi_rip, 0, 0);

	/* 5: nmi.injected from the host. */
	GUEST_SYNC(8);
	GUEST_SYNC_ARGS(9, nmi_count, 0, 0, 0);

	/* 6: an NMI queued behind an interrupt. */
	__asm__ __volatile__("sti\n\thlt\n\tirq_hlt_end:" ::: "memory");
	while (!irq_count || nmi_count < 8)
		;
	__asm__ __volatile__("cli");
	GUEST_SYNC_ARGS(11, nmi_count, irq_count, nmi_rip, nmi_nested);
	GUEST_DONE();
}

static void get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, ev);
}

static void run_hlt(struct kvm_vcpu *vcpu, const char *after)
{
	struct kvm_regs regs;

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_HLT,
		    "expected KVM_EXIT_HLT, got %s",
		    exit_reason_str(vcpu->run->exit_reason));
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT(regs.rip == (uintptr_t)after,
		    "HLT exit at rip %llx, expected %lx",
		    (unsigned long long)regs.rip, (unsigned long)(uintptr_t)after);
}

int main(void)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uintptr_t irq_stub;
	struct ucall uc;
	bool ok;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_NMI));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VCPU_EVENTS));
	ksft_set_plan(9);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	vm_install_exception_handler(vm, IRQ_VECTOR, guest_irq_handler);

	/* 1 */
	vcpu_run_expect_sync(vcpu, 1);
	write_guest_global(vm, sync_in_nmi, 1);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_run_expect_sync(vcpu, 10);
	get_events(vcpu, &ev);
	ok = ev.nmi.masked && !ev.nmi.pending && !ev.nmi.injected &&
	     (ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING);
	if (!ok)
		pr_info("in the handler: masked %u pending %u injected %u",
			ev.nmi.masked, ev.nmi.pending, ev.nmi.injected);
	ksft_test_result(ok, "nmi_delivered_and_masked_in_handler");

	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	get_events(vcpu, &ev);
	TEST_ASSERT(ev.nmi.pending == 1 && ev.nmi.masked,
		    "two NMIs queued in the handler: pending %u masked %u",
		    ev.nmi.pending, ev.nmi.masked);
	uc = vcpu_run_expect_sync(vcpu, 2);
	get_events(vcpu, &ev);
	ok = uc.args[1] == 2 && uc.args[2] == 0 && !ev.nmi.masked &&
	     !ev.nmi.pending;
	if (!ok)
		pr_info("after the handler: %llu NMIs, %llu nested, masked %u pending %u",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2], ev.nmi.masked,
			ev.nmi.pending);
	ksft_test_result(ok, "blocked_nmi_delivered_after_iret_once");

	/* 2 */
	vcpu_run_expect_sync(vcpu, 3);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	uc = vcpu_run_expect_sync(vcpu, 4);
	ok = uc.args[1] == 4 && uc.args[2] == 0;
	if (!ok)
		pr_info("three KVM_NMIs: %llu NMIs in total (expected 4), %llu nested",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2]);
	ksft_test_result(ok, "three_nmis_collapse_to_two");

	/* 3 */
	run_hlt(vcpu, shadow_hlt_end);
	get_events(vcpu, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	ev.nmi.pending = 1;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	uc = vcpu_run_expect_sync(vcpu, 5);
	ok = uc.args[1] == 5 && uc.args[2] == (uintptr_t)shadow_nop_end;
	if (!ok)
		pr_info("NMI in a shadow: %llu NMIs, taken at %llx (shadow ends at %lx)",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long)(uintptr_t)shadow_nop_end);
	ksft_test_result(ok, "nmi_waits_for_interrupt_shadow");

	/* 4 */
	run_hlt(vcpu, masked_hlt_end);
	get_events(vcpu, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.masked = 1;
	ev.nmi.pending = 1;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	uc = vcpu_run_expect_sync(vcpu, 6);
	get_events(vcpu, &ev);
	ok = uc.args[1] == 5 && ev.nmi.masked && ev.nmi.pending;
	if (!ok)
		pr_info("masked: %llu NMIs (expected 5), masked %u pending %u",
			(unsigned long long)uc.args[1], ev.nmi.masked,
			ev.nmi.pending);
	ksft_test_result(ok, "masked_nmi_held_back");
	uc = vcpu_run_expect_sync(vcpu, 7);
	ok = uc.args[1] == 6 && uc.args[2] == (uintptr_t)iret_done;
	if (!ok)
		pr_info("after IRET: %llu NMIs (expected 6), taken at %llx (IRET returns to %lx)",
			(unsigned long long)uc.args[1],
			(unsigned long long)uc.args[2],
			(unsigned long)(uintptr_t)iret_done);
	ksft_test_result(ok, "iret_unmasks_nmi");

	/* 5 */
	vcpu_run_expect_sync(vcpu, 8);
	get_events(vcpu, &ev);
	ev.flags = 0;
	ev.nmi.injected = 1;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &ev);
	TEST_ASSERT(ev.nmi.injected, "nmi.injected reads back as %u",
		    ev.nmi.injected);
	uc = vcpu_run_expect_sync(vcpu, 9);
	ksft_test_result(uc.args[1] == 7, "injected_nmi_delivered");

	/* 6 */
	run_hlt(vcpu, irq_hlt_end);
	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	get_events(vcpu, &ev);
	TEST_ASSERT(ev.interrupt.injected && ev.nmi.pending,
		    "KVM_INTERRUPT and KVM_NMI: interrupt.injected %u nmi.pending %u",
		    ev.interrupt.injected, ev.nmi.pending);
	uc = vcpu_run_expect_sync(vcpu, 11);
	ok = uc.args[1] == 8 && uc.args[2] == 1 && uc.args[4] == 0;
	ksft_test_result(ok, "nmi_and_interrupt_both_delivered");
	/*
	 * Taken inside the interrupt's entry stub: at its first instruction
	 * on hardware; QEMU's TCG recognizes the exit-forcing interrupt one
	 * instruction late.  Not after the handler, which a late NMI is.
	 */
	irq_stub = (uintptr_t)idt_stubs + IRQ_VECTOR * IDT_STUB_SIZE;
	ok = uc.args[3] >= irq_stub && uc.args[3] < irq_stub + IDT_STUB_SIZE;
	if (!ok)
		pr_info("NMI taken at %llx, interrupt handler at %lx",
			(unsigned long long)uc.args[3],
			(unsigned long)irq_stub);
	ksft_test_result(ok, "nmi_right_after_interrupt_delivery");

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_finished();
}
