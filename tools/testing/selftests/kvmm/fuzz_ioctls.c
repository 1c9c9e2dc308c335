// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ioctls: a randomized /dev/kvm fuzzer with a time budget.
 *
 * Rounds, each a fresh VM (a 4 MiB slot at GPA 0 with identity page
 * tables, one or two vCPUs in real, 32-bit protected or long mode), run a
 * random sequence of:
 *  - state-setting ioctls (KVM_SET_REGS, SET_SREGS, SET_FPU, SET_XSAVE,
 *    SET_XCRS, SET_MSRS, SET_DEBUGREGS, SET_VCPU_EVENTS, SET_CPUID2,
 *    SET_MP_STATE, KVM_INTERRUPT, KVM_NMI, SET_USER_MEMORY_REGION) with
 *    values that are random bits, all-ones, zero, single bits, or what the
 *    matching GET returned with a few bits flipped;
 *  - KVM_RUN of random bytes (sprinkled with instructions that exit or
 *    loop) written at RIP, under a 10 ms interval timer, so every KVM_RUN
 *    is interrupted by a signal;
 *  - fds closed at random: a vCPU fd, the VM fd (its vCPUs carry on), the
 *    kvm_run mapping; guest memory replaced or dropped under the slot.
 * Errors from the ioctls are expected and counted, never judged: the
 * failures this looks for are an ioctl that does not return (a watchdog
 * thread gives each call HANG_MS, signalling the caller meanwhile), host
 * kernel warnings (the test host fails on them) and, in kvmm mode, leaked
 * allocations once everything is closed.
 *
 * Replay: the seed is printed first.  KVMM_FUZZ_SEED=<seed> (or argv[1])
 * runs the same rounds; KVMM_FUZZ_FIRST_ROUND=<n> KVMM_FUZZ_ROUNDS=1 runs
 * the one round a failure names (each round's generator is seeded from
 * the seed and its number alone).  KVMM_FUZZ_SECONDS (or argv[2]) is the
 * budget, default 10.  Runs are interrupted by a timer, so a replay is
 * faithful up to where a guest was cut short.  A hang prints the vCPU's
 * state before the call as DUMP lines that /work/shared/repro/sregs-hang/
 * replay.c reads (strip the "# " prefixes first).
 *
 * The emulated test hosts (KVMM_CONFIG set) get a restricted default,
 * because QEMU 7.2's TCG wedges a host CPU (maskable interrupts stop
 * reaching it) for Linux's kvm_amd too on some inputs the reference
 * accepts (repro/fuzz-realmode-hang/): random real-mode code, and
 * KVM_SET_SREGS with reserved EFER bits (Linux 6.1 does not check them
 * there).  A wedge the reference shows as well says nothing about kvmm, so:
 *  - KVMM_FUZZ_MODES, the mask of modes rounds use (1 real, 2 protected,
 *    4 long), is 6 there and 7 elsewhere.  Without real mode, SET_SREGS
 *    keeps CR0.PE and the random code gets no MOV-to-CR0 snippet.
 *  - KVMM_FUZZ_RUN (0 there, 1 elsewhere): whether rounds run guests at
 *    all.  With the two restrictions below in place, random protected and
 *    long mode code still wedged the host within a minute, for kvm_amd
 *    (seeds 0x8ff20af8b2b73be4, 0x241c550e46c028e4) as for kvmm, so in
 *    the emulated hosts make check fuzzes the ioctls, the closes and the
 *    unmaps without KVM_RUN; KVMM_FUZZ_RUN=1 puts runs back (and finds
 *    such a wedge in seconds).
 *  - KVMM_FUZZ_TCG_SAFE (1 there, 0 elsewhere) keeps SET_SREGS' EFER to
 *    its defined bits and leaves out NMIs (KVM_NMI), SET_VCPU_EVENTS and
 *    RFLAGS.TF from the host side: every other wedge seen had an NMI
 *    pending or masked, an interrupt shadow or an injected exception in
 *    its state, and both hypervisors single-step the guest (TF, #DB
 *    intercepted) to open an NMI window.
 *
 * Reference (Linux kvm_amd in the same emulated host): same fuzzing, no
 * allocation check (kvmm's counters).
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "processor.h"

#define X86_EFLAGS_TF	(1UL << 8)
#define MEM_SIZE	(4ul << 20)	/* slot 0 at GPA 0 */
#define POOL_SIZE	(4ul << 20)	/* host memory for slots 1..3 */
#define PML4_GPA	0x1000
#define PDPT_GPA	0x2000
#define PD_GPA		0x3000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define CODE_MIN	0x10000
#define MAX_VCPUS	3
#define TIMER_US	10000
#define HANG_MS_DEFAULT	5000

struct fz_vcpu {
	int fd;			/* -1 once closed */
	struct kvm_run *run;	/* NULL once unmapped */
	uint32_t id;
};

struct fz_vm {
	int fd;			/* -1 once closed */
	uint8_t *mem, *pool;
	struct fz_vcpu v[MAX_VCPUS];
	unsigned int nr;
	uint32_t next_id;
};

static int kvm_fd;
static size_t run_size;
static struct kvm_cpuid2 *supported;
static struct kvm_msr_list *msr_list;
static pthread_t fuzz_thread;
static long hang_ms;
static unsigned int modes;	/* bit n: enum mode n allowed */
static bool tcg_safe;		/* see the top of the file */
static bool do_runs;

/* EFER bits defined on AMD: SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE. */
#define EFER_DEFINED	0xfd01ull

/* ---- random values ---- */

static uint64_t rng;

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
	rng = splitmix64(rng);
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

/* A value near @base or at a boundary. */
static uint64_t fuzz_u64(uint64_t base)
{
	switch (rnd_below(10)) {
	case 0:
		return rnd();
	case 1:
		return ~0ull;
	case 2:
		return 0;
	case 3:
		return 1ull << rnd_below(64);
	case 4:
		return base | (1ull << rnd_below(64));
	case 5:
		return base ^ (1ull << rnd_below(64)) ^
		       (1ull << rnd_below(64)) ^ (1ull << rnd_below(64));
	case 6:
		return (uint32_t)rnd();
	case 7:
		return base ^ (rnd() & rnd() & rnd());
	default:
		return base ^ (1ull << rnd_below(64));
	}
}

struct field {
	uint16_t off;
	uint8_t size;
};

static uint64_t field_get(const void *p, struct field f)
{
	uint64_t v = 0;

	memcpy(&v, (const uint8_t *)p + f.off, f.size);
	return v;
}

static void field_set(void *p, struct field f, uint64_t v)
{
	memcpy((uint8_t *)p + f.off, &v, f.size);
}

static void fuzz_fields(void *p, const struct field *f, unsigned int n,
			unsigned int times)
{
	while (times--) {
		struct field x = f[rnd_below(n)];

		field_set(p, x, fuzz_u64(field_get(p, x)));
	}
}

/* Flip bits, overwrite bytes or whole u64s at random offsets of @p. */
static void fuzz_bytes(void *p, size_t len, unsigned int times)
{
	uint8_t *b = p;

	while (times--) {
		size_t off = rnd_below(len);

		switch (rnd_below(3)) {
		case 0:
			b[off] ^= 1 << rnd_below(8);
			break;
		case 1:
			b[off] = rnd();
			break;
		default: {
			uint64_t v = 0;

			off &= ~7ul;
			if (off + 8 > len)
				break;
			memcpy(&v, b + off, 8);
			v = fuzz_u64(v);
			memcpy(b + off, &v, 8);
		}
		}
	}
}

/* ---- the watchdog ---- */

/*
 * What the fuzz thread is doing, for the watchdog: the call in progress
 * (start time, name) and the vCPU state recorded before the last KVM_RUN.
 */
static struct {
	uint64_t start_ns;		/* 0: no call in progress */
	const char *what;
	uint64_t seed, round, step;
} cur;

static struct {
	bool valid;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_xcrs xcrs;
	struct kvm_mp_state mp;
	const uint8_t *mem;
} snap;

static void dump_hex(const char *tag, const void *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);
	const uint8_t *b = p;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < len; i++) {
		s[2 * i] = hex[b[i] >> 4];
		s[2 * i + 1] = hex[b[i] & 15];
	}
	s[2 * len] = 0;
	pr_info("DUMP %s %s", tag, s);
	free(s);
}

