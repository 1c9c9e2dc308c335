// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds, MSI routes and irqfds for tests (irq_util.h).
 */
#include <sys/eventfd.h>

#include "irq_util.h"

int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	TEST_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

int set_routing(struct kvm_vm *vm, const struct kvm_irq_routing_entry *e,
		uint32_t nr, uint32_t flags)
{
	struct kvm_irq_routing *rt;
	int r;

	rt = calloc(1, sizeof(*rt) + nr * sizeof(*e));
	TEST_ASSERT(rt, "calloc");
	rt->nr = nr;
	rt->flags = flags;
	if (nr)
		memcpy(rt->entries, e, nr * sizeof(*e));
	r = ret_errno(__vm_ioctl(vm, KVM_SET_GSI_ROUTING, rt));
	free(rt);
	return r;
}

struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint32_t dest,
				       uint8_t vector)
{
	return (struct kvm_irq_routing_entry) {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = MSI_ADDR(dest), .data = vector },
	};
}

int route1(struct kvm_vm *vm, struct kvm_irq_routing_entry e)
{
	return set_routing(vm, &e, 1, 0);
}

int irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, uint32_t flags,
	  int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ret_errno(__vm_ioctl(vm, KVM_IRQFD, &a));
}
