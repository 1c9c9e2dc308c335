// SPDX-License-Identifier: GPL-2.0
/*
 * pit_state: the in-kernel 8254 PIT's ABI (api.rst 4.71 KVM_CREATE_PIT2,
 * 4.72/4.73 KVM_GET/SET_PIT2, 4.99 KVM_REINJECT_CONTROL, and the obsolete
 * KVM_CREATE_PIT, KVM_GET/SET_PIT) as Linux 6.1 implements it
 * (arch/x86/kvm/x86.c, i8254.c):
 *  - without a PIT every state ioctl fails with ENXIO, after EFAULT for
 *    an argument it reads first;
 *  - KVM_CREATE_PIT2 works without an irqchip (api.rst says "only valid
 *    after KVM_CREATE_IRQCHIP", 6.1 does not check) and a second PIT is
 *    EEXIST;
 *  - the reset state, and KVM_SET_PIT2 / KVM_GET_PIT2 round trips (a
 *    count of 0 reads back as 0x10000, flags are kept as given, reserved
 *    reads as 0; counting restarts at the SET);
 *  - the guest's port accesses to 0x40-0x43, and to 0x61 with
 *    KVM_PIT_SPEAKER_DUMMY only, stay in the kernel;
 *  - with KVM_CREATE_IRQCHIP first, counter 0 in mode 2 interrupts the
 *    guest through the PIC at its rate; ticks the guest could not take
 *    (interrupts off) come all, back to back, in reinject mode, and as
 *    one in discard mode (KVM_REINJECT_CONTROL).
 * The irqchip cases skip while the kernel refuses KVM_CREATE_IRQCHIP
 * (kvmm before issue #14's irqchip lands).
 */
#include "guest_io.h"

#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define SPEAKER		0x61

#define TIMER_VECTOR	0x20
#define TIMER_COUNT	11932		/* 10 ms at 1.193182 MHz */
#define TIMER_TICKS	10
#define BACKLOG_MS	200		/* 20 ticks missed */
#define BACKLOG_TICKS	15

static bool errno_is(int r, int e)
{
	return r == -1 && errno == e;
}

static int create_pit2(struct kvm_vm *vm, uint32_t flags)
{
	struct kvm_pit_config cfg = { .flags = flags };

	return __vm_ioctl(vm, KVM_CREATE_PIT2, &cfg);
}

/* No PIT: ENXIO for each, but EFAULT first where 6.1 copies in first. */
static void test_no_pit(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_reinject_control rc = { .pit_reinject = 1 };
	struct kvm_pit_state2 ps2 = {};
	struct kvm_pit_state ps = {};
	void *bad = (void *)8;
	bool ok;

	ok = errno_is(__vm_ioctl(vm, KVM_GET_PIT2, &ps2), ENXIO) &&
	     errno_is(__vm_ioctl(vm, KVM_SET_PIT2, &ps2), ENXIO) &&
	     errno_is(__vm_ioctl(vm, KVM_GET_PIT, &ps), ENXIO) &&
	     errno_is(__vm_ioctl(vm, KVM_SET_PIT, &ps), ENXIO) &&
	     errno_is(__vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc), ENXIO);
	ksft_test_result(ok, "no_pit_enxio");

	/* GET_PIT2 checks for the PIT before touching the argument. */
	ok = errno_is(__vm_ioctl(vm, KVM_GET_PIT2, bad), ENXIO) &&
	     errno_is(__vm_ioctl(vm, KVM_SET_PIT2, bad), EFAULT) &&
	     errno_is(__vm_ioctl(vm, KVM_GET_PIT, bad), EFAULT) &&
	     errno_is(__vm_ioctl(vm, KVM_SET_PIT, bad), EFAULT) &&
	     errno_is(__vm_ioctl(vm, KVM_REINJECT_CONTROL, bad), EFAULT) &&
	     errno_is(__vm_ioctl(vm, KVM_CREATE_PIT2, bad), EFAULT);
	ksft_test_result(ok, "efault_order");
	kvm_vm_free(vm);
}

