// SPDX-License-Identifier: GPL-2.0
/*
 * irq_routing: the glue of the in-kernel irqchip.  KVM_CREATE_IRQCHIP and
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP) (api.rst 4.24, 7.8),
 * KVM_SET_GSI_ROUTING (4.52), KVM_IRQ_LINE(_STATUS) (4.25),
 * KVM_SIGNAL_MSI (4.71), KVM_IRQFD (4.75) and KVM_GET/SET_IRQCHIP
 * (4.26/4.27): the errno of each refusal as Linux 6.1 gives it, in its
 * order of checks, without an irqchip, with the split one and with the
 * full one; then MSIs and irqfds delivered into a local APIC's IRR
 * (seen through KVM_GET_LAPIC, no guest code), through an MSI route, a
 * rerouted GSI and an IOAPIC pin.
 *
 * On kvmm, the parts that need the PIC/IOAPIC (KVM_CREATE_IRQCHIP) or
 * the local APIC (KVM_GET_LAPIC) skip with the reason until those land.
 */
#include <signal.h>
#include <sys/mman.h>

#include "check.h"
#include "irq_util.h"
#include "processor.h"

#define APIC_SVR	0xf0
#define APIC_IRR	0x200

static struct kvm_irq_routing_entry chip_route(uint32_t gsi, uint32_t chip,
					       uint32_t pin)
{
	return (struct kvm_irq_routing_entry) {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

static int route2(struct kvm_vm *vm, struct kvm_irq_routing_entry a,
		  struct kvm_irq_routing_entry b)
{
	struct kvm_irq_routing_entry e[2] = { a, b };

	return set_routing(vm, e, 2, 0);
}

/* KVM_IRQ_LINE(_STATUS): 0 or -errno; *status for _STATUS. */
static int irq_line(struct kvm_vm *vm, bool with_status, uint32_t gsi,
		    uint32_t level, int32_t *status)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	int r;

	r = __vm_ioctl(vm, with_status ? KVM_IRQ_LINE_STATUS : KVM_IRQ_LINE,
		       &l);
	if (status)
		*status = l.status;
	return ret_errno(r);
}

/* KVM_SIGNAL_MSI: its return value (LAPICs reached) or -errno. */
static int signal_msi(struct kvm_vm *vm, uint32_t dest, uint8_t vector,
		      uint32_t flags)
{
	struct kvm_msi m = {
		.address_lo = MSI_ADDR(dest), .data = vector, .flags = flags,
	};

	return ret_errno(__vm_ioctl(vm, KVM_SIGNAL_MSI, &m));
}

static int enable_split(struct kvm_vm *vm, uint64_t pins, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .flags = flags, .args = { pins },
	};

	return ret_errno(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap));
}

static int irqchip_state(struct kvm_vm *vm, bool set, uint32_t chip_id)
{
	struct kvm_irqchip c = { .chip_id = chip_id };

	/* A set writes back what a get read, if anything. */
	if (set)
		__vm_ioctl(vm, KVM_GET_IRQCHIP, &c);
	return ret_errno(__vm_ioctl(vm, set ? KVM_SET_IRQCHIP :
						KVM_GET_IRQCHIP, &c));
}

/* Without any irqchip: every one of these refuses, as 6.1. */
static void test_no_irqchip(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_irq_routing_entry e = msi_route(1, 0, 0x40);
	int efd = new_eventfd();
	int32_t st;
	bool ok = true;

	ok &= CHECK(set_routing(vm, NULL, 0, 0) == -EINVAL);
	ok &= CHECK(set_routing(vm, &e, 1, 0) == -EINVAL);
	/* The irqchip is checked before the count and the flags. */
	ok &= CHECK(set_routing(vm, NULL, 0, 1) == -EINVAL);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_SET_GSI_ROUTING, NULL)) ==
		    -EFAULT);
	ok &= CHECK(irq_line(vm, false, 0, 1, NULL) == -ENXIO);
	ok &= CHECK(irq_line(vm, true, 0, 1, &st) == -ENXIO);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_IRQ_LINE, NULL)) == -EFAULT);
	ok &= CHECK(signal_msi(vm, 0, 0x40, 0) == -EINVAL);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_SIGNAL_MSI, NULL)) ==
		    -EFAULT);
	ok &= CHECK(irqfd(vm, efd, 1, 0, 0) == -EINVAL);
	ok &= CHECK(irqfd(vm, efd, 1, KVM_IRQFD_FLAG_RESAMPLE, efd) ==
		    -EINVAL);
	ok &= CHECK(irqfd(vm, efd, 1, 1u << 2, 0) == -EINVAL);
	/* Deassignment needs no irqchip: none matches, no error. */
	ok &= CHECK(irqfd(vm, efd, 1, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(irqfd(vm, -1, 1, KVM_IRQFD_FLAG_DEASSIGN, 0) == -EBADF);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_IRQFD, NULL)) == -EFAULT);
	ok &= CHECK(irqchip_state(vm, false, KVM_IRQCHIP_IOAPIC) == -ENXIO);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_GET_IRQCHIP, NULL)) ==
		    -EFAULT);
	ksft_test_result(ok, "no_irqchip");
	close(efd);
	kvm_vm_free(vm);
}

