/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel headers the emulator uses.  The same sources build in the
 * kernel (kvmm.ko) and as a plain userspace library for the unit tests and
 * the fuzzer in tools/testing/emulate/, where tools/testing/shim/ stands in
 * for these headers.
 */
#ifndef _KVMM_X86_EMU_TYPES_H
#define _KVMM_X86_EMU_TYPES_H

#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/build_bug.h>

#endif /* _KVMM_X86_EMU_TYPES_H */
