// SPDX-License-Identifier: GPL-2.0
/*
 * split_eoi: KVM_EXIT_IOAPIC_EOI (api.rst 5, "KVM_EXIT_IOAPIC_EOI") with
 * the split irqchip (KVM_CAP_SPLIT_IRQCHIP, args[0] = 24 GSIs reserved
 * for userspace's IOAPIC).  As Linux 6.1 (kvm_scan_ioapic_routes(),
 * kvm_ioapic_send_eoi(), KVM_REQ_IOAPIC_EOI_EXIT): the local APIC's EOI
 * of a vector that a level-triggered MSI route of a reserved GSI sends
 * makes KVM_RUN return KVM_EXIT_IOAPIC_EOI with run->eoi.vector, right
 * after the EOI (the guest goes on where it was at the next KVM_RUN);
 * an edge route's vector, or a level route's on a GSI above the reserved
 * ones, EOIs without an exit.
 *
 * The guest takes the interrupts (IF=1) and EOIs them through the xAPIC
 * page; userspace raises them with KVM_IRQ_LINE on the MSI routes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "kvmm_env.h"
#include "processor.h"

#define APIC_GPA		0xfee00000ul
#define APIC_EOI		0xb0
#define APIC_SPIV		0xf0

#define NR_RESERVED		24
#define MSI_ADDR_DEST0		0xfee00000u
#define MSI_DATA_LEVEL		(1u << 15)	/* trigger mode */
#define MSI_DATA_ASSERT		(1u << 14)

#define GSI_LEVEL		5	/* reserved, level: exits */
#define GSI_EDGE		6	/* reserved, edge: no exit */
#define GSI_HIGH		30	/* not reserved, level: no exit */
#define VEC_LEVEL		0x60
#define VEC_EDGE		0x61
#define VEC_HIGH		0x62

/* ---- guest ---- */

static volatile uint32_t irqs[3];

static void eoi(void)
{
	*(volatile uint32_t *)(APIC_GPA + APIC_EOI) = 0;
}

static void irq_level(struct ex_regs *regs __attribute__((unused)))
{
	eoi();
	irqs[0]++;
}

static void irq_edge(struct ex_regs *regs __attribute__((unused)))
{
	eoi();
	irqs[1]++;
}

static void irq_high(struct ex_regs *regs __attribute__((unused)))
{
	eoi();
	irqs[2]++;
}

static void guest_code(void)
{
	*(volatile uint32_t *)(APIC_GPA + APIC_SPIV) = 0x1ff;
	__asm__ __volatile__("sti");
	GUEST_SYNC(1);
	while (irqs[0] < 1)
		;
	GUEST_SYNC(2);
	while (irqs[1] < 1)
		;
	GUEST_SYNC(3);
	while (irqs[2] < 1)
		;
	GUEST_ASSERT_EQ(irqs[0], 1);
	GUEST_ASSERT_EQ(irqs[1], 1);
	GUEST_DONE();
}

/* ---- host ---- */

static struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint8_t vector,
					      bool level)
{
	return (struct kvm_irq_routing_entry) {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = {
			.address_lo = MSI_ADDR_DEST0,
			.data = vector | (level ? MSI_DATA_LEVEL |
						  MSI_DATA_ASSERT : 0),
		},
	};
}

static void set_routes(struct kvm_vm *vm)
{
	struct kvm_irq_routing *rt;

	rt = calloc(1, sizeof(*rt) + 3 * sizeof(rt->entries[0]));
	TEST_ASSERT(rt, "calloc");
	rt->nr = 3;
	rt->entries[0] = msi_route(GSI_LEVEL, VEC_LEVEL, true);
	rt->entries[1] = msi_route(GSI_EDGE, VEC_EDGE, false);
	rt->entries[2] = msi_route(GSI_HIGH, VEC_HIGH, true);
	vm_ioctl(vm, KVM_SET_GSI_ROUTING, rt);
	free(rt);
}

