// SPDX-License-Identifier: GPL-2.0
/*
 * 8254 counters as functions of time (pit_counter.h).  Section names are
 * those of the Intel 8254 datasheet.
 *
 * A counting counter is described by its period N (the initial count,
 * decoded from BCD when BCD is set) and d, the input-clock ticks counted
 * since start_ns (frozen at paused_ticks while GATE holds it).  From those:
 *
 *   mode 0  interrupt on terminal count: counts N, N-1, ..., 0, wraps on;
 *           OUT low until the count reaches 0, then high
 *   mode 1  hardware retriggerable one-shot: as mode 0 from a GATE rising
 *           edge, OUT high before it
 *   mode 2  rate generator: N, ..., 1, reload; OUT low while the count is 1
 *   mode 3  square wave: counts down by 2; OUT high for (N+1)/2 ticks and
 *           low for N/2 ("Mode 3", odd counts load N-1)
 *   mode 4  software triggered strobe: as mode 0, OUT low for the one tick
 *           at which the count reaches 0
 *   mode 5  hardware triggered strobe: mode 4 from a GATE rising edge
 */
#include "pit_counter.h"

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* Decode/encode up to 8 BCD digits; A-F digits weigh 10-15 (undefined). */
static u32 pit_bcd_decode(u32 v)
{
	u32 r = 0, w = 1;

	for (; v; v >>= 4, w *= 10)
		r += (v & 0xf) * w;
	return r;
}

static u16 pit_bcd_encode(u32 v)
{
	u16 r = 0;
	int shift;

	for (shift = 0; shift < 16; shift += 4, v /= 10)
		r |= (v % 10) << shift;
	return r;
}

/* The mode in effect: 6 and 7 are 2 and 3 ("Control Word Format"). */
static u8 counter_mode(const struct pit_counter *c)
{
	if (c->mode == 6 || c->mode == 7)
		return c->mode - 4;
	return c->mode > 5 ? PIT_MODE_NONE : c->mode;
}

/* N: ticks per cycle, never 0 (a count of 0 is stored as 0x10000). */
static u64 counter_period(const struct pit_counter *c)
{
	u32 n = c->bcd ? pit_bcd_decode(c->count) : c->count;

	return n ? n : 1;
}

static u32 counter_modulus(const struct pit_counter *c)
{
	return c->bcd ? 10000 : 0x10000;
}

static u64 counter_elapsed(const struct pit_counter *c, s64 now)
{
	u64 from, to;

	if (!c->counting)
		return 0;
	if (c->paused)
		return c->paused_ticks;
	from = pit_ns_to_ticks(c->start_ns);
	to = pit_ns_to_ticks(now);
	return to > from ? to - from : 0;
}

/* GATE "disables counting" in these modes; in 1 and 5 it only triggers. */
static bool gate_pauses(u8 mode)
{
	return mode == 0 || mode == 2 || mode == 3 || mode == 4;
}

void pit_counter_reset(struct pit_counter *c, bool gate, s64 now)
{
	*c = (struct pit_counter){
		.count = 0x10000,
		.mode = PIT_MODE_NONE,
		.gate = gate,
		.start_ns = now,
	};
}

void pit_counter_set(struct pit_counter *c, s64 now)
{
	u8 mode = counter_mode(c);

	if (!c->count)
		c->count = 0x10000;
	c->start_ns = now;
	c->null_count = false;
	c->counting = mode != PIT_MODE_NONE;
	c->paused = c->counting && gate_pauses(mode) && !c->gate;
	c->paused_ticks = 0;
}

u16 pit_counter_value(const struct pit_counter *c, s64 now)
{
	u8 mode = counter_mode(c);
	u64 n = counter_period(c), d, p, v;
	u32 m = counter_modulus(c);

	if (mode == PIT_MODE_NONE || !c->counting) {
		v = n;
		goto out;
	}
	d = counter_elapsed(c, now);
	switch (mode) {
	case 2:
		v = n - d % n;
		break;
	case 3:
		p = d % n;
		if (!(n & 1))
			v = n - 2 * (p % (n / 2));
		else if (p < (n + 1) / 2)
			v = n - 1 - 2 * p;
		else
			v = n - 1 - 2 * (p - (n + 1) / 2);
		break;
	default:
		/* Modes 0, 1, 4, 5 wrap past 0 to the top and count on. */
		v = (n % m + m - d % m);
		break;
	}
out:
	v %= m;
	return c->bcd ? pit_bcd_encode(v) : v;
}

bool pit_counter_out(const struct pit_counter *c, s64 now)
{
	u8 mode = counter_mode(c);
	u64 n = counter_period(c), d;

	if (mode == PIT_MODE_NONE)
		return false;
	/* "OUT goes to a known initial state" on a control word. */
	if (!c->counting)
		return mode != 0;
	d = counter_elapsed(c, now);
	switch (mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return c->paused || n < 2 || d % n != n - 1;
	case 3:
		return c->paused || d % n < (n + 1) / 2;
	default:
		return d != n;
	}
}

bool pit_counter_next_edge(const struct pit_counter *c, s64 now, u64 *edge,
			   u64 *period)
{
	u8 mode = counter_mode(c);
	u64 n = counter_period(c), d, rel;

	if (mode == PIT_MODE_NONE || !c->counting || c->paused)
		return false;
	d = counter_elapsed(c, now);
	*period = 0;
	switch (mode) {
	case 0:
	case 1:
		rel = n;
		break;
	case 4:
	case 5:
		/* OUT comes back up one tick after the strobe. */
		rel = n + 1;
		break;
	default:
		rel = (d / n + 1) * n;
		*period = n;
		break;
	}
	*edge = pit_ns_to_ticks(c->start_ns) + rel;
	return rel > d;
}

