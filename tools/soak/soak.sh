#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Soak: sysstream traces a steady workload (getppid at a fixed rate, from
# //tests/reliability:reliability_workload) for a long time; every INTERVAL
# seconds it prints sysstream's memory (VmRSS, VmHWM from /proc/PID/status),
# its CPU use, and the events and losses that reached the log since the last
# sample. At the end the workload reports the calls it made and the log must
# account for each one exactly (records + gap-marker counts; only getppid is
# recorded, -e getppid). Not part of `bazel test`; needs root.
#
#   bash tools/soak/soak.sh [--duration SECONDS] [--rate CALLS_PER_S]
#                           [--interval SECONDS] [--ring-size SIZE]
#                           [--keep-log]
# Defaults: 600 s, 20000 calls/s, 10 s, sysstream's default ring (8 MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=600 RATE=20000 INTERVAL=10 RING="" KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --ring-size) RING=$2; shift 2 ;;
    --keep-log) KEEP=1; shift ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "soak: run as root (BPF)" >&2; exit 1; }

if ! bazel build --noshow_progress --ui_event_filters=-info //:sysstream \
    //tests/reliability:reliability_workload 2> >(grep -v linux-sandbox >&2); then
  echo "soak: build failed" >&2
  exit 1
fi
BIN=$(bazel info bazel-bin 2>/dev/null)
SYSSTREAM=$BIN/sysstream
WORKLOAD=$BIN/tests/reliability/reliability_workload

DIR=$(mktemp -d /tmp/sysstream-soak.XXXXXX)
LOG=$DIR/soak.log
cleanup() {
  [ -n "${TRACER:-}" ] && kill "$TRACER" 2>/dev/null || true
  [ -n "${TARGET:-}" ] && kill "$TARGET" 2>/dev/null || true
  if [ "$KEEP" -eq 1 ]; then echo "soak: log kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

# The workload waits for a byte on stdin (a fifo) before it starts.
mkfifo "$DIR/go"
"$WORKLOAD" rate "$RATE" "$DURATION" <"$DIR/go" >"$DIR/workload.out" &
TARGET=$!
exec 3>"$DIR/go"
ring=()
[ -n "$RING" ] && ring=(--ring-size "$RING")
"$SYSSTREAM" -q -e getppid "${ring[@]}" -f "$LOG" "$TARGET" 2>"$DIR/sysstream.err" &
TRACER=$!
for _ in $(seq 100); do
  grep -q "sysstream: tracing" "$DIR/sysstream.err" 2>/dev/null && break
  sleep 0.1
done
grep -q "sysstream: tracing" "$DIR/sysstream.err" || {
  cat "$DIR/sysstream.err" >&2; exit 1; }
echo "soak: sysstream $TRACER tracing workload $TARGET: getppid at $RATE/s for ${DURATION} s, sample every ${INTERVAL} s" >&2
printf g >&3
exec 3>&-

python3 - "$TRACER" "$LOG" "$INTERVAL" <<'PY'
import os, sys, time
pid, log, interval = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")

def status():
    out = {}
    try:
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            out[k] = v.strip()
    except OSError:
        return None
    return out

def cpu():
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / hz
    except OSError:
        return None

offset = 0       # bytes of the log already counted (whole records)
total_ev = total_lost = 0
print(f"{'t_s':>6} {'VmRSS_kB':>9} {'VmHWM_kB':>9} {'cpu_%':>6} {'log_MB':>8} "
      f"{'events':>9} {'events/s':>9} {'lost':>7} {'lost_total':>10}", flush=True)
start = time.monotonic()
last_t, last_cpu = start, cpu()
while True:
    time.sleep(interval)
    st, c = status(), cpu()
    now = time.monotonic()
    ev = lost = 0
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except OSError:
        chunk = b""
    end = chunk.rfind(b"\t")
    if end >= 0:
        for tok in chunk[:end].split(b"\t"):
            v = int(tok, 16)
            if v >> 32 == 0xFFFFFFFF:
                lost += v & 0xFFFFFFFF
            else:
                ev += 1
        offset += end + 1
    total_ev += ev
    total_lost += lost
    if st is None:
        print(f"{now - start:6.0f} (sysstream has exited)", flush=True)
        break
    cpu_pct = 100 * (c - last_cpu) / (now - last_t) if c is not None else 0
    print(f"{now - start:6.0f} {st['VmRSS'].split()[0]:>9} "
          f"{st['VmHWM'].split()[0]:>9} {cpu_pct:6.1f} "
          f"{os.path.getsize(log) / 1e6:8.1f} {ev:9d} {ev / (now - last_t):9.0f} "
          f"{lost:7d} {total_lost:10d}", flush=True)
    last_t, last_cpu = now, c
PY

wait "$TARGET" || true
TARGET=""
wait "$TRACER" && code=0 || code=$?
TRACER=""
cat "$DIR/sysstream.err" >&2
calls=$(sed -n 's/^calls=//p' "$DIR/workload.out")
read -r records lost < <(python3 - "$LOG" <<'PY'
import sys
ev = lost = 0
rest = b""
with open(sys.argv[1], "rb") as f:
    while True:
        block = f.read(1 << 24)
        if not block:
            break
        data = rest + block
        end = data.rfind(b"\t")
        rest = data[end + 1:]
        for tok in data[:end].split(b"\t") if end >= 0 else []:
            v = int(tok, 16)
            if v >> 32 == 0xFFFFFFFF: lost += v & 0xFFFFFFFF
            else: ev += 1
assert not rest, "torn last record"
print(ev, lost)
PY
)
echo "soak: workload made $calls getppid calls; log: $records records + $lost lost = $((records + lost)); sysstream exit $code"
if [ "$code" -ne 0 ] || [ "$((records + lost))" -ne "$calls" ]; then
  echo "soak: FAILED: the log does not account for every call" >&2
  exit 1
fi
echo "soak: OK"
