// SPDX-License-Identifier: GPL-2.0
/*
 * pic_ioapic: the 8259A pair and the IOAPIC of KVM_CREATE_IRQCHIP as a
 * guest and a VMM see them (api.rst 4.24 KVM_CREATE_IRQCHIP, 4.25
 * KVM_IRQ_LINE(_STATUS), 4.26/4.27 KVM_GET/SET_IRQCHIP; the Intel 8259A
 * and 82093AA datasheets):
 *  - the state right after creation: everything clear, the ELCR bits that
 *    exist (0xf8, 0xde), the IOAPIC at 0xfec00000 with every entry masked;
 *  - the guest's accesses to ports 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1 and
 *    to the IOAPIC's window stay in the kernel, and do what the
 *    datasheets say (init sequence, IRR/ISR/IMR reads, ELCR bits, IOAPIC
 *    version 0x11 with 24 entries, ID and arbitration id, all-ones for a
 *    register that does not exist);
 *  - KVM_IRQ_LINE_STATUS on a PIC line: 1 delivered, 0 coalesced, -1
 *    masked (the IOAPIC's entries stay masked, so they add nothing);
 *  - KVM_SET_IRQCHIP then KVM_GET_IRQCHIP gives back what was set;
 *  - a PIC interrupt reaches the guest through LINT0 (ExtINT, KVM's reset
 *    state of the BSP's LVT0) with the vector of ICW2: an edge once, a
 *    level one again after its EOI while the line is still high;
 *  - an IOAPIC level interrupt (GSI 17, no PIC route) sets remote IRR,
 *    holds further assertions back (KVM_IRQ_LINE_STATUS -1) until the
 *    local APIC's EOI, and comes again at that EOI while the line is
 *    high; an IOAPIC edge raised twice without falling is coalesced.
 * kvmm skips it (with the reason) until it offers KVM_CREATE_IRQCHIP.
 */
#include "guest_io.h"

#define IOAPIC_BASE	0xfec00000ull
#define APIC_BASE	0xfee00000ull
#define APIC_SVR	0xf0
#define APIC_EOI	0xb0
#define LEVEL_GSI	17
#define LEVEL_VECTOR	0x51
#define EDGE_GSI	18
#define EDGE_VECTOR	0x52
#define MASTER_BASE	0x20
#define SLAVE_BASE	0x28

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;

static void create_irqchip(struct kvm_vm *v)
{
	int r = __vm_create_irqchip(v);

	kvmm_skip_if_unimplemented(r, errno, "KVM_CREATE_IRQCHIP");
	TEST_ASSERT(!r, KVM_IOCTL_ERROR("KVM_CREATE_IRQCHIP", r));
}

static struct kvm_irqchip get_chip(uint32_t id)
{
	struct kvm_irqchip c;

	memset(&c, 0xee, sizeof(c));
	c.chip_id = id;
	vm_ioctl(vm, KVM_GET_IRQCHIP, &c);
	return c;
}

static void set_chip(const struct kvm_irqchip *c)
{
	vm_ioctl(vm, KVM_SET_IRQCHIP, (void *)c);
}

static int line_status(uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &l);
	return l.status;
}

/* One guest port write or read; false if it left the kernel. */
static bool out8(uint16_t port, uint8_t v)
{
	return gio_do(vcpu, GIO_PIO_OUT, port, 1, v, 1, NULL) == 0;
}

static int in8(uint16_t port)
{
	if (gio_do(vcpu, GIO_PIO_IN, port, 1, 0, 1, NULL))
		return -1;
	sync_global_from_guest(vm, gio_result);
	return gio_result & 0xff;
}

static bool mmio_w32(uint64_t addr, uint32_t v)
{
	return gio_do(vcpu, GIO_MMIO_WRITE, addr, 4, v, 1, NULL) == 0;
}

static int64_t ioapic_reg(uint32_t reg)
{
	if (!mmio_w32(IOAPIC_BASE, reg) ||
	    gio_do(vcpu, GIO_MMIO_READ, IOAPIC_BASE + 0x10, 4, 0, 1, NULL))
		return -1;
	sync_global_from_guest(vm, gio_result);
	return (uint32_t)gio_result;
}

/* Linux's init_8259A(): vectors 0x20/0x28, slave on IR2, 8086 mode. */
static bool guest_pic_init(uint8_t imr_master, uint8_t imr_slave)
{
	return out8(0x21, 0xff) && out8(0xa1, 0xff) &&
	       out8(0x20, 0x11) && out8(0x21, MASTER_BASE) &&
	       out8(0x21, 0x04) && out8(0x21, 0x01) &&
	       out8(0xa0, 0x11) && out8(0xa1, SLAVE_BASE) &&
	       out8(0xa1, 0x02) && out8(0xa1, 0x01) &&
	       out8(0x21, imr_master) && out8(0xa1, imr_slave);
}