/* The state in the format of repro/sregs-hang/replay.c. */
static void dump_snapshot(void)
{
	static const uint8_t zero[16];
	char tag[32];
	size_t off;

	if (!snap.valid) {
		pr_info("no vCPU state recorded before this call");
		return;
	}
	dump_hex("regs", &snap.regs, sizeof(snap.regs));
	dump_hex("sregs", &snap.sregs, sizeof(snap.sregs));
	dump_hex("events", &snap.events, sizeof(snap.events));
	dump_hex("debugregs", &snap.debugregs, sizeof(snap.debugregs));
	dump_hex("xcrs", &snap.xcrs, sizeof(snap.xcrs));
	dump_hex("mpstate", &snap.mp, sizeof(snap.mp));
	for (off = 0; snap.mem && off < MEM_SIZE; off += 16) {
		if (!memcmp(snap.mem + off, zero, 16))
			continue;
		snprintf(tag, sizeof(tag), "mem %zx", off);
		dump_hex(tag, snap.mem + off, 16);
	}
}

static void *watchdog_fn(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t start = __atomic_load_n(&cur.start_ns,
						 __ATOMIC_ACQUIRE);
		double ms = start ? elapsed_s(start) * 1000 : 0;

		/* The interval timer should have ended it; help it along. */
		if (ms > 100)
			pthread_kill(fuzz_thread, SIGALRM);
		if (ms > hang_ms) {
			pr_info("HANG: %s has not returned %.0f ms after it started, signalled every 10 ms",
				cur.what, ms);
			pr_info("seed %#llx round %llu step %llu; replay: KVMM_FUZZ_SEED=%#llx KVMM_FUZZ_FIRST_ROUND=%llu KVMM_FUZZ_ROUNDS=1",
				(unsigned long long)cur.seed,
				(unsigned long long)cur.round,
				(unsigned long long)cur.step,
				(unsigned long long)cur.seed,
				(unsigned long long)cur.round);
			pr_info("vCPU state before the last KVM_RUN (DUMP lines for replay.c):");
			dump_snapshot();
			ksft_exit_fail_msg("%s hung (seed %#llx round %llu)",
					   cur.what,
					   (unsigned long long)cur.seed,
					   (unsigned long long)cur.round);
		}
		msleep(50);
	}
	return NULL;
}

/* ---- counted ioctls ---- */

static unsigned long long nr_calls, nr_ok, nr_runs, nr_run_ok;
static unsigned long long nr_create_failed;
static unsigned long long exits[KVM_EXIT_NOTIFY + 2];

