// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the 8259A pair (arch/x86/irqchip/pic.c) and the IOAPIC
 * (arch/x86/irqchip/ioapic.c), built in userspace over the shims of
 * shim/.  The guest's side is played through the devices' I/O bus ops
 * (port and MMIO accesses as a vCPU makes them); the rest of kvmm is
 * faked here: the I/O bus records registrations, the local APICs record
 * the messages the IOAPIC sends, the ack notifiers and the PIC's kick
 * are logged, and a hook can play a resampling irqfd that lowers its
 * line from inside an ack notifier.
 *
 * Expectations come from the Intel 8259A datasheet, the 82093AA
 * datasheet, and Linux 6.1's KVM where it fixes the ABI (KVM_IRQ_LINE_
 * STATUS return values, struct kvm_pic_state / kvm_ioapic_state).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/errno.h>
#include <linux/kvm.h>
#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

#include "irqchip.h"

int shim_locks_held;
struct delayed_work *shim_last_work;
int shim_works_cancelled;

static int passed, failed;
static const char *cur_test;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s: %s:%d: %s\n", cur_test, __FILE__,	\
		       __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a == _b) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s: %s:%d: %s == %s: %#llx != %#llx\n",	\
		       cur_test, __FILE__, __LINE__, #a, #b, _a, _b);	\
	}								\
} while (0)

/* ---- fakes of the rest of kvmm ------------------------------------- */

static long nr_allocs;

void *kvmm_zalloc(size_t size, gfp_t gfp)
{
	nr_allocs++;
	return calloc(1, size);
}

void kvmm_free(const void *ptr)
{
	if (ptr)
		nr_allocs--;
	free((void *)ptr);
}

struct fake_range {
	enum kvmm_bus bus;
	u64 addr;
	u32 len;
	struct kvmm_io_device *dev;
};

static struct fake_range ranges[16];
static int nr_ranges;

int kvmm_io_bus_register(struct kvmm_vm *vm, enum kvmm_bus bus, u64 addr,
			 u32 len, struct kvmm_io_device *dev)
{
	lockdep_assert_held(&vm->io.lock);
	if (nr_ranges == (int)(sizeof(ranges) / sizeof(ranges[0])))
		return -ENOSPC;
	ranges[nr_ranges++] = (struct fake_range){ bus, addr, len, dev };
	return 0;
}

int kvmm_io_bus_unregister(struct kvmm_vm *vm, enum kvmm_bus bus,
			   struct kvmm_io_device *dev)
{
	int i;

	lockdep_assert_held(&vm->io.lock);
	for (i = 0; i < nr_ranges; i++)
		if (ranges[i].bus == bus && ranges[i].dev == dev) {
			ranges[i] = ranges[--nr_ranges];
			return 0;
		}
	return -ENOENT;
}

static struct fake_range *find_range(enum kvmm_bus bus, u64 addr, u32 len)
{
	int i;

	for (i = 0; i < nr_ranges; i++)
		if (ranges[i].bus == bus && addr >= ranges[i].addr &&
		    addr + len <= ranges[i].addr + ranges[i].len)
			return &ranges[i];
	return NULL;
}

/* Ack notifications, by chip and pin; a hook may act inside one. */
static int acks[3][KVMM_IOAPIC_NUM_PINS];
static int nr_acks;
static void (*ack_hook)(u32 chip, u32 pin);

void kvmm_irqchip_ack_notify(struct kvmm_vm *vm, u32 chip, u32 pin)
{
	if (shim_locks_held)
		shim_bug("ack notifier called with a device lock held");
	if (chip > 2 || pin >= KVMM_IOAPIC_NUM_PINS ||
	    (chip < 2 && pin >= 8))
		shim_bug("ack of chip %u pin %u", chip, pin);
	acks[chip][pin]++;
	nr_acks++;
	if (ack_hook)
		ack_hook(chip, pin);
}

static int kicks;

void kvmm_irqchip_pic_kick(struct kvmm_vm *vm)
{
	if (shim_locks_held)
		shim_bug("PIC kick with a device lock held");
	kicks++;
}

bool kvmm_lapic_accepts_pic(struct kvmm_vcpu *vcpu)
{
	return vcpu->accepts_pic;
}

/* The local APICs: every message the IOAPIC sends, and what they say. */
static struct kvmm_apic_msg msgs[64];
static int nr_msgs;
static int deliver_ret;

int kvmm_apic_deliver(struct kvmm_vm *vm, struct kvmm_lapic *src,
		      const struct kvmm_apic_msg *msg)
{
	if (src)
		shim_bug("the IOAPIC sends with no source LAPIC");
	if (nr_msgs < (int)(sizeof(msgs) / sizeof(msgs[0])))
		msgs[nr_msgs] = *msg;
	nr_msgs++;
	return deliver_ret;
}

/* ---- the machine ---------------------------------------------------- */

static struct kvmm_vm vm;
static struct kvmm_vcpu bsp;
static struct kvmm_irqchip irqchip;
static struct kvmm_pic *pic;
static struct kvmm_ioapic *ioapic;

static void setup(const char *name)
{
	cur_test = name;
	memset(&vm, 0, sizeof(vm));
	memset(&irqchip, 0, sizeof(irqchip));
	memset(acks, 0, sizeof(acks));
	nr_acks = 0;
	ack_hook = NULL;
	kicks = 0;
	nr_msgs = 0;
	deliver_ret = 1;
	mutex_init(&vm.io.lock);
	bsp.vm = &vm;
	bsp.accepts_pic = true;
	vm.vcpus.nr = 1;
	vm.vcpus.slot[0] = &bsp;
	vm.arch.irqchip = &irqchip;
	irqchip.vm = &vm;
	pic = kvmm_pic_create(&vm);
	ioapic = kvmm_ioapic_create(&vm);
	irqchip.pic = pic;
	irqchip.ioapic = ioapic;
	if (!pic || !ioapic)
		shim_bug("create failed");
}

static void teardown(void)
{
	kvmm_pic_free(pic);
	kvmm_ioapic_free(ioapic);
	pic = NULL;
	ioapic = NULL;
	CHECK_EQ(nr_ranges, 0);
	CHECK_EQ(nr_allocs, 0);
	CHECK_EQ(shim_locks_held, 0);
}

static int pio(u16 port, u32 len, void *val, bool write)
{
	struct fake_range *r = find_range(KVMM_PIO_BUS, port, len);

	if (!r)
		return -EOPNOTSUPP;
	if (write)
		return r->dev->ops->write(&bsp, r->dev, port, len, val);
	return r->dev->ops->read(&bsp, r->dev, port, len, val);
}

static void outb(u16 port, u8 v)
{
	if (pio(port, 1, &v, true))
		shim_bug("outb %#x not taken", port);
}

static u8 inb(u16 port)
{
	u8 v = 0x5a;

	if (pio(port, 1, &v, false))
		shim_bug("inb %#x not taken", port);
	return v;
}

static int mmio(u64 addr, u32 len, void *val, bool write)
{
	struct fake_range *r = find_range(KVMM_MMIO_BUS, addr, len);

	if (!r)
		return -EOPNOTSUPP;
	if (write)
		return r->dev->ops->write(&bsp, r->dev, addr, len, val);
	return r->dev->ops->read(&bsp, r->dev, addr, len, val);
}

#define IOAPIC_BASE	0xfec00000ULL

static void mmio_w32(u64 addr, u32 v)
{
	if (mmio(addr, 4, &v, true))
		shim_bug("MMIO write %#llx not taken", (unsigned long long)addr);
}

static u32 mmio_r32(u64 addr)
{
	u32 v = 0x5a5a5a5a;

	if (mmio(addr, 4, &v, false))
		shim_bug("MMIO read %#llx not taken", (unsigned long long)addr);
	return v;
}

static u32 ioapic_read(u32 reg)
{
	mmio_w32(IOAPIC_BASE, reg);
	return mmio_r32(IOAPIC_BASE + 0x10);
}

