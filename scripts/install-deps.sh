#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything kvmm needs to build and test, from Debian's apt:
#   install-deps.sh               install (or upgrade) all of it
#   install-deps.sh --if-missing  install only when something is missing
#   install-deps.sh --with-source also linux-source-6.1 (api.rst, KVM to read)
#
# The test hosts boot the Debian kernel matching the headers kvmm is built
# against: linux-image-amd64 and linux-headers-amd64 come as a pair.

set -eu

pkgs=(
	build-essential kmod sparse			# build
	linux-headers-amd64 linux-image-amd64		# build + test host kernel
	qemu-system-x86					# svm hosts
	bochs bochsbios vgabios				# vmx hosts
	grub-pc-bin grub-common xorriso mtools		# Bochs boots an ISO
	busybox-static cpio gzip xz-utils		# host initramfs, PVH kernel unpacking
)

missing() {
	local cmd
	for cmd in gcc make sparse qemu-system-x86_64 bochs-bin grub-mkrescue xz \
		   xorriso mformat busybox cpio; do
		command -v "$cmd" >/dev/null || return 0
	done
	[ -e /usr/share/bochs/BIOS-bochs-latest ] || return 0
	[ -e /usr/share/bochs/VGABIOS-lgpl-latest ] || [ -e /usr/share/vgabios/vgabios.bin ] || return 0
	[ -d /usr/lib/grub/i386-pc ] || return 0
	compgen -G '/usr/src/linux-headers-*-amd64' >/dev/null || return 0
	compgen -G '/boot/vmlinuz-*-amd64' >/dev/null || return 0
	return 1
}

case "${1:-}" in
--if-missing) missing || exit 0 ;;
--with-source) pkgs+=(linux-source-6.1) ;;
"") ;;
*) echo "usage: $0 [--if-missing|--with-source]" >&2; exit 2 ;;
esac

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing ${pkgs[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
	--no-install-recommends "${pkgs[@]}"