static void test_defaults(void)
{
	struct kvm_irqchip m = get_chip(KVM_IRQCHIP_PIC_MASTER);
	struct kvm_irqchip s = get_chip(KVM_IRQCHIP_PIC_SLAVE);
	struct kvm_irqchip io = get_chip(KVM_IRQCHIP_IOAPIC);
	struct kvm_pic_state want = { .elcr_mask = 0xf8 };
	bool ok;
	int i;

	ok = !memcmp(&m.chip.pic, &want, sizeof(want));
	want.elcr_mask = 0xde;
	ok = ok && !memcmp(&s.chip.pic, &want, sizeof(want));
	ok = ok && io.chip.ioapic.base_address == IOAPIC_BASE &&
	     !io.chip.ioapic.ioregsel && !io.chip.ioapic.id &&
	     !io.chip.ioapic.irr;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		ok = ok && io.chip.ioapic.redirtbl[i].bits == 1ull << 16;
	ksft_test_result(ok, "defaults");
}

static void test_guest_pic(void)
{
	struct kvm_pic_state m, s;
	bool ok;

	ok = guest_pic_init(0xfb, 0xff);
	m = get_chip(KVM_IRQCHIP_PIC_MASTER).chip.pic;
	s = get_chip(KVM_IRQCHIP_PIC_SLAVE).chip.pic;
	ok = ok && m.irq_base == MASTER_BASE && s.irq_base == SLAVE_BASE &&
	     !m.init_state && !s.init_state && m.init4 && s.init4 &&
	     m.imr == 0xfb && s.imr == 0xff && !m.auto_eoi;
	/* A0 = 1 reads the IMR. */
	ok = ok && in8(0x21) == 0xfb && in8(0xa1) == 0xff;
	/* Only the ELCR bits that exist stick. */
	ok = ok && out8(0x4d0, 0xff) && out8(0x4d1, 0xff) &&
	     in8(0x4d0) == 0xf8 && in8(0x4d1) == 0xde &&
	     out8(0x4d0, 0) && out8(0x4d1, 0);
	ksft_test_result(ok, "guest_pic_in_kernel");
}

static void test_line_status(void)
{
	bool ok;

	ok = guest_pic_init(0x20, 0x00);
	/* An edge on IR3: delivered, and latched in the IRR. */
	ok = ok && line_status(3, 1) == 1;
	ok = ok && out8(0x20, 0x0a) && in8(0x20) == 0x08;
	/* Another edge before an INTA took it: coalesced. */
	line_status(3, 0);
	ok = ok && line_status(3, 1) == 0;
	line_status(3, 0);
	/* A masked line (IR5). */
	ok = ok && line_status(5, 1) == -1;
	line_status(5, 0);
	ksft_test_result(ok, "irq_line_status_edge");

	/* IRQ10 level-triggered: a second assertion is coalesced. */
	ok = out8(0x4d1, 0x04);
	ok = ok && line_status(10, 1) == 1 && line_status(10, 1) == 0;
	ok = ok && out8(0xa0, 0x0a) && in8(0xa0) == 0x04;
	line_status(10, 0);
	ok = ok && in8(0xa0) == 0x00;
	ok = ok && out8(0x4d1, 0);
	ksft_test_result(ok, "irq_line_status_level");
}

static void test_guest_ioapic(void)
{
	bool ok;

	ok = ioapic_reg(0x01) == 0x00170011;
	ok = ok && mmio_w32(IOAPIC_BASE, 0x00) &&
	     mmio_w32(IOAPIC_BASE + 0x10, 0xff000000);
	ok = ok && ioapic_reg(0x00) == 0x0f000000 &&
	     ioapic_reg(0x02) == 0x0f000000;
	ok = ok && ioapic_reg(0x03) == 0xffffffff &&
	     ioapic_reg(0x10 + 2 * KVM_IOAPIC_NUM_PINS) == 0xffffffff;
	ok = ok && ioapic_reg(0x10) == 0x00010000 && ioapic_reg(0x11) == 0;
	/* Remote IRR and delivery status are read-only. */
	ok = ok && mmio_w32(IOAPIC_BASE, 0x12) &&
	     mmio_w32(IOAPIC_BASE + 0x10, 0x0001d0ff) &&
	     ioapic_reg(0x12) == 0x000180ff;
	ok = ok && mmio_w32(IOAPIC_BASE, 0x12) &&
	     mmio_w32(IOAPIC_BASE + 0x10, 0x00010000);
	ksft_test_result(ok, "guest_ioapic_in_kernel");
}

