#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine:
# the real NUT 2.8.0 programs (our oracle), libusb headers, the tools the
# multi-host tests use, openssl and NSS's certutil/pk12util (the TLS tests make
# certificates with them), and for upsd's HTTP status page test a headless
# browser (chromium) and Prometheus' reference parser (python3-prometheus-client).
# Safe to run again: it only installs what is missing.
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in nut-server nut-client python3-nut libusb-1.0-0-dev pkg-config iproute2 socat procps \
           chromium python3-prometheus-client openssl libnss3-tools; do
    have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install-deps: installing ${need[*]}"
    # Package scripts must not try to start services in a container or CI.
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
exit 0
