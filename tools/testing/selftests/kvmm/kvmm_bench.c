// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_bench: the costs issue #3 asks to compare between kvmm and the
 * reference KVM in the same test host (make bench).  Each figure is the
 * median of several rounds, printed as
 *
 *   bench: <name> <nanoseconds per operation>
 *
 * for the harness to turn into kvmm/KVM ratios.  Absolute values mean
 * nothing under an emulator; only ratios in one host do.
 *
 *   cpuid      an exit handled in the kernel (CPUID), per instruction
 *   pio_out    an exit to userspace and back (OUT), per instruction
 *   mmio_read  an MMIO read exit to userspace and back, per instruction
 *   touch_256m first write to each 4-KiB page of 256 MiB, per page; the
 *              memory is 2-MiB aligned with MADV_HUGEPAGE, as QEMU
 *              allocates guest RAM, so either hypervisor may map it with
 *              2-MiB pages where the host backs it with huge pages
 *   memslots   create and delete one of 1000 memory slots, per slot
 *   dirty_log_1g
 *              one round of the loop QEMU's migration runs over a 1-GiB
 *              slot with manual protection (KVM_GET_DIRTY_LOG, then
 *              KVM_CLEAR_DIRTY_LOG of what it returned), while the guest
 *              writes 2048 pages of it between rounds; per round
 *   dirty_refault
 *              the guest's write to a page the log protected again, per
 *              page (the same loop, the guest's side)
 *
 * With an in-kernel irqchip (KVM_CREATE_IRQCHIP; skipped without
 * KVM_CAP_IRQCHIP), the guests' LAPICs in xAPIC mode:
 *
 *   irqfd_wake an eventfd write to an irqfd on an MSI route, the vCPU
 *              run until the guest's handler (EOI, then an exit to
 *              userspace) reports it, per interrupt
 *   ipi_pingpong
 *              a fixed IPI from vCPU 0 to vCPU 1, whose handler EOIs and
 *              sends one back, both halting in between, per round trip;
 *              no exit to userspace but every NR_PINGPONG round trips
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "apic.h"
#include "irq_util.h"
#include "processor.h"

#define ROUNDS		5
#define NR_CPUID	20000
#define NR_EXITS	5000
#define BENCH_PORT	0x80
#define MMIO_GPA	0xc0000000ul
#define TOUCH_GPA	0x40000000ul	/* identity-mapped, above slot 0 */
#define TOUCH_SIZE	(256ul << 20)
#define HUGE_SIZE	(2ul << 20)
#define NR_SLOTS	1000
#define DIRTY_GPA	0x40000000ul
#define DIRTY_SIZE	(1ul << 30)
#define DIRTY_PAGES	(DIRTY_SIZE / 4096)
#define DIRTY_WRITES	2048		/* every 8th page of the first 64 MiB */
#define DIRTY_ROUNDS	20
#define NR_IRQFD	5000
#define IRQFD_GSI	24		/* the first above the IOAPIC's pins */
#define IRQFD_VECTOR	0x50
#define NR_PINGPONG	2000
#define PING_VECTOR	0x40		/* vCPU 0 -> vCPU 1 */
#define PONG_VECTOR	0x41		/* vCPU 1 -> vCPU 0 */
#define IRQ_BENCH_S	180		/* a lost interrupt ends kvmm_bench */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void report(const char *name, double *v)
{
	printf("bench: %s %.0f\n", name, median(v, ROUNDS) * 1e9);
	fflush(stdout);
}

/* ---- guests ---- */

static void guest_cpuid(void)
{
	uint32_t a, b, c, d;
	int i;

	for (;;) {
		for (i = 0; i < NR_CPUID; i++)
			cpuid_count(0, 0, &a, &b, &c, &d);
		GUEST_SYNC(0);
	}
}

static void guest_pio(void)
{
	for (;;)
		outb(BENCH_PORT, 0);
}

static void guest_mmio(void)
{
	for (;;)
		(void)*(volatile uint32_t *)MMIO_GPA;
}

static void guest_touch(void)
{
	uint64_t off;

	for (off = 0; off < TOUCH_SIZE; off += 4096)
		*(volatile uint8_t *)(TOUCH_GPA + off) = 1;
	GUEST_SYNC(0);
}