/* KVM_CAP_SPLIT_IRQCHIP's own checks, and the two kinds exclude each other. */
static void test_split_create(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool ok = true;

	ok &= CHECK(enable_split(vm, 24, 1) == -EINVAL);
	ok &= CHECK(enable_split(vm, 4097, 0) == -EINVAL);
	ok &= CHECK(enable_split(vm, 1ull << 32, 0) == -EINVAL);
	ok &= CHECK(enable_split(vm, 24, 0) == 0);
	ok &= CHECK(enable_split(vm, 24, 0) == -EEXIST);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL)) ==
		    -EEXIST);
	ksft_test_result(ok, "split_create");
	kvm_vm_free(vm);

	/* As many reserved pins as the routing table has GSIs. */
	vm = vm_create_barebones();
	ok = CHECK(enable_split(vm, 4096, 0) == 0);
	ksft_test_result(ok, "split_4096_pins");
	kvm_vm_free(vm);
}

/* Either kind only before the first vCPU: EINVAL, and EEXIST for split. */
static void test_create_after_vcpu(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool ok = true;

	__vm_vcpu_add(vm, 0);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL)) ==
		    -EINVAL);
	ok &= CHECK(enable_split(vm, 24, 0) == -EEXIST);
	/* Still no irqchip. */
	ok &= CHECK(irq_line(vm, false, 0, 1, NULL) == -ENXIO);
	ksft_test_result(ok, "create_after_vcpu");
	kvm_vm_free(vm);
}

/*
 * KVM_SET_GSI_ROUTING's checks that need no PIC/IOAPIC: count, header
 * flags, GSI range, entry flags, types, one non-irqchip route per GSI,
 * and no irqchip route at all with the split irqchip.
 */
