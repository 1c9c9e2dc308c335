// SPDX-License-Identifier: GPL-2.0
/*
 * emulator_isolation: the instruction emulator may not let a guest
 * process do more than it could do by itself.
 *
 * kvmm fetches the instruction again after an exit, so the bytes it
 * decodes may not be those that exited: another vCPU can rewrite them in
 * between (the CVE-2010-0306 class).  The test makes that race
 * deterministic with an MMIO read: kvmm abandons the instruction when it
 * exits to userspace for the data and decodes it again on the next
 * KVM_RUN, so the test rewrites the bytes at the KVM_EXIT_MMIO, as a
 * racing vCPU would, and checks what the new instruction may do:
 *
 *  - a ring-3 MOV from MMIO becomes OUTSB (CPL 3, IOPL 0): to a port its
 *    TSS I/O permission bitmap denies it must raise #GP, never reach the
 *    port; to a port the bitmap allows it goes out (the bitmap is read,
 *    not a blanket refusal);
 *  - a ring-0 MOV from MMIO through a supervisor page, with CR4.SMAP, finds
 *    the page turned into a user page: the access must raise #PF.
 *
 * Linux KVM keeps the decoded instruction across the exit and completes
 * the original MOV; the test accepts that there (the guest reports it
 * with a #UD from the next instruction) and requires the re-decoded
 * outcome on kvmm, where it shows the emulator's checks.
 */
#include "kvmm_env.h"
#include "processor.h"

/* Outside every slot, inside the identity map (GiB 3): MMIO. */
#define MMIO_GPA	0xc0000000ull
#define DENIED_PORT	0x70
#define ALLOWED_PORT	0x3f8

#define USER_CS		(0x30 | 3)
#define USER_SS		(0x28 | 3)

#define TSS_RSP0	0x04
#define TSS_IOMAP_BASE	0x66
#define TSS_IOMAP	0x68	/* the bitmap, to the end of the TSS page */

#define PF_VECTOR	14

uint16_t race_port;
extern char race_insn[];
void guest_raced(void);

/*
 * DX = race_port, RSI = readable memory for OUTSB, then one MOV from
 * MMIO at race_insn (the bytes the host rewrites) and UD2 to report that
 * the MOV completed.  Plain asm: the ring-3 part makes no ucall (port
 * I/O at CPL 3 would need the bitmap), only exceptions.
 */
__asm__(
	".pushsection .text\n"
	".globl guest_raced\n"
	"guest_raced:\n"
	"	movzwl race_port(%rip), %edx\n"
	"	leaq race_insn(%rip), %rsi\n"
	"	movabsq $0xc0000000, %rbx\n"
	".globl race_insn\n"
	"race_insn:\n"
	"	movb (%rbx), %al\n"
	"	ud2\n"
	".popsection\n");

/* #GP, #PF or #UD, at ring 0: report vector, error code and RIP. */
static void guest_report(struct ex_regs *regs)
{
	GUEST_SYNC_ARGS(regs->vector, regs->error_code, regs->rip, regs->cs,
			0);
	for (;;)
		halt();
}

static uint64_t *guest_table(struct kvm_vm *vm, vm_paddr_t gpa)
{
	return addr_gpa2hva(vm, gpa & PTE_ADDR_MASK);
}

/* Every page user-accessible: ring 3 runs the test binary. */
static void map_all_user(struct kvm_vm *vm)
{
	uint64_t *pml4 = guest_table(vm, vm->pml4), *pdpt, *pd;
	int i, j;

	pml4[0] |= PTE_USER;
	pdpt = guest_table(vm, pml4[0]);
	for (i = 0; i < 4; i++) {
		pdpt[i] |= PTE_USER;
		pd = guest_table(vm, pdpt[i]);
		for (j = 0; j < 512; j++)
			pd[j] |= PTE_USER;
	}
}

/*
 * CPL 3, IOPL 0; the TSS gives ring 0 a stack and an I/O permission
 * bitmap that allows only ALLOWED_PORT.
 */
static void enter_ring3(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	vm_paddr_t stack = vm_phy_pages_alloc(vm, 4);
	uint8_t *tss = addr_gpa2hva(vm, vm->tss);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t rsp0 = stack + 4 * PAGE_SIZE;

	memcpy(tss + TSS_RSP0, &rsp0, 8);
	tss[TSS_IOMAP_BASE] = TSS_IOMAP;
	tss[TSS_IOMAP_BASE + 1] = 0;
	memset(tss + TSS_IOMAP, 0xff, PAGE_SIZE - TSS_IOMAP);
	tss[TSS_IOMAP + ALLOWED_PORT / 8] &= ~(1u << (ALLOWED_PORT % 8));

	vcpu_sregs_get(vcpu, &sregs);
	sregs.tr.limit = PAGE_SIZE - 1;
	kvm_seg_set_flat(&sregs.cs, USER_CS, 0xb, true, false);
	sregs.cs.dpl = 3;
	kvm_seg_set_flat(&sregs.ss, USER_SS, 0x3, false, true);
	sregs.ss.dpl = 3;
	sregs.ds = sregs.es = sregs.ss;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_regs_get(vcpu, &regs);
	regs.rflags = X86_EFLAGS_FIXED;		/* IOPL 0 */
	vcpu_regs_set(vcpu, &regs);
}

