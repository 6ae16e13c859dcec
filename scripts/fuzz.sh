#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for a bounded time each.
#
#   scripts/fuzz.sh              30 seconds per target
#   scripts/fuzz.sh 300          5 minutes per target
#   scripts/fuzz.sh 30 lexer     only the named target(s)
#
# The machine has the stable toolchain only; cargo-fuzz needs nightly flags
# (-Zsanitizer=address and friends), which RUSTC_BOOTSTRAP=1 unlocks on
# stable. Installs cargo-fuzz (cargo install cargo-fuzz --locked) when it is
# missing. Seeds are rebuilt by fuzz/make_seeds.py into fuzz/corpus/ (git-
# ignored; it copies from ../shared/corpus at run time). Crashes land in
# fuzz/artifacts/<target>/; reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# Exit status: 0 when no target crashed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-30}
shift || true
case "$SECS" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2 ;; esac

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

python3 fuzz/make_seeds.py

cd fuzz
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    mapfile -t TARGETS < <(cargo fuzz list)
fi
echo "fuzz: building ${#TARGETS[@]} target(s)" >&2
# -a: debug assertions on, so integer overflow panics are findings too.
if [ $# -gt 0 ]; then
    for t in "${TARGETS[@]}"; do cargo fuzz build -O -a "$t"; done
else
    cargo fuzz build -O -a
fi

LOGS=$(mktemp -d /tmp/nut-fuzz.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
failed=()
printf '%-16s %10s %8s %8s  %s\n' target runs cov corpus result
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    set +e
    # -rss_limit_mb and -timeout make a slow or growing input a finding too.
    cargo fuzz run -O -a "$t" "corpus/$t" -- -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 > "$LOGS/$t.log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOGS/$t.log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$LOGS/$t.log" | tail -1 | grep -o '[0-9]*')
    corp=$(ls "corpus/$t" | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="CRASH (exit $rc): $(ls -t "artifacts/$t" 2>/dev/null | head -1)"
        failed+=("$t")
        grep -m1 -E 'panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer' -A3 "$LOGS/$t.log" | sed 's/^/    /' || true
        cp "$LOGS/$t.log" "artifacts/$t/last-run.log"
    fi
    printf '%-16s %10s %8s %8s  %s\n' "$t" "${runs:-?}" "${cov:-?}" "$corp" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs and logs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash in ${#TARGETS[@]} target(s), ${SECS}s each" >&2
