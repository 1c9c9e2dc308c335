// SPDX-License-Identifier: GPL-2.0
/*
 * coalesced_mmio: KVM_REGISTER/UNREGISTER_COALESCED_MMIO and the ring
 * (api.rst 4.67, KVM_CAP_COALESCED_MMIO, KVM_CAP_COALESCED_PIO).
 *
 * Guest writes into a zone are appended to the ring page (vCPU mmap at
 * KVM_COALESCED_MMIO_PAGE_OFFSET) with no exit, in order, with address,
 * length and data; reads exit as before.  A write that finds the ring
 * full is a normal KVM_EXIT_MMIO, and draining the ring at each exit, as
 * a VMM does, gives back every write in the guest's order.
 *
 * The ring keeps one entry free, so it holds KVM_COALESCED_MMIO_MAX - 1.
 * Linux 6.1 computes the free space as (first - last - 1) % MAX in
 * unsigned 32-bit arithmetic, which is not modular for MAX = 170 and says
 * "full" once last - first reaches 85; the reference may therefore stop
 * at 85 (checked loosely there, exactly on kvmm).
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/eventfd.h>

#include "guest_io.h"

#define ZONE_ADDR	0xc0010000ull	/* outside every slot */
#define ZONE_SIZE	0x800	/* ends mid-page: no access crosses a page */
#define PIO_ZONE	0xe0
#define RING_MAX	KVM_COALESCED_MMIO_MAX

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static struct kvm_coalesced_mmio_ring *ring;

static int __zone(uint64_t addr, uint32_t size, uint32_t pio, bool reg)
{
	struct kvm_coalesced_mmio_zone z = {
		.addr = addr, .size = size, .pio = pio,
	};

	return __vm_ioctl(vm, reg ? KVM_REGISTER_COALESCED_MMIO :
				    KVM_UNREGISTER_COALESCED_MMIO, &z) ?
	       -errno : 0;
}

static uint32_t ring_count(void)
{
	return (ring->last + RING_MAX - ring->first) % RING_MAX;
}

/* Take every entry out of the ring (as a VMM does at each exit). */
static unsigned int ring_drain(struct kvm_coalesced_mmio *out,
			       unsigned int max)
{
	unsigned int n = 0;

	while (ring->first != ring->last) {
		if (n < max)
			out[n] = ring->coalesced_mmio[ring->first];
		n++;
		ring->first = (ring->first + 1) % RING_MAX;
	}
	return n;
}

static bool entry_is(const struct kvm_coalesced_mmio *e, uint64_t addr,
		     uint32_t len, uint64_t data, uint32_t pio)
{
	if (e->phys_addr == addr && e->len == len && e->pio == pio &&
	    !memcmp(e->data, &data, len))
		return true;
	pr_info("entry addr %#llx len %u pio %u data %#llx; want %#llx %u %u %#llx",
		(unsigned long long)e->phys_addr, e->len, e->pio,
		*(unsigned long long *)e->data, (unsigned long long)addr,
		len, pio, (unsigned long long)data);
	return false;
}

static void test_caps(void)
{
	long size = __kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	bool ok;

	ok = vm_check_cap(vm, KVM_CAP_COALESCED_MMIO) ==
		KVM_COALESCED_MMIO_PAGE_OFFSET &&
	     vm_check_cap(vm, KVM_CAP_COALESCED_PIO) == 1;
	if (size < (long)((KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE)) {
		pr_info("KVM_GET_VCPU_MMAP_SIZE %ld: no room for the ring",
			size);
		ok = false;
	}
	ksft_test_result(ok, "caps_and_mmap_size");
}

/* Writes of each length at several places: in the ring, in order. */
static void test_ring_order(void)
{
	static const uint32_t lens[] = { 4, 1, 8, 2, 4, 8 };
	struct kvm_coalesced_mmio e[8];
	unsigned int i, exits = 0;
	bool ok;

	ok = !__zone(ZONE_ADDR, ZONE_SIZE, 0, true);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		exits += gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR + 0x10 * i,
				lens[i], 0x1111111111111111ull * (i + 1), 1,
				NULL);
	if (exits) {
		pr_info("%u exit(s) for writes into the zone", exits);
		ok = false;
	}
	ok = ok && ring_count() == ARRAY_SIZE(lens);
	ok = ok && ring_drain(e, ARRAY_SIZE(e)) == ARRAY_SIZE(lens);
	for (i = 0; ok && i < ARRAY_SIZE(lens); i++) {
		uint64_t v = 0x1111111111111111ull * (i + 1);

		ok = entry_is(&e[i], ZONE_ADDR + 0x10 * i, lens[i], v, 0);
	}
	ksft_test_result(ok, "ring_order_and_data");
}

