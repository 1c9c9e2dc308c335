/* SPDX-License-Identifier: GPL-2.0 */
/* The uapi types (for <linux/kvm.h>), then the kernel's. */
#ifndef _TOOLS_TESTING_SHIM_LINUX_TYPES_H
#define _TOOLS_TESTING_SHIM_LINUX_TYPES_H
#include_next <linux/types.h>
#include "../kernel_shim.h"
#endif