static void test_state_round_trip(void)
{
	struct kvm_irqchip m = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irqchip s = { .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	struct kvm_irqchip io = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_irqchip got;
	bool ok;
	int i;

	/* The slave requests nothing, so nothing reaches the master's IR2. */
	s.chip.pic = (struct kvm_pic_state){
		.imr = 0xff, .isr = 0x10, .priority_add = 5, .irq_base = 0x70,
		.read_reg_select = 1, .elcr = 0x08, .elcr_mask = 0xde,
		.init4 = 1, .auto_eoi = 1,
	};
	m.chip.pic = (struct kvm_pic_state){
		.last_irr = 0x5a, .irr = 0x33, .imr = 0xff, .isr = 0x81,
		.priority_add = 3, .irq_base = 0x40, .read_reg_select = 1,
		.special_mask = 1, .auto_eoi = 1, .rotate_on_auto_eoi = 1,
		.special_fully_nested_mode = 1, .init4 = 1, .elcr = 0x98,
		.elcr_mask = 0xf8,
	};
	set_chip(&s);
	set_chip(&m);
	got = get_chip(KVM_IRQCHIP_PIC_MASTER);
	ok = !memcmp(&got.chip.pic, &m.chip.pic, sizeof(m.chip.pic));
	got = get_chip(KVM_IRQCHIP_PIC_SLAVE);
	ok = ok && !memcmp(&got.chip.pic, &s.chip.pic, sizeof(s.chip.pic));
	ksft_test_result(ok, "pic_state_round_trip");

	/* Masked entries: a pin asserted in irr stays so, nothing is sent. */
	io.chip.ioapic.base_address = IOAPIC_BASE;
	io.chip.ioapic.ioregsel = 0x13;
	io.chip.ioapic.id = 3;
	io.chip.ioapic.irr = (1u << 4) | (1u << 9);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		io.chip.ioapic.redirtbl[i].bits =
			(1ull << 16) | (uint64_t)i << 56 | (0x30 + i);
	io.chip.ioapic.redirtbl[9].fields.trig_mode = 1;
	io.chip.ioapic.redirtbl[9].fields.remote_irr = 1;
	set_chip(&io);
	got = get_chip(KVM_IRQCHIP_IOAPIC);
	ok = !memcmp(&got.chip.ioapic, &io.chip.ioapic,
		     sizeof(io.chip.ioapic));
	ok = ok && ioapic_reg(0x01) == 0x00170011 &&
	     ioapic_reg(0x00) == 0x03000000 && ioapic_reg(0x22) == 0x0001c039 &&
	     ioapic_reg(0x23) == 0x09000000;
	ksft_test_result(ok, "ioapic_state_round_trip");
}

/* ---- interrupts through the PIC, LINT0 and the guest's IDT ---------- */

static volatile uint64_t irq_count, irq_vector;

static void guest_irq(struct ex_regs *regs)
{
	irq_vector = regs->vector;
	irq_count++;
	/* The host looks (and may lower a level line) before the EOI. */
	GUEST_SYNC_ARGS(2, regs->vector, irq_count, 0, 0);
	if (regs->vector >= SLAVE_BASE)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* An IOAPIC interrupt: the host looks, then the local APIC's EOI. */
static void guest_apic_irq(struct ex_regs *regs)
{
	irq_vector = regs->vector;
	irq_count++;
	GUEST_SYNC_ARGS(3, regs->vector, irq_count, 0, 0);
	*(volatile uint32_t *)(APIC_BASE + APIC_EOI) = 0;
}

static void guest_ioapic_entry(uint32_t pin, uint64_t e)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC_BASE;
	volatile uint32_t *win = (volatile uint32_t *)(IOAPIC_BASE + 0x10);

	*sel = 0x11 + 2 * pin;
	*win = e >> 32;
	*sel = 0x10 + 2 * pin;
	*win = (uint32_t)e;
}

static void guest_irq_code(void)
{
	/* Software-enable the local APIC; LVT0 stays ExtINT. */
	*(volatile uint32_t *)(APIC_BASE + APIC_SVR) = 0x1ff;
	/* To APIC id 0, fixed, physical: one level, one edge entry. */
	guest_ioapic_entry(LEVEL_GSI, (1u << 15) | LEVEL_VECTOR);
	guest_ioapic_entry(EDGE_GSI, EDGE_VECTOR);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	outb(0x20, 0x11);
	outb(0x21, MASTER_BASE);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, SLAVE_BASE);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0x4d1, 0x04);		/* IRQ10 level-triggered */
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
	__asm__ __volatile__("sti");
	for (;;) {
		uint64_t seen = irq_count;

		GUEST_SYNC(1);
		/* Spin, not HLT: only the interrupt path is under test. */
		while (irq_count == seen)
			cpu_relax();
	}
}