static void ioapic_write(u32 reg, u32 v)
{
	mmio_w32(IOAPIC_BASE, reg);
	mmio_w32(IOAPIC_BASE + 0x10, v);
}

static void rte_write(u32 pin, u64 e)
{
	ioapic_write(0x11 + 2 * pin, e >> 32);
	ioapic_write(0x10 + 2 * pin, (u32)e);
}

static u64 rte_read(u32 pin)
{
	return (u64)ioapic_read(0x11 + 2 * pin) << 32 | ioapic_read(0x10 + 2 * pin);
}

static struct kvm_pic_state pic_state(bool slave)
{
	struct kvm_pic_state s;

	memset(&s, 0xee, sizeof(s));
	CHECK_EQ(kvmm_pic_get(pic, slave, &s), 0);
	return s;
}

/* The user and PIT sources of the lines. */
#define USR	KVMM_IRQ_SOURCE_USERSPACE
#define PIT	KVMM_IRQ_SOURCE_PIT
#define RSMP	KVMM_IRQ_SOURCE_IRQFD_RESAMPLE

static int line(u32 pin, bool level)
{
	return kvmm_pic_set_irq(pic, USR, pin, level);
}

/* Linux's init_8259A(): vectors 0x20/0x28, slave on IR2, 8086 mode. */
static void pic_init(u8 icw4_master, u8 icw4_slave)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, icw4_master);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, icw4_slave);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

#define EOI_M()		outb(0x20, 0x20)
#define EOI_S()		outb(0xa0, 0x20)

/* ---- PIC ------------------------------------------------------------ */

static void test_pic_ports(void)
{
	u16 w = 0xffff;
	u32 v = 0x12345678;

	setup("pic_ports");
	CHECK(find_range(KVMM_PIO_BUS, 0x20, 2) != NULL);
	CHECK(find_range(KVMM_PIO_BUS, 0xa0, 2) != NULL);
	CHECK(find_range(KVMM_PIO_BUS, 0x4d0, 2) != NULL);
	CHECK(find_range(KVMM_PIO_BUS, 0x22, 1) == NULL);
	CHECK(find_range(KVMM_MMIO_BUS, IOAPIC_BASE, 0x100) != NULL);
	/* Only byte accesses: wider ones are dropped, reads give 0. */
	outb(0x21, 0x5a);
	CHECK_EQ(pio(0x20, 2, &w, true), 0);
	CHECK_EQ(inb(0x21), 0x5a);
	CHECK_EQ(pio(0x20, 2, &w, false), 0);
	CHECK_EQ(w, 0);
	CHECK_EQ(pio(0x4d0, 2, &v, false), 0);
	CHECK_EQ(v, 0x12340000);
	teardown();
}

static void test_pic_init_sequence(void)
{
	struct kvm_pic_state m, s;

	setup("pic_init_sequence");
	m = pic_state(false);
	CHECK_EQ(m.elcr_mask, 0xf8);
	CHECK_EQ(pic_state(true).elcr_mask, 0xde);
	CHECK_EQ(m.init_state, 0);

	outb(0x20, 0x11);
	CHECK_EQ(pic_state(false).init_state, 1);
	CHECK_EQ(pic_state(false).init4, 1);
	outb(0x21, 0x37);		/* T7-T3 only */
	CHECK_EQ(pic_state(false).irq_base, 0x30);
	CHECK_EQ(pic_state(false).init_state, 2);
	outb(0x21, 0x04);		/* ICW3 */
	CHECK_EQ(pic_state(false).init_state, 3);
	outb(0x21, 0x13);		/* ICW4: SFNM, AEOI, uPM */
	m = pic_state(false);
	CHECK_EQ(m.init_state, 0);
	CHECK_EQ(m.auto_eoi, 1);
	CHECK_EQ(m.special_fully_nested_mode, 1);
	CHECK_EQ(m.imr, 0);

	/* Without IC4: ICW2, ICW3, done; every ICW4 function is zero. */
	outb(0xa0, 0x10);
	outb(0xa1, 0x70);
	outb(0xa1, 0x02);
	s = pic_state(true);
	CHECK_EQ(s.init_state, 0);
	CHECK_EQ(s.irq_base, 0x70);
	outb(0x20, 0x10);
	m = pic_state(false);
	CHECK_EQ(m.auto_eoi, 0);
	CHECK_EQ(m.special_fully_nested_mode, 0);
	CHECK_EQ(m.init4, 0);
	outb(0x21, 0x08);
	outb(0x21, 0x04);
	CHECK_EQ(pic_state(false).init_state, 0);
	/* Now A0 = 1 is OCW1. */
	outb(0x21, 0xa5);
	CHECK_EQ(inb(0x21), 0xa5);
	CHECK_EQ(pic_state(false).irq_base, 0x08);
	teardown();
}

static void test_pic_edge(void)
{
	struct kvm_pic_state m;

	setup("pic_edge");
	pic_init(0x01, 0x01);
	kicks = 0;
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(line(0, true), 1);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kicks, 1);
	m = pic_state(false);
	CHECK_EQ(m.irr, 0x01);
	CHECK_EQ(m.last_irr, 0x01);
	/* Still high: no new edge, nothing latched twice. */
	CHECK_EQ(line(0, true), 1);
	CHECK_EQ(kicks, 1);

	CHECK_EQ(kvmm_pic_intack(pic), 0x20);
	m = pic_state(false);
	CHECK_EQ(m.isr, 0x01);
	CHECK_EQ(m.irr, 0x00);		/* an edge request is consumed */
	CHECK(!kvmm_pic_output(pic));

	/* A new edge while IR0 is in service: latched, held back. */
	CHECK_EQ(line(0, false), 1);
	CHECK_EQ(line(0, true), 1);
	CHECK(!kvmm_pic_output(pic));
	/* A second edge before the first was taken: coalesced. */
	CHECK_EQ(line(0, false), 1);
	CHECK_EQ(line(0, true), 0);
	EOI_M();
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(acks[KVM_IRQCHIP_PIC_MASTER][0], 1);
	CHECK_EQ(kvmm_pic_intack(pic), 0x20);
	EOI_M();
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(acks[KVM_IRQCHIP_PIC_MASTER][0], 2);

	/* A pulse (up, down) is latched: the PIT and QEMU pulse edges. */
	CHECK_EQ(line(4, true), 1);
	CHECK_EQ(line(4, false), 1);
	CHECK_EQ(kvmm_pic_intack(pic), 0x24);
	EOI_M();
	teardown();
}

static void test_pic_level(void)
{
	setup("pic_level");
	pic_init(0x01, 0x01);
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	CHECK_EQ(inb(0x4d0), 0xf8);	/* IRQ0-2 cannot be level */
	CHECK_EQ(inb(0x4d1), 0xde);	/* nor IRQ8, IRQ13 */

	CHECK_EQ(line(3, true), 1);
	CHECK_EQ(line(3, true), 0);	/* already requesting */
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	/* A level request stays while the line is high. */
	CHECK_EQ(pic_state(false).irr, 0x08);
	CHECK_EQ(pic_state(false).isr, 0x08);
	CHECK(!kvmm_pic_output(pic));
	EOI_M();
	CHECK(kvmm_pic_output(pic));	/* still high: interrupts again */
	CHECK_EQ(line(3, false), 1);
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(pic_state(false).irr, 0x00);

	/* A level request that goes before INTA: the spurious IR7. */
	CHECK_EQ(line(3, true), 1);
	CHECK_EQ(line(3, false), 1);
	CHECK_EQ(kvmm_pic_intack(pic), 0x27);
	CHECK_EQ(pic_state(false).isr, 0x00);

	/* Making a high line level-triggered makes it request. */
	outb(0x4d0, 0x00);
	CHECK_EQ(line(6, true), 1);
	CHECK_EQ(kvmm_pic_intack(pic), 0x26);
	EOI_M();
	CHECK(!kvmm_pic_output(pic));
	outb(0x4d0, 0x40);
	CHECK(kvmm_pic_output(pic));
	outb(0x4d0, 0x00);		/* back to edge: keeps the request */
	CHECK(kvmm_pic_output(pic));
	teardown();
}

