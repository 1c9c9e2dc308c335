// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC of KVM_CREATE_IRQCHIP: an Intel 82093AA (datasheet, order
 * no. 290566) with 24 pins at 0xfec00000, as Linux's KVM presents it:
 * version 0x11, the arbitration id reading as the APIC id, no EOI
 * register (that came with version 0x20), so the guest ends a level
 * interrupt with the local APIC's EOI broadcast (SDM 3A 10.8.5).
 *
 * Registers (82093AA 3.0): IOREGSEL at offset 0x00 selects, IOWIN at
 * 0x10 reads and writes the selected one: 0x00 ID (bits 27:24), 0x01
 * version (bits 23:16 the highest redirection entry, 7:0 the version),
 * 0x02 arbitration id, 0x10 + 2n / 0x11 + 2n the low and high halves of
 * redirection entry n.  A register that does not exist reads as all
 * ones.
 *
 * A redirection entry (82093AA 3.2.4): vector 7:0, delivery mode 10:8,
 * destination mode 11, delivery status 12 (RO), polarity 13, remote IRR
 * 14 (RO), trigger mode 15, mask 16, destination 63:56.  Polarity is
 * stored, not applied: a line's level in kvmm_ioapic_set_irq() is
 * already "asserted or not", as in KVM.
 *
 * irr holds, per pin, "asserted": the line for a level pin; for an edge
 * pin, a rising edge that was seen, kept until the line falls.  An edge
 * on a masked pin is not delivered (82093AA: "ignored"); a level pin
 * delivers while asserted, unmasked and without remote IRR, and the
 * remote IRR is set for each delivery a local APIC took, until that
 * APIC's EOI of its vector comes back (kvmm_ioapic_eoi()).  Then a pin
 * still asserted is delivered again at once.
 *
 * Not modelled: KVM's coalescing report for the RTC's pin 8 (it tracks
 * EOIs per vCPU for Windows' clock; QEMU asks for it only with
 * lost_tick_policy=slew), KVM's mask notifiers, and relocation: the
 * window stays at 0xfec00000 whatever KVM_SET_IRQCHIP puts into
 * base_address, which (as in KVM) only decides whether accesses there
 * are the IOAPIC's or go to userspace.
 *
 * Locking (Documentation/irqchip.rst, "PIC and IOAPIC").  ioapic->lock,
 * a spinlock, covers the state; taken in process context (vCPU threads'
 * MMIO and EOIs, KVM_IRQ_LINE, irqfd and PIT workers, KVM_GET/SET_
 * IRQCHIP, the EOI storm work), never in hard-irq context.  Delivery to
 * the local APICs, kvmm_apic_deliver(), is called with it held: the
 * LAPIC side must not sleep there nor call back into the IOAPIC.  The
 * LAPIC calls kvmm_ioapic_eoi() holding none of its own locks; the ack
 * notifiers run with ioapic->lock dropped, before the remote IRR is
 * cleared, so a resampling irqfd can lower its line first.
 */
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

#include "irqchip.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_MMIO_LEN		0x100
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10

#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10

#define IOAPIC_VERSION		0x11	/* 82093AA; KVM's IOAPIC_VERSION_ID */

/* Redirection entry fields (82093AA 3.2.4). */
#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY_SHIFT	8
#define RTE_DELIVERY_MODE	(7ULL << RTE_DELIVERY_SHIFT)
#define RTE_DEST_LOGICAL	(1ULL << 11)
#define RTE_DELIVERY_STATUS	(1ULL << 12)
#define RTE_POLARITY_LOW	(1ULL << 13)
#define RTE_REMOTE_IRR		(1ULL << 14)
#define RTE_LEVEL		(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST_SHIFT		56

/*
 * A level pin still asserted at this many EOIs in a row is delivered
 * again only after IOAPIC_STORM_DELAY: real IOAPICs take a while to
 * resend, which lets a guest that EOIs without quieting its device crawl
 * on instead of spinning in its handler (KVM's 10000 and 10 ms).
 */
#define IOAPIC_STORM_EOIS	10000
#define IOAPIC_STORM_DELAY	(HZ / 100)

struct kvmm_ioapic {
	spinlock_t lock;
	struct kvmm_vm *vm;
	u64 base_address;
	u32 ioregsel;
	u32 id;
	u32 irr;
	/* Edge pins in irr whose edge was delivered (not in GET's irr). */
	u32 irr_delivered;
	u32 pad;			/* kvm_ioapic_state's, kept for GET */
	u64 redtbl[KVMM_IOAPIC_NUM_PINS];
	/* Who holds each pin high: bits of enum kvmm_irq_source. */
	u8 sources[KVMM_IOAPIC_NUM_PINS];
	u32 storm[KVMM_IOAPIC_NUM_PINS];	/* EOIs that re-delivered */
	struct delayed_work storm_work;
	struct kvmm_io_device dev;
};

