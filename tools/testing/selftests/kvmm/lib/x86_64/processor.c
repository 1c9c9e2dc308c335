// SPDX-License-Identifier: GPL-2.0
/*
 * x86 guests: the test binary as guest image, identity page tables, GDT,
 * IDT, TSS, long-mode vCPUs, CPUID, and 16/32-bit register setup.
 *
 * Guest memory of a vm_create() VM, all in slot 0 at GPA 0:
 *
 *	0 .. image start		unused (free for payloads)
 *	image (PT_LOAD segments)	the test binary at its link addresses
 *	pool				page tables, GDT, IDT, TSS, stacks,
 *					vm_phy_pages_alloc()
 *
 * Page tables map GVA == GPA for the low 4 GiB with 2 MiB pages, so the
 * guest runs the binary's code at the addresses it was linked for, host
 * pointers to globals are valid in the guest, and any address outside the
 * slots is MMIO.  2 MiB pages are architectural in long mode; 1 GiB pages
 * would need a CPUID bit a shadow MMU may hide.
 */
#include <elf.h>
#include <sys/mman.h>

#include "processor.h"

#define IMAGE_MAX_SEGMENTS	16
#define POOL_PAGES		512	/* 2 MiB: tables and stacks */
#define STACK_PAGES		8
#define IDENTITY_MAP_GIB	4

/* ---- the test binary as guest image ---- */

struct image_seg {
	uint64_t vaddr, memsz;
};

/*
 * The PT_LOAD segments of /proc/self/exe.  The binary must be linked at
 * fixed addresses (ET_EXEC: -static, no PIE).
 */
static unsigned int image_segments(struct image_seg *segs)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i, n = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open(/proc/self/exe) failed");
	TEST_ASSERT(pread(fd, &eh, sizeof(eh), 0) == sizeof(eh),
		    "short read of the ELF header");
	TEST_ASSERT(!memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		    eh.e_ident[EI_CLASS] == ELFCLASS64,
		    "/proc/self/exe is not a 64-bit ELF file");
	TEST_ASSERT(eh.e_type == ET_EXEC,
		    "test binary is not linked at fixed addresses (e_type %u); build with -static -no-pie",
		    eh.e_type);
	for (i = 0; i < eh.e_phnum; i++) {
		off_t off = eh.e_phoff + (off_t)i * eh.e_phentsize;

		TEST_ASSERT(pread(fd, &ph, sizeof(ph), off) == sizeof(ph),
			    "short read of program header %u", i);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		TEST_ASSERT(n < IMAGE_MAX_SEGMENTS, "too many PT_LOAD segments");
		segs[n].vaddr = ph.p_vaddr;
		segs[n].memsz = ph.p_memsz;
		n++;
	}
	close(fd);
	TEST_ASSERT(n, "no PT_LOAD segment in /proc/self/exe");
	return n;
}

/*
 * Copy the segments from this process's memory rather than from the file:
 * the live image has what static startup wrote (relocations, initialised
 * globals), so guest and host agree on every global's initial value.
 */
static void load_image(struct kvm_vm *vm, const struct image_seg *segs,
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t start = segs[i].vaddr & PAGE_MASK;
		uint64_t end = segs[i].vaddr + segs[i].memsz;

		vm_write_gpa(vm, start, (const void *)(uintptr_t)start,
			     end - start);
	}
}

/* ---- tables ---- */

struct desc64 {
	uint16_t limit0, base0;
	uint8_t base1, type_s_dpl_p, limit1_flags, base2;
} __attribute__((packed));

struct desc_sys64 {
	struct desc64 lo;
	uint32_t base3, reserved;
} __attribute__((packed));

struct idt_gate64 {
	uint16_t offset0, selector;
	uint8_t ist, type_dpl_p;
	uint16_t offset1;
	uint32_t offset2, reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct desc64) == 8, "descriptor");
_Static_assert(sizeof(struct desc_sys64) == 16, "system descriptor");
_Static_assert(sizeof(struct idt_gate64) == 16, "IDT gate");

/* 64-bit TSS (AMD APM vol. 2, 12.2.5), only its size matters here. */
#define TSS64_SIZE		0x68