static void test_pic_wired_or(void)
{
	setup("pic_wired_or");
	pic_init(0x01, 0x01);
	outb(0x4d0, 0x10);
	CHECK_EQ(kvmm_pic_set_irq(pic, USR, 4, true), 1);
	CHECK_EQ(kvmm_pic_set_irq(pic, PIT, 4, true), 0);
	CHECK_EQ(kvmm_pic_set_irq(pic, USR, 4, false), 0);
	CHECK(kvmm_pic_output(pic));	/* the PIT still holds it */
	CHECK_EQ(kvmm_pic_set_irq(pic, PIT, 4, false), 1);
	CHECK(!kvmm_pic_output(pic));
	/* Sources and pins that do not exist. */
	CHECK_EQ(kvmm_pic_set_irq(pic, USR, 16, true), -1);
	CHECK_EQ(kvmm_pic_set_irq(pic, KVMM_NR_IRQ_SOURCES, 1, true), -1);
	CHECK(!kvmm_pic_output(pic));
	teardown();
}

static void test_pic_mask(void)
{
	setup("pic_mask");
	pic_init(0x01, 0x01);
	kicks = 0;
	outb(0x21, 0x02);
	CHECK_EQ(line(1, true), -1);	/* masked, but latched */
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(kicks, 0);
	CHECK_EQ(pic_state(false).irr, 0x02);
	outb(0x21, 0x00);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kicks, 1);
	outb(0x21, 0x02);		/* masking takes INT back down */
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(line(1, false), -1);
	outb(0x21, 0x00);
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	EOI_M();
	/* The slave's mask, and the master's mask of the cascade. */
	outb(0x21, 0x04);
	CHECK_EQ(line(9, true), 1);
	CHECK(!kvmm_pic_output(pic));
	outb(0x21, 0x00);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_intack(pic), 0x29);
	teardown();
}

static void test_pic_priority(void)
{
	setup("pic_priority");
	pic_init(0x01, 0x01);
	line(5, true);
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	/* IR5 is lower than IR3 in service: held back. */
	CHECK(!kvmm_pic_output(pic));
	/* IR1 is higher: it nests. */
	line(1, true);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	CHECK_EQ(pic_state(false).isr, 0x0a);
	/* A non-specific EOI ends the highest in service, IR1. */
	EOI_M();
	CHECK_EQ(pic_state(false).isr, 0x08);
	CHECK_EQ(acks[0][1], 1);
	CHECK(!kvmm_pic_output(pic));
	EOI_M();
	CHECK_EQ(pic_state(false).isr, 0x00);
	CHECK_EQ(kvmm_pic_intack(pic), 0x25);
	/* A specific EOI names its level. */
	outb(0x20, 0x65);
	CHECK_EQ(pic_state(false).isr, 0x00);
	CHECK_EQ(acks[0][5], 1);
	/* A specific EOI of a level not in service acknowledges nothing. */
	outb(0x20, 0x64);
	CHECK_EQ(acks[0][4], 0);
	line(7, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x27);
	/* OCW2 no-op. */
	outb(0x20, 0x40);
	CHECK_EQ(pic_state(false).isr, 0x80);
	teardown();
}

static void test_pic_rotation(void)
{
	setup("pic_rotation");
	pic_init(0x01, 0x01);
	/* Rotate on non-specific EOI: the level served becomes lowest. */
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	outb(0x20, 0xa0);
	CHECK_EQ(pic_state(false).priority_add, 4);
	CHECK_EQ(pic_state(false).isr, 0);
	line(3, false);
	line(3, true);
	line(5, true);
	line(1, true);
	/* Order now 4 5 6 7 0 1 2 3. */
	CHECK_EQ(kvmm_pic_intack(pic), 0x25);
	CHECK(!kvmm_pic_output(pic));		/* IR1 now ranks below IR5 */
	EOI_M();				/* no rotation this time */
	CHECK_EQ(pic_state(false).priority_add, 4);
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	EOI_M();
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(pic_state(false).isr, 0x08);
	teardown();
}

static void test_pic_rotation2(void)
{
	setup("pic_rotation_commands");
	pic_init(0x01, 0x01);
	/* Set priority: IR4 bottom, so IR5 is on top. */
	outb(0x20, 0xc4);
	CHECK_EQ(pic_state(false).priority_add, 5);
	line(4, true);
	line(6, true);
	line(0, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x26);
	/* IR0 ranks above IR4 but below IR6: held back by IR6. */
	CHECK(!kvmm_pic_output(pic));
	/* Rotate on specific EOI of IR6: IR7 on top now. */
	outb(0x20, 0xe6);
	CHECK_EQ(pic_state(false).priority_add, 7);
	CHECK_EQ(pic_state(false).isr, 0);
	CHECK_EQ(acks[0][6], 1);
	CHECK_EQ(kvmm_pic_intack(pic), 0x20);
	CHECK_EQ(kvmm_pic_intack(pic), 0x27);	/* spurious: 4 < 0 */
	outb(0x20, 0x60);
	CHECK_EQ(kvmm_pic_intack(pic), 0x24);
	/* ICW1 puts IR7 back at the bottom. */
	outb(0x20, 0x11);
	CHECK_EQ(pic_state(false).priority_add, 0);
	teardown();
}