/* The power-on state of KVM's model: no mode, count 0, GATE 2 low. */
static bool reset_state_ok(const struct kvm_pit_state2 *s)
{
	int i;

	if (s->flags)
		return false;
	for (i = 0; i < 9; i++)
		if (s->reserved[i])
			return false;
	for (i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &s->channels[i];

		if (c->mode != 0xff || c->count != 0x10000 ||
		    c->gate != (i != 2) || c->rw_mode || c->count_latched ||
		    c->status_latched) {
			pr_info("channel %d: mode %#x count %#x gate %u rw %u",
				i, c->mode, c->count, c->gate, c->rw_mode);
			return false;
		}
	}
	return true;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Equal in everything but count_load_time (restarted by the SET). */
static bool channel_eq(const struct kvm_pit_channel_state *a,
		       const struct kvm_pit_channel_state *b, int i)
{
	if (a->count == b->count && a->latched_count == b->latched_count &&
	    a->count_latched == b->count_latched &&
	    a->status_latched == b->status_latched &&
	    a->status == b->status && a->read_state == b->read_state &&
	    a->write_state == b->write_state &&
	    a->write_latch == b->write_latch && a->rw_mode == b->rw_mode &&
	    a->mode == b->mode && a->bcd == b->bcd && a->gate == b->gate)
		return true;
	pr_info("channel %d: count %#x/%#x latched %#x/%#x mode %#x/%#x rw %u/%u gate %u/%u",
		i, a->count, b->count, a->latched_count, b->latched_count,
		a->mode, b->mode, a->rw_mode, b->rw_mode, a->gate, b->gate);
	return false;
}

static const struct kvm_pit_channel_state set_channels[3] = {
	{ .count = 0x1234, .read_state = 3, .write_state = 3, .rw_mode = 3,
	  .mode = 2, .gate = 1 },
	/* count 0: reads back as 0x10000 */
	{ .count = 0, .read_state = 1, .write_state = 1, .rw_mode = 1,
	  .mode = 3, .gate = 1 },
	/* mid-access: latched count, status, MSB of a word next */
	{ .count = 100, .latched_count = 0xbeef, .count_latched = 3,
	  .status_latched = 1, .status = 0x30, .read_state = 4,
	  .write_state = 4, .write_latch = 0x12, .rw_mode = 3, .mode = 0,
	  .gate = 0 },
};

static void test_state(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_reinject_control rc = {};
	struct kvm_pit_state2 ps2, got2;
	struct kvm_pit_state ps, got;
	int64_t before, after;
	bool ok;
	int i;

	ok = !create_pit2(vm, KVM_PIT_SPEAKER_DUMMY);
	ksft_test_result(ok, "create_without_irqchip");
	if (!ok)
		pr_info("KVM_CREATE_PIT2: %s", strerror(errno));
	ok = errno_is(create_pit2(vm, 0), EEXIST) &&
	     errno_is(__vm_ioctl(vm, KVM_CREATE_PIT, 0), EEXIST);
	ksft_test_result(ok, "second_pit_eexist");

	memset(&got2, 0xa5, sizeof(got2));
	ok = !__vm_ioctl(vm, KVM_GET_PIT2, &got2) && reset_state_ok(&got2);
	ksft_test_result(ok, "reset_state");

	memset(&ps2, 0, sizeof(ps2));
	memcpy(ps2.channels, set_channels, sizeof(set_channels));
	/* Flags are kept as given, unknown bits too (6.1 checks none). */
	ps2.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON | 0x80000000u;
	ps2.reserved[0] = 0x1234;
	before = mono_ns();
	ok = !__vm_ioctl(vm, KVM_SET_PIT2, &ps2);
	after = mono_ns();
	memset(&got2, 0xa5, sizeof(got2));
	ok = ok && !__vm_ioctl(vm, KVM_GET_PIT2, &got2);
	ps2.channels[1].count = 0x10000;
	for (i = 0; ok && i < 3; i++)
		ok = channel_eq(&got2.channels[i], &ps2.channels[i], i);
	ok = ok && got2.flags == ps2.flags && !got2.reserved[0];
	/* Counters 1 and 2 restart counting at the SET (ch 0: see above). */
	for (i = 1; ok && i < 3; i++)
		ok = got2.channels[i].count_load_time >= before &&
		     got2.channels[i].count_load_time <= after;
	ksft_test_result(ok, "set_get_pit2");

	/* The obsolete pair: channels only, flags stay. */
	memset(&ps, 0, sizeof(ps));
	memcpy(ps.channels, set_channels, sizeof(set_channels));
	ps.channels[0].mode = 3;
	ps.channels[0].count = 0x4321;
	ok = !__vm_ioctl(vm, KVM_SET_PIT, &ps);
	ok = ok && !__vm_ioctl(vm, KVM_GET_PIT, &got);
	ps.channels[1].count = 0x10000;
	for (i = 0; ok && i < 3; i++)
		ok = channel_eq(&got.channels[i], &ps.channels[i], i);
	ok = ok && !__vm_ioctl(vm, KVM_GET_PIT2, &got2) &&
	     got2.flags == ps2.flags;
	ksft_test_result(ok, "set_get_pit");

	ok = !__vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc);
	rc.pit_reinject = 1;
	ok = ok && !__vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc);
	rc.pit_reinject = 0x80;
	ok = ok && !__vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc);
	ksft_test_result(ok, "reinject_control");
	kvm_vm_free(vm);

	/* The obsolete KVM_CREATE_PIT on its own. */
	vm = vm_create_barebones();
	ok = !__vm_ioctl(vm, KVM_CREATE_PIT, 0) &&
	     errno_is(create_pit2(vm, 0), EEXIST);
	ksft_test_result(ok, "create_pit_obsolete");
	kvm_vm_free(vm);
}