static u32 pin_bit(u32 pin)
{
	return 1u << pin;
}

/*
 * Send pin @pin's interrupt if its entry lets it: not masked, and for a
 * level pin no remote IRR.  Returns as kvmm_apic_deliver() (-1 when
 * nothing was sent).  As in KVM, a level delivery sets the remote IRR
 * unless every target already had the vector pending (0: coalesced).
 */
static int ioapic_service(struct kvmm_ioapic *io, u32 pin)
{
	u64 e = io->redtbl[pin];
	struct kvmm_apic_msg msg = {
		.dest = e >> RTE_DEST_SHIFT,
		.vector = e & RTE_VECTOR,
		.delivery_mode = (e & RTE_DELIVERY_MODE) >> RTE_DELIVERY_SHIFT,
		.logical = !!(e & RTE_DEST_LOGICAL),
		.level = !!(e & RTE_LEVEL),
		.assert = true,
	};
	int ret;

	if ((e & RTE_MASKED) || (msg.level && (e & RTE_REMOTE_IRR)))
		return -1;
	if (!msg.level)
		io->irr_delivered |= pin_bit(pin);
	ret = kvmm_apic_deliver(io->vm, NULL, &msg);
	if (ret && msg.level)
		io->redtbl[pin] |= RTE_REMOTE_IRR;
	return ret;
}

/*
 * Pin @pin is now at @line.  Returns as KVM_IRQ_LINE_STATUS: 1 when the
 * line fell, 0 when an edge pin was already asserted (coalesced), else
 * what the delivery gave.
 */
static int ioapic_set_line(struct kvmm_ioapic *io, u32 pin, bool line)
{
	bool edge = !(io->redtbl[pin] & RTE_LEVEL);
	u32 old = io->irr;

	if (!line) {
		io->irr &= ~pin_bit(pin);
		return 1;
	}
	io->irr |= pin_bit(pin);
	if (edge) {
		io->irr_delivered &= ~pin_bit(pin);
		if (old == io->irr)
			return 0;
	}
	return ioapic_service(io, pin);
}

int kvmm_ioapic_set_irq(struct kvmm_ioapic *io, enum kvmm_irq_source src,
			u32 pin, bool level)
{
	int ret;

	if (pin >= KVMM_IOAPIC_NUM_PINS ||
	    (unsigned int)src >= KVMM_NR_IRQ_SOURCES)
		return -1;
	spin_lock(&io->lock);
	if (level)
		io->sources[pin] |= 1u << src;
	else
		io->sources[pin] &= ~(1u << src);
	ret = ioapic_set_line(io, pin, io->sources[pin]);
	spin_unlock(&io->lock);
	return ret;
}