static struct kvm_vm *create(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_raced);

	vm_install_exception_handler(vm, GP_VECTOR, guest_report);
	vm_install_exception_handler(vm, PF_VECTOR, guest_report);
	vm_install_exception_handler(vm, UD_VECTOR, guest_report);
	return vm;
}

/* Run to the MOV's MMIO read, then put @byte at race_insn. */
static void race(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint8_t byte)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO &&
		    run->mmio.phys_addr == MMIO_GPA && !run->mmio.is_write &&
		    run->mmio.len == 1,
		    "expected a 1-byte MMIO read at %#llx, got exit %s",
		    MMIO_GPA, exit_reason_str(run->exit_reason));
	memset(run->mmio.data, 0x5a, sizeof(run->mmio.data));
	*(uint8_t *)addr_gpa2hva(vm, (uintptr_t)race_insn) = byte;
}

/*
 * After the race: did the guest report @vector at race_insn?  Or did
 * the original MOV complete (#UD at the UD2 after it)?
 */
static bool reported(struct ucall *uc, uint64_t vector)
{
	return uc->args[0] == vector && uc->args[2] == (uintptr_t)race_insn;
}

static bool mov_completed(struct ucall *uc)
{
	return uc->args[0] == UD_VECTOR &&
	       uc->args[2] == (uintptr_t)race_insn + 2;
}

static void test_raced_outsb(uint16_t port, bool allowed)
{
	bool kvmm = test_mode() == TEST_MODE_KVMM;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	vm = create(&vcpu);
	run = vcpu->run;
	map_all_user(vm);
	enter_ring3(vm, vcpu);
	write_guest_global(vm, race_port, port);

	race(vm, vcpu, 0x6e);		/* OUTSB */
	vcpu_run(vcpu);
	/* The guest's reports are port I/O too (a ucall, from ring 0). */
	if (run->exit_reason == KVM_EXIT_IO &&
	    get_ucall(vcpu, NULL) == UCALL_NONE) {
		ok = allowed && run->io.port == port &&
		     run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1;
		if (!ok)
			pr_info("ring 3 reached port %#x (size %u dir %u)",
				run->io.port, run->io.size, run->io.direction);
	} else {
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			break;
		case UCALL_ABORT:
		case UCALL_UNHANDLED:
			REPORT_GUEST_ASSERT(vcpu, uc);
			break;
		default:
			TEST_FAIL("unexpected exit %s",
				  exit_reason_str(run->exit_reason));
		}
		if (!allowed && reported(&uc, GP_VECTOR))
			ok = uc.args[1] == 0;
		else
			ok = !kvmm && mov_completed(&uc);
		if (!ok)
			pr_info("guest reported vector %lu error code %#lx at %#lx",
				(unsigned long)uc.args[0],
				(unsigned long)uc.args[1],
				(unsigned long)uc.args[2]);
		else if (mov_completed(&uc))
			pr_info("the hypervisor completed the MOV decoded at the exit");
	}
	kvm_vm_free(vm);
	ksft_test_result(ok, "raced outsb to %s port %#x at CPL 3 %s",
			 allowed ? "an allowed" : "a denied", port,
			 allowed ? "goes out" : "is #GP(0)");
}

static bool host_has_smap(void)
{
	const struct kvm_cpuid_entry2 *e;

	e = cpuid_find_entry(kvm_get_supported_cpuid(), 7, 0);
	return e && (e->ebx & (1u << 20));
}

/*
 * Ring 0 with CR4.SMAP reads MMIO through a supervisor page; at the exit
 * the page becomes a user page (only GiB 3 can be: the PML4E and its
 * PDPTE are user, the PDE for MMIO_GPA turns user).  Re-decoded, the
 * read is a supervisor data access to a user page with EFLAGS.AC = 0:
 * #PF with P set, W, U and RSVD clear.
 */
static void test_raced_smap(void)
{
	bool kvmm = test_mode() == TEST_MODE_KVMM;
	uint64_t *pml4, *pdpt, *pd;
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;
	struct ucall uc;
	bool ok;

	if (!host_has_smap()) {
		ksft_test_result_skip("raced smap", "no SMAP in KVM_GET_SUPPORTED_CPUID");
		return;
	}
	vm = create(&vcpu);
	pml4 = guest_table(vm, vm->pml4);
	pml4[0] |= PTE_USER;
	pdpt = guest_table(vm, pml4[0]);
	pdpt[3] |= PTE_USER;
	pd = guest_table(vm, pdpt[3]);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= 1ul << 21;			/* SMAP */
	vcpu_sregs_set(vcpu, &sregs);

	race(vm, vcpu, 0x8a);			/* the MOV itself, unchanged */
	pd[0] |= PTE_USER;
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC,
		    "expected a report from the guest");
	if (reported(&uc, PF_VECTOR))
		ok = uc.args[1] == 1;
	else
		ok = !kvmm && mov_completed(&uc);
	if (!ok)
		pr_info("guest reported vector %lu error code %#lx at %#lx",
			(unsigned long)uc.args[0], (unsigned long)uc.args[1],
			(unsigned long)uc.args[2]);
	kvm_vm_free(vm);
	ksft_test_result(ok, "raced smap: supervisor read of a user page is #PF");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	ksft_set_plan(3);
	test_raced_outsb(DENIED_PORT, false);
	test_raced_outsb(ALLOWED_PORT, true);
	test_raced_smap();
	ksft_finished();
}
