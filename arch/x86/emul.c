// SPDX-License-Identifier: GPL-2.0
/*
 * Running the instruction emulator (arch/x86/emulate/) for a vCPU: MMIO
 * after a second-level fault outside guest RAM, and string port I/O.
 *
 * The emulator has no side effects of its own; the callbacks here give it
 * guest memory through the guest's page tables and the memory slots, and
 * turn MMIO and port accesses into KVM_EXIT_MMIO / KVM_EXIT_IO:
 *
 *  - writes (MMIO stores, OUTS) are posted: the data goes into kvm_run,
 *    the instruction completes, and KVM_RUN returns to userspace, which
 *    performs the access; nothing is left to do on the next KVM_RUN;
 *  - reads (MMIO loads, INS) need userspace first: the callback records
 *    the access and returns X86EMU_EXIT_USER, the instruction is
 *    abandoned without any change, and on the next KVM_RUN it is emulated
 *    again from scratch, the read now answered from the record;
 *  - one posted access per emulation: a second one ends the call with
 *    X86EMU_EXIT_USER too (for REP, after the steps already done), and the
 *    rest happens when the guest re-executes the instruction.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <kvmm/kvmm.h>
#include <kvmm/io_bus.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/x86.h>
#include "emulate/emulate.h"
#include "mmu/walk.h"

static struct kvmm_vcpu *emu_vcpu(struct x86_emu *emu)
{
	return emu->ctx;
}

/*
 * Linear to guest physical through the guest's page tables, with every
 * check the hardware makes for an access at the current CPL (user at
 * CPL 3, except implicit supervisor accesses: WALK_SYSTEM).
 */
static int emul_translate(struct x86_emu *emu, u64 linear, u32 access,
			  u64 *gpa)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	struct walk_result res;
	struct walk_env env;

	kvmm_x86_walk_env(vcpu, &env);
	if (emu->cpl == 3 && !(access & WALK_SYSTEM))
		access |= WALK_USER;
	if (guest_walk(&env, linear, access, &res))
		return X86EMU_UNHANDLEABLE;
	if (res.fault)
		return x86_emu_page_fault(emu, linear, res.error_code);
	*gpa = res.gpa;
	return X86EMU_OK;
}

/* RAM through the slots; false when @gpa is not RAM for this access. */
static bool emul_ram(struct kvmm_vcpu *vcpu, u64 gpa, void *buf,
		     unsigned int len, bool write)
{
	struct kvmm_vm *vm = vcpu->vm;
	struct kvmm_memslot *slot;
	unsigned long hva;
	int idx;
	bool ram = false;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmm_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	if (slot && !(write && (slot->flags & KVM_MEM_READONLY))) {
		hva = kvmm_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
		      offset_in_page(gpa);
		/*
		 * As in KVM, memory the host cannot read or write right now
		 * (mprotect, munmap) is treated as MMIO for this access.
		 */
		if (write) {
			ram = !copy_to_user((void __user *)hva, buf, len);
			/* After the write: a harvest then copies the data. */
			if (ram)
				kvmm_mark_page_dirty_in_slot(vm, slot,
							     gpa >> PAGE_SHIFT);
		} else {
			ram = !copy_from_user(buf, (void __user *)hva, len);
		}
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ram;
}

static int emul_mmio_read(struct kvmm_vcpu *vcpu, u64 gpa, void *buf,
			  unsigned int len)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (a->mmio.done && a->mmio.gpa == gpa && a->mmio.len == len) {
		memcpy(buf, a->mmio.data, len);
		a->mmio.done = false;
		return X86EMU_OK;
	}
	if (a->emul_posted)
		return X86EMU_EXIT_USER;	/* the posted exit goes first */
	if (!kvmm_io_bus_read(vcpu, KVMM_MMIO_BUS, gpa, len, buf))
		return X86EMU_OK;
	a->mmio.gpa = gpa;
	a->mmio.len = len;
	a->mmio.done = false;
	a->mmio.pending = true;
	kvmm_x86_fill_mmio_exit(vcpu, gpa, len, false, NULL);
	return X86EMU_EXIT_USER;
}

