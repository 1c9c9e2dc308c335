/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM ABI helpers for kvmm selftests, in the style of Linux's KVM selftests:
 * a double-underscore helper returns the raw result and leaves errno alone,
 * the plain one asserts success and names what failed.
 *
 * The device is $KVMM_DEVICE (default /dev/kvm), so the same binaries test
 * kvmm and Linux KVM (the reference).
 *
 * The second half of this file holds the VM and vCPU objects a guest test
 * needs (vm_create(), vm_vcpu_add(), vcpu_run(), memory slots, guest address
 * translation).  Guest code lives in the test's own C file and talks to the
 * host through ucall.h; the x86 specifics (page tables, descriptor tables,
 * CPUID, register state) are in x86_64/processor.h.
 */
#ifndef KVMM_SELFTEST_KVM_UTIL_H
#define KVMM_SELFTEST_KVM_UTIL_H

#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "test_util.h"
#include "kvmm_env.h"

#define KVM_DEV_PATH_DEFAULT	"/dev/kvm"

/* The device under test: $KVMM_DEVICE, or /dev/kvm. */
const char *kvm_dev_path(void);

/*
 * Open @path; skip the whole test if it does not exist (ENOENT, ENXIO,
 * ENODEV: no hypervisor loaded), fail it on any other error.
 */
int open_path_or_exit(const char *path, int flags);
/* Open the device under test with @flags; skips when it is absent. */
int _open_kvm_dev_path_or_exit(int flags);
/* Open the device under test read-only (all system ioctls need). */
int open_kvm_dev_path_or_exit(void);

/*
 * Raw ioctl: the return value as the kernel gave it (-1 and errno on error).
 * @arg may be a pointer or an integer; it is passed as a full unsigned long
 * so integer arguments reach the kernel sign-extended and with defined upper
 * bits.
 */
#define __kvm_ioctl(fd, cmd, arg)					\
	ioctl(fd, cmd, (unsigned long)(arg))

#define KVM_IOCTL_ERROR(name, ret)					\
	"%s failed, rc: %i errno: %i (%s)", name, ret, errno,		\
	errno_name(errno)

/*
 * ioctl that must succeed (return >= 0); evaluates to the return value.
 * The assertion message names the ioctl.
 */
#define kvm_ioctl(fd, cmd, arg)						\
({									\
	int __ret = __kvm_ioctl(fd, cmd, arg);				\
									\
	TEST_ASSERT(__ret >= 0, KVM_IOCTL_ERROR(#cmd, __ret));		\
	__ret;								\
})

/* KVM_CHECK_EXTENSION on a fresh system fd; asserts the answer is >= 0. */
unsigned int kvm_check_cap(long cap);
/*
 * KVM_GET_API_VERSION through a fresh open of the device; -errno when the
 * open or the ioctl fails (never asserts: for module life-cycle tests).
 */
int kvm_dev_api_version(void);
/* Same on an open fd, returning the raw result (-1 and errno on error). */
int __kvm_check_cap(int fd, long cap);

/* Human name of a KVM_CAP_* number known to <linux/kvm.h>, or NULL. */
const char *kvm_cap_name(long cap);

/* ======================================================================
 * VM and vCPU objects
 * ====================================================================== */

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))

typedef uint64_t vm_paddr_t;	/* guest physical address */
typedef uint64_t vm_vaddr_t;	/* guest virtual address */

/* One KVM_SET_USER_MEMORY_REGION slot and the host memory behind it. */
struct userspace_mem_region {
	struct kvm_userspace_memory_region region;
	void *host_mem;		/* what the slot maps (page aligned) */
	size_t mmap_size;	/* 0 when the memory is not ours to unmap */
	struct userspace_mem_region *next;
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;	/* the vCPU fd's mmap, run_size bytes */
	size_t run_size;
	struct kvm_vcpu *next;
};

struct kvm_vm {
	int kvm_fd;		/* the device (system fd) */
	int fd;			/* the VM fd */
	unsigned long type;	/* KVM_CREATE_VM argument */
	struct userspace_mem_region *regions;
	struct kvm_vcpu *vcpus;

	/*
	 * Set by vm_create() (not vm_create_barebones()): slot 0 at GPA 0
	 * holds the test binary at its own addresses, and a bump allocator
	 * hands out the pages in [phys_next, phys_end).
	 */
	bool has_guest_image;
	vm_paddr_t phys_next, phys_end;
	uint32_t image_slot;

	/* x86: guest tables built by vm_create(); 0 when absent. */
	vm_paddr_t pml4;
	vm_paddr_t gdt, idt, tss;
};

