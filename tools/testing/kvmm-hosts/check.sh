#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot emulated test hosts and run kvmm's selftests in them.
#
#   check.sh [--ref] [--run] [--keep-going] [CONFIG...]
#
#   --ref   test Linux's own KVM modules instead of kvmm (the reference)
#   --run   the main job: boot one host, show what kvmm detects, unload it
#   --bench boot one host twice (kvmm, then the reference) and print the
#           benchmark's kvmm/KVM time ratios
#   CONFIG  svm svm-nonpt vmx vmx-noept nosvm (default: all)
#
# Ends with one line "N passed, N failed, N skipped"; exits non-zero when
# anything failed.  Logs stay in build/hosts/<config>-<mode>/.
# Environment: KDIR (kernel headers), KVMM_CYCLES (load/unload cycles),
# KVMM_JOBS (hosts booted at once, default 1), KVMM_TESTS (run only these
# selftests, e.g. "irq_injection hostile"; "none" for none),
# KVMM_SCENARIOS (QEMU scenarios to run in the svm host, default all
# unless KVMM_TESTS is set; "none" for none), KVMM_SCENARIO_TIMEOUT
# (seconds per nested boot), KVMM_SCENARIO_STRACE=1 (strace the ioctls of
# each scenario's QEMU into build/hosts/<c>-<mode>/artifacts/),
# KVMM_SCENARIOS_STRICT=1 (a scenario kvmm lacks prerequisites for fails
# instead of skipping), KVMM_BUILD_ONLY=1 (stop after the build:
# scripts/fresh-machine-check.sh), KVMM_EMU_LOCK (lock file that
# keeps emulators of several check.sh runs from overlapping; default
# /tmp/kvmm-emulator.lock, only taken when KVMM_JOBS is 1),
# KVMM_FUZZ_SEED/_SECONDS/_FIRST_ROUND/_ROUNDS/_MODES/_TCG_SAFE/_RUN
# (fuzz_ioctls), KVMM_HOST_MONITOR=1 (QEMU hosts: a monitor socket
# build/hosts/<c>-<mode>/monitor.sock, to read a frozen host's RIPs
# against the kernel and module text addresses the host prints;
# scripts/host-freeze-loop.sh uses it).

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$here/configs.sh"

mode=kvmm run=0 bench=0
configs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--ref) mode=ref ;;
	--run) run=1 ;;
	--bench) bench=1 ;;
	-h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "check: unknown option $1" >&2; exit 2 ;;
	*) configs+=("$1") ;;
	esac
	shift
