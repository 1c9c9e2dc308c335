// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock, KVM's paravirtual clock (Linux Documentation/virt/kvm/x86/
 * msr.rst; api.rst 4.69 KVM_SET_CLOCK, 4.70 KVM_GET_CLOCK).
 *
 * Each vCPU gives, by MSR_KVM_SYSTEM_TIME(_NEW), the guest-physical
 * address of a struct pvclock_vcpu_time_info; kvmm fills it with a
 * system_time in nanoseconds, the guest TSC value of that same instant
 * (tsc_timestamp) and the factor that turns TSC cycles into nanoseconds.
 * The guest reads its clock without exits as
 *     system_time + scale(guest TSC now - tsc_timestamp)
 * so the page must be rewritten whenever that extrapolation would stop
 * being right: when the guest enables it, when its TSC offset changes
 * (tsc.c), on KVM_SET_CLOCK, and, when the pair was read on one host
 * CPU, when the vCPU moves to another.  Each rewrite follows the
 * version protocol: version made odd, the fields, version made even.
 *
 * The time kvmclock counts is the host's CLOCK_BOOTTIME at the rate of
 * CLOCK_MONOTONIC_RAW (kvmm_clock_base_ns(), as Linux 6.1): the raw
 * clock is the host's TSC scaled at a fixed rate, so extrapolating it
 * with the TSC in the guest does not drift from it, and NTP slewing
 * does not make it jump.  kvmclock = base + clock.offset; a new VM
 * starts at 0, KVM_SET_CLOCK moves the offset.
 *
 * The master clock.  When the host's clocksource is the TSC (which it
 * uses only when the TSC is synchronised across CPUs and runs at a
 * constant rate), the VM takes ONE pair (host TSC, base ns) of one
 * instant, exactly (kvmm_clock_pair()), and every vCPU's page is
 * computed from it.
 * A guest on any vCPU then computes
 *     master_ns + offset + scale(host TSC now - master_tsc)
 * (the vCPU's own TSC offset is in both its TSC and its tsc_timestamp
 * and cancels), the same function of the one host TSC everywhere: the
 * clock is monotonic across vCPUs, and kvmm says so with
 * PVCLOCK_TSC_STABLE_BIT.  Otherwise each vCPU reads its own pair on
 * the CPU it is about to run on (TSC read before and after the clock,
 * the midpoint taken), re-reads it when it moves, and the stable bit
 * stays clear: the guest then keeps its clock monotonic itself, as the
 * pvclock ABI asks of it.  A guest whose boot vCPU uses the old MSR
 * (0x12) never gets the stable bit (Linux 6.1 does the same: some old
 * guests misread it).
 *
 * kvmm does not scale the TSC, so the scale is the host's tsc_khz, taken
 * as constant (tsc.c kvmm_host_tsc_stable() says why).  Not done: a periodic refresh for hosts
 * without a TSC clocksource (Linux 6.1 rewrites every page every 300 s;
 * here a page is refreshed only when its vCPU moves or the events above
 * happen); Xen and Hyper-V clock pages.
 *
 * Locking: vm->arch.clock.lock (a spinlock, interrupts off) guards the
 * VM's offset and master pair; readers are the vCPU threads rewriting
 * their pages and the clock ioctls, writers VM creation and
 * KVM_SET_CLOCK, which then requests an update of every vCPU
 * (KVMM_REQ_CLOCK_UPDATE).  A vCPU's page is written by its own thread
 * only, before entry, with preemption on (guest memory is user memory).
 */
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/pvclock.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include <kvmm/kvmm.h>
#include <kvmm/vm.h>
#include <kvmm/request.h>
#include <kvmm/x86.h>

/* The flags KVM_GET_CLOCK may give and KVM_SET_CLOCK takes (6.1). */
#define KVMM_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)

/* The host's CLOCK_BOOTTIME, counted at CLOCK_MONOTONIC_RAW's rate. */
s64 kvmm_clock_base_ns(void)
{
	return ktime_get_raw_ns() + ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_BOOT));
}

