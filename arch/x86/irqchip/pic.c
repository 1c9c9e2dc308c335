// SPDX-License-Identifier: GPL-2.0
/*
 * The two cascaded 8259A interrupt controllers of a PC, as
 * KVM_CREATE_IRQCHIP provides them (Intel 8259A datasheet, order no.
 * 231468; the ELCR of the PIIX/ICH chipsets): the master at ports
 * 0x20/0x21, the slave at 0xa0/0xa1 with its INT wired to the master's
 * IR2, and the edge/level control registers at 0x4d0/0x4d1.
 *
 * Each chip's registers are kept in the layout of struct kvm_pic_state,
 * so that KVM_GET/SET_IRQCHIP are copies and every field means what it
 * means to KVM (QEMU migrates it between the two):
 *   last_irr      each IR input's level as last seen: the edge detector
 *   irr, imr, isr request, mask and in-service registers
 *   priority_add  the IR level that has the highest priority; rotation
 *                 moves it (IR(priority_add - 1) is the lowest)
 *   irq_base      ICW2's T7-T3: the vector of IR0
 *   read_reg_select  OCW3 RIS: a read at A0 = 0 gives the ISR (else IRR)
 *   poll          an OCW3 poll command waits for the next read
 *   special_mask  OCW3 special mask mode
 *   init_state    0: initialized; 1, 2, 3: ICW2, ICW3, ICW4 expected next
 *   init4         ICW1 IC4: an ICW4 follows
 *   auto_eoi, special_fully_nested_mode  ICW4 AEOI, SFNM
 *   rotate_on_auto_eoi  OCW2's "rotate in automatic EOI mode"
 *   elcr, elcr_mask  the chipset's ELCR and the bits of it that exist
 *
 * Not modelled, as nothing on a PC reaches it: MCS-80/85 mode (ICW1
 * ADI/A7-A5, ICW4 uPM), single mode (ICW1 SNGL; the ICH datasheets
 * require SNGL = 0, the pair is always cascaded on IR2), ICW3's slave
 * wiring and buffered mode (ICW4 BUF, M/S), and ICW1's LTIM: on PIIX and
 * ICH the ELCR alone chooses edge or level, LTIM is ignored.  Accesses
 * wider than a byte are dropped (reads give 0), as KVM does.
 *
 * Interrupt lines.  kvmm_pic_set_irq() drives pin 0-15 (8-15: the
 * slave's IR0-7) for one source; a pin is high while any source holds it
 * (KVM's wired-OR per source).  An edge pin latches a request into the
 * IRR on a rising edge and keeps it until INTA; a level pin's IRR bit
 * follows the line.  The slave's INT output drives the master's IR2,
 * edge-triggered as on every PC (the ELCR cannot make IR2 level): a
 * rising INT latches IR2's request.  The latch keeps a request the slave
 * withdraws before INTA, which then gets the slave's default IR7: the
 * spurious IRQ15 real machines show.  During the slave's INTA its INT
 * falls (the request moves from IRR to ISR), so a request still pending
 * after an automatic EOI, or a higher one in special fully nested mode,
 * is a new edge.  The cascade's edge detector is kept apart from
 * last_irr (whose IR2 bit stays the IR2 pin's own, as in KVM), so that
 * KVM_SET_IRQCHIP then KVM_GET_IRQCHIP gives back what was set; a set
 * state starts it low, so a slave request latches IR2 as KVM's does.
 *
 * Locking (Documentation/irqchip.rst, "PIC and IOAPIC").  pic->lock, a
 * spinlock, covers all of the state; it is taken from process context
 * (vCPU threads' port accesses, KVM_IRQ_LINE, irqfd and PIT workers,
 * KVM_GET/SET_IRQCHIP) and from events.c's INTA with interrupts off,
 * never from hard-irq context.  Nothing is called with it held: the ack
 * notifiers (which may come back here, a resampling irqfd lowering its
 * line) run with it dropped, between the register change and the output
 * update, as an EOI must reach them before a still-high level line can
 * interrupt again; the vCPU kick runs after it is released.
 */
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/kvm.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>

#include "irqchip.h"

#define PIC_MASTER	0
#define PIC_SLAVE	1
#define PIC_CASCADE_IR	2	/* the master's input the slave drives */