/* Reads, and writes not wholly inside the zone, exit as before. */
static void test_exits(void)
{
	struct gio_exit x;
	bool ok;

	ok = gio_do(vcpu, GIO_MMIO_READ, ZONE_ADDR + 8, 4, 0, 1, &x) == 1 &&
	     x.reason == KVM_EXIT_MMIO && !x.write && x.addr == ZONE_ADDR + 8;
	sync_global_from_guest(vm, gio_result);
	ok = ok && gio_result == (uint32_t)gio_read_answer;
	ksft_test_result(ok && ring_count() == 0, "reads_exit");

	ok = gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR + ZONE_SIZE - 2, 4, 5, 1,
		    &x) == 1 && x.write && x.addr == ZONE_ADDR + ZONE_SIZE - 2;
	ok = ok && gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR + ZONE_SIZE, 1, 5,
			  1, &x) == 1;
	ok = ok && gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR - 4, 4, 5, 1,
			  &x) == 1;
	ksft_test_result(ok && ring_count() == 0, "outside_zone_exits");
}

/*
 * Fill the ring: the write that finds it full exits with its data; the
 * test drains the ring at each exit, and in the end has every write once,
 * in order, whether it went through the ring or the exit.
 */
static struct kvm_coalesced_mmio seq[2 * RING_MAX];
static uint32_t seq_data[2 * RING_MAX];
static unsigned int seq_n, full_exits, bad_fill;

static void full_hook(struct kvm_vcpu *v __attribute__((unused)),
		      const struct gio_exit *x)
{
	unsigned int n = ring_count(), i;

	/* Only a full ring may turn a write in the zone into an exit. */
	if (test_mode() == TEST_MODE_REF ? n != RING_MAX - 1 && n != 85 :
					   n != RING_MAX - 1) {
		pr_info("exit with %u entries in the ring", n);
		bad_fill++;
	}
	full_exits++;
	n = ring_drain(seq + seq_n, ARRAY_SIZE(seq) - seq_n);
	for (i = 0; i < n && seq_n < ARRAY_SIZE(seq); i++, seq_n++)
		memcpy(&seq_data[seq_n], seq[seq_n].data, 4);
	if (x->reason == KVM_EXIT_MMIO && x->write &&
	    seq_n < ARRAY_SIZE(seq)) {
		seq_data[seq_n] = x->data;
		seq_n++;
	}
}

static void test_ring_full(void)
{
	const unsigned int total = RING_MAX + 40;
	unsigned int i, n;
	bool ok = true;

	ring->first = ring->last;
	gio_exit_hook = full_hook;
	gio_do(vcpu, GIO_MMIO_WRITE_SEQ, ZONE_ADDR, 4, 0, total, NULL);
	gio_exit_hook = NULL;
	n = ring_drain(seq + seq_n, ARRAY_SIZE(seq) - seq_n);
	for (i = 0; i < n; i++, seq_n++)
		memcpy(&seq_data[seq_n], seq[seq_n].data, 4);

	pr_info("%u writes: %u exit(s) on a full ring", total, full_exits);
	if (!full_exits || bad_fill || seq_n != total)
		ok = false;
	for (i = 0; ok && i < total; i++) {
		if (seq_data[i] != i) {
			pr_info("write %u: got data %u", i, seq_data[i]);
			ok = false;
		}
	}
	ksft_test_result(ok, "ring_full_exits_in_order");
}

