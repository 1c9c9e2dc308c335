#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The newcomer's path on a fresh machine: a Debian bookworm chroot with
# only gcc, make and git (mmdebstrap), this repository cloned into it at
# its HEAD commit (uncommitted changes are not part of the check), then
# `make check` and `make run` as a newcomer types them: each must install
# what it needs and get through the build at the first try.
#
#   scripts/fresh-machine-check.sh [--boot] [--keep] [--rev REV] [DIR]
#
#   DIR     where the chroots go (default: a new directory under /var/tmp);
#           a DIR/base left by an earlier --keep run is reused (faster:
#           no bootstrap, apt's downloads cached in DIR/apt-archives)
#   --rev   check this commit instead of HEAD (e.g. an older one, to see
#           the check fail where the newcomer's path was broken)
#   --boot  go on past the build: boot the svm test host from inside the
#           chroot (`make check CONFIGS=svm` with one selftest, and
#           `make run`); QEMU TCG needs nothing from the machine but
#           /dev and /proc.  The chroots share this machine's emulator
#           lock (/tmp/kvmm-emulator.lock) so they wait their turn.
#   --keep  leave the chroots in place (default: removed on success)
#
# Each command runs in its own copy of the bootstrapped chroot, so both
# meet a machine without the packages and kernel headers they install.
#
# Needs root (chroot, mounts), mmdebstrap, network access to the Debian
# mirror of /etc/apt/sources.list.d.  Takes about 10 minutes, most of it
# apt downloading and unpacking QEMU, Bochs and the kernel packages.
# Prints FRESH-MACHINE-CHECK: OK at the end, or what failed.

set -eu
boot=0 keep=0 dir= rev=HEAD
while [ $# -gt 0 ]; do
	case "$1" in
	--boot) boot=1 ;;
	--keep) keep=1 ;;
	--rev) rev=$2; shift ;;
	-h|--help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "fresh-machine-check: unknown option $1" >&2; exit 2 ;;
	*) dir=$1 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "fresh-machine-check: needs root" >&2; exit 2; }
command -v mmdebstrap >/dev/null ||
	{ echo "fresh-machine-check: apt-get install mmdebstrap" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$dir" ] || dir=$(mktemp -d /var/tmp/kvmm-fresh.XXXXXX)
rev=$(git -C "$top" rev-parse --verify "$rev^{commit}")

say() { echo "fresh-machine-check: $*"; }
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null || true
	done
	mounted=()
}
trap cleanup EXIT
bind() {
	mount --bind "$1" "$2" && mounted+=("$2")
}

mkdir -p "$dir/apt-archives/partial"
if [ -x "$dir/base/usr/bin/git" ]; then
	say "reusing the bookworm chroot in $dir/base"
else
	say "bootstrapping bookworm (gcc, make, git) into $dir/base"
	rm -rf --one-file-system "$dir/base"
	mmdebstrap --quiet --variant=minbase --include=gcc,make,git,ca-certificates \
		bookworm "$dir/base" /etc/apt/sources.list.d/debian.sources
	cp /etc/resolv.conf "$dir/base/etc/resolv.conf"
fi
say "cloning $top at $rev"
rm -rf "$dir/base/root/kvmm"
git clone --quiet --no-local "$top" "$dir/base/root/kvmm"
git -C "$dir/base/root/kvmm" checkout --quiet "$rev"

# run_fresh NAME COMMAND: COMMAND in a fresh copy of the base chroot, as
# a newcomer would type it (a login shell's PATH, no KDIR).  The copies
# share apt's download cache only.
run_fresh() {
	local name=$1 cmd=$2 r=$dir/$1 rc=0
	say "$name: $cmd"
	rm -rf --one-file-system "$r"
	cp -a "$dir/base" "$r"
	mount -t proc proc "$r/proc" && mounted+=("$r/proc")
	bind /dev "$r/dev"
	mount -t sysfs sysfs "$r/sys" && mounted+=("$r/sys")
	bind "$dir/apt-archives" "$r/var/cache/apt/archives"
	touch /tmp/kvmm-emulator.lock "$r/tmp/kvmm-emulator.lock"
	bind /tmp/kvmm-emulator.lock "$r/tmp/kvmm-emulator.lock"
	chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive \
		sh -c "cd /root/kvmm && $cmd" 2>&1 | tee "$dir/$name.log" | sed "s/^/  $name: /" ||
		true
	cleanup
	tail -n 1 "$dir/$name.log" | grep -q "FRESH-RC=0" || rc=1
	[ $rc = 0 ] && say "$name: OK" || say "$name: FAILED (log: $dir/$name.log)"
	return $rc
}

fail=0
if [ "$boot" = 1 ]; then
	run_fresh check 'KVMM_TESTS=api_version KVMM_SCENARIOS=none make check CONFIGS=svm; echo FRESH-RC=$?' || fail=1
	run_fresh run 'make run; echo FRESH-RC=$?' || fail=1
else
	run_fresh check 'KVMM_BUILD_ONLY=1 make check; echo FRESH-RC=$?' || fail=1
	run_fresh run 'KVMM_BUILD_ONLY=1 make run; echo FRESH-RC=$?' || fail=1
fi
if [ "$fail" = 0 ]; then
	[ "$keep" = 1 ] || rm -rf --one-file-system "$dir"
	say "FRESH-MACHINE-CHECK: OK"
else
	say "FRESH-MACHINE-CHECK: FAILED (chroots kept in $dir)"
	exit 1
fi
