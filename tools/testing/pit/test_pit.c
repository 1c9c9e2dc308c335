// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the 8254 counters (arch/x86/irqchip/pit_counter.c), built
 * in userspace.  Each case drives the ports as a guest would, at chosen
 * times, and checks the counter's value, OUT and the timer edges against
 * the Intel 8254 datasheet ("Mode Definitions", "Read Operations",
 * "Read-Back Command", the GATE table); then a random-operation run checks
 * that no state, including any KVM_SET_PIT2 gives, breaks an invariant.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pit_counter.h"

static int passed, failed;
static const char *test_name;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("FAIL %s:%d: %s: %s\n", __FILE__,	\
			       __LINE__, test_name, #cond);		\
			failed++;					\
		} else {						\
			passed++;					\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			printf("FAIL %s:%d: %s: %s == %#llx, want %#llx\n", \
			       __FILE__, __LINE__, test_name, #a, _a, _b); \
			failed++;					\
		} else {						\
			passed++;					\
		}							\
	} while (0)

/*
 * Time 0 of each case: input-clock tick T0_TICKS (1000 s), far from 0 so
 * times before a start stay positive.  at(x) is tick T0_TICKS + x, TK(x)
 * its number.
 */
#define T0_TICKS	(1000ull * PIT_HZ)
#define TK(x)		(T0_TICKS + (x))
#define T0		at(0)

static struct pit_counter ch[3];

static s64 at(u64 ticks)
{
	return pit_ticks_to_ns(TK(ticks));
}

static void reset(const char *name)
{
	int i;

	test_name = name;
	for (i = 0; i < 3; i++)
		pit_counter_reset(&ch[i], i != 2, T0);
}

/* Control word for counter @sc: RW @rw, mode @mode, BCD @bcd. */
static unsigned int control(unsigned int sc, unsigned int rw,
			    unsigned int mode, unsigned int bcd, s64 now)
{
	return pit_write(ch, 3, sc << 6 | rw << 4 | mode << 1 | bcd, now);
}

/* A 16-bit count, LSB then MSB (the counter is in RW mode 3). */
static void load16(unsigned int c, u16 count, s64 now)
{
	pit_write(ch, c, count & 0xff, now);
	pit_write(ch, c, count >> 8, now);
}

static u16 read16(unsigned int c, s64 now)
{
	u16 lo = pit_read(ch, c, now);

	return lo | pit_read(ch, c, now) << 8;
}

static void test_reset(void)
{
	reset("reset");
	CHECK_EQ(ch[0].mode, PIT_MODE_NONE);
	CHECK_EQ(ch[0].count, 0x10000);
	CHECK_EQ(ch[0].gate, 1);
	CHECK_EQ(ch[2].gate, 0);
	CHECK(!pit_counter_out(&ch[0], at(5)));
	CHECK_EQ(pit_read(ch, 3, T0), 0xff);
}

/* Mode 0: OUT low from the control word, high at terminal count; wraps. */
static void test_mode0(void)
{
	u64 edge, period;

	reset("mode0");
	CHECK_EQ(control(0, 3, 0, 0, T0), 1);
	CHECK(!pit_counter_out(&ch[0], T0));
	CHECK(!pit_counter_next_edge(&ch[0], T0, &edge, &period));
	/* The first byte of a two-byte count disables counting. */
	CHECK_EQ(pit_write(ch, 0, 16, T0), 1);
	CHECK(!ch[0].counting);
	CHECK_EQ(pit_write(ch, 0, 0, T0), 1);
	CHECK(ch[0].counting);
	CHECK_EQ(pit_counter_value(&ch[0], T0), 16);
	CHECK_EQ(pit_counter_value(&ch[0], at(5)), 11);
	CHECK_EQ(pit_counter_value(&ch[0], at(15)), 1);
	CHECK(!pit_counter_out(&ch[0], at(15)));
	CHECK_EQ(pit_counter_value(&ch[0], at(16)), 0);
	CHECK(pit_counter_out(&ch[0], at(16)));
	CHECK_EQ(pit_counter_value(&ch[0], at(17)), 0xffff);
	CHECK(pit_counter_out(&ch[0], at(17 + 0x10000)));
	CHECK(pit_counter_next_edge(&ch[0], at(3), &edge, &period));
	CHECK_EQ(edge, TK(16));
	CHECK_EQ(period, 0);
	CHECK(!pit_counter_next_edge(&ch[0], at(16), &edge, &period));
	/* A count of 0 is 2^16. */
	load16(0, 0, at(100));
	CHECK_EQ(pit_counter_value(&ch[0], at(100)), 0);
	CHECK_EQ(pit_counter_value(&ch[0], at(101)), 0xffff);
	CHECK(!pit_counter_out(&ch[0], at(100 + 0xffff)));
	CHECK(pit_counter_out(&ch[0], at(100 + 0x10000)));
}