static void guest_dirty(void)
{
	uint64_t i, seq;

	for (seq = 1;; seq++) {
		for (i = 0; i < DIRTY_WRITES; i++)
			*(volatile uint64_t *)(DIRTY_GPA + i * 8 * 4096) = seq;
		GUEST_SYNC(0);
	}
}

/*
 * irqfd_wake: the LAPIC on, IF set, halted whenever nothing is pending.
 * Each interrupt's handler EOIs and reports it (GUEST_SYNC(1) with the
 * count); the host's next KVM_RUN returns from the handler.
 */
static volatile uint64_t irqfd_irqs;

static void guest_irqfd_handler(struct ex_regs *regs __attribute__((unused)))
{
	apic_write(APIC_EOI, 0);
	GUEST_SYNC_ARGS(1, ++irqfd_irqs, 0, 0, 0);
}

static void guest_irqfd(void)
{
	apic_write(APIC_SPIV, 0x1ff);
	GUEST_SYNC(0);
	__asm__ __volatile__("sti" ::: "memory");
	for (;;)
		halt();
}

/*
 * ipi_pingpong: vCPU 0 sends PING_VECTOR to APIC ID 1 and halts until
 * PONG_VECTOR came back, NR_PINGPONG times, then GUEST_SYNC(1); vCPU 1's
 * PING_VECTOR handler EOIs and sends PONG_VECTOR to APIC ID 0, and vCPU 1
 * halts in between, reporting GUEST_SYNC(1) after every NR_PINGPONG
 * pings.  Each side runs with IF clear but in "sti; hlt", so an
 * interrupt that comes before the HLT is taken at it (the STI shadow
 * covers the HLT) and none is missed.
 */
static volatile uint64_t pings, pongs;

static void guest_ping_handler(struct ex_regs *regs __attribute__((unused)))
{
	apic_write(APIC_EOI, 0);
	apic_send(0, PONG_VECTOR);	/* fixed, physical */
	pings++;
}

static void guest_pong_handler(struct ex_regs *regs __attribute__((unused)))
{
	apic_write(APIC_EOI, 0);
	pongs++;
}

static inline void sti_hlt_cli(void)
{
	__asm__ __volatile__("sti; hlt; cli" ::: "memory");
}

static void guest_ping(void)
{
	uint64_t seen;
	int i;

	apic_write(APIC_SPIV, 0x1ff);
	GUEST_SYNC(0);
	for (;;) {
		for (i = 0; i < NR_PINGPONG; i++) {
			seen = pongs;
			apic_send(1, PING_VECTOR);
			while (pongs == seen)
				sti_hlt_cli();
			GUEST_ASSERT_EQ(pongs, seen + 1);
		}
		GUEST_SYNC(1);
	}
}

static void guest_pong(void)
{
	uint64_t target = 0;

	apic_write(APIC_SPIV, 0x1ff);
	GUEST_SYNC(0);
	for (;;) {
		target += NR_PINGPONG;
		while (pings < target)
			sti_hlt_cli();
		GUEST_ASSERT_EQ(pings, target);
		GUEST_SYNC(1);
	}
}

/* ---- host ---- */

static void bench_cpuid(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid);
	double t[ROUNDS];
	int r;

	vcpu_run_expect_sync(vcpu, 0);		/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_s();

		vcpu_run_expect_sync(vcpu, 0);
		t[r] = (now_s() - t0) / NR_CPUID;
	}
	report("cpuid", t);
	kvm_vm_free(vm);
}

static void run_exits(struct kvm_vcpu *vcpu, uint32_t reason, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT(vcpu->run->exit_reason == reason,
			    "exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
}

static void bench_exits(const char *name, void *guest, uint32_t reason)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest);
	double t[ROUNDS];
	int r;

	run_exits(vcpu, reason, 100);
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_s();

		run_exits(vcpu, reason, NR_EXITS);
		t[r] = (now_s() - t0) / NR_EXITS;
	}
	report(name, t);
	kvm_vm_free(vm);
}