static void test_pic_auto_eoi(void)
{
	setup("pic_auto_eoi");
	pic_init(0x03, 0x01);		/* master in AEOI */
	line(3, true);
	line(5, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(pic_state(false).isr, 0x00);
	CHECK_EQ(acks[0][3], 1);	/* the EOI happens at INTA */
	CHECK(kvmm_pic_output(pic));	/* so IR5 follows at once */
	CHECK_EQ(kvmm_pic_intack(pic), 0x25);
	CHECK_EQ(pic_state(false).priority_add, 0);

	/* Rotate in automatic EOI mode. */
	outb(0x20, 0x80);
	CHECK_EQ(pic_state(false).rotate_on_auto_eoi, 1);
	line(3, false);
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(pic_state(false).priority_add, 4);
	outb(0x20, 0x00);
	CHECK_EQ(pic_state(false).rotate_on_auto_eoi, 0);
	line(3, false);
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(pic_state(false).priority_add, 4);
	teardown();

	/*
	 * A slave in AEOI with two requests: its INT falls during the INTA
	 * and rises again, a new edge on the master's IR2.
	 */
	setup("pic_auto_eoi_slave");
	pic_init(0x01, 0x03);
	line(11, true);
	line(13, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2b);
	CHECK_EQ(pic_state(true).isr, 0x00);
	CHECK_EQ(pic_state(false).isr, 0x04);
	CHECK_EQ(pic_state(false).irr, 0x04);
	CHECK(!kvmm_pic_output(pic));
	EOI_M();
	CHECK_EQ(kvmm_pic_intack(pic), 0x2d);
	teardown();
}

static void test_pic_special_mask(void)
{
	setup("pic_special_mask");
	pic_init(0x01, 0x01);
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	line(5, true);
	CHECK(!kvmm_pic_output(pic));
	/* Plain masking of IR3 does not unblock IR5. */
	outb(0x21, 0x08);
	CHECK(!kvmm_pic_output(pic));
	/* Special mask mode: the masked in-service level stops blocking. */
	outb(0x20, 0x68);
	CHECK_EQ(pic_state(false).special_mask, 1);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_intack(pic), 0x25);
	CHECK_EQ(pic_state(false).isr, 0x28);
	/* A non-specific EOI skips the masked IS bit (IR3), ends IR5. */
	EOI_M();
	CHECK_EQ(pic_state(false).isr, 0x08);
	/* An unmasked in-service level still blocks lower ones. */
	line(5, false);
	line(1, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	line(5, true);
	CHECK(!kvmm_pic_output(pic));
	/* Leaving special mask mode: IR3 blocks again (ESMM, SMM = 0). */
	outb(0x20, 0x21);		/* non-specific EOI (L ignored) */
	CHECK_EQ(pic_state(false).isr, 0x08);
	CHECK(kvmm_pic_output(pic));	/* SMM: IR3 masked, IR5 goes */
	outb(0x20, 0x48);
	CHECK_EQ(pic_state(false).special_mask, 0);
	CHECK(!kvmm_pic_output(pic));
	/* OCW3 without ESMM leaves the mode alone. */
	outb(0x20, 0x28);
	CHECK_EQ(pic_state(false).special_mask, 0);
	teardown();
}

static void test_pic_poll(void)
{
	setup("pic_poll");
	pic_init(0x01, 0x01);
	outb(0x20, 0x0c);
	CHECK_EQ(pic_state(false).poll, 1);
	CHECK_EQ(inb(0x20), 0x00);	/* nothing requesting: I = 0 */
	CHECK_EQ(pic_state(false).poll, 0);
	line(6, true);
	line(4, true);
	outb(0x20, 0x0c);
	/* The read is the INTA: IS bit set, request consumed. */
	CHECK_EQ(inb(0x21), 0x84);
	CHECK_EQ(pic_state(false).isr, 0x10);
	CHECK_EQ(pic_state(false).irr, 0x40);
	/* One read per poll command. */
	CHECK_EQ(inb(0x21), 0x00);	/* the IMR */
	EOI_M();
	outb(0x20, 0x0c);
	CHECK_EQ(inb(0x20), 0x86);
	EOI_M();
	/* Polling through the cascade: master says 2, slave its level. */
	line(11, true);
	outb(0x20, 0x0c);
	CHECK_EQ(inb(0x20), 0x82);
	/* The slave's INT stays up: no new edge, IR2 is not latched again. */
	CHECK_EQ(pic_state(false).irr, 0x00);
	outb(0xa0, 0x0c);
	CHECK_EQ(inb(0xa0), 0x83);
	CHECK_EQ(pic_state(true).isr, 0x08);
	CHECK_EQ(pic_state(false).isr, 0x04);
	teardown();
}

static void test_pic_read_registers(void)
{
	setup("pic_read_registers");
	pic_init(0x01, 0x01);
	outb(0x21, 0xf0);
	line(2 + 1, true);
	line(1, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	/* The default after ICW1 is the IRR. */
	CHECK_EQ(inb(0x20), 0x08);
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x02);	/* ISR */
	CHECK_EQ(inb(0x20), 0x02);	/* it stays selected */
	outb(0x20, 0x08);		/* RR = 0: no change */
	CHECK_EQ(inb(0x20), 0x02);
	outb(0x20, 0x0a);
	CHECK_EQ(inb(0x20), 0x08);	/* IRR */
	CHECK_EQ(inb(0x21), 0xf0);	/* A0 = 1: the IMR, always */
	teardown();
}

static void test_pic_spurious(void)
{
	setup("pic_spurious");
	pic_init(0x01, 0x01);
	/* Nothing requesting: the master's IR7, no IS bit. */
	CHECK_EQ(kvmm_pic_intack(pic), 0x27);
	CHECK_EQ(pic_state(false).isr, 0);
	/* A slave request that goes away before INTA: IRQ15. */
	line(12, true);
	CHECK(kvmm_pic_output(pic));
	outb(0xa1, 0x10);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2f);
	CHECK_EQ(pic_state(false).isr, 0x04);	/* the master took it */
	CHECK_EQ(pic_state(true).isr, 0x00);	/* the slave did not */
	EOI_M();
	CHECK_EQ(pic_state(false).isr, 0x00);
	teardown();
}

static void test_pic_cascade(void)
{
	struct kvm_pic_state m, s;

	setup("pic_cascade");
	pic_init(0x01, 0x01);
	CHECK_EQ(line(10, true), 1);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(pic_state(false).irr, 0x04);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2a);
	m = pic_state(false);
	s = pic_state(true);
	CHECK_EQ(m.isr, 0x04);
	CHECK_EQ(s.isr, 0x04);
	CHECK_EQ(m.irr, 0x00);
	CHECK_EQ(s.irr, 0x00);
	/* The slave's higher IR8 waits for the master's EOI (no SFNM). */
	line(8, true);
	CHECK(!kvmm_pic_output(pic));
	EOI_S();
	CHECK_EQ(acks[KVM_IRQCHIP_PIC_SLAVE][2], 1);
	CHECK(!kvmm_pic_output(pic));
	EOI_M();
	CHECK_EQ(acks[KVM_IRQCHIP_PIC_MASTER][2], 1);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_intack(pic), 0x28);
	/* Master requests rank around the cascade input. */
	line(1, true);
	line(3, true);
	EOI_S();
	CHECK(kvmm_pic_output(pic));	/* IR1 > IR2 in service */
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	EOI_M();
	EOI_M();
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	teardown();
}

static void test_pic_sfnm(void)
{
	setup("pic_special_fully_nested");
	pic_init(0x11, 0x01);
	line(12, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2c);
	/* A higher slave request gets through the master's IR2 in service. */
	line(9, true);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_intack(pic), 0x29);
	CHECK_EQ(pic_state(true).isr, 0x12);
	CHECK_EQ(pic_state(false).isr, 0x04);
	/* A lower one does not: the slave's own ISR holds it. */
	line(14, true);
	CHECK(!kvmm_pic_output(pic));
	/* Master requests below IR2 still wait; above it they nest. */
	line(5, true);
	CHECK(!kvmm_pic_output(pic));
	line(1, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x21);
	EOI_M();
	/* Without SFNM, the slave's higher request waits for the master. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	EOI_S();
	EOI_S();
	CHECK(!kvmm_pic_output(pic));		/* IR2 is still in service */
	EOI_M();
	CHECK_EQ(kvmm_pic_intack(pic), 0x2e);
	line(8, true);
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(pic_state(false).irr & 0x04, 0x04);	/* latched, waiting */
	teardown();
}

static void test_pic_icw1_reset(void)
{
	struct kvm_pic_state m;

	setup("pic_icw1_reset");
	pic_init(0x01, 0x01);
	outb(0x4d0, 0x20);		/* IR5 level */
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	line(1, true);
	line(4, true);
	line(5, true);
	line(4, false);
	outb(0x21, 0x40);
	outb(0x20, 0x0b);
	outb(0x20, 0x68);
	nr_acks = 0;
	memset(acks, 0, sizeof(acks));
	outb(0x20, 0x11);
	m = pic_state(false);
	CHECK_EQ(m.irr, 0x20);		/* only the level request stays */
	CHECK_EQ(m.isr, 0x08);		/* not reset by ICW1 */
	CHECK_EQ(m.imr, 0x00);
	CHECK_EQ(m.special_mask, 0);
	CHECK_EQ(m.read_reg_select, 0);
	CHECK_EQ(m.init_state, 1);
	/* The edge sense is reset: IR1 is still high, must fall first. */
	CHECK_EQ(m.last_irr, 0x2a);	/* IR1, IR3, IR5 */
	/* The dropped edge requests are acknowledged (the PIT's sake). */
	CHECK_EQ(acks[0][1], 1);
	CHECK_EQ(acks[0][4], 1);
	CHECK_EQ(nr_acks, 2);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	CHECK_EQ(line(1, true), 1);
	CHECK_EQ(pic_state(false).irr, 0x20);
	line(1, false);
	line(1, true);
	CHECK_EQ(pic_state(false).irr, 0x22);

	/* With no vCPU taking the PIC's interrupts, no acknowledgement. */
	bsp.accepts_pic = false;
	nr_acks = 0;
	outb(0x20, 0x11);
	CHECK_EQ(nr_acks, 0);
	CHECK_EQ(pic_state(false).irr, 0x20);
	teardown();
}

