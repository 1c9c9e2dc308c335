/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The list of backend operations, expanded several times (X-macro):
 *
 *   KVMM_BACKEND_OP(ret, name, args)           mandatory
 *   KVMM_BACKEND_OP_OPTIONAL(ret, name, args)  may be NULL
 *
 * It generates the members of struct kvmm_backend_ops and the check, at
 * module load, that a backend filled every mandatory operation.  Add an
 * operation here and nowhere else; its contract is documented in
 * Documentation/backend.rst.  No include guard on purpose.
 */
#ifndef KVMM_BACKEND_OP_OPTIONAL
#define KVMM_BACKEND_OP_OPTIONAL KVMM_BACKEND_OP
#endif

/* Allocate per-CPU state for all possible CPUs; may sleep. */
KVMM_BACKEND_OP(int, hardware_setup, (void))
/* Free what hardware_setup allocated; every CPU is disabled by then. */
KVMM_BACKEND_OP(void, hardware_unsetup, (void))
/*
 * Turn virtualization on / off on the calling CPU, with interrupts
 * disabled: called from CPU hotplug STARTING/DYING callbacks, so they must
 * neither sleep nor allocate.  disable must be safe on a CPU that is off.
 */
KVMM_BACKEND_OP(int, hardware_enable, (void))
KVMM_BACKEND_OP(void, hardware_disable, (void))
/* One kernel-log line per detected feature set, for the load report. */
KVMM_BACKEND_OP_OPTIONAL(void, report, (void))

#undef KVMM_BACKEND_OP
#undef KVMM_BACKEND_OP_OPTIONAL