static void test_split_routing(struct kvm_vm *vm)
{
	struct kvm_irq_routing_entry e = msi_route(1, 0, 0x40);
	struct kvm_irq_routing *rt;
	long pg = getpagesize();
	uint8_t *map;
	bool ok = true;

	ok &= CHECK(set_routing(vm, NULL, 0, 0) == 0);
	ok &= CHECK(route1(vm, e) == 0);
	ok &= CHECK(set_routing(vm, &e, 1, 1) == -EINVAL);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_IOAPIC, 1)) ==
		    -EINVAL);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_PIC_MASTER, 1)) ==
		    -EINVAL);
	ok &= CHECK(route1(vm, msi_route(4095, 0, 0x40)) == 0);
	ok &= CHECK(route1(vm, msi_route(4096, 0, 0x40)) == -EINVAL);
	/* Every GSI is range-checked before any entry. */
	ok &= CHECK(route2(vm, chip_route(1, 7, 0), msi_route(4096, 0, 1)) ==
		    -EINVAL);
	e.flags = KVM_MSI_VALID_DEVID;
	e.u.msi.devid = 0x1234;
	ok &= CHECK(route1(vm, e) == 0);
	e.flags = 2;
	ok &= CHECK(route1(vm, e) == -EINVAL);
	ok &= CHECK(route2(vm, msi_route(3, 0, 1), msi_route(3, 1, 2)) ==
		    -EINVAL);
	ok &= CHECK(route2(vm, msi_route(3, 0, 1), msi_route(4, 1, 2)) == 0);
	e = msi_route(5, 0, 1);
	e.type = 99;
	ok &= CHECK(route1(vm, e) == -EINVAL);

	/* More than 4096 entries: EINVAL before the entries are read. */
	rt = calloc(1, sizeof(*rt));
	rt->nr = 4097;
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_SET_GSI_ROUTING, rt)) ==
		    -EINVAL);
	free(rt);
	/* Entries on an unmapped page: EFAULT. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap");
	munmap(map + pg, pg);
	rt = (void *)(map + pg - sizeof(*rt));
	rt->nr = 1;
	rt->flags = 0;
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_SET_GSI_ROUTING, rt)) ==
		    -EFAULT);
	munmap(map, pg);
	ksft_test_result(ok, "split_routing");
}

/* Lines and MSIs with the split irqchip and no vCPU: nothing takes them. */
static void test_split_lines(struct kvm_vm *vm)
{
	int32_t st = 7;
	bool ok = true;

	ok &= CHECK(route1(vm, msi_route(2, 0, 0x40)) == 0);
	ok &= CHECK(irq_line(vm, true, 5, 1, &st) == 0 && st == -1);
	st = 7;
	ok &= CHECK(irq_line(vm, true, 2, 1, &st) == 0 && st == -1);
	st = 7;
	ok &= CHECK(irq_line(vm, true, 2, 0, &st) == 0 && st == -1);
	ok &= CHECK(irq_line(vm, false, 100000, 1, NULL) == 0);
	/* KVM_SIGNAL_MSI hands back the delivery's -1: EPERM. */
	ok &= CHECK(signal_msi(vm, 0, 0x40, 0) == -EPERM);
	ok &= CHECK(signal_msi(vm, 0, 0x40, KVM_MSI_VALID_DEVID) == -EPERM);
	ok &= CHECK(signal_msi(vm, 0, 0x40, 2) == -EINVAL);
	/* The PIC and IOAPIC are userspace's. */
	ok &= CHECK(irqchip_state(vm, false, KVM_IRQCHIP_PIC_MASTER) ==
		    -ENXIO);
	ok &= CHECK(irqchip_state(vm, true, KVM_IRQCHIP_IOAPIC) == -ENXIO);
	ksft_test_result(ok, "split_lines");
}