static void set_desc(struct desc64 *d, uint32_t base, uint32_t limit,
		     uint8_t type, bool s, bool l, bool db, bool g)
{
	d->limit0 = limit & 0xffff;
	d->base0 = base & 0xffff;
	d->base1 = (base >> 16) & 0xff;
	d->type_s_dpl_p = type | (s << 4) | (1 << 7);
	d->limit1_flags = ((limit >> 16) & 0xf) | (l << 5) | (db << 6) |
			  (g << 7);
	d->base2 = base >> 24;
}

static void build_gdt(struct kvm_vm *vm)
{
	struct desc64 *gdt;
	struct desc_sys64 *tss;

	vm->gdt = vm_phy_pages_alloc(vm, 1);
	vm->tss = vm_phy_pages_alloc(vm, 1);
	gdt = addr_gpa2hva(vm, vm->gdt);
	set_desc(&gdt[GDT_CODE64_SEL / 8], 0, 0xfffff, 0xb, 1, 1, 0, 1);
	set_desc(&gdt[GDT_DATA_SEL / 8], 0, 0xfffff, 0x3, 1, 0, 1, 1);
	set_desc(&gdt[GDT_CODE32_SEL / 8], 0, 0xfffff, 0xb, 1, 0, 1, 1);
	set_desc(&gdt[GDT_CODE16_SEL / 8], 0, 0xffff, 0xb, 1, 0, 0, 0);
	set_desc(&gdt[GDT_DATA16_SEL / 8], 0, 0xffff, 0x3, 1, 0, 0, 0);
	tss = (struct desc_sys64 *)&gdt[GDT_TSS_SEL / 8];
	/* Type 0xb: busy 64-bit TSS, as LTR would leave it. */
	set_desc(&tss->lo, (uint32_t)vm->tss, TSS64_SIZE - 1, 0xb, 0, 0, 0, 0);
	tss->base3 = vm->tss >> 32;
}

static void build_idt(struct kvm_vm *vm)
{
	struct idt_gate64 *idt;
	unsigned int v;

	vm->idt = vm_phy_pages_alloc(vm, 1);
	idt = addr_gpa2hva(vm, vm->idt);
	for (v = 0; v < 256; v++) {
		uint64_t addr = (uintptr_t)idt_stubs + v * IDT_STUB_SIZE;

		idt[v] = (struct idt_gate64){
			.offset0 = addr & 0xffff,
			.selector = GDT_CODE64_SEL,
			.type_dpl_p = 0xe | (1 << 7),	/* interrupt gate */
			.offset1 = (addr >> 16) & 0xffff,
			.offset2 = addr >> 32,
		};
	}
}

static void build_identity_map(struct kvm_vm *vm)
{
	uint64_t *pml4, *pdpt, *pd;
	vm_paddr_t pdpt_gpa, pd_gpa;
	unsigned int i, j;

	vm->pml4 = vm_phy_pages_alloc(vm, 1);
	pdpt_gpa = vm_phy_pages_alloc(vm, 1);
	pd_gpa = vm_phy_pages_alloc(vm, IDENTITY_MAP_GIB);
	pml4 = addr_gpa2hva(vm, vm->pml4);
	pdpt = addr_gpa2hva(vm, pdpt_gpa);
	pml4[0] = pdpt_gpa | PTE_PRESENT | PTE_WRITABLE;
	for (i = 0; i < IDENTITY_MAP_GIB; i++) {
		vm_paddr_t gpa = pd_gpa + i * PAGE_SIZE;

		pdpt[i] = gpa | PTE_PRESENT | PTE_WRITABLE;
		pd = addr_gpa2hva(vm, gpa);
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) |
				PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
	}
}

vm_paddr_t addr_gva2gpa(struct kvm_vm *vm, vm_vaddr_t gva)
{
	uint64_t entry;
	vm_paddr_t table = vm->pml4;
	int level;

	TEST_ASSERT(vm->pml4, "VM has no page tables (use vm_create())");
	for (level = 3; level >= 0; level--) {
		unsigned int idx = (gva >> (12 + 9 * level)) & 0x1ff;

		entry = ((uint64_t *)addr_gpa2hva(vm, table))[idx];
		TEST_ASSERT(entry & PTE_PRESENT, "GVA %#llx is not mapped",
			    (unsigned long long)gva);
		if (level && level < 3 && (entry & PTE_LARGE)) {
			uint64_t mask = (1ULL << (12 + 9 * level)) - 1;

			return (entry & PTE_ADDR_MASK & ~mask) | (gva & mask);
		}
		table = entry & PTE_ADDR_MASK;
	}
	return table | (gva & ~PAGE_MASK);
}

