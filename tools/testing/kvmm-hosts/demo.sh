# SPDX-License-Identifier: GPL-2.0
#
# `make run`: sourced by runner.sh in the test host after the hypervisor
# under test was loaded.  Shows what kvmm detected, talks to /dev/kvm,
# has QEMU boot Linux on it (or, while kvmm cannot do that yet, runs a
# guest of its own) and unloads it again.

echo "== what the kernel log says"
dmesg | grep -E 'kvmm:|kvm(_amd|_intel)?:'
echo "== the device"
ls -l "$KVMM_DEVICE"
grep -E '^flags|^vmx flags' /proc/cpuinfo | sort -u | tr ' ' '\n' |
	grep -xE 'svm|npt|vmx|ept|vpid|unrestricted_guest|nrip_save|flushbyasid|decodeassists|vmcb_clean' |
	sort -u | tr '\n' ' ' | sed 's/^/host CPU features: /; s/$/\n/'
echo "== KVM_GET_API_VERSION and KVM_CHECK_EXTENSION"
/kvmm/tests/api_version | grep -E '^(ok|not ok)'
# The main event: QEMU 7.2, unmodified, boots Debian's Linux on
# $KVMM_DEVICE with QEMU's own PIC, IOAPIC and LAPIC (issue #13), its
# serial console shown as it comes.  Until kvmm has all QEMU needs, QEMU
# stops early: then say why, and show the hypervisor running a guest of
# our own instead (kvmm_demo).
qemu_ok=0
if [ -x /usr/bin/qemu-system-x86_64 ]; then
	echo "== QEMU 7.2 boots Linux $(uname -r) on $KVMM_DEVICE"
	echo "\$ qemu-system-x86_64 -accel kvm -machine q35,kernel_irqchip=off -cpu qemu64 -smp 1 -m 256 -nodefaults -serial stdio -display none -kernel vmlinuz -initrd guest.cpio.gz -append \"console=ttyS0 panic=-1\""
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout -s KILL "${KVMM_SCENARIO_TIMEOUT:-180}" /usr/bin/qemu-system-x86_64 \
		-accel kvm -machine q35,kernel_irqchip=off -cpu qemu64 -smp 1 \
		-m 256 -nodefaults -serial stdio -display none -no-reboot \
		-kernel /kvmm/nested/vmlinuz -initrd /kvmm/nested/guest.cpio.gz \
		-append "console=ttyS0 panic=-1" \
		</dev/null 2>/tmp/run.err | tr -d '\r' | tee /tmp/run.out | sed 's/^/guest| /'
	t1=$(cut -d' ' -f1 /proc/uptime)
	sed 's/^/qemu| /' /tmp/run.err
	if grep -q '^KVMM-GUEST-OK' /tmp/run.out; then
		qemu_ok=1
		echo "KVMM-RUN: QEMU booted Linux on $KVMM_MODE in $(awk "BEGIN { print $t1 - $t0 }")s"
	else
		why=$(grep -v 'warning:' /tmp/run.err | head -n 1)
		[ -n "$why" ] || why="the guest did not reach its init (see above)"
		echo "KVMM-RUN: QEMU could not boot Linux on $KVMM_MODE: $why"
		echo "KVMM-RUN: falling back to kvmm's own demo guest"
	fi
fi
demo_rc=0
if [ "$qemu_ok" = 0 ]; then
	echo "== a guest (tools/testing/selftests/kvmm/kvmm_demo.c)"
	/kvmm/tests/kvmm_demo || demo_rc=$?
fi
echo "== unload"
if [ "$KVMM_MODE" = ref ]; then
	for m in $KVMM_REF_UNLOAD; do rmmod "$m"; done
else
	rmmod kvmm
fi
dmesg | tail -n 3 | grep -E 'kvmm:|kvm' || true
if [ -e "$KVMM_DEVICE" ]; then
	echo "KVMM-DEMO: FAILED ($KVMM_DEVICE still present)"
elif [ "$demo_rc" != 0 ] && [ "$demo_rc" != 4 ]; then
	echo "KVMM-DEMO: FAILED (the demo guest did not run)"
elif [ "$qemu_ok" = 1 ]; then
	echo "KVMM-DEMO: OK (QEMU booted Linux)"
else
	echo "KVMM-DEMO: OK (QEMU cannot boot Linux on it yet; the demo guest ran)"
fi