static void test_split_irqfd(struct kvm_vm *vm)
{
	int efd = new_eventfd(), efd2 = new_eventfd();
	int notefd = open("/dev/null", O_RDONLY);
	uint64_t one = 1;
	bool ok = true;

	TEST_ASSERT(notefd >= 0, "/dev/null: %s", strerror(errno));
	ok &= CHECK(irqfd(vm, efd, 2, 0, 0) == 0);
	/* One eventfd serves one irqfd of a VM, whatever the GSI. */
	ok &= CHECK(irqfd(vm, efd, 2, 0, 0) == -EBUSY);
	ok &= CHECK(irqfd(vm, efd, 9, 0, 0) == -EBUSY);
	/* Resampling needs the in-kernel PIC/IOAPIC. */
	ok &= CHECK(irqfd(vm, efd2, 3, KVM_IRQFD_FLAG_RESAMPLE, efd) ==
		    -EINVAL);
	ok &= CHECK(irqfd(vm, -1, 3, 0, 0) == -EBADF);
	ok &= CHECK(irqfd(vm, notefd, 3, 0, 0) == -EINVAL);
	/* A GSI with no route is no error; its signals inject nothing. */
	ok &= CHECK(irqfd(vm, efd2, 3000, 0, 0) == 0);
	ok &= CHECK(write(efd2, &one, sizeof(one)) == sizeof(one));
	ok &= CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	/* Deassign needs fd and GSI to match; a miss is no error. */
	ok &= CHECK(irqfd(vm, efd, 3, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(irqfd(vm, efd, 9, 0, 0) == -EBUSY);
	ok &= CHECK(irqfd(vm, efd, 2, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(irqfd(vm, efd, 9, 0, 0) == 0);
	ok &= CHECK(irqfd(vm, efd, 9, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(irqfd(vm, notefd, 9, KVM_IRQFD_FLAG_DEASSIGN, 0) ==
		    -EINVAL);
	/* A routing change while irqfds are assigned. */
	ok &= CHECK(route2(vm, msi_route(3000, 0, 0x41),
			   msi_route(2, 0, 0x42)) == 0);
	ok &= CHECK(write(efd2, &one, sizeof(one)) == sizeof(one));
	ksft_test_result(ok, "split_irqfd");
	close(efd);
	close(efd2);
	close(notefd);
}

/*
 * Teardown: closing an assigned eventfd (EPOLLHUP) takes its irqfd away;
 * closing the VM takes the rest, and their eventfds outlive it.
 */
static void test_irqfd_teardown(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int efd = new_eventfd(), efd2 = new_eventfd(), efd3;
	uint64_t one = 1;
	bool ok = true;

	ok &= CHECK(enable_split(vm, 0, 0) == 0);
	ok &= CHECK(route1(vm, msi_route(1, 0, 0x40)) == 0);
	ok &= CHECK(irqfd(vm, efd, 1, 0, 0) == 0);
	ok &= CHECK(irqfd(vm, efd2, 1, 0, 0) == 0);
	close(efd2);
	/* Its replacement may well get the same eventfd slot. */
	efd3 = new_eventfd();
	ok &= CHECK(irqfd(vm, efd3, 1, 0, 0) == 0);
	ok &= CHECK(write(efd3, &one, sizeof(one)) == sizeof(one));
	kvm_vm_free(vm);
	ok &= CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	ok &= CHECK(write(efd3, &one, sizeof(one)) == sizeof(one));
	ksft_test_result(ok, "irqfd_teardown");
	close(efd);
	close(efd3);
}

static const char *const full_tests[] = {
	"irqchip_create", "irqchip_routing", "irqchip_lines", "irqchip_irqfd",
	"irqchip_state", "msi_signal", "msi_route_line", "irqfd_msi",
	"irqfd_reroute", "irqfd_ioapic",
};
#define NR_FULL_TESTS		ARRAY_SIZE(full_tests)
#define NR_DELIVERY_TESTS	5	/* the last ones of full_tests */

static void skip_from(unsigned int first, const char *why)
{
	unsigned int i;

	for (i = first; i < NR_FULL_TESTS; i++)
		ksft_test_result_skip(full_tests[i], "%s", why);
}

/* KVM_SET_GSI_ROUTING's irqchip checks (x86 kvm_set_routing_entry()). */
static void test_irqchip_routing(struct kvm_vm *vm)
{
	struct kvm_irq_routing_entry e = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	bool ok = true;

	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_IOAPIC, 23)) == 0);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_IOAPIC, 24)) ==
		    -EINVAL);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_PIC_MASTER, 7)) ==
		    0);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_PIC_MASTER, 8)) ==
		    -EINVAL);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_PIC_SLAVE, 7)) == 0);
	ok &= CHECK(route1(vm, chip_route(1, KVM_IRQCHIP_PIC_SLAVE, 8)) ==
		    -EINVAL);
	ok &= CHECK(route1(vm, chip_route(1, 3, 0)) == -EINVAL);
	e.flags = 1;
	ok &= CHECK(route1(vm, e) == -EINVAL);
	e.flags = KVM_MSI_VALID_DEVID;
	ok &= CHECK(route1(vm, e) == -EINVAL);
	/* A GSI may go to each chip once, never to a chip and an MSI. */
	ok &= CHECK(route2(vm, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			   chip_route(2, KVM_IRQCHIP_PIC_SLAVE, 2)) == 0);
	ok &= CHECK(route2(vm, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			   chip_route(2, KVM_IRQCHIP_IOAPIC, 3)) == -EINVAL);
	ok &= CHECK(route2(vm, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			   msi_route(2, 0, 0x40)) == -EINVAL);
	ok &= CHECK(route2(vm, msi_route(2, 0, 0x40),
			   chip_route(2, KVM_IRQCHIP_IOAPIC, 2)) == -EINVAL);
	/* Two GSIs on one pin are allowed. */
	ok &= CHECK(route2(vm, chip_route(2, KVM_IRQCHIP_IOAPIC, 2),
			   chip_route(3, KVM_IRQCHIP_IOAPIC, 2)) == 0);
	ksft_test_result(ok, "irqchip_routing");
}

static void test_irqchip_lines(struct kvm_vm *vm)
{
	int32_t st = 7;
	bool ok = true;

	ok &= CHECK(irq_line(vm, true, 24, 1, &st) == 0 && st == -1);
	st = 7;
	ok &= CHECK(irq_line(vm, true, 4095, 1, &st) == 0 && st == -1);
	ok &= CHECK(irq_line(vm, false, 5, 1, NULL) == 0);
	ok &= CHECK(irq_line(vm, false, 5, 0, NULL) == 0);
	ok &= CHECK(signal_msi(vm, 0, 0x40, 0) == -EPERM);
	ok &= CHECK(signal_msi(vm, 0, 0x40, 2) == -EINVAL);
	ksft_test_result(ok, "irqchip_lines");
}

