// SPDX-License-Identifier: GPL-2.0
/*
 * run_real_mode: 16-bit guests, from KVM's reset state and from a CS:IP set
 * with KVM_SET_SREGS, plus a 32-bit protected-mode payload.
 *
 * A new vCPU is in the state of an x86 processor after RESET (AMD APM vol. 2
 * 14.1.3, Intel SDM vol. 3 9.1.1): real mode, CS selector 0xf000 with base
 * 0xffff0000, IP 0xfff0 - the first fetch is at 0xfffffff0 - RFLAGS 0x2,
 * CR0 0x60000010.  KVM also puts a processor signature in EDX (0x600 until
 * KVM_SET_CPUID2 gives one), which is printed but not checked.
 *
 * Port I/O exits (api.rst, "KVM_EXIT_IO"): direction, size (1, 2, 4), port
 * and count, the data at data_offset in the kvm_run mapping.  For IN, the
 * host writes the value there and the next KVM_RUN completes the
 * instruction.  Without an in-kernel irqchip, HLT exits with KVM_EXIT_HLT.
 */
#include "processor.h"

#define BIOS_GPA	0xffff0000ull	/* top 64 KiB of 4 GiB */
#define BIOS_PAGES	16
#define LOW_PAGES	256		/* 0 .. 1 MiB */
#define TSS_ADDR	0xfffbd000ull	/* where QEMU puts it */

/*
 * From reset: the reset vector far-jumps to F000:0100 (GPA 0xf0100 in low
 * memory, where a BIOS would be shadowed), which does port I/O of every
 * size, IN of every size echoed back with OUT, a store to low memory, and
 * halts.
 */
KVM_ASM_PAYLOAD(reset_vector, ".code16",
	"ljmp $0xf000, $0x0100\n");

KVM_ASM_PAYLOAD(rm_io, ".code16",
	"mov $0x12, %al\n"
	"out %al, $0x10\n"
	"mov $0x3456, %ax\n"
	"out %ax, $0x11\n"
	"mov $0x789abcde, %eax\n"
	"out %eax, $0x12\n"
	"mov $0x1234, %dx\n"
	"in %dx, %al\n"
	"out %al, $0x13\n"
	"in %dx, %ax\n"
	"out %ax, $0x14\n"
	"in %dx, %eax\n"
	"out %eax, $0x15\n"
	"xor %bx, %bx\n"
	"mov %bx, %ds\n"
	"movw $0xbeef, 0x500\n"
	"hlt\n"
	"out %al, $0x16\n"
	"hlt\n");

struct io_step {
	uint8_t dir;
	uint8_t size;
	uint16_t port;
	uint32_t data;		/* OUT: expected; IN: given */
};

static const struct io_step rm_io_steps[] = {
	{ KVM_EXIT_IO_OUT, 1, 0x10, 0x12 },
	{ KVM_EXIT_IO_OUT, 2, 0x11, 0x3456 },
	{ KVM_EXIT_IO_OUT, 4, 0x12, 0x789abcde },
	{ KVM_EXIT_IO_IN, 1, 0x1234, 0xa5 },
	{ KVM_EXIT_IO_OUT, 1, 0x13, 0xa5 },
	{ KVM_EXIT_IO_IN, 2, 0x1234, 0xc3d2 },
	{ KVM_EXIT_IO_OUT, 2, 0x14, 0xc3d2 },
	{ KVM_EXIT_IO_IN, 4, 0x1234, 0xf00dcafe },
	{ KVM_EXIT_IO_OUT, 4, 0x15, 0xf00dcafe },
};