/* A system call the watchdog times (ioctls, and mm calls that zap). */
static void op_begin(const char *what)
{
	cur.what = what;
	__atomic_store_n(&cur.start_ns, now_ns(), __ATOMIC_RELEASE);
}

static void op_end(void)
{
	__atomic_store_n(&cur.start_ns, 0, __ATOMIC_RELEASE);
}

static int fz_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	int r;

	if (fd < 0)
		return -1;
	op_begin(what);
	r = ioctl(fd, cmd, arg);
	op_end();
	nr_calls++;
	if (r >= 0)
		nr_ok++;
	return r;
}

#define FZ(fd, cmd, arg)	fz_ioctl(fd, cmd, (void *)(arg), #cmd)

/* ---- guest memory and mode templates ---- */

static void write_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(mem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(mem + PD_GPA);
	uint64_t *gdt = (uint64_t *)(mem + GDT_GPA);
	unsigned int i;

	/* Identity map of the first GiB with 2 MiB pages. */
	pml4[0] = PDPT_GPA | PTE_PRESENT | PTE_WRITABLE | PTE_USER;
	pdpt[0] = PD_GPA | PTE_PRESENT | PTE_WRITABLE | PTE_USER;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITABLE |
			PTE_USER | PTE_LARGE;
	gdt[1] = 0x00af9b000000ffffull;	/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;	/* 0x10: data */
	gdt[3] = 0x00cf9b000000ffffull;	/* 0x18: 32-bit code */
	gdt[4] = 0x008f9b000000ffffull;	/* 0x20: 16-bit code */
}

enum mode { MODE_REAL, MODE_PROT32, MODE_LONG, NR_MODES };

static enum mode pick_mode(void)
{
	enum mode m;

	do
		m = rnd_below(NR_MODES);
	while (!(modes & (1u << m)));
	return m;
}

/* Instructions that exit, fault or loop, for random code to trip over. */
static const struct {
	uint8_t len, b[4];
} snippets[] = {
	{ 1, { 0xf4 } },		/* hlt */
	{ 2, { 0xeb, 0xfe } },		/* jmp . */
	{ 1, { 0xcc } },		/* int3 */
	{ 2, { 0x0f, 0x0b } },		/* ud2 */
	{ 2, { 0x0f, 0xa2 } },		/* cpuid */
	{ 2, { 0x0f, 0x30 } },		/* wrmsr */
	{ 2, { 0x0f, 0x32 } },		/* rdmsr */
	{ 2, { 0xe6, 0x80 } },		/* out 0x80, al */
	{ 2, { 0xe4, 0x71 } },		/* in al, 0x71 */
	{ 2, { 0x6c, 0x6e } },		/* insb; outsb */
	{ 1, { 0xfb } },		/* sti */
	{ 1, { 0xfa } },		/* cli */
	{ 1, { 0xcf } },		/* iret */
	{ 3, { 0x0f, 0x22, 0xc0 } },	/* mov cr0, rax */
	{ 3, { 0x0f, 0x22, 0xe0 } },	/* mov cr4, rax */
	{ 3, { 0x0f, 0x22, 0xd8 } },	/* mov cr3, rax */
	{ 3, { 0x0f, 0x01, 0xd1 } },	/* xsetbv */
	{ 3, { 0x0f, 0x01, 0xf9 } },	/* rdtscp */
	{ 2, { 0x0f, 0x31 } },		/* rdtsc */
	{ 2, { 0x0f, 0x05 } },		/* syscall */
	{ 2, { 0xcd, 0x80 } },		/* int 0x80 */
	{ 2, { 0xf3, 0xa4 } },		/* rep movsb */
	{ 3, { 0x0f, 0x01, 0xd8 } },	/* vmrun */
	{ 2, { 0x0f, 0x09 } },		/* wbinvd */
	{ 3, { 0x0f, 0x01, 0x38 } },	/* invlpg [rax] */
	{ 2, { 0x8e, 0xd8 } },		/* mov ds, ax */
};

static void write_code(uint8_t *mem, uint64_t gpa)
{
	size_t len = 16 + rnd_below(240), i;
	uint8_t *p;

	if (gpa + len > MEM_SIZE)
		return;
	p = mem + gpa;
	for (i = 0; i < len; i++)
		p[i] = rnd();
	if (chance(70)) {
		unsigned int n = 1 + rnd_below(6);

		while (n--) {
			unsigned int s = rnd_below(ARRAY_SIZE(snippets));
			size_t at = rnd_below(len - 4);

			/* MOV to CR0 could take the guest to real mode. */
			if (!(modes & (1u << MODE_REAL)) &&
			    snippets[s].b[1] == 0x22 && snippets[s].b[2] == 0xc0)
				continue;

			memcpy(p + at, snippets[s].b, snippets[s].len);
		}
	}
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool l, bool db)
{
	*s = (struct kvm_segment){ .limit = 0xffffffff, .selector = sel,
				   .type = type, .present = 1, .db = db,
				   .s = 1, .l = l, .g = 1 };
}