/*
 * A host TSC value and the base time of the same instant.  Exact (true)
 * when the host's clocksource is the TSC: ktime_get_snapshot() gives the
 * counter value its times were computed from, and that value is the TSC
 * exactly when it lies between two TSC reads around the call (another
 * clocksource's counter, HPET, ACPI PM or a pvclock's nanoseconds, does
 * not land in that window of a few hundred cycles).  Otherwise the TSC
 * is read before and after the clock, on this CPU, and the midpoint of
 * the narrowest of a few tries taken.  @real: CLOCK_REALTIME then, if
 * exact.
 */
static bool kvmm_clock_pair(u64 *tsc, s64 *ns, s64 *real)
{
	struct system_time_snapshot snap;
	u64 best = U64_MAX, t1, t2;
	unsigned long flags;
	int i;

	local_irq_save(flags);
	t1 = rdtsc_ordered();
	ktime_get_snapshot(&snap);
	t2 = rdtsc_ordered();
	local_irq_restore(flags);
	if (snap.cycles >= t1 && snap.cycles <= t2) {
		*tsc = snap.cycles;
		*ns = ktime_to_ns(snap.raw) +
		      ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_BOOT));
		if (real)
			*real = ktime_to_ns(snap.real);
		return true;
	}
	for (i = 0; i < 3; i++) {
		s64 n;

		local_irq_save(flags);
		t1 = rdtsc_ordered();
		n = kvmm_clock_base_ns();
		t2 = rdtsc_ordered();
		local_irq_restore(flags);
		if (t2 - t1 < best) {
			best = t2 - t1;
			*tsc = t1 + best / 2;
			*ns = n;
		}
	}
	return false;
}

/*
 * The pvclock scale for a TSC of @khz: ns = ((cycles << shift) * mul)
 * >> 32 (a negative shift shifts right), with mul in [2^31, 2^32) for
 * precision.  ns per cycle is 10^6 / khz; halve or double the fraction
 * num/den until it lies in [1/2, 1), counting the shift.
 */
static void kvmm_pvclock_scale(u32 khz, u32 *mul, s8 *shift)
{
	u64 num = 1000000, den = khz;
	int s = 0;

	while (num >= den) {
		den <<= 1;
		s++;
	}
	while (num * 2 < den) {
		num <<= 1;
		s--;
	}
	*mul = mul_u64_u64_div_u64(num, 1ULL << 32, den);
	*shift = s;
}

/* Master pair valid and used: the host's clocksource is a stable TSC. */
static void kvmm_clock_refresh_locked(struct kvmm_clock *c)
{
	bool exact = kvmm_clock_pair(&c->master_tsc, &c->master_ns, NULL);

	c->master = exact && kvmm_host_tsc_stable() && tsc_khz;
}

void kvmm_x86_kvmclock_vm_init(struct kvmm_vm *vm)
{
	struct kvmm_clock *c = &vm->arch.clock;
	unsigned long flags;

	spin_lock_init(&c->lock);
	spin_lock_irqsave(&c->lock, flags);
	kvmm_clock_refresh_locked(c);
	/* kvmclock starts at 0 with the VM, as in Linux 6.1. */
	c->offset = -(c->master ? c->master_ns : kvmm_clock_base_ns());
	spin_unlock_irqrestore(&c->lock, flags);
}

/* kvmclock now, as KVM_GET_CLOCK reports it (flags, realtime, host_tsc). */
static void kvmm_clock_read(struct kvmm_vm *vm, struct kvm_clock_data *d)
{
	struct kvmm_clock *c = &vm->arch.clock;
	unsigned long flags;

	memset(d, 0, sizeof(*d));
	spin_lock_irqsave(&c->lock, flags);
	if (c->master) {
		u64 tsc;
		s64 ns, real;
		u32 mul;
		s8 shift;

		if (kvmm_clock_pair(&tsc, &ns, &real)) {
			d->realtime = real;
			d->flags |= KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
		}
		d->host_tsc = tsc;
		if (!c->boot_vcpu_old_msr)
			d->flags |= KVM_CLOCK_TSC_STABLE;
		/* What a guest computes from its page at this TSC. */
		kvmm_pvclock_scale(tsc_khz, &mul, &shift);
		d->clock = c->master_ns + c->offset +
			   pvclock_scale_delta(tsc - c->master_tsc, mul, shift);
	} else {
		d->clock = kvmm_clock_base_ns() + c->offset;
	}
	spin_unlock_irqrestore(&c->lock, flags);
}