struct kvm_vm *vm_create(uint64_t nr_extra_pages)
{
	struct image_seg segs[IMAGE_MAX_SEGMENTS];
	unsigned int i, n = image_segments(segs);
	uint64_t image_end = 0, size;
	struct kvm_vm *vm;

	for (i = 0; i < n; i++)
		if (segs[i].vaddr + segs[i].memsz > image_end)
			image_end = segs[i].vaddr + segs[i].memsz;
	image_end = (image_end + PAGE_SIZE - 1) & PAGE_MASK;
	size = image_end + (POOL_PAGES + nr_extra_pages) * PAGE_SIZE;
	TEST_ASSERT(size <= (3ULL << 30),
		    "guest image and pool do not fit below 3 GiB");

	vm = vm_create_barebones();
	vm_userspace_mem_region_add(vm, VM_IMAGE_SLOT, 0, size / PAGE_SIZE, 0);
	vm->has_guest_image = true;
	vm->image_slot = VM_IMAGE_SLOT;
	vm->phys_next = image_end;
	vm->phys_end = size;
	load_image(vm, segs, n);
	build_identity_map(vm);
	build_gdt(vm);
	build_idt(vm);
	return vm;
}

/* ---- exceptions (guest side) ---- */

static guest_exception_handler_t guest_handlers[256];

/* Called by handlers.S with the saved registers; runs in the guest. */
void route_exception(struct ex_regs *regs)
{
	guest_exception_handler_t h = guest_handlers[regs->vector & 0xff];

	if (h) {
		h(regs);
		return;
	}
	ucall(UCALL_UNHANDLED, 3, regs->vector, regs->error_code, regs->rip);
	for (;;)
		halt();
}

void vm_install_exception_handler(struct kvm_vm *vm, unsigned int vector,
				  guest_exception_handler_t handler)
{
	TEST_ASSERT(vector < 256, "bad vector %u", vector);
	write_guest_global(vm, guest_handlers[vector], handler);
}

/* Where a guest function returns to: an assertion failure. */
static void guest_code_returned(void)
{
	GUEST_FAIL("guest code returned");
	for (;;)
		halt();
}

/* ---- vCPUs ---- */

void kvm_seg_set_flat(struct kvm_segment *seg, uint16_t sel, uint8_t type,
		      bool code64, bool db)
{
	*seg = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = db,
		.s = 1,
		.l = code64,
		.g = 1,
	};
}

void kvm_seg_set_real(struct kvm_segment *seg, uint16_t sel, bool code)
{
	*seg = (struct kvm_segment){
		.base = (uint64_t)sel << 4,
		.limit = 0xffff,
		.selector = sel,
		.type = code ? 0xb : 0x3,
		.present = 1,
		.s = 1,
	};
}

static void set_tables(struct kvm_vm *vm, struct kvm_sregs *sregs)
{
	if (vm->gdt) {
		sregs->gdt.base = vm->gdt;
		sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	}
	if (vm->idt) {
		sregs->idt.base = vm->idt;
		sregs->idt.limit = 256 * sizeof(struct idt_gate64) - 1;
	}
	if (vm->tss) {
		sregs->tr = (struct kvm_segment){
			.base = vm->tss,
			.limit = TSS64_SIZE - 1,
			.selector = GDT_TSS_SEL,
			.type = 0xb,
			.present = 1,
		};
	}
}