static void test_irqchip_irqfd(struct kvm_vm *vm)
{
	int efd = new_eventfd(), rfd = new_eventfd(), efd2 = new_eventfd();
	int notefd = open("/dev/null", O_RDONLY);
	uint32_t rs = KVM_IRQFD_FLAG_RESAMPLE;
	bool ok = true;

	TEST_ASSERT(notefd >= 0, "/dev/null: %s", strerror(errno));
	ok &= CHECK(irqfd(vm, efd, 5, rs, -1) == -EBADF);
	ok &= CHECK(irqfd(vm, efd, 5, rs, notefd) == -EINVAL);
	ok &= CHECK(irqfd(vm, efd, 5, rs, rfd) == 0);
	/* A second resampling irqfd on the same GSI shares its resampler. */
	ok &= CHECK(irqfd(vm, efd2, 5, rs, rfd) == 0);
	ok &= CHECK(irqfd(vm, efd, 6, rs, rfd) == -EBUSY);
	ok &= CHECK(irqfd(vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(irqfd(vm, efd2, 5, KVM_IRQFD_FLAG_DEASSIGN | rs, 0) == 0);
	ok &= CHECK(irqfd(vm, efd, 6, rs, rfd) == 0);
	ksft_test_result(ok, "irqchip_irqfd");
	/* Left assigned: the VM's release takes it. */
	close(efd);
	close(efd2);
	close(rfd);
	close(notefd);
}

static void test_irqchip_state(struct kvm_vm *vm)
{
	bool ok = true;

	ok &= CHECK(irqchip_state(vm, false, KVM_IRQCHIP_PIC_MASTER) == 0);
	ok &= CHECK(irqchip_state(vm, false, KVM_IRQCHIP_PIC_SLAVE) == 0);
	ok &= CHECK(irqchip_state(vm, false, KVM_IRQCHIP_IOAPIC) == 0);
	ok &= CHECK(irqchip_state(vm, false, 3) == -EINVAL);
	ok &= CHECK(irqchip_state(vm, true, KVM_IRQCHIP_IOAPIC) == 0);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_SET_IRQCHIP, NULL)) ==
		    -EFAULT);
	ksft_test_result(ok, "irqchip_state");
}

static bool irr_has(struct kvm_vcpu *vcpu, uint8_t vector)
{
	struct kvm_lapic_state s;
	uint32_t w;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	memcpy(&w, &s.regs[APIC_IRR + 0x10 * (vector / 32)], sizeof(w));
	return w & (1u << (vector % 32));
}

/* An irqfd's injection may run from a work item: give it a moment. */
static bool irr_wait(struct kvm_vcpu *vcpu, uint8_t vector, bool want)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (irr_has(vcpu, vector) == want && (want || i >= 10))
			return true;
		usleep(10000);
	}
	pr_info("vector %#x: IRR bit %s", vector, want ? "never set" :
		"set");
	return false;
}

static bool kick(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one);
}

/*
 * Deliveries into vCPU 0's local APIC (software-enabled through
 * KVM_SET_LAPIC), seen in its IRR.  No guest code runs.
 */
