// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd: KVM_IOEVENTFD (api.rst 4.59).
 *
 * A guest write that an ioeventfd matches signals its eventfd in the
 * kernel: the write completes, the guest goes on, and KVM_RUN does not
 * return for it.  A write it does not match (other address, other
 * length, other data with DATAMATCH) is a normal KVM_EXIT_MMIO/KVM_EXIT_IO;
 * reads always are.  Checked for every length on both buses, the wildcard
 * length 0, REP OUTSB, several ioeventfds at one address, deassignment and
 * the errnos of Linux's KVM (virt/kvm/eventfd.c).
 */
#include <sys/eventfd.h>

#include "guest_io.h"

#define MMIO_ADDR	0xc0001000ull	/* outside every slot */
#define PIO_PORT	0xe0		/* not the ucall port */

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	TEST_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

/* The eventfd's counter, which the read resets; 0 when not signalled. */
static uint64_t efd_count(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v)) {
		TEST_ASSERT(errno == EAGAIN, "eventfd read: %s",
			    strerror(errno));
		return 0;
	}
	return v;
}

static int __ioeventfd(uint64_t addr, uint32_t len, int fd, uint32_t flags,
		       uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return __vm_ioctl(vm, KVM_IOEVENTFD, &a) ? -errno : 0;
}

static uint64_t pattern(uint32_t len)
{
	uint64_t v = 0x0123456789abcdefull;

	return len >= 8 ? v : v & ((1ull << (8 * (len ? len : 8))) - 1);
}

/* One guest write; false (with a message) unless it went as expected. */
static bool write_check(bool pio, uint64_t addr, uint32_t len, uint64_t val,
			int fd, uint64_t want_count, bool want_exit)
{
	struct gio_exit x;
	unsigned int exits;
	uint64_t count;

	exits = gio_do(vcpu, pio ? GIO_PIO_OUT : GIO_MMIO_WRITE, addr, len,
		       val, 1, &x);
	count = fd >= 0 ? efd_count(fd) : 0;
	if (count != want_count || exits != (want_exit ? 1 : 0)) {
		pr_info("%s write %#llx len %u val %#llx: eventfd %llu (want %llu), %u exit(s) (want %u)",
			pio ? "PIO" : "MMIO", (unsigned long long)addr, len,
			(unsigned long long)val, (unsigned long long)count,
			(unsigned long long)want_count, exits, want_exit);
		return false;
	}
	if (want_exit &&
	    (x.reason != (pio ? KVM_EXIT_IO : KVM_EXIT_MMIO) ||
	     x.addr != addr || x.len != len || !x.write ||
	     memcmp(&x.data, &val, len))) {
		pr_info("exit %s addr %#llx len %u write %d data %#llx: not the guest's write",
			exit_reason_str(x.reason), (unsigned long long)x.addr,
			x.len, x.write, (unsigned long long)x.data);
		return false;
	}
	return true;
}

static void test_caps(void)
{
	ksft_test_result(vm_check_cap(vm, KVM_CAP_IOEVENTFD) == 1 &&
			 vm_check_cap(vm, KVM_CAP_IOEVENTFD_ANY_LENGTH) == 1 &&
			 vm_check_cap(vm, KVM_CAP_IOEVENTFD_NO_LENGTH) == 1,
			 "caps");
}

/*
 * Every length on one bus: a wildcard ioeventfd takes writes of its length
 * at its address only; one with DATAMATCH takes only its value.
 */