/* Fresh anonymous memory the way QEMU maps guest RAM: 2-MiB aligned. */
static void *guest_ram_alloc(size_t size)
{
	size_t len = size + HUGE_SIZE;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *ram;

	TEST_ASSERT(p != MAP_FAILED, "mmap(%zu)", len);
	ram = (uint8_t *)(((uintptr_t)p + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (ram > p)
		munmap(p, ram - p);
	munmap(ram + size, p + len - (ram + size));
	/* Only advice: a host without THP still runs the benchmark. */
	madvise(ram, size, MADV_HUGEPAGE);
	return ram;
}

static void bench_touch(void)
{
	double t[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_touch);
		void *ram = guest_ram_alloc(TOUCH_SIZE);
		double t0;

		vm_set_user_memory_region(vm, 1, 0, TOUCH_GPA, TOUCH_SIZE, ram);
		t0 = now_s();
		vcpu_run_expect_sync(vcpu, 0);
		t[r] = (now_s() - t0) / (TOUCH_SIZE / 4096);
		kvm_vm_free(vm);
		munmap(ram, TOUCH_SIZE);
	}
	report("touch_256m", t);
}

static void bench_memslots(void)
{
	size_t size = NR_SLOTS * 4096ul;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t[ROUNDS];
	int r, i;

	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	for (r = 0; r < ROUNDS; r++) {
		struct kvm_vm *vm = vm_create_barebones();
		double t0 = now_s();

		for (i = 0; i < NR_SLOTS; i++)
			vm_set_user_memory_region(vm, i, 0, i * 4096ul, 4096,
						  mem + i * 4096ul);
		for (i = 0; i < NR_SLOTS; i++)
			vm_set_user_memory_region(vm, i, 0, i * 4096ul, 0,
						  mem + i * 4096ul);
		t[r] = (now_s() - t0) / NR_SLOTS;
		kvm_vm_free(vm);
	}
	report("memslots", t);
	munmap(mem, size);
}

static void bench_dirty_log(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
	};
	static uint64_t bitmap[DIRTY_PAGES / 64];
	struct kvm_dirty_log get = { .slot = 1, .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log clear = {
		.slot = 1, .num_pages = DIRTY_PAGES, .dirty_bitmap = bitmap,
	};
	double t[ROUNDS], f[ROUNDS];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *ram;
	int r, i;

	if (!(kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) &
	      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return;
	vm = vm_create_with_one_vcpu(&vcpu, guest_dirty);
	ram = guest_ram_alloc(DIRTY_SIZE);
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vm_set_user_memory_region(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, DIRTY_GPA,
				  DIRTY_SIZE, ram);
	/* Warm up: the pages get mapped, the log starts from a clear state. */
	vcpu_run_expect_sync(vcpu, 0);
	vm_ioctl(vm, KVM_GET_DIRTY_LOG, &get);
	vm_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear);
	for (r = 0; r < ROUNDS; r++) {
		double harvest = 0, write = 0;

		for (i = 0; i < DIRTY_ROUNDS; i++) {
			double t0 = now_s(), t1;

			vcpu_run_expect_sync(vcpu, 0);
			t1 = now_s();
			vm_ioctl(vm, KVM_GET_DIRTY_LOG, &get);
			TEST_ASSERT(bitmap[0] == 0x0101010101010101ull,
				    "bitmap word 0: %#llx",
				    (unsigned long long)bitmap[0]);
			vm_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear);
			harvest += now_s() - t1;
			write += t1 - t0;
		}
		t[r] = harvest / DIRTY_ROUNDS;
		f[r] = write / DIRTY_ROUNDS / DIRTY_WRITES;
	}
	report("dirty_log_1g", t);
	report("dirty_refault", f);
	kvm_vm_free(vm);
	munmap(ram, DIRTY_SIZE);
}

/*
 * A lost interrupt leaves a vCPU halted for good: after IRQ_BENCH_S
 * seconds, end kvmm_bench (the benchmarks that need an irqchip come
 * last) rather than hold the test host until its own timeout, which
 * would cost the QEMU boot figures after it.  alarm(0) disarms it.
 */
static char timeout_msg[80];

static void bench_timeout(int sig __attribute__((unused)))
{
	ssize_t r = write(STDOUT_FILENO, timeout_msg, strlen(timeout_msg));

	(void)r;
	_exit(1);
}

