#!/usr/bin/env bash
# Runs every test of the project, from a fresh clone, installing what it
# needs. This is the command CI runs (.ci/run calls it).
#
#   scripts/test.sh            everything
#   scripts/test.sh -p upsd    extra arguments go to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

if [ ! -d ../shared/corpus ]; then
    echo "test.sh: ../shared/corpus is missing: the tests read the recorded UPS data there" >&2
    exit 1
fi

# The compatibility suite runs our binaries from target/debug.
cargo build --workspace --bins --quiet
cargo test --workspace --no-fail-fast --quiet "$@" -- --test-threads=2