static int emul_mmio_write(struct kvmm_vcpu *vcpu, u64 gpa, const void *buf,
			   unsigned int len)
{
	if (vcpu->arch.emul_posted)
		return X86EMU_EXIT_USER;
	if (!kvmm_io_bus_write(vcpu, KVMM_MMIO_BUS, gpa, len, buf))
		return X86EMU_OK;
	vcpu->arch.emul_posted = true;
	kvmm_x86_fill_mmio_exit(vcpu, gpa, len, true, buf);
	return X86EMU_OK;
}

/* One data access of 1..8 bytes, split at a page boundary. */
static int emul_access(struct x86_emu *emu, u64 linear, void *buf,
		       unsigned int len, bool write)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	unsigned int done = 0;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - offset_in_page(linear + done));
		u64 gpa;
		int r;

		r = emul_translate(emu, linear + done, write ? WALK_WRITE : 0,
				   &gpa);
		if (r)
			return r;
		if (!emul_ram(vcpu, gpa, buf + done, n, write)) {
			/*
			 * MMIO crossing a page, or longer than kvm_run's
			 * 8-byte window (a string I/O batch), is not
			 * supported.
			 */
			if (n != len || len > sizeof(vcpu->run->mmio.data))
				return X86EMU_UNHANDLEABLE;
			return write ? emul_mmio_write(vcpu, gpa, buf, len) :
				       emul_mmio_read(vcpu, gpa, buf, len);
		}
		done += n;
	}
	return X86EMU_OK;
}

static int emul_read_mem(struct x86_emu *emu, u64 linear, void *buf,
			 unsigned int len)
{
	return emul_access(emu, linear, buf, len, false);
}

static int emul_write_mem(struct x86_emu *emu, u64 linear, const void *buf,
			  unsigned int len)
{
	return emul_access(emu, linear, (void *)buf, len, true);
}

static int emul_fetch(struct x86_emu *emu, u64 linear, void *buf,
		      unsigned int len)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	u64 gpa;
	int r;

	r = emul_translate(emu, linear, WALK_FETCH, &gpa);
	if (r)
		return r;
	/* Executing from MMIO is not something kvmm emulates. */
	if (!emul_ram(vcpu, gpa, buf, len, false))
		return X86EMU_UNHANDLEABLE;
	return X86EMU_OK;
}

/* The TSS's I/O permission bitmap: RAM only, like the hardware's read. */
static int emul_read_sys(struct x86_emu *emu, u64 linear, void *buf,
			 unsigned int len)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	unsigned int done = 0;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - offset_in_page(linear + done));
		u64 gpa;
		int r;

		r = emul_translate(emu, linear + done, WALK_SYSTEM, &gpa);
		if (r)
			return r;
		if (!emul_ram(vcpu, gpa, buf + done, n, false))
			return X86EMU_UNHANDLEABLE;
		done += n;
	}
	return X86EMU_OK;
}

/*
 * cmpxchg on the host's mapping of a guest RAM page: 1 written, 0 the
 * bytes differ from @old, -1 not RAM for this access (no slot, read-only,
 * or the host cannot write it now: then it is MMIO, as in emul_ram()).
 */
