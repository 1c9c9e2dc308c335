/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between the generic x86 core and a vendor backend (svm/, vmx/).
 * Each backend provides one const struct kvmm_backend_ops and a probe()
 * that says whether this CPU can run it.  Generic code only sees this
 * header; it never includes a backend's private headers.
 */
#ifndef _KVMM_X86_BACKEND_H
#define _KVMM_X86_BACKEND_H

#include <linux/types.h>

#include <kvmm/arch.h>

struct kvmm_vm;
struct kvmm_vcpu;

struct kvmm_backend_ops {
	const char *name;
#define KVMM_BACKEND_OP(ret, op, args) ret (*op) args;
#include <kvmm/backend-ops.h>
};

/*
 * probe() result: 0 when the backend can run here; -ENODEV when the CPU
 * lacks the extension or firmware disabled it; -EBUSY when another
 * hypervisor already owns it.  On failure *why says so in a few words; the
 * caller logs one line for all backends.
 */
struct kvmm_backend {
	int (*probe)(const char **why);
	const struct kvmm_backend_ops *ops;
};

extern const struct kvmm_backend kvmm_svm_backend;
extern const struct kvmm_backend kvmm_vmx_backend;

const char *kvmm_feature_list(char *buf, size_t size,
			      const char *const *names, unsigned int nr,
			      u32 mask);

/* The backend in use; set once in kvmm_arch_init(). */
extern const struct kvmm_backend_ops *kvmm_ops;

#endif /* _KVMM_X86_BACKEND_H */
