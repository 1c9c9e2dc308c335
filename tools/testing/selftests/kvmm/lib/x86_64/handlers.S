/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest exception entry: one 16-byte stub per vector pushes a zero error
 * code when the CPU does not (AMD APM vol. 2, 8.2 lists the vectors that
 * push one), then the vector, and joins the common path, which saves the
 * general registers as struct ex_regs and calls route_exception().
 * The stack stays 16-byte aligned at the call: the CPU aligns RSP before
 * pushing its frame (64-bit mode), and frame + error code + vector + 15
 * registers is 176 bytes.
 */
	.text
	.code64

	.balign 16
	.globl idt_stubs
idt_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if (vector == 8) | (vector == 10) | (vector == 11) | (vector == 12) | (vector == 13) | (vector == 14) | (vector == 17) | (vector == 21) | (vector == 29) | (vector == 30)
	.else
	pushq $0
	.endif
	pushq $vector
	jmp idt_common
	vector = vector + 1
	.endr

idt_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call route_exception
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rbx
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
