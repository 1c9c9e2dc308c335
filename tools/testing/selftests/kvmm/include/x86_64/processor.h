/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 guest and host helpers: register bits, descriptor tables, CPUID,
 * exception handling, port I/O and 16/32-bit payloads.
 *
 * Guest-side helpers are static inline functions without libc; guest code
 * may use them freely (see ucall.h for what guest code must not do).
 */
#ifndef KVMM_SELFTEST_PROCESSOR_H
#define KVMM_SELFTEST_PROCESSOR_H

#include <stdint.h>

#include "kvm_util.h"
#include "ucall.h"

/* CR0, CR4, EFER, RFLAGS bits (AMD APM vol. 2, 3.1; Intel SDM vol. 3, 2.5). */
#define X86_CR0_PE		(1UL << 0)
#define X86_CR0_MP		(1UL << 1)
#define X86_CR0_EM		(1UL << 2)
#define X86_CR0_TS		(1UL << 3)
#define X86_CR0_ET		(1UL << 4)
#define X86_CR0_NE		(1UL << 5)
#define X86_CR0_WP		(1UL << 16)
#define X86_CR0_AM		(1UL << 18)
#define X86_CR0_NW		(1UL << 29)
#define X86_CR0_CD		(1UL << 30)
#define X86_CR0_PG		(1UL << 31)

#define X86_CR4_PSE		(1UL << 4)
#define X86_CR4_PAE		(1UL << 5)
#define X86_CR4_PGE		(1UL << 7)
#define X86_CR4_OSFXSR		(1UL << 9)
#define X86_CR4_OSXMMEXCPT	(1UL << 10)
#define X86_CR4_OSXSAVE		(1UL << 18)

#define EFER_SCE		(1UL << 0)
#define EFER_LME		(1UL << 8)
#define EFER_LMA		(1UL << 10)
#define EFER_NX			(1UL << 11)

#define X86_EFLAGS_FIXED	(1UL << 1)
#define X86_EFLAGS_IF		(1UL << 9)
#define X86_EFLAGS_DF		(1UL << 10)

/* Page table entry bits. */
#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITABLE		(1ULL << 1)
#define PTE_USER		(1ULL << 2)
#define PTE_LARGE		(1ULL << 7)
#define PTE_ADDR_MASK		0x000ffffffffff000ULL

/* Exception vectors. */
#define DE_VECTOR	0
#define DB_VECTOR	1
#define BP_VECTOR	3
#define UD_VECTOR	6
#define DF_VECTOR	8
#define TS_VECTOR	10
#define NP_VECTOR	11
#define SS_VECTOR	12
#define GP_VECTOR	13
#define PF_VECTOR	14

/*
 * The GDT vm_create() builds.  Selectors are byte offsets; the TSS takes
 * two slots in long mode.
 */
#define GDT_NULL_SEL		0x00
#define GDT_CODE64_SEL		0x08
#define GDT_DATA_SEL		0x10
#define GDT_TSS_SEL		0x18
#define GDT_CODE32_SEL		0x28
#define GDT_CODE16_SEL		0x30
#define GDT_DATA16_SEL		0x38
#define GDT_ENTRIES		8

/* Registers saved by the exception entry code, lowest address first. */
/* In handlers.S: 256 IDT entry stubs, IDT_STUB_SIZE bytes apart. */
extern const uint8_t idt_stubs[];
#define IDT_STUB_SIZE		16

struct ex_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

/* ---- guest side ---- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid_count(uint32_t function, uint32_t index,
			       uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
			       uint32_t *edx)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
			     : "a"(function), "c"(index)
			     : "memory");
}

/* The host is AMD or Hygon (SVM; KVM's kvm_amd, kvmm's svm backend). */
static inline bool host_cpu_is_amd(void)
{
	uint32_t a, b, c, d;

	cpuid_count(0, 0, &a, &b, &c, &d);
	return b == 0x68747541 || b == 0x6f677948;	/* "Auth", "Hygo" */
}

