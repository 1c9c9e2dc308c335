#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a test host's initramfs.
#   mkinitramfs.sh OUT.cpio.gz STAGEDIR ENVFILE KVMM_KO SELFTEST_DIR MODDIR \
#                  REF_MODULES...
# REF_MODULES are paths relative to MODDIR (the host kernel's
# /lib/modules/<version>/kernel); they travel as /kvmm/ref/<name>.ko.

set -eu
out=$1 stage=$2 envfile=$3 ko=$4 tests=$5 moddir=$6
shift 6
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,kvmm/tests,kvmm/ref}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/host-init" "$stage/init"
chmod 755 "$stage/init"
cp "$here/runner.sh" "$here/demo.sh" "$here/scenarios.sh" "$stage/kvmm/"
cp "$envfile" "$stage/kvmm/env"
cp "$ko" "$stage/kvmm/kvmm.ko"
cp "$tests"/tests.txt "$stage/kvmm/tests/"
for t in $(cat "$tests/tests.txt") kvmm_bench kvmm_demo; do
	[ -e "$tests/$t" ] && cp "$tests/$t" "$stage/kvmm/tests/"
done
for m in "$@"; do
	cp "$moddir/$m" "$stage/kvmm/ref/"
done
# Extra modules the runner loads, in this order, when present:
#   msr       /dev/cpu/N/msr, for tests of per-CPU state (cpu_hotplug)
#   zsmalloc  zram's allocator (modinfo -F depends zram)
#   zram      /dev/zram0, the swap device mmu_reclaim sets up
mkdir -p "$stage/kvmm/extra"
: > "$stage/kvmm/extra/order"
for m in arch/x86/kernel/msr.ko mm/zsmalloc.ko drivers/block/zram/zram.ko; do
	if [ -e "$moddir/$m" ]; then
		cp "$moddir/$m" "$stage/kvmm/extra/"
		basename "$m" >> "$stage/kvmm/extra/order"
	fi
done
# The tests run as uid 0 and switch to other ids by number only.
echo 'root:x:0:0:root:/:/bin/sh' > "$stage/etc/passwd"
echo 'root:x:0:' > "$stage/etc/group"

(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -6 > "$out"