/* Slot 0 is the guest image; tests add their own slots from here up. */
#define VM_IMAGE_SLOT		0

/*
 * An empty VM: KVM_CREATE_VM(@type), nothing else.  In kvmm mode, a VM fd
 * kvmm cannot create yet (EINVAL: unknown ioctl) skips the whole test.
 */
struct kvm_vm *vm_create_barebones_type(unsigned long type);
struct kvm_vm *vm_create_barebones(void);

/*
 * A VM ready for 64-bit guest code: slot 0 at GPA 0 with the test binary's
 * PT_LOAD segments at their own addresses, identity page tables for the low
 * 4 GiB (2 MiB pages; GVA == GPA, so addresses outside every slot reach
 * userspace as MMIO), a GDT, an IDT whose handlers report exceptions through
 * ucall, a TSS, and room for @nr_extra_pages more pages (vm_phy_pages_alloc).
 */
struct kvm_vm *vm_create(uint64_t nr_extra_pages);
/* vm_create(0) plus vCPU 0 running @guest_code. */
struct kvm_vm *vm_create_with_one_vcpu(struct kvm_vcpu **vcpu,
				       void *guest_code);
/* Close every vCPU and the VM, unmap and free everything; NULL is a no-op. */
void kvm_vm_free(struct kvm_vm *vm);

/* VM fd ioctls: raw result, or asserting success and naming the ioctl. */
#define __vm_ioctl(vm, cmd, arg)	__kvm_ioctl((vm)->fd, cmd, arg)
#define vm_ioctl(vm, cmd, arg)						\
({									\
	int __r = __vm_ioctl(vm, cmd, arg);				\
									\
	TEST_ASSERT(__r >= 0, KVM_IOCTL_ERROR(#cmd, __r));		\
	__r;								\
})
/* vCPU fd ioctls, the same way. */
#define __vcpu_ioctl(vcpu, cmd, arg)	__kvm_ioctl((vcpu)->fd, cmd, arg)
#define vcpu_ioctl(vcpu, cmd, arg)					\
({									\
	int __r = __vcpu_ioctl(vcpu, cmd, arg);				\
									\
	TEST_ASSERT(__r >= 0, KVM_IOCTL_ERROR(#cmd, __r));		\
	__r;								\
})

/* KVM_CHECK_EXTENSION on the VM fd (raw, and asserting >= 0). */
int __vm_check_cap(struct kvm_vm *vm, long cap);
unsigned int vm_check_cap(struct kvm_vm *vm, long cap);

/* KVM_GET_VCPU_MMAP_SIZE on the system fd; asserts it is at least a page. */
size_t vcpu_mmap_size(void);

/*
 * Raw KVM_SET_USER_MEMORY_REGION, nothing recorded: the ioctl's result
 * (-1 and errno on error).
 */
int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva);
/* The same, asserting success; the VM does not track the slot. */
void vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
			       uint32_t flags, uint64_t gpa, uint64_t size,
			       void *hva);
/*
 * Add a tracked slot of @npages fresh zeroed anonymous pages at @gpa.  The
 * memory is freed with the VM.  Returns the host address of its first byte.
 */
void *vm_userspace_mem_region_add(struct kvm_vm *vm, uint32_t slot,
				  vm_paddr_t gpa, uint64_t npages,
				  uint32_t flags);
/* Delete a tracked slot (size 0) and free its memory. */
void vm_mem_region_delete(struct kvm_vm *vm, uint32_t slot);
/* Move a tracked slot to @new_gpa (KVM_SET_USER_MEMORY_REGION, same size). */
void vm_mem_region_move(struct kvm_vm *vm, uint32_t slot, vm_paddr_t new_gpa);
/* The tracked slot @slot, or NULL. */
struct userspace_mem_region *memslot2region(struct kvm_vm *vm, uint32_t slot);

/* Host address of guest physical @gpa (asserts it is in a tracked slot). */
void *addr_gpa2hva(struct kvm_vm *vm, vm_paddr_t gpa);
/* Host address of guest virtual @gva, through the guest's page tables. */
void *addr_gva2hva(struct kvm_vm *vm, vm_vaddr_t gva);
/* Guest physical address of @gva (asserts it is mapped). */
vm_paddr_t addr_gva2gpa(struct kvm_vm *vm, vm_vaddr_t gva);

/*
 * @nr zeroed, contiguous guest pages from slot 0's pool (vm_create() VMs
 * only); returns their GPA, which is also their GVA.
 */
vm_paddr_t vm_phy_pages_alloc(struct kvm_vm *vm, uint64_t nr);

/*
 * Copy a host global into the guest's copy of the test binary, or back.
 * vm_create() copies the binary's memory once; a global the host changes
 * afterwards reaches the guest only through sync_global_to_guest().
 */
#define sync_global_to_guest(vm, g)					\
	memcpy(addr_gva2hva(vm, (vm_vaddr_t)&(g)), (const void *)&(g), sizeof(g))
#define sync_global_from_guest(vm, g)					\
	memcpy((void *)&(g), addr_gva2hva(vm, (vm_vaddr_t)&(g)), sizeof(g))
/* Write @val into the guest's copy of global @g (the host's stays). */
#define write_guest_global(vm, g, val)					\
({									\
	typeof(g) __v = (val);						\
									\
	memcpy(addr_gva2hva(vm, (vm_vaddr_t)&(g)), &__v, sizeof(g));	\
})

/* Copy @len bytes of host memory to guest physical @gpa. */
void vm_write_gpa(struct kvm_vm *vm, vm_paddr_t gpa, const void *src,
		  size_t len);

/*
 * A vCPU in KVM's reset state (KVM_CREATE_VCPU + mmap of kvm_run), nothing
 * set up: for real-mode and register-state tests.
 */
struct kvm_vcpu *__vm_vcpu_add(struct kvm_vm *vm, uint32_t id);
/*
 * A 64-bit vCPU of a vm_create() VM: long-mode sregs, its own stack,
 * KVM_GET_SUPPORTED_CPUID as its CPUID, RIP = @guest_code.  If the guest
 * function returns, the guest reports it as an assertion failure.
 */
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, uint32_t id,
			     void *guest_code);
/* Close one vCPU (munmap kvm_run, close the fd) and forget it. */
void vm_vcpu_rm(struct kvm_vcpu *vcpu);

/* KVM_RUN: raw result, and asserting success. */
int _vcpu_run(struct kvm_vcpu *vcpu);
void vcpu_run(struct kvm_vcpu *vcpu);

/* "KVM_EXIT_IO" for KVM_EXIT_IO, a number for unknown values. */
const char *exit_reason_str(unsigned int reason);

/* Assert the last KVM_RUN exited with @reason (both named on failure). */
#define TEST_ASSERT_KVM_EXIT_REASON(vcpu, reason)			\
do {									\
	unsigned int __er = (vcpu)->run->exit_reason;			\
									\
	TEST_ASSERT(__er == (reason),					\
		    "wanted exit reason %u (%s), got %u (%s)",		\
		    (unsigned int)(reason), exit_reason_str(reason),	\
		    __er, exit_reason_str(__er));			\
} while (0)

/* Get/set register state (asserting). */
void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
/*
 * Pass up to six integer arguments to the guest function, in the SysV
 * registers (rdi, rsi, rdx, rcx, r8, r9).  Each is read as a uint64_t:
 * cast narrower values, e.g. vcpu_args_set(vcpu, 1, (uint64_t)42).
 */
void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int num, ...);