/* Mode 0 and 4 on counter 2: GATE low suspends counting, high resumes. */
static void test_gate_suspends(void)
{
	u64 edge, period;

	reset("gate_mode0");
	control(2, 3, 0, 0, T0);
	load16(2, 100, T0);
	CHECK(ch[2].paused);
	CHECK_EQ(pit_counter_value(&ch[2], at(50)), 100);
	CHECK(!pit_counter_next_edge(&ch[2], at(50), &edge, &period));
	CHECK(pit_counter_set_gate(&ch[2], 1, at(50)));
	CHECK_EQ(pit_counter_value(&ch[2], at(80)), 70);
	CHECK(pit_counter_set_gate(&ch[2], 0, at(80)));
	CHECK_EQ(pit_counter_value(&ch[2], at(500)), 70);
	CHECK(!pit_counter_out(&ch[2], at(500)));
	CHECK(pit_counter_set_gate(&ch[2], 1, at(1000)));
	CHECK_EQ(pit_counter_value(&ch[2], at(1010)), 60);
	CHECK(pit_counter_next_edge(&ch[2], at(1010), &edge, &period));
	/* 100 ticks of counting, 30 before the pause: at 1070. */
	CHECK_EQ(edge, TK(1070));
	CHECK(pit_counter_out(&ch[2], at(1070)));
	/* Same level again: no edge, nothing changes. */
	CHECK(!pit_counter_set_gate(&ch[2], 1, at(1100)));

	reset("gate_mode4");
	pit_counter_set_gate(&ch[2], 1, T0);
	control(2, 3, 4, 0, T0);
	CHECK(pit_counter_out(&ch[2], T0));
	load16(2, 10, T0);
	pit_counter_set_gate(&ch[2], 0, at(4));
	CHECK_EQ(pit_counter_value(&ch[2], at(40)), 6);
	CHECK(pit_counter_out(&ch[2], at(40)));
	pit_counter_set_gate(&ch[2], 1, at(40));
	CHECK(!pit_counter_out(&ch[2], at(46)));
	CHECK(pit_counter_out(&ch[2], at(47)));
}

/* Mode 1: GATE rising edge triggers (and retriggers) the one-shot. */
static void test_mode1(void)
{
	u64 edge, period;

	reset("mode1");
	control(2, 3, 1, 0, T0);
	CHECK(pit_counter_out(&ch[2], T0));
	load16(2, 50, T0);
	CHECK(pit_counter_out(&ch[2], at(100)));
	CHECK(!pit_counter_next_edge(&ch[2], at(100), &edge, &period));
	CHECK(pit_counter_set_gate(&ch[2], 1, at(100)));
	CHECK(!pit_counter_out(&ch[2], at(100)));
	CHECK_EQ(pit_counter_value(&ch[2], at(149)), 1);
	CHECK(!pit_counter_out(&ch[2], at(149)));
	CHECK(pit_counter_out(&ch[2], at(150)));
	CHECK(pit_counter_next_edge(&ch[2], at(120), &edge, &period));
	CHECK_EQ(edge, TK(150));
	CHECK_EQ(period, 0);
	/* GATE low does not stop it; the next rising edge retriggers. */
	CHECK(!pit_counter_set_gate(&ch[2], 0, at(160)));
	CHECK(pit_counter_set_gate(&ch[2], 1, at(170)));
	CHECK(!pit_counter_out(&ch[2], at(171)));
	CHECK_EQ(pit_counter_value(&ch[2], at(180)), 40);
	/* No trigger before a count: a control word alone does not arm. */
	control(2, 3, 1, 0, at(300));
	pit_counter_set_gate(&ch[2], 0, at(300));
	CHECK(!pit_counter_set_gate(&ch[2], 1, at(301)));
	CHECK(pit_counter_out(&ch[2], at(400)));
}