/* Run once and check the exit is @s; for IN, supply the data. */
static bool run_io_step(struct kvm_vcpu *vcpu, const struct io_step *s)
{
	struct kvm_run *run = vcpu->run;
	uint32_t data = 0;

	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != s->dir ||
	    run->io.size != s->size || run->io.port != s->port ||
	    run->io.count != 1 ||
	    run->io.data_offset + s->size > vcpu->run_size ||
	    run->io.data_offset < sizeof(*run)) {
		pr_info("port %#x: exit %s dir %u size %u port %#x count %u data_offset %#llx",
			s->port, exit_reason_str(run->exit_reason),
			run->io.direction, run->io.size, run->io.port,
			run->io.count,
			(unsigned long long)run->io.data_offset);
		return false;
	}
	if (s->dir == KVM_EXIT_IO_IN) {
		memcpy(vcpu_io_data(vcpu), &s->data, s->size);
		return true;
	}
	memcpy(&data, vcpu_io_data(vcpu), s->size);
	if (data != s->data) {
		pr_info("port %#x: data %#x, expected %#x", s->port, data,
			s->data);
		return false;
	}
	return true;
}

static void test_reset_state(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment *segs[] = { &sregs.ds, &sregs.es, &sregs.fs,
				       &sregs.gs, &sregs.ss };
	unsigned int i;
	bool ok = true;

	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	pr_info("reset: rdx %#llx (processor signature), rax %#llx rsp %#llx, apic_base %#llx",
		(unsigned long long)regs.rdx, (unsigned long long)regs.rax,
		(unsigned long long)regs.rsp,
		(unsigned long long)sregs.apic_base);
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			pr_info("reset state: %s does not hold", #cond);\
			ok = false;					\
		}							\
	} while (0)
	CHECK(regs.rip == 0xfff0);
	CHECK(regs.rflags == 0x2);
	CHECK(sregs.cs.selector == 0xf000);
	CHECK(sregs.cs.base == 0xffff0000);
	CHECK(sregs.cs.limit == 0xffff);
	CHECK(sregs.cs.present && sregs.cs.s && (sregs.cs.type & 0x8));
	CHECK(!sregs.cs.db && !sregs.cs.l);
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		CHECK(segs[i]->selector == 0);
		CHECK(segs[i]->base == 0);
		CHECK(segs[i]->limit == 0xffff);
		CHECK(segs[i]->present && segs[i]->s);
	}
	CHECK(sregs.cr0 == 0x60000010);
	CHECK(sregs.cr2 == 0 && sregs.cr3 == 0 && sregs.cr4 == 0);
	CHECK(sregs.efer == 0);
	CHECK(sregs.gdt.base == 0 && sregs.gdt.limit == 0xffff);
	CHECK(sregs.idt.base == 0 && sregs.idt.limit == 0xffff);
	CHECK(sregs.ldt.selector == 0 && sregs.ldt.limit == 0xffff);
	CHECK(sregs.tr.selector == 0 && sregs.tr.limit == 0xffff);
	/* The default APIC base; bit 8 (BSP): vCPU 0 is the boot CPU. */
	CHECK((sregs.apic_base & 0xfffff000) == 0xfee00000);
	CHECK(sregs.apic_base & (1u << 8));
#undef CHECK
	kvm_vm_free(vm);
	ksft_test_result(ok, "reset_state");
}

static struct kvm_vm *vm_with_low_memory(void)
{
	struct kvm_vm *vm = vm_create_barebones();

	if (kvm_check_cap(KVM_CAP_SET_TSS_ADDR))
		vm_ioctl(vm, KVM_SET_TSS_ADDR, TSS_ADDR);
	vm_userspace_mem_region_add(vm, 0, 0, LOW_PAGES, 0);
	return vm;
}

