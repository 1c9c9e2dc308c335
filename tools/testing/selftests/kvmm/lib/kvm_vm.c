// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU objects: creation, memory slots, running, register state.
 * The x86 parts (guest tables, long-mode setup) are in x86_64/processor.c.
 */
#include <sys/mman.h>

#include "kvm_util.h"

void kvmm_skip_if_unimplemented(int ret, int err, const char *what)
{
	if (ret >= 0 || test_mode() != TEST_MODE_KVMM)
		return;
	if (err == EINVAL || err == ENOTTY || err == ENODEV)
		ksft_exit_skip("kvmm does not implement %s yet (%s)", what,
			       errno_name(err));
}

struct kvm_vm *vm_create_barebones_type(unsigned long type)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "out of memory");
	vm->kvm_fd = _open_kvm_dev_path_or_exit(O_RDWR);
	vm->type = type;
	vm->fd = __kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	kvmm_skip_if_unimplemented(vm->fd, errno, "KVM_CREATE_VM");
	TEST_ASSERT(vm->fd >= 0, KVM_IOCTL_ERROR("KVM_CREATE_VM", vm->fd));
	return vm;
}

struct kvm_vm *vm_create_barebones(void)
{
	return vm_create_barebones_type(0);
}

void vm_vcpu_rm(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_vcpu **p;

	for (p = &vm->vcpus; *p; p = &(*p)->next) {
		if (*p == vcpu) {
			*p = vcpu->next;
			break;
		}
	}
	if (vcpu->run)
		TEST_ASSERT(!munmap(vcpu->run, vcpu->run_size),
			    "munmap(kvm_run) failed");
	TEST_ASSERT(!close(vcpu->fd), "close(vcpu fd) failed");
	free(vcpu);
}

void kvm_vm_free(struct kvm_vm *vm)
{
	struct userspace_mem_region *r;

	if (!vm)
		return;
	while (vm->vcpus)
		vm_vcpu_rm(vm->vcpus);
	TEST_ASSERT(!close(vm->fd), "close(vm fd) failed");
	TEST_ASSERT(!close(vm->kvm_fd), "close(kvm fd) failed");
	/* The memory may go only after the VM fd no longer maps it. */
	while ((r = vm->regions)) {
		vm->regions = r->next;
		if (r->mmap_size)
			munmap(r->host_mem, r->mmap_size);
		free(r);
	}
	free(vm);
}

int __vm_check_cap(struct kvm_vm *vm, long cap)
{
	return __vm_ioctl(vm, KVM_CHECK_EXTENSION, cap);
}

unsigned int vm_check_cap(struct kvm_vm *vm, long cap)
{
	return vm_ioctl(vm, KVM_CHECK_EXTENSION, cap);
}

size_t vcpu_mmap_size(void)
{
	int fd = open_kvm_dev_path_or_exit();
	int ret = kvm_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	close(fd);
	TEST_ASSERT(ret >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE returned %d, less than kvm_run",
		    ret);
	return ret;
}

/* ---- memory slots ---- */

int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return __vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
}

void vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
			       uint32_t flags, uint64_t gpa, uint64_t size,
			       void *hva)
{
	int ret = __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(!ret, "KVM_SET_USER_MEMORY_REGION(slot %u, flags %#x, gpa %#llx, size %#llx) failed, rc: %i errno: %i (%s)",
		    slot, flags, (unsigned long long)gpa,
		    (unsigned long long)size, ret, errno, errno_name(errno));
}

struct userspace_mem_region *memslot2region(struct kvm_vm *vm, uint32_t slot)
{
	struct userspace_mem_region *r;

	for (r = vm->regions; r; r = r->next)
		if (r->region.slot == slot)
			return r;
	return NULL;
}

void *vm_userspace_mem_region_add(struct kvm_vm *vm, uint32_t slot,
				  vm_paddr_t gpa, uint64_t npages,
				  uint32_t flags)
{
	struct userspace_mem_region *r = calloc(1, sizeof(*r));
	size_t size = npages * PAGE_SIZE;

	TEST_ASSERT(r, "out of memory");
	TEST_ASSERT(!memslot2region(vm, slot), "slot %u already in use", slot);
	r->host_mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(r->host_mem != MAP_FAILED, "mmap(%zu) failed", size);
	r->mmap_size = size;
	r->region = (struct kvm_userspace_memory_region){
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)r->host_mem,
	};
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r->region);
	r->next = vm->regions;
	vm->regions = r;
	return r->host_mem;
}

void vm_mem_region_delete(struct kvm_vm *vm, uint32_t slot)
{
	struct userspace_mem_region *r, **p;

	for (p = &vm->regions; (r = *p); p = &r->next)
		if (r->region.slot == slot)
			break;
	TEST_ASSERT(r, "slot %u is not tracked", slot);
	r->region.memory_size = 0;
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r->region);
	*p = r->next;
	if (r->mmap_size)
		munmap(r->host_mem, r->mmap_size);
	free(r);
}

void vm_mem_region_move(struct kvm_vm *vm, uint32_t slot, vm_paddr_t new_gpa)
{
	struct userspace_mem_region *r = memslot2region(vm, slot);

	TEST_ASSERT(r, "slot %u is not tracked", slot);
	r->region.guest_phys_addr = new_gpa;
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r->region);
}

void *addr_gpa2hva(struct kvm_vm *vm, vm_paddr_t gpa)
{
	struct userspace_mem_region *r;

	for (r = vm->regions; r; r = r->next) {
		uint64_t start = r->region.guest_phys_addr;

		if (gpa >= start && gpa - start < r->region.memory_size)
			return (uint8_t *)r->host_mem + (gpa - start);
	}
	TEST_FAIL("no memory slot holds GPA %#llx", (unsigned long long)gpa);
}

