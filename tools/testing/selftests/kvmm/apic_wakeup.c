// SPDX-License-Identifier: GPL-2.0
/*
 * apic_wakeup: vCPUs that wait in the kernel for their in-kernel local
 * APIC: a halted vCPU woken by another vCPU's IPI, and an AP brought up
 * by the BSP's INIT and SIPI.
 *
 * From the SDM (3A 8.4.4.1 "Typical BSP Initialization Sequence", 10.6.1
 * "Interrupt Command Register") and Linux 6.1's arch/x86/kvm/x86.c
 * (vcpu_block, kvm_arch_vcpu_ioctl_run) and lapic.c:
 *  - HLT with an in-kernel LAPIC does not exit to userspace: KVM_RUN
 *    sleeps until an interrupt the vCPU can take; a fixed IPI written to
 *    another vCPU's ICR wakes it, its handler runs, then the code after
 *    HLT;
 *  - an AP (vCPU 1 of a VM with an irqchip) is UNINITIALIZED: KVM_RUN
 *    blocks, returning EAGAIN when INIT arrives (and on other wakeups),
 *    until a SIPI starts it in real mode at CS = vector << 8, IP = 0.
 *    The BSP sends INIT (assert, then deassert, which KVM ignores) and
 *    two SIPIs, as Linux does; the second is dropped (the AP is no
 *    longer waiting for one).
 *
 * Skipped where KVM_CREATE_IRQCHIP is refused.  A vCPU that does not
 * wake within 5 s is interrupted with a signal and the check fails.
 */
#include <pthread.h>
#include <signal.h>

#include "apic.h"
#include "processor.h"
#include "vcpu_runner.h"

#define IPI_VECTOR	0x40
#define SIPI_VECTOR	0x9a		/* trampoline at 0x9a000 */
#define AP_PORT		0x510		/* the trampoline's OUT */
#define AP_MAGIC	0x1234

/* ---- guests ---- */

static volatile uint64_t irq_count;

static void guest_irq_handler(struct ex_regs *regs __attribute__((unused)))
{
	irq_count++;
	apic_write(APIC_EOI, 0);
}

/* vCPU 1: enable its LAPIC, then halt with interrupts on. */
static void guest_ap_halt(void)
{
	apic_write(APIC_SPIV, 0x1ff);
	GUEST_SYNC(1);
	__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	GUEST_SYNC_ARGS(2, irq_count, 0, 0, 0);
	GUEST_DONE();
}

