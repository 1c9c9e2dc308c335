// SPDX-License-Identifier: GPL-2.0
/*
 * vapic: KVM_SET_VAPIC_ADDR (api.rst 4.59), the page through which QEMU's
 * kvmvapic ROM shares the task priority with an in-kernel LAPIC.  QEMU
 * 7.2 sets it (0 at every reset) whenever the LAPIC is in the kernel and
 * aborts if the ioctl fails.  Checked against Linux 6.1 (x86.c,
 * lapic.c's kvm_lapic_set_vapic_addr/_sync_to_vapic/_sync_from_vapic):
 *  - errnos: EINVAL without an in-kernel LAPIC (before the argument is
 *    read), EFAULT for an unreadable argument, EINVAL for an address
 *    whose 4 bytes are not all in writable guest RAM (no slot, a
 *    read-only slot, past the end of a slot, wrapping past 2^64); 0 for
 *    RAM, across a page boundary too, and for 0 (off);
 *  - the word at the address: byte 0 the TPR, byte 1 the highest
 *    in-service vector's class, byte 2 zero, byte 3 the highest
 *    requested vector, bytes after it untouched; it follows KVM_SET_LAPIC,
 *    an EOI and a TPR write through the xAPIC page;
 *  - a TPR the guest stores into byte 0 is the LAPIC's after the next
 *    exit (the guest's MMIO read of TPR, KVM_GET_LAPIC, kvm_run.cr8);
 *  - address 0 stops both directions.
 * The word is compared only after events that make KVM rewrite it (it
 * does so on entries that evaluate interrupts, KVM_REQ_EVENT; kvmm on
 * every entry).  The guest runs with IF=0: the requested vector stays in
 * IRR.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "kvmm_env.h"
#include "processor.h"

#define APIC_GPA		0xfee00000ul
#define APIC_TASKPRI		0x80
#define APIC_PROCPRI		0xa0
#define APIC_EOI		0xb0
#define APIC_SPIV		0xf0
#define APIC_ISR		0x100
#define APIC_IRR		0x200

#define RO_SLOT			1
#define RO_GPA			0xc0000000ull
#define NO_SLOT_GPA		0xd0000000ull

#define ISR_VEC			0x52
#define IRR_VEC			0x61

/* ---- guest ---- */

static uint32_t apic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static void apic_write(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + off) = val;
}

static void guest_code(uint64_t vapic)
{
	volatile uint32_t *word = (volatile uint32_t *)vapic;
	volatile uint8_t *bytes = (volatile uint8_t *)vapic;

	/* 1: KVM_SET_LAPIC's TPR 0x20, ISR 0x52, IRR 0x61. */
	GUEST_ASSERT_EQ(*word, (IRR_VEC << 24) | ((ISR_VEC & 0xf0) << 8) |
			       0x20);
	GUEST_ASSERT_EQ(bytes[4], 0xff);
	GUEST_SYNC(1);

	/* 2: EOI retires 0x52: no ISR byte. */
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(*word, (IRR_VEC << 24) | 0x20);
	/* The guest's own TPR store reaches the LAPIC at the next exit. */
	bytes[0] = 0x70;
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0x70);
	GUEST_ASSERT_EQ(apic_read(APIC_PROCPRI), 0x70);
	GUEST_SYNC(2);

	/* 3: a TPR write through the xAPIC page shows up in the word. */
	apic_write(APIC_TASKPRI, 0x40);
	GUEST_ASSERT_EQ(*word, (IRR_VEC << 24) | 0x40);
	GUEST_ASSERT_EQ(bytes[4], 0xff);
	GUEST_SYNC(3);

	/* 4: address 0: neither direction. */
	*word = 0x12345610;
	apic_write(APIC_TASKPRI, 0x30);
	GUEST_ASSERT_EQ(apic_read(APIC_TASKPRI), 0x30);
	GUEST_ASSERT_EQ(*word, 0x12345610);
	GUEST_DONE();
}

/* ---- host ---- */