static u32 ioapic_read_reg(struct kvmm_ioapic *io)
{
	u32 pin;
	u64 e;

	switch (io->ioregsel) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		/* The arbitration id is loaded from the ID (as KVM). */
		return (io->id & 0xf) << 24;
	case IOAPIC_REG_VERSION:
		return (KVMM_IOAPIC_NUM_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (io->ioregsel < IOAPIC_REG_REDTBL)
		return ~0u;
	pin = (io->ioregsel - IOAPIC_REG_REDTBL) / 2;
	if (pin >= KVMM_IOAPIC_NUM_PINS)
		return ~0u;
	pin = array_index_nospec(pin, KVMM_IOAPIC_NUM_PINS);
	e = io->redtbl[pin];
	return (io->ioregsel & 1) ? e >> 32 : (u32)e;
}

static void ioapic_write_rte(struct kvmm_ioapic *io, u32 pin, bool high,
			     u32 val)
{
	u64 old = io->redtbl[pin], e;

	if (high)
		e = (old & 0xffffffffULL) | (u64)val << 32;
	else
		e = (old & ~0xffffffffULL) | val;
	/* Delivery status and remote IRR are read-only. */
	e &= ~(RTE_DELIVERY_STATUS | RTE_REMOTE_IRR);
	e |= old & (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR);
	/*
	 * An edge entry has no remote IRR: Linux and Xen switch an entry
	 * to edge and back to clear a stuck one on IOAPICs without an EOI
	 * register, and KVM clears it so.
	 */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redtbl[pin] = e;
	/* A level pin asserted all along interrupts once it can. */
	if ((e & RTE_LEVEL) && (io->irr & pin_bit(pin)))
		ioapic_service(io, pin);
}

static void ioapic_write_reg(struct kvmm_ioapic *io, u32 val)
{
	u32 pin;

	switch (io->ioregsel) {
	case IOAPIC_REG_ID:
		io->id = (val >> 24) & 0xf;
		return;
	case IOAPIC_REG_VERSION:
	case IOAPIC_REG_ARB:
		return;		/* read-only */
	}
	if (io->ioregsel < IOAPIC_REG_REDTBL)
		return;
	pin = (io->ioregsel - IOAPIC_REG_REDTBL) / 2;
	if (pin >= KVMM_IOAPIC_NUM_PINS)
		return;
	pin = array_index_nospec(pin, KVMM_IOAPIC_NUM_PINS);
	ioapic_write_rte(io, pin, io->ioregsel & 1, val);
}

static struct kvmm_ioapic *to_ioapic(struct kvmm_io_device *dev)
{
	return container_of(dev, struct kvmm_ioapic, dev);
}

/*
 * The registered window is [0xfec00000, +0x100); base_address (which
 * only KVM_SET_IRQCHIP changes) decides, as in KVM, whether an access
 * there is the IOAPIC's.  Only IOREGSEL and IOWIN exist: other offsets
 * read 0 and ignore writes.
 */
static bool ioapic_off(struct kvmm_ioapic *io, u64 addr, u32 *off)
{
	if (addr < io->base_address ||
	    addr - io->base_address >= IOAPIC_MMIO_LEN)
		return false;
	*off = addr - io->base_address;
	return true;
}

static int ioapic_mmio_read(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			    u64 addr, u32 len, void *val)
{
	struct kvmm_ioapic *io = to_ioapic(dev);
	u64 data = 0;
	u32 off;

	spin_lock(&io->lock);
	if (!ioapic_off(io, addr, &off)) {
		spin_unlock(&io->lock);
		return -EOPNOTSUPP;
	}
	if (off == IOAPIC_IOREGSEL)
		data = io->ioregsel;
	else if (off == IOAPIC_IOWIN)
		data = ioapic_read_reg(io);
	spin_unlock(&io->lock);
	/* Little-endian guest: the low bytes of the 32-bit register. */
	memcpy(val, &data, min_t(u32, len, sizeof(data)));
	return 0;
}

static int ioapic_mmio_write(struct kvmm_vcpu *vcpu,
			     struct kvmm_io_device *dev, u64 addr, u32 len,
			     const void *val)
{
	struct kvmm_ioapic *io = to_ioapic(dev);
	u64 data = 0;
	u32 off;

	/* Narrower writes are zero-extended, wider ones truncated (KVM). */
	memcpy(&data, val, min_t(u32, len, sizeof(data)));
	spin_lock(&io->lock);
	if (!ioapic_off(io, addr, &off)) {
		spin_unlock(&io->lock);
		return -EOPNOTSUPP;
	}
	if (off == IOAPIC_IOREGSEL)
		io->ioregsel = data & 0xff;	/* an 8-bit register */
	else if (off == IOAPIC_IOWIN)
		ioapic_write_reg(io, (u32)data);
	spin_unlock(&io->lock);
	return 0;
}

static const struct kvmm_io_device_ops ioapic_mmio_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

/*
 * The EOI of @vector by a local APIC (its TMR bit for @vector: @level).
 * The LAPIC calls this for every EOI, not only for level vectors as the
 * hardware broadcasts them: edge pins have ack notifiers too (the PIT's
 * reinjection on pin 2), as KVM's kvm_ioapic_update_eoi() serves both.
 * For a level EOI, each level entry of @vector loses its remote IRR and,
 * if its pin is still asserted and unmasked, interrupts again.
 */
void kvmm_ioapic_eoi(struct kvmm_vm *vm, u8 vector, bool level)
{
	struct kvmm_irqchip *chip = vm->arch.irqchip;
	struct kvmm_ioapic *io = chip ? chip->ioapic : NULL;
	u32 pins = 0, pin;

	if (!io)
		return;
	spin_lock(&io->lock);
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		if ((io->redtbl[pin] & RTE_VECTOR) == vector)
			pins |= pin_bit(pin);
	spin_unlock(&io->lock);
	if (!pins)
		return;

	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		if (pins & pin_bit(pin))
			kvmm_irqchip_ack_notify(vm, KVM_IRQCHIP_IOAPIC, pin);
	if (!level)
		return;

	spin_lock(&io->lock);
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++) {
		u64 *e = &io->redtbl[pin];

		/* Entries rewritten meanwhile are no longer this EOI's. */
		if (!(pins & pin_bit(pin)) || (*e & RTE_VECTOR) != vector ||
		    !(*e & RTE_LEVEL))
			continue;
		*e &= ~RTE_REMOTE_IRR;
		if ((*e & RTE_MASKED) || !(io->irr & pin_bit(pin))) {
			io->storm[pin] = 0;
			continue;
		}
		if (++io->storm[pin] == IOAPIC_STORM_EOIS) {
			io->storm[pin] = 0;
			schedule_delayed_work(&io->storm_work,
					      IOAPIC_STORM_DELAY);
			continue;
		}
		ioapic_service(io, pin);
	}
	spin_unlock(&io->lock);
}