/* ELCR bits that exist: IRQ0-2, IRQ8 and IRQ13 are edge only (PIIX/ICH). */
#define PIC_ELCR_MASK_MASTER	0xf8
#define PIC_ELCR_MASK_SLAVE	0xde

/* Command words written at A0 = 0 (datasheet, "Programming the 8259A"). */
#define PIC_ICW1		0x10	/* D4: ICW1; else an OCW2 or OCW3 */
#define PIC_ICW1_IC4		0x01
#define PIC_OCW3		0x08	/* D3 (D4 = 0): OCW3; else OCW2 */
#define PIC_OCW3_RIS		0x01
#define PIC_OCW3_RR		0x02
#define PIC_OCW3_P		0x04
#define PIC_OCW3_SMM		0x20
#define PIC_OCW3_ESMM		0x40
#define PIC_ICW4_AEOI		0x02
#define PIC_ICW4_SFNM		0x10
#define PIC_POLL_INT		0x80	/* poll word: I, a level is requesting */

/* OCW2's R, SL, EOI bits (D7-D5): the command; L2-L0 name a level. */
enum pic_ocw2 {
	OCW2_AEOI_ROTATE_CLEAR	= 0,
	OCW2_EOI		= 1,
	OCW2_NOP		= 2,
	OCW2_SPECIFIC_EOI	= 3,
	OCW2_AEOI_ROTATE_SET	= 4,
	OCW2_ROTATE_EOI		= 5,
	OCW2_SET_PRIORITY	= 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

struct kvmm_pic;

/* One of the three port ranges; they share the ops below. */
struct pic_port {
	struct kvmm_io_device dev;
	struct kvmm_pic *pic;
};

struct kvmm_pic {
	spinlock_t lock;
	struct kvmm_vm *vm;
	struct kvm_pic_state chip[2];		/* [PIC_MASTER], [PIC_SLAVE] */
	/* Who holds each pin high: bits of enum kvmm_irq_source. */
	u8 sources[KVMM_PIC_NUM_PINS];
	bool output;				/* the master's INT */
	bool cascade;				/* the slave's INT, last seen */
	struct pic_port ports[3];		/* 0x20, 0xa0, 0x4d0 */
};

/*
 * What an operation leaves for after the lock: pins (0-15) whose EOI the
 * ack notifiers must hear, and edge requests ICW1 threw away.
 */
struct pic_defer {
	u16 acks;
	u16 dropped;
};

static u8 bit8(int n)
{
	return 1u << n;
}

/* The levels of one chip's input lines as their sources drive them. */
static u8 pic_lines(const struct kvmm_pic *pic, int c)
{
	u8 lines = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (pic->sources[c * 8 + i])
			lines |= bit8(i);
	return lines;
}

/*
 * Priority rank (0 highest .. 7 lowest) of the best level in @mask, 8
 * when @mask is empty.  IR(priority_add) ranks 0, then upwards mod 8.
 */
static int pic_rank(const struct kvm_pic_state *c, u8 mask)
{
	int rank;

	for (rank = 0; rank < 8; rank++)
		if (mask & bit8((rank + c->priority_add) & 7))
			return rank;
	return 8;
}

static int pic_level(const struct kvm_pic_state *c, int rank)
{
	return (rank + c->priority_add) & 7;
}

/*
 * The in-service levels that hold back requests of equal or lower
 * priority.  In special mask mode a masked level does not ("when a mask
 * bit is set in OCW1, it inhibits further interrupts at that level and
 * enables interrupts from all other levels (lower as well as higher)
 * that are not masked").
 */
static u8 pic_blocking_isr(const struct kvm_pic_state *c)
{
	return c->special_mask ? c->isr & ~c->imr : c->isr;
}

/*
 * The level the chip would interrupt for now, or -1.  In special fully
 * nested mode the master's cascade input is not locked out by its own IS
 * bit: the slave has already ranked its new request above the one in
 * service, and the master lets it through; the master's other, lower
 * inputs still wait (the datasheet's SFNM; KVM lets those through too).
 */
static int pic_best(const struct kvm_pic_state *c, bool master)
{
	int req = pic_rank(c, c->irr & ~c->imr);
	int cur = pic_rank(c, pic_blocking_isr(c));

	if (req == 8)
		return -1;
	if (req < cur)
		return pic_level(c, req);
	if (master && c->special_fully_nested_mode && req == cur &&
	    pic_level(c, req) == PIC_CASCADE_IR)
		return PIC_CASCADE_IR;
	return -1;
}

/*
 * Input @ir of a chip is now at @line.  Returns as KVM_IRQ_LINE_STATUS:
 * -1 if the level is masked, 0 if a request was already latched
 * (coalesced), 1 otherwise.
 */
static int pic_set_line(struct kvm_pic_state *c, int ir, bool line)
{
	u8 m = bit8(ir);
	int ret = 1;

	if (c->elcr & m) {
		if (line) {
			ret = !(c->irr & m);
			c->irr |= m;
			c->last_irr |= m;
		} else {
			c->irr &= ~m;
			c->last_irr &= ~m;
		}
	} else if (line) {
		if (!(c->last_irr & m)) {
			ret = !(c->irr & m);
			c->irr |= m;
		}
		c->last_irr |= m;
	} else {
		c->last_irr &= ~m;
	}
	return (c->imr & m) ? -1 : ret;
}

/* The ISR bit of @ir goes: an EOI the ack notifiers hear. */
static void pic_clear_isr(struct kvm_pic_state *c, int chip, int ir,
			  struct pic_defer *d)
{
	if (c->isr & bit8(ir))
		d->acks |= 1u << (chip * 8 + ir);
	c->isr &= ~bit8(ir);
}

/*
 * The INTA cycle on one chip for level @ir (also a poll read): it goes
 * in service; an edge request is consumed, a level one stays while the
 * line is high.  In automatic EOI mode it leaves service at once, and
 * with rotation becomes the lowest priority.
 */
static void pic_ack(struct kvmm_pic *pic, int chip, int ir,
		    struct pic_defer *d)
{
	struct kvm_pic_state *c = &pic->chip[chip];

