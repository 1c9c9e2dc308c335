// SPDX-License-Identifier: GPL-2.0
/*
 * mp_state: a vCPU's multiprocessor state (KVM_GET/SET_MP_STATE), HLT,
 * KVM_SET_BOOT_CPU_ID, and KVM_RUN of a vCPU that is not running, with
 * and without an in-kernel irqchip.
 *
 * From api.rst ("KVM_GET_MP_STATE", "KVM_SET_MP_STATE",
 * "KVM_SET_BOOT_CPU_ID", "KVM_INTERRUPT") and Linux 6.1's
 * arch/x86/kvm/x86.c (kvm_arch_vcpu_ioctl_set_mpstate,
 * kvm_arch_vcpu_ioctl_run, vcpu_block, kvm_vcpu_ioctl_interrupt):
 *
 * Without an in-kernel irqchip (userspace's LAPIC):
 *  - a new vCPU is RUNNABLE; KVM_SET_MP_STATE takes RUNNABLE only:
 *    UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED and AP_RESET_HOLD
 *    need an in-kernel LAPIC, other values (s390's, arm64's) are never
 *    valid: EINVAL, the state unchanged;
 *  - HLT exits to userspace (KVM_EXIT_HLT), the vCPU stays RUNNABLE;
 *    HLT completes an STI shadow: after "sti; hlt" the vCPU is ready for
 *    an interrupt (no shadow, IF set);
 *  - KVM_SET_BOOT_CPU_ID works before the first vCPU, EBUSY after.
 *
 * With KVM_CREATE_IRQCHIP (skipped where the hypervisor refuses it):
 *  - the BSP (vCPU 0, or the KVM_SET_BOOT_CPU_ID one, APIC base bit 8)
 *    starts RUNNABLE, the others UNINITIALIZED;
 *  - every x86 state can be set and read back, SIPI_RECEIVED excepted:
 *    it is a pending SIPI, taken at once by KVM_GET_MP_STATE (RUNNABLE,
 *    CS = vector << 8 / base vector << 12, RIP 0, the vector set with
 *    KVM_SET_VCPU_EVENTS' sipi_vector);
 *  - a latched INIT (KVM_SET_VCPU_EVENTS smi.latched_init) sends an AP
 *    to INIT_RECEIVED in the reset state;
 *  - KVM_RUN of an UNINITIALIZED vCPU blocks in the kernel: immediate_exit
 *    gives EINTR, a signal ends it with EINTR and KVM_EXIT_INTR;
 *  - HLT does not exit: the vCPU sleeps in the kernel (HALTED) until a
 *    signal (EINTR, KVM_EXIT_INTR, still HALTED) or an event: KVM_NMI
 *    wakes it and the guest's NMI handler runs;
 *  - KVM_INTERRUPT is for a userspace PIC only: ENXIO.
 *
 * To add once the LAPIC and the routing exist (they need a working
 * LAPIC, so they are not here; each should pass on the reference):
 *  - a halted vCPU (sti; hlt) woken by a fixed IPI from another vCPU,
 *    by the LAPIC timer (one-shot), by an irqfd through the IOAPIC, with
 *    no KVM_EXIT_HLT and the vCPU's "blocks" debugfs counter moving;
 *  - an NMI IPI waking "cli; hlt"; an interrupt sent while IF=0 taken
 *    right after the STI shadow (the interrupt window path);
 *  - INIT/SIPI bring-up: vCPU 1 blocked in KVM_RUN (UNINITIALIZED) in
 *    its own thread, the BSP writes INIT then SIPI to the ICR, the AP
 *    runs a real-mode trampoline at vector << 12 and reports;
 *  - INIT to a running vCPU: back at 0xfff0 (BSP) or in INIT_RECEIVED;
 *  - split irqchip: KVM_INTERRUPT's ExtINT taken through LINT0, EEXIST
 *    for a second one before the first was taken.
 */
#include "processor.h"
#include "vcpu_runner.h"

#define MSR_IA32_APICBASE	0x1b
#define APICBASE_BSP		(1ULL << 8)

/* ---- guests ---- */

