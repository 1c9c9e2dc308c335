# SPDX-License-Identifier: GPL-2.0
#
# What the userspace builds of arch/x86/ sources share (included by
# tools/testing/{emulate,irqchip,lapic,pit}/Makefile): the stand-ins for
# the kernel headers those sources include, and the compiler flags.
#
# SHIM_CFLAGS puts $(SHIM) on the include path, so that a kernel header
# (<linux/types.h>, <asm/apicdef.h>...) resolves to its stand-in there.

SHIM := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
SHIM_HDRS := $(wildcard $(SHIM)/*.h $(SHIM)/*/*.h)

# Kernel-style callbacks ignore some of their parameters; the kernel
# builds with -Wno-unused-parameter too; test tables leave trailing
# fields zero (-Wno-missing-field-initializers, also as the kernel).
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all

CC ?= gcc
SHIM_CFLAGS := -std=gnu11 -O1 -g $(WARN) $(SAN) -I$(SHIM)
