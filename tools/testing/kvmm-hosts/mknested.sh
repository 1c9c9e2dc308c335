#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the nested-VMM payload of a test host, a second initramfs archive
# that check.sh appends to the host's own (the kernel unpacks concatenated
# archives one after the other):
#
#   mknested.sh OUT.cpio.gz VMLINUZ MODDIR
#
# It holds Debian's QEMU (qemu-system-x86_64, its shared libraries at the
# paths ldd names, the firmware it loads), strace, and what the scenarios
# boot: the host's own kernel VMLINUZ as the nested guest's kernel, a
# busybox initramfs with guest-init as /init and the virtio modules from
# MODDIR (/lib/modules/<version>/kernel), a tar archive as the virtio-blk
# disk, tun.ko for the host's tap device, and kvm-check-extension.
# Also kvmtool (lkvm, built static from the pinned source in
# ../shared/third-party; KVMM_THIRD_PARTY names another directory) when
# that source is there: its scenario skips with the reason otherwise.
#
# About 25 MB compressed; rebuilt only when an input is newer than OUT.

set -eu
out=$1 vmlinuz=$2 moddir=$3
here=$(cd "$(dirname "$0")" && pwd)

qemu=$(command -v qemu-system-x86_64) || { echo "mknested: qemu-system-x86_64 missing (make deps)" >&2; exit 1; }
strace=$(command -v strace || true)

# The pinned kvmtool source: beside the clone (../shared), or this
# workplace's copy.
kvmtool_src=
for d in ${KVMM_THIRD_PARTY:-} "$here/../../../../shared/third-party" \
	 /work/shared/third-party; do
	f=$(ls "$d"/kvmtool-*.tar.gz 2>/dev/null | head -n 1)
	[ -n "$f" ] && { kvmtool_src=$f; break; }
done

inputs=("$qemu" "$vmlinuz" "$0" "$here/guest-init" "$here/kvm-check-extension.c")
[ -n "$kvmtool_src" ] && inputs+=("$kvmtool_src")
if [ -e "$out" ]; then
	fresh=1
	for f in "${inputs[@]}"; do
		[ "$f" -nt "$out" ] && fresh=0
	done
	[ "$fresh" = 1 ] && exit 0
fi

stage=$out.stage
rm -rf "$stage"
mkdir -p "$stage/usr/bin" "$stage/kvmm/nested"

# A binary and every library the dynamic loader resolves for it, at the
# same paths (Debian's loader is /lib64/ld-linux-x86-64.so.2).
copy_with_libs() {
	local bin=$1 lib
	cp "$bin" "$stage/usr/bin/"
	for lib in $(ldd "$bin" | awk '/=> \//{ print $3 } /^\t\/.*ld-linux/{ print $1 }'); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
copy_with_libs "$qemu"
[ -n "$strace" ] && copy_with_libs "$strace"

# The firmware QEMU 7.2 opens for the machines the scenarios use (found
# with strace -e openat): SeaBIOS, the VGA BIOS of the default VGA, the
# option ROMs of -kernel boot and of the default and virtio NICs.  QEMU
# looks for them relative to its binary (../share/qemu, ../share/seabios,
# ../lib/ipxe/qemu).
fw() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || { echo "mknested: $f missing (seabios, ipxe-qemu?)" >&2; exit 1; }
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
	done
}
fw /usr/share/seabios/bios-256k.bin /usr/share/seabios/vgabios-stdvga.bin \
   /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot.bin \
   /usr/share/qemu/linuxboot_dma.bin \
   /usr/lib/ipxe/qemu/efi-e1000.rom /usr/lib/ipxe/qemu/efi-e1000e.rom \
   /usr/lib/ipxe/qemu/efi-virtio.rom

nested=$stage/kvmm/nested
cp "$vmlinuz" "$nested/vmlinuz"
cp "$moddir/drivers/net/tun.ko" "$nested/"
gcc -static -O2 -Wall -o "$nested/kvm-check-extension" "$here/kvm-check-extension.c"
# Capability names QEMU may print, and their numbers.
sed -n 's/^#define \(KVM_CAP_[A-Z0-9_]*\)[ \t]\+\([0-9]\+\).*/\1 \2/p' \
	/usr/include/linux/kvm.h > "$nested/kvm-caps.txt"

# kvmtool, static (its own build, about 10 s; kept beside OUT).
if [ -n "$kvmtool_src" ]; then
	k=$out.kvmtool
	if [ ! -x "$k/lkvm-static" ] || [ "$kvmtool_src" -nt "$k/lkvm-static" ]; then
		rm -rf "$k"; mkdir -p "$k"
		tar -C "$k" --strip-components=1 -xzf "$kvmtool_src"
		make -C "$k" -j2 lkvm-static >"$k.log" 2>&1 || {
			echo "mknested: kvmtool did not build ($k.log)" >&2; exit 1; }
	fi
	cp "$k/lkvm-static" "$nested/lkvm"
	basename "$kvmtool_src" > "$nested/lkvm.source"
fi

# The guest's initramfs.
g=$out.guest
rm -rf "$g"
mkdir -p "$g"/{bin,dev,proc,sys,tmp,modules}
cp /bin/busybox "$g/bin/"
cp "$here/guest-init" "$g/init"
chmod 755 "$g/init"
: > "$g/modules/order"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	 virtio_pci virtio_blk failover net_failover virtio_net; do
	f=$(find "$moddir" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { echo "mknested: $m.ko not in $moddir" >&2; exit 1; }
	cp "$f" "$g/modules/"
	echo "$m.ko" >> "$g/modules/order"
done
(cd "$g" && find . | cpio -o -H newc --quiet) | gzip -6 > "$nested/guest.cpio.gz"
rm -rf "$g"

# The virtio-blk disk: a tar archive the guest reads a file from.
d=$out.disk
rm -rf "$d"; mkdir -p "$d"
echo "hello from the virtio-blk disk" > "$d/hello.txt"
tar -C "$d" -cf "$nested/disk.tar" hello.txt
rm -rf "$d"

(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -6 > "$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