static void guest_hlt(void)
{
	__asm__ __volatile__("cli; hlt" ::: "memory");
	GUEST_SYNC(1);
	__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	GUEST_DONE();
}

static volatile uint64_t nmi_count;

static void guest_nmi_handler(struct ex_regs *regs __attribute__((unused)))
{
	nmi_count++;
}

/* Halts with interrupts off: only an NMI, INIT or the host wakes it. */
static void guest_halted(void)
{
	__asm__ __volatile__("cli; hlt" ::: "memory");
	GUEST_SYNC_ARGS(1, nmi_count, 0, 0, 0);
	GUEST_DONE();
}

/* ---- host helpers ---- */

static uint32_t get_mp(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static int set_mp(struct kvm_vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return __vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
}

static uint64_t get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_MSRS, &m) == 1, "KVM_GET_MSRS");
	return m.e.data;
}

/*
 * KVM_RUN with a SIGUSR1 sent after @delay_ms from another thread: the
 * run's result (-1 and errno EINTR expected) in *@err.
 */
static int run_until_signal(struct kvm_vcpu *vcpu, unsigned int delay_ms,
			    int *err)
{
	struct kicker k = { .delay_ms = delay_ms };

	return vcpu_run_kicked(vcpu, &k, err);
}

/* ---- without an in-kernel irqchip ---- */

static const uint32_t lapic_states[] = {
	KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
	KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED,
	KVM_MP_STATE_AP_RESET_HOLD,
};

static const uint32_t never_states[] = {
	KVM_MP_STATE_STOPPED, KVM_MP_STATE_CHECK_STOP,
	KVM_MP_STATE_OPERATING, KVM_MP_STATE_LOAD,
	KVM_MP_STATE_SUSPENDED, 11, 0x80000000u, 0xffffffffu,
};

static bool set_all_einval(struct kvm_vcpu *vcpu, const uint32_t *states,
			   unsigned int n)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int ret = set_mp(vcpu, states[i]);
		int err = errno;

		if (ret != -1 || err != EINVAL) {
			pr_info("KVM_SET_MP_STATE(%u): %d %s, wanted EINVAL",
				states[i], ret, ret ? errno_name(err) : "");
			ok = false;
		}
		if (get_mp(vcpu) != KVM_MP_STATE_RUNNABLE) {
			pr_info("state %u after a refused KVM_SET_MP_STATE(%u)",
				get_mp(vcpu), states[i]);
			ok = false;
		}
	}
	return ok;
}

static void test_no_irqchip(void)
{
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool ok;
	int ret, err;

	vm = vm_create_barebones();
	ret = __vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0);
	err = errno;
	if (ret)
		pr_info("KVM_SET_BOOT_CPU_ID(0) before vCPUs: %d %s", ret,
			errno_name(err));
	ksft_test_result(ret == 0, "boot_cpu_id_before_vcpus");
	__vm_vcpu_add(vm, 0);
	ret = __vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0);
	err = errno;
	if (ret != -1 || err != EBUSY)
		pr_info("KVM_SET_BOOT_CPU_ID after a vCPU: %d %s", ret,
			ret ? errno_name(err) : "");
	ksft_test_result(ret == -1 && err == EBUSY, "boot_cpu_id_after_vcpu_ebusy");
	kvm_vm_free(vm);

	vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);
	ksft_test_result(get_mp(vcpu) == KVM_MP_STATE_RUNNABLE,
			 "new_vcpu_runnable");
	ok = set_mp(vcpu, KVM_MP_STATE_RUNNABLE) == 0 &&
	     get_mp(vcpu) == KVM_MP_STATE_RUNNABLE;
	ksft_test_result(ok, "set_runnable");
	ksft_test_result(set_all_einval(vcpu, lapic_states,
					ARRAY_SIZE(lapic_states)),
			 "lapic_states_einval_without_irqchip");
	ksft_test_result(set_all_einval(vcpu, never_states,
					ARRAY_SIZE(never_states)),
			 "other_states_einval");

	/* cli; hlt: out to userspace, still RUNNABLE, not ready (IF=0). */
	vcpu_run(vcpu);
	ok = vcpu->run->exit_reason == KVM_EXIT_HLT &&
	     get_mp(vcpu) == KVM_MP_STATE_RUNNABLE &&
	     !vcpu->run->ready_for_interrupt_injection;
	if (!ok)
		pr_info("cli; hlt: exit %s, mp_state %u, ready %u",
			exit_reason_str(vcpu->run->exit_reason), get_mp(vcpu),
			vcpu->run->ready_for_interrupt_injection);
	ksft_test_result(ok, "hlt_exits_to_userspace");

	/* sti; hlt: the HLT ended the STI shadow. */
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run(vcpu);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	ok = vcpu->run->exit_reason == KVM_EXIT_HLT &&
	     vcpu->run->if_flag && !ev.interrupt.shadow &&
	     vcpu->run->ready_for_interrupt_injection;
	if (!ok)
		pr_info("sti; hlt: exit %s, IF %u, shadow %u, ready %u",
			exit_reason_str(vcpu->run->exit_reason),
			vcpu->run->if_flag, ev.interrupt.shadow,
			vcpu->run->ready_for_interrupt_injection);
	ksft_test_result(ok, "sti_hlt_ends_shadow");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* ---- with an in-kernel irqchip ---- */