/* KVM_GET_CLOCK (api.rst 4.70). */
long kvmm_x86_vm_get_clock(struct file *filp, unsigned long arg)
{
	struct kvm_clock_data d;

	kvmm_clock_read(filp->private_data, &d);
	if (copy_to_user((void __user *)arg, &d, sizeof(d)))
		return -EFAULT;
	return 0;
}

/*
 * KVM_SET_CLOCK (api.rst 4.69): kvmclock reads d.clock now.  With
 * KVM_CLOCK_REALTIME, d.clock was the clock at host time d.realtime,
 * and the time since is added (never subtracted: the clock does not
 * step back), as 6.1.  Every flag KVM_GET_CLOCK gives is accepted.
 */
long kvmm_x86_vm_set_clock(struct file *filp, unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	struct kvmm_clock *c = &vm->arch.clock;
	struct kvm_clock_data d;
	unsigned long flags;
	s64 now;

	if (copy_from_user(&d, (void __user *)arg, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~KVMM_CLOCK_VALID_FLAGS)
		return -EINVAL;

	spin_lock_irqsave(&c->lock, flags);
	kvmm_clock_refresh_locked(c);
	if (d.flags & KVM_CLOCK_REALTIME) {
		u64 real = ktime_get_real_ns();

		if (real > d.realtime)
			d.clock += real - d.realtime;
	}
	now = c->master ? c->master_ns : kvmm_clock_base_ns();
	c->offset = d.clock - now;
	spin_unlock_irqrestore(&c->lock, flags);

	kvmm_make_all_request(vm, KVMM_REQ_CLOCK_UPDATE);
	return 0;
}

/*
 * Rewrite @vcpu's pvclock page (on KVMM_REQ_CLOCK_UPDATE, before
 * entry).  The guest's version field is continued (made odd, then even
 * again) so that a reader on another vCPU, which the ABI allows, never
 * takes a half-written page; PVCLOCK_GUEST_STOPPED stays until the
 * guest clears it.
 */
void kvmm_x86_kvmclock_update(struct kvmm_vcpu *vcpu)
{
	struct kvmm_clock *c = &vcpu->vm->arch.clock;
	struct kvmm_arch_vcpu *a = &vcpu->arch;
	struct pvclock_vcpu_time_info pv, old;
	u64 gpa = a->pv_system_time & ~1ULL;
	bool lost_master = false;
	unsigned long flags;
	u64 host_tsc;
	s64 ns;
	u32 version;

	a->pvclock_cpu = -1;
	if (!(a->pv_system_time & 1) || !tsc_khz)
		return;

	memset(&pv, 0, sizeof(pv));
	spin_lock_irqsave(&c->lock, flags);
	if (c->master && !(kvmm_clock_pair(&host_tsc, &ns, NULL) &&
			   kvmm_host_tsc_stable())) {
		/* The host left the TSC clocksource: per-vCPU pairs now. */
		c->master = false;
		lost_master = true;
	}
	if (c->master) {
		host_tsc = c->master_tsc;
		ns = c->master_ns;
		if (!c->boot_vcpu_old_msr)
			pv.flags = PVCLOCK_TSC_STABLE_BIT;
	} else {
		/* Interrupts are off: the pair is this CPU's. */
		kvmm_clock_pair(&host_tsc, &ns, NULL);
		a->pvclock_cpu = smp_processor_id();
	}
	pv.system_time = ns + c->offset;
	spin_unlock_irqrestore(&c->lock, flags);
	if (lost_master)
		kvmm_make_all_request(vcpu->vm, KVMM_REQ_CLOCK_UPDATE);

	pv.tsc_timestamp = kvmm_x86_guest_tsc(vcpu, host_tsc);
	kvmm_pvclock_scale(tsc_khz, &pv.tsc_to_system_mul, &pv.tsc_shift);

	if (kvmm_read_guest(vcpu->vm, gpa, &old, sizeof(old)))
		return;		/* not RAM: nothing to write (as KVM) */
	pv.flags |= old.flags & PVCLOCK_GUEST_STOPPED;
	if (a->pvclock_stop)
		pv.flags |= PVCLOCK_GUEST_STOPPED;
	a->pvclock_stop = false;

	version = (old.version + 1) | 1;
	if (kvmm_write_guest(vcpu->vm, gpa, &version, sizeof(version)))
		return;
	smp_wmb();
	kvmm_write_guest(vcpu->vm, gpa + sizeof(version),
			 (u8 *)&pv + sizeof(version), sizeof(pv) - sizeof(version));
	smp_wmb();
	version++;
	kvmm_write_guest(vcpu->vm, gpa, &version, sizeof(version));
}

/*
 * Entry on host CPU @cpu, interrupts off: a page computed from a pair
 * read on another CPU is that CPU's TSC, not this one's.
 */
void kvmm_x86_kvmclock_on_entry(struct kvmm_vcpu *vcpu, int cpu)
{
	if (unlikely(vcpu->arch.pvclock_cpu >= 0 &&
		     vcpu->arch.pvclock_cpu != cpu))
		kvmm_make_request(vcpu, KVMM_REQ_CLOCK_UPDATE);
}

/*
 * The wall clock at kvmclock 0 into the guest's struct pvclock_wall_clock
 * at @gpa, at the moment of the MSR write only (msr.rst).
 */
static void kvmm_kvmclock_write_wall(struct kvmm_vm *vm, u64 gpa)
{
	struct pvclock_wall_clock wc;
	struct kvm_clock_data d;
	u32 version, nsec;
	u64 boot;

	if (!gpa || kvmm_read_guest(vm, gpa, &version, sizeof(version)))
		return;
	version = (version + 1) | 1;
	if (kvmm_write_guest(vm, gpa, &version, sizeof(version)))
		return;
	kvmm_clock_read(vm, &d);
	boot = ktime_get_real_ns() - d.clock;
	wc.sec = (u32)div_u64_rem(boot, NSEC_PER_SEC, &nsec);
	wc.nsec = nsec;
	wc.version = version;
	smp_wmb();
	kvmm_write_guest(vm, gpa, &wc, sizeof(wc));
	smp_wmb();
	version++;
	kvmm_write_guest(vm, gpa, &version, sizeof(version));
}

void kvmm_x86_kvmclock_vcpu_init(struct kvmm_vcpu *vcpu)
{
	vcpu->arch.pv_system_time = 0;
	vcpu->arch.pvclock_cpu = -1;
	vcpu->arch.pvclock_stop = false;
}

/*
 * The kvmclock MSRs; 0, or -ENOENT for another MSR.  Taken whatever the
 * guest's CPUID says, as 6.1 without KVM_CAP_ENFORCE_PV_FEATURE_CPUID.
 */
int kvmm_x86_kvmclock_get_msr(struct kvmm_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->vm->arch.clock.wall_clock);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->arch.pv_system_time;
		return 0;
	}
	return -ENOENT;
}