static inline void halt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline uint64_t get_cr0(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uint64_t get_cr3(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline uint64_t get_cr4(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((uint64_t)hi << 32);
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "a"((uint32_t)v),
			     "d"((uint32_t)(v >> 32)), "c"(msr) : "memory");
}

/* Byte-wise helpers for guest code, which must not call libc's. */
static inline void guest_memset(void *p, int c, uint64_t n)
{
	volatile uint8_t *d = p;

	while (n--)
		*d++ = (uint8_t)c;
}
static inline void guest_memcpy(void *dst, const void *src, uint64_t n)
{
	volatile uint8_t *d = dst;
	const volatile uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

/*
 * Exception handlers.  Without one, an exception in the guest becomes
 * UCALL_UNHANDLED (vector, error code, rip) and the test fails with
 * REPORT_GUEST_ASSERT().  A handler may change @regs (e.g. skip the faulting
 * instruction by advancing regs->rip); the guest resumes with them.
 */
typedef void (*guest_exception_handler_t)(struct ex_regs *regs);
void vm_install_exception_handler(struct kvm_vm *vm, unsigned int vector,
				  guest_exception_handler_t handler);

/* ---- host side ---- */

/* KVM_GET_SUPPORTED_CPUID, fetched once and cached (do not free). */
const struct kvm_cpuid2 *kvm_get_supported_cpuid(void);
/* The entry for @function/@index in @cpuid, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find_entry(const struct kvm_cpuid2 *cpuid,
					  uint32_t function, uint32_t index);
/* Allocate a kvm_cpuid2 with room for @nent entries (free()). */
struct kvm_cpuid2 *allocate_kvm_cpuid2(unsigned int nent);
/* KVM_SET_CPUID2 (asserting), and a copy of the supported table. */
void vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
struct kvm_cpuid2 *kvm_supported_cpuid_copy(void);

/* Segment register state helpers for sregs. */
void kvm_seg_set_flat(struct kvm_segment *seg, uint16_t sel, uint8_t type,
		      bool code64, bool db);
void kvm_seg_set_real(struct kvm_segment *seg, uint16_t sel, bool code);

/*
 * Put @vcpu in 64-bit mode on the VM's tables (vm_vcpu_add() does this).
 */
void vcpu_setup_long_mode(struct kvm_vcpu *vcpu);

/*
 * 16- and 32-bit payloads.  KVM_ASM_PAYLOAD() assembles @body in a
 * read-only data section of the test binary between the symbols @name and
 * @name##_end; vm_load_payload() copies it into guest memory.  Payloads must
 * not depend on where they are linked: jumps are relative, and data is
 * addressed as (label - @name) from a segment whose base is the load address.
 *
 *	KVM_ASM_PAYLOAD(rm_hello, ".code16",
 *		"mov $0x10, %dx\n"
 *		"out %al, %dx\n"
 *		"hlt\n");
 */
#define KVM_ASM_PAYLOAD(name, mode, body)				\
	extern const uint8_t name[], name##_end[];			\
	__asm__(".pushsection .rodata.kvmm_payload, \"a\"\n"		\
		".balign 16\n"						\
		#name ":\n"						\
		mode "\n"						\
		body "\n"						\
		".code64\n"						\
		#name "_end:\n"						\
		".popsection\n")

#define PAYLOAD_SIZE(name)	((size_t)(name##_end - name))
/* Copy a payload to guest physical @gpa. */
#define vm_load_payload(vm, gpa, name)					\
	vm_write_gpa(vm, gpa, name, PAYLOAD_SIZE(name))

/*
 * Real mode at CS:IP = @cs:@ip (CS.base = @cs << 4), DS = ES = SS = @cs,
 * SP = @sp, CR0 = KVM's reset value.  Works on a barebones VM.
 */
void vcpu_setup_real_mode(struct kvm_vcpu *vcpu, uint16_t cs, uint16_t ip,
			  uint16_t sp);
/*
 * Flat 32-bit protected mode without paging: CS = GDT_CODE32_SEL, data
 * segments GDT_DATA_SEL (base 0, 4 GiB), EIP = @eip, ESP = @esp.  Uses the
 * VM's GDT when it has one (vm_create()), hidden state only otherwise.
 */
void vcpu_setup_prot32(struct kvm_vcpu *vcpu, uint32_t eip, uint32_t esp);

#endif /* KVMM_SELFTEST_PROCESSOR_H */
