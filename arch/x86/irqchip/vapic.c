// SPDX-License-Identifier: GPL-2.0
/*
 * The vAPIC page (KVM_SET_VAPIC_ADDR, api.rst 4.59): a 32-bit word in
 * guest memory through which QEMU's kvmvapic option ROM lets an old
 * 32-bit guest (Windows XP) read and write its task priority without the
 * MMIO exits of the xAPIC page.  The ROM patches the guest's TPR accesses
 * into plain memory accesses of that word; kvmm keeps it in step with the
 * in-kernel LAPIC, as KVM's kvm_lapic_sync_to_vapic() and
 * kvm_lapic_sync_from_vapic() do:
 *
 *   byte 0  TPR       written before each entry, read back after each exit
 *   byte 1  ISR       the highest in-service vector's class (bits 7:4)
 *   byte 2  0
 *   byte 3  IRR       the highest requested vector
 *
 * (QEMU's struct VAPICState; the ROM owns what follows, its "enabled"
 * byte at offset 4, which kvmm never touches).
 *
 * KVM rewrites the word only on entries that evaluate events
 * (KVM_REQ_EVENT); kvmm evaluates interrupts on every entry and so
 * rewrites it on every entry: the same values whenever KVM writes, never
 * a stale one.  (The one visible difference: a TPR write through the
 * xAPIC page that makes no event leaves KVM's word stale, and KVM's
 * read-back at the next exit undoes that write; kvmm keeps it.)  The
 * guest's own TPR store into byte 0 reaches the LAPIC at the next exit,
 * before that exit is handled, as in KVM.
 *
 * Locking: the address and vapic_on change under vcpu->mutex
 * (KVM_SET_VAPIC_ADDR, the vCPU's reset) and are used by KVM_RUN, which
 * holds it too.  The guest memory accesses go through the memory slots
 * under vm->srcu (kvmm_read_guest()/kvmm_write_guest()), preemptible:
 * never with interrupts off, so outside kvmm_enter_once().  A slot that
 * went away since makes them fail quietly, as KVM's cached accesses.
 */
#include <linux/kvm.h>
#include <linux/mm.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>

#include "irqchip.h"
#include "lapic.h"

#define VAPIC_WORD_SIZE		4	/* what KVM reads and writes */

/*
 * Every page of [@gpa, @gpa + 4) in a writable memory slot, as KVM's
 * kvm_gfn_to_hva_cache_init() asks (a wrap past 2^64 fails there too).
 */
static bool vapic_gpa_valid(struct kvmm_vm *vm, u64 gpa)
{
	u64 last = gpa + VAPIC_WORD_SIZE - 1, gfn;
	struct kvmm_memslot *slot;
	bool ok = true;
	int idx;

	if (last < gpa)
		return false;
	idx = srcu_read_lock(&vm->srcu);
	for (gfn = gpa >> PAGE_SHIFT; gfn <= last >> PAGE_SHIFT; gfn++) {
		slot = kvmm_gfn_to_memslot(vm, gfn);
		if (!slot || (slot->flags & KVM_MEM_READONLY)) {
			ok = false;
			break;
		}
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ok;
}

/*
 * KVM_SET_VAPIC_ADDR, after the ioctl checked for an in-kernel LAPIC
 * and copied the argument.  An address outside writable guest RAM is
 * EINVAL, as KVM; 0 turns the sync off.
 */
int kvmm_lapic_set_vapic_addr(struct kvmm_vcpu *vcpu, u64 gpa)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;

	if (gpa && !vapic_gpa_valid(vcpu->vm, gpa))
		return -EINVAL;
	apic->vapic_addr = gpa;
	apic->vapic_on = gpa != 0;
	return 0;
}

/* Before an entry, after events.c chose what to inject. */
void kvmm_lapic_sync_to_vapic(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	int isr, irr;
	u32 word;

	if (!apic || !apic->vapic_on || !kvmm_lapic_enabled(apic))
		return;
	isr = lapic_highest_vector(apic->regs, APIC_ISR);
	irr = lapic_highest_vector(apic->regs, APIC_IRR);
	word = (lapic_reg(apic->regs, APIC_TASKPRI) & 0xff) |
	       ((isr < 0 ? 0 : isr & 0xf0) << 8) |
	       ((irr < 0 ? 0 : irr) << 24);
	/* Little-endian, as the guest reads the bytes. */
	kvmm_write_guest(vcpu->vm, apic->vapic_addr, &word, sizeof(word));
}

/* After an exit, before it is handled: the guest's TPR write, if any. */
void kvmm_lapic_sync_from_vapic(struct kvmm_vcpu *vcpu)
{
	struct kvmm_lapic *apic = vcpu->arch.apic;
	u32 word;

	if (!apic || !apic->vapic_on)
		return;
	if (kvmm_read_guest(vcpu->vm, apic->vapic_addr, &word, sizeof(word)))
		return;
	kvmm_lapic_write_tpr(apic, word & 0xff);
}