static void test_delivery(void)
{
	struct kvm_vcpu *v;
	struct kvm_vm *w;
	struct ucall uc;
	bool ok;
	int i;

	w = vm_create(0);
	create_irqchip(w);
	v = vm_vcpu_add(w, 0, guest_irq_code);
	for (i = 0; i < 16; i++)
		vm_install_exception_handler(w, MASTER_BASE + i, guest_irq);
	vm_install_exception_handler(w, LEVEL_VECTOR, guest_apic_irq);
	vm_install_exception_handler(w, EDGE_VECTOR, guest_apic_irq);
	vcpu_run_expect_sync(v, 1);

	/* An edge on IRQ3: vector 0x23, once. */
	vm = w;
	ok = line_status(3, 1) == 1;
	line_status(3, 0);
	uc = vcpu_run_expect_sync(v, 2);
	ok = ok && uc.args[1] == MASTER_BASE + 3 && uc.args[2] == 1;
	vcpu_run_expect_sync(v, 1);
	ksft_test_result(ok, "edge_delivered");

	/*
	 * A level IRQ10 through the slave: vector 0x2a; still high at the
	 * EOI, so it comes again; lowered before the second EOI, it stops.
	 */
	ok = line_status(10, 1) == 1;
	uc = vcpu_run_expect_sync(v, 2);
	ok = ok && uc.args[1] == SLAVE_BASE + 2 && uc.args[2] == 2;
	uc = vcpu_run_expect_sync(v, 2);
	ok = ok && uc.args[1] == SLAVE_BASE + 2 && uc.args[2] == 3;
	line_status(10, 0);
	vcpu_run_expect_sync(v, 1);
	/* Nothing pending any more: the guest spins without an interrupt. */
	ok = ok && !(get_chip(KVM_IRQCHIP_PIC_SLAVE).chip.pic.irr & 0x04) &&
	     !get_chip(KVM_IRQCHIP_PIC_SLAVE).chip.pic.isr &&
	     !get_chip(KVM_IRQCHIP_PIC_MASTER).chip.pic.isr;
	ksft_test_result(ok, "level_redelivered_until_lowered");

	/*
	 * IOAPIC level: delivered, remote IRR set; asserted again meanwhile
	 * (the same source: the line stays up) it is held back (-1); the
	 * EOI with the line up delivers again; lowered, the next EOI ends it.
	 */
	ok = line_status(LEVEL_GSI, 1) == 1;
	uc = vcpu_run_expect_sync(v, 3);
	ok = ok && uc.args[1] == LEVEL_VECTOR && uc.args[2] == 4;
	ok = ok && get_chip(KVM_IRQCHIP_IOAPIC).chip.ioapic
			.redirtbl[LEVEL_GSI].fields.remote_irr;
	ok = ok && line_status(LEVEL_GSI, 1) == -1;
	uc = vcpu_run_expect_sync(v, 3);
	ok = ok && uc.args[1] == LEVEL_VECTOR && uc.args[2] == 5;
	line_status(LEVEL_GSI, 0);
	vcpu_run_expect_sync(v, 1);
	ok = ok && !get_chip(KVM_IRQCHIP_IOAPIC).chip.ioapic
			.redirtbl[LEVEL_GSI].fields.remote_irr;
	ksft_test_result(ok, "ioapic_level_remote_irr");

	/* IOAPIC edge: once; raised again while still up, coalesced. */
	ok = line_status(EDGE_GSI, 1) == 1;
	ok = ok && line_status(EDGE_GSI, 1) == 0;
	uc = vcpu_run_expect_sync(v, 3);
	ok = ok && uc.args[1] == EDGE_VECTOR && uc.args[2] == 6;
	vcpu_run_expect_sync(v, 1);
	line_status(EDGE_GSI, 0);
	ok = ok && !(get_chip(KVM_IRQCHIP_IOAPIC).chip.ioapic.irr &
		     (1u << EDGE_GSI));
	ksft_test_result(ok, "ioapic_edge_coalesced");
	kvm_vm_free(w);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(11);

	/* The irqchip first: vCPUs created before it get no local APIC. */
	vm = vm_create(0);
	create_irqchip(vm);
	vcpu = vm_vcpu_add(vm, 0, gio_guest);
	TEST_ASSERT_EQ(gio_run(vcpu, NULL), 0);

	test_defaults();
	test_guest_pic();
	test_line_status();
	test_guest_ioapic();
	test_state_round_trip();
	gio_vm_free(vm, vcpu);

	test_delivery();
	ksft_finished();
}