/* Guest port I/O that must not reach userspace: -1 (with why) if it does. */
static uint64_t port_in(struct kvm_vcpu *vcpu, uint16_t port, bool *ok)
{
	if (gio_do(vcpu, GIO_PIO_IN, port, 1, 0, 1, NULL)) {
		pr_info("in %#x reached userspace", port);
		*ok = false;
	}
	sync_global_from_guest(vcpu->vm, gio_result);
	return gio_result & 0xff;
}

static void port_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t v,
		     bool *ok)
{
	if (gio_do(vcpu, GIO_PIO_OUT, port, 1, v, 1, NULL)) {
		pr_info("out %#x reached userspace", port);
		*ok = false;
	}
}

/*
 * The guest programs counter 2 as Linux's TSC calibration does (GATE
 * through port 0x61), reads it back with a latch and the read-back
 * command; KVM_GET_PIT2 sees what it did.
 */
static void test_guest_ports(void)
{
	struct kvm_pit_state2 s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint16_t v, v2;
	uint8_t st;
	bool ok = true;

	vm = gio_vm_create(&vcpu);
	TEST_ASSERT_EQ(create_pit2(vm, KVM_PIT_SPEAKER_DUMMY), 0);
	port_out(vcpu, SPEAKER, 0x03, &ok);		/* GATE 2, data on */
	ok = ok && (port_in(vcpu, SPEAKER, &ok) & 0x03) == 0x03;
	port_out(vcpu, PIT_CMD, 0xb4, &ok);		/* ch 2, word, mode 2 */
	port_out(vcpu, PIT_CH2, 0x00, &ok);
	port_out(vcpu, PIT_CH2, 0x10, &ok);		/* count 0x1000 */
	port_out(vcpu, PIT_CMD, 0x80, &ok);		/* latch ch 2 */
	v = port_in(vcpu, PIT_CH2, &ok);
	v |= port_in(vcpu, PIT_CH2, &ok) << 8;
	if (!v || v > 0x1000) {
		pr_info("latched count %#x", v);
		ok = false;
	}
	/* Read-back, status of counter 2: OUT aside, RW 3, mode 2, binary. */
	port_out(vcpu, PIT_CMD, 0xe8, &ok);
	st = port_in(vcpu, PIT_CH2, &ok);
	if ((st & 0x7f) != 0x34) {
		pr_info("status %#x", st);
		ok = false;
	}
	/* Unlatched word reads: LSB then MSB. */
	v2 = port_in(vcpu, PIT_CH2, &ok);
	v2 |= port_in(vcpu, PIT_CH2, &ok) << 8;
	ok = ok && v2 && v2 <= 0x1000;
	ok = ok && !__vm_ioctl(vm, KVM_GET_PIT2, &s) &&
	     s.channels[2].mode == 2 && s.channels[2].count == 0x1000 &&
	     s.channels[2].rw_mode == 3 && s.channels[2].gate == 1 &&
	     (s.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	ksft_test_result(ok, "guest_ports");

	port_out(vcpu, SPEAKER, 0x00, &ok);
	ok = ok && !__vm_ioctl(vm, KVM_GET_PIT2, &s) &&
	     s.channels[2].gate == 0 &&
	     !(s.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	ksft_test_result(ok, "speaker_port");
	gio_vm_free(vm, vcpu);

	/* Without KVM_PIT_SPEAKER_DUMMY, port 0x61 is userspace's. */
	vm = gio_vm_create(&vcpu);
	TEST_ASSERT_EQ(create_pit2(vm, 0), 0);
	ok = gio_do(vcpu, GIO_PIO_OUT, SPEAKER, 1, 1, 1, NULL) == 1 &&
	     gio_do(vcpu, GIO_PIO_OUT, PIT_CMD, 1, 0x34, 1, NULL) == 0;
	ksft_test_result(ok, "no_speaker_without_flag");
	gio_vm_free(vm, vcpu);
}

static volatile uint64_t timer_ticks;

static void guest_timer_handler(struct ex_regs *regs __attribute__((unused)))
{
	timer_ticks++;
	outb(0x20, 0x20);			/* non-specific EOI */
}

/* PIC at vector 0x20 with only IRQ0 open. */
static void guest_pic_init(void)
{
	outb(0x20, 0x11);			/* ICW1: edge, cascade, ICW4 */
	outb(0x21, TIMER_VECTOR);		/* ICW2 */
	outb(0x21, 0x04);			/* ICW3: slave on IRQ2 */
	outb(0x21, 0x01);			/* ICW4: 8086 */
	outb(0x21, 0xfe);			/* OCW1: IRQ0 only */
	outb(0xa1, 0xff);
}

/* PIT counter 0 at 100 Hz, mode 2. */
static void guest_pit_start(void)
{
	outb(PIT_CMD, 0x34);			/* ch 0, word, mode 2 */
	outb(PIT_CH0, TIMER_COUNT & 0xff);
	outb(PIT_CH0, TIMER_COUNT >> 8);
}

static void guest_wait_ticks(uint64_t n)
{
	__asm__ __volatile__("sti");
	while (timer_ticks < n)
		halt();
	__asm__ __volatile__("cli");
}

static void guest_timer(void)
{
	guest_pic_init();
	GUEST_SYNC(1);
	guest_pit_start();
	guest_wait_ticks(TIMER_TICKS);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* The timer runs while interrupts are off, then the guest takes them. */
static void guest_backlog(void)
{
	guest_pic_init();
	guest_pit_start();
	GUEST_SYNC(1);
	guest_wait_ticks(BACKLOG_TICKS);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* KVM_CREATE_IRQCHIP first, then the PIT: IRQ0 reaches the guest. */
static void test_with_irqchip(void)
{
	struct kvm_pit_state2 s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int64_t t0, dt;
	bool ok;

	/* The guest image is a copy of ours: start it at 0 ticks. */
	timer_ticks = 0;
	vm = vm_create(0);
	if (__vm_create_irqchip(vm)) {
		const char *why = strerror(errno);

		ksft_test_result_skip("create_after_irqchip",
				      "KVM_CREATE_IRQCHIP: %s", why);
		ksft_test_result_skip("timer_irq", "KVM_CREATE_IRQCHIP: %s",
				      why);
		kvm_vm_free(vm);
		return;
	}
	ok = !create_pit2(vm, KVM_PIT_SPEAKER_DUMMY) &&
	     !__vm_ioctl(vm, KVM_GET_PIT2, &s) && reset_state_ok(&s) &&
	     errno_is(create_pit2(vm, 0), EEXIST);
	ksft_test_result(ok, "create_after_irqchip");

	vcpu = vm_vcpu_add(vm, 0, guest_timer);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	vcpu_run_expect_sync(vcpu, 1);
	t0 = mono_ns();
	/* PIC and PIT are the kernel's: the next exit is the ucall. */
	vcpu_run_expect_sync(vcpu, 2);
	dt = mono_ns() - t0;
	sync_global_from_guest(vm, timer_ticks);
	/* Ticks come no faster than the counter's rate (reinject mode). */
	ok = timer_ticks >= TIMER_TICKS &&
	     dt >= (TIMER_TICKS * 10 - 1) * 1000000LL &&
	     dt < 30 * 1000000000LL;
	if (!ok)
		pr_info("%llu ticks in %lld us", (unsigned long long)timer_ticks,
			(long long)(dt / 1000));
	ksft_test_result(ok, "timer_irq");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/*
 * BACKLOG_MS of ticks go by with the guest's interrupts off (the vCPU
 * does not even run).  Reinject mode then delivers them back to back, one
 * per EOI: BACKLOG_TICKS take far less than their period.  Discard mode
 * keeps one: the rest come at the counter's rate.
 */
static void test_backlog(bool reinject)
{
	const char *name = reinject ? "reinject_backlog" : "discard_backlog";
	struct kvm_reinject_control rc = { .pit_reinject = reinject };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int64_t t0, dt;
	bool ok;

	/* The guest image is a copy of ours: start it at 0 ticks. */
	timer_ticks = 0;
	vm = vm_create(0);
	if (__vm_create_irqchip(vm)) {
		ksft_test_result_skip(name, "KVM_CREATE_IRQCHIP: %s",
				      strerror(errno));
		kvm_vm_free(vm);
		return;
	}
	TEST_ASSERT_EQ(create_pit2(vm, KVM_PIT_SPEAKER_DUMMY), 0);
	vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc);
	vcpu = vm_vcpu_add(vm, 0, guest_backlog);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_timer_handler);
	vcpu_run_expect_sync(vcpu, 1);
	usleep(BACKLOG_MS * 1000);
	t0 = mono_ns();
	vcpu_run_expect_sync(vcpu, 2);
	dt = mono_ns() - t0;
	sync_global_from_guest(vm, timer_ticks);
	if (reinject)
		ok = dt < (BACKLOG_TICKS - 5) * 10 * 1000000LL;
	else
		ok = dt >= (BACKLOG_TICKS - 2) * 10 * 1000000LL;
	ok = ok && timer_ticks >= BACKLOG_TICKS;
	if (!ok)
		pr_info("%s: %llu ticks in %lld us", name,
			(unsigned long long)timer_ticks, (long long)(dt / 1000));
	ksft_test_result(ok, "%s", name);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(2 + 7 + 3 + 2 + 2);
	test_no_pit();
	test_state();
	test_guest_ports();
	test_with_irqchip();
	test_backlog(true);
	test_backlog(false);
	ksft_finished();
}