static void test_lengths(bool pio)
{
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint32_t flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
	uint64_t addr = pio ? PIO_PORT : MMIO_ADDR;
	const char *bus = pio ? "pio" : "mmio";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint32_t len = lens[i], other = len == 1 ? 2 : 1;
		/* A port access is at most 4 bytes: len 8 never matches. */
		uint32_t wlen = pio && len == 8 ? 4 : len;
		bool hit = wlen == len;
		uint64_t v = pattern(len);
		int fd = new_eventfd();
		bool ok;

		ok = !__ioeventfd(addr, len, fd, flags, 0);
		ok = ok && write_check(pio, addr, wlen, v, fd, hit, !hit);
		ok = ok && write_check(pio, addr, wlen, v ^ 1, fd, hit, !hit);
		ok = ok && write_check(pio, addr, other, 1, fd, 0, true);
		ok = ok && write_check(pio, addr + 1, 1, 1, fd, 0, true);
		ok = ok && !__ioeventfd(addr, len, fd,
					flags | KVM_IOEVENTFD_FLAG_DEASSIGN, 0);
		ok = ok && write_check(pio, addr, wlen, v, fd, 0, true);
		ksft_test_result(ok, "%s_len%u", bus, len);

		flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		ok = !__ioeventfd(addr, len, fd, flags, v);
		ok = ok && write_check(pio, addr, wlen, v, fd, hit, !hit);
		/* A miss is a normal exit carrying the guest's data. */
		ok = ok && write_check(pio, addr, wlen, v ^ 0x80, fd, 0, true);
		ok = ok && !__ioeventfd(addr, len, fd,
					flags | KVM_IOEVENTFD_FLAG_DEASSIGN, v);
		flags &= ~KVM_IOEVENTFD_FLAG_DATAMATCH;
		ksft_test_result(ok, "%s_len%u_datamatch", bus, len);
		close(fd);
	}
}

/* Length 0: any write starting at the address, whatever its length. */
static void test_len0(bool pio)
{
	uint32_t flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
	uint64_t addr = pio ? PIO_PORT : MMIO_ADDR;
	uint32_t len, max = pio ? 4 : 8;
	int fd = new_eventfd();
	bool ok;

	ok = !__ioeventfd(addr, 0, fd, flags, 0);
	for (len = 1; ok && len <= max; len *= 2)
		ok = write_check(pio, addr, len, pattern(len), fd, 1, false);
	ok = ok && write_check(pio, addr + 1, 1, 1, fd, 0, true);
	ok = ok && !__ioeventfd(addr, 0, fd,
				flags | KVM_IOEVENTFD_FLAG_DEASSIGN, 0);
	ok = ok && write_check(pio, addr, 1, 1, fd, 0, true);
	ksft_test_result(ok, "%s_len0", pio ? "pio" : "mmio");
	close(fd);
}

/* REP OUTSB: each byte is one write, each signals; no exit at all. */
static void test_rep_outsb(void)
{
	int fd = new_eventfd();
	unsigned int exits;
	uint64_t count;
	bool ok;

	ok = !__ioeventfd(PIO_PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO, 0);
	exits = gio_do(vcpu, GIO_PIO_OUTSB, PIO_PORT, 1, 0, 8, NULL);
	count = efd_count(fd);
	if (exits || count != 8) {
		pr_info("REP OUTSB x8: %u exit(s), eventfd %llu", exits,
			(unsigned long long)count);
		ok = false;
	}
	ok = ok && !__ioeventfd(PIO_PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO |
				KVM_IOEVENTFD_FLAG_DEASSIGN, 0);
	ksft_test_result(ok, "pio_rep_outsb");
	close(fd);
}

/* Reads of an ioeventfd's address exit and get userspace's answer. */
static void test_reads_exit(void)
{
	int mfd = new_eventfd(), pfd = new_eventfd();
	struct gio_exit x;
	bool ok;

	ok = !__ioeventfd(MMIO_ADDR, 4, mfd, 0, 0) &&
	     !__ioeventfd(PIO_PORT, 4, pfd, KVM_IOEVENTFD_FLAG_PIO, 0);
	ok = ok && gio_do(vcpu, GIO_MMIO_READ, MMIO_ADDR, 4, 0, 1, &x) == 1 &&
	     x.reason == KVM_EXIT_MMIO && !x.write && x.addr == MMIO_ADDR;
	sync_global_from_guest(vm, gio_result);
	ok = ok && gio_result == (uint32_t)gio_read_answer;
	ok = ok && gio_do(vcpu, GIO_PIO_IN, PIO_PORT, 4, 0, 1, &x) == 1 &&
	     x.reason == KVM_EXIT_IO && !x.write && x.addr == PIO_PORT;
	sync_global_from_guest(vm, gio_result);
	ok = ok && gio_result == (uint32_t)gio_read_answer;
	ok = ok && !efd_count(mfd) && !efd_count(pfd);
	ksft_test_result(ok, "reads_exit");
	close(mfd);
	close(pfd);
}