	/* The slave's INT falls for the cycle: see the top of the file. */
	if (chip == PIC_SLAVE)
		pic->cascade = false;
	c->isr |= bit8(ir);
	if (!(c->elcr & bit8(ir)))
		c->irr &= ~bit8(ir);
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (ir + 1) & 7;
		pic_clear_isr(c, chip, ir, d);
	}
}

/*
 * Recompute the cascade and the master's INT.  True when INT rose: the
 * vCPU that takes ExtINT must look again.
 */
static bool pic_update(struct kvmm_pic *pic)
{
	bool was = pic->output, slave_int;

	slave_int = pic_best(&pic->chip[PIC_SLAVE], false) >= 0;
	if (slave_int && !pic->cascade)
		pic->chip[PIC_MASTER].irr |= bit8(PIC_CASCADE_IR);
	pic->cascade = slave_int;
	WRITE_ONCE(pic->output, pic_best(&pic->chip[PIC_MASTER], true) >= 0);
	return pic->output && !was;
}

/* Does any vCPU take the PIC's interrupts (LVT0 ExtINT, LAPIC off)? */
static bool pic_has_taker(struct kvmm_vm *vm)
{
	struct kvmm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (kvmm_lapic_accepts_pic(vcpu))
			return true;
	return false;
}

static void pic_lock(struct kvmm_pic *pic)
	__acquires(&pic->lock)
{
	spin_lock(&pic->lock);
}

/*
 * End an operation begun with pic_lock(): tell the ack notifiers, with
 * the lock dropped, then update the output and kick if it rose.
 */
static void pic_unlock(struct kvmm_pic *pic, struct pic_defer *d)
	__releases(&pic->lock)
{
	bool kick;
	int pin;

	if (d->acks || d->dropped) {
		spin_unlock(&pic->lock);
		/*
		 * Edge requests ICW1 discarded were never acknowledged: the
		 * PIT's reinjection would wait for them forever.  KVM tells
		 * the notifiers only while some vCPU takes the PIC's
		 * interrupts, so that a PIC the guest does not use cannot
		 * acknowledge a GSI the IOAPIC delivers.
		 */
		if (d->dropped && pic_has_taker(pic->vm))
			d->acks |= d->dropped;
		for (pin = 0; pin < KVMM_PIC_NUM_PINS; pin++)
			if (d->acks & (1u << pin))
				kvmm_irqchip_ack_notify(pic->vm,
					pin < 8 ? KVM_IRQCHIP_PIC_MASTER :
						  KVM_IRQCHIP_PIC_SLAVE,
					pin & 7);
		spin_lock(&pic->lock);
	}
	kick = pic_update(pic);
	spin_unlock(&pic->lock);
	if (kick)
		kvmm_irqchip_pic_kick(pic->vm);
}