static int emul_ram_cmpxchg(struct kvmm_vcpu *vcpu, u64 gpa, const void *old,
			    const void *new, unsigned int len)
{
	struct kvmm_vm *vm = vcpu->vm;
	struct kvmm_memslot *slot;
	void __user *p;
	u64 o = 0, n = 0;
	int idx, r = -EFAULT;

	memcpy(&o, old, len);
	memcpy(&n, new, len);
	idx = srcu_read_lock(&vm->srcu);
	slot = kvmm_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	if (!slot || (slot->flags & KVM_MEM_READONLY))
		goto out;
	p = (void __user *)(kvmm_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
			    offset_in_page(gpa));
	if (!access_ok(p, len))
		goto out;
	switch (len) {
	case 1: {
		u8 v = o;

		r = __try_cmpxchg_user((u8 __user *)p, &v, (u8)n, fault1);
		break;
	}
	case 2: {
		u16 v = o;

		r = __try_cmpxchg_user((u16 __user *)p, &v, (u16)n, fault2);
		break;
	}
	case 4: {
		u32 v = o;

		r = __try_cmpxchg_user((u32 __user *)p, &v, (u32)n, fault4);
		break;
	}
	case 8: {
		u64 v = o;

		r = __try_cmpxchg_user((u64 __user *)p, &v, n, fault8);
		break;
	}
	}
	if (!r)
		kvmm_mark_page_dirty_in_slot(vm, slot, gpa >> PAGE_SHIFT);
out:
	srcu_read_unlock(&vm->srcu, idx);
	if (r < 0)
		return -1;
	return r ? 0 : 1;	/* __try_cmpxchg_user: 0 swapped, 1 differs */
}

/*
 * The write of a LOCKed read-modify-write or XCHG (emulate.h): atomic on
 * guest RAM, as KVM's emulator does it, so an emulated LOCK ADD beside
 * another vCPU's loses neither update.  An access split across two pages
 * cannot be one atomic host access (a split lock): it is written as two,
 * as KVM does too.  MMIO has no atomicity to keep: it is written.
 */
static int emul_cmpxchg(struct x86_emu *emu, u64 linear, const void *old,
			const void *new, unsigned int len)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	u64 gpa;
	int r;

	if (offset_in_page(linear) + len > PAGE_SIZE)
		return emul_access(emu, linear, (void *)new, len, true);
	r = emul_translate(emu, linear, WALK_WRITE, &gpa);
	if (r)
		return r;
	switch (emul_ram_cmpxchg(vcpu, gpa, old, new, len)) {
	case 1:
		return X86EMU_OK;
	case 0:
		return X86EMU_RETRY;
	}
	return emul_mmio_write(vcpu, gpa, new, len);
}

/*
 * A string I/O batch of @count elements through the PIO bus, one element
 * per access.  False when no device takes the first (then userspace gets
 * the whole batch).  A device that stops taking them half-way was
 * unregistered meanwhile: as KVM, the rest of the writes is dropped and
 * the rest of the reads is 0.
 */
static bool emul_pio_bus(struct kvmm_vcpu *vcpu, u16 port, unsigned int size,
			 unsigned int count, void *buf, bool out)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		void *p = buf + i * size;
		int r;

		r = out ? kvmm_io_bus_write(vcpu, KVMM_PIO_BUS, port, size, p) :
			  kvmm_io_bus_read(vcpu, KVMM_PIO_BUS, port, size, p);
		if (!r)
			continue;
		if (!i)
			return false;
		if (!out)
			memset(p, 0, (count - i) * size);
		break;
	}
	return true;
}

static int emul_pio_in(struct x86_emu *emu, u16 port, unsigned int size,
		       unsigned int count, void *buf)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (a->pio_str.done && a->pio_str.port == port &&
	    a->pio_str.size == size && a->pio_str.count == count) {
		memcpy(buf, a->pio_data, size * count);
		a->pio_str.done = false;
		return X86EMU_OK;
	}
	if (a->emul_posted)
		return X86EMU_EXIT_USER;
	if (emul_pio_bus(vcpu, port, size, count, buf, false))
		return X86EMU_OK;
	a->pio_str.port = port;
	a->pio_str.size = size;
	a->pio_str.count = count;
	a->pio_str.done = false;
	a->pio_str.pending = true;
	memset(a->pio_data, 0, size * count);
	kvmm_x86_fill_io_exit(vcpu, port, size, count, true);
	return X86EMU_EXIT_USER;
}