/* Put vCPU @v into @mode at a random place, with fresh random code. */
static void set_mode(struct fz_vm *vm, struct fz_vcpu *v, enum mode mode)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {};
	uint64_t code;

	if (FZ(v->fd, KVM_GET_SREGS, &sregs))
		return;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = chance(50) ? 0xfff : 0x3ff;
	sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb,
					 .present = 1 };
	sregs.ldt = (struct kvm_segment){ .type = 2, .unusable = 1 };
	switch (mode) {
	case MODE_REAL: {
		uint16_t cs = rnd_below(0x3000);

		sregs.cr0 = 0x60000010;
		sregs.cr4 = 0;
		sregs.efer = 0;
		sregs.cs = (struct kvm_segment){ .base = (uint64_t)cs << 4,
						 .limit = 0xffff, .selector = cs,
						 .type = 0xb, .present = 1,
						 .s = 1 };
		sregs.ds = sregs.cs;
		sregs.ds.type = 3;
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		regs.rip = rnd_below(0x10000);
		regs.rsp = rnd_below(0x10000);
		code = sregs.cs.base + regs.rip;
		break;
	}
	case MODE_PROT32:
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		sregs.cr4 = 0;
		sregs.efer = 0;
		seg_flat(&sregs.cs, 0x18, 0xb, false, true);
		seg_flat(&sregs.ds, 0x10, 0x3, false, true);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		regs.rip = CODE_MIN + rnd_below(MEM_SIZE - CODE_MIN - 0x1000);
		regs.rsp = CODE_MIN + rnd_below(MEM_SIZE - CODE_MIN);
		code = regs.rip;
		break;
	default:
		sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET |
			    X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
		sregs.cr3 = PML4_GPA;
		sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR |
			    X86_CR4_OSXMMEXCPT;
		sregs.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NX;
		seg_flat(&sregs.cs, 0x08, 0xb, true, false);
		seg_flat(&sregs.ds, 0x10, 0x3, false, true);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		regs.rip = CODE_MIN + rnd_below(MEM_SIZE - CODE_MIN - 0x1000);
		regs.rsp = CODE_MIN + rnd_below(MEM_SIZE - CODE_MIN);
		code = regs.rip;
		break;
	}
	regs.rflags = X86_EFLAGS_FIXED;
	if (chance(30))
		regs.rflags |= rnd() & 0x3f7fd5;	/* defined bits */
	if (tcg_safe)
		regs.rflags &= ~X86_EFLAGS_TF;
	regs.rax = chance(50) ? rnd() : fuzz_u64(sregs.cr0);
	regs.rcx = chance(50) ? rnd_below(0x100) : fuzz_u64(0xc0000080);
	regs.rdx = rnd();
	regs.rsi = regs.rdi = CODE_MIN + rnd_below(MEM_SIZE - CODE_MIN);
	FZ(v->fd, KVM_SET_SREGS, &sregs);
	FZ(v->fd, KVM_SET_REGS, &regs);
	if (vm->mem)
		write_code(vm->mem, code);
}

/* ---- one action each ---- */

static struct fz_vcpu *pick_vcpu(struct fz_vm *vm)
{
	unsigned int i, n = 0;
	struct fz_vcpu *live[MAX_VCPUS];

	for (i = 0; i < vm->nr; i++)
		if (vm->v[i].fd >= 0)
			live[n++] = &vm->v[i];
	return n ? live[rnd_below(n)] : NULL;
}

static void act_regs(struct fz_vcpu *v)
{
	static const struct field f[] = {
#define R(x) { offsetof(struct kvm_regs, x), 8 }
		R(rax), R(rbx), R(rcx), R(rdx), R(rsi), R(rdi), R(rsp),
		R(rbp), R(r8), R(r15), R(rip), R(rflags), R(rflags), R(rip),
#undef R
	};
	struct kvm_regs regs = {};

	FZ(v->fd, KVM_GET_REGS, &regs);
	fuzz_fields(&regs, f, ARRAY_SIZE(f), 1 + rnd_below(3));
	if (tcg_safe)
		regs.rflags &= ~X86_EFLAGS_TF;
	FZ(v->fd, KVM_SET_REGS, &regs);
}

static void act_sregs(struct fz_vcpu *v)
{
	static struct field f[16 + 8 * 12];
	static unsigned int n;
	struct kvm_sregs sregs = {};

	if (!n) {
		static const struct field seg[] = {
#define S(x, sz) { offsetof(struct kvm_segment, x), sz }
			S(base, 8), S(limit, 4), S(selector, 2), S(type, 1),
			S(present, 1), S(dpl, 1), S(db, 1), S(s, 1), S(l, 1),
			S(g, 1), S(avl, 1), S(unusable, 1),
#undef S
		};
		static const struct field top[] = {
#define T(x, sz) { offsetof(struct kvm_sregs, x), sz }
			T(cr0, 8), T(cr0, 8), T(cr2, 8), T(cr3, 8), T(cr4, 8),
			T(cr4, 8), T(cr8, 8), T(efer, 8), T(efer, 8),
			T(apic_base, 8), T(gdt.base, 8), T(gdt.limit, 2),
			T(idt.base, 8), T(idt.limit, 2),
			T(interrupt_bitmap[0], 8), T(interrupt_bitmap[3], 8),
#undef T
		};
		unsigned int s, i;

		for (i = 0; i < ARRAY_SIZE(top); i++)
			f[n++] = top[i];
		/* cs, ds, es, fs, gs, ss, tr, ldt follow each other. */
		for (s = 0; s < 8; s++)
			for (i = 0; i < ARRAY_SIZE(seg); i++) {
				f[n] = seg[i];
				f[n++].off += offsetof(struct kvm_sregs, cs) +
					      s * sizeof(struct kvm_segment);
			}
	}
	FZ(v->fd, KVM_GET_SREGS, &sregs);
	fuzz_fields(&sregs, f, n, 1 + rnd_below(4));
	if (!(modes & (1u << MODE_REAL)))
		sregs.cr0 |= X86_CR0_PE;
	if (tcg_safe)
		sregs.efer &= EFER_DEFINED;
	FZ(v->fd, KVM_SET_SREGS, &sregs);
}

