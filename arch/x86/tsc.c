// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's time-stamp counter: guest TSC = host TSC + vcpu->arch.
 * tsc_offset, applied by the backend (write_tsc_offset; SVM: the VMCB's
 * TSC_OFFSET, APM 15.30.1).  kvmm does not scale the TSC, so the guest's
 * TSC runs at the host's rate, tsc_khz.
 *
 * IA32_TSC (MSR 0x10), as Linux 6.1 treats it (x86.c kvm_synchronize_tsc):
 *  - a new vCPU starts at 0, as if userspace had written 0;
 *  - the guest's WRMSR sets its own TSC and nothing else;
 *  - a write by userspace that lands within one second's worth of cycles
 *    of where the last userspace write to this VM would be by now (or a
 *    write of 0) is taken as a wish to synchronise with it: the vCPU gets
 *    the same offset as the vCPU written first in that "generation".  So
 *    QEMU, which writes each vCPU's TSC one after the other at reset and
 *    on migration, gets vCPUs whose TSCs agree exactly, as on hardware.
 *    Where the host's TSCs are out of step (check_tsc_unstable()), the
 *    vCPU gets the last written value plus the time since instead; 6.1
 *    adds that time to the value now written, which leaves vCPUs apart
 *    by the time between the writes' predecessors (a write of 0 after
 *    vCPU creation): kvmm's reading is what "synchronise" means.
 * Every offset change asks for a kvmclock update: a pvclock page holds
 * the guest TSC of its timestamp (kvmclock.c).
 *
 * Locking: the offset of a vCPU changes in its own thread or under its
 * vCPU mutex (KVM_SET_MSRS); the VM's generation under clock.lock.
 */
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/spinlock.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/backend.h>
#include <kvmm/request.h>
#include <kvmm/x86.h>

/* KVM's tsc_tolerance_ppm: a rate this close to the host's is the host's. */
#define KVMM_TSC_TOLERANCE_PPM	250

/*
 * The host kernel has not found its TSCs out of step across CPUs (or
 * stopping, or changing rate).  The rate itself is taken to be constant:
 * kvmm runs guests only with NPT (or EPT), and every CPU that has them
 * has a constant-rate TSC (AMD family 10h on, Intel Nehalem on), even
 * where an emulated CPU's CPUID does not say so.
 */
bool kvmm_host_tsc_stable(void)
{
	return !check_tsc_unstable();
}

u64 kvmm_x86_guest_tsc(struct kvmm_vcpu *vcpu, u64 host_tsc)
{
	return host_tsc + vcpu->arch.tsc_offset;
}

static void kvmm_tsc_set_offset(struct kvmm_vcpu *vcpu, u64 offset)
{
	vcpu->arch.tsc_offset = offset;
	if (kvmm_ops->write_tsc_offset)
		kvmm_ops->write_tsc_offset(vcpu, offset);
	kvmm_make_request(vcpu, KVMM_REQ_CLOCK_UPDATE);
}

/* Cycles of the guest's TSC in @ns nanoseconds. */
static u64 kvmm_tsc_cycles(struct kvmm_vcpu *vcpu, s64 ns)
{
	return ns > 0 ? mul_u64_u32_div(ns, vcpu->arch.tsc_khz, 1000000) : 0;
}

/* A write by userspace: synchronise with the VM's last one if it looks so. */
static void kvmm_tsc_host_write(struct kvmm_vcpu *vcpu, u64 data)
{
	struct kvmm_clock *c = &vcpu->vm->arch.clock;
	u64 hz = (u64)vcpu->arch.tsc_khz * 1000, offset;
	bool sync = false;
	unsigned long flags;
	s64 ns, elapsed;

	spin_lock_irqsave(&c->lock, flags);
	ns = kvmm_clock_base_ns();
	elapsed = ns - c->tsc_write_ns;
	if (c->tsc_written && hz) {
		u64 expect = c->tsc_write_value + kvmm_tsc_cycles(vcpu, elapsed);

		sync = data == 0 ||
		       (data < expect + hz && data + hz > expect);
	}
	if (sync && kvmm_host_tsc_stable()) {
		offset = c->tsc_gen_offset;
	} else if (sync) {
		/*
		 * The host's TSCs may disagree: go by elapsed time instead,
		 * and take the value this write stands for as the last one.
		 */
		data = c->tsc_write_value + kvmm_tsc_cycles(vcpu, elapsed);
		offset = data - rdtsc();
	} else {
		offset = data - rdtsc();
		c->tsc_gen_offset = offset;	/* a new generation */
	}
	c->tsc_written = true;
	c->tsc_write_ns = ns;
	c->tsc_write_value = data;
	spin_unlock_irqrestore(&c->lock, flags);
	kvmm_tsc_set_offset(vcpu, offset);
}

void kvmm_x86_tsc_vcpu_init(struct kvmm_vcpu *vcpu)
{
	vcpu->arch.tsc_khz = tsc_khz;
	kvmm_tsc_host_write(vcpu, 0);
}

/* Returns 0, or -ENOENT when @index is not the TSC. */
int kvmm_x86_tsc_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data)
{
	if (index != MSR_IA32_TSC)
		return -ENOENT;
	*data = kvmm_x86_guest_tsc(vcpu, rdtsc());
	return 0;
}

int kvmm_x86_tsc_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			 bool host)
{
	if (index != MSR_IA32_TSC)
		return -ENOENT;
	if (host)
		kvmm_tsc_host_write(vcpu, data);
	else
		kvmm_tsc_set_offset(vcpu, data - rdtsc());
	return 0;
}

/* KVM_GET_TSC_KHZ (api.rst 4.56): the guest TSC's rate. */
long kvmm_x86_get_tsc_khz(struct kvmm_vcpu *vcpu)
{
	return vcpu->arch.tsc_khz;
}

/*
 * KVM_SET_TSC_KHZ (api.rst 4.55).  Without TSC scaling the guest's TSC
 * runs at the host's rate, so only that rate (0 meaning it, or within
 * KVM's 250 ppm tolerance) is taken.  Linux 6.1 refuses a slower rate
 * the same way (-EINVAL) but takes a faster one by moving the guest TSC
 * forward at each entry ("catch-up"), which kvmm does not do: -EINVAL.
 */
long kvmm_x86_set_tsc_khz(struct kvmm_vcpu *vcpu, unsigned long arg)
{
	u32 khz = (u32)arg;
	u64 lo, hi;

	if (!khz)
		khz = tsc_khz;
	if (!khz)		/* the host could not calibrate its TSC */
		return -EINVAL;
	lo = div_u64((u64)tsc_khz * (1000000 - KVMM_TSC_TOLERANCE_PPM), 1000000);
	hi = div_u64((u64)tsc_khz * (1000000 + KVMM_TSC_TOLERANCE_PPM), 1000000);
	if (khz < lo || khz > hi)
		return -EINVAL;
	vcpu->arch.tsc_khz = khz;
	return 0;
}
