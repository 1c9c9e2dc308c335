// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC timer (SDM 3A 11.5.4): one-shot and periodic count-down
 * from TMICT at the APIC bus clock over TDCR's divider, and TSC-deadline
 * mode against IA32_TSC_DEADLINE.  Each LAPIC has one hrtimer
 * (CLOCK_MONOTONIC, hard-irq expiry) armed for the next interrupt.
 *
 * Time base, as KVM: the bus clock runs at 1 GHz, so one count is
 * @divide nanoseconds, and a count-down is kept as a period in ns and
 * the absolute time it ends (target); TMCCT is computed from them when
 * read.  The guest's TSC runs at the host's tsc_khz (kvmm offers no TSC
 * scaling), offset per vCPU (kvmm_x86_guest_tsc(), arch/x86/tsc.c).
 *
 * Expiry (the hrtimer callback, hard-irq context) raises the LVTT
 * vector through kvmm_lapic_accept_fixed() (atomic IRR/TMR bits,
 * KVMM_REQ_EVENT, kick: nothing that sleeps or locks), then re-arms a
 * periodic timer.  A vCPU that is halted wakes from the kick.  Every
 * other function here runs on the vCPU thread and stops the hrtimer
 * (hrtimer_cancel() waits for a running callback) before it changes
 * what the callback reads: lapic.h has the rule.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include <kvmm/backend.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#include "lapic.h"

/*
 * The shortest periodic interval taken (KVM's min_timer_period_us
 * default): a periodic hrtimer is not throttled by the scheduler, so a
 * guest must not make the host take an interrupt every few ns.
 */
#define LAPIC_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

static struct kvmm_lapic *timer_lapic(struct hrtimer *hrt)
{
	return container_of(hrt, struct kvmm_lapic, timer.hrt);
}

/* The LVTT interrupt; a masked LVTT counts down all the same. */
static void lapic_timer_fire(struct kvmm_lapic *apic)
{
	u32 lvtt = lapic_reg(apic->regs, APIC_LVTT);

	if (kvmm_lapic_hw_enabled(apic) && !(lvtt & APIC_LVT_MASKED))
		kvmm_lapic_accept_fixed(apic, lvtt & APIC_VECTOR_MASK, false);
}

static enum hrtimer_restart lapic_timer_expired(struct hrtimer *hrt)
{
	struct kvmm_lapic *apic = timer_lapic(hrt);
	struct kvmm_lapic_timer *t = &apic->timer;
	ktime_t next, now;

