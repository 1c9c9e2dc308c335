/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest_io: a guest that makes one port or MMIO access per host request,
 * for the I/O bus tests (ioeventfd, coalesced_mmio).
 *
 * The host puts a request in the guest's copy of gio_cmd and runs the
 * vCPU; the guest performs it and stops at GUEST_SYNC(0).  gio_run()
 * answers every KVM_EXIT_MMIO / KVM_EXIT_IO on the way (reads get
 * gio_read_answer) and returns how many there were, so a test sees
 * whether the access reached userspace or stayed in the kernel.
 * GVA == GPA below 4 GiB (vm_create()), so gio_cmd.addr outside every
 * slot is MMIO.
 */
#ifndef KVMM_SELFTEST_GUEST_IO_H
#define KVMM_SELFTEST_GUEST_IO_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "processor.h"

enum {
	GIO_MMIO_WRITE = 1,	/* len 1/2/4/8 bytes of val at addr */
	GIO_MMIO_READ,		/* result in gio_result */
	GIO_MMIO_WRITE_SEQ,	/* count 4-byte writes of 0, 1, ... at addr */
	GIO_PIO_OUT,		/* len 1/2/4 */
	GIO_PIO_IN,
	GIO_PIO_OUTSB,		/* REP OUTSB of count bytes 1, 2, ... */
	GIO_DONE,
};

struct gio_cmd {
	uint64_t op, addr, val, len, count;
};

static struct gio_cmd gio_cmd;
static uint64_t gio_result;
static uint8_t gio_buf[64];

static void gio_guest_mmio_write(uint64_t a, uint64_t len, uint64_t v)
{
	switch (len) {
	case 1:
		*(volatile uint8_t *)a = v;
		break;
	case 2:
		*(volatile uint16_t *)a = v;
		break;
	case 4:
		*(volatile uint32_t *)a = v;
		break;
	default:
		*(volatile uint64_t *)a = v;
		break;
	}
}

static uint64_t gio_guest_mmio_read(uint64_t a, uint64_t len)
{
	switch (len) {
	case 1:
		return *(volatile uint8_t *)a;
	case 2:
		return *(volatile uint16_t *)a;
	case 4:
		return *(volatile uint32_t *)a;
	default:
		return *(volatile uint64_t *)a;
	}
}

static void gio_guest(void)
{
	const volatile struct gio_cmd *c = &gio_cmd;

	for (;;) {
		uint64_t a, v, len, n, i;
		uint8_t *p;

		GUEST_SYNC(0);
		a = c->addr;
		v = c->val;
		len = c->len;
		n = c->count;
		switch (c->op) {
		case GIO_MMIO_WRITE:
			gio_guest_mmio_write(a, len, v);
			break;
		case GIO_MMIO_READ:
			*(volatile uint64_t *)&gio_result =
				gio_guest_mmio_read(a, len);
			break;
		case GIO_MMIO_WRITE_SEQ:
			for (i = 0; i < n; i++)
				*(volatile uint32_t *)(a + 4 * (i % 16)) = i;
			break;
		case GIO_PIO_OUT:
			if (len == 1)
				outb(a, v);
			else if (len == 2)
				outw(a, v);
			else
				outl(a, v);
			break;
		case GIO_PIO_IN:
			v = len == 1 ? inb(a) : len == 2 ? inw(a) : inl(a);
			*(volatile uint64_t *)&gio_result = v;
			break;
		case GIO_PIO_OUTSB:
			for (i = 0; i < n && i < sizeof(gio_buf); i++)
				((volatile uint8_t *)gio_buf)[i] = i + 1;
			p = gio_buf;
			__asm__ __volatile__("rep outsb"
					     : "+c"(n), "+S"(p)
					     : "d"((uint16_t)a), "m"(gio_buf)
					     : "memory");
			break;
		default:
			GUEST_DONE();
		}
	}
}

/* What one exit to userspace looked like. */
struct gio_exit {
	uint32_t reason;	/* KVM_EXIT_MMIO or KVM_EXIT_IO */
	uint64_t addr;		/* phys_addr or port */
	uint32_t len;		/* mmio.len or io.size */
	uint32_t count;		/* io.count (1 for MMIO) */
	bool write;
	uint64_t data;		/* the first element written */
};

/* What userspace answers to a read (the low len bytes of it). */
static uint64_t gio_read_answer = 0x8877665544332211ull;

/* Called at each exit before it is answered (e.g. to drain a ring). */
static void (*gio_exit_hook)(struct kvm_vcpu *vcpu, const struct gio_exit *x);

/*
 * Run until the guest's next GUEST_SYNC(0); returns the number of MMIO
 * and port exits before it, the first of them in *@first.
 */
static unsigned int gio_run(struct kvm_vcpu *vcpu, struct gio_exit *first)
{
	struct kvm_run *run = vcpu->run;
	unsigned int n = 0, i;
	struct ucall uc;

	for (;;) {
		struct gio_exit x = { 0 };

		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == 0, "guest out of step");
			return n;
		case UCALL_NONE:
			break;
		default:
			REPORT_GUEST_ASSERT(vcpu, uc);
		}
		x.reason = run->exit_reason;
		if (x.reason == KVM_EXIT_MMIO) {
			x.addr = run->mmio.phys_addr;
			x.len = run->mmio.len;
			x.count = 1;
			x.write = run->mmio.is_write;
			TEST_ASSERT(x.len <= 8, "mmio.len %u", x.len);
			if (x.write)
				memcpy(&x.data, run->mmio.data, x.len);
			else
				memcpy(run->mmio.data, &gio_read_answer, x.len);
		} else if (x.reason == KVM_EXIT_IO) {
			uint8_t *d = vcpu_io_data(vcpu);

			x.addr = run->io.port;
			x.len = run->io.size;
			x.count = run->io.count;
			x.write = run->io.direction == KVM_EXIT_IO_OUT;
			TEST_ASSERT(x.len <= 4, "io.size %u", x.len);
			if (x.write)
				memcpy(&x.data, d, x.len);
			else
				for (i = 0; i < x.count; i++)
					memcpy(d + i * x.len, &gio_read_answer,
					       x.len);
		} else {
			TEST_FAIL("unexpected exit %s",
				  exit_reason_str(x.reason));
		}
		if (gio_exit_hook)
			gio_exit_hook(vcpu, &x);
		if (!n && first)
			*first = x;
		n++;
		TEST_ASSERT(n < 100000, "guest does not get past its access");
	}
}

/* Have the guest perform one request; returns gio_run()'s count. */
static unsigned int gio_do(struct kvm_vcpu *vcpu, uint64_t op, uint64_t addr,
			   uint64_t len, uint64_t val, uint64_t count,
			   struct gio_exit *first)
{
	struct gio_cmd c = { op, addr, val, len, count };

	memcpy(addr_gva2hva(vcpu->vm, (vm_vaddr_t)&gio_cmd), &c, sizeof(c));
	return gio_run(vcpu, first);
}

/* A VM with one vCPU in gio_guest(), stopped at its first request. */
static __attribute__((unused)) struct kvm_vm *
gio_vm_create(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, gio_guest);

	TEST_ASSERT_EQ(gio_run(*vcpu, NULL), 0);
	return vm;
}

static void gio_vm_free(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct gio_cmd c = { .op = GIO_DONE };

	memcpy(addr_gva2hva(vm, (vm_vaddr_t)&gio_cmd), &c, sizeof(c));
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

#endif /* KVMM_SELFTEST_GUEST_IO_H */