int kvmm_x86_kvmclock_set_msr(struct kvmm_vcpu *vcpu, u32 index, u64 data,
			      bool host)
{
	struct kvmm_clock *c = &vcpu->vm->arch.clock;

	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		/* One per VM: any vCPU's write is every vCPU's value. */
		WRITE_ONCE(c->wall_clock, data);
		kvmm_kvmclock_write_wall(vcpu->vm, data);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		if (vcpu->vcpu_id == 0 && !host) {
			bool old = index == MSR_KVM_SYSTEM_TIME;

			if (READ_ONCE(c->boot_vcpu_old_msr) != old) {
				WRITE_ONCE(c->boot_vcpu_old_msr, old);
				kvmm_make_all_request(vcpu->vm,
						      KVMM_REQ_CLOCK_UPDATE);
			}
		}
		vcpu->arch.pv_system_time = data;
		kvmm_make_request(vcpu, KVMM_REQ_CLOCK_UPDATE);
		return 0;
	}
	return -ENOENT;
}

/* KVM_KVMCLOCK_CTRL (api.rst 4.81): tell the guest it was paused. */
long kvmm_x86_kvmclock_ctrl(struct kvmm_vcpu *vcpu)
{
	if (!(vcpu->arch.pv_system_time & 1))
		return -EINVAL;
	vcpu->arch.pvclock_stop = true;
	kvmm_make_request(vcpu, KVMM_REQ_CLOCK_UPDATE);
	return 0;
}