void *addr_gva2hva(struct kvm_vm *vm, vm_vaddr_t gva)
{
	return addr_gpa2hva(vm, addr_gva2gpa(vm, gva));
}

void vm_write_gpa(struct kvm_vm *vm, vm_paddr_t gpa, const void *src,
		  size_t len)
{
	/* Page by page: consecutive GPAs may be in different slots. */
	while (len) {
		size_t n = PAGE_SIZE - (gpa & ~PAGE_MASK);

		if (n > len)
			n = len;
		memcpy(addr_gpa2hva(vm, gpa), src, n);
		gpa += n;
		src = (const uint8_t *)src + n;
		len -= n;
	}
}

vm_paddr_t vm_phy_pages_alloc(struct kvm_vm *vm, uint64_t nr)
{
	vm_paddr_t gpa = vm->phys_next;

	TEST_ASSERT(vm->has_guest_image, "VM has no page pool (vm_create())");
	TEST_ASSERT(nr <= (vm->phys_end - gpa) / PAGE_SIZE,
		    "guest page pool exhausted: %llu pages wanted, %llu left",
		    (unsigned long long)nr,
		    (unsigned long long)((vm->phys_end - gpa) / PAGE_SIZE));
	vm->phys_next += nr * PAGE_SIZE;
	memset(addr_gpa2hva(vm, gpa), 0, nr * PAGE_SIZE);
	return gpa;
}

/* ---- vCPUs ---- */

struct kvm_vcpu *__vm_vcpu_add(struct kvm_vm *vm, uint32_t id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	TEST_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = __vm_ioctl(vm, KVM_CREATE_VCPU, id);
	kvmm_skip_if_unimplemented(vcpu->fd, errno, "KVM_CREATE_VCPU");
	TEST_ASSERT(vcpu->fd >= 0, KVM_IOCTL_ERROR("KVM_CREATE_VCPU",
						   vcpu->fd));
	vcpu->run_size = vcpu_mmap_size();
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap of the vCPU fd failed");
	vcpu->next = vm->vcpus;
	vm->vcpus = vcpu;
	return vcpu;
}

int _vcpu_run(struct kvm_vcpu *vcpu)
{
	return __vcpu_ioctl(vcpu, KVM_RUN, 0);
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret = _vcpu_run(vcpu);

	TEST_ASSERT(!ret, "KVM_RUN failed, rc: %i errno: %i (%s), exit reason %u (%s)",
		    ret, errno, errno_name(errno), vcpu->run->exit_reason,
		    exit_reason_str(vcpu->run->exit_reason));
}

#define EXIT(name)	[KVM_EXIT_##name] = "KVM_EXIT_" #name

static const char *const exit_reasons[] = {
	EXIT(UNKNOWN), EXIT(EXCEPTION), EXIT(IO), EXIT(HYPERCALL),
	EXIT(DEBUG), EXIT(HLT), EXIT(MMIO), EXIT(IRQ_WINDOW_OPEN),
	EXIT(SHUTDOWN), EXIT(FAIL_ENTRY), EXIT(INTR), EXIT(SET_TPR),
	EXIT(TPR_ACCESS), EXIT(S390_SIEIC), EXIT(S390_RESET), EXIT(DCR),
	EXIT(NMI), EXIT(INTERNAL_ERROR), EXIT(OSI), EXIT(PAPR_HCALL),
	EXIT(S390_UCONTROL), EXIT(WATCHDOG), EXIT(S390_TSCH), EXIT(EPR),
	EXIT(SYSTEM_EVENT), EXIT(S390_STSI), EXIT(IOAPIC_EOI),
	EXIT(HYPERV), EXIT(ARM_NISV), EXIT(X86_RDMSR), EXIT(X86_WRMSR),
	EXIT(DIRTY_RING_FULL), EXIT(AP_RESET_HOLD), EXIT(X86_BUS_LOCK),
	EXIT(XEN),
};

const char *exit_reason_str(unsigned int reason)
{
	static __thread char buf[16];

	if (reason < ARRAY_SIZE(exit_reasons) && exit_reasons[reason])
		return exit_reasons[reason];
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	vcpu_ioctl(vcpu, KVM_GET_REGS, regs);
}

void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	vcpu_ioctl(vcpu, KVM_SET_REGS, regs);
}

void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vcpu_ioctl(vcpu, KVM_GET_SREGS, sregs);
}

void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vcpu_ioctl(vcpu, KVM_SET_SREGS, sregs);
}

void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int num, ...)
{
	struct kvm_regs regs;
	va_list ap;
	__u64 *slots[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx,
			   &regs.r8, &regs.r9 };
	unsigned int i;

	TEST_ASSERT(num <= ARRAY_SIZE(slots), "at most 6 guest arguments");
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, num);
	for (i = 0; i < num; i++)
		*slots[i] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

/* ---- the in-kernel irqchip ---- */

int __vm_create_irqchip(struct kvm_vm *vm)
{
	return __vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
}

void vm_create_irqchip(struct kvm_vm *vm)
{
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
}

bool vm_try_create_irqchip(struct kvm_vm *vm)
{
	int ret = __vm_create_irqchip(vm);
	int err = errno;

	if (!ret)
		return true;
	TEST_ASSERT(test_mode() != TEST_MODE_REF,
		    "KVM_CREATE_IRQCHIP failed on the reference: %s",
		    errno_name(err));
	pr_info("KVM_CREATE_IRQCHIP: %s", errno_name(err));
	return false;
}

void vcpu_set_mp_state(struct kvm_vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
}
