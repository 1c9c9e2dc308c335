// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (KVM_CREATE_PIT2, api.rst 4.71-4.73, 4.99): ports
 * 0x40-0x43 and, with KVM_PIT_SPEAKER_DUMMY, the speaker port 0x61 on the
 * VM's PIO bus; counter 0 raises GSI 0 on an hrtimer.  The counters
 * themselves are pit_counter.c; this file is the device around them.
 *
 * As Linux 6.1's KVM: the PIT may be created without an irqchip (the
 * ports are then the kernel's, but counter 0 raises no interrupt), and
 * counter 0 runs its timer only while the VM has an in-kernel IOAPIC (not
 * a split irqchip) and KVM_PIT_FLAGS_HPET_LEGACY is clear.  KVM_SET_PIT(2)
 * restarts every counter at the time of the call (count_load_time is not
 * taken from userspace), and flags are kept as given.
 *
 * Interrupts: the hrtimer fires at counter 0's OUT rising edges and counts
 * them; a work item pulses GSI 0 through kvmm_set_irq().  In reinject mode
 * (KVM's default) a tick is pulsed only once the previous one was
 * acknowledged (the ack notifier on GSI 0), so a guest that fell behind
 * gets every tick, late; in discard mode each expiry pulses the line once
 * and ticks the guest missed are lost.  A pulse no irqchip pin takes
 * (masked, or no irqchip) drops the backlog, as KVM's mask notifier does
 * on unmask.
 *
 * Locking (Documentation/irqchip.rst, "PIT"):
 *   pit->lock (mutex)   the counters and flags: port accesses (vCPU
 *                       threads, under the VM's SRCU), the state ioctls;
 *                       the timer is cancelled and re-armed under it.
 *   pit->irq_lock (raw) reinject, pending, in_service: taken by the
 *                       hrtimer callback (hard irq), the inject work and
 *                       the ack notifier (any context); nothing nests in
 *                       it.
 *   timer_edge/period belong to the callback while the timer is
 *   armed and to pit->lock holders while it is cancelled.
 *   kvmm_set_irq() is called from the work item only, with no lock held.
 */
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/irq.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#include "irqchip.h"
#include "pit_counter.h"

#define PIT_PORT_BASE		0x40
#define PIT_SPEAKER_PORT	0x61

/*
 * Shortest period counter 0's timer fires at: 200 us, KVM's default
 * min_timer_period_us.  A guest may program a 1-tick rate generator; the
 * host's hrtimers are not throttled by its scheduler.
 */
#define PIT_MIN_PERIOD_TICKS	((u64)PIT_HZ * 200 / USEC_PER_SEC)

struct kvmm_pit {
	struct kvmm_vm *vm;
	struct kvmm_io_device dev;	/* 0x40-0x43 */
	struct kvmm_io_device speaker;	/* 0x61 */

	struct mutex lock;
	struct pit_counter ch[3];
	u32 flags;			/* KVM_PIT_FLAGS_* as last set */

	struct hrtimer timer;
	u64 timer_edge;			/* next expiry, an input-clock tick */
	u64 timer_period;		/* ticks, 0: one-shot */

	raw_spinlock_t irq_lock;
	bool reinject;
	bool in_service;		/* a pulsed tick awaits its ack */
	u32 pending;			/* ticks not pulsed yet */
	struct work_struct inject;
	struct kvmm_irq_ack_notifier ack;
};

static s64 pit_now(void)
{
	return ktime_get_ns();
}

/* Readers without vm->lock: the PIT is published once, freed with the VM. */
static struct kvmm_pit *pit_of(struct kvmm_vm *vm)
{
	return smp_load_acquire(&vm->arch.pit);
}

/* KVM's ioapic_in_kernel(): a full in-kernel irqchip, not a split one. */
static bool pit_irqs_enabled(struct kvmm_pit *pit)
{
	struct kvmm_irqchip *chip = READ_ONCE(pit->vm->arch.irqchip);

	return chip && !chip->split &&
	       !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY);
}

static void pit_clear_backlog(struct kvmm_pit *pit)
{
	raw_spin_lock_irq(&pit->irq_lock);
	pit->pending = 0;
	pit->in_service = false;
	raw_spin_unlock_irq(&pit->irq_lock);
}

/*
 * Counter 0's timing changed: re-arm its timer on the next OUT rising
 * edge.  Ticks owed for the old programming are dropped (as KVM).
 */
static void pit_rearm(struct kvmm_pit *pit, s64 now)
{
	struct pit_counter *c = &pit->ch[0];
	u64 edge, period;

	lockdep_assert_held(&pit->lock);
	hrtimer_cancel(&pit->timer);
	pit_clear_backlog(pit);
	if (!pit_irqs_enabled(pit) ||
	    !pit_counter_next_edge(c, now, &edge, &period))
		return;
	pit->timer_edge = edge;
	pit->timer_period = period ? max(period, PIT_MIN_PERIOD_TICKS) : 0;
	hrtimer_start(&pit->timer, ns_to_ktime(pit_ticks_to_ns(edge)),
		      HRTIMER_MODE_ABS);
}

/* Hard irq context: count the edges that passed, hand them to the work. */
static enum hrtimer_restart pit_timer_fn(struct hrtimer *timer)
{
	struct kvmm_pit *pit = container_of(timer, struct kvmm_pit, timer);
	u64 fired = 1, ticks;

	if (pit->timer_period) {
		/* Several edges when the host ran late (catch-up). */
		ticks = pit_ns_to_ticks(pit_now());
		if (ticks >= pit->timer_edge)
			fired = (ticks - pit->timer_edge) /
				pit->timer_period + 1;
		pit->timer_edge += fired * pit->timer_period;
	}

	raw_spin_lock(&pit->irq_lock);
	if (!pit->reinject)
		pit->pending = 1;
	else
		pit->pending += min_t(u64, fired, U32_MAX - pit->pending);
	raw_spin_unlock(&pit->irq_lock);
	queue_work(system_highpri_wq, &pit->inject);

	if (!pit->timer_period)
		return HRTIMER_NORESTART;
	hrtimer_set_expires(timer,
			    ns_to_ktime(pit_ticks_to_ns(pit->timer_edge)));
	return HRTIMER_RESTART;
}

/* Pulse GSI 0 for one tick (IRQ0 is edge-triggered). */
static void pit_inject(struct work_struct *work)
{
	struct kvmm_pit *pit = container_of(work, struct kvmm_pit, inject);
	int r;

	raw_spin_lock_irq(&pit->irq_lock);
	if (!pit->pending || (pit->reinject && pit->in_service)) {
		raw_spin_unlock_irq(&pit->irq_lock);
		return;
	}
	pit->pending = pit->reinject ? pit->pending - 1 : 0;
	pit->in_service = pit->reinject;
	raw_spin_unlock_irq(&pit->irq_lock);

	r = kvmm_set_irq(pit->vm, KVMM_IRQ_SOURCE_PIT, 0, 1, true);
	kvmm_set_irq(pit->vm, KVMM_IRQ_SOURCE_PIT, 0, 0, false);
	/* Nobody took it, so no ack will come: do not wait for one. */
	if (r < 0)
		pit_clear_backlog(pit);
}

/* The guest acknowledged IRQ0 (PIC or IOAPIC EOI): send the next tick. */
static void pit_acked(struct kvmm_irq_ack_notifier *kian)
{
	struct kvmm_pit *pit = container_of(kian, struct kvmm_pit, ack);
	unsigned long flags;
	bool more;

	raw_spin_lock_irqsave(&pit->irq_lock, flags);
	pit->in_service = false;
	more = pit->reinject && pit->pending;
	raw_spin_unlock_irqrestore(&pit->irq_lock, flags);
	if (more)
		queue_work(system_highpri_wq, &pit->inject);
}

/*
 * Ports 0x40-0x43.  Only the low byte of a wider access counts (the 8254
 * has an 8-bit bus); a wider read returns zeros above it.
 */
static int pit_io_write(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
			u64 addr, u32 len, const void *val)
{
	struct kvmm_pit *pit = container_of(dev, struct kvmm_pit, dev);
	s64 now = pit_now();
	unsigned int changed;

	mutex_lock(&pit->lock);
	changed = pit_write(pit->ch, addr - PIT_PORT_BASE, *(const u8 *)val,
			    now);
	if (changed & 1)
		pit_rearm(pit, now);
	mutex_unlock(&pit->lock);
	return 0;
}

static int pit_io_read(struct kvmm_vcpu *vcpu, struct kvmm_io_device *dev,
		       u64 addr, u32 len, void *val)
{
	struct kvmm_pit *pit = container_of(dev, struct kvmm_pit, dev);
	u8 v;

	mutex_lock(&pit->lock);
	v = pit_read(pit->ch, addr - PIT_PORT_BASE, pit_now());
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

/*
 * Port 0x61 (system control port B): bit 0 is counter 2's GATE, bit 1
 * the speaker data enable (KVM_PIT_FLAGS_SPEAKER_DATA_ON); reads add
 * counter 2's OUT (bit 5) and the refresh toggle (bit 4, every ~15 us on
 * a PC; every 2^14 ns here, as KVM).  Other ports of the range pass on.
 */
static int pit_speaker_write(struct kvmm_vcpu *vcpu,
			     struct kvmm_io_device *dev, u64 addr, u32 len,
			     const void *val)
{
	struct kvmm_pit *pit = container_of(dev, struct kvmm_pit, speaker);
	u8 v = *(const u8 *)val;

	if (addr != PIT_SPEAKER_PORT)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	if (v & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	/* Counter 2 raises no interrupt: nothing to re-arm. */
	pit_counter_set_gate(&pit->ch[2], v & 1, pit_now());
	mutex_unlock(&pit->lock);
	return 0;
}

static int pit_speaker_read(struct kvmm_vcpu *vcpu,
			    struct kvmm_io_device *dev, u64 addr, u32 len,
			    void *val)
{
	struct kvmm_pit *pit = container_of(dev, struct kvmm_pit, speaker);
	s64 now = pit_now();
	u8 v;

	if (addr != PIT_SPEAKER_PORT)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	v = (pit->ch[2].gate ? 1 : 0) |
	    (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON ? 2 : 0) |
	    ((now >> 14) & 1) << 4 |
	    (pit_counter_out(&pit->ch[2], now) ? 1 : 0) << 5;
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static const struct kvmm_io_device_ops pit_io_ops = {
	.read = pit_io_read,
	.write = pit_io_write,
};

static const struct kvmm_io_device_ops pit_speaker_ops = {
	.read = pit_speaker_read,
	.write = pit_speaker_write,
};

/* Power-on state, as KVM's: no mode, count 0x10000, GATE high but on 2. */
static void pit_reset(struct kvmm_pit *pit)
{
	s64 now = pit_now();
	int i;

	pit->flags = 0;
	for (i = 0; i < 3; i++)
		pit_counter_reset(&pit->ch[i], i != 2, now);
}

static int pit_create(struct kvmm_vm *vm, u32 flags)
{
	struct kvmm_pit *pit;
	int r;

	lockdep_assert_held(&vm->lock);
	if (vm->arch.pit)
		return -EEXIST;
	pit = kvmm_zalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return -ENOMEM;
	pit->vm = vm;
	mutex_init(&pit->lock);
	raw_spin_lock_init(&pit->irq_lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	INIT_WORK(&pit->inject, pit_inject);
	pit->reinject = true;
	pit->ack.gsi = 0;
	pit->ack.acked = pit_acked;
	pit->dev.ops = &pit_io_ops;
	pit->speaker.ops = &pit_speaker_ops;
	pit_reset(pit);

	mutex_lock(&vm->io.lock);
	r = kvmm_io_bus_register(vm, KVMM_PIO_BUS, PIT_PORT_BASE, 4,
				 &pit->dev);
	if (r) {
		mutex_unlock(&vm->io.lock);
		kvmm_free(pit);
		/* KVM answers -ENOMEM whatever failed. */
		return -ENOMEM;
	}
	/* KVM's range for the speaker, though only 0x61 itself answers. */
	if (flags & KVM_PIT_SPEAKER_DUMMY)
		r = kvmm_io_bus_register(vm, KVMM_PIO_BUS, PIT_SPEAKER_PORT,
					 4, &pit->speaker);
	/*
	 * A PIT whose ports cannot be taken off the bus again (-ENOMEM
	 * there too) must outlive the bus: it stays, and the VM frees it.
	 */
	if (r && !kvmm_io_bus_unregister(vm, KVMM_PIO_BUS, &pit->dev)) {
		mutex_unlock(&vm->io.lock);
		kvmm_free(pit);
		return -ENOMEM;
	}
	mutex_unlock(&vm->io.lock);
	kvmm_register_irq_ack_notifier(vm, &pit->ack);
	smp_store_release(&vm->arch.pit, pit);
	return r ? -ENOMEM : 0;
}

/* Before the vCPUs go: no timer, no work, no ack notifier afterwards. */
void kvmm_pit_stop(struct kvmm_vm *vm)
{
	struct kvmm_pit *pit = vm->arch.pit;

	if (!pit)
		return;
	kvmm_unregister_irq_ack_notifier(vm, &pit->ack);
	hrtimer_cancel(&pit->timer);
	cancel_work_sync(&pit->inject);
}

/* After the I/O buses are gone (kvmm_io_destroy() dropped our ranges). */
void kvmm_pit_free(struct kvmm_vm *vm)
{
	kvmm_free(vm->arch.pit);
	vm->arch.pit = NULL;
}

/* KVM_CREATE_PIT, the obsolete form: the speaker port always. */
long kvmm_x86_vm_create_pit(struct file *filp, unsigned long arg)
{
	return pit_create(filp->private_data, KVM_PIT_SPEAKER_DUMMY);
}

/* KVM_CREATE_PIT2: flags other than KVM_PIT_SPEAKER_DUMMY are ignored. */
long kvmm_x86_vm_create_pit2(struct file *filp, unsigned long arg)
{
	struct kvm_pit_config cfg;

	if (copy_from_user(&cfg, (void __user *)arg, sizeof(cfg)))
		return -EFAULT;
	return pit_create(filp->private_data, cfg.flags);
}

static void pit_get_channels(struct kvmm_pit *pit,
			     struct kvm_pit_channel_state *s)
{
	int i;

	for (i = 0; i < 3; i++) {
		const struct pit_counter *c = &pit->ch[i];

		s[i] = (struct kvm_pit_channel_state){
			.count = c->count,
			.latched_count = c->latched_count,
			.count_latched = c->count_latched,
			.status_latched = c->status_latched,
			.status = c->status,
			.read_state = c->read_state,
			.write_state = c->write_state,
			.write_latch = c->write_latch,
			.rw_mode = c->rw_mode,
			.mode = c->mode,
			.bcd = c->bcd,
			.gate = c->gate,
			.count_load_time = c->start_ns,
		};
	}
}

static void pit_set_channels(struct kvmm_pit *pit,
			     const struct kvm_pit_channel_state *s)
{
	s64 now = pit_now();
	int i;

	for (i = 0; i < 3; i++) {
		struct pit_counter *c = &pit->ch[i];

		c->count = s[i].count;
		c->latched_count = s[i].latched_count;
		c->count_latched = s[i].count_latched;
		c->status_latched = s[i].status_latched;
		c->status = s[i].status;
		c->read_state = s[i].read_state;
		c->write_state = s[i].write_state;
		c->write_latch = s[i].write_latch;
		c->rw_mode = s[i].rw_mode;
		c->mode = s[i].mode;
		c->bcd = s[i].bcd;
		c->gate = s[i].gate;
		pit_counter_set(c, now);
	}
	pit_rearm(pit, now);
}

/* KVM_GET_PIT (api.rst 4.64): 6.1 reads the argument in first. */
long kvmm_x86_vm_get_pit(struct file *filp, unsigned long arg)
{
	struct kvmm_pit *pit = pit_of(filp->private_data);
	struct kvm_pit_state ps;

	if (copy_from_user(&ps, (void __user *)arg, sizeof(ps)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit_get_channels(pit, ps.channels);
	mutex_unlock(&pit->lock);
	return copy_to_user((void __user *)arg, &ps, sizeof(ps)) ? -EFAULT : 0;
}

/* KVM_SET_PIT: the channels; flags stay. */
long kvmm_x86_vm_set_pit(struct file *filp, unsigned long arg)
{
	struct kvmm_pit *pit = pit_of(filp->private_data);
	struct kvm_pit_state ps;

	if (copy_from_user(&ps, (void __user *)arg, sizeof(ps)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit_set_channels(pit, ps.channels);
	mutex_unlock(&pit->lock);
	return 0;
}

/* KVM_GET_PIT2 (api.rst 4.72): reserved[] reads as zeros. */
long kvmm_x86_vm_get_pit2(struct file *filp, unsigned long arg)
{
	struct kvmm_pit *pit = pit_of(filp->private_data);
	struct kvm_pit_state2 ps = {};

	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit_get_channels(pit, ps.channels);
	ps.flags = pit->flags;
	mutex_unlock(&pit->lock);
	return copy_to_user((void __user *)arg, &ps, sizeof(ps)) ? -EFAULT : 0;
}

/* KVM_SET_PIT2 (api.rst 4.73): flags are not checked, only kept. */
long kvmm_x86_vm_set_pit2(struct file *filp, unsigned long arg)
{
	struct kvmm_pit *pit = pit_of(filp->private_data);
	struct kvm_pit_state2 ps;

	if (copy_from_user(&ps, (void __user *)arg, sizeof(ps)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	pit->flags = ps.flags;
	pit_set_channels(pit, ps.channels);
	mutex_unlock(&pit->lock);
	return 0;
}

/* KVM_REINJECT_CONTROL (api.rst 4.99): any non-zero pit_reinject is on. */
long kvmm_x86_vm_reinject_control(struct file *filp, unsigned long arg)
{
	struct kvmm_pit *pit = pit_of(filp->private_data);
	struct kvm_reinject_control ctl;

	if (copy_from_user(&ctl, (void __user *)arg, sizeof(ctl)))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	mutex_lock(&pit->lock);
	raw_spin_lock_irq(&pit->irq_lock);
	/* Turning it on starts from a clean slate, as KVM. */
	if (ctl.pit_reinject && !pit->reinject) {
		pit->pending = 0;
		pit->in_service = false;
	}
	pit->reinject = !!ctl.pit_reinject;
	raw_spin_unlock_irq(&pit->irq_lock);
	mutex_unlock(&pit->lock);
	return 0;
}