/*
 * ICW1: the initialization sequence starts (datasheet, "Initialization
 * Command Words"): the edge sense circuit is reset, so an IR input must
 * make a new low-to-high transition to interrupt (pending edge requests
 * are gone, a line that is high now must fall first); the IMR is
 * cleared; IR7 gets the lowest priority; special mask mode is cleared
 * and a status read gives the IRR; without IC4 every ICW4 function is
 * zero.  The ISR is not among the things it resets.
 */
static void pic_icw1(struct kvmm_pic *pic, int chip, u8 val,
		     struct pic_defer *d)
{
	struct kvm_pic_state *c = &pic->chip[chip];

	d->dropped |= (c->irr & ~c->elcr) << (chip * 8);
	c->init4 = val & PIC_ICW1_IC4;
	c->last_irr = pic_lines(pic, chip);
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;
}

/* The in-service level a non-specific EOI ends: the highest one. */
static int pic_eoi_level(const struct kvm_pic_state *c)
{
	u8 isr = c->isr;
	int rank;

	/*
	 * In special mask mode an IS bit masked in the IMR is left alone
	 * by a non-specific EOI (the datasheet's "End of Interrupt"): it
	 * is not part of the nesting any more.
	 */
	if (c->special_mask)
		isr &= ~c->imr;
	rank = pic_rank(c, isr);
	return rank == 8 ? -1 : pic_level(c, rank);
}

static void pic_ocw2(struct kvm_pic_state *c, int chip, u8 val,
		     struct pic_defer *d)
{
	int ir = val & 7;

	switch (val >> 5) {
	case OCW2_AEOI_ROTATE_CLEAR:
	case OCW2_AEOI_ROTATE_SET:
		c->rotate_on_auto_eoi = (val >> 5) == OCW2_AEOI_ROTATE_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		ir = pic_eoi_level(c);
		if (ir < 0)
			break;
		if ((val >> 5) == OCW2_ROTATE_EOI)
			c->priority_add = (ir + 1) & 7;
		pic_clear_isr(c, chip, ir, d);
		break;
	case OCW2_SPECIFIC_EOI:
		pic_clear_isr(c, chip, ir, d);
		break;
	case OCW2_SET_PRIORITY:
		/* IR(L) becomes the lowest priority. */
		c->priority_add = (ir + 1) & 7;
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->priority_add = (ir + 1) & 7;
		pic_clear_isr(c, chip, ir, d);
		break;
	case OCW2_NOP:
		break;
	}
}

static void pic_ocw3(struct kvm_pic_state *c, u8 val)
{
	if (val & PIC_OCW3_P)
		c->poll = 1;
	if (val & PIC_OCW3_RR)
		c->read_reg_select = val & PIC_OCW3_RIS;
	if (val & PIC_OCW3_ESMM)
		c->special_mask = !!(val & PIC_OCW3_SMM);
}

/* A0 = 1: OCW1 once initialized, else the next ICW of the sequence. */
static void pic_write_data(struct kvm_pic_state *c, u8 val)
{
	switch (c->init_state) {
	case 0:
		c->imr = val;
		break;
	case 1:
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:
		/* ICW3: the slave is always on IR2 (not modelled). */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:
		c->special_fully_nested_mode = !!(val & PIC_ICW4_SFNM);
		c->auto_eoi = !!(val & PIC_ICW4_AEOI);
		c->init_state = 0;
		break;
	default:
		/* Only KVM_SET_IRQCHIP can put anything else here. */
		break;
	}
}

static void pic_write(struct kvmm_pic *pic, int chip, bool a0, u8 val,
		      struct pic_defer *d)
{
	struct kvm_pic_state *c = &pic->chip[chip];

