# SPDX-License-Identifier: GPL-2.0
#
# Runs inside a test host (sourced environment in /kvmm/env): load the
# hypervisor under test, run every selftest, print KTAP the way the
# kselftest runner does (each test's own KTAP indented as "# " lines).

load_hypervisor() {
	if [ "$KVMM_MODE" = ref ]; then
		for m in $KVMM_REF_MODULES; do
			insmod "$m" || return 1
		done
	else
		insmod "$KVMM_MODULE" || return 1
	fi
}

unload_hypervisor() {
	if [ "$KVMM_MODE" = ref ]; then
		for m in $KVMM_REF_UNLOAD; do
			rmmod "$m" || return 1
		done
	else
		rmmod kvmm || return 1
	fi
}

# Helpers some tests need (mkinitramfs.sh): msr, zsmalloc, zram.
for m in $(cat /kvmm/extra/order 2>/dev/null); do
	insmod /kvmm/extra/"$m" || echo "# extra module $m did not load"
done

if load_hypervisor; then
	echo "# hypervisor under test loaded ($KVMM_MODE)"
	# Where the code is, to read the RIPs of a frozen host (check.sh's
	# KVMM_HOST_MONITOR): the kernel's (KASLR) and the hypervisor's.
	echo "# kernel _text at 0x$(sed -n 's/^\([0-9a-f]*\) T _text$/\1/p' /proc/kallsyms)"
	for m in kvmm kvm kvm_amd kvm_intel; do
		[ -r /sys/module/$m/sections/.text ] &&
			echo "# $m .text at $(cat /sys/module/$m/sections/.text)"
	done
else
	echo "# hypervisor under test did not load ($KVMM_MODE)"
fi
dmesg | grep -E 'kvmm:|kvm(_amd|_intel)?:' | sed 's/^/# dmesg: /'
ls -l "$KVMM_DEVICE" 2>&1 | sed 's/^/# /'

if [ "$KVMM_RUN_BENCH" = 1 ]; then
	/kvmm/tests/kvmm_bench 2>&1
	if [ "${KVMM_NESTED:-0}" = 1 ]; then
		. /kvmm/scenarios.sh
		bench_qemu_boot
	fi
	return 0 2>/dev/null || exit 0
fi

if [ "$KVMM_RUN_DEMO" = 1 ]; then
	. /kvmm/demo.sh
	return 0 2>/dev/null || exit 0
fi

tests=${KVMM_TESTS:-$(cat /kvmm/tests/tests.txt)}
[ "$tests" = none ] && tests=
n=$(echo "$tests" | wc -w)
echo "TAP version 13"
echo "1..$n"
i=0
for t in $tests; do
	i=$((i + 1))
	echo "# selftests: kvmm: $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	rm -f /tmp/rc
	{
		timeout -s KILL "${KVMM_TEST_TIMEOUT:-900}" /kvmm/tests/"$t" 2>&1
		echo $? > /tmp/rc
	} | tee /tmp/out | sed 's/^/# /'
	rc=$(cat /tmp/rc)
	end=$(cut -d' ' -f1 /proc/uptime)
	took=$(awk "BEGIN { print $end - $start }")
	echo "# $t: exit $rc after ${took}s"
	case "$rc" in
	0) echo "ok $i selftests: kvmm: $t" ;;
	4) why=$(grep -o 'SKIP.*' /tmp/out | tail -n 1 | sed 's/^SKIP *//')
	   echo "ok $i selftests: kvmm: $t # SKIP $why" ;;
	137) echo "not ok $i selftests: kvmm: $t # TIMEOUT" ;;
	*) echo "not ok $i selftests: kvmm: $t" ;;
	esac
done

# QEMU booting Linux on the hypervisor under test (scenarios.sh).
if [ "${KVMM_RUN_SCENARIOS:-0}" = 1 ]; then
	. /kvmm/scenarios.sh
	run_scenarios
fi