#define NR_IRQCHIP_TESTS	10

static void skip_irqchip_tests(const char *why)
{
	static const char *const names[NR_IRQCHIP_TESTS] = {
		"irqchip_bsp_runnable_ap_uninitialized",
		"irqchip_boot_cpu_id_moves_bsp",
		"irqchip_set_get_every_state",
		"irqchip_latched_init_resets_ap",
		"irqchip_sipi_received_starts_at_vector",
		"irqchip_uninitialized_immediate_exit",
		"irqchip_uninitialized_blocks_until_signal",
		"irqchip_hlt_blocks_until_signal",
		"irqchip_nmi_wakes_halted_vcpu",
		"irqchip_kvm_interrupt_enxio",
	};
	unsigned int i;

	for (i = 0; i < NR_IRQCHIP_TESTS; i++)
		ksft_test_result_skip(names[i], "%s", why);
}

static void test_start_states(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm;
	bool ok;

	vm = vm_create_barebones();
	TEST_ASSERT(vm_try_create_irqchip(vm), "irqchip went away");
	bsp = __vm_vcpu_add(vm, 0);
	ap = __vm_vcpu_add(vm, 1);
	ok = get_mp(bsp) == KVM_MP_STATE_RUNNABLE &&
	     get_mp(ap) == KVM_MP_STATE_UNINITIALIZED &&
	     (get_msr(bsp, MSR_IA32_APICBASE) & APICBASE_BSP) &&
	     !(get_msr(ap, MSR_IA32_APICBASE) & APICBASE_BSP);
	if (!ok)
		pr_info("vCPU 0: %u base %#llx, vCPU 1: %u base %#llx",
			get_mp(bsp),
			(unsigned long long)get_msr(bsp, MSR_IA32_APICBASE),
			get_mp(ap),
			(unsigned long long)get_msr(ap, MSR_IA32_APICBASE));
	ksft_test_result(ok, "irqchip_bsp_runnable_ap_uninitialized");
	kvm_vm_free(vm);

	vm = vm_create_barebones();
	vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 1);
	TEST_ASSERT(vm_try_create_irqchip(vm), "irqchip went away");
	ap = __vm_vcpu_add(vm, 0);
	bsp = __vm_vcpu_add(vm, 1);
	ok = get_mp(bsp) == KVM_MP_STATE_RUNNABLE &&
	     get_mp(ap) == KVM_MP_STATE_UNINITIALIZED &&
	     (get_msr(bsp, MSR_IA32_APICBASE) & APICBASE_BSP) &&
	     !(get_msr(ap, MSR_IA32_APICBASE) & APICBASE_BSP);
	if (!ok)
		pr_info("boot id 1: vCPU 1: %u base %#llx, vCPU 0: %u base %#llx",
			get_mp(bsp),
			(unsigned long long)get_msr(bsp, MSR_IA32_APICBASE),
			get_mp(ap),
			(unsigned long long)get_msr(ap, MSR_IA32_APICBASE));
	ksft_test_result(ok, "irqchip_boot_cpu_id_moves_bsp");
	kvm_vm_free(vm);
}

