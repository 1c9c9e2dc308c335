# SPDX-License-Identifier: GPL-2.0
#
# `make run`: sourced by runner.sh in the test host after the hypervisor
# under test was loaded.  Shows what kvmm detected, talks to /dev/kvm and
# unloads it again.

echo "== what the kernel log says"
dmesg | grep -E 'kvmm:|kvm(_amd|_intel)?:'
echo "== the device"
ls -l "$KVMM_DEVICE"
grep -E '^flags|^vmx flags' /proc/cpuinfo | sort -u | tr ' ' '\n' |
	grep -xE 'svm|npt|vmx|ept|vpid|unrestricted_guest|nrip_save|flushbyasid|decodeassists|vmcb_clean' |
	sort -u | tr '\n' ' ' | sed 's/^/host CPU features: /; s/$/\n/'
echo "== KVM_GET_API_VERSION and KVM_CHECK_EXTENSION"
/kvmm/tests/api_version | grep -E '^(ok|not ok)'
echo "== a guest (tools/testing/selftests/kvmm/kvmm_demo.c)"
demo_rc=0
/kvmm/tests/kvmm_demo || demo_rc=$?
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
else
	echo "KVMM-DEMO: OK"
fi
