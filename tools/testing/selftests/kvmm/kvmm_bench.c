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
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

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

int main(void)
{
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	bench_cpuid();
	bench_exits("pio_out", guest_pio, KVM_EXIT_IO);
	bench_exits("mmio_read", guest_mmio, KVM_EXIT_MMIO);
	bench_touch();
	bench_memslots();
	bench_dirty_log();
	return 0;
}
