#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test host under QEMU TCG.
#   qemu-boot.sh --cpu MODEL --kernel VMLINUZ --initrd INITRD --log LOG
#                --timeout SECONDS [--append "args"] [--smp N] [--mem SIZE]
#                [--serial2 FILE] [--monitor SOCKET]
# --serial2: a second serial port (the host's ttyS1) written to FILE.
# --monitor: QEMU's human monitor on a Unix socket, to ask a frozen host
#            where its CPUs are ("info registers -a"; check.sh's
#            KVMM_HOST_MONITOR).
# Exit: 0 when the host powered off, 124 on timeout, else QEMU's status.

set -u
cpu=max kernel= initrd= log= timeout=600 append= smp=2 mem=1G serial2= monitor=none
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu) cpu=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--append) append=$2; shift ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--serial2) serial2=$2; shift ;;
	--monitor) monitor=unix:$2,server=on,wait=off; shift ;;
	*) echo "qemu-boot: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

# -no-reboot turns the guest's panic=-1 reboot into an exit; the serial
# console goes to the log, nothing else is emulated that the tests need.
timeout --kill-after=10 "$timeout" \
	qemu-system-x86_64 -accel tcg -cpu "$cpu" -smp "$smp" -m "$mem" \
	-nodefaults -no-reboot -display none -monitor "$monitor" \
	-serial "file:$log" ${serial2:+-serial "file:$serial2"} \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 $append" </dev/null