static void raise_gsi(struct kvm_vm *vm, uint32_t gsi)
{
	struct kvm_irq_level l = { .irq = gsi, .level = 1 };

	vm_ioctl(vm, KVM_IRQ_LINE, &l);
}

static void on_alarm(int sig __attribute__((unused)))
{
}

/*
 * One KVM_RUN, interrupted after 10 s (a guest that never gets its
 * interrupt spins): the exit reason, or -1 for the timeout.
 */
static int run_once(struct kvm_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	r = _vcpu_run(vcpu);
	alarm(0);
	if (r < 0 && errno == EINTR)
		return -1;
	TEST_ASSERT(!r, "KVM_RUN: %s", errno_name(errno));
	return vcpu->run->exit_reason;
}

/* The next exit is GUEST_SYNC(@stage). */
static bool expect_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	int reason = run_once(vcpu);
	struct ucall uc;

	if (reason != KVM_EXIT_IO) {
		pr_info("stage %llu: exit %d (%s), wanted GUEST_SYNC",
			(unsigned long long)stage, reason,
			reason < 0 ? "timeout" : exit_reason_str(reason));
		return false;
	}
	if (get_ucall(vcpu, &uc) != UCALL_SYNC || uc.args[0] != stage) {
		REPORT_GUEST_ASSERT(vcpu, uc);
		pr_info("ucall %llu, wanted GUEST_SYNC(%llu)",
			(unsigned long long)uc.args[0],
			(unsigned long long)stage);
		return false;
	}
	return true;
}

static int enable_split(struct kvm_vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { NR_RESERVED },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool ok;
	int r;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(3);

	vm = vm_create(0);
	r = enable_split(vm);
	TEST_ASSERT(!r, "KVM_CAP_SPLIT_IRQCHIP: %s", errno_name(-r));
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	vm_install_exception_handler(vm, VEC_LEVEL, irq_level);
	vm_install_exception_handler(vm, VEC_EDGE, irq_edge);
	vm_install_exception_handler(vm, VEC_HIGH, irq_high);
	/* After the vCPU: KVM computes its EOI exit vectors at the change. */
	set_routes(vm);

	TEST_ASSERT(expect_sync(vcpu, 1), "guest setup");

	raise_gsi(vm, GSI_LEVEL);
	r = run_once(vcpu);
	ok = r == KVM_EXIT_IOAPIC_EOI && vcpu->run->eoi.vector == VEC_LEVEL;
	if (!ok)
		pr_info("exit %d (%s), eoi.vector %#x; wanted IOAPIC_EOI 0x%x",
			r, r < 0 ? "timeout" : exit_reason_str(r),
			vcpu->run->eoi.vector, VEC_LEVEL);
	/* The guest goes on after its EOI: the handler returns. */
	ok = ok && expect_sync(vcpu, 2);
	ksft_test_result(ok, "level_route_eoi_exits");

	/* The guest is not where the rest expects it after a failure. */
	if (!ok) {
		ksft_test_result_skip("edge_route_eoi_no_exit",
				      "the level route's check failed");
		ksft_test_result_skip("unreserved_gsi_eoi_no_exit",
				      "the level route's check failed");
		goto out;
	}

	raise_gsi(vm, GSI_EDGE);
	ok = expect_sync(vcpu, 3);
	ksft_test_result(ok, "edge_route_eoi_no_exit");

	raise_gsi(vm, GSI_HIGH);
	ok = ok && run_once(vcpu) == KVM_EXIT_IO;
	if (ok) {
		struct ucall uc;

		ok = get_ucall(vcpu, &uc) == UCALL_DONE;
		if (!ok)
			REPORT_GUEST_ASSERT(vcpu, uc);
	}
	ksft_test_result(ok, "unreserved_gsi_eoi_no_exit");
out:

	kvm_vm_free(vm);
	ksft_finished();
}