/* A resampling irqfd: the EOI lowers its line before anything else. */
static void resample_lower(u32 chip, u32 pin)
{
	if (chip == KVM_IRQCHIP_PIC_MASTER)
		kvmm_pic_set_irq(pic, RSMP, pin, false);
	else if (chip == KVM_IRQCHIP_PIC_SLAVE)
		kvmm_pic_set_irq(pic, RSMP, pin + 8, false);
	else
		kvmm_ioapic_set_irq(ioapic, RSMP, pin, false);
}

static void test_pic_resample(void)
{
	setup("pic_resample");
	pic_init(0x01, 0x01);
	outb(0x4d1, 0x08);		/* IRQ11 level */
	kvmm_pic_set_irq(pic, RSMP, 11, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2b);
	ack_hook = resample_lower;
	kicks = 0;
	EOI_S();
	EOI_M();
	CHECK_EQ(acks[1][3], 1);
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(kicks, 0);
	CHECK_EQ(pic_state(true).irr, 0);
	/* The same in automatic EOI mode, where the EOI is the INTA. */
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x03);
	outb(0x4d1, 0x08);
	kvmm_pic_set_irq(pic, RSMP, 11, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2b);
	CHECK_EQ(acks[1][3], 2);
	CHECK_EQ(pic_state(true).irr, 0);
	teardown();
}

static void test_pic_kick(void)
{
	setup("pic_kick");
	pic_init(0x01, 0x01);
	kicks = 0;
	line(3, true);
	line(4, true);
	CHECK_EQ(kicks, 1);		/* INT rose once */
	outb(0x21, 0x00);
	CHECK_EQ(kicks, 1);
	/* After INTA, the next request raises INT again: another kick. */
	outb(0x20, 0xc7);		/* keep fixed order */
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(kicks, 1);		/* IR4 < IR3 in service */
	EOI_M();
	CHECK_EQ(kicks, 2);
	/* With AEOI the next one is there right after the INTA. */
	line(3, false);
	line(3, true);
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x03);
	line(3, false);
	line(3, true);
	line(4, false);
	line(4, true);
	kicks = 0;
	CHECK_EQ(kvmm_pic_intack(pic), 0x23);
	CHECK_EQ(kicks, 1);
	teardown();
}

static void test_pic_state(void)
{
	struct kvm_pic_state m, s, m2, s2, x;
	struct kvmm_pic *old;

	setup("pic_state");
	pic_init(0x01, 0x03);
	outb(0x4d0, 0x60);
	outb(0x4d1, 0x04);
	outb(0x21, 0x10);
	line(5, true);
	line(10, true);
	line(3, true);
	CHECK_EQ(kvmm_pic_intack(pic), 0x2a);
	outb(0x20, 0xc1);
	outb(0x20, 0x0b);
	outb(0xa0, 0x80);
	outb(0xa0, 0x0c);
	outb(0xa0, 0x11);
	outb(0xa1, 0x50);
	m = pic_state(false);
	s = pic_state(true);
	CHECK_EQ(m.elcr, 0x60);
	CHECK_EQ(s.elcr, 0x04);
	CHECK_EQ(s.init_state, 2);
	CHECK_EQ(s.poll, 1);
	CHECK_EQ(s.rotate_on_auto_eoi, 1);

	/* A second PIC (another VM) given the state behaves the same. */
	old = pic;
	pic = kvmm_pic_create(&vm);
	CHECK_EQ(kvmm_pic_set(pic, false, &m), 0);
	CHECK_EQ(kvmm_pic_set(pic, true, &s), 0);
	m2 = pic_state(false);
	s2 = pic_state(true);
	CHECK(!memcmp(&m, &m2, sizeof(m)));
	CHECK(!memcmp(&s, &s2, sizeof(s)));
	kvmm_pic_free(pic);
	pic = old;

	/* Any state comes back as set while the slave requests nothing. */
	memset(&x, 0, sizeof(x));
	memset(&x, 0xff, sizeof(x));
	x.init_state = 0;
	x.irr = 0;
	CHECK_EQ(kvmm_pic_set(pic, true, &x), 0);
	x.irr = 0xff;
	x.isr = 0xff;
	CHECK_EQ(kvmm_pic_set(pic, false, &x), 0);
	m2 = pic_state(false);
	CHECK(!memcmp(&x, &m2, sizeof(x)));
	/* A slave request latches IR2 of a state just set (as KVM). */
	x.irr = 0x00;
	CHECK_EQ(kvmm_pic_set(pic, false, &x), 0);
	memset(&s2, 0, sizeof(s2));
	s2.irr = 0x01;
	CHECK_EQ(kvmm_pic_set(pic, true, &s2), 0);
	CHECK_EQ(pic_state(false).irr, 0x04);
	/* ... also when the slave was requesting all along. */
	CHECK_EQ(kvmm_pic_set(pic, false, &x), 0);
	CHECK_EQ(pic_state(false).irr, 0x04);
	CHECK_EQ(kvmm_pic_set(pic, false, &m), 0);
	CHECK_EQ(kvmm_pic_set(pic, true, &s), 0);

	/* Setting a state recomputes INT; every field is taken as given. */
	memset(&x, 0, sizeof(x));
	x.irq_base = 0x40;
	x.irr = 0x02;
	x.elcr_mask = 0xff;
	x.init_state = 7;
	kicks = 0;
	outb(0x21, 0xff);
	CHECK(!kvmm_pic_output(pic));
	CHECK_EQ(kvmm_pic_set(pic, false, &x), 0);
	CHECK(kvmm_pic_output(pic));
	CHECK_EQ(kicks, 1);
	m2 = pic_state(false);
	CHECK_EQ(m2.elcr_mask, 0xff);
	CHECK_EQ(m2.init_state, 7);
	outb(0x21, 0x55);		/* no such init state: ignored */
	CHECK_EQ(inb(0x21), 0x00);
	CHECK_EQ(kvmm_pic_intack(pic), 0x41);
	teardown();
}

/* ---- IOAPIC --------------------------------------------------------- */

#define RTE_MASKED	(1ULL << 16)
#define RTE_LEVEL	(1ULL << 15)
#define RTE_REMOTE_IRR	(1ULL << 14)
#define RTE_POL_LOW	(1ULL << 13)
#define RTE_DELIV_STAT	(1ULL << 12)
#define RTE_LOGICAL	(1ULL << 11)
#define RTE_DM(m)	((u64)(m) << 8)
#define RTE_DEST(d)	((u64)(d) << 56)

static int aline(u32 pin, bool level)
{
	return kvmm_ioapic_set_irq(ioapic, USR, pin, level);
}

static void test_ioapic_registers(void)
{
	u64 v8;
	u8 b;
	int i;

	setup("ioapic_registers");
	CHECK_EQ(ioapic_read(0x01), 0x00170011);	/* 24 entries, 0x11 */
	ioapic_write(0x01, 0);
	CHECK_EQ(ioapic_read(0x01), 0x00170011);
	CHECK_EQ(ioapic_read(0x00), 0);
	ioapic_write(0x00, 0xffffffff);
	CHECK_EQ(ioapic_read(0x00), 0x0f000000);
	CHECK_EQ(ioapic_read(0x02), 0x0f000000);	/* arb id = id */
	ioapic_write(0x02, 0);
	CHECK_EQ(ioapic_read(0x02), 0x0f000000);
	/* Registers that do not exist read all ones. */
	CHECK_EQ(ioapic_read(0x03), 0xffffffff);
	CHECK_EQ(ioapic_read(0x0f), 0xffffffff);
	CHECK_EQ(ioapic_read(0x10 + 48), 0xffffffff);
	CHECK_EQ(ioapic_read(0xff), 0xffffffff);
	/* IOREGSEL is 8 bits. */
	mmio_w32(IOAPIC_BASE, 0x12345601);
	CHECK_EQ(mmio_r32(IOAPIC_BASE), 0x01);
	/* Every entry starts masked. */
	for (i = 0; i < KVMM_IOAPIC_NUM_PINS; i++)
		CHECK_EQ(rte_read(i), RTE_MASKED);
	/* Other offsets read 0 and ignore writes. */
	mmio_w32(IOAPIC_BASE + 0x20, 0xffffffff);
	CHECK_EQ(mmio_r32(IOAPIC_BASE + 0x20), 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE + 0x40), 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE + 0x04), 0);
	/* Widths: a byte of IOWIN, an 8-byte write (low half used). */
	mmio_w32(IOAPIC_BASE, 0x01);
	CHECK_EQ(mmio(IOAPIC_BASE + 0x10, 1, &b, false), 0);
	CHECK_EQ(b, 0x11);
	v8 = 0xffffffff00000010ULL;
	CHECK_EQ(mmio(IOAPIC_BASE, 8, &v8, true), 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE), 0x10);
	v8 = ~0ULL;
	CHECK_EQ(mmio(IOAPIC_BASE + 0x10, 8, &v8, false), 0);
	CHECK_EQ(v8, RTE_MASKED);
	/* Entry halves. */
	rte_write(7, RTE_DEST(0xab) | RTE_MASKED | RTE_LOGICAL | 0x55);
	CHECK_EQ(ioapic_read(0x1e), RTE_MASKED | RTE_LOGICAL | 0x55);
	CHECK_EQ(ioapic_read(0x1f), 0xab000000);
	CHECK_EQ(nr_msgs, 0);
	teardown();
}

