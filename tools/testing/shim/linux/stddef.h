/* SPDX-License-Identifier: GPL-2.0 */
/* The uapi header (for <linux/kvm.h>), then the kernel's. */
#include_next <linux/stddef.h>
#include "../kernel_shim.h"
