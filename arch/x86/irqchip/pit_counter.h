/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The three counters of an Intel 8254 programmable interval timer, as pure
 * functions of their state and of the time (Intel 8254 datasheet, order
 * 231164: "Control Word Format", "Read Operations", "Read-Back Command",
 * "Mode Definitions", the GATE table).  No locks, no timers, no I/O: the
 * device (pit.c) calls these under its lock and arms its hrtimer from
 * pit_counter_next_edge(); tools/testing/pit/ builds this file in
 * userspace (over tools/testing/shim/) and checks it against the
 * datasheet.
 *
 * Time is CLOCK_MONOTONIC nanoseconds ("now").  The 8254's input clock
 * (PIT_HZ) is free-running: its tick n falls at pit_ticks_to_ns(n), and a
 * counter counts the ticks between the time counting started and now.  A
 * counter does not store its counting element: its value and OUT are
 * computed from the count and the time counting started (start_ns, KVM's
 * count_load_time).
 *
 * Not modelled (the datasheet's finer points no PC guest relies on): the
 * CLK cycle between writing a count and loading it into the counting
 * element (counting starts at the write, NULL COUNT clears at once); a
 * new count written in modes 1, 2, 3 and 5 while counting takes effect
 * at once rather than at the end of the current period or trigger; the
 * value a counter shows before its first count (its count register).
 */
#ifndef _KVMM_X86_PIT_COUNTER_H
#define _KVMM_X86_PIT_COUNTER_H

#include <linux/math64.h>
#include <linux/time64.h>
#include <linux/types.h>

/* 14.31818 MHz / 12, the PC's 8254 clock (KVM uses 1193181, QEMU 1193182). */
#define PIT_HZ			1193182u

/* Ports 0x40-0x43 relative to 0x40: counters 0-2, then the control word. */
#define PIT_PORT_CONTROL	3

/*
 * Access states, the values of struct kvm_pit_channel_state's rw_mode,
 * read_state, write_state and count_latched (KVM's ABI): the control
 * word's RW field 1-3, and 4 for "word access, MSB next".
 */
enum {
	PIT_RW_LSB = 1,
	PIT_RW_MSB = 2,
	PIT_RW_WORD0 = 3,	/* LSB next */
	PIT_RW_WORD1 = 4,	/* MSB next */
};

/* Modes of the control word (M2-M0); 6 and 7 alias 2 and 3. */
#define PIT_MODE_NONE		0xff	/* after reset: none programmed */

/* Status byte of the read-back command (datasheet figure "Status Byte"). */
#define PIT_STATUS_OUT		0x80
#define PIT_STATUS_NULL_COUNT	0x40

struct pit_counter {
	/*
	 * struct kvm_pit_channel_state, field by field, same meaning.
	 * count: the initial count as written, 0 stored as 0x10000 (2^16
	 * in binary, 10^4 in BCD: the digits of 0x10000); any value from
	 * KVM_SET_PIT2.  count_latched: 0, or the access state the latched
	 * count is read in.  start_ns: when counting started (the count
	 * write, or the trigger of modes 1 and 5): count_load_time.
	 */
	u32 count;
	u16 latched_count;
	u8 count_latched;
	u8 status_latched;
	u8 status;
	u8 read_state;
	u8 write_state;
	u8 write_latch;
	u8 rw_mode;
	u8 mode;
	u8 bcd;
	u8 gate;
	s64 start_ns;

	/* Beyond KVM's ABI, derived again by pit_counter_set(). */
	bool counting;		/* count loaded (and modes 1, 5: triggered) */
	bool null_count;	/* control word written, no count since */
	bool paused;		/* GATE low stopped counting (modes 0, 2-4) */
	u64 paused_ticks;	/* ticks counted before the pause */
};

void pit_counter_reset(struct pit_counter *c, bool gate, s64 now);
/* KVM_SET_PIT(2): take @c's ABI fields, counting restarts at @now. */
void pit_counter_set(struct pit_counter *c, s64 now);

/*
 * A write of @val to port 0x40 + @port (0-3) of the counters @ch[3].
 * Returns a mask of the counters whose OUT timing changed (bit n:
 * counter n), so the device re-arms counter 0's timer.
 */
unsigned int pit_write(struct pit_counter ch[3], unsigned int port, u8 val,
		       s64 now);
/* A read of port 0x40 + @port; the control port reads 0xff (no-op). */
u8 pit_read(struct pit_counter ch[3], unsigned int port, s64 now);
/* GATE input of one counter; true when its OUT timing changed. */
bool pit_counter_set_gate(struct pit_counter *c, bool gate, s64 now);

/* The counting element as the counter shows it (BCD when bcd). */
u16 pit_counter_value(const struct pit_counter *c, s64 now);
bool pit_counter_out(const struct pit_counter *c, s64 now);

/*
 * The next rising edge of OUT after @now, if any: at input-clock tick
 * *@edge (an absolute tick: pit_ticks_to_ns(*@edge) is its time), then one
 * every *@period ticks (0: no more).  IRQ0 is edge triggered, so these are
 * counter 0's interrupts.
 */
bool pit_counter_next_edge(const struct pit_counter *c, s64 now, u64 *edge,
			   u64 *period);

/*
 * Tick/nanosecond conversions: the last tick at or before a time, and the
 * first nanosecond at or after a tick, so that a timer armed for a tick
 * never fires before it: pit_ns_to_ticks(pit_ticks_to_ns(t)) == t.
 */
static inline u64 pit_ns_to_ticks(s64 ns)
{
	return ns > 0 ? mul_u64_u32_div(ns, PIT_HZ, NSEC_PER_SEC) : 0;
}

static inline u64 pit_ticks_to_ns(u64 ticks)
{
	u64 ns = mul_u64_u32_div(ticks, NSEC_PER_SEC, PIT_HZ);

	return pit_ns_to_ticks(ns) < ticks ? ns + 1 : ns;
}

#endif /* _KVMM_X86_PIT_COUNTER_H */