static void test_ioapic_edge(void)
{
	setup("ioapic_edge");
	rte_write(4, RTE_DEST(3) | 0x31);
	CHECK_EQ(aline(4, true), 1);
	CHECK_EQ(nr_msgs, 1);
	CHECK_EQ(msgs[0].vector, 0x31);
	CHECK_EQ(msgs[0].dest, 3);
	CHECK_EQ(msgs[0].delivery_mode, 0);
	CHECK(!msgs[0].logical);
	CHECK(!msgs[0].level);
	CHECK(msgs[0].assert);
	CHECK_EQ(msgs[0].shorthand, 0);
	/* Still asserted: no new edge (coalesced). */
	CHECK_EQ(aline(4, true), 0);
	CHECK_EQ(nr_msgs, 1);
	CHECK_EQ(aline(4, false), 1);
	CHECK_EQ(aline(4, true), 1);
	CHECK_EQ(nr_msgs, 2);
	/* Deliveries report what the LAPICs said. */
	aline(4, false);
	deliver_ret = 2;
	CHECK_EQ(aline(4, true), 2);
	aline(4, false);
	deliver_ret = -1;
	CHECK_EQ(aline(4, true), -1);
	aline(4, false);
	/* An EOI of an edge vector: ack notifiers only. */
	kvmm_ioapic_eoi(&vm, 0x31, false);
	CHECK_EQ(acks[KVM_IRQCHIP_IOAPIC][4], 1);
	kvmm_ioapic_eoi(&vm, 0x32, false);
	CHECK_EQ(nr_acks, 1);
	/* A level EOI of the vector: an edge pin still high stays quiet. */
	deliver_ret = 1;
	CHECK_EQ(aline(4, true), 1);
	CHECK_EQ(nr_msgs, 5);
	kvmm_ioapic_eoi(&vm, 0x31, true);
	CHECK_EQ(nr_msgs, 5);
	CHECK_EQ(rte_read(4), RTE_DEST(3) | 0x31);
	aline(4, false);
	/* Pins that do not exist. */
	CHECK_EQ(aline(24, true), -1);
	CHECK_EQ(kvmm_ioapic_set_irq(ioapic, KVMM_NR_IRQ_SOURCES, 1, true), -1);
	teardown();
}

static void test_ioapic_masked_edge(void)
{
	struct kvm_ioapic_state s;

	setup("ioapic_masked_edge");
	rte_write(5, RTE_MASKED | 0x40);
	CHECK_EQ(aline(5, true), -1);
	CHECK_EQ(nr_msgs, 0);
	/* Unmasking does not deliver a past edge (82093AA: ignored). */
	rte_write(5, 0x40);
	CHECK_EQ(nr_msgs, 0);
	/* But the undelivered edge is in the saved irr ... */
	CHECK_EQ(kvmm_ioapic_get(ioapic, &s), 0);
	CHECK_EQ(s.irr, 1u << 5);
	/* ... and a delivered one is not. */
	aline(5, false);
	aline(5, true);
	CHECK_EQ(nr_msgs, 1);
	CHECK_EQ(kvmm_ioapic_get(ioapic, &s), 0);
	CHECK_EQ(s.irr, 0);
	teardown();
}

static void test_ioapic_level(void)
{
	setup("ioapic_level");
	rte_write(9, RTE_DEST(1) | RTE_LEVEL | RTE_POL_LOW | 0x49);
	CHECK_EQ(aline(9, true), 1);
	CHECK_EQ(nr_msgs, 1);
	CHECK(msgs[0].level);
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	/* Asserted again (another source): remote IRR holds it. */
	CHECK_EQ(kvmm_ioapic_set_irq(ioapic, PIT, 9, true), -1);
	CHECK_EQ(nr_msgs, 1);
	/* EOI with the line still up: delivered again at once. */
	kvmm_ioapic_eoi(&vm, 0x49, true);
	CHECK_EQ(acks[KVM_IRQCHIP_IOAPIC][9], 1);
	CHECK_EQ(nr_msgs, 2);
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	/* Lowered by one source only: still asserted (wired-OR). */
	CHECK_EQ(aline(9, false), -1);
	kvmm_ioapic_eoi(&vm, 0x49, true);
	CHECK_EQ(nr_msgs, 3);
	CHECK_EQ(kvmm_ioapic_set_irq(ioapic, PIT, 9, false), 1);
	kvmm_ioapic_eoi(&vm, 0x49, true);
	CHECK_EQ(nr_msgs, 3);
	CHECK(!(rte_read(9) & RTE_REMOTE_IRR));
	/* An edge EOI of the vector leaves remote IRR alone. */
	aline(9, true);
	CHECK_EQ(nr_msgs, 4);
	kvmm_ioapic_eoi(&vm, 0x49, false);
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	CHECK_EQ(nr_msgs, 4);
	/* An EOI of another vector does nothing to it. */
	kvmm_ioapic_eoi(&vm, 0x48, true);
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	/* A masked, asserted level pin interrupts when unmasked. */
	aline(9, false);
	kvmm_ioapic_eoi(&vm, 0x49, true);
	rte_write(9, RTE_MASKED | RTE_LEVEL | 0x49);
	CHECK_EQ(aline(9, true), -1);
	CHECK_EQ(nr_msgs, 4);
	kvmm_ioapic_eoi(&vm, 0x49, true);	/* masked: stays quiet */
	CHECK_EQ(nr_msgs, 4);
	rte_write(9, RTE_LEVEL | 0x49);
	CHECK_EQ(nr_msgs, 5);
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	/* No EOI reaches the IOAPIC while the irqchip is split. */
	irqchip.ioapic = NULL;
	kvmm_ioapic_eoi(&vm, 0x49, true);
	irqchip.ioapic = ioapic;
	CHECK(rte_read(9) & RTE_REMOTE_IRR);
	teardown();
}

