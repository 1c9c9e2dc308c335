// SPDX-License-Identifier: GPL-2.0
/*
 * More x86 vCPU state ioctls: FPU (api.rst 4.22-4.23), debug registers
 * (4.48-4.49) and KVM_TRANSLATE (4.15).  All under vcpu->mutex, with the
 * guest's FPU state in memory (it is only loaded inside KVM_RUN).
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/x86.h>
#include "mmu/walk.h"

static struct fxregs_state *guest_fxsave(struct kvmm_vcpu *vcpu)
{
	return &vcpu->arch.fpu.fpstate->regs.fxsave;
}

long kvmm_x86_get_fpu(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);
	struct kvm_fpu fpu = { };

	memcpy(fpu.fpr, fx->st_space, sizeof(fpu.fpr));
	fpu.fcw = fx->cwd;
	fpu.fsw = fx->swd;
	fpu.ftwx = fx->twd;
	fpu.last_opcode = fx->fop;
	fpu.last_ip = fx->rip;
	fpu.last_dp = fx->rdp;
	memcpy(fpu.xmm, fx->xmm_space, sizeof(fpu.xmm));
	fpu.mxcsr = fx->mxcsr;
	if (copy_to_user(arg, &fpu, sizeof(fpu)))
		return -EFAULT;
	return 0;
}

long kvmm_x86_set_fpu(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);
	struct kvm_fpu fpu;

	if (copy_from_user(&fpu, arg, sizeof(fpu)))
		return -EFAULT;
	memcpy(fx->st_space, fpu.fpr, sizeof(fpu.fpr));
	fx->cwd = fpu.fcw;
	fx->swd = fpu.fsw;
	fx->twd = fpu.ftwx;
	fx->fop = fpu.last_opcode;
	fx->rip = fpu.last_ip;
	fx->rdp = fpu.last_dp;
	memcpy(fx->xmm_space, fpu.xmm, sizeof(fx->xmm_space));
	/*
	 * fpu.mxcsr is ignored, as in Linux 6.1: an MXCSR with a reserved bit
	 * set (against MXCSR_MASK) would make the host's FXRSTOR/XRSTOR of
	 * this buffer raise #GP (SDM 1 10.5.1.1, 13.8.1), a fault in the
	 * kernel.  Userspace sets MXCSR through KVM_SET_XSAVE, which checks
	 * it.  Nothing else here can fault: FXRSTOR takes any x87 control,
	 * status and tag values (pending x87 exceptions are only reported at
	 * the guest's next waiting x87 instruction).
	 *
	 * With XSAVE, XRSTOR loads the legacy area only for the components
	 * whose XSTATE_BV bit is set (SDM 1 13.8.1): mark x87 and SSE in use.
	 */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vcpu->arch.fpu.fpstate->regs.xsave.header.xfeatures |=
			XFEATURE_MASK_FPSSE;
	return 0;
}

long kvmm_x86_get_debugregs(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_debugregs dr = { };

	kvmm_x86_cache_state(vcpu, KVMM_SG_DRS);
	memcpy(dr.db, vcpu->arch.db, sizeof(dr.db));
	dr.dr6 = vcpu->arch.dr6;
	dr.dr7 = vcpu->arch.dr7;
	if (copy_to_user(arg, &dr, sizeof(dr)))
		return -EFAULT;
	return 0;
}

long kvmm_x86_set_debugregs(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_debugregs dr;

	if (copy_from_user(&dr, arg, sizeof(dr)))
		return -EFAULT;
	/* KVM: flags must be 0, DR6/DR7 high halves must be 0. */
	if (dr.flags || (dr.dr6 >> 32) || (dr.dr7 >> 32))
		return -EINVAL;
	kvmm_x86_cache_state(vcpu, KVMM_SG_DRS);
	memcpy(vcpu->arch.db, dr.db, sizeof(dr.db));
	vcpu->arch.dr6 = dr.dr6;
	vcpu->arch.dr7 = dr.dr7;
	kvmm_x86_mark_dirty(vcpu, KVMM_SG_DRS);
	return 0;
}

/*
 * KVM_TRANSLATE: a guest virtual address through the guest's current
 * page tables, as a supervisor read.
 */
long kvmm_x86_translate(struct kvmm_vcpu *vcpu, void __user *arg)
{
	struct kvm_translation tr;
	struct walk_result res;
	struct walk_env env;
	int idx, r;

	if (copy_from_user(&tr, arg, sizeof(tr)))
		return -EFAULT;
	kvmm_x86_walk_env(vcpu, &env);
	idx = srcu_read_lock(&vcpu->vm->srcu);
	r = guest_walk(&env, tr.linear_address, 0, &res);
	srcu_read_unlock(&vcpu->vm->srcu, idx);
	tr.valid = !r && !res.fault;
	tr.physical_address = tr.valid ? res.gpa : ~0ULL;
	tr.writeable = 1;	/* as KVM: a supervisor read walk */
	tr.usermode = 0;
	if (copy_to_user(arg, &tr, sizeof(tr)))
		return -EFAULT;
	return 0;
}

/*
 * MOV to/from a debug register (SDM 3B 17.2).  The guest's debug
 * registers live only here: kvmm does not offer hardware breakpoints to
 * guests yet (KVM_CAP_SET_GUEST_DEBUG is 0), so the hardware DR7 stays
 * disabled while a guest runs and the host's DR0-DR3 are never exposed.
 * DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD).
 */
int kvmm_x86_exit_dr(struct kvmm_vcpu *vcpu, bool write, int dr, int gpr,
		     unsigned long next_rip)
{
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	unsigned long *reg = &a->regs[gpr];
	u64 val = *reg;

	kvmm_x86_cache_state(vcpu, KVMM_SG_CRS);
	if (dr == 4 || dr == 5) {
		if (a->cr4 & X86_CR4_DE)
			return kvmm_x86_inject_ud(vcpu);
		dr += 2;
	}
	if (dr > 7)
		return kvmm_x86_inject_ud(vcpu);
	if (write) {
		if ((dr == 6 || dr == 7) && (val >> 32))
			return kvmm_x86_inject_gp(vcpu);
		if (dr < 4)
			a->db[dr] = val;
		else if (dr == 6)
			a->dr6 = (val & 0xf00f) | 0xffff0ff0;
		else
			a->dr7 = (val & 0xffff2fff) | 0x400;
	} else {
		*reg = dr < 4 ? a->db[dr] : dr == 6 ? a->dr6 : a->dr7;
	}
	a->rip = next_rip;
	return 1;
}