/*
 * Several ioeventfds at one address: different data, different lengths,
 * and the other bus; each write signals exactly the one it matches.
 */
static void test_overlapping(void)
{
	const uint64_t addr = MMIO_ADDR + 0x400;
	int fd1 = new_eventfd(), fd2 = new_eventfd(), fd3 = new_eventfd();
	int fd4 = new_eventfd();
	uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	bool ok;

	ok = !__ioeventfd(addr, 4, fd1, dm, 1) &&
	     !__ioeventfd(addr, 4, fd2, dm, 2) &&
	     !__ioeventfd(addr, 2, fd3, 0, 0) &&
	     !__ioeventfd(addr, 4, fd4, KVM_IOEVENTFD_FLAG_PIO, 0);
	ok = ok && write_check(false, addr, 4, 1, fd1, 1, false) &&
	     !efd_count(fd2) && !efd_count(fd3);
	ok = ok && write_check(false, addr, 4, 2, fd2, 1, false) &&
	     !efd_count(fd1) && !efd_count(fd3);
	ok = ok && write_check(false, addr, 4, 3, fd1, 0, true) &&
	     !efd_count(fd2) && !efd_count(fd3);
	ok = ok && write_check(false, addr, 2, 7, fd3, 1, false) &&
	     !efd_count(fd1) && !efd_count(fd2) && !efd_count(fd4);
	ksft_test_result(ok, "overlapping");

	/* Collisions (-EEXIST): a write that could hit two of them. */
	ok = __ioeventfd(addr, 4, fd3, dm, 1) == -EEXIST &&
	     __ioeventfd(addr, 4, fd3, 0, 0) == -EEXIST &&
	     __ioeventfd(addr, 0, fd3, 0, 0) == -EEXIST &&
	     __ioeventfd(addr, 2, fd1, dm, 5) == -EEXIST &&
	     __ioeventfd(addr, 4, fd4, KVM_IOEVENTFD_FLAG_PIO | dm,
			 9) == -EEXIST;
	/* Other data, other length, other address: no collision. */
	ok = ok && !__ioeventfd(addr, 4, fd3, dm, 3) &&
	     !__ioeventfd(addr, 8, fd3, 0, 0) &&
	     !__ioeventfd(addr + 4, 0, fd3, 0, 0);
	ksft_test_result(ok, "collisions_eexist");
	/* The VM's destruction frees whatever is left. */
	close(fd1);
	close(fd2);
	close(fd3);
	close(fd4);
}

/* Deassign needs every field to match; a miss is -ENOENT. */
static void test_deassign(void)
{
	uint32_t da = KVM_IOEVENTFD_FLAG_DEASSIGN;
	uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	uint64_t a = MMIO_ADDR + 0x100;
	int fd = new_eventfd(), other = new_eventfd();
	bool ok;

	ok = !__ioeventfd(a, 4, fd, dm, 5);
	ok = ok && __ioeventfd(a, 4, fd, da | dm, 6) == -ENOENT &&
	     __ioeventfd(a, 4, fd, da, 5) == -ENOENT &&
	     __ioeventfd(a, 4, other, da | dm, 5) == -ENOENT &&
	     __ioeventfd(a, 2, fd, da | dm, 5) == -ENOENT &&
	     __ioeventfd(a + 4, 4, fd, da | dm, 5) == -ENOENT &&
	     __ioeventfd(a, 4, fd, da | dm | KVM_IOEVENTFD_FLAG_PIO, 5) ==
		-ENOENT;
	/* Still there after the misses. */
	ok = ok && write_check(false, a, 4, 5, fd, 1, false);
	ok = ok && !__ioeventfd(a, 4, fd, da | dm, 5);
	ok = ok && __ioeventfd(a, 4, fd, da | dm, 5) == -ENOENT;
	ok = ok && write_check(false, a, 4, 5, fd, 0, true);
	ok = ok && __ioeventfd(a, 4, -1, da, 0) == -EBADF;
	ksft_test_result(ok, "deassign");
	close(fd);
	close(other);
}

