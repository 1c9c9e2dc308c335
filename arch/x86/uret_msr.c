// SPDX-License-Identifier: GPL-2.0
/*
 * User-return MSRs: guest values of MSRs the host kernel itself never
 * reads, loaded before guest entry and put back lazily, when the CPU
 * next returns to user mode.
 *
 * Some MSRs are neither switched by VMRUN/VM entry nor interceptable on
 * every use: TSC_AUX is read by RDTSCP and by RDPID, and SVM cannot
 * intercept RDPID, so the guest's value must be in the hardware register
 * while the guest runs.  The host kernel uses TSC_AUX only to tell user
 * mode its CPU number (vDSO getcpu, RDTSCP/RDPID in user mode), so the
 * host value is needed back only before user mode runs on that CPU.
 * Writing it back on every exit would cost two WRMSRs per exit; instead:
 *
 *  - kvmm_uret_msr_set() (interrupts off, before entry) writes the guest
 *    value only when it differs from what the CPU holds, and registers a
 *    user-return notifier on this CPU the first time it changes anything;
 *  - the notifier (kernel/user-return-notifier.c) runs on this CPU just
 *    before some task returns to user mode: the flag that triggers it
 *    follows whichever task runs on the CPU (context switch passes it
 *    on), so it fires whether the vCPU thread returns to userspace,
 *    sleeps or migrates.  It writes the host values back and
 *    unregisters;
 *  - turning virtualization off on a CPU (rmmod, CPU offline, suspend,
 *    reboot) does the same from kvmm_uret_cpu_disable(), so nothing
 *    stays registered once kvmm's code is gone.
 *
 * The host values are read when a CPU is enabled: the kernel writes
 * TSC_AUX once, in cpu_init(), before the CPU's hotplug STARTING
 * callbacks run (and before syscore resume re-enables it).
 *
 * Per-CPU state is touched only on its own CPU with interrupts off: the
 * entry path, the notifier (which disables them) and the disable IPI or
 * hotplug callback cannot interleave.  The table of MSRs is filled by a
 * backend's hardware_setup(), before any CPU is enabled, and emptied
 * after every CPU was disabled.  Linux's KVM is the only other user of
 * user-return notifiers and cannot be loaded beside kvmm.
 */
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include <kvmm/kvmm.h>
#include <kvmm/x86.h>

#define KVMM_URET_MAX_MSRS	4

static u32 kvmm_uret_msrs[KVMM_URET_MAX_MSRS];
static unsigned int kvmm_nr_uret_msrs;

struct kvmm_uret_cpu {
	struct user_return_notifier urn;
	bool registered;	/* some curr[] may differ from host[] */
	u64 host[KVMM_URET_MAX_MSRS];	/* the host's value on this CPU */
	u64 curr[KVMM_URET_MAX_MSRS];	/* what the CPU holds now */
};

static DEFINE_PER_CPU(struct kvmm_uret_cpu, kvmm_uret_cpu);

/* Interrupts off, on the CPU that owns @c. */
static void kvmm_uret_restore(struct kvmm_uret_cpu *c)
{
	unsigned int i;

	if (!c->registered)
		return;
	c->registered = false;
	user_return_notifier_unregister(&c->urn);
	for (i = 0; i < kvmm_nr_uret_msrs; i++) {
		if (c->curr[i] == c->host[i])
			continue;
		wrmsrl(kvmm_uret_msrs[i], c->host[i]);
		c->curr[i] = c->host[i];
	}
}

/* Runs with preemption off, on the CPU the notifier was registered on. */
static void kvmm_uret_on_user_return(struct user_return_notifier *urn)
{
	struct kvmm_uret_cpu *c = container_of(urn, struct kvmm_uret_cpu, urn);
	unsigned long flags;

	local_irq_save(flags);
	kvmm_uret_restore(c);
	local_irq_restore(flags);
}

/*
 * Add @msr to the switched set; from a backend's hardware_setup() only.
 * The MSR must read and write back without a fault on this CPU.  Returns
 * the slot for kvmm_uret_msr_set(), or -errno.
 */
int kvmm_uret_msr_add(u32 msr)
{
	u64 val;
	int err;

	if (kvmm_nr_uret_msrs >= KVMM_URET_MAX_MSRS) {
		kvmm_internal_error("more than %d user-return MSRs\n",
				    KVMM_URET_MAX_MSRS);
		return -ENOSPC;
	}
	preempt_disable();
	err = rdmsrl_safe(msr, &val);
	if (!err)
		err = wrmsrl_safe(msr, val);
	preempt_enable();
	if (err)
		return -EIO;
	kvmm_uret_msrs[kvmm_nr_uret_msrs] = msr;
	return kvmm_nr_uret_msrs++;
}

/* The slot of @msr, or -1 when it is not switched (not supported). */
int kvmm_uret_msr_slot(u32 msr)
{
	unsigned int i;

	for (i = 0; i < kvmm_nr_uret_msrs; i++)
		if (kvmm_uret_msrs[i] == msr)
			return i;
	return -1;
}

/* Empty the table; every CPU is disabled by now. */
void kvmm_uret_msrs_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (per_cpu(kvmm_uret_cpu, cpu).registered)
			kvmm_internal_error("user-return MSRs still loaded on CPU %d\n",
					    cpu);
	kvmm_nr_uret_msrs = 0;
}

/* Virtualization goes on on this CPU: interrupts off.  Record host values. */
void kvmm_uret_cpu_enable(void)
{
	struct kvmm_uret_cpu *c = this_cpu_ptr(&kvmm_uret_cpu);
	unsigned int i;

	c->urn.on_user_return = kvmm_uret_on_user_return;
	if (c->registered) {
		kvmm_internal_error("user-return MSRs loaded on CPU %d at enable\n",
				    smp_processor_id());
		kvmm_uret_restore(c);
	}
	for (i = 0; i < kvmm_nr_uret_msrs; i++) {
		/* Probed at kvmm_uret_msr_add(): cannot fault. */
		rdmsrl(kvmm_uret_msrs[i], c->host[i]);
		c->curr[i] = c->host[i];
	}
}

/* Virtualization goes off on this CPU: interrupts off.  Host values back. */
void kvmm_uret_cpu_disable(void)
{
	kvmm_uret_restore(this_cpu_ptr(&kvmm_uret_cpu));
}

/*
 * Make this CPU hold @value in the MSR of @slot until the next return to
 * user mode.  Interrupts off (between the run loop's checks and entry).
 */
void kvmm_uret_msr_set(int slot, u64 value)
{
	struct kvmm_uret_cpu *c = this_cpu_ptr(&kvmm_uret_cpu);

	lockdep_assert_irqs_disabled();
	if (likely(c->curr[slot] == value))
		return;
	/* Callers pass only values the MSR accepts (see kvmm_x86_set_msr). */
	if (wrmsrl_safe(kvmm_uret_msrs[slot], value)) {
		kvmm_internal_error("WRMSR %#x <- %#llx faulted\n",
				    kvmm_uret_msrs[slot], value);
		return;
	}
	c->curr[slot] = value;
	if (!c->registered) {
		user_return_notifier_register(&c->urn);
		c->registered = true;
	}
}