	lapic_timer_fire(apic);
	switch (READ_ONCE(t->mode)) {
	case APIC_LVT_TIMER_TSCDEADLINE:
		/* It disarms itself and clears the MSR (11.5.4.1). */
		WRITE_ONCE(t->tsc_deadline, 0);
		return HRTIMER_NORESTART;
	case APIC_LVT_TIMER_PERIODIC:
		if (!t->period)
			return HRTIMER_NORESTART;
		/*
		 * Reload and count again.  After a long stall (the host
		 * stopped the VM) start over from now rather than firing
		 * a burst for the periods missed: IRR holds one anyway.
		 */
		now = ktime_get();
		next = ktime_add_ns(t->target, t->period);
		if (ktime_before(next, now))
			next = now;
		WRITE_ONCE(t->target, next);
		hrtimer_set_expires(hrt, next);
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

void kvmm_lapic_timer_init(struct kvmm_lapic *apic)
{
	hrtimer_init(&apic->timer.hrt, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.hrt.function = lapic_timer_expired;
	apic->timer.divide = 2;
}

void kvmm_lapic_timer_cancel(struct kvmm_lapic *apic)
{
	hrtimer_cancel(&apic->timer.hrt);
}

/*
 * LVTT's mode bits (the write masked them to what the guest's CPUID
 * allows).  Entering or leaving TSC-deadline mode stops the timer and
 * zeroes TMICT and the deadline (11.5.4.1); one-shot <-> periodic keeps
 * the count-down, which follows the new mode at its end.
 */
void kvmm_lapic_timer_lvtt(struct kvmm_lapic *apic)
{
	struct kvmm_lapic_timer *t = &apic->timer;
	u32 mode = lapic_reg(apic->regs, APIC_LVTT) & (3u << 17);

	if (mode == t->mode)
		return;
	if ((mode == APIC_LVT_TIMER_TSCDEADLINE) !=
	    (t->mode == APIC_LVT_TIMER_TSCDEADLINE)) {
		hrtimer_cancel(&t->hrt);
		lapic_set_reg(apic->regs, APIC_TMICT, 0);
		t->period = 0;
		t->tsc_deadline = 0;
	}
	WRITE_ONCE(t->mode, mode);
	if (mode == APIC_LVT_TIMER_PERIODIC && t->period &&
	    t->period < LAPIC_MIN_PERIOD_NS)
		t->period = LAPIC_MIN_PERIOD_NS;
}

/*
 * Count down from @count (TMICT, or what TMCCT said at KVM_GET_LAPIC),
 * reloading from TMICT in periodic mode.  TMICT 0 stops the timer.
 */
void kvmm_lapic_timer_start(struct kvmm_lapic *apic, u32 count)
{
	struct kvmm_lapic_timer *t = &apic->timer;
	u32 tmict = lapic_reg(apic->regs, APIC_TMICT);
	ktime_t now = ktime_get();
	u64 first;

	hrtimer_cancel(&t->hrt);
	t->period = (u64)tmict * t->divide;
	if (!t->period) {
		t->target = now;
		return;
	}
	if (t->mode == APIC_LVT_TIMER_PERIODIC &&
	    t->period < LAPIC_MIN_PERIOD_NS)
		t->period = LAPIC_MIN_PERIOD_NS;
	count = min(count, tmict);
	first = (u64)count * t->divide;
	if (!first) {
		/* Restored after it ran out: periodic reloads, one-shot is done. */
		if (t->mode != APIC_LVT_TIMER_PERIODIC) {
			t->target = now;
			return;
		}
		first = t->period;
	}
	t->target = ktime_add_ns(now, first);
	hrtimer_start(&t->hrt, t->target, HRTIMER_MODE_ABS_HARD);
}

/*
 * TDCR written.  A count-down in progress goes on at the new rate: the
 * counts left stay, their length changes.
 */
void kvmm_lapic_timer_tdcr(struct kvmm_lapic *apic)
{
	struct kvmm_lapic_timer *t = &apic->timer;
	u32 old = t->divide;
	ktime_t now;
	s64 left;

	t->divide = lapic_divide_count(lapic_reg(apic->regs, APIC_TDCR));
	if (t->divide == old || !t->period ||
	    t->mode == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&t->hrt);
	now = ktime_get();
	left = ktime_to_ns(ktime_sub(t->target, now));
	t->period = (u64)lapic_reg(apic->regs, APIC_TMICT) * t->divide;
	if (t->mode == APIC_LVT_TIMER_PERIODIC &&
	    t->period < LAPIC_MIN_PERIOD_NS)
		t->period = LAPIC_MIN_PERIOD_NS;
	if (left <= 0) {
		/* A one-shot that already ran out stays out. */
		if (t->mode != APIC_LVT_TIMER_PERIODIC)
			return;
		left = 0;
	}
	left = div_u64((u64)left * t->divide, old);
	t->target = ktime_add_ns(now, left);
	hrtimer_start(&t->hrt, t->target, HRTIMER_MODE_ABS_HARD);
}

/* TMCCT: 0 in TSC-deadline mode, when stopped, or after a one-shot ended. */
u32 kvmm_lapic_timer_current(struct kvmm_lapic *apic)
{
	struct kvmm_lapic_timer *t = &apic->timer;
	s64 left;
	u64 rem;

	if (t->mode == APIC_LVT_TIMER_TSCDEADLINE || !t->period ||
	    !lapic_reg(apic->regs, APIC_TMICT))
		return 0;
	left = ktime_to_ns(ktime_sub(READ_ONCE(t->target), ktime_get()));
	if (left <= 0) {
		if (t->mode != APIC_LVT_TIMER_PERIODIC)
			return 0;
		/*
		 * The callback that reloads it is late (the host is busy):
		 * the count is where it would be, not stuck at 0.
		 */
		div64_u64_rem(-left, t->period, &rem);
		left = t->period - rem;
	}
	if (left > t->period)
		left = t->period;
	return div_u64(left, t->divide);
}

u64 kvmm_lapic_tsc_deadline(struct kvmm_lapic *apic)
{
	if (apic->timer.mode != APIC_LVT_TIMER_TSCDEADLINE)
		return 0;
	return READ_ONCE(apic->timer.tsc_deadline);
}

/*
 * Arm for guest TSC @deadline; 0 disarms, a deadline already passed
 * fires now.  Only in TSC-deadline mode (else the write is dropped).
 */
void kvmm_lapic_set_tsc_deadline(struct kvmm_lapic *apic, u64 deadline)
{
	struct kvmm_lapic_timer *t = &apic->timer;
	u64 guest_tsc, ns;
	ktime_t now;

	if (t->mode != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&t->hrt);
	t->tsc_deadline = deadline;
	if (!deadline)
		return;
	if (!tsc_khz)
		return;
	now = ktime_get();
	guest_tsc = kvmm_x86_guest_tsc(apic->vcpu, rdtsc());
	if (deadline <= guest_tsc) {
		lapic_timer_fire(apic);
		t->tsc_deadline = 0;
		return;
	}
	/* Far deadlines: clamp to a year rather than overflow ktime. */
	ns = mul_u64_u32_div(deadline - guest_tsc, USEC_PER_SEC, tsc_khz);
	ns = min_t(u64, ns, 365ULL * 24 * 3600 * NSEC_PER_SEC);
	hrtimer_start(&t->hrt, ktime_add_ns(now, ns), HRTIMER_MODE_ABS_HARD);
}
