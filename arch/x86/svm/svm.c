// SPDX-License-Identifier: GPL-2.0
/*
 * The AMD SVM backend: its one ops table.
 */
#include <kvmm/backend.h>
#include "svm.h"

static const struct kvmm_backend_ops svm_ops = {
	.name			= "svm",
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
	.report			= svm_report,
	.guests_unsupported	= svm_guests_unsupported,
	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_free		= svm_vcpu_free,
	.cache_state		= svm_cache_state,
	.vcpu_run		= svm_vcpu_run,
	.handle_exit		= svm_handle_exit,
	.flush_tlb		= svm_flush_tlb,
	.write_tsc_offset	= svm_write_tsc_offset,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.inject_events		= svm_inject_events,
	.interrupt_allowed	= svm_interrupt_allowed,
	.nmi_allowed		= svm_nmi_allowed,
	.get_nmi_mask		= svm_get_nmi_mask,
	.set_nmi_mask		= svm_set_nmi_mask,
	.set_interrupt_shadow	= svm_set_interrupt_shadow,
	.get_msr_feature	= svm_get_msr_feature,
	.vcpu_after_set_cpuid	= svm_vcpu_after_set_cpuid,
	.exception_intercepts	= svm_exception_intercepts,
};

const struct kvmm_backend kvmm_svm_backend = {
	.probe	= svm_probe,
	.ops	= &svm_ops,
};