/*
 * Hostile indexes: userspace owns the page, so 'first' and 'last' can be
 * anything.  Out-of-range values must not make the kernel write outside
 * the ring: the write exits instead (kvmm), or lands in the ring (Linux
 * takes an out-of-range 'first' as room).  Either way the page's tail
 * past the last entry stays untouched.
 */
static void test_hostile_indexes(void)
{
	static const uint32_t bad[][2] = {
		{ 0, RING_MAX }, { 0, 0xffffffff }, { RING_MAX, 0 },
		{ 0x80000000, 0x80000000 },
	};
	uint8_t *tail = (uint8_t *)&ring->coalesced_mmio[RING_MAX];
	size_t tail_len = PAGE_SIZE - (tail - (uint8_t *)ring);
	unsigned int i;
	bool ok = true;

	memset(tail, 0x5a, tail_len);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ring->first = bad[i][0];
		ring->last = bad[i][1];
		gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR, 4, i, 1, NULL);
		if (ring->last >= RING_MAX && ring->last != bad[i][1]) {
			pr_info("first %#x last %#x: last became %#x",
				bad[i][0], bad[i][1], ring->last);
			ok = false;
		}
	}
	for (i = 0; i < tail_len; i++)
		ok = ok && tail[i] == 0x5a;
	ring->first = ring->last = 0;
	ksft_test_result(ok, "hostile_indexes");
}

/* A port zone: OUT appends an entry with pio = 1, IN exits. */
static void test_pio_zone(void)
{
	struct kvm_coalesced_mmio e[2];
	struct gio_exit x;
	bool ok;

	ok = !__zone(PIO_ZONE, 8, 1, true);
	ok = ok && gio_do(vcpu, GIO_PIO_OUT, PIO_ZONE + 2, 2, 0xbeef, 1,
			  NULL) == 0;
	ok = ok && ring_drain(e, 2) == 1 &&
	     entry_is(&e[0], PIO_ZONE + 2, 2, 0xbeef, 1);
	ok = ok && gio_do(vcpu, GIO_PIO_IN, PIO_ZONE, 1, 0, 1, &x) == 1 &&
	     x.reason == KVM_EXIT_IO && !x.write;
	ok = ok && gio_do(vcpu, GIO_PIO_OUT, PIO_ZONE + 8, 1, 1, 1, &x) == 1;
	ok = ok && !__zone(PIO_ZONE, 8, 1, false);
	ok = ok && gio_do(vcpu, GIO_PIO_OUT, PIO_ZONE, 1, 1, 1, &x) == 1 &&
	     ring_count() == 0;
	ksft_test_result(ok, "pio_zone");
}

/*
 * Unregister takes the zones that hold the given range (any part of a
 * zone names it), of the same kind; no zone is not an error.
 */
static void test_unregister(void)
{
	struct kvm_coalesced_mmio e[2];
	struct gio_exit x;
	bool ok;

	/* The other kind, and a range in no zone: nothing goes. */
	ok = !__zone(ZONE_ADDR, ZONE_SIZE, 1, false) &&
	     !__zone(0xd0000000ull, 16, 0, false) &&
	     !__zone(ZONE_ADDR + ZONE_SIZE - 2, 4, 0, false);
	ok = ok && gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR, 4, 1, 1, NULL) == 0;
	ok = ok && ring_drain(e, 2) == 1;
	/* Four bytes inside name the whole zone. */
	ok = ok && !__zone(ZONE_ADDR + 0x100, 4, 0, false);
	ok = ok && gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR, 4, 1, 1, &x) == 1 &&
	     x.reason == KVM_EXIT_MMIO && ring_count() == 0;
	ok = ok && !__zone(ZONE_ADDR, ZONE_SIZE, 0, false);
	ok = ok && __zone(ZONE_ADDR, 4, 2, true) == -EINVAL &&
	     __zone(ZONE_ADDR, 4, 2, false) == -EINVAL &&
	     __zone(ZONE_ADDR, 4, ~0u, true) == -EINVAL;
	ok = ok && gio_do(vcpu, GIO_MMIO_WRITE, ZONE_ADDR, 4, 1, 1, &x) == 1;
	ksft_test_result(ok, "unregister_and_errnos");
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(bus_jmp, 1);
}