/* After an EOI storm: the level pins still asserted interrupt again. */
static void ioapic_storm_work(struct work_struct *work)
{
	struct kvmm_ioapic *io = container_of(to_delayed_work(work),
					      struct kvmm_ioapic, storm_work);
	u32 pin;

	spin_lock(&io->lock);
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		if ((io->redtbl[pin] & RTE_LEVEL) &&
		    (io->irr & pin_bit(pin)) &&
		    !(io->redtbl[pin] & RTE_REMOTE_IRR))
			ioapic_service(io, pin);
	spin_unlock(&io->lock);
}

/*
 * KVM_GET_IRQCHIP: irr without the edges already delivered, so that a
 * restore does not deliver them a second time.
 */
int kvmm_ioapic_get(struct kvmm_ioapic *io, struct kvm_ioapic_state *s)
{
	u32 pin;

	memset(s, 0, sizeof(*s));
	spin_lock(&io->lock);
	s->base_address = io->base_address;
	s->ioregsel = io->ioregsel;
	s->id = io->id;
	s->irr = io->irr & ~io->irr_delivered;
	s->pad = io->pad;
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		s->redirtbl[pin].bits = io->redtbl[pin];
	spin_unlock(&io->lock);
	return 0;
}

/*
 * KVM_SET_IRQCHIP: the registers as given (KVM checks none); each pin
 * in irr is then asserted afresh, so an undelivered edge or an asserted
 * level pin interrupts now if its entry lets it.  The lines' sources
 * stay as they are.
 */
int kvmm_ioapic_set(struct kvmm_ioapic *io, const struct kvm_ioapic_state *s)
{
	u32 pin;

	spin_lock(&io->lock);
	io->base_address = s->base_address;
	io->ioregsel = s->ioregsel;
	io->id = s->id;
	io->pad = s->pad;
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		io->redtbl[pin] = s->redirtbl[pin].bits;
	io->irr = 0;
	io->irr_delivered = 0;
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		if (s->irr & pin_bit(pin))
			ioapic_set_line(io, pin, true);
	spin_unlock(&io->lock);
	return 0;
}

struct kvmm_ioapic *kvmm_ioapic_create(struct kvmm_vm *vm)
{
	struct kvmm_ioapic *io;
	u32 pin;
	int r;

	io = kvmm_zalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	if (!io)
		return NULL;
	spin_lock_init(&io->lock);
	INIT_DELAYED_WORK(&io->storm_work, ioapic_storm_work);
	io->vm = vm;
	/* 82093AA reset: every entry masked; KVM clears the rest. */
	io->base_address = IOAPIC_BASE;
	for (pin = 0; pin < KVMM_IOAPIC_NUM_PINS; pin++)
		io->redtbl[pin] = RTE_MASKED;
	io->dev.ops = &ioapic_mmio_ops;

	mutex_lock(&vm->io.lock);
	r = kvmm_io_bus_register(vm, KVMM_MMIO_BUS, IOAPIC_BASE,
				 IOAPIC_MMIO_LEN, &io->dev);
	mutex_unlock(&vm->io.lock);
	if (r) {
		kvmm_free(io);
		return NULL;
	}
	return io;
}

/*
 * Process context.  The storm work is stopped first: it delivers to the
 * LAPICs.  At VM destruction the buses are already gone.
 */
void kvmm_ioapic_free(struct kvmm_ioapic *io)
{
	struct kvmm_vm *vm;

	if (!io)
		return;
	vm = io->vm;
	cancel_delayed_work_sync(&io->storm_work);
	mutex_lock(&vm->io.lock);
	kvmm_io_bus_unregister(vm, KVMM_MMIO_BUS, &io->dev);
	mutex_unlock(&vm->io.lock);
	kvmm_free(io);
}
