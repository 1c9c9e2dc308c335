// SPDX-License-Identifier: GPL-2.0
/*
 * Reading guest memory by guest physical address, through the memory
 * slots and the VM owner's address space (the caller runs in it: vCPU
 * ioctls are refused from other processes).
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <kvmm/vm.h>
#include <kvmm/x86.h>

int kvmm_read_guest(struct kvmm_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	int idx, r = 0;

	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		unsigned int off = offset_in_page(gpa);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		struct kvmm_memslot *slot;
		unsigned long hva;

		slot = kvmm_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
		if (!slot) {
			r = -ENOENT;
			break;
		}
		hva = kvmm_gfn_to_hva(slot, gpa >> PAGE_SHIFT) + off;
		if (copy_from_user(buf, (void __user *)hva, n)) {
			r = -EFAULT;
			break;
		}
		gpa += n;
		buf += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}