	if (a0)
		pic_write_data(c, val);
	else if (val & PIC_ICW1)
		pic_icw1(pic, chip, val, d);
	else if (val & PIC_OCW3)
		pic_ocw3(c, val);
	else
		pic_ocw2(c, chip, val, d);
}

/*
 * A poll command makes the next read an INTA of this chip alone: it
 * sets the ISR bit of the best request and returns the poll word, I (bit
 * 7) with the level in W2-W0, or 0 when nothing is requesting.
 */
static u8 pic_poll(struct kvmm_pic *pic, int chip, struct pic_defer *d)
{
	struct kvm_pic_state *c = &pic->chip[chip];
	int ir = pic_best(c, chip == PIC_MASTER);

	c->poll = 0;
	if (ir < 0)
		return 0;
	pic_ack(pic, chip, ir, d);
	return PIC_POLL_INT | ir;
}

static u8 pic_read(struct kvmm_pic *pic, int chip, bool a0,
		   struct pic_defer *d)
{
	struct kvm_pic_state *c = &pic->chip[chip];

	if (c->poll)
		return pic_poll(pic, chip, d);
	if (a0)
		return c->imr;
	return c->read_reg_select ? c->isr : c->irr;
}

/*
 * ELCR: a level pin's request follows its line from now on; an edge
 * pin keeps what it latched.
 */
static void pic_write_elcr(struct kvmm_pic *pic, int chip, u8 val)
{
	struct kvm_pic_state *c = &pic->chip[chip];
	u8 lines = pic_lines(pic, chip);

	c->elcr = val & c->elcr_mask;
	c->irr = (c->irr & ~c->elcr) | (lines & c->elcr);
}