static void watchdog(const char *name)
{
	struct sigaction sa = { .sa_handler = bench_timeout };

	snprintf(timeout_msg, sizeof(timeout_msg),
		 "# bench: %s: no result within %d s, giving up\n", name,
		 IRQ_BENCH_S);
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction");
	alarm(IRQ_BENCH_S);
}

/* @nr interrupts through the irqfd, each seen by the guest's handler. */
static void irqfd_ops(struct kvm_vcpu *vcpu, int efd, int nr, uint64_t *n)
{
	struct ucall uc;
	int i;

	for (i = 0; i < nr; i++) {
		TEST_ASSERT(!eventfd_write(efd, 1), "eventfd write: %s",
			    strerror(errno));
		uc = vcpu_run_expect_sync(vcpu, 1);
		TEST_ASSERT(uc.args[1] == ++*n, "interrupt %llu, guest counted %llu",
			    (unsigned long long)*n,
			    (unsigned long long)uc.args[1]);
	}
}

static void bench_irqfd(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double t[ROUNDS];
	uint64_t n = 0;
	int efd, r;

	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		return;
	watchdog("irqfd_wake");
	vm = vm_create(0);
	vm_create_irqchip(vm);		/* before the vCPUs */
	vcpu = vm_vcpu_add(vm, 0, guest_irqfd);
	vm_install_exception_handler(vm, IRQFD_VECTOR, guest_irqfd_handler);
	r = route1(vm, msi_route(IRQFD_GSI, 0, IRQFD_VECTOR));
	TEST_ASSERT(!r, "KVM_SET_GSI_ROUTING: %s", errno_name(-r));
	efd = new_eventfd();
	r = irqfd(vm, efd, IRQFD_GSI, 0, 0);
	TEST_ASSERT(!r, "KVM_IRQFD: %s", errno_name(-r));

	vcpu_run_expect_sync(vcpu, 0);		/* LAPIC enabled */
	irqfd_ops(vcpu, efd, 100, &n);		/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_s();

		irqfd_ops(vcpu, efd, NR_IRQFD, &n);
		t[r] = (now_s() - t0) / NR_IRQFD;
	}
	alarm(0);
	report("irqfd_wake", t);
	kvm_vm_free(vm);
	close(efd);
}

/* vCPU 1's thread: the warm-up round and ROUNDS more. */
static void *pong_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	int r;

	for (r = 0; r < ROUNDS + 1; r++)
		vcpu_run_expect_sync(vcpu, 1);
	return NULL;
}

static void bench_ipi(void)
{
	struct kvm_vcpu *ping, *pong;
	struct kvm_vm *vm;
	double t[ROUNDS];
	pthread_t thread;
	int r;

	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		return;
	watchdog("ipi_pingpong");
	vm = vm_create(0);
	vm_create_irqchip(vm);		/* before the vCPUs */
	ping = vm_vcpu_add(vm, 0, guest_ping);
	pong = vm_vcpu_add(vm, 1, guest_pong);
	vm_install_exception_handler(vm, PING_VECTOR, guest_ping_handler);
	vm_install_exception_handler(vm, PONG_VECTOR, guest_pong_handler);
	/* vm_vcpu_add() set its registers; the AP runs without INIT/SIPI. */
	vcpu_set_mp_state(pong, KVM_MP_STATE_RUNNABLE);

	/* Both LAPICs enabled before the first IPI. */
	vcpu_run_expect_sync(ping, 0);
	vcpu_run_expect_sync(pong, 0);
	TEST_ASSERT(!pthread_create(&thread, NULL, pong_thread, pong),
		    "pthread_create");
	vcpu_run_expect_sync(ping, 1);		/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_s();

		vcpu_run_expect_sync(ping, 1);
		t[r] = (now_s() - t0) / NR_PINGPONG;
	}
	pthread_join(thread, NULL);
	alarm(0);
	report("ipi_pingpong", t);
	kvm_vm_free(vm);
}

int main(void)
{
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	bench_cpuid();
	bench_exits("pio_out", guest_pio, KVM_EXIT_IO);
	bench_exits("mmio_read", guest_mmio, KVM_EXIT_MMIO);
	bench_touch();
	bench_memslots();
	bench_dirty_log();
	bench_irqfd();
	bench_ipi();
	return 0;
}
