// SPDX-License-Identifier: GPL-2.0
/*
 * paging_modes: a guest in each legacy paging mode reaches MMIO through
 * its own page tables, so the exit path walks them (kvmm's one walker:
 * arch/x86/mmu/walk.c) and the emulator completes the access.
 *
 * For 32-bit paging (4-MiB and 4-KiB pages, CR4.PSE) and PAE paging
 * (2-MiB and 4-KiB pages), set up directly with KVM_SET_SREGS: the code
 * runs from an identity-mapped large page and loads a dword from linear
 * 0x400000, which a 4-KiB PTE maps to guest physical 0xc0000000, outside
 * every slot.  The host must see KVM_EXIT_MMIO at 0xc0000000 and, after
 * answering, the value coming back through OUT; KVM_TRANSLATE must agree.
 */
#include <string.h>

#include "processor.h"

#define MEM_SIZE	(2u << 20)
#define CODE_GPA	0x1000
#define MMIO_GVA	0x400000u
#define MMIO_GPA	0xc0000000u
#define PORT		0x10
#define VALUE		0x12345678u

#define P	0x1u
#define RW	0x2u
#define PS	0x80u

/* mov eax, [MMIO_GVA]; out PORT, eax; hlt */
static const uint8_t code[] = {
	0xa1, 0x00, 0x00, 0x40, 0x00, 0xe7, PORT, 0xf4,
};

static void flat32(struct kvm_segment *s, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->db = 1;
	s->g = 1;
}

static bool run_mode(bool pae)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_translation tr = { .linear_address = MMIO_GVA };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	uint8_t *mem;
	bool ok = true;

	mem = vm_userspace_mem_region_add(vm, 0, 0, MEM_SIZE / 4096, 0);
	memcpy(mem + CODE_GPA, code, sizeof(code));
	if (!pae) {
		uint32_t *pd = (uint32_t *)(mem + 0x10000);
		uint32_t *pt = (uint32_t *)(mem + 0x11000);

		pd[0] = 0x0 | P | RW | PS;		/* 4 MiB identity */
		pd[MMIO_GVA >> 22] = 0x11000 | P | RW;
		pt[0] = MMIO_GPA | P | RW;
	} else {
		uint64_t *pdpt = (uint64_t *)(mem + 0x12000);
		uint64_t *pd = (uint64_t *)(mem + 0x13000);
		uint64_t *pt = (uint64_t *)(mem + 0x14000);

		pdpt[0] = 0x13000 | P;
		pd[0] = 0x0 | P | RW | PS;		/* 2 MiB identity */
		pd[MMIO_GVA >> 21] = 0x14000 | P | RW;
		pt[0] = MMIO_GPA | P | RW;
	}

	vcpu = __vm_vcpu_add(vm, 0);
	run = vcpu->run;
	vcpu_sregs_get(vcpu, &sregs);
	flat32(&sregs.cs, 0xb);
	flat32(&sregs.ds, 0x3);
	sregs.es = sregs.ss = sregs.fs = sregs.gs = sregs.ds;
	sregs.cr0 = 0x80000011;			/* PG, ET, PE */
	sregs.cr3 = pae ? 0x12000 : 0x10000;
	sregs.cr4 = pae ? 0x20 : 0x10;		/* PAE or PSE */
	sregs.efer = 0;
	vcpu_sregs_set(vcpu, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	vcpu_regs_set(vcpu, &regs);

	vcpu_ioctl(vcpu, KVM_TRANSLATE, &tr);
	if (!tr.valid || tr.physical_address != MMIO_GPA) {
		pr_info("KVM_TRANSLATE(%#x): valid %d gpa %#llx", MMIO_GVA,
			tr.valid, (unsigned long long)tr.physical_address);
		ok = false;
	}

	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write ||
	    run->mmio.phys_addr != MMIO_GPA || run->mmio.len != 4) {
		pr_info("expected an MMIO read of 4 at %#x: exit %s addr %#llx len %u",
			MMIO_GPA, exit_reason_str(run->exit_reason),
			(unsigned long long)run->mmio.phys_addr, run->mmio.len);
		kvm_vm_free(vm);
		return false;
	}
	*(uint32_t *)run->mmio.data = VALUE;
	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT ||
	    run->io.size != 4 ||
	    *(uint32_t *)((uint8_t *)run + run->io.data_offset) != VALUE) {
		pr_info("expected OUT %#x of %#x: exit %s", PORT, VALUE,
			exit_reason_str(run->exit_reason));
		ok = false;
	}
	vcpu_run(vcpu);
	ok &= run->exit_reason == KVM_EXIT_HLT;
	kvm_vm_free(vm);
	return ok;
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(2);
	ksft_test_result(run_mode(false), "paging32_pse_mmio_and_translate");
	ksft_test_result(run_mode(true), "pae_mmio_and_translate");
	ksft_finished();
}