static void test_ioapic_remote_irr_rules(void)
{
	setup("ioapic_remote_irr_rules");
	rte_write(2, RTE_LEVEL | 0x50);
	aline(2, true);
	CHECK_EQ(nr_msgs, 1);
	/* Read-only bits survive a write of the low half. */
	ioapic_write(0x14, RTE_LEVEL | 0x51);
	CHECK_EQ(rte_read(2), RTE_LEVEL | RTE_REMOTE_IRR | 0x51);
	ioapic_write(0x14, RTE_LEVEL | RTE_DELIV_STAT | 0x51);
	CHECK_EQ(rte_read(2), RTE_LEVEL | RTE_REMOTE_IRR | 0x51);
	/* Switching to edge clears remote IRR (Linux's and Xen's trick). */
	ioapic_write(0x14, 0x51 | RTE_MASKED);
	CHECK_EQ(rte_read(2), RTE_MASKED | 0x51);
	/* The pin is still asserted: back to level, it interrupts. */
	ioapic_write(0x14, RTE_LEVEL | 0x51);
	CHECK_EQ(nr_msgs, 2);
	/* A delivery no LAPIC took still sets remote IRR (as KVM) ... */
	aline(2, false);
	kvmm_ioapic_eoi(&vm, 0x51, true);
	deliver_ret = -1;
	CHECK_EQ(aline(2, true), -1);
	CHECK(rte_read(2) & RTE_REMOTE_IRR);
	/* ... one every target had pending already does not. */
	aline(2, false);
	kvmm_ioapic_eoi(&vm, 0x51, true);
	deliver_ret = 0;
	CHECK_EQ(aline(2, true), 0);
	CHECK(!(rte_read(2) & RTE_REMOTE_IRR));
	/* A level pin asserted again after coalescing: sent again. */
	CHECK_EQ(kvmm_ioapic_set_irq(ioapic, PIT, 2, true), 0);
	CHECK_EQ(nr_msgs, 5);
	teardown();
}

static void test_ioapic_messages(void)
{
	setup("ioapic_messages");
	rte_write(0, RTE_DEST(0xff) | RTE_LOGICAL | RTE_DM(1) | 0x61);
	rte_write(1, RTE_DEST(0x0f) | RTE_DM(4) | 0x00);
	rte_write(3, RTE_DEST(0) | RTE_DM(7) | RTE_LEVEL);
	rte_write(23, RTE_DEST(0x80) | RTE_DM(5));
	aline(0, true);
	aline(1, true);
	aline(3, true);
	aline(23, true);
	CHECK_EQ(nr_msgs, 4);
	CHECK_EQ(msgs[0].dest, 0xff);
	CHECK(msgs[0].logical);
	CHECK_EQ(msgs[0].delivery_mode, 1);
	CHECK_EQ(msgs[0].vector, 0x61);
	CHECK_EQ(msgs[1].delivery_mode, 4);
	CHECK_EQ(msgs[1].dest, 0x0f);
	CHECK_EQ(msgs[2].delivery_mode, 7);
	CHECK(msgs[2].level);
	CHECK_EQ(msgs[3].delivery_mode, 5);
	CHECK_EQ(msgs[3].dest, 0x80);
	teardown();
}

static void test_ioapic_resample(void)
{
	setup("ioapic_resample");
	rte_write(11, RTE_LEVEL | 0x71);
	rte_write(12, RTE_LEVEL | 0x71);	/* two pins share a vector */
	kvmm_ioapic_set_irq(ioapic, RSMP, 11, true);
	kvmm_ioapic_set_irq(ioapic, RSMP, 12, true);
	CHECK_EQ(nr_msgs, 2);
	ack_hook = resample_lower;
	kvmm_ioapic_eoi(&vm, 0x71, true);
	/* The notifier lowered both lines before remote IRR went. */
	CHECK_EQ(nr_msgs, 2);
	CHECK_EQ(acks[KVM_IRQCHIP_IOAPIC][11], 1);
	CHECK_EQ(acks[KVM_IRQCHIP_IOAPIC][12], 1);
	CHECK(!(rte_read(11) & RTE_REMOTE_IRR));
	CHECK(!(rte_read(12) & RTE_REMOTE_IRR));
	teardown();
}

static void test_ioapic_eoi_storm(void)
{
	int i;

	setup("ioapic_eoi_storm");
	rte_write(6, RTE_LEVEL | 0x66);
	aline(6, true);
	for (i = 1; i < 10000; i++)
		kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 10000);
	/* The 10000th EOI in a row defers the next delivery. */
	kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 10000);
	CHECK(!(rte_read(6) & RTE_REMOTE_IRR));
	CHECK(shim_last_work != NULL);
	CHECK_EQ(shim_last_work->delay, HZ / 100);
	CHECK(shim_run_delayed_work(shim_last_work));
	CHECK_EQ(nr_msgs, 10001);
	CHECK(rte_read(6) & RTE_REMOTE_IRR);
	/* The count starts again: the next EOI delivers at once. */
	kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 10002);
	for (i = 0; i < 9998; i++)
		kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 20000);
	/* A quiet EOI (the line went down) resets the count. */
	aline(6, false);
	kvmm_ioapic_eoi(&vm, 0x66, true);
	aline(6, true);
	for (i = 0; i < 9999; i++)
		kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 30000);
	CHECK(!shim_last_work->pending);
	kvmm_ioapic_eoi(&vm, 0x66, true);
	CHECK_EQ(nr_msgs, 30000);
	/* Freeing the IOAPIC cancels a pending storm work. */
	CHECK(shim_last_work->pending);
	shim_works_cancelled = 0;
	kvmm_ioapic_free(ioapic);
	CHECK_EQ(shim_works_cancelled, 1);
	ioapic = kvmm_ioapic_create(&vm);
	irqchip.ioapic = ioapic;
	teardown();
}

static void test_ioapic_state(void)
{
	struct kvm_ioapic_state s, s2;
	struct kvmm_ioapic *other;
	u32 v;

	setup("ioapic_state");
	rte_write(1, RTE_DEST(2) | RTE_LEVEL | 0x41);
	rte_write(3, RTE_DEST(2) | 0x43);
	rte_write(4, RTE_MASKED | 0x44);
	ioapic_write(0x00, 0x05000000);
	mmio_w32(IOAPIC_BASE, 0x13);
	aline(1, true);
	aline(3, true);
	aline(4, true);
	CHECK_EQ(nr_msgs, 2);
	memset(&s, 0xee, sizeof(s));
	CHECK_EQ(kvmm_ioapic_get(ioapic, &s), 0);
	CHECK_EQ(s.base_address, IOAPIC_BASE);
	CHECK_EQ(s.ioregsel, 0x13);
	CHECK_EQ(s.id, 5);
	CHECK_EQ(s.pad, 0);
	/* The delivered edge (pin 3) is not reported, the masked one is. */
	CHECK_EQ(s.irr, (1u << 1) | (1u << 4));
	CHECK_EQ(s.redirtbl[1].bits, RTE_DEST(2) | RTE_LEVEL | RTE_REMOTE_IRR | 0x41);
	CHECK_EQ(s.redirtbl[1].fields.remote_irr, 1);
	CHECK_EQ(s.redirtbl[1].fields.dest_id, 2);
	CHECK_EQ(s.redirtbl[4].fields.mask, 1);
	CHECK_EQ(s.redirtbl[0].bits, RTE_MASKED);

	/* Another IOAPIC given the state: the same state, nothing sent. */
	other = kvmm_ioapic_create(&vm);
	nr_msgs = 0;
	CHECK_EQ(kvmm_ioapic_set(other, &s), 0);
	CHECK_EQ(nr_msgs, 0);
	CHECK_EQ(kvmm_ioapic_get(other, &s2), 0);
	CHECK(!memcmp(&s, &s2, sizeof(s)));
	/* Restored pins are asserted afresh: an unmasked one interrupts. */
	s.redirtbl[4].fields.mask = 0;
	CHECK_EQ(kvmm_ioapic_set(other, &s), 0);
	CHECK_EQ(nr_msgs, 1);
	CHECK_EQ(msgs[0].vector, 0x44);
	CHECK_EQ(kvmm_ioapic_get(other, &s2), 0);
	CHECK_EQ(s2.irr, 1u << 1);
	kvmm_ioapic_free(other);

	/* The ID register shows 4 bits of whatever id was set. */
	s.id = 0x35;
	CHECK_EQ(kvmm_ioapic_set(ioapic, &s), 0);
	CHECK_EQ(ioapic_read(0x00), 0x05000000);
	CHECK_EQ(ioapic_read(0x02), 0x05000000);
	CHECK_EQ(kvmm_ioapic_get(ioapic, &s2), 0);
	CHECK_EQ(s2.id, 0x35);
	mmio_w32(IOAPIC_BASE, 0x13);

	/* base_address decides whether the window is the IOAPIC's. */
	s.base_address = 0xfed00000;
	CHECK_EQ(kvmm_ioapic_set(ioapic, &s), 0);
	CHECK_EQ(mmio(IOAPIC_BASE, 4, &v, false), -EOPNOTSUPP);
	CHECK_EQ(mmio(IOAPIC_BASE, 4, &v, true), -EOPNOTSUPP);
	s.base_address = IOAPIC_BASE;
	CHECK_EQ(kvmm_ioapic_set(ioapic, &s), 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE), 0x13);
	teardown();
}