static void act_fpu(struct fz_vcpu *v)
{
	struct kvm_fpu fpu = {};

	FZ(v->fd, KVM_GET_FPU, &fpu);
	fuzz_bytes(&fpu, sizeof(fpu), 1 + rnd_below(4));
	FZ(v->fd, KVM_SET_FPU, &fpu);
}

static void act_xsave(struct fz_vcpu *v)
{
	struct kvm_xsave xs = {};

	FZ(v->fd, KVM_GET_XSAVE, &xs);
	if (chance(50)) {
		/* The legacy header (MXCSR) and the XSAVE header. */
		static const struct field f[] = {
			{ 0, 2 }, { 24, 4 }, { 28, 4 }, { 512, 8 }, { 520, 8 },
			{ 528, 8 },
		};

		fuzz_fields(&xs, f, ARRAY_SIZE(f), 1 + rnd_below(2));
	} else {
		fuzz_bytes(&xs, sizeof(xs), 1 + rnd_below(6));
	}
	FZ(v->fd, KVM_SET_XSAVE, &xs);
}

static void act_xcrs(struct fz_vcpu *v)
{
	struct kvm_xcrs xcrs = {};

	FZ(v->fd, KVM_GET_XCRS, &xcrs);
	if (chance(80)) {
		xcrs.nr_xcrs = 1;
		xcrs.xcrs[0].xcr = chance(90) ? 0 : rnd_below(4);
		xcrs.xcrs[0].value = fuzz_u64(xcrs.xcrs[0].value);
	} else {
		fuzz_bytes(&xcrs, 64, 1 + rnd_below(4));
	}
	FZ(v->fd, KVM_SET_XCRS, &xcrs);
}

static uint32_t pick_msr(void)
{
	static const uint32_t interesting[] = {
		0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xfe, 0x174, 0x175, 0x176,
		0x179, 0x17a, 0x1d9, 0x200, 0x20f, 0x250, 0x277, 0x2ff, 0x6e0,
		0x800, 0x808, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010010,
		0xc0010015, 0xc0010114, 0xc0010117, 0xc0011029, 0x40000000,
		0x4b564d00, 0xffffffff,
	};

	switch (rnd_below(4)) {
	case 0:
		return rnd();
	case 1:
		if (msr_list && msr_list->nmsrs)
			return msr_list->indices[rnd_below(msr_list->nmsrs)];
		/* fall through */
	default:
		return interesting[rnd_below(ARRAY_SIZE(interesting))];
	}
}

static void act_msrs(struct fz_vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} m = {};
	unsigned int i, n = 1 + rnd_below(4);

	m.hdr.nmsrs = n;
	for (i = 0; i < n; i++)
		m.e[i].index = pick_msr();
	FZ(v->fd, KVM_GET_MSRS, &m);
	m.hdr.nmsrs = n;
	for (i = 0; i < n; i++)
		m.e[i].data = fuzz_u64(m.e[i].data);
	FZ(v->fd, KVM_SET_MSRS, &m);
}

static void act_debugregs(struct fz_vcpu *v)
{
	static const struct field f[] = {
		{ offsetof(struct kvm_debugregs, db[0]), 8 },
		{ offsetof(struct kvm_debugregs, db[3]), 8 },
		{ offsetof(struct kvm_debugregs, dr6), 8 },
		{ offsetof(struct kvm_debugregs, dr7), 8 },
		{ offsetof(struct kvm_debugregs, dr7), 8 },
		{ offsetof(struct kvm_debugregs, flags), 8 },
	};
	struct kvm_debugregs d = {};

	FZ(v->fd, KVM_GET_DEBUGREGS, &d);
	fuzz_fields(&d, f, ARRAY_SIZE(f), 1 + rnd_below(2));
	FZ(v->fd, KVM_SET_DEBUGREGS, &d);
}

