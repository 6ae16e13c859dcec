#!/usr/bin/env bash
# Benchmark our upsd against NUT 2.8.0's upsd (Debian, /lib/nut/upsd) on the
# same data, one after the other, and print one table: each figure beside
# NUT's and as a ratio.
#
#   scripts/bench.sh            full run (60 s idle period, 10 s loads; ~6 min)
#   scripts/bench.sh --quick    everything shortened (< 2 minutes once built)
#
# Options: --idle SECS (idle period), --out FILE (table, default
# target-bench/bench/results.md), --no-build, --report DIR (only print the
# table again from a previous run's JSON directory).
# Environment: BENCH_DEV (dummy-ups data file; default the 96-variable
# Eaton 5PX 2000 dump from ../shared/corpus/nut-ddl), CARGO_TARGET_DIR
# (default target-bench).
#
# Both servers read the same data through NUT's own dummy-ups (dummy-once
# mode), so only upsd differs. Each upsd gets its own temporary directory,
# its own loopback port, RLIMIT_NOFILE 20000 and MAXCONN 20000. CPU time,
# RSS and context switches are read from /proc/<upsd pid>. Only processes
# this script started are stopped, by pid.
#
# The load generator (crates/nut-bench, nut-loadgen) and the servers share
# this machine's CPUs: absolute numbers depend on the machine and on what
# else runs; compare the two columns of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
REPORT=""
IDLE=""
OUT=""
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --idle) IDLE=$2; shift ;;
        --out) OUT=$2; shift ;;
        --no-build) BUILD=0 ;;
        --report) REPORT=$2; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench}
BIN=$CARGO_TARGET_DIR/release
DEV=${BENCH_DEV:-$ROOT/../shared/corpus/nut-ddl/Eaton/Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev}
NUT_UPSD=/lib/nut/upsd
NUT_DUMMY=/lib/nut/dummy-ups
NOFILE=20000

if [ $QUICK -eq 1 ]; then
    IDLE=${IDLE:-5}; LOAD=2; WARM=0.5; REPS=1; ROUNDS=10; HOLD=1; BURST_TIMEOUT=5; HOLD10K=1
else
    IDLE=${IDLE:-60}; LOAD=10; WARM=2; REPS=3; ROUNDS=50; HOLD=5; BURST_TIMEOUT=30; HOLD10K=5
fi

for f in "$NUT_UPSD" "$NUT_DUMMY" "$DEV"; do
    [ -e "$f" ] || { echo "bench: missing $f" >&2; exit 1; }
done
if [ -n "$REPORT" ]; then
    RES=$REPORT
    [ -f "$RES/sizes.json" ] || { echo "bench: $RES has no results" >&2; exit 1; }
    [ -f "$RES/mode" ] && read -r QUICK IDLE LOAD REPS < "$RES/mode"
else
if [ $BUILD -eq 1 ]; then
    echo "bench: building release binaries into $CARGO_TARGET_DIR"
    cargo build --release --quiet -p upsd -p dummy-ups -p nut-cli -p nut-bench