/* Mode 2: OUT low for the one tick at count 1, reload, periodic. */
static void test_mode2(void)
{
	u64 edge, period;

	reset("mode2");
	control(0, 3, 2, 0, T0);
	load16(0, 10, T0);
	CHECK_EQ(pit_counter_value(&ch[0], T0), 10);
	CHECK_EQ(pit_counter_value(&ch[0], at(9)), 1);
	CHECK(pit_counter_out(&ch[0], at(8)));
	CHECK(!pit_counter_out(&ch[0], at(9)));
	CHECK(pit_counter_out(&ch[0], at(10)));
	CHECK_EQ(pit_counter_value(&ch[0], at(10)), 10);
	CHECK(!pit_counter_out(&ch[0], at(19)));
	CHECK(pit_counter_next_edge(&ch[0], T0, &edge, &period));
	CHECK_EQ(edge, TK(10));
	CHECK_EQ(period, 10);
	CHECK(pit_counter_next_edge(&ch[0], at(25), &edge, &period));
	CHECK_EQ(edge, TK(30));
	/* Control words 6 and 7 are modes 2 and 3. */
	control(1, 3, 6, 0, T0);
	CHECK_EQ(ch[1].mode, 2);
	control(1, 3, 7, 0, T0);
	CHECK_EQ(ch[1].mode, 3);

	reset("mode2_gate");
	pit_counter_set_gate(&ch[2], 1, T0);
	control(2, 3, 2, 0, T0);
	load16(2, 10, T0);
	CHECK(!pit_counter_out(&ch[2], at(9)));
	/* GATE low: OUT high at once, counting stops. */
	pit_counter_set_gate(&ch[2], 0, at(9));
	CHECK(pit_counter_out(&ch[2], at(9)));
	CHECK(!pit_counter_next_edge(&ch[2], at(9), &edge, &period));
	/* Rising edge reloads. */
	pit_counter_set_gate(&ch[2], 1, at(100));
	CHECK_EQ(pit_counter_value(&ch[2], at(100)), 10);
	CHECK_EQ(pit_counter_value(&ch[2], at(103)), 7);
}

/* Mode 3: square wave, by 2; odd counts high (N+1)/2, low (N-1)/2. */
static void test_mode3(void)
{
	static const u16 odd[] = { 4, 2, 0, 4, 2, 4 };
	u64 edge, period;
	unsigned int d;

	reset("mode3_even");
	control(0, 3, 3, 0, T0);
	load16(0, 10, T0);
	for (d = 0; d < 20; d++)
		CHECK_EQ(pit_counter_out(&ch[0], at(d)), d % 10 < 5);
	CHECK_EQ(pit_counter_value(&ch[0], at(0)), 10);
	CHECK_EQ(pit_counter_value(&ch[0], at(1)), 8);
	CHECK_EQ(pit_counter_value(&ch[0], at(4)), 2);
	CHECK_EQ(pit_counter_value(&ch[0], at(5)), 10);
	CHECK_EQ(pit_counter_value(&ch[0], at(6)), 8);
	CHECK(pit_counter_next_edge(&ch[0], at(7), &edge, &period));
	CHECK_EQ(edge, TK(10));
	CHECK_EQ(period, 10);

	reset("mode3_odd");
	control(0, 3, 3, 0, T0);
	load16(0, 5, T0);
	for (d = 0; d < 6; d++) {
		CHECK_EQ(pit_counter_value(&ch[0], at(d)), odd[d]);
		CHECK_EQ(pit_counter_out(&ch[0], at(d)), d % 5 < 3);
	}

	reset("mode3_gate");
	pit_counter_set_gate(&ch[2], 1, T0);
	control(2, 3, 3, 0, T0);
	load16(2, 10, T0);
	CHECK(!pit_counter_out(&ch[2], at(7)));
	pit_counter_set_gate(&ch[2], 0, at(7));
	CHECK(pit_counter_out(&ch[2], at(7)));
}