/*
 * The in-kernel irqchip (KVM_CREATE_IRQCHIP: both PICs, the IOAPIC and a
 * local APIC for each vCPU), created before the first vCPU.  The raw call
 * returns the ioctl's result (-1 and errno) to a test that handles a
 * refusal its own way (skip, or fail); vm_create_irqchip() asserts.
 */
int __vm_create_irqchip(struct kvm_vm *vm);
void vm_create_irqchip(struct kvm_vm *vm);
/*
 * The same where kvmm may not offer it yet: true when created; false when
 * refused, which is reported, and fails the test on the reference (Linux
 * always has it).
 */
bool vm_try_create_irqchip(struct kvm_vm *vm);

/*
 * KVM_SET_MP_STATE (asserting).  With the in-kernel irqchip every vCPU
 * but the BSP starts UNINITIALIZED, waiting for INIT and SIPI:
 * KVM_MP_STATE_RUNNABLE lets a test run one directly.
 */
void vcpu_set_mp_state(struct kvm_vcpu *vcpu, uint32_t state);

/* Pointer to the I/O data of the current KVM_EXIT_IO exit. */
static inline void *vcpu_io_data(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

/*
 * Skip in kvmm mode when an ioctl answered EINVAL/ENOTTY the way kvmm does
 * for something it does not implement yet; returns otherwise.
 */
void kvmm_skip_if_unimplemented(int ret, int err, const char *what);

#endif /* KVMM_SELFTEST_KVM_UTIL_H */