fi
LOADGEN=$BIN/nut-loadgen
OUR_UPSD=$BIN/upsd
for f in "$LOADGEN" "$OUR_UPSD"; do
    [ -x "$f" ] || { echo "bench: missing $f (build failed?)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nut-bench.XXXXXX)
RES=$WORK/results
mkdir -p "$RES"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ ${#PIDS[@]} -gt 0 ] && sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(-u root)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Stop a process this script started and forget its pid (so the exit trap
# never signals a pid the system may have handed to someone else).
stop_pid() {
    local pid=$1 i keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

lg() { "$LOADGEN" --json "$@"; }
T_START=$(date +%s)
say() { echo "bench: [$(($(date +%s) - T_START))s] $*" >&2; }

declare -A PID DRV DRVF ADDR DIR
IMPLS=(nut ours)

# start_stack NAME UPSD_BINARY: NUT's dummy-ups on the data, then the upsd
# under test, in a fresh temporary directory; records the start-up times.
start_stack() {
    local name=$1 upsd=$2
    local dir=$WORK/$name
    local out=$RES/$name port
    case "$dir" in /tmp/nut-bench.*/*) ;; *) echo "bench: refusing odd work dir '$dir'" >&2; exit 1 ;; esac
    mkdir -p "$dir/etc" "$dir/run" "$out"
    port=$(free_port)
    cp "$DEV" "$dir/etc/bench.dev"
    cp "$DEV" "$dir/etc/fake.dev"
    printf '%s\n' "[bench]" "    driver = dummy-ups" "    port = bench.dev" "    desc = \"benchmark data\"" \
        "[fake]" "    driver = dummy-ups" "    port = fake.dev" "    desc = \"served by nut-loadgen --mix propagate\"" \
        > "$dir/etc/ups.conf"
    printf '%s\n' "LISTEN 127.0.0.1 $port" "MAXCONN $NOFILE" > "$dir/etc/upsd.conf"
    printf '%s\n' "[bench]" "    password = bench" "    upsmon secondary" > "$dir/etc/upsd.users"
    chmod 0640 "$dir/etc/ups.conf" "$dir/etc/upsd.conf" "$dir/etc/upsd.users"
    local env=(env "NUT_CONFPATH=$dir/etc" "NUT_STATEPATH=$dir/run" "NUT_ALTPIDPATH=$dir/run")
    DIR[$name]=$dir
    ADDR[$name]=127.0.0.1:$port

    "${env[@]}" "$NUT_DUMMY" -a bench "${RUNAS[@]}" -F > "$dir/driver.log" 2>&1 &
    DRV[$name]=$!
    PIDS+=("${DRV[$name]}")
    # A second UPS, served by a real dummy-ups until the propagation test
    # takes its socket over (an unserved UPS would make NUT's upsd retry the
    # connection on every loop pass, which would slow it down unfairly).
    "${env[@]}" "$NUT_DUMMY" -a fake "${RUNAS[@]}" -F > "$dir/driver-fake.log" 2>&1 &
    DRVF[$name]=$!
    PIDS+=("${DRVF[$name]}")
    local i
    for i in $(seq 1 100); do [ -S "$dir/run/dummy-ups-bench" ] && [ -S "$dir/run/dummy-ups-fake" ] && break; sleep 0.05; done
    [ -S "$dir/run/dummy-ups-bench" ] || { echo "bench: dummy-ups did not start" >&2; cat "$dir/driver.log" >&2; exit 1; }

    say "[$name] upsd on ${ADDR[$name]}"
    local t0
    t0=$(date +%s%N)
    ( ulimit -n $NOFILE; exec "${env[@]}" "$upsd" "${RUNAS[@]}" -F ) > "$dir/upsd.log" 2>&1 &
    PID[$name]=$!
    PIDS+=("${PID[$name]}")
    lg -a "${ADDR[$name]}" -u bench -m wait -d 20 --ready ver --since-ns "$t0" > "$out/startup_ver.json"
    lg -a "${ADDR[$name]}" -u bench -m wait -d 20 --since-ns "$t0" > "$out/startup.json"
}

start_stack nut "$NUT_UPSD"
start_stack ours "$OUR_UPSD"

# Idle period: both servers at once, no clients, drivers connected.
sleep 1
declare -A RSS0 C0 V0 N0
for impl in "${IMPLS[@]}"; do
    p=${PID[$impl]}
    RSS0[$impl]=$(status_field "$p" VmRSS)
    C0[$impl]=$(cpu_ticks "$p")
    V0[$impl]=$(status_field "$p" voluntary_ctxt_switches)
    N0[$impl]=$(status_field "$p" nonvoluntary_ctxt_switches)
done
say "idle period ${IDLE}s (both servers)"
sleep "$IDLE"
HZ=$(getconf CLK_TCK)
for impl in "${IMPLS[@]}"; do
    p=${PID[$impl]}
    c1=$(cpu_ticks "$p")
    v1=$(status_field "$p" voluntary_ctxt_switches)
    n1=$(status_field "$p" nonvoluntary_ctxt_switches)
    printf '{"rss_idle_kib":%s,"idle_s":%s,"idle_cpu_s":%s,"idle_wakeups":%s,"idle_involuntary":%s}\n' \
        "${RSS0[$impl]}" "$IDLE" "$(awk -v a="$c1" -v b="${C0[$impl]}" -v hz="$HZ" 'BEGIN { printf "%.3f", (a - b) / hz }')" \
        "$((v1 - V0[$impl]))" "$((n1 - N0[$impl]))" > "$RES/$impl/idle.json"
done

for impl in "${IMPLS[@]}"; do
    say "[$impl] 1000 idle connections"
    lg -a "${ADDR[$impl]}" -u bench -m idle -c 1000 --hold "$HOLD" -d 60 -p "${PID[$impl]}" > "$RES/$impl/idle1000.json"
done

# Loads: NUT and ours take turns, REPS times; the table keeps the median.
for rep in $(seq 1 "$REPS"); do
    for impl in "${IMPLS[@]}"; do
        say "[$impl] loads, round $rep of $REPS"
        a=${ADDR[$impl]}
        p=${PID[$impl]}
        o=$RES/$impl
        lg -a "$a" -u bench -m get -c 1 -d "$LOAD" --warmup "$WARM" -p "$p" > "$o/get1.$rep.json"
        lg -a "$a" -u bench -m get -c 100 -d "$LOAD" --warmup "$WARM" -p "$p" > "$o/get100.$rep.json"
        lg -a "$a" -u bench -m get -c 1000 -d "$LOAD" --warmup "$WARM" --timeout 30 -p "$p" > "$o/get1000.$rep.json"
        lg -a "$a" -u bench -m list -c 10 -d "$LOAD" --warmup "$WARM" -p "$p" > "$o/list10.$rep.json"
        lg -a "$a" -u bench -m login -c 10 -d "$LOAD" --warmup "$WARM" -p "$p" > "$o/login10.$rep.json"
    done
done

# Memory after the load: the 1000 GET clients of the last round left 2 s ago.
sleep 2
for impl in "${IMPLS[@]}"; do
    printf '{"rss_after_load_kib":%s}\n' "$(status_field "${PID[$impl]}" VmRSS)" > "$RES/$impl/after_load.json"
done

for impl in "${IMPLS[@]}"; do
    say "[$impl] status propagation through a fake driver"
    stop_pid "${DRVF[$impl]}"
    lg -a "${ADDR[$impl]}" -u fake -m propagate --driver-socket "${DIR[$impl]}/run/dummy-ups-fake" \
        --dev "${DIR[$impl]}/etc/fake.dev" --rounds "$ROUNDS" --timeout 5 > "$RES/$impl/propagate.json"
done

for impl in "${IMPLS[@]}"; do
    say "[$impl] burst of 1000 connects"
    sleep 1
    lg -a "${ADDR[$impl]}" -u bench -m burst -c 1000 --timeout "$BURST_TIMEOUT" -p "${PID[$impl]}" \
        > "$RES/$impl/burst.json" || true
done

for impl in "${IMPLS[@]}"; do
    say "[$impl] 10000 idle clients"
    sleep 1
    lg -a "${ADDR[$impl]}" -u bench -m idle -c 10000 --hold "$HOLD10K" -d 120 -p "${PID[$impl]}" \
        > "$RES/$impl/idle10k.json" || true
done

for impl in "${IMPLS[@]}"; do
    stop_pid "${PID[$impl]}"
    stop_pid "${DRV[$impl]}"
done

size() { stat -c %s "$1"; }
printf '{"nut":{"upsd":%s,"dummy-ups":%s,"upsc":%s},"ours":{"upsd":%s,"dummy-ups":%s,"upsc":%s}}\n' \
    "$(size $NUT_UPSD)" "$(size $NUT_DUMMY)" "$(size /usr/bin/upsc)" \
    "$(size "$BIN/upsd")" "$(size "$BIN/dummy-ups")" "$(size "$BIN/upsc")" > "$RES/sizes.json"
echo "$QUICK $IDLE $LOAD $REPS" > "$RES/mode"
fi

OUT=${OUT:-$CARGO_TARGET_DIR/bench/results.md}
mkdir -p "$(dirname "$OUT")"
if [ -z "$REPORT" ]; then
    rm -rf "$(dirname "$OUT")/json" && cp -r "$RES" "$(dirname "$OUT")/json"
fi
MODE=full; [ $QUICK -eq 1 ] && MODE=quick
python3 - "$RES" "$MODE" "$IDLE" "$LOAD" "$(nproc)" "$REPS" > "$OUT" <<'PY'
import json, os, sys
res, mode, idle, load_s, ncpu, reps = sys.argv[1:7]
import glob, statistics
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
def j(impl, name):
    reps = sorted(glob.glob(os.path.join(res, impl, name + ".[0-9]*.json")))
    if not reps:
        return load(os.path.join(res, impl, name + ".json"))
    return {"__reps__": [load(p) for p in reps]}
def g1(d, path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d
def g(d, *path):
    # Repeated runs: the median of the figure over the runs (errors: the sum).
    if isinstance(d, dict) and "__reps__" in d:
        vals = [v for v in (g1(r, path) for r in d["__reps__"]) if isinstance(v, (int, float))]
        if not vals:
            return None
        if path[-1] == "errors_total":
            return sum(vals)
        return statistics.median(vals)
    return g1(d, path)
rows = []
def row(label, better, f, fmt="{:,.0f}"):
    a, b = f("nut"), f("ours")
    fa = "n/a" if a is None else fmt.format(a)
    fb = "n/a" if b is None else fmt.format(b)
    if a in (None, 0) or b is None:
        ratio = "–"
    else:
        r = b / a
        win = (r > 1) if better == "higher" else (r < 1)
        ratio = "{:.2f}×{}".format(r, " ✓" if win and abs(r - 1) > 0.05 else (" ✗" if abs(r - 1) > 0.05 else ""))
    rows.append((label, fa, fb, ratio, better))
with open(os.path.join(res, "sizes.json")) as fh:
    sizes = json.load(fh)
for c in (1, 100, 1000):
    row(f"GET VAR throughput, {c} client{'s' if c > 1 else ''} (req/s)", "higher", lambda i, c=c: g(j(i, f"get{c}"), "rate_per_s"))
for c in (1, 100, 1000):
    row(f"GET VAR p99 latency, {c} client{'s' if c > 1 else ''} (µs)", "lower", lambda i, c=c: g(j(i, f"get{c}"), "latency_us", "p99"), "{:,.1f}")
for c in (1, 100, 1000):
    row(f"upsd CPU per GET reply, {c} client{'s' if c > 1 else ''} (µs)", "lower", lambda i, c=c: g(j(i, f"get{c}"), "server", "cpu_us_per_op"), "{:.2f}")
row("LIST VAR (~100 vars) throughput, 10 clients (lists/s)", "higher", lambda i: g(j(i, "list10"), "rate_per_s"))
row("LIST VAR p99 latency, 10 clients (µs)", "lower", lambda i: g(j(i, "list10"), "latency_us", "p99"), "{:,.1f}")
row("upsd CPU per LIST VAR reply (µs)", "lower", lambda i: g(j(i, "list10"), "server", "cpu_us_per_op"), "{:.1f}")
row("login sessions/s, 10 clients (connect…LOGOUT)", "higher", lambda i: g(j(i, "login10"), "rate_per_s"))
row("RSS idle, driver connected (KiB)", "lower", lambda i: g(j(i, "idle"), "rss_idle_kib"))
row("RSS under load, peak of GET×1000 (KiB)", "lower", lambda i: g(j(i, "get1000"), "server", "rss_peak_kib"))
row("RSS after load, all clients gone (KiB)", "lower", lambda i: g(j(i, "after_load"), "rss_after_load_kib"))
row("RSS per idle connection, 1000 held (KiB)", "lower", lambda i: g(j(i, "idle1000"), "kib_per_idle_client"), "{:.2f}")
row(f"CPU over {idle} s idle (ms)", "lower", lambda i: (lambda v: None if v is None else v * 1000)(g(j(i, "idle"), "idle_cpu_s")), "{:.0f}")
row(f"wake-ups over {idle} s idle (voluntary ctx switches)", "lower", lambda i: g(j(i, "idle"), "idle_wakeups"))
row("driver status change → GET VAR shows it, p50 (µs)", "lower", lambda i: g(j(i, "propagate"), "latency_us", "p50"), "{:,.1f}")
row("driver status change → GET VAR shows it, p99 (µs)", "lower", lambda i: g(j(i, "propagate"), "latency_us", "p99"), "{:,.1f}")
row("start-up: exec to first answer (VER) (ms)", "lower", lambda i: g(j(i, "startup_ver"), "ready_ms"), "{:.1f}")
row("start-up: exec to first data (GET VAR; dummy-ups answers DUMPALL after its 1 s sleep) (ms)", "lower", lambda i: g(j(i, "startup"), "ready_ms"), "{:.1f}")
row("idle clients held of 10,000", "higher", lambda i: g(j(i, "idle10k"), "answered_after_hold"))
row("KiB per idle client at 10,000", "lower", lambda i: g(j(i, "idle10k"), "kib_per_idle_client"), "{:.2f}")
row("upsd CPU to accept+serve 10,000 clients (s)", "lower", lambda i: g(j(i, "idle10k"), "server", "cpu_s"), "{:.2f}")
row("burst of 1000 connects: answered within the time limit", "higher", lambda i: g(j(i, "burst"), "answered"))
row("burst of 1000 connects: time until all answered (s)", "lower", lambda i: g(j(i, "burst"), "total_s") if g(j(i, "burst"), "all_answered") else None, "{:.2f}")
row("burst of 1000 connects: median client connect→answer (ms)", "lower", lambda i: (lambda v: None if v is None else v / 1000)(g(j(i, "burst"), "latency_us", "p50")), "{:,.1f}")
for b in ("upsd", "dummy-ups", "upsc"):
    row(f"installed size: {b} (KiB)", "lower", lambda i, b=b: sizes[i][b] / 1024, "{:,.0f}")
print(f"Mode: {mode} (idle period {idle} s; each load {load_s} s after warm-up, {reps} run(s) each, NUT and ours taking turns, median shown); {ncpu} CPUs shared by both servers and the load generator.")
print()
print("| measure | NUT 2.8.0 | ours | ours ÷ NUT | better |")
print("|---|---:|---:|---:|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
errs = []
for impl in ("nut", "ours"):
    for name in ("get1", "get100", "get1000", "list10", "login10", "burst", "idle1000", "idle10k", "propagate"):
        e = g(j(impl, name), "errors_total")
        if e:
            first = g(j(impl, name), 'first_error')
            errs.append(f"{impl}/{name}: {e} error(s)" + (f" ({first})" if isinstance(first, str) else ""))
if errs:
    print()
    print("Errors seen: " + "; ".join(errs))
PY
cat "$OUT"
echo
echo "bench: table in $OUT, raw JSON in $(dirname "$OUT")/json"