/* Modes 4 and 5: OUT low for one tick at terminal count. */
static void test_strobes(void)
{
	u64 edge, period;

	reset("mode4");
	control(0, 3, 4, 0, T0);
	load16(0, 10, T0);
	CHECK(pit_counter_out(&ch[0], at(9)));
	CHECK(!pit_counter_out(&ch[0], at(10)));
	CHECK(pit_counter_out(&ch[0], at(11)));
	CHECK_EQ(pit_counter_value(&ch[0], at(11)), 0xffff);
	CHECK(pit_counter_next_edge(&ch[0], T0, &edge, &period));
	CHECK_EQ(edge, TK(11));
	CHECK_EQ(period, 0);
	CHECK(!pit_counter_next_edge(&ch[0], at(11), &edge, &period));

	reset("mode5");
	control(2, 3, 5, 0, T0);
	load16(2, 10, T0);
	CHECK(pit_counter_out(&ch[2], at(10)));
	CHECK(!pit_counter_next_edge(&ch[2], at(10), &edge, &period));
	CHECK(pit_counter_set_gate(&ch[2], 1, at(20)));
	CHECK(pit_counter_out(&ch[2], at(29)));
	CHECK(!pit_counter_out(&ch[2], at(30)));
	CHECK(pit_counter_out(&ch[2], at(31)));
	CHECK(pit_counter_next_edge(&ch[2], at(21), &edge, &period));
	CHECK_EQ(edge, TK(31));
}

/* Counter latch command, and the access modes. */
static void test_latch_access(void)
{
	reset("latch");
	control(0, 3, 2, 0, T0);
	load16(0, 1000, T0);
	CHECK_EQ(pit_write(ch, 3, 0x00, at(100)), 0);
	/* A second latch before the read is ignored. */
	pit_write(ch, 3, 0x00, at(200));
	CHECK_EQ(read16(0, at(500)), 900);
	/* Then reads are of the counter again. */
	CHECK_EQ(read16(0, at(600)), 400);
	/* Latch between the two bytes of an unlatched word read. */
	CHECK_EQ(pit_read(ch, 0, at(700)), 300 & 0xff);
	CHECK_EQ(pit_read(ch, 0, at(700)), 300 >> 8);

	reset("access_lsb");
	control(1, 1, 2, 0, T0);
	CHECK_EQ(pit_write(ch, 1, 0x20, T0), 2);
	CHECK_EQ(ch[1].count, 0x20);
	CHECK_EQ(pit_read(ch, 1, at(1)), 0x1f);
	CHECK_EQ(pit_read(ch, 1, at(2)), 0x1e);
	pit_write(ch, 3, 0x40, at(3));
	CHECK_EQ(pit_read(ch, 1, at(9)), 0x1d);
	CHECK_EQ(pit_read(ch, 1, at(9)), 0x17);

	reset("access_msb");
	control(1, 2, 2, 0, T0);
	pit_write(ch, 1, 0x01, T0);
	CHECK_EQ(ch[1].count, 0x100);
	CHECK_EQ(pit_read(ch, 1, T0), 0x01);
	CHECK_EQ(pit_read(ch, 1, at(1)), 0x00);
	pit_write(ch, 3, 0x40, at(2));
	CHECK_EQ(pit_read(ch, 1, at(200)), 0x00);
	CHECK_EQ(pit_read(ch, 1, at(200)), 0x00);
}

/* Read-back: status then count, NULL COUNT, several counters at once. */
static void test_readback(void)
{
	reset("readback");
	control(0, 3, 3, 0, T0);
	/* Status only, counter 0: NULL COUNT until a count is written. */
	pit_write(ch, 3, 0xe2, T0);
	CHECK_EQ(pit_read(ch, 0, T0), 0x80 | 0x40 | 0x30 | 3 << 1);
	load16(0, 100, T0);
	/* Count and status of counters 0 and 2. */
	pit_write(ch, 3, 0xca, at(60));
	CHECK_EQ(pit_read(ch, 0, at(90)), 0x00 | 0x30 | 3 << 1);
	CHECK_EQ(read16(0, at(90)), 100 - 2 * 10);
	CHECK_EQ(pit_read(ch, 2, at(90)), 0x00 | 0 << 4 | 7 << 1 | 0);
	CHECK_EQ(pit_read(ch, 2, at(90)), 0x00);	/* count, LSB (0x10000) */
	/* A second status latch before the read keeps the first. */
	pit_write(ch, 3, 0xe2, at(10));
	pit_write(ch, 3, 0xe2, at(60));
	CHECK_EQ(pit_read(ch, 0, at(70)), 0x80 | 0x30 | 3 << 1);
	/* Count only. */
	pit_write(ch, 3, 0xd2, at(130));
	CHECK_EQ(read16(0, at(190)), 100 - 2 * 30);
}