static int emul_pio_out(struct x86_emu *emu, u16 port, unsigned int size,
			unsigned int count, const void *buf)
{
	struct kvmm_vcpu *vcpu = emu_vcpu(emu);

	if (vcpu->arch.emul_posted)
		return X86EMU_EXIT_USER;
	if (emul_pio_bus(vcpu, port, size, count, (void *)buf, true))
		return X86EMU_OK;
	vcpu->arch.emul_posted = true;
	memcpy(vcpu->arch.pio_data, buf, size * count);
	kvmm_x86_fill_io_exit(vcpu, port, size, count, false);
	return X86EMU_OK;
}

static const struct x86_emu_ops kvmm_emu_ops = {
	.read_mem	= emul_read_mem,
	.write_mem	= emul_write_mem,
	.pio_in		= emul_pio_in,
	.pio_out	= emul_pio_out,
	.fetch		= emul_fetch,
	.read_sys	= emul_read_sys,
	.cmpxchg	= emul_cmpxchg,
};

static u8 emul_mode(struct kvmm_arch_vcpu *a)
{
	if (!(a->cr0 & X86_CR0_PE) || (a->rflags & X86_EFLAGS_VM))
		return X86_MODE_REAL;
	if ((a->efer & EFER_LMA) && a->segs[KVMM_SEG_CS].l)
		return X86_MODE_LONG64;
	return a->segs[KVMM_SEG_CS].db ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

static int kvmm_emulate_complete(struct kvmm_vcpu *vcpu);

/* The emulator's view of the vCPU, from the cached state. */
static void emul_init(struct kvmm_vcpu *vcpu, struct x86_emu *emu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	kvmm_x86_cache_state(vcpu, KVMM_SG_SEGS);
	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	memset(emu, 0, sizeof(*emu));
	emu->ops = &kvmm_emu_ops;
	emu->ctx = vcpu;
	memcpy(emu->regs, a->regs, sizeof(emu->regs));
	emu->rip = a->rip;
	emu->rflags = a->rflags;
	emu->mode = emul_mode(a);
	emu->seg_base[X86_SEG_ES] = a->segs[KVMM_SEG_ES].base;
	emu->seg_base[X86_SEG_CS] = a->segs[KVMM_SEG_CS].base;
	emu->seg_base[X86_SEG_SS] = a->segs[KVMM_SEG_SS].base;
	emu->seg_base[X86_SEG_DS] = a->segs[KVMM_SEG_DS].base;
	emu->seg_base[X86_SEG_FS] = a->segs[KVMM_SEG_FS].base;
	emu->seg_base[X86_SEG_GS] = a->segs[KVMM_SEG_GS].base;
	emu->cpl = kvmm_x86_cpl(vcpu);
	emu->tr_base = a->segs[KVMM_SEG_TR].base;
	emu->tr_limit = a->segs[KVMM_SEG_TR].limit;
	emu->tr_type = (a->segs[KVMM_SEG_TR].present &&
			!a->segs[KVMM_SEG_TR].unusable) ?
		       a->segs[KVMM_SEG_TR].type : 0;
}

/*
 * An instruction the emulator cannot or will not run.  At CPL 0 the VMM
 * hears of it (KVM_INTERNAL_ERROR_EMULATION with the bytes).  Above CPL 0
 * the guest gets #UD instead, as from KVM: the bytes may be a guest
 * process's (raced after the exit, or an unsupported instruction on MMIO
 * it was given), and a process must not be able to stop its VM.
 */
static int emul_failed(struct kvmm_vcpu *vcpu, const u8 *bytes,
		       unsigned int n)
{
	if (kvmm_x86_cpl(vcpu) > 0)
		return kvmm_x86_inject_ud(vcpu);
	return kvmm_x86_exit_emulation_failure(vcpu, vcpu->arch.rip, n, bytes,
					       n);
}

/*
 * Decode the instruction at CS:RIP that an intercept reported as @op
 * (X86_OP_CPUID, ...), when the hardware does not give its length or
 * operands (SVM without NRIP save or decode assists).  The one decoder
 * the emulator uses, so prefixes and REX count as on hardware.  Returns
 * 1 with @insn and the RIP after it (@next_rip) filled; 1 with
 * @insn->len = 0 and an exception queued when decoding faults (LOCK: #UD;
 * over 15 bytes: #GP); when the bytes are not an @op (the guest changed
 * them, or kvmm misread them), never a guess: 0 with an emulation-failure
 * exit at CPL 0, 1 with @insn->len = 0 and #UD queued above it.
 */
int kvmm_x86_decode_intercepted(struct kvmm_vcpu *vcpu, u8 op,
				struct x86_insn *insn, unsigned long *next_rip)
{
	u8 bytes[X86_MAX_INSN_LEN];
	struct x86_emu emu;
	int n, r;

	emul_init(vcpu, &emu);
	n = kvmm_x86_fetch_insn(vcpu, bytes);
	r = x86_decode(&emu, bytes, n, insn);
	if (r == X86EMU_OK && insn->op == op) {
		*next_rip = x86_insn_next_rip(&emu, insn);
		return 1;
	}
	if (r == X86EMU_EXCEPTION) {
		insn->len = 0;
		kvmm_x86_queue_exception(vcpu, emu.exception.vector,
					 emu.exception.has_error_code,
					 emu.exception.error_code);
		return 1;
	}
	insn->len = 0;
	return emul_failed(vcpu, bytes, n);
}

/*
 * Emulate the instruction at CS:RIP.  Returns the exit contract: 1 to
 * re-enter, 0 with kvm_run filled (MMIO/IO exit or emulation failure).
 */
int kvmm_x86_emulate(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct x86_emu emu;
	int r;

	emul_init(vcpu, &emu);
	a->emul_posted = false;
	r = x86_emulate_insn(&emu);

	/* Completed REP steps count even when the call stops early. */
	if (r == X86EMU_OK || emu.step) {
		memcpy(a->regs, emu.regs, sizeof(a->regs));
		a->rip = emu.rip;
		a->rflags = emu.rflags;
	}

	switch (r) {
	case X86EMU_OK:
		a->mmio.pending = false;
		a->pio_str.pending = false;
		if (a->emul_posted) {
			a->complete_userspace = NULL;
			return 0;
		}
		return 1;
	case X86EMU_EXIT_USER:
		if (a->emul_posted) {
			/* A posted write goes out; the rest re-executes. */
			a->mmio.pending = false;
			a->pio_str.pending = false;
			return 0;
		}
		a->complete_userspace = kvmm_emulate_complete;
		return 0;
	case X86EMU_EXCEPTION:
		if (emu.exception.vector == X86EMU_VEC_PF) {
			a->cr2 = emu.exception.cr2;
			kvmm_x86_mark_dirty(vcpu, KVMM_SG_CRS);
		}
		kvmm_x86_queue_exception(vcpu, emu.exception.vector,
					 emu.exception.has_error_code,
					 emu.exception.error_code);
		return 1;
	case X86EMU_RETRY:
		/* Memory kept changing under a LOCKed RMW: the guest redoes it. */
		return 1;
	default:
		return emul_failed(vcpu, emu.insn.bytes, emu.insn.nr_bytes);
	}
}

/* Userspace answered the read: keep its data and emulate again. */
static int kvmm_emulate_complete(struct kvmm_vcpu *vcpu)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;

	if (a->mmio.pending) {
		memcpy(a->mmio.data, vcpu->run->mmio.data, a->mmio.len);
		a->mmio.pending = false;
		a->mmio.done = true;
	}
	if (a->pio_str.pending) {
		a->pio_str.pending = false;
		a->pio_str.done = true;
	}
	return kvmm_x86_emulate(vcpu);
}