done
[ ${#configs[@]} -gt 0 ] || configs=($KVMM_ALL_CONFIGS)
for c in "${configs[@]}"; do kvmm_config "$c" || exit 2; done

say() { echo "check: $*"; }

# --- dependencies and build ----------------------------------------------
"$top/scripts/install-deps.sh" --if-missing || exit 1

# Only now that the headers are surely installed: the Makefile's default
# (an empty KDIR in the environment would stick in there, hence env -u).
if [ -z "${KDIR:-}" ]; then
	KDIR=$(env -u KDIR make -s -C "$top" -f Makefile print-kdir 2>/dev/null)
fi
# The release string modules are stamped with (vermagic); Debian's
# include/config/kernel.release holds the upstream version instead.
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$kver" ] || { say "cannot read the kernel version of KDIR=$KDIR"; exit 1; }
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver/kernel
[ -r "$vmlinuz" ] || { say "$vmlinuz missing: apt-get install linux-image-$kver"; exit 1; }

say "building kvmm.ko and the selftests against $kver"
make -s -C "$top" KDIR="$KDIR" W=1 modules >"$top/build.log" 2>&1 &&
	make -s -C "$top" selftests >>"$top/build.log" 2>&1 || {
	cat "$top/build.log"; say "build failed"; exit 1; }
if grep -E 'warning:|error:' "$top/build.log"; then
	say "the build is not warning-free"; exit 1
fi
rm -f "$top/build.log"
if [ "${KVMM_BUILD_ONLY:-0}" = 1 ]; then
	say "KVMM_BUILD_ONLY=1: built kvmm.ko and the selftests; no host boots"
	exit 0
fi

# The userspace unit tests run here, before any host boots: the
# instruction emulator's (with its fuzz smoke) and the PIC and IOAPIC
# models' (tools/testing/irqchip).  Each directory counts as one test.
emu_passed=0 emu_failed=0
if [ "$run" = 0 ] && [ "$bench" = 0 ]; then
	for unit in emulate:emulator irqchip:irqchip pit:pit lapic:lapic; do
		dir=${unit%%:*} what=${unit#*:}
		if make -s -C "$top/tools/testing/$dir" >"$top/build/$dir.log" 2>&1; then
			emu_passed=$((emu_passed + 1))
			say "$what unit tests: $(grep -E 'passed' "$top/build/$dir.log" | paste -sd ';' -)"
		else
			emu_failed=$((emu_failed + 1))
			say "$what unit tests failed:"
			tail -n 30 "$top/build/$dir.log" | sed 's/^/    /'
		fi
	done
fi

# --- scenarios: QEMU inside the host --------------------------------------
# Whether CONFIG runs the scenarios (scenarios.sh): in the svm host, unless
# only some selftests were asked for (KVMM_TESTS) without scenarios.
scenarios_for() {
	[ "$run" = 0 ] && [ "$bench" = 0 ] && [ "$1" = svm ] || return 1
	[ "${KVMM_SCENARIOS:-}" = none ] && return 1
	[ -z "${KVMM_TESTS:-}" ] || [ -n "${KVMM_SCENARIOS:-}" ]
}
# The scenario names (the first field of scenarios.sh's table).
scenario_names() {
	if [ -n "${KVMM_SCENARIOS:-}" ]; then
		echo "$KVMM_SCENARIOS"
	else
		sed -n '/^scenario_table()/,/^}/s/^\t\([a-z][a-z0-9_]*\)|.*/\1/p' \
			"$here/scenarios.sh"
	fi
}
nested=$top/build/hosts/nested.cpio.gz

# --- one host ------------------------------------------------------------
# boot_host CONFIG: build its initramfs, boot it, leave the serial log in
# $out/console.log and the emulator's status in $out/status.
boot_host() {
	local c=$1 out=$top/build/hosts/$1-$mode
	local EMU CPU VENDOR TIMEOUT refs ref_paths="" m scen=0 nest=0
	kvmm_config "$c"
	rm -rf "$out"; mkdir -p "$out"
	scenarios_for "$c" && scen=1
	# make run and make bench boot QEMU in the host too.
	{ [ "$scen" = 1 ] || { [ "$EMU" = qemu ] && [ "$VENDOR" = amd ] &&
	  { [ "$run" = 1 ] || [ "$bench" = 1 ]; }; }; } && nest=1
	refs=$(kvmm_ref_modules "$VENDOR")
	for m in $refs; do ref_paths="$ref_paths /kvmm/ref/$(basename "$m")"; done
	cat > "$out/env" <<-ENV
	export KVMM_MODE=$mode
	export KVMM_CONFIG=$c
	export KVMM_MODULE=/kvmm/kvmm.ko
	export KVMM_REF_MODULES="${ref_paths# }"
	export KVMM_REF_UNLOAD="$(kvmm_ref_unload "$VENDOR")"
	export KVMM_DEVICE=/dev/kvm
	export KVMM_CYCLES=${KVMM_CYCLES:-100}
	export KVMM_RUN_DEMO=$run
	export KVMM_RUN_BENCH=$bench
	export KVMM_TESTS="${KVMM_TESTS:-}"
	export KVMM_FUZZ_SEED="${KVMM_FUZZ_SEED:-}"
	export KVMM_FUZZ_SECONDS="${KVMM_FUZZ_SECONDS:-}"
	export KVMM_FUZZ_FIRST_ROUND="${KVMM_FUZZ_FIRST_ROUND:-}"
	export KVMM_FUZZ_ROUNDS="${KVMM_FUZZ_ROUNDS:-}"
	export KVMM_FUZZ_MODES="${KVMM_FUZZ_MODES:-}"
	export KVMM_FUZZ_TCG_SAFE="${KVMM_FUZZ_TCG_SAFE:-}"
	export KVMM_FUZZ_RUN="${KVMM_FUZZ_RUN:-}"
	export KVMM_RUN_SCENARIOS=$scen
	export KVMM_NESTED=$nest
	export KVMM_SCENARIOS="${KVMM_SCENARIOS:-}"
	export KVMM_SCENARIO_TIMEOUT="${KVMM_SCENARIO_TIMEOUT:-}"
	export KVMM_SCENARIO_STRACE="${KVMM_SCENARIO_STRACE:-}"
	export KVMM_SCENARIOS_STRICT="${KVMM_SCENARIOS_STRICT:-}"
	export KVMM_ARTIFACTS=$nest
	ENV
	"$here/mkinitramfs.sh" "$out/initramfs.cpio.gz" "$out/stage" \
		"$out/env" "$top/kvmm.ko" "$top/build/selftests" "$moddir" \
		$refs || { echo 1 > "$out/status"; return; }
	rm -rf "$out/stage"
	# QEMU and the nested guest: a second archive after the host's own.
	if [ "$nest" = 1 ]; then
		"$here/mknested.sh" "$nested" "$vmlinuz" "$moddir" >"$out/mknested.log" 2>&1 || {
			cat "$out/mknested.log"; echo 1 > "$out/status"; return; }
		cat "$nested" >> "$out/initramfs.cpio.gz"
	fi

	# Two emulators on two cores starve each other (see below): runs
	# from other check.sh invocations wait for the lock.
	local start rc lock=${KVMM_EMU_LOCK:-/tmp/kvmm-emulator.lock}
	if [ "${KVMM_JOBS:-1}" = 1 ]; then
		exec 9>"$lock" && flock 9
	fi
	start=$SECONDS
	if [ "$EMU" = qemu ]; then
		local serial2=()
		local dbg=() append=quiet
		[ "$nest" = 1 ] && serial2=(--serial2 "$out/serial2.txt")
		if [ -n "${KVMM_HOST_MONITOR:-}" ]; then
			dbg=(--monitor "$out/monitor.sock")
		fi
		"$here/qemu-boot.sh" --cpu "$CPU" --kernel "$vmlinuz" \
			--initrd "$out/initramfs.cpio.gz" --log "$out/console.log" \
			--timeout "$TIMEOUT" --append "$append" \
			"${serial2[@]}" "${dbg[@]}" \
			>"$out/emulator.log" 2>&1
		rc=$?
		# Files the host sent back (host-init): strace logs.
		if [ -s "$out/serial2.txt" ]; then
			mkdir -p "$out/artifacts"
			tr -d '\r' < "$out/serial2.txt" | base64 -d -i 2>/dev/null |
				tar -C "$out/artifacts" -xz 2>/dev/null
		fi
	else
		# 1 GiB like the QEMU hosts: the reference's 32764-slot
		# test needs more than Bochs's default.
		"$here/bochs-boot.sh" --cpu "$CPU" --kernel "$vmlinuz" \
			--initrd "$out/initramfs.cpio.gz" --log "$out/console.log" \
			--timeout "$TIMEOUT" --append "quiet" --megs 1024 \
			--workdir "$out/bochs" >"$out/emulator.log" 2>&1
		rc=$?
	fi
	exec 9>&-
	echo $rc > "$out/status"
	echo $((SECONDS - start)) > "$out/seconds"
}

# report_host CONFIG: print the host's results, add them to the totals.
passed=$emu_passed failed=$emu_failed skipped=0
report_host() {
	local c=$1 out=$top/build/hosts/$1-$mode
	local log=$out/console.log rc p=0 f=0 s=0 bad=""
	rc=$(cat "$out/status" 2>/dev/null || echo 1)
	touch "$log"
	tr -d '\r' < "$log" > "$out/console.txt"
	log=$out/console.txt

	if [ "$run" = 1 ]; then
		sed -n '/KVMM-HOST-BEGIN/,/KVMM-HOST-DMESG-BEGIN/p' "$log" |
			grep -v KVMM-HOST-DMESG-BEGIN
		if grep -q 'KVMM-DEMO: OK' "$log"; then p=1; else f=1; bad="demo"; fi
	else
		local results
		results=$(grep -E '^(not )?ok [0-9]+ selftests: kvmm: ' "$log")
		p=$(echo "$results" | grep -cE '^ok [0-9]+ .*' | head -1)
		s=$(echo "$results" | grep -cE '^ok .* # SKIP')
		f=$(echo "$results" | grep -cE '^not ok ')
		p=$((p - s))
		echo "$results" | sed -n 's/^\(not ok\|ok\) [0-9]* selftests: kvmm: /  \1 /p'
		local want
		if [ "${KVMM_TESTS:-}" = none ]; then
			want=0
		elif [ -n "${KVMM_TESTS:-}" ]; then
			want=$(echo "$KVMM_TESTS" | wc -w)
		else
			want=$(wc -w < "$top/build/selftests/tests.txt")
		fi
		if [ $((p + f + s)) -ne "$want" ]; then
			bad="$bad only $((p + f + s)) of $want tests reported;"
			f=$((f + 1))
		fi
		if scenarios_for "$c"; then
			local sr sp ss sf sw
			sr=$(grep -E '^(not )?ok [0-9]+ scenarios: kvmm: ' "$log")
			sp=$(echo "$sr" | grep -cE '^ok ')
			ss=$(echo "$sr" | grep -cE '^ok .* # SKIP')
			sf=$(echo "$sr" | grep -cE '^not ok ')
			sp=$((sp - ss))
			echo "$sr" | sed -n 's/^\(not ok\|ok\) [0-9]* scenarios: kvmm: /  \1 scenario /p'
			sw=$(scenario_names | wc -w)
			if [ $((sp + sf + ss)) -ne "$sw" ]; then
				bad="$bad only $((sp + sf + ss)) of $sw scenarios reported;"
				sf=$((sf + 1))
			fi
			p=$((p + sp)) f=$((f + sf)) s=$((s + ss))
		fi
	fi
	# The kernel log from the start of the tests on (boot messages are
	# the emulated machine's): any splat fails the host, whatever the
	# tests said.
	if sed -n '/^KVMM-HOST-BEGIN/,$p' "$log" |
	   grep -E '^\[ *[0-9]+\.[0-9]+\].*(Oops|BUG:|WARNING:|general protection fault|soft lockup|hung_task|blocked for more than|Kernel panic|kvmm: internal error)' >"$out/kernel-problems.txt"; then
		bad="$bad kernel log problems:"
		f=$((f + 1))
	fi
	if ! grep -q KVMM-HOST-POWEROFF "$log"; then
		bad="$bad host did not power off (emulator status $rc);"
		f=$((f + 1))
	elif [ "$rc" != 0 ]; then
		bad="$bad emulator status $rc;"
		f=$((f + 1))
	fi
	say "$c ($mode): $p passed, $f failed, $s skipped in $(cat "$out/seconds" 2>/dev/null || echo ?)s"
	if grep -q '^boot: ' "$log"; then
		say "$c: boot-time kernel warnings (the emulated machine's, not judged):"
		grep '^boot: ' "$log" | sort -u | head -n 5 | sed 's/^/    /'
	fi
	if [ -n "$bad" ]; then
		say "$c: $bad"
		sed 's/^/    /' "$out/kernel-problems.txt"
		say "$c: last lines of $out/console.log:"
		tail -n 60 "$log" | sed 's/^/    /'
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# --- the benchmark --------------------------------------------------------
if [ "$bench" = 1 ]; then
	c=${configs[0]}
	for mode in kvmm ref; do
		say "benchmark: booting $c ($mode)"
		boot_host "$c"
	done
	k=$top/build/hosts/$c-kvmm/console.log
	r=$top/build/hosts/$c-ref/console.log
	printf '%-12s %14s %14s %8s\n' benchmark "kvmm ns/op" "KVM ns/op" ratio
	fail=0
	for name in cpuid pio_out mmio_read touch_256m memslots dirty_log_1g dirty_refault \
		    irqfd_wake ipi_pingpong; do
		kv=$(tr -d '\r' < "$k" | sed -n "s/^bench: $name //p")
		rv=$(tr -d '\r' < "$r" | sed -n "s/^bench: $name //p")
		if [ -z "$kv" ] || [ -z "$rv" ]; then
			printf '%-12s %14s %14s %8s\n' "$name" "${kv:--}" "${rv:--}" "-"
			fail=1
			continue
		fi
		printf '%-12s %14s %14s %8s\n' "$name" "$kv" "$rv" \
			"$(awk "BEGIN { printf \"%.2f\", $kv / $rv }")"
	done
	# QEMU booting Linux (scenarios.sh, bench_qemu_boot): the time to the
	# guest's marker, and the exits the hypervisor counted meanwhile;
	# with kernel_irqchip=off and one vCPU (qemu_boot_ms), then with
	# QEMU's default in-kernel irqchip and two (qemu_boot_irqchip_ms).
	# Not a failure while kvmm cannot boot them yet.
	# boot_row NAME LABEL TAG: one boot's time (TAG: its "# bench TAG"
	# lines, QEMU's stderr among them).
	boot_row() {
		local kv rv
		kv=$(tr -d '\r' < "$k" | sed -n "s/^bench: $1 \\([0-9]*\\)\$/\\1/p")
		rv=$(tr -d '\r' < "$r" | sed -n "s/^bench: $1 \\([0-9]*\\)\$/\\1/p")
		if [ -n "$kv" ] && [ -n "$rv" ]; then
			printf '%-24s %14s %14s %8s\n' "$2" "$kv" "$rv" \
				"$(awk "BEGIN { printf \"%.2f\", $kv / $rv }")"
		else
			printf '%-24s %14s %14s %8s\n' "$2" "${kv:--}" "${rv:--}" -
			[ -z "$kv" ] && tr -d '\r' < "$k" | sed -n "s/^# bench $3: /  kvmm: QEMU: /p" | head -n 3
		fi
	}
	# exit_rows PREFIX: the exit counters of one boot.
	exit_rows() {
		local name kv rv
		for name in $(cat "$k" "$r" | tr -d '\r' | sed -n "s/^$1: \\([a-z_]*\\) .*/\\1/p" | sort -u); do
			kv=$(tr -d '\r' < "$k" | sed -n "s/^$1: $name //p")
			rv=$(tr -d '\r' < "$r" | sed -n "s/^$1: $name //p")
			printf '%-24s %14s %14s %8s\n' "$name" "${kv:--}" "${rv:--}" \
				"$([ -n "$kv" ] && [ -n "$rv" ] && [ "$rv" != 0 ] &&
				   awk "BEGIN { printf \"%.2f\", $kv / $rv }" || echo -)"
		done
	}
	printf '\n%-24s %14s %14s %8s\n' "QEMU boots Linux" kvmm KVM ratio
	boot_row qemu_boot_ms "to the marker, ms" qemu
	boot_row qemu_boot_irqchip_ms "irqchip, 2 vCPUs, ms" "irqchip qemu"
	exit_rows bench-exits
	printf '\n%-24s %14s %14s %8s\n' "exits, irqchip boot" kvmm KVM ratio
	exit_rows bench-exits-irqchip
	exit $fail
fi

# --- all hosts -----------------------------------------------------------
# One host at a time by default: a QEMU host runs two vCPU threads, and on
# a 2-core machine anything beside it starves them until the host's own
# soft-lockup and RCU-stall detectors fire (seen with the reference's
# 32764-slot test while a Bochs host ran).  KVMM_JOBS=2 overlaps a Bochs
# host with the QEMU ones where there are cores to spare.
jobs_max=${KVMM_JOBS:-1}
ordered=()
for c in "${configs[@]}"; do
	kvmm_config "$c"; [ "$EMU" = bochs ] && ordered+=("$c")
done
for c in "${configs[@]}"; do
	kvmm_config "$c"; [ "$EMU" = qemu ] && ordered+=("$c")
done

trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
for c in "${ordered[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n
	done
	say "booting $c ($mode)"
	boot_host "$c" &
done
wait

for c in "${configs[@]}"; do
	report_host "$c"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
