#!/usr/bin/env bash
# Runs every test of the project, from a fresh clone, installing what it
# needs. This is the command CI runs (.ci/run calls it).
#
#   scripts/test.sh            everything: cargo tests (unit, compat, multihost,
#                              usbhid-ups against NUT's driver), the Debian
#                              package test in a chroot, a bounded fuzz run of
#                              the HID descriptor parser and report extraction
#   scripts/test.sh -p upsd    only `cargo test` with these arguments
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || exit 1

if [ ! -d ../shared/corpus ]; then
    echo "test.sh: ../shared/corpus is missing: the tests read the recorded UPS data there" >&2
    exit 1
fi

# The compatibility suite runs our binaries from target/debug.
cargo build --workspace --bins --quiet || exit 1

if [ $# -gt 0 ]; then
    exec cargo test --workspace --no-fail-fast --quiet "$@" -- --test-threads=2
fi

failed=()
step() { # step NAME COMMAND...: run it, remember a failure, go on
    local name=$1 t0=$SECONDS
    shift
    echo "=== test.sh: $name" >&2
    if "$@"; then
        echo "=== test.sh: $name passed ($((SECONDS - t0)) s)" >&2
    else
        echo "=== test.sh: $name FAILED ($((SECONDS - t0)) s)" >&2
        failed+=("$name")
    fi
}

step "cargo test" cargo test --workspace --no-fail-fast --quiet -- --test-threads=2
# The packages are made from the debug build just made (stripped), so the
# test needs no second, optimised build of everything.
step "Debian packages" env CARGO_TARGET_DIR="$PWD/target" PKG_PROFILE=debug packaging/test-package.sh
step "fuzz (HID descriptor parser and report extraction)" scripts/fuzz.sh 10 hid_descriptor hid_report

if [ ${#failed[@]} -gt 0 ]; then
    echo "test.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "test.sh: every test passed" >&2