/* BCD: counts in decimal digits, 0 is 10^4. */
static void test_bcd(void)
{
	u64 edge, period;

	reset("bcd");
	control(0, 3, 0, 1, T0);
	load16(0, 0x1234, T0);
	CHECK_EQ(pit_counter_value(&ch[0], T0), 0x1234);
	CHECK_EQ(pit_counter_value(&ch[0], at(1)), 0x1233);
	CHECK_EQ(pit_counter_value(&ch[0], at(35)), 0x1199);
	CHECK_EQ(pit_counter_value(&ch[0], at(1234)), 0);
	CHECK(pit_counter_out(&ch[0], at(1234)));
	CHECK_EQ(pit_counter_value(&ch[0], at(1235)), 0x9999);
	CHECK(pit_counter_next_edge(&ch[0], T0, &edge, &period));
	CHECK_EQ(edge, TK(1234));
	load16(0, 0, at(2000));
	CHECK_EQ(pit_counter_value(&ch[0], at(2001)), 0x9999);
	CHECK(!pit_counter_out(&ch[0], at(2000 + 9999)));
	CHECK(pit_counter_out(&ch[0], at(2000 + 10000)));
	pit_write(ch, 3, 0xe2, at(2001));
	CHECK_EQ(pit_read(ch, 0, at(2001)), 0x30 | 1);
	/* Rate generator in BCD. */
	control(1, 3, 2, 1, T0);
	load16(1, 0x0100, T0);
	CHECK(pit_counter_next_edge(&ch[1], T0, &edge, &period));
	CHECK_EQ(period, 100);
	CHECK_EQ(pit_counter_value(&ch[1], at(150)), 0x50);
}

/* Timing: conversions never fire an edge early, and do not drift. */
static void test_conversions(void)
{
	u64 t;

	test_name = "conversions";
	for (t = 0; t < 100000; t += 7) {
		CHECK(pit_ns_to_ticks(pit_ticks_to_ns(t)) == t);
		CHECK(t == 0 || pit_ns_to_ticks(pit_ticks_to_ns(t) - 1) < t);
	}
	/* A year of 1 ms ticks: still exact. */
	t = 365ull * 24 * 3600 * PIT_HZ;
	CHECK_EQ(pit_ns_to_ticks(pit_ticks_to_ns(t)), t);
	CHECK_EQ(pit_ticks_to_ns(PIT_HZ), 1000000000);
	/* The tick of a time is the last at or before it. */
	CHECK_EQ(pit_ns_to_ticks(pit_ticks_to_ns(T0_TICKS + 1) - 1), T0_TICKS);
}

/* Whatever KVM_SET_PIT2 stores, and whatever the guest then does. */
static void test_random(void)
{
	unsigned int i, j;
	s64 now = T0;

	test_name = "random";
	srand(1);
	for (i = 0; i < 200000; i++) {
		struct pit_counter *c = &ch[rand() % 3];
		u64 edge, period;
		u16 v;

		now += rand() % 100000;
		switch (rand() % 8) {
		case 0:
			c->count = rand() % 4 ? (u32)(rand() % 0x10001) :
						   (u32)rand() * 3;
			c->mode = rand() % 4 ? rand() % 8 : rand() & 0xff;
			c->rw_mode = rand() & 0xff;
			c->read_state = rand() & 0xff;
			c->write_state = rand() & 0xff;
			c->count_latched = rand() & 0xff;
			c->status_latched = rand() & 1;
			c->bcd = rand() & 3;
			c->gate = rand() & 3;
			pit_counter_set(c, now);
			CHECK(c->count != 0);
			break;
		case 1:
			pit_write(ch, rand() % 4, rand() & 0xff, now);
			break;
		case 2:
		case 3:
			pit_read(ch, rand() % 4, now);
			break;
		case 4:
			pit_counter_set_gate(c, rand() & 1, now);
			break;
		default:
			v = pit_counter_value(c, now);
			if (c->bcd)
				for (j = 0; j < 16; j += 4)
					CHECK(((v >> j) & 0xf) <= 9);
			pit_counter_out(c, now);
			if (pit_counter_next_edge(c, now, &edge, &period))
				CHECK(edge > pit_ns_to_ticks(now));
			break;
		}
	}
}

int main(void)
{
	test_reset();
	test_mode0();
	test_gate_suspends();
	test_mode1();
	test_mode2();
	test_mode3();
	test_strobes();
	test_latch_access();
	test_readback();
	test_bcd();
	test_conversions();
	test_random();
	printf("pit counter tests: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