static void act_events(struct fz_vcpu *v)
{
	static const struct field f[] = {
#define E(x, sz) { offsetof(struct kvm_vcpu_events, x), sz }
		E(exception.injected, 1), E(exception.nr, 1),
		E(exception.has_error_code, 1), E(exception.pending, 1),
		E(exception.error_code, 4), E(interrupt.injected, 1),
		E(interrupt.nr, 1), E(interrupt.soft, 1), E(interrupt.shadow, 1),
		E(nmi.injected, 1), E(nmi.pending, 1), E(nmi.masked, 1),
		E(sipi_vector, 4), E(flags, 4), E(smi.smm, 1),
		E(smi.pending, 1), E(exception_has_payload, 1),
		E(exception_payload, 8),
#undef E
	};
	struct kvm_vcpu_events ev = {};

	if (tcg_safe)
		return;
	FZ(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	if (chance(50))
		ev.flags = rnd_below(0x20);	/* the defined flags */
	fuzz_fields(&ev, f, ARRAY_SIZE(f), 1 + rnd_below(3));
	if (chance(40)) {
		ev.exception.nr = rnd_below(32);
		ev.exception.injected = chance(50);
		ev.exception.pending = !ev.exception.injected && chance(50);
		ev.exception.has_error_code = chance(50);
	}
	FZ(v->fd, KVM_SET_VCPU_EVENTS, &ev);
}

static void act_cpuid(struct fz_vcpu *v)
{
	size_t sz = sizeof(*supported) +
		    supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	unsigned int i, n;

	TEST_ASSERT(c, "out of memory");
	memcpy(c, supported, sz);
	n = rnd_below(4);
	for (i = 0; i < n && c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[rnd_below(c->nent)];

		fuzz_bytes(&e->eax, 16, 1);
	}
	if (chance(10))
		c->nent = rnd_below(c->nent + 1);
	FZ(v->fd, KVM_SET_CPUID2, c);
	free(c);
}

static void act_mp_state(struct fz_vcpu *v)
{
	struct kvm_mp_state mp = {
		.mp_state = chance(80) ? rnd_below(10) : rnd(),
	};

	FZ(v->fd, KVM_SET_MP_STATE, &mp);
}

static void act_interrupt(struct fz_vcpu *v)
{
	struct kvm_interrupt irq = {
		.irq = chance(80) ? rnd_below(256) : fuzz_u64(256),
	};

	FZ(v->fd, KVM_INTERRUPT, &irq);
}

static void act_memory_region(struct fz_vm *vm)
{
	static const uint64_t gpas[] = {
		0, MEM_SIZE, 0xfee00000, 0xfffff000, 0x100000000ull,
		1ull << 39, (1ull << 48) - PAGE_SIZE, 1ull << 48,
		(1ull << 52) - PAGE_SIZE, 1ull << 52, ~0ull & PAGE_MASK,
	};
	struct kvm_userspace_memory_region r = {};
	uint64_t pages = POOL_SIZE / PAGE_SIZE;

	/* Slot 0 (the code's) rarely. */
	r.slot = chance(10) ? 0 : 1 + rnd_below(3);
	if (chance(10))
		r.slot = fuzz_u64(r.slot);
	r.flags = chance(70) ? 0 : (chance(50) ? KVM_MEM_READONLY :
				    fuzz_u64(0));
	r.guest_phys_addr = chance(50) ? gpas[rnd_below(ARRAY_SIZE(gpas))] :
			    rnd_below(1ull << 33) & PAGE_MASK;
	if (chance(10))
		r.guest_phys_addr = fuzz_u64(r.guest_phys_addr);
	switch (rnd_below(5)) {
	case 0:
		r.memory_size = 0;	/* delete */
		break;
	case 1:
		r.memory_size = fuzz_u64(PAGE_SIZE);
		break;
	default:
		r.memory_size = (1 + rnd_below(pages)) * PAGE_SIZE;
		break;
	}
	r.userspace_addr = (uint64_t)vm->pool +
			   rnd_below(pages) * PAGE_SIZE;
	if (r.slot == 0 && r.memory_size)
		r.userspace_addr = (uint64_t)vm->mem;
	if (chance(10))
		r.userspace_addr = fuzz_u64(r.userspace_addr);
	FZ(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* Record the vCPU's state for the watchdog's report. */
static void snapshot(struct fz_vm *vm, struct fz_vcpu *v)
{
	snap.valid = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	FZ(v->fd, KVM_GET_REGS, &snap.regs);
	FZ(v->fd, KVM_GET_SREGS, &snap.sregs);
	FZ(v->fd, KVM_GET_VCPU_EVENTS, &snap.events);
	FZ(v->fd, KVM_GET_DEBUGREGS, &snap.debugregs);
	FZ(v->fd, KVM_GET_XCRS, &snap.xcrs);
	FZ(v->fd, KVM_GET_MP_STATE, &snap.mp);
	snap.mem = vm->mem;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	snap.valid = true;
}

static void act_run(struct fz_vm *vm, struct fz_vcpu *v)
{
	int r;

	if (!do_runs)
		return;
	if (v->run)
		v->run->immediate_exit = chance(3);
	snapshot(vm, v);
	r = FZ(v->fd, KVM_RUN, 0);
	nr_runs++;
	if (r)
		return;
	nr_run_ok++;
	if (!v->run)
		return;
	exits[v->run->exit_reason < ARRAY_SIZE(exits) - 1 ?
	      v->run->exit_reason : ARRAY_SIZE(exits) - 1]++;
	/* Whatever the guest reads from a port or MMIO: random. */
	if (v->run->exit_reason == KVM_EXIT_IO &&
	    v->run->io.direction == KVM_EXIT_IO_IN &&
	    v->run->io.data_offset + v->run->io.size * v->run->io.count <=
	    run_size) {
		uint8_t *d = (uint8_t *)v->run + v->run->io.data_offset;
		size_t i;

		for (i = 0; i < v->run->io.size * v->run->io.count; i++)
			d[i] = rnd();
	} else if (v->run->exit_reason == KVM_EXIT_MMIO &&
		   !v->run->mmio.is_write) {
		uint64_t x = rnd();

		memcpy(v->run->mmio.data, &x, sizeof(x));
	}
}

static void vcpu_create(struct fz_vm *vm)
{
	struct fz_vcpu *v;
	void *run;
	int fd;

	if (vm->nr >= MAX_VCPUS || vm->fd < 0)
		return;
	fd = FZ(vm->fd, KVM_CREATE_VCPU, (unsigned long)vm->next_id++);
	if (fd < 0)
		return;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	v = &vm->v[vm->nr++];
	v->fd = fd;
	v->run = run == MAP_FAILED ? NULL : run;
	if (chance(90))
		FZ(fd, KVM_SET_CPUID2, supported);
	set_mode(vm, v, pick_mode());
}

/* Close or unmap something: the round ends when nothing is left. */
static void act_close(struct fz_vm *vm)
{
	struct fz_vcpu *v = pick_vcpu(vm);

	switch (rnd_below(4)) {
	case 0:
		if (v) {
			op_begin("close(vCPU fd)");
			close(v->fd);
			op_end();
			v->fd = -1;
		}
		break;
	case 1:
		if (vm->fd >= 0) {
			op_begin("close(VM fd)");
			close(vm->fd);
			op_end();
			vm->fd = -1;
		}
		break;
	case 2:
		if (v && v->run) {
			op_begin("munmap(kvm_run)");
			munmap(v->run, run_size);
			op_end();
			v->run = NULL;
		}
		break;
	default: {
		/*
		 * Take guest pages away under the slot: new anonymous pages
		 * replace them at once (the fuzzer keeps writing code there),
		 * or they are dropped to be faulted in again as zeros.
		 */
		size_t off = rnd_below(MEM_SIZE / PAGE_SIZE) * PAGE_SIZE;
		size_t len = (1 + rnd_below(16)) * PAGE_SIZE;

		if (off + len > MEM_SIZE)
			len = MEM_SIZE - off;
		op_begin("mmap/madvise of guest memory");
		if (chance(50))
			TEST_ASSERT(mmap(vm->mem + off, len,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS |
					 MAP_FIXED, -1, 0) == vm->mem + off,
				    "mmap(MAP_FIXED) failed");
		else
			madvise(vm->mem + off, len, MADV_DONTNEED);
		op_end();
		break;
	}
	}
}

/* ---- rounds ---- */

static bool vm_setup(struct fz_vm *vm)
{
	struct kvm_userspace_memory_region r = {};
	unsigned int n;

	memset(vm, 0, sizeof(*vm));
	vm->fd = FZ(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		nr_create_failed++;
		if (nr_create_failed <= 3)
			pr_info("round %llu: KVM_CREATE_VM failed: %s",
				(unsigned long long)cur.round,
				errno_name(errno));
		return false;
	}
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vm->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(vm->mem != MAP_FAILED && vm->pool != MAP_FAILED,
		    "mmap failed");
	write_tables(vm->mem);
	r.memory_size = MEM_SIZE;
	r.userspace_addr = (uint64_t)vm->mem;
	FZ(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
	n = 1 + chance(30);
	while (n--)
		vcpu_create(vm);
	return true;
}

static void vm_teardown(struct fz_vm *vm)
{
	unsigned int i;

	op_begin("closing the round's VM");
	for (i = 0; i < vm->nr; i++) {
		if (vm->v[i].fd >= 0)
			close(vm->v[i].fd);
		if (vm->v[i].run)
			munmap(vm->v[i].run, run_size);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	snap.valid = false;
	snap.mem = NULL;
	munmap(vm->mem, MEM_SIZE);
	munmap(vm->pool, POOL_SIZE);
	op_end();
}

static void fuzz_round(uint64_t seed, uint64_t round)
{
	unsigned int steps, s;
	struct fz_vm vm;

	rng = splitmix64(seed ^ splitmix64(round));
	cur.round = round;
	if (!vm_setup(&vm))
		return;
	steps = 20 + rnd_below(400);
	for (s = 0; s < steps; s++) {
		struct fz_vcpu *v = pick_vcpu(&vm);
		unsigned int a = rnd_below(100);

		cur.step = s;
		if (!v && vm.fd < 0)
			break;
		if (!v) {
			if (chance(50))
				vcpu_create(&vm);
			else
				act_memory_region(&vm);
			continue;
		}
		if (a < 30)
			act_run(&vm, v);
		else if (a < 40)
			set_mode(&vm, v, pick_mode());
		else if (a < 45)
			act_regs(v);
		else if (a < 55)
			act_sregs(v);
		else if (a < 57)
			act_fpu(v);
		else if (a < 59)
			act_xsave(v);
		else if (a < 61)
			act_xcrs(v);
		else if (a < 66)
			act_msrs(v);
		else if (a < 68)
			act_debugregs(v);
		else if (a < 73)
			act_events(v);
		else if (a < 74)
			act_cpuid(v);
		else if (a < 76)
			act_mp_state(v);
		else if (a < 79)
			act_interrupt(v);
		else if (a < 81 && !tcg_safe)
			FZ(v->fd, KVM_NMI, 0);
		else if (a < 85)
			act_memory_region(&vm);
		else if (a < 90 && vm.mem)
			write_code(vm.mem, CODE_MIN +
				   rnd_below(MEM_SIZE - CODE_MIN));
		else if (a < 91)
			vcpu_create(&vm);
		else if (a < 92)
			act_close(&vm);
		else
			act_run(&vm, v);
	}
	vm_teardown(&vm);
}

static void tick(int sig)
{
	(void)sig;
}

static void timer_set(long us)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = us },
		.it_value = { .tv_usec = us },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t parse_u64(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	/* SA_RESTART keeps stdio whole; KVM_RUN still ends with EINTR. */
	struct sigaction sa = { .sa_handler = tick, .sa_flags = SA_RESTART };
	unsigned long long obj0 = 0, bytes0 = 0, obj = 0, bytes = 0;
	uint64_t seed, round, first, rounds, start;
	const char *s = env_str("KVMM_FUZZ_SEED", NULL);
	double budget = env_long("KVMM_FUZZ_SECONDS", 10);
	bool counters, emulated, ok;
	pthread_t wd;
	sigset_t set;
	unsigned int i;

	ksft_print_header();
	if (argc > 1)
		s = argv[1];
	if (argc > 2)
		budget = atof(argv[2]);
	seed = s ? parse_u64(s) : splitmix64(now_ns() ^ getpid());
	first = env_long("KVMM_FUZZ_FIRST_ROUND", 0);
	rounds = env_long("KVMM_FUZZ_ROUNDS", 0);
	hang_ms = env_long("KVMM_FUZZ_HANG_MS", HANG_MS_DEFAULT);
	emulated = getenv("KVMM_CONFIG") != NULL;
	modes = env_long("KVMM_FUZZ_MODES", emulated ? 6 : 7) & 7;
	if (!modes)
		modes = 7;
	tcg_safe = env_long("KVMM_FUZZ_TCG_SAFE", emulated);
	do_runs = env_long("KVMM_FUZZ_RUN", !emulated);
	cur.seed = seed;

	kvm_fd = _open_kvm_dev_path_or_exit(O_RDWR);
	/* Where kvmm cannot run guests yet, there are no VMs to fuzz. */
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	run_size = vcpu_mmap_size();
	supported = kvm_supported_cpuid_copy();
	{
		struct kvm_msr_list probe = { .nmsrs = 0 };

		__kvm_ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);
		msr_list = calloc(1, sizeof(*msr_list) +
				  probe.nmsrs * sizeof(uint32_t));
		TEST_ASSERT(msr_list, "out of memory");
		msr_list->nmsrs = probe.nmsrs;
		if (__kvm_ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, msr_list))
			msr_list->nmsrs = 0;
	}
	counters = test_mode() == TEST_MODE_KVMM &&
		   !kvmm_read_allocations(&obj0, &bytes0);

	ksft_set_plan(3);
	pr_info("seed %#llx, budget %.1f s, hang after %ld ms, modes %#x, tcg_safe %d, runs %d (replay: KVMM_FUZZ_SEED=%#llx, or argv[1])",
		(unsigned long long)seed, budget, hang_ms, modes, tcg_safe,
		do_runs, (unsigned long long)seed);
	if (!do_runs)
		pr_info("no KVM_RUN in the rounds: QEMU's TCG wedges on random guest code under kvm_amd too (KVMM_FUZZ_RUN=1 to run guests)");

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction failed");
	/* The timer's signals go to the fuzz thread, never the watchdog. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fuzz_thread = pthread_self();
	TEST_ASSERT(!pthread_create(&wd, NULL, watchdog_fn, NULL),
		    "pthread_create failed");
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	timer_set(TIMER_US);
	start = now_ns();
	for (round = first;
	     rounds ? round < first + rounds : elapsed_s(start) < budget;
	     round++)
		fuzz_round(seed, round);
	timer_set(0);

	pr_info("%llu rounds, %llu calls (%llu succeeded), %llu KVM_RUN (%llu returned 0) in %.1f s",
		(unsigned long long)(round - first), nr_calls, nr_ok, nr_runs,
		nr_run_ok, elapsed_s(start));
	for (i = 0; i < ARRAY_SIZE(exits); i++)
		if (exits[i])
			pr_info("  %s: %llu", i < ARRAY_SIZE(exits) - 1 ?
				exit_reason_str(i) : "other", exits[i]);
	/*
	 * The watchdog would have ended the program on a hang; a round
	 * count without a single guest run means nothing was fuzzed.
	 */
	ksft_test_result(do_runs ? nr_run_ok > 0 : nr_ok > 0,
			 "fuzz_no_hang (seed %#llx)", (unsigned long long)seed);

	/* /dev/kvm still works: a fresh VM runs a guest to HLT. */
	{
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = vm_create_barebones();

		vcpu = __vm_vcpu_add(vm, 0);
		vm_userspace_mem_region_add(vm, 0, 0, 16, 0);
		vcpu_setup_real_mode(vcpu, 0, 0x1000, 0x2000);
		*(uint8_t *)addr_gpa2hva(vm, 0x1000) = 0xf4;	/* hlt */
		ok = !_vcpu_run(vcpu) &&
		     vcpu->run->exit_reason == KVM_EXIT_HLT;
		if (!ok)
			pr_info("after fuzzing: KVM_RUN exit %s",
				exit_reason_str(vcpu->run->exit_reason));
		kvm_vm_free(vm);
		ksft_test_result(ok, "fuzz_then_guest_runs");
	}

	if (!counters) {
		ksft_test_result_skip("fuzz_no_leak",
				      "kvmm's allocation counters only");
	} else {
		start = now_ns();
		do {
			if (kvmm_read_allocations(&obj, &bytes))
				break;
			if (obj == obj0 && bytes == bytes0)
				break;
			msleep(10);
		} while (elapsed_s(start) < 2);
		pr_info("kvmm allocations: objects %llu -> %llu, bytes %llu -> %llu",
			obj0, obj, bytes0, bytes);
		ksft_test_result(obj == obj0 && bytes == bytes0,
				 "fuzz_no_leak");
	}
	ksft_finished();
}
