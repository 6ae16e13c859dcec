#!/usr/bin/env bash
# The Debian package test: builds nut-rs-client and nut-rs-server with
# packaging/build-deb.sh (release build in target-pkg/), checks them
# statically (contents, control fields, systemd-analyze verify, udev rules,
# lintian), then installs them over Debian's own NUT 2.8.0 in a bookworm
# chroot and runs our stack from the admin's files there.
#
# Needs root and Debian's package mirror. About 30 s with a warm cache,
# about a minute more on the first run (debootstrap, cached in
# /var/cache/nut-rs-pkgtest) plus the release build.
# Ends with "N passed, N failed"; exits non-zero when anything failed or
# could not run.
#
#   scripts/test-package.sh [--keep] [--debs DIR]    (see packaging/test-package.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
exec packaging/test-package.sh "$@"
