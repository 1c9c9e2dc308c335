/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmm core: declarations shared by the arch-neutral code in virt/ and the
 * x86 code in arch/x86/.  Nothing here knows a VMCB or a VMCS.
 */
#ifndef _KVMM_KVMM_H
#define _KVMM_KVMM_H

#include <linux/types.h>
#include <linux/printk.h>

/*
 * An invariant of kvmm was broken.  The test harness fails every run whose
 * kernel log holds this prefix, so use it for "cannot happen" conditions
 * that must not be papered over (leaks at unload, impossible states).
 */
#define kvmm_internal_error(fmt, ...) \
	pr_err("internal error: " fmt, ##__VA_ARGS__)

/* virt/alloc.c: accounted allocations (leaks are reported at unload). */
void *kvmm_zalloc(size_t size, gfp_t gfp);
void kvmm_free(const void *ptr);
struct page *kvmm_alloc_page(gfp_t gfp);
void kvmm_free_page(struct page *page);
struct page *kvmm_alloc_pages(gfp_t gfp, unsigned int order);
void kvmm_free_pages(struct page *page, unsigned int order);
void *kvmm_kvzalloc(size_t size, gfp_t gfp);
void kvmm_kvfree(const void *ptr, size_t size);
void kvmm_alloc_counts(long *objects, long *bytes);
int kvmm_alloc_check_leaks(void);

/* virt/debugfs.c: /sys/kernel/debug/kvmm/ */
struct kvmm_vm;
struct kvmm_vcpu;
int kvmm_debugfs_init(void);
void kvmm_debugfs_exit(void);
void kvmm_debugfs_vm_init(struct kvmm_vm *vm, int fd);
void kvmm_debugfs_vm_exit(struct kvmm_vm *vm);
void kvmm_debugfs_vcpu_init(struct kvmm_vcpu *vcpu);

/* virt/dev.c: the /dev/kvm misc device and its system ioctls. */
int kvmm_dev_init(void);
void kvmm_dev_exit(void);
const char *kvmm_dev_name(void);

/* virt/hw_enable.c: virtualization on every CPU, hotplug, reboot, suspend. */
int kvmm_hw_init(void);
void kvmm_hw_exit(void);
bool kvmm_hw_enabled_on_this_cpu(void);
extern bool kvmm_rebooting;

/* Arch hooks, implemented in arch/<arch>/: all in arch_hooks.h. */
#include <kvmm/arch_hooks.h>

/*
 * virt/irq_routing.c: GSI routes and interrupt lines; an arch takes
 * routes, lines and MSIs only when it has an in-kernel irqchip for them
 * (kvmm_arch_can_set_irq_routing(), KVM's irqchip_in_kernel()).
 */
#define KVMM_MAX_IRQ_ROUTES	4096	/* KVM's KVM_MAX_IRQ_ROUTES */
struct kvmm_vm;
long kvmm_vm_set_gsi_routing(struct kvmm_vm *vm, void __user *arg);
long kvmm_vm_irq_line(struct kvmm_vm *vm, void __user *arg, bool status);

#endif /* _KVMM_KVMM_H */