static void test_delivery(struct kvm_vm *vm)
{
	struct kvm_irq_routing_entry e[2];
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_irqchip io = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_lapic_state s;
	int efd = new_eventfd();
	int32_t st = 7;
	bool ok;
	int r;

	r = ret_errno(__vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s));
	if (r && test_mode() == TEST_MODE_KVMM) {
		skip_from(NR_FULL_TESTS - NR_DELIVERY_TESTS,
			  "kvmm: KVM_GET_LAPIC refused (the local APIC is not in yet)");
		close(efd);
		return;
	}
	TEST_ASSERT(!r, "KVM_GET_LAPIC: %s", errno_name(-r));
	s.regs[APIC_SVR] = 0xff;
	s.regs[APIC_SVR + 1] = 0x01;		/* APIC software-enabled */
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);

	ok = CHECK(signal_msi(vm, 0, 0x41, 0) == 1);
	ok &= CHECK(irr_has(vcpu, 0x41));
	/* Physical destination 1: no such APIC. */
	ok &= CHECK(signal_msi(vm, 1, 0x49, 0) <= 0);
	ok &= CHECK(!irr_has(vcpu, 0x49));
	ksft_test_result(ok, "msi_signal");

	ok = CHECK(route1(vm, msi_route(40, 0, 0x42)) == 0);
	ok &= CHECK(irq_line(vm, true, 40, 1, &st) == 0 && st == 1);
	ok &= CHECK(irr_has(vcpu, 0x42));
	ksft_test_result(ok, "msi_route_line");

	/* irqfd on an MSI route: injected from the eventfd's wakeup. */
	ok = CHECK(route1(vm, msi_route(40, 0, 0x43)) == 0);
	ok &= CHECK(irqfd(vm, efd, 40, 0, 0) == 0);
	ok &= CHECK(kick(efd) && irr_wait(vcpu, 0x43, true));
	ksft_test_result(ok, "irqfd_msi");

	/* The irqfd follows a routing change, and stops when deassigned. */
	ok = CHECK(route1(vm, msi_route(40, 0, 0x44)) == 0);
	ok &= CHECK(kick(efd) && irr_wait(vcpu, 0x44, true));
	ok &= CHECK(irqfd(vm, efd, 40, KVM_IRQFD_FLAG_DEASSIGN, 0) == 0);
	ok &= CHECK(route1(vm, msi_route(40, 0, 0x45)) == 0);
	ok &= CHECK(kick(efd) && irr_wait(vcpu, 0x45, false));
	ksft_test_result(ok, "irqfd_reroute");

	/*
	 * irqfd on a GSI routed to IOAPIC pin 10 and the PIC (the default
	 * pair for GSI 10): the IOAPIC's unmasked edge entry sends 0x46.
	 */
	e[0] = chip_route(10, KVM_IRQCHIP_IOAPIC, 10);
	e[1] = chip_route(10, KVM_IRQCHIP_PIC_SLAVE, 2);
	ok = CHECK(set_routing(vm, e, 2, 0) == 0);
	vm_ioctl(vm, KVM_GET_IRQCHIP, &io);
	io.chip.ioapic.redirtbl[10].bits = 0x46;	/* fixed, phys 0, edge */
	vm_ioctl(vm, KVM_SET_IRQCHIP, &io);
	ok &= CHECK(irqfd(vm, efd, 10, 0, 0) == 0);
	ok &= CHECK(kick(efd) && irr_wait(vcpu, 0x46, true));
	ksft_test_result(ok, "irqfd_ioapic");
	close(efd);
}

#define RESAMPLE_VECTOR	0x50
#define RESAMPLE_GSI	5
#define XAPIC_BASE	0xfee00000ul

static volatile uint32_t resample_irqs;

static void guest_resample_irq(struct ex_regs *regs __attribute__((unused)))
{
	resample_irqs++;
	*(volatile uint32_t *)(XAPIC_BASE + 0xb0) = 0;	/* EOI */
}

/*
 * A level line through IOAPIC pin 5, held by a resampling irqfd: one
 * interrupt per signal.  The guest's EOI must deassert the line (else the
 * IOAPIC sends it again at once, SDM 3A 10.8.5 / the 82093AA's remote IRR)
 * and signal the resample eventfd.
 */
static void guest_resample(void)
{
	*(volatile uint32_t *)(XAPIC_BASE + APIC_SVR) = 0x1ff;
	GUEST_SYNC(1);
	__asm__ __volatile__("sti");
	while (resample_irqs < 1)
		;
	GUEST_SYNC(2);
	while (resample_irqs < 2)
		;
	GUEST_SYNC(3);
	GUEST_DONE();
}

static void on_alarm(int sig __attribute__((unused)))
{
}

/*
 * Run to GUEST_SYNC(@stage), which the guest reaches only once it took
 * the interrupts it waits for: a run that has not come back after 10 s is
 * interrupted (SIGALRM, KVM_RUN's EINTR) and fails the check instead of
 * hanging the test.
 */
static bool run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct ucall uc;
	uint64_t cmd;
	int r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	r = _vcpu_run(vcpu);
	alarm(0);
	if (r < 0 && errno == EINTR) {
		pr_info("GUEST_SYNC(%llu) not reached within 10 s",
			(unsigned long long)stage);
		return false;
	}
	TEST_ASSERT(!r, "KVM_RUN: %s", errno_name(errno));
	cmd = get_ucall(vcpu, &uc);
	if (cmd != UCALL_SYNC || uc.args[0] != stage) {
		pr_info("ucall %llu (%llu), wanted GUEST_SYNC(%llu)",
			(unsigned long long)cmd,
			(unsigned long long)uc.args[0],
			(unsigned long long)stage);
		return false;
	}
	return true;
}

