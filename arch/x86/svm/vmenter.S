/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One world switch on AMD SVM (APM vol. 2, 15.5 "VMRUN Instruction" and
 * 15.5.2 "VMSAVE and VMLOAD").
 *
 * VMRUN saves and restores only part of the host state (15.5.1): the
 * rest (FS, GS, TR, LDTR, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK,
 * SYSENTER_*) is saved with VMSAVE into a per-CPU page before, and
 * restored with VMLOAD after; the guest's copies travel in its VMCB the
 * same way.  RAX, RSP, RIP and RFLAGS of the guest live in the VMCB; the
 * other fourteen GPRs are swapped here.
 *
 * Called with interrupts disabled and GIF clear.  EFLAGS.IF is set just
 * before VMRUN so that, with V_INTR_MASKING, a physical interrupt arriving
 * while the guest runs causes an INTR #VMEXIT (GIF=0 holds it off until
 * then) and is taken by the host after STGI; it is cleared again right
 * after the exit.
 *
 * If an SVM instruction faults (SVM turned off under us by an emergency
 * shutdown), the exception fixup skips it; the caller sees the exit code
 * it preset and reports the failure.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include <kvmm/regs.h>

#define REG(r)	(KVMM_REG_##r * 8)

.section .noinstr.text, "ax"

/*
 * void kvmm_svm_vcpu_run(unsigned long vmcb_pa, unsigned long *regs,
 *			   unsigned long host_save_pa)
 */
SYM_FUNC_START(kvmm_svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi		/* regs */
	push	%rdx		/* host save area */
	push	%rdi		/* guest VMCB */

	mov	%rdx, %rax
1:	vmsave	%rax
2:
	/* Guest GPRs, RSI last: it holds the array. */
	mov	REG(RCX)(%rsi), %rcx
	mov	REG(RDX)(%rsi), %rdx
	mov	REG(RBX)(%rsi), %rbx
	mov	REG(RBP)(%rsi), %rbp
	mov	REG(RDI)(%rsi), %rdi
	mov	REG(R8)(%rsi), %r8
	mov	REG(R9)(%rsi), %r9
	mov	REG(R10)(%rsi), %r10
	mov	REG(R11)(%rsi), %r11
	mov	REG(R12)(%rsi), %r12
	mov	REG(R13)(%rsi), %r13
	mov	REG(R14)(%rsi), %r14
	mov	REG(R15)(%rsi), %r15
	mov	REG(RSI)(%rsi), %rsi

	pop	%rax		/* guest VMCB */
3:	vmload	%rax
4:
	sti
5:	vmrun	%rax
6:
	cli
7:	vmsave	%rax
8:
	/* Stack: host save area, regs. */
	mov	8(%rsp), %rax
	mov	%rcx, REG(RCX)(%rax)
	mov	%rdx, REG(RDX)(%rax)
	mov	%rbx, REG(RBX)(%rax)
	mov	%rbp, REG(RBP)(%rax)
	mov	%rsi, REG(RSI)(%rax)
	mov	%rdi, REG(RDI)(%rax)
	mov	%r8, REG(R8)(%rax)
	mov	%r9, REG(R9)(%rax)
	mov	%r10, REG(R10)(%rax)
	mov	%r11, REG(R11)(%rax)
	mov	%r12, REG(R12)(%rax)
	mov	%r13, REG(R13)(%rax)
	mov	%r14, REG(R14)(%rax)
	mov	%r15, REG(R15)(%rax)

	/*
	 * Leave no guest value in a register: not in the scratch ones, and
	 * not in the callee-saved ones either, which hold guest values until
	 * the pops below, past the CALLs and RETs of the sequences that
	 * follow: a mispredicted branch there must find nothing the guest
	 * chose to speculate with.  RAX holds the regs pointer, RSP the
	 * host's stack (VMRUN restored it).
	 */
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	pop	%rax		/* host save area */
9:	vmload	%rax
10:
	add	$8, %rsp	/* regs */

	/*
	 * The guest trained the return predictors: refill the RSB before
	 * the first host RET (Spectre-RSB), and run the host's own
	 * Retbleed/SRSO sequences as kernel entry does, all selected by the
	 * host's mitigation choices (the alternatives are patched at module
	 * load).  RAX, RCX and RDX may be clobbered; no RET runs before.
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	_ASM_EXTABLE(1b, 2b)
	_ASM_EXTABLE(3b, 4b)
	_ASM_EXTABLE(5b, 6b)
	_ASM_EXTABLE(7b, 8b)
	_ASM_EXTABLE(9b, 10b)
SYM_FUNC_END(kvmm_svm_vcpu_run)
