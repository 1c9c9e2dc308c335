// SPDX-License-Identifier: GPL-2.0
/*
 * The Intel VMX backend: its one ops table.
 */
#include <kvmm/backend.h>
#include "vmx.h"

static const struct kvmm_backend_ops vmx_ops = {
	.name			= "vmx",
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,
	.report			= vmx_report,
};

const struct kvmm_backend kvmm_vmx_backend = {
	.probe	= vmx_probe,
	.ops	= &vmx_ops,
};