static void test_errnos(void)
{
	const uint64_t addr = MMIO_ADDR + 0x300;
	int fd = new_eventfd(), notefd = open("/dev/null", O_RDONLY);
	uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	bool ok;

	TEST_ASSERT(notefd >= 0, "/dev/null: %s", strerror(errno));
	ok = __ioeventfd(addr, 3, fd, 0, 0) == -EINVAL &&
	     __ioeventfd(addr, 16, fd, 0, 0) == -EINVAL &&
	     __ioeventfd(addr, 4, fd, 1u << 5, 0) == -EINVAL &&
	     __ioeventfd(addr, 4, fd, 1u << 31, 0) == -EINVAL &&
	     __ioeventfd(addr, 0, fd, dm, 0) == -EINVAL &&
	     __ioeventfd(~0ull - 2, 4, fd, 0, 0) == -EINVAL &&
	     __ioeventfd(addr, 4, -1, 0, 0) == -EBADF &&
	     __ioeventfd(addr, 4, notefd, 0, 0) == -EINVAL;
	/* Nothing was left behind by the refusals. */
	ok = ok && write_check(false, addr, 4, 1, fd, 0, true);
	ksft_test_result(ok, "errnos");
	close(fd);
	close(notefd);
}

/*
 * KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY is s390's.  Linux's KVM accepts it
 * on x86 as well, on a bus no x86 exit reads: the address keeps exiting.
 */
static void test_ccw_flag(void)
{
	uint32_t ccw = KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY;
	const uint64_t addr = MMIO_ADDR + 0x500;
	int fd = new_eventfd();
	int r;
	bool ok;

	r = __ioeventfd(addr, 4, fd, ccw, 0);
	if (r)
		pr_info("assign with VIRTIO_CCW_NOTIFY: %s", errno_name(-r));
	ok = !r && write_check(false, addr, 4, 1, fd, 0, true) &&
	     __ioeventfd(addr, 4, fd, ccw, 0) == -EEXIST &&
	     !__ioeventfd(addr, 4, fd, ccw | KVM_IOEVENTFD_FLAG_DEASSIGN,
			  0) &&
	     __ioeventfd(addr, 4, fd, ccw | KVM_IOEVENTFD_FLAG_DEASSIGN,
			 0) == -ENOENT;
	ksft_test_result(ok, "virtio_ccw_notify_flag");
	close(fd);
}

/*
 * The kernel holds its own reference to the eventfd: closing the fd
 * keeps the ioeventfd working (the write stays in the kernel), and the
 * VM's destruction drops the reference.
 */
static void test_fd_closed(void)
{
	int fd = new_eventfd();
	bool ok;

	ok = !__ioeventfd(MMIO_ADDR + 0x200, 4, fd, 0, 0);
	close(fd);
	ok = ok && write_check(false, MMIO_ADDR + 0x200, 4, 1, -1, 0, false);
	ksft_test_result(ok, "eventfd_closed");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_IOEVENTFD));

	ksft_set_plan(1 + 2 * 4 * 2 + 2 + 1 + 1 + 2 + 1 + 1 + 1 + 1);
	vm = gio_vm_create(&vcpu);
	test_caps();
	test_lengths(true);
	test_lengths(false);
	test_len0(true);
	test_len0(false);
	test_rep_outsb();
	test_reads_exit();
	test_overlapping();
	test_deassign();
	test_errnos();
	test_ccw_flag();
	test_fd_closed();
	gio_vm_free(vm, vcpu);
	ksft_finished();
}