static uint32_t reg(const struct kvm_lapic_state *s, uint32_t off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void set_reg(struct kvm_lapic_state *s, uint32_t off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

static void set_vec(struct kvm_lapic_state *s, uint32_t base, uint8_t vec)
{
	uint32_t off = base + (vec / 32) * 0x10;

	set_reg(s, off, reg(s, off) | 1u << (vec % 32));
}

/* KVM_SET_VAPIC_ADDR: 0 or -errno. */
static int set_vapic(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };

	return __vcpu_ioctl(vcpu, KVM_SET_VAPIC_ADDR, &va) ? -errno : 0;
}

static void test_no_irqchip(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	bool ok;

	ok = CHECK(set_vapic(vcpu, 0x1000) == -EINVAL);
	/* The LAPIC is looked for before the argument. */
	ok &= CHECK(__vcpu_ioctl(vcpu, KVM_SET_VAPIC_ADDR, 8) == -1 &&
		    errno == EINVAL);
	ksft_test_result(ok, "no_lapic_einval");
	kvm_vm_free(vm);
}

static void test_errnos(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			vm_paddr_t page)
{
	uint64_t slot0_end = memslot2region(vm, VM_IMAGE_SLOT)->region.memory_size;
	bool ok;

	vm_userspace_mem_region_add(vm, RO_SLOT, RO_GPA, 1, KVM_MEM_READONLY);

	ok = CHECK(__vcpu_ioctl(vcpu, KVM_SET_VAPIC_ADDR, 8) == -1 &&
		   errno == EFAULT);
	ok &= CHECK(set_vapic(vcpu, NO_SLOT_GPA) == -EINVAL);
	ok &= CHECK(set_vapic(vcpu, RO_GPA + 0x10) == -EINVAL);
	ok &= CHECK(set_vapic(vcpu, slot0_end - 2) == -EINVAL);
	ok &= CHECK(set_vapic(vcpu, ~0ull - 1) == -EINVAL);
	ok &= CHECK(set_vapic(vcpu, slot0_end - 4) == 0);
	ok &= CHECK(set_vapic(vcpu, page + PAGE_SIZE - 2) == 0);
	ok &= CHECK(set_vapic(vcpu, 0) == 0);
	ksft_test_result(ok, "set_vapic_addr_errnos");
	vm_mem_region_delete(vm, RO_SLOT);
}

int main(void)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t page;
	uint8_t *host;
	bool ok;
	int r;

	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(6);

	test_no_irqchip();

	vm = vm_create(2);
	r = __vm_create_irqchip(vm);
	TEST_ASSERT(!r, "KVM_CREATE_IRQCHIP: %s", errno_name(errno));
	vcpu = vm_vcpu_add(vm, 0, guest_code);
	page = vm_phy_pages_alloc(vm, 2);
	host = addr_gpa2hva(vm, page);
	vcpu_args_set(vcpu, 1, (uint64_t)page);

	test_errnos(vm, vcpu, page);

	memset(host, 0xff, 16);
	TEST_ASSERT_EQ(set_vapic(vcpu, page), 0);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	set_reg(&s, APIC_SPIV, 0x1ff);
	set_reg(&s, APIC_TASKPRI, 0x20);
	set_vec(&s, APIC_ISR, ISR_VEC);
	set_vec(&s, APIC_IRR, IRR_VEC);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);

	vcpu_run_expect_sync(vcpu, 1);
	ksft_test_result_pass("word_after_set_lapic");

	vcpu_run_expect_sync(vcpu, 2);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	ok = CHECK(reg(&s, APIC_TASKPRI) == 0x70);
	ok &= CHECK(vcpu->run->cr8 == 7);
	ksft_test_result(ok, "guest_tpr_store_reaches_lapic");

	vcpu_run_expect_sync(vcpu, 3);
	ksft_test_result_pass("mmio_tpr_write_reaches_word");

	TEST_ASSERT_EQ(set_vapic(vcpu, 0), 0);
	vcpu_run_expect_done(vcpu);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	ksft_test_result(CHECK(reg(&s, APIC_TASKPRI) == 0x30),
			 "address_0_stops_sync");

	kvm_vm_free(vm);
	ksft_finished();
}
