/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel facilities that the arch/x86/ sources built in userspace
 * use: the emulator and the page walker (tools/testing/emulate/), the
 * 8259A pair and the IOAPIC (tools/testing/irqchip/), the LAPIC's register
 * arithmetic (tools/testing/lapic/) and the 8254 counters
 * (tools/testing/pit/).  Those sources include the kernel's headers as
 * they do in kvmm.ko; the four Makefiles put this directory first on the
 * include path (shim.mk), where every <linux/...> header they name is a
 * stand-in that includes this one file, so that one definition serves all
 * four builds.  asm/apicdef.h holds the LAPIC's register names.
 *
 * Locks count their holders so that the tests catch what would deadlock
 * or race in the kernel: taking a spinlock twice (an ack notifier coming
 * back into the device with its lock held), calling out with it held
 * where the locking rules say it is dropped, unlocking what is not held.
 */
#ifndef _TOOLS_TESTING_KERNEL_SHIM_H
#define _TOOLS_TESTING_KERNEL_SHIM_H

#include <assert.h>		/* static_assert, as <linux/build_bug.h> */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;

struct file;
struct page;

#define GFP_KERNEL		0u
#define GFP_KERNEL_ACCOUNT	1u
#define HZ			1000

#define __rcu
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __user

#define READ_ONCE(x)		(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile typeof(x) *)&(x) = (v))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min_t(type, a, b)	((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define array_index_nospec(index, size)	(index)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define NSEC_PER_SEC		1000000000L

/* 1-based index of the most significant bit set; 0 for 0. */
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

/* a * mul / divisor without overflowing 64 bits in between. */
static inline u64 mul_u64_u32_div(u64 a, u32 mul, u32 divisor)
{
	return (u64)(((unsigned __int128)a * mul) / divisor);
}

#define shim_bug(...) do {						\
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	abort();							\
} while (0)

/*
 * The shim's own state, defined by the test that builds code taking locks
 * or scheduling work (test_irqchip.c); a build whose sources use neither
 * needs no definition.
 */
/* Locks held by the (single) test thread, over all locks. */
extern int shim_locks_held;
/* The delayed work scheduled last, for the tests to run. */
struct delayed_work;
extern struct delayed_work *shim_last_work;
/* Pending works cancel_delayed_work_sync() stopped. */
extern int shim_works_cancelled;

typedef struct {
	int held;
} spinlock_t;

#define spin_lock_init(l)	((l)->held = 0)
#define spin_lock(l) do {						\
	if ((l)->held)							\
		shim_bug("spinlock taken twice: would deadlock");	\
	(l)->held = 1;							\
	shim_locks_held++;						\
} while (0)
#define spin_unlock(l) do {						\
	if (!(l)->held)							\
		shim_bug("spinlock released while not held");		\
	(l)->held = 0;							\
	shim_locks_held--;						\
} while (0)

struct mutex {
	int held;
};

#define mutex_init(m)		((m)->held = 0)
#define mutex_lock(m) do {						\
	if ((m)->held)							\
		shim_bug("mutex taken twice");				\
	(m)->held = 1;							\
} while (0)
#define mutex_unlock(m)		((m)->held = 0)
#define lockdep_assert_held(m) do {					\
	if (!(m)->held)							\
		shim_bug("lock not held");				\
} while (0)

struct list_head {
	struct list_head *next, *prev;
};

/* An xarray as a plain array: enough for xa_for_each over vCPUs. */
#define SHIM_XA_MAX	8
struct xarray {
	unsigned long nr;
	void *slot[SHIM_XA_MAX];
};

#define xa_for_each(xa, index, entry)					\
	for ((index) = 0;						\
	     (index) < (xa)->nr && (((entry) = (xa)->slot[index]), 1);	\
	     (index)++)

/* Work items run only when a test says so (shim_run_delayed_work). */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct {
	work_func_t func;
};
struct delayed_work {
	struct work_struct work;
	bool pending;
	unsigned long delay;
};

#define INIT_DELAYED_WORK(dw, fn) do {					\
	(dw)->work.func = (fn);						\
	(dw)->pending = false;						\
	(dw)->delay = 0;						\
} while (0)
#define to_delayed_work(w)	container_of(w, struct delayed_work, work)

static inline bool schedule_delayed_work(struct delayed_work *dw,
					 unsigned long delay)
{
	if (dw->pending)
		return false;
	dw->pending = true;
	dw->delay = delay;
	shim_last_work = dw;
	return true;
}

static inline bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	bool was = dw->pending;

	dw->pending = false;
	shim_works_cancelled += was;
	return was;
}

/* Run @dw if it is pending; true if it ran. */
static inline bool shim_run_delayed_work(struct delayed_work *dw)
{
	if (!dw->pending)
		return false;
	dw->pending = false;
	dw->work.func(&dw->work);
	return true;
}

#define pr_err(...)		fprintf(stderr, __VA_ARGS__)

#endif /* _TOOLS_TESTING_KERNEL_SHIM_H */
