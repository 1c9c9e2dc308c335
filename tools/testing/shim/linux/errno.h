/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: the uapi errno values are the kernel's. */
#include_next <linux/errno.h>
#include "../kernel_shim.h"
