// SPDX-License-Identifier: GPL-2.0
/*
 * The Intel VMX backend: its one ops table.
 */
#include <kvmm/backend.h>
#include "vmx.h"

/* The VMX run loop is the next issue's work (Documentation/backend.rst). */
static const char *vmx_guests_unsupported(void)
{
	return "the VMX backend cannot run guests yet";
}

static const struct kvmm_backend_ops vmx_ops = {
	.name			= "vmx",
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,
	.report			= vmx_report,
	.guests_unsupported	= vmx_guests_unsupported,
};

const struct kvmm_backend kvmm_vmx_backend = {
	.probe	= vmx_probe,
	.ops	= &vmx_ops,
};