static uint64_t efd_count(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void test_resample(void)
{
	struct kvm_irq_routing_entry e =
		chip_route(RESAMPLE_GSI, KVM_IRQCHIP_IOAPIC, RESAMPLE_GSI);
	struct kvm_irqchip io = { .chip_id = KVM_IRQCHIP_IOAPIC };
	int efd = new_eventfd(), rfd = new_eventfd();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create(0);
	uint32_t irqs;
	bool ok = true;
	int r;

	r = ret_errno(__vm_create_irqchip(vm));
	if (r && test_mode() == TEST_MODE_KVMM) {
		ksft_test_result_skip("irqfd_resample_level",
				      "kvmm: KVM_CREATE_IRQCHIP refused (%s)",
				      errno_name(-r));
		goto out;
	}
	TEST_ASSERT(!r, "KVM_CREATE_IRQCHIP: %s", errno_name(-r));
	vcpu = vm_vcpu_add(vm, 0, guest_resample);
	vm_install_exception_handler(vm, RESAMPLE_VECTOR, guest_resample_irq);
	/* The IOAPIC only: the PIC (behind LVT0's ExtINT) stays out of it. */
	ok &= CHECK(route1(vm, e) == 0);
	vm_ioctl(vm, KVM_GET_IRQCHIP, &io);
	/* Fixed, physical destination 0, level-triggered, unmasked. */
	io.chip.ioapic.redirtbl[RESAMPLE_GSI].bits = RESAMPLE_VECTOR |
						      (1u << 15);
	vm_ioctl(vm, KVM_SET_IRQCHIP, &io);
	ok &= CHECK(irqfd(vm, efd, RESAMPLE_GSI, KVM_IRQFD_FLAG_RESAMPLE,
			  rfd) == 0);

	vcpu_run_expect_sync(vcpu, 1);
	ok &= CHECK(kick(efd));
	ok &= CHECK(run_to_sync(vcpu, 2));
	sync_global_from_guest(vm, resample_irqs);
	irqs = resample_irqs;
	ok &= CHECK(irqs == 1);
	ok &= CHECK(efd_count(rfd) == 1);
	ok &= ok && CHECK(kick(efd)) && CHECK(run_to_sync(vcpu, 3));
	sync_global_from_guest(vm, resample_irqs);
	ok &= CHECK(resample_irqs == 2);
	ok &= CHECK(efd_count(rfd) == 1);
	if (ok)
		vcpu_run_expect_done(vcpu);
	ksft_test_result(ok, "irqfd_resample_level");
out:
	close(efd);
	close(rfd);
	kvm_vm_free(vm);
}

/* The full irqchip: PICs, IOAPIC, and a local APIC per vCPU. */
static void test_full(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	bool ok;
	int r;

	r = ret_errno(__vm_create_irqchip(vm));
	if (r && test_mode() == TEST_MODE_KVMM) {
		char why[128];

		snprintf(why, sizeof(why),
			 "kvmm: KVM_CREATE_IRQCHIP refused (%s): the PIC/IOAPIC are not in yet",
			 errno_name(-r));
		skip_from(0, why);
		kvm_vm_free(vm);
		return;
	}
	ok = CHECK(r == 0);
	ok &= CHECK(ret_errno(__vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL)) ==
		    -EEXIST);
	ok &= CHECK(enable_split(vm, 24, 0) == -EEXIST);
	ksft_test_result(ok, "irqchip_create");
	test_irqchip_routing(vm);
	test_irqchip_lines(vm);
	test_irqchip_irqfd(vm);
	test_irqchip_state(vm);
	test_delivery(vm);
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_vm *vm;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(8 + NR_FULL_TESTS + 1);

	test_no_irqchip();
	test_split_create();
	test_create_after_vcpu();

	vm = vm_create_barebones();
	TEST_ASSERT(enable_split(vm, 24, 0) == 0, "split irqchip");
	test_split_routing(vm);
	test_split_lines(vm);
	test_split_irqfd(vm);
	kvm_vm_free(vm);
	test_irqfd_teardown();

	test_full();
	test_resample();
	ksft_finished();
}