static int pic_io(struct kvmm_io_device *dev, u64 addr, u32 len, u8 *val,
		  bool write)
{
	struct kvmm_pic *pic = container_of(dev, struct pic_port, dev)->pic;
	struct pic_defer d = {};
	bool elcr;
	int chip;

	switch (addr) {
	case 0x20: case 0x21:
		chip = PIC_MASTER;
		elcr = false;
		break;
	case 0xa0: case 0xa1:
		chip = PIC_SLAVE;
		elcr = false;
		break;
	case 0x4d0: case 0x4d1:
		chip = addr & 1;
		elcr = true;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (len != 1) {
		if (!write)
			memset(val, 0, len);
		return 0;
	}

	pic_lock(pic);
	if (elcr && write)
		pic_write_elcr(pic, chip, *val);
	else if (elcr)
		*val = pic->chip[chip].elcr;
	else if (write)
		pic_write(pic, chip, addr & 1, *val, &d);
	else
		*val = pic_read(pic, chip, addr & 1, &d);
	pic_unlock(pic, &d);
	return 0;
}

static int pic_io_read(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
		       u64 addr, u32 len, void *val)
{
	return pic_io(dev, addr, len, val, false);
}

static int pic_io_write(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			u64 addr, u32 len, const void *val)
{
	u8 v[8];

	if (len > sizeof(v))
		return 0;
	memcpy(v, val, len);
	return pic_io(dev, addr, len, v, true);
}

static const struct kvmm_io_device_ops pic_io_ops = {
	.read = pic_io_read,
	.write = pic_io_write,
};

static const u16 pic_port_base[3] = { 0x20, 0xa0, 0x4d0 };

/*
 * Level @level of pin @pin (0-7 master, 8-15 slave) for @src.  Returns
 * as KVM_IRQ_LINE_STATUS for a PIC route: -1 masked, 0 coalesced, 1
 * delivered; -1 too for a pin or source that does not exist.
 */
int kvmm_pic_set_irq(struct kvmm_pic *pic, enum kvmm_irq_source src,
		     u32 pin, bool level)
{
	struct pic_defer d = {};
	int ret;

	if (pin >= KVMM_PIC_NUM_PINS || (unsigned int)src >= KVMM_NR_IRQ_SOURCES)
		return -1;
	pic_lock(pic);
	if (level)
		pic->sources[pin] |= bit8(src);
	else
		pic->sources[pin] &= ~bit8(src);
	ret = pic_set_line(&pic->chip[pin / 8], pin & 7, pic->sources[pin]);
	pic_unlock(pic, &d);
	return ret;
}

/* The master's INT; read without the lock, as a hint for events.c. */
bool kvmm_pic_output(struct kvmm_pic *pic)
{
	return READ_ONCE(pic->output);
}

/*
 * The INTA cycle (datasheet, "Interrupt Sequence"): the master's best
 * request goes in service; if it is the cascade input, the slave's best
 * request does too and the slave supplies the vector.  With nothing
 * requesting, a chip answers with its IR7 vector and sets no ISR bit
 * (the spurious IRQ7, or IRQ15 through the cascade).  INT is taken low
 * for the cycle, so a request still pending afterwards raises it again
 * and kicks the vCPU that takes it (as KVM's kvm_pic_read_irq()).
 */
int kvmm_pic_intack(struct kvmm_pic *pic)
{
	struct kvm_pic_state *m = &pic->chip[PIC_MASTER];
	struct kvm_pic_state *s = &pic->chip[PIC_SLAVE];
	struct pic_defer d = {};
	int ir, vector;

	pic_lock(pic);
	WRITE_ONCE(pic->output, false);
	ir = pic_best(m, true);
	if (ir < 0) {
		vector = m->irq_base + 7;
	} else {
		pic_ack(pic, PIC_MASTER, ir, &d);
		if (ir == PIC_CASCADE_IR) {
			ir = pic_best(s, false);
			if (ir >= 0)
				pic_ack(pic, PIC_SLAVE, ir, &d);
			else
				ir = 7;
			vector = s->irq_base + ir;
		} else {
			vector = m->irq_base + ir;
		}
	}
	pic_unlock(pic, &d);
	return vector & 0xff;
}

/* KVM_GET_IRQCHIP of KVM_IRQCHIP_PIC_MASTER or _SLAVE. */
int kvmm_pic_get(struct kvmm_pic *pic, bool slave, struct kvm_pic_state *s)
{
	spin_lock(&pic->lock);
	*s = pic->chip[slave];
	spin_unlock(&pic->lock);
	return 0;
}

/*
 * KVM_SET_IRQCHIP: the registers as given, every field as KVM takes it
 * (no check: none of them can make the model misbehave); the lines'
 * sources stay as they are.  The output follows the new state.
 */
int kvmm_pic_set(struct kvmm_pic *pic, bool slave,
		 const struct kvm_pic_state *s)
{
	struct pic_defer d = {};

	pic_lock(pic);
	pic->chip[slave] = *s;
	pic->cascade = false;
	pic_unlock(pic, &d);
	return 0;
}

struct kvmm_pic *kvmm_pic_create(struct kvmm_vm *vm)
{
	struct kvmm_pic *pic;
	int i, j, r = 0;

	pic = kvmm_zalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return NULL;
	spin_lock_init(&pic->lock);
	pic->vm = vm;
	pic->chip[PIC_MASTER].elcr_mask = PIC_ELCR_MASK_MASTER;
	pic->chip[PIC_SLAVE].elcr_mask = PIC_ELCR_MASK_SLAVE;

	mutex_lock(&vm->io.lock);
	for (i = 0; i < 3 && !r; i++) {
		pic->ports[i].dev.ops = &pic_io_ops;
		pic->ports[i].pic = pic;
		r = kvmm_io_bus_register(vm, KVMM_PIO_BUS, pic_port_base[i], 2,
					 &pic->ports[i].dev);
	}
	if (r)
		for (j = 0; j < i - 1; j++)
			kvmm_io_bus_unregister(vm, KVMM_PIO_BUS,
					       &pic->ports[j].dev);
	mutex_unlock(&vm->io.lock);
	if (r) {
		kvmm_free(pic);
		return NULL;
	}
	return pic;
}

/*
 * Process context, the PIC unused by anyone else.  At VM destruction the
 * buses are already gone and unregistering finds nothing to do.
 */
void kvmm_pic_free(struct kvmm_pic *pic)
{
	struct kvmm_vm *vm;
	int i;

	if (!pic)
		return;
	vm = pic->vm;
	mutex_lock(&vm->io.lock);
	for (i = 0; i < 3; i++)
		kvmm_io_bus_unregister(vm, KVMM_PIO_BUS, &pic->ports[i].dev);
	mutex_unlock(&vm->io.lock);
	kvmm_free(pic);
}
