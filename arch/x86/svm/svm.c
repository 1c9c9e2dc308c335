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
};

const struct kvmm_backend kvmm_svm_backend = {
	.probe	= svm_probe,
	.ops	= &svm_ops,
};