/*
 * The ring is one page of the VM: every vCPU fd maps the same page at
 * KVM_COALESCED_MMIO_PAGE_OFFSET.  The page after it is no page: mmap
 * succeeds, touching it is SIGBUS.
 */
static void test_mmap(void)
{
	struct kvm_vcpu *v1 = __vm_vcpu_add(vm, 1);
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile uint32_t *other, *bad;
	bool ok = true;

	other = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     v1->fd, KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE);
	TEST_ASSERT(other != MAP_FAILED, "mmap ring: %s", strerror(errno));
	ring->first = 7;
	ok = other[0] == 7;
	other[0] = 0;
	ok = ok && ring->first == 0;
	munmap((void *)other, PAGE_SIZE);

	bad = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, vcpu->fd,
		   (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE);
	if (bad == MAP_FAILED) {
		pr_info("mmap at page %d: %s", KVM_COALESCED_MMIO_PAGE_OFFSET + 1,
			strerror(errno));
		ok = false;
	} else {
		sigaction(SIGBUS, &sa, &old);
		if (!sigsetjmp(bus_jmp, 1)) {
			(void)bad[0];
			pr_info("page %d of the vCPU fd is readable",
				KVM_COALESCED_MMIO_PAGE_OFFSET + 1);
			ok = false;
		}
		sigaction(SIGBUS, &old, NULL);
		munmap((void *)bad, PAGE_SIZE);
	}
	ksft_test_result(ok, "ring_mmap_shared_bad_offset_sigbus");
}

/*
 * At most 1000 devices on a bus (KVM's NR_IOBUS_DEVS): the next zone gets
 * -ENOSPC.  ioeventfds do not count (1000 zones fit beside one), but once
 * the bus is full a new ioeventfd is refused too, as in KVM.  The PIO bus
 * is another bus.  The VM's destruction frees them all.
 */
static void test_limit(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	struct kvm_ioeventfd a = {
		.addr = 0xd0000000ull, .len = 4, .fd = fd,
	};
	unsigned int i;
	int r;
	bool ok;

	r = __vm_ioctl(vm, KVM_IOEVENTFD, &a) ? -errno : 0;
	for (i = 0; i < 1000 && !r; i++)
		r = __zone(0xe0000000ull + 16 * i, 8, 0, true);
	if (r)
		pr_info("zone %u: %s", i - 1, errno_name(-r));
	ok = !r && __zone(0xe0000000ull + 16 * i, 8, 0, true) == -ENOSPC;
	a.addr += 4;
	ok = ok && __vm_ioctl(vm, KVM_IOEVENTFD, &a) && errno == ENOSPC;
	ok = ok && !__zone(PIO_ZONE, 4, 1, true);
	ksft_test_result(ok, "device_limit_enospc");
	close(fd);
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_COALESCED_MMIO));

	ksft_set_plan(10);
	vm = gio_vm_create(&vcpu);
	TEST_ASSERT(vcpu->run_size >= 3 * PAGE_SIZE, "no ring in the mmap");
	ring = (void *)((uint8_t *)vcpu->run +
			KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE);
	test_caps();
	test_ring_order();
	test_exits();
	test_ring_full();
	test_hostile_indexes();
	test_pio_zone();
	test_unregister();
	test_mmap();
	test_limit();
	gio_vm_free(vm, vcpu);
	ksft_finished();
}
