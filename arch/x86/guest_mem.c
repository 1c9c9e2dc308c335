// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory by guest physical address, read and written through the
 * memory slots and the VM owner's address space (the caller runs in it:
 * vCPU ioctls are refused from other processes).
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/pkru.h>

#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "mmu/walk.h"

/*
 * Copy between @buf and guest memory at @gpa, page by page through the
 * slots, under SRCU.  Writes go to RAM of writable slots only (-ENOENT
 * otherwise) and mark every page they touch in the dirty log.
 */
static int kvmm_guest_copy(struct kvmm_vm *vm, u64 gpa, void *buf,
			   unsigned int len, bool write)
{
	int idx, r = 0;

	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		unsigned int off = offset_in_page(gpa);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		struct kvmm_memslot *slot;
		void __user *hva;

		slot = kvmm_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -ENOENT;
			break;
		}
		hva = (void __user *)(kvmm_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
				      off);
		if (write ? copy_to_user(hva, buf, n) :
			    copy_from_user(buf, hva, n)) {
			r = -EFAULT;
			break;
		}
		if (write)
			kvmm_mark_page_dirty_in_slot(vm, slot, gpa >> PAGE_SHIFT);
		gpa += n;
		buf += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int kvmm_read_guest(struct kvmm_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return kvmm_guest_copy(vm, gpa, buf, len, false);
}

/*
 * Write guest memory by guest physical address, as kvmm itself does when
 * it stores into the guest (not for the guest's own accesses, which the
 * emulator makes through its callbacks).
 */
int kvmm_write_guest(struct kvmm_vm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	/* Only read through @buf: kvmm_guest_copy() writes it on reads. */
	return kvmm_guest_copy(vm, gpa, (void *)buf, len, true);
}

static int kvmm_walk_read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	return kvmm_read_guest(ctx, gpa, buf, len);
}

/*
 * CPL: SS.DPL in protected mode (APM 2 15.5.1, as the VMCB's CPL field),
 * 3 in virtual-8086 mode, 0 in real mode.  Needs the segments cached.
 */
u8 kvmm_x86_cpl(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	if (!(a->cr0 & X86_CR0_PE))
		return 0;
	if (a->rflags & X86_EFLAGS_VM)
		return 3;
	return a->segs[KVMM_SEG_SS].dpl;
}

/*
 * The guest's PKRU: kept in the vCPU outside the guest (xsave.c switches
 * it around every entry), so the register holds the host thread's.
 */
static u32 kvmm_x86_guest_pkru(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.pkru;
}

/*
 * The walker's view of the vCPU's current paging state (caches the
 * control registers).  Callers hold vm->srcu or let kvmm_read_guest()
 * take it.
 *
 * 1-GiB pages follow the host: with nested paging the hardware walks the
 * guest's tables itself and accepts them whenever the CPU has them,
 * whatever the guest's CPUID says (KVM's walker does the same with TDP).
 */
void kvmm_x86_walk_env(struct kvmm_vcpu *vcpu, struct walk_env *env)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	bool pke;

	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	pke = (a->cr4 & X86_CR4_PKE) && (a->efer & EFER_LMA);
	*env = (struct walk_env) {
		.mode = walk_mode_of(a->cr0, a->cr4, a->efer),
		.cr3 = a->cr3,
		.pse = !!(a->cr4 & X86_CR4_PSE),
		.wp = !!(a->cr0 & X86_CR0_WP),
		.nxe = !!(a->efer & EFER_NX),
		.smep = !!(a->cr4 & X86_CR4_SMEP),
		.smap = !!(a->cr4 & X86_CR4_SMAP),
		.pke = pke,
		.ac = !!(a->rflags & X86_EFLAGS_AC),
		.gbpages = boot_cpu_has(X86_FEATURE_GBPAGES),
		.maxphyaddr = kvmm_x86_guest_maxphyaddr(vcpu),
		.pkru = pke ? kvmm_x86_guest_pkru(vcpu) : 0,
		.read_gpa = kvmm_walk_read_gpa,
		.ctx = vcpu->vm,
	};
}

/*
 * Fetch up to 15 instruction bytes at CS:RIP through the guest's page
 * tables, for exits whose instruction kvmm must look at itself.  Returns
 * the number read (0 when none can be reached).
 */
int kvmm_x86_fetch_insn(struct kvmm_vcpu *vcpu, u8 *buf)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct walk_result res;
	struct walk_env env;
	u64 linear;
	u32 access;
	int n = 0;

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	kvmm_x86_walk_env(vcpu, &env);
	access = WALK_FETCH;
	if (kvmm_x86_cpl(vcpu) == 3)
		access |= WALK_USER;
	linear = a->rip;
	if (!(a->efer & EFER_LMA) || !a->segs[KVMM_SEG_CS].l)
		linear = (u32)(linear + a->segs[KVMM_SEG_CS].base);

	/* One walk per page: the instruction may cross a page boundary. */
	while (n < 15) {
		unsigned int chunk = min_t(unsigned int, 15 - n,
					   PAGE_SIZE - offset_in_page(linear + n));

		if (guest_walk(&env, linear + n, access, &res) || res.fault)
			break;
		if (kvmm_read_guest(vcpu->vm, res.gpa, &buf[n], chunk))
			break;
		n += chunk;
	}
	return n;
}
