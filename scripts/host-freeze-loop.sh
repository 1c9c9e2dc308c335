#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run QEMU scenarios again and again in the svm test host and, when the
# host stops making progress, ask the emulator where its CPUs are.
#
#   scripts/host-freeze-loop.sh [--ref] "SCENARIO..." RUNS [STALL_SECONDS]
#
# Each run is `check.sh svm` with KVMM_SCENARIOS="SCENARIO...",
# KVMM_TESTS=none unless KVMM_TESTS is set in the environment (set and
# empty: all selftests first, as in make check), and KVMM_HOST_MONITOR=1
# (a monitor socket).  When the host's console has not grown for
# STALL_SECONDS (default 300; a scenario's own timeout is shorter, so a
# live host always prints before that), the registers of every CPU are
# read five times, 5 s apart, into build/freeze/<run>/regs.<i>, with the
# console, which has the kernel's and kvmm's .text addresses; then the
# host is killed.  Every run's console is kept as
# build/freeze/console.<run>.txt.  RIPs resolve with
# /boot/System.map-<version> moved to the printed _text, and, for kvmm,
# `addr2line -e kvmm.ko` after subtracting its .text address.
# Documentation/testing.rst ("When a test host freezes").

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
ref=()
[ "${1:-}" = --ref ] && { ref=(--ref); shift; }
scen=${1:?scenario name}
runs=${2:?number of runs}
stall=${3:-300}
mode=kvmm
[ ${#ref[@]} -gt 0 ] && mode=ref
out=$top/build/hosts/svm-$mode
save=$top/build/freeze
mkdir -p "$save"

monitor() {
	python3 - "$out/monitor.sock" "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
time.sleep(0.5)
s.recv(65536)
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
end = time.time() + 8
while time.time() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d:
        break
    buf += d
    if buf.rstrip().endswith(b"(qemu)"):
        break
sys.stdout.write(buf.decode(errors="replace"))
EOF
}

froze=0
for n in $(seq 1 "$runs"); do
	rm -f "$out/console.log"
	KVMM_TESTS=${KVMM_TESTS-none} KVMM_SCENARIOS=$scen KVMM_HOST_MONITOR=1 \
		"$top/tools/testing/kvmm-hosts/check.sh" "${ref[@]}" svm \
		> "$save/run.$n.log" 2>&1 &
	pid=$!
	size=-1 still=0
	while kill -0 $pid 2>/dev/null; do
		sleep 10
		s=$(stat -c %s "$out/console.log" 2>/dev/null || echo -1)
		if [ "$s" = "$size" ]; then
			still=$((still + 10))
		else
			size=$s still=0
		fi
		[ $still -ge "$stall" ] || continue
		froze=$((froze + 1))
		d=$save/$n
		mkdir -p "$d"
		echo "run $n: console still for ${still}s: host frozen"
		for i in 1 2 3 4 5; do
			monitor "info registers -a" > "$d/regs.$i" 2>&1
			sleep 5
		done
		monitor "info cpus" > "$d/cpus" 2>&1
		tr -d '\r' < "$out/console.log" > "$d/console.txt"
		pkill -f "qemu-system-x86_64 -accel tcg" 2>/dev/null
		break
	done
	wait $pid
	tr -d '\r' < "$out/console.log" > "$save/console.$n.txt" 2>/dev/null
	echo "run $n: $(tail -n 1 "$save/run.$n.log")"
done
echo "$froze of $runs runs froze"
