// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware virtualization on every CPU, for as long as kvmm is loaded.
 *
 * kvmm turns SVM/VMX on at load on every online CPU and on every CPU that
 * comes online later, and off on rmmod, CPU offline, suspend, reboot and
 * kexec.  Crash and emergency paths are the kernel's (see the backends).
 *
 * The hotplug callbacks sit in the static CPUHP_AP_KVM_STARTING slot, as
 * Linux's KVM does: STARTING runs on the incoming CPU with interrupts off
 * before it is online, and DYING runs on the outgoing CPU after every task
 * has left it, so no vCPU can be scheduled on a CPU whose virtualization
 * is off.  The slot has one owner; finding it taken means kvm_amd or
 * kvm_intel is loaded, and kvmm refuses with -EBUSY.  STARTING callbacks
 * must not fail (kernel/cpu.c ignores their result on hotplug), so a CPU
 * that cannot be enabled is recorded and logged; the run loop checks
 * kvmm_hw_enabled_on_this_cpu() before entering a guest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>

#include <kvmm/kvmm.h>

/* Set on reboot: faults of VMX/SVM instructions are expected from then on. */
bool kvmm_rebooting;

/* Whether this CPU is in VMX root operation / has EFER.SVME set by kvmm. */
static DEFINE_PER_CPU(bool, kvmm_hw_on);

/* Whether CPUs should be enabled (false while suspending or rebooting). */
static bool kvmm_hw_wanted;

bool kvmm_hw_enabled_on_this_cpu(void)
{
	return this_cpu_read(kvmm_hw_on);
}

/* Interrupts off, on the CPU concerned. */
static int kvmm_hw_enable_this_cpu(void)
{
	int err;

	if (this_cpu_read(kvmm_hw_on))
		return 0;
	err = kvmm_arch_hw_enable_cpu();
	if (err) {
		pr_err("cannot enable virtualization on CPU %d: %d%s\n",
		       raw_smp_processor_id(), err,
		       err == -EBUSY ? " (in use by another hypervisor)" : "");
		return err;
	}
	this_cpu_write(kvmm_hw_on, true);
	return 0;
}

static void kvmm_hw_disable_this_cpu(void)
{
	if (!this_cpu_read(kvmm_hw_on))
		return;
	kvmm_arch_hw_disable_cpu();
	this_cpu_write(kvmm_hw_on, false);
}

static int kvmm_cpu_starting(unsigned int cpu)
{
	if (READ_ONCE(kvmm_hw_wanted))
		kvmm_hw_enable_this_cpu();
	return 0;
}

static int kvmm_cpu_dying(unsigned int cpu)
{
	kvmm_hw_disable_this_cpu();
	return 0;
}

/* Records the first CPU's error in *first_err. */
static void kvmm_hw_enable_ipi(void *first_err)
{
	int err = kvmm_hw_enable_this_cpu();

	if (err)
		atomic_cmpxchg(first_err, 0, err);
}

static void kvmm_hw_disable_ipi(void *unused)
{
	kvmm_hw_disable_this_cpu();
}

static int kvmm_reboot_notify(struct notifier_block *nb, unsigned long code,
			      void *unused)
{
	/*
	 * Reboot, halt, power-off and kexec -e all come here first; a CPU
	 * left in VMX operation blocks INIT in the next kernel.
	 */
	WRITE_ONCE(kvmm_rebooting, true);
	WRITE_ONCE(kvmm_hw_wanted, false);
	on_each_cpu(kvmm_hw_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block kvmm_reboot_nb = {
	.notifier_call = kvmm_reboot_notify,
};

/* Suspend: only the boot CPU is left, with interrupts off. */
static int kvmm_suspend(void)
{
	kvmm_hw_disable_this_cpu();
	return 0;
}

static void kvmm_resume(void)
{
	if (READ_ONCE(kvmm_hw_wanted))
		kvmm_hw_enable_this_cpu();
}

static struct syscore_ops kvmm_syscore_ops = {
	.suspend	= kvmm_suspend,
	.resume		= kvmm_resume,
};

int kvmm_hw_init(void)
{
	atomic_t first_err = ATOMIC_INIT(0);
	int err;

	err = cpuhp_setup_state_nocalls(CPUHP_AP_KVM_STARTING, "kvmm:starting",
					kvmm_cpu_starting, kvmm_cpu_dying);
	if (err == -EBUSY) {
		pr_err("hardware virtualization is taken by another hypervisor (kvm_amd or kvm_intel is loaded)\n");
		return err;
	}
	if (err)
		return err;

	err = kvmm_arch_hardware_setup();
	if (err)
		goto out_state;

	/* Hold hotplug off so no CPU comes or goes between the two steps. */
	cpus_read_lock();
	WRITE_ONCE(kvmm_hw_wanted, true);
	on_each_cpu(kvmm_hw_enable_ipi, &first_err, 1);
	err = atomic_read(&first_err);
	if (err) {
		WRITE_ONCE(kvmm_hw_wanted, false);
		on_each_cpu(kvmm_hw_disable_ipi, NULL, 1);
		cpus_read_unlock();
		/* Only userspace errnos leave the module. */
		if (err != -EBUSY)
			err = -EIO;
		goto out_setup;
	}
	cpus_read_unlock();

	register_reboot_notifier(&kvmm_reboot_nb);
	register_syscore_ops(&kvmm_syscore_ops);
	return 0;

out_setup:
	kvmm_arch_hardware_unsetup();
out_state:
	cpuhp_remove_state_nocalls(CPUHP_AP_KVM_STARTING);
	return err;
}

void kvmm_hw_exit(void)
{
	unregister_syscore_ops(&kvmm_syscore_ops);
	unregister_reboot_notifier(&kvmm_reboot_nb);

	cpus_read_lock();
	WRITE_ONCE(kvmm_hw_wanted, false);
	on_each_cpu(kvmm_hw_disable_ipi, NULL, 1);
	cpus_read_unlock();

	kvmm_arch_hardware_unsetup();
	cpuhp_remove_state_nocalls(CPUHP_AP_KVM_STARTING);
}