static void counter_latch(struct pit_counter *c, s64 now)
{
	/* "If a Counter is latched and then, some time later, latched
	 * again before the count is read, the second ... is ignored." */
	if (c->count_latched)
		return;
	c->latched_count = pit_counter_value(c, now);
	c->count_latched = c->rw_mode >= PIT_RW_LSB &&
			   c->rw_mode <= PIT_RW_WORD0 ? c->rw_mode : PIT_RW_LSB;
}

static void counter_latch_status(struct pit_counter *c, s64 now)
{
	if (c->status_latched)
		return;
	c->status = (pit_counter_out(c, now) ? PIT_STATUS_OUT : 0) |
		    (c->null_count ? PIT_STATUS_NULL_COUNT : 0) |
		    (c->rw_mode & 3) << 4 | (c->mode & 7) << 1 |
		    (c->bcd & 1);
	c->status_latched = 1;
}

/* A control word selecting this counter with RW != 0. */
static void counter_control(struct pit_counter *c, u8 val)
{
	u8 mode = (val >> 1) & 7;

	c->rw_mode = (val >> 4) & 3;
	c->read_state = c->rw_mode;
	c->write_state = c->rw_mode;
	c->mode = mode > 5 ? mode - 4 : mode;
	c->bcd = val & 1;
	c->counting = false;
	c->paused = false;
	c->null_count = true;
}

/* A complete initial count: "Counter Loading". */
static void counter_load(struct pit_counter *c, u32 val, s64 now)
{
	u8 mode = counter_mode(c);

	c->count = val ? val : 0x10000;
	c->null_count = false;
	if (mode == PIT_MODE_NONE) {
		c->counting = false;
		return;
	}
	/* Modes 1 and 5 wait for a trigger; the new count applies then. */
	if (mode == 1 || mode == 5)
		return;
	c->counting = true;
	c->start_ns = now;
	c->paused = !c->gate;
	c->paused_ticks = 0;
}

static bool counter_write(struct pit_counter *c, u8 val, s64 now)
{
	switch (c->write_state) {
	case PIT_RW_MSB:
		counter_load(c, val << 8, now);
		return true;
	case PIT_RW_WORD0:
		c->write_latch = val;
		c->write_state = PIT_RW_WORD1;
		/* Mode 0: "writing the first byte disables counting". */
		if (counter_mode(c) != 0)
			return false;
		c->counting = false;
		return true;
	case PIT_RW_WORD1:
		counter_load(c, c->write_latch | val << 8, now);
		c->write_state = PIT_RW_WORD0;
		return true;
	default:
		counter_load(c, val, now);
		return true;
	}
}

static u8 counter_read(struct pit_counter *c, s64 now)
{
	u16 v;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		switch (c->count_latched) {
		case PIT_RW_MSB:
			c->count_latched = 0;
			return v >> 8;
		case PIT_RW_WORD0:
			c->count_latched = PIT_RW_MSB;
			return v & 0xff;
		default:
			c->count_latched = 0;
			return v & 0xff;
		}
	}
	v = pit_counter_value(c, now);
	switch (c->read_state) {
	case PIT_RW_MSB:
		return v >> 8;
	case PIT_RW_WORD0:
		c->read_state = PIT_RW_WORD1;
		return v & 0xff;
	case PIT_RW_WORD1:
		c->read_state = PIT_RW_WORD0;
		return v >> 8;
	default:
		return v & 0xff;
	}
}

bool pit_counter_set_gate(struct pit_counter *c, bool gate, s64 now)
{
	u8 mode = counter_mode(c);
	bool was = c->gate;

	c->gate = gate;
	if (was == gate || mode == PIT_MODE_NONE)
		return false;
	if (!gate) {
		if (!gate_pauses(mode) || !c->counting || c->paused)
			return false;
		c->paused_ticks = counter_elapsed(c, now);
		c->paused = true;
		return true;
	}
	switch (mode) {
	case 1:
	case 5:
		/* A trigger, once a count has been written. */
		if (c->null_count)
			return false;
		c->counting = true;
		c->start_ns = now;
		c->paused = false;
		return true;
	case 2:
	case 3:
		/* "Rising edge: reloads Counter, initiates counting". */
		if (!c->counting)
			return false;
		c->start_ns = now;
		c->paused = false;
		return true;
	default:
		/* Modes 0, 4: counting resumes where it stopped. */
		if (!c->counting || !c->paused)
			return false;
		c->start_ns = pit_ticks_to_ns(pit_ns_to_ticks(now) -
					      min_u64(c->paused_ticks,
						      pit_ns_to_ticks(now)));
		c->paused = false;
		return true;
	}
}

unsigned int pit_write(struct pit_counter ch[3], unsigned int port, u8 val,
		       s64 now)
{
	unsigned int sc = val >> 6, i;

	if (port < PIT_PORT_CONTROL)
		return counter_write(&ch[port], val, now) ? 1u << port : 0;
	if (port != PIT_PORT_CONTROL)
		return 0;
	if (sc == 3) {
		/* "Read-Back Command": bit 5 !COUNT, bit 4 !STATUS, 3-1 CNT. */
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				counter_latch(&ch[i], now);
			if (!(val & 0x10))
				counter_latch_status(&ch[i], now);
		}
		return 0;
	}
	if (!(val & 0x30)) {
		/* "Counter Latch Command". */
		counter_latch(&ch[sc], now);
		return 0;
	}
	counter_control(&ch[sc], val);
	return 1u << sc;
}

u8 pit_read(struct pit_counter ch[3], unsigned int port, s64 now)
{
	/* The control word register cannot be read. */
	if (port >= PIT_PORT_CONTROL)
		return 0xff;
	return counter_read(&ch[port], now);
}