static void test_ap_states(void)
{
	static const uint32_t settable[] = {
		KVM_MP_STATE_RUNNABLE, KVM_MP_STATE_UNINITIALIZED,
		KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_HALTED,
		KVM_MP_STATE_AP_RESET_HOLD,
	};
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *ap;
	struct kvm_vm *vm;
	unsigned int i;
	bool ok = true;
	int ret, err;

	vm = vm_create_barebones();
	TEST_ASSERT(vm_try_create_irqchip(vm), "irqchip went away");
	__vm_vcpu_add(vm, 0);
	ap = __vm_vcpu_add(vm, 1);

	for (i = 0; i < ARRAY_SIZE(settable); i++) {
		uint32_t got;

		ret = set_mp(ap, settable[i]);
		err = errno;
		got = get_mp(ap);
		if (ret || got != settable[i]) {
			pr_info("KVM_SET_MP_STATE(%u): %d %s, reads %u",
				settable[i], ret, ret ? errno_name(err) : "",
				got);
			ok = false;
		}
	}
	ok = ok && !set_mp(ap, KVM_MP_STATE_RUNNABLE) &&
	     set_all_einval(ap, never_states, ARRAY_SIZE(never_states));
	ksft_test_result(ok, "irqchip_set_get_every_state");

	/* A latched INIT: the AP goes to wait-for-SIPI in the reset state. */
	TEST_ASSERT(!set_mp(ap, KVM_MP_STATE_RUNNABLE), "KVM_SET_MP_STATE");
	vcpu_regs_get(ap, &regs);
	regs.rip = 0x1234;
	regs.rax = 0x5678;
	vcpu_regs_set(ap, &regs);
	vcpu_sregs_get(ap, &sregs);
	sregs.cs.selector = 0x1000;
	sregs.cs.base = 0x10000;
	vcpu_sregs_set(ap, &sregs);
	vcpu_ioctl(ap, KVM_GET_VCPU_EVENTS, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_SMM;
	ev.smi.smm = 0;
	ev.smi.pending = 0;
	ev.smi.latched_init = 1;
	vcpu_ioctl(ap, KVM_SET_VCPU_EVENTS, &ev);
	vcpu_regs_get(ap, &regs);	/* the INIT is not taken before... */
	ok = regs.rip == 0x1234;
	ok = ok && get_mp(ap) == KVM_MP_STATE_INIT_RECEIVED;	/* ...this */
	vcpu_regs_get(ap, &regs);
	vcpu_sregs_get(ap, &sregs);
	ok = ok && regs.rip == 0xfff0 && regs.rax == 0 &&
	     sregs.cs.selector == 0xf000 && sregs.cs.base == 0xffff0000;
	if (!ok)
		pr_info("after INIT: mp_state %u, rip %#llx rax %#llx cs %#x/%#llx",
			get_mp(ap), (unsigned long long)regs.rip,
			(unsigned long long)regs.rax, sregs.cs.selector,
			(unsigned long long)sregs.cs.base);
	ksft_test_result(ok, "irqchip_latched_init_resets_ap");

	/* SIPI_RECEIVED with vector 0x9a: started at 9a00:0000. */
	vcpu_ioctl(ap, KVM_GET_VCPU_EVENTS, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	ev.sipi_vector = 0x9a;
	vcpu_ioctl(ap, KVM_SET_VCPU_EVENTS, &ev);
	ret = set_mp(ap, KVM_MP_STATE_SIPI_RECEIVED);
	ok = ret == 0 && get_mp(ap) == KVM_MP_STATE_RUNNABLE;
	vcpu_regs_get(ap, &regs);
	vcpu_sregs_get(ap, &sregs);
	ok = ok && regs.rip == 0 && sregs.cs.selector == 0x9a00 &&
	     sregs.cs.base == 0x9a000;
	if (!ok)
		pr_info("after SIPI 0x9a: %d, mp_state %u, rip %#llx cs %#x/%#llx",
			ret, get_mp(ap), (unsigned long long)regs.rip,
			sregs.cs.selector, (unsigned long long)sregs.cs.base);
	ksft_test_result(ok, "irqchip_sipi_received_starts_at_vector");

	/* KVM_RUN of an UNINITIALIZED AP. */
	TEST_ASSERT(!set_mp(ap, KVM_MP_STATE_UNINITIALIZED), "KVM_SET_MP_STATE");
	ap->run->immediate_exit = 1;
	ret = _vcpu_run(ap);
	err = errno;
	ap->run->immediate_exit = 0;
	ok = ret == -1 && err == EINTR;
	if (!ok)
		pr_info("UNINITIALIZED, immediate_exit: %d %s", ret,
			ret ? errno_name(err) : "");
	ksft_test_result(ok, "irqchip_uninitialized_immediate_exit");

	ret = run_until_signal(ap, 100, &err);
	ok = ret == -1 && err == EINTR &&
	     ap->run->exit_reason == KVM_EXIT_INTR && sigusr1_count == 1 &&
	     get_mp(ap) == KVM_MP_STATE_UNINITIALIZED;
	if (!ok)
		pr_info("UNINITIALIZED, signal: %d %s, exit %s, handler %d, mp_state %u",
			ret, ret ? errno_name(err) : "",
			exit_reason_str(ap->run->exit_reason),
			(int)sigusr1_count, get_mp(ap));
	ksft_test_result(ok, "irqchip_uninitialized_blocks_until_signal");
	kvm_vm_free(vm);
}

static void test_halt_in_kernel(void)
{
	struct kvm_interrupt irq = { .irq = 0x30 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int ret, err;
	bool ok;

	vm = vm_create(0);
	TEST_ASSERT(vm_try_create_irqchip(vm), "irqchip went away");
	vcpu = vm_vcpu_add(vm, 0, guest_halted);
	vm_install_exception_handler(vm, 2, guest_nmi_handler);

	/* No KVM_EXIT_HLT: asleep in KVM_RUN until the signal. */
	ret = run_until_signal(vcpu, 200, &err);
	ok = ret == -1 && err == EINTR &&
	     vcpu->run->exit_reason == KVM_EXIT_INTR &&
	     get_mp(vcpu) == KVM_MP_STATE_HALTED;
	if (!ok)
		pr_info("cli; hlt: %d %s, exit %s, mp_state %u", ret,
			ret ? errno_name(err) : "",
			exit_reason_str(vcpu->run->exit_reason), get_mp(vcpu));
	ksft_test_result(ok, "irqchip_hlt_blocks_until_signal");

	/* An NMI wakes it; the handler runs, then the code after HLT. */
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	uc = vcpu_run_expect_sync(vcpu, 1);
	ok = uc.args[1] == 1 && get_mp(vcpu) == KVM_MP_STATE_RUNNABLE;
	if (!ok)
		pr_info("after KVM_NMI: %llu NMIs, mp_state %u",
			(unsigned long long)uc.args[1], get_mp(vcpu));
	ksft_test_result(ok, "irqchip_nmi_wakes_halted_vcpu");

	ret = __vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	err = errno;
	if (ret != -1 || err != ENXIO)
		pr_info("KVM_INTERRUPT with the in-kernel PIC: %d %s", ret,
			ret ? errno_name(err) : "");
	ksft_test_result(ret == -1 && err == ENXIO, "irqchip_kvm_interrupt_enxio");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void test_irqchip(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool have = vm_try_create_irqchip(vm);

	kvm_vm_free(vm);
	/* Reported, so it must work (caps.rst). */
	TEST_ASSERT(have || !kvm_check_cap(KVM_CAP_IRQCHIP),
		    "KVM_CAP_IRQCHIP reported, KVM_CREATE_IRQCHIP refused");
	if (!have) {
		skip_irqchip_tests("no KVM_CAP_IRQCHIP on this host");
		return;
	}
	test_start_states();
	test_ap_states();
	test_halt_in_kernel();
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());
	runner_setup_kick();

	ksft_set_plan(8 + NR_IRQCHIP_TESTS);
	test_no_irqchip();
	test_irqchip();
	ksft_finished();
}