static void test_from_reset(void)
{
	struct kvm_vm *vm = vm_with_low_memory();
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	unsigned int i;
	bool ok = true;

	vm_userspace_mem_region_add(vm, 1, BIOS_GPA, BIOS_PAGES, 0);
	vm_load_payload(vm, 0xfffffff0, reset_vector);
	vm_load_payload(vm, 0xf0100, rm_io);
	vcpu = __vm_vcpu_add(vm, 0);

	for (i = 0; i < ARRAY_SIZE(rm_io_steps) && ok; i++)
		ok = run_io_step(vcpu, &rm_io_steps[i]);
	ksft_test_result(ok, "reset_port_io_sizes");

	vcpu_run(vcpu);
	ok = vcpu->run->exit_reason == KVM_EXIT_HLT;
	if (!ok)
		pr_info("exit %s, expected KVM_EXIT_HLT",
			exit_reason_str(vcpu->run->exit_reason));
	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	/* RIP is past the HLT; CS came from the far jump. */
	ok = ok && sregs.cs.selector == 0xf000 && sregs.cs.base == 0xf0000 &&
	     regs.rip == 0x100 + PAYLOAD_SIZE(rm_io) - 3;
	if (!ok)
		pr_info("after HLT: cs %#x base %#llx rip %#llx",
			sregs.cs.selector, (unsigned long long)sregs.cs.base,
			(unsigned long long)regs.rip);
	ok = ok && *(uint16_t *)addr_gpa2hva(vm, 0x500) == 0xbeef;
	ksft_test_result(ok, "reset_hlt_exit");

	/* KVM_RUN after the HLT exit resumes after the HLT. */
	ok = run_io_step(vcpu, &(struct io_step){ KVM_EXIT_IO_OUT, 1, 0x16,
						  0xfe });
	ksft_test_result(ok, "run_after_hlt_resumes");
	kvm_vm_free(vm);
}

/*
 * At CS:IP set with KVM_SET_SREGS: print a string with OUTB, reading it
 * through a CS-relative address, and count characters in BX.
 */
KVM_ASM_PAYLOAD(rm_string, ".code16",
	"xor %bx, %bx\n"
	"lea (rm_msg - rm_string), %si\n"
	"1: mov %cs:(%si), %al\n"
	"test %al, %al\n"
	"jz 2f\n"
	"out %al, $0x20\n"
	"inc %si\n"
	"inc %bx\n"
	"jmp 1b\n"
	"2: hlt\n"
	"rm_msg: .asciz \"kvmm\"\n");

static void test_set_cs_ip(void)
{
	struct kvm_vm *vm = vm_with_low_memory();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	const char *msg = "kvmm";
	struct kvm_regs regs;
	unsigned int i;
	bool ok = true;

	vm_load_payload(vm, 0x20000, rm_string);
	vcpu_setup_real_mode(vcpu, 0x2000, 0, 0xfffe);
	for (i = 0; msg[i] && ok; i++)
		ok = run_io_step(vcpu, &(struct io_step){ KVM_EXIT_IO_OUT, 1,
							  0x20,
							  (uint8_t)msg[i] });
	vcpu_run(vcpu);
	ok = ok && vcpu->run->exit_reason == KVM_EXIT_HLT;
	vcpu_regs_get(vcpu, &regs);
	ok = ok && (regs.rbx & 0xffff) == 4;
	kvm_vm_free(vm);
	ksft_test_result(ok, "real_mode_at_cs_ip");
}

/* 32-bit protected mode, flat segments, no paging. */
KVM_ASM_PAYLOAD(pm32_payload, ".code32",
	"mov $0x11223344, %eax\n"
	"out %eax, $0x30\n"
	"movl $0xfeedface, 0x600\n"
	"mov %esp, %eax\n"
	"out %eax, $0x31\n"
	"hlt\n");

static void test_prot32(void)
{
	struct kvm_vm *vm = vm_with_low_memory();
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, 0);
	bool ok;

	vm_load_payload(vm, 0x30000, pm32_payload);
	vcpu_setup_prot32(vcpu, 0x30000, 0x8000);
	ok = run_io_step(vcpu, &(struct io_step){ KVM_EXIT_IO_OUT, 4, 0x30,
						  0x11223344 });
	ok = ok && run_io_step(vcpu, &(struct io_step){ KVM_EXIT_IO_OUT, 4,
							0x31, 0x8000 });
	vcpu_run(vcpu);
	ok = ok && vcpu->run->exit_reason == KVM_EXIT_HLT &&
	     *(uint32_t *)addr_gpa2hva(vm, 0x600) == 0xfeedface;
	kvm_vm_free(vm);
	ksft_test_result(ok, "protected_mode_32bit");
}

int main(void)
{
	ksft_print_header();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	kvm_vm_free(vm_create_barebones());

	ksft_set_plan(6);
	test_reset_state();
	test_from_reset();
	test_set_cs_ip();
	test_prot32();
	ksft_finished();
}
