/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the irqchip's glue for tests: eventfds, MSI routes
 * (KVM_SET_GSI_ROUTING, api.rst 4.52) and irqfds (KVM_IRQFD, 4.75).
 *
 * The ioctl wrappers return 0 or -errno and never assert, so a test can
 * compare the errno of a refusal (ret_errno()); a test that only sets
 * things up asserts on the result itself.
 */
#ifndef KVMM_SELFTEST_IRQ_UTIL_H
#define KVMM_SELFTEST_IRQ_UTIL_H

#include <errno.h>
#include <stdint.h>

#include "kvm_util.h"

/* An MSI's address for physical destination APIC ID @dest (x86). */
#define MSI_ADDR(dest)	(0xfee00000u | ((dest) << 12))

/* A raw ioctl's result as 0 (or its value) or -errno. */
static inline int ret_errno(int r)
{
	return r < 0 ? -errno : r;
}

/* eventfd(0, EFD_NONBLOCK), asserting. */
int new_eventfd(void);

/*
 * A route of @gsi to an MSI: physical destination APIC ID @dest, fixed
 * delivery, edge, @vector.
 */
struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint32_t dest,
				       uint8_t vector);
/*
 * KVM_SET_GSI_ROUTING with @nr entries (they replace the whole table)
 * and header @flags; 0 or -errno.
 */
int set_routing(struct kvm_vm *vm, const struct kvm_irq_routing_entry *e,
		uint32_t nr, uint32_t flags);
/* A one-entry table; 0 or -errno. */
int route1(struct kvm_vm *vm, struct kvm_irq_routing_entry e);

/*
 * KVM_IRQFD: eventfd @fd raises @gsi (@flags: KVM_IRQFD_FLAG_*, with
 * @resamplefd for KVM_IRQFD_FLAG_RESAMPLE); 0 or -errno.
 */
int irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, uint32_t flags,
	  int resamplefd);

#endif /* KVMM_SELFTEST_IRQ_UTIL_H */