void vcpu_setup_long_mode(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_sregs sregs;

	TEST_ASSERT(vm->pml4, "long mode needs vm_create()'s tables");
	vcpu_sregs_get(vcpu, &sregs);
	set_tables(vm, &sregs);
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = vm->pml4;
	sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA;
	kvm_seg_set_flat(&sregs.cs, GDT_CODE64_SEL, 0xb, true, false);
	kvm_seg_set_flat(&sregs.ds, GDT_DATA_SEL, 0x3, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	vcpu_sregs_set(vcpu, &sregs);
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, uint32_t id,
			     void *guest_code)
{
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, id);
	struct kvm_cpuid2 *cpuid = kvm_supported_cpuid_copy();
	vm_paddr_t stack = vm_phy_pages_alloc(vm, STACK_PAGES);
	uint64_t rsp = stack + STACK_PAGES * PAGE_SIZE - 8;
	struct kvm_regs regs;

	vcpu_set_cpuid(vcpu, cpuid);
	free(cpuid);
	vcpu_setup_long_mode(vcpu);

	/* As if called: RSP + 8 is 16-byte aligned, a return address on top. */
	*(uint64_t *)addr_gpa2hva(vm, rsp) = (uintptr_t)guest_code_returned;
	vcpu_regs_get(vcpu, &regs);
	regs.rflags = X86_EFLAGS_FIXED;
	regs.rip = (uintptr_t)guest_code;
	regs.rsp = rsp;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

struct kvm_vm *vm_create_with_one_vcpu(struct kvm_vcpu **vcpu,
				       void *guest_code)
{
	struct kvm_vm *vm = vm_create(0);

	*vcpu = vm_vcpu_add(vm, 0, guest_code);
	return vm;
}

void vcpu_setup_real_mode(struct kvm_vcpu *vcpu, uint16_t cs, uint16_t ip,
			  uint16_t sp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr0 = 0x60000010;	/* KVM's reset value: CD, NW, ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	kvm_seg_set_real(&sregs.cs, cs, true);
	kvm_seg_set_real(&sregs.ds, cs, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = ip;
	regs.rsp = sp;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_setup_prot32(struct kvm_vcpu *vcpu, uint32_t eip, uint32_t esp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_sregs_get(vcpu, &sregs);
	set_tables(vcpu->vm, &sregs);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	sregs.cr4 = 0;
	sregs.efer = 0;
	kvm_seg_set_flat(&sregs.cs, GDT_CODE32_SEL, 0xb, false, true);
	kvm_seg_set_flat(&sregs.ds, GDT_DATA_SEL, 0x3, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	if (!vcpu->vm->tss) {
		/* A TR that VM entry accepts: 32-bit busy TSS at 0. */
		sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb,
						 .present = 1 };
	}
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = eip;
	regs.rsp = esp;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

/* ---- CPUID ---- */

struct kvm_cpuid2 *allocate_kvm_cpuid2(unsigned int nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent *
				      sizeof(struct kvm_cpuid_entry2));

	TEST_ASSERT(c, "out of memory");
	c->nent = nent;
	return c;
}

const struct kvm_cpuid2 *kvm_get_supported_cpuid(void)
{
	static struct kvm_cpuid2 *cpuid;
	unsigned int nent = 64;
	int fd, ret;

	if (cpuid)
		return cpuid;
	fd = open_kvm_dev_path_or_exit();
	for (;;) {
		cpuid = allocate_kvm_cpuid2(nent);
		ret = __kvm_ioctl(fd, KVM_GET_SUPPORTED_CPUID, cpuid);
		if (!ret)
			break;
		TEST_ASSERT(errno == E2BIG && nent < 4096,
			    KVM_IOCTL_ERROR("KVM_GET_SUPPORTED_CPUID", ret));
		free(cpuid);
		nent *= 2;
	}
	close(fd);
	return cpuid;
}

struct kvm_cpuid2 *kvm_supported_cpuid_copy(void)
{
	const struct kvm_cpuid2 *s = kvm_get_supported_cpuid();
	struct kvm_cpuid2 *c = allocate_kvm_cpuid2(s->nent);

	memcpy(c->entries, s->entries, s->nent * sizeof(s->entries[0]));
	return c;
}

struct kvm_cpuid_entry2 *cpuid_find_entry(const struct kvm_cpuid2 *cpuid,
					  uint32_t function, uint32_t index)
{
	unsigned int i;

	for (i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return (struct kvm_cpuid_entry2 *)e;
	}
	return NULL;
}

void vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid);
}
