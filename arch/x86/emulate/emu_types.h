/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and helpers the emulator uses, so the same sources
 * build in the kernel (kvmm.ko) and as a plain userspace library for the
 * unit tests and the fuzzer in tools/testing/emulate/.
 */
#ifndef _KVMM_X86_EMU_TYPES_H
#define _KVMM_X86_EMU_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/build_bug.h>
#else
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#endif /* __KERNEL__ */

#endif /* _KVMM_X86_EMU_TYPES_H */