/* vCPU 0: a fixed IPI, physical destination 1. */
static void guest_bsp_ipi(void)
{
	apic_write(APIC_SPIV, 0x1ff);
	GUEST_SYNC(1);
	apic_send(1, IPI_VECTOR);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* vCPU 0: INIT assert, INIT deassert, SIPI twice (SDM 3A 8.4.4.1). */
static void guest_bsp_startup(void)
{
	apic_write(APIC_SPIV, 0x1ff);
	apic_send(1, 0xc500);			/* INIT, level, assert */
	apic_send(1, 0x8500);			/* INIT, level, deassert */
	apic_send(1, 0x0600 | SIPI_VECTOR);	/* start-up */
	apic_send(1, 0x0600 | SIPI_VECTOR);
	GUEST_DONE();
}

/*
 * The AP's real-mode trampoline: mov ax, AP_MAGIC; mov dx, AP_PORT;
 * out dx, ax; 1: hlt; jmp 1b.
 */
static const uint8_t trampoline[] = {
	0xb8, AP_MAGIC & 0xff, AP_MAGIC >> 8,
	0xba, AP_PORT & 0xff, AP_PORT >> 8,
	0xef,
	0xf4,
	0xeb, 0xfd,
};

/* ---- host: a vCPU on its own thread ---- */

struct ap_run {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile int stop;	/* the watchdog fired */
	volatile int done;
	int retries;		/* KVM_RUN's EAGAIN/EINTR before the exit */
	int ret, err;		/* the KVM_RUN that ended the wait */
};

/* KVM_RUN until an exit, through EAGAIN/EINTR, or until stopped. */
static void *ap_thread(void *arg)
{
	struct ap_run *r = arg;

	for (;;) {
		r->ret = _vcpu_run(r->vcpu);
		r->err = errno;
		if (r->ret == -1 && (r->err == EAGAIN || r->err == EINTR) &&
		    !r->stop) {
			r->retries++;
			continue;
		}
		break;
	}
	r->done = 1;
	return NULL;
}

static void ap_start(struct ap_run *r, struct kvm_vcpu *vcpu)
{
	r->vcpu = vcpu;
	r->stop = r->done = 0;
	r->retries = 0;
	TEST_ASSERT(!pthread_create(&r->thread, NULL, ap_thread, r),
		    "pthread_create");
}

/* Join, interrupting the run after 5 s; false if it had to. */
static bool ap_join(struct ap_run *r)
{
	bool in_time;
	int i;

	for (i = 0; i < 500 && !r->done; i++)
		msleep(10);
	in_time = r->done;
	r->stop = 1;
	while (!r->done) {
		pthread_kill(r->thread, SIGUSR1);
		msleep(10);
	}
	pthread_join(r->thread, NULL);
	return in_time;
}

/* ---- tests ---- */

static struct kvm_vm *irqchip_vm(void)
{
	struct kvm_vm *vm = vm_create(0);

	if (vm_try_create_irqchip(vm))
		return vm;
	kvm_vm_free(vm);
	return NULL;
}

static void test_ipi_wakes_halted(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct ap_run r;
	struct kvm_vm *vm;
	struct ucall uc;
	bool in_time, ok;

	vm = irqchip_vm();
	if (!vm) {
		ksft_test_result_skip("ipi_wakes_halted_vcpu",
				      "KVM_CREATE_IRQCHIP refused");
		return;
	}
	bsp = vm_vcpu_add(vm, 0, guest_bsp_ipi);
	ap = vm_vcpu_add(vm, 1, guest_ap_halt);
	vm_install_exception_handler(vm, IPI_VECTOR, guest_irq_handler);
	/* vm_vcpu_add() set its registers; the AP runs without INIT/SIPI. */
	vcpu_set_mp_state(ap, KVM_MP_STATE_RUNNABLE);

	vcpu_run_expect_sync(ap, 1);
	ap_start(&r, ap);	/* halts in the kernel */
	msleep(200);
	vcpu_run_expect_sync(bsp, 1);
	vcpu_run_expect_sync(bsp, 2);	/* the IPI is sent */
	in_time = ap_join(&r);

	ok = in_time && r.ret == 0 && get_ucall(ap, &uc) == UCALL_SYNC &&
	     uc.args[0] == 2 && uc.args[1] == 1;
	if (!ok)
		pr_info("AP: in time %d, KVM_RUN %d %s, exit %s, %d retries, ucall %llu/%llu",
			in_time, r.ret, r.ret ? errno_name(r.err) : "",
			exit_reason_str(ap->run->exit_reason), r.retries,
			(unsigned long long)uc.args[0],
			(unsigned long long)uc.args[1]);
	ksft_test_result(ok, "ipi_wakes_halted_vcpu");
	kvm_vm_free(vm);
}

static void test_init_sipi_startup(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_sregs sregs;
	struct ap_run r;
	struct kvm_vm *vm;
	bool in_time, ok;
	uint16_t val = 0;

	vm = irqchip_vm();
	if (!vm) {
		ksft_test_result_skip("init_sipi_starts_ap",
				      "KVM_CREATE_IRQCHIP refused");
		ksft_test_result_skip("ap_waits_for_sipi",
				      "KVM_CREATE_IRQCHIP refused");
		return;
	}
	bsp = vm_vcpu_add(vm, 0, guest_bsp_startup);
	ap = __vm_vcpu_add(vm, 1);
	vm_write_gpa(vm, SIPI_VECTOR << 12, trampoline, sizeof(trampoline));

	ap_start(&r, ap);	/* blocks: UNINITIALIZED */
	msleep(200);
	ok = !r.done;
	ksft_test_result(ok, "ap_waits_for_sipi");

	vcpu_run_expect_done(bsp);
	in_time = ap_join(&r);
	if (r.ret == 0 && ap->run->exit_reason == KVM_EXIT_IO)
		memcpy(&val, vcpu_io_data(ap), sizeof(val));
	vcpu_sregs_get(ap, &sregs);
	ok = in_time && r.ret == 0 && ap->run->exit_reason == KVM_EXIT_IO &&
	     ap->run->io.port == AP_PORT && ap->run->io.size == 2 &&
	     val == AP_MAGIC && sregs.cs.selector == SIPI_VECTOR << 8 &&
	     sregs.cs.base == SIPI_VECTOR << 12;
	if (!ok)
		pr_info("AP: in time %d, KVM_RUN %d %s, exit %s port %#x value %#x, cs %#x/%#llx, %d retries",
			in_time, r.ret, r.ret ? errno_name(r.err) : "",
			exit_reason_str(ap->run->exit_reason),
			ap->run->io.port, val, sregs.cs.selector,
			(unsigned long long)sregs.cs.base, r.retries);
	ksft_test_result(ok, "init_sipi_starts_ap");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	runner_setup_kick();

	ksft_set_plan(3);
	test_ipi_wakes_halted();
	test_init_sipi_startup();
	ksft_finished();
}