/*
 * What tools/testing/selftests/kvmm/pic_ioapic.c checks, which passes on
 * Linux 6.1's KVM: the same steps here must give the same answers.
 */
static void test_as_reference(void)
{
	struct kvm_pic_state m, s, z = { .elcr_mask = 0xf8 };
	struct kvm_ioapic_state io, got;
	int i;

	setup("as_reference");
	/* Defaults. */
	m = pic_state(false);
	CHECK(!memcmp(&m, &z, sizeof(z)));
	z.elcr_mask = 0xde;
	s = pic_state(true);
	CHECK(!memcmp(&s, &z, sizeof(z)));
	CHECK_EQ(kvmm_ioapic_get(ioapic, &io), 0);
	CHECK_EQ(io.base_address, IOAPIC_BASE);
	CHECK_EQ(io.ioregsel | io.id | io.irr, 0);
	for (i = 0; i < KVMM_IOAPIC_NUM_PINS; i++)
		CHECK_EQ(io.redirtbl[i].bits, RTE_MASKED);

	/* Guest init, IMR, ELCR. */
	pic_init(0x01, 0x01);
	outb(0x21, 0xfb);
	outb(0xa1, 0xff);
	m = pic_state(false);
	CHECK(m.irq_base == 0x20 && !m.init_state && m.init4 && m.imr == 0xfb);
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	CHECK_EQ(inb(0x4d0), 0xf8);
	CHECK_EQ(inb(0x4d1), 0xde);
	outb(0x4d0, 0);
	outb(0x4d1, 0);

	/* KVM_IRQ_LINE_STATUS, the PIC's part. */
	pic_init(0x01, 0x01);
	outb(0x21, 0x20);
	CHECK_EQ(line(3, true), 1);
	outb(0x20, 0x0a);
	CHECK_EQ(inb(0x20), 0x08);
	line(3, false);
	CHECK_EQ(line(3, true), 0);
	line(3, false);
	CHECK_EQ(line(5, true), -1);
	line(5, false);
	outb(0x4d1, 0x04);
	CHECK_EQ(line(10, true), 1);
	CHECK_EQ(line(10, true), 0);
	outb(0xa0, 0x0a);
	CHECK_EQ(inb(0xa0), 0x04);
	line(10, false);
	CHECK_EQ(inb(0xa0), 0x00);
	outb(0x4d1, 0);

	/* IOAPIC registers. */
	CHECK_EQ(ioapic_read(0x01), 0x00170011);
	ioapic_write(0x00, 0xff000000);
	CHECK_EQ(ioapic_read(0x00), 0x0f000000);
	CHECK_EQ(ioapic_read(0x02), 0x0f000000);
	CHECK_EQ(ioapic_read(0x03), 0xffffffff);
	CHECK_EQ(ioapic_read(0x10 + 2 * KVMM_IOAPIC_NUM_PINS), 0xffffffff);
	CHECK_EQ(ioapic_read(0x10), 0x00010000);
	CHECK_EQ(ioapic_read(0x11), 0);
	ioapic_write(0x12, 0x0001d0ff);
	CHECK_EQ(ioapic_read(0x12), 0x000180ff);
	ioapic_write(0x12, 0x00010000);

	/* State round trips with the selftest's patterns. */
	s = (struct kvm_pic_state){
		.imr = 0xff, .isr = 0x10, .priority_add = 5, .irq_base = 0x70,
		.read_reg_select = 1, .elcr = 0x08, .elcr_mask = 0xde,
		.init4 = 1, .auto_eoi = 1,
	};
	m = (struct kvm_pic_state){
		.last_irr = 0x5a, .irr = 0x33, .imr = 0xff, .isr = 0x81,
		.priority_add = 3, .irq_base = 0x40, .read_reg_select = 1,
		.special_mask = 1, .auto_eoi = 1, .rotate_on_auto_eoi = 1,
		.special_fully_nested_mode = 1, .init4 = 1, .elcr = 0x98,
		.elcr_mask = 0xf8,
	};
	kvmm_pic_set(pic, true, &s);
	kvmm_pic_set(pic, false, &m);
	z = pic_state(false);
	CHECK(!memcmp(&z, &m, sizeof(m)));
	z = pic_state(true);
	CHECK(!memcmp(&z, &s, sizeof(s)));
	memset(&io, 0, sizeof(io));
	io.base_address = IOAPIC_BASE;
	io.ioregsel = 0x13;
	io.id = 3;
	io.irr = (1u << 4) | (1u << 9);
	for (i = 0; i < KVMM_IOAPIC_NUM_PINS; i++)
		io.redirtbl[i].bits = RTE_MASKED | (u64)i << 56 | (0x30 + i);
	io.redirtbl[9].fields.trig_mode = 1;
	io.redirtbl[9].fields.remote_irr = 1;
	nr_msgs = 0;
	kvmm_ioapic_set(ioapic, &io);
	kvmm_ioapic_get(ioapic, &got);
	CHECK(!memcmp(&got, &io, sizeof(io)));
	CHECK_EQ(nr_msgs, 0);
	CHECK_EQ(ioapic_read(0x00), 0x03000000);
	CHECK_EQ(ioapic_read(0x22), 0x0001c039);
	CHECK_EQ(ioapic_read(0x23), 0x09000000);

	/* IOAPIC level and edge lines as the selftest drives them. */
	rte_write(17, RTE_LEVEL | 0x51);
	rte_write(18, 0x52);
	nr_msgs = 0;
	CHECK_EQ(aline(17, true), 1);
	CHECK(rte_read(17) & RTE_REMOTE_IRR);
	CHECK_EQ(aline(17, true), -1);
	kvmm_ioapic_eoi(&vm, 0x51, true);
	CHECK_EQ(nr_msgs, 2);
	CHECK_EQ(aline(17, false), 1);
	kvmm_ioapic_eoi(&vm, 0x51, true);
	CHECK(!(rte_read(17) & RTE_REMOTE_IRR));
	CHECK_EQ(aline(18, true), 1);
	CHECK_EQ(aline(18, true), 0);
	kvmm_ioapic_eoi(&vm, 0x52, false);
	aline(18, false);
	kvmm_ioapic_get(ioapic, &got);
	CHECK(!(got.irr & (1u << 18)));
	CHECK_EQ(nr_msgs, 3);
	teardown();
}

int main(void)
{
	test_pic_ports();
	test_pic_init_sequence();
	test_pic_edge();
	test_pic_level();
	test_pic_wired_or();
	test_pic_mask();
	test_pic_priority();
	test_pic_rotation();
	test_pic_rotation2();
	test_pic_auto_eoi();
	test_pic_special_mask();
	test_pic_poll();
	test_pic_read_registers();
	test_pic_spurious();
	test_pic_cascade();
	test_pic_sfnm();
	test_pic_icw1_reset();
	test_pic_resample();
	test_pic_kick();
	test_pic_state();
	test_ioapic_registers();
	test_ioapic_edge();
	test_ioapic_masked_edge();
	test_ioapic_level();
	test_ioapic_remote_irr_rules();
	test_ioapic_messages();
	test_ioapic_resample();
	test_ioapic_eoi_storm();
	test_ioapic_state();
	test_as_reference();
	printf("irqchip: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
