#!/usr/bin/env bash
# A whole UPS stack on a simulated UPS, no hardware needed:
#   dummy-ups plays a power cut (on line, on battery, battery low, power back),
#   upsd serves it on a loopback port, upsmon watches it as a primary (its
#   shutdown command only writes a file), and upsc shows what clients see.
#
#   scripts/demo.sh              run the power cut once (about 40 seconds)
#   scripts/demo.sh --keep       leave the stack running afterwards
#
# Everything lives in a temporary directory; nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

echo "demo: building (debug profile)..."
cargo build --bins --quiet
BIN=$ROOT/target/debug

DIR=$(mktemp -d /tmp/nut-demo.XXXXXX)
mkdir -p "$DIR/etc" "$DIR/run"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
HTTP_PORT=$(free_port)
export NUT_CONFPATH=$DIR/etc NUT_STATEPATH=$DIR/run NUT_ALTPIDPATH=$DIR/run NUT_PIDPATH=$DIR/run

cat > "$DIR/etc/power-cut.seq" <<'SEQ'
# A simulated power cut, played in a loop by dummy-ups.
device.mfr: Demo Power
device.model: Simulated 1500VA
ups.mfr: Demo Power
ups.model: Simulated 1500VA
battery.charge: 100
battery.runtime: 1800
input.voltage: 230.4
ups.load: 23
ups.status: OL
TIMER 8
input.voltage: 0.0
battery.charge: 92
battery.runtime: 1500
ups.status: OB DISCHRG
TIMER 6
battery.charge: 61
battery.runtime: 700
TIMER 6
battery.charge: 18
battery.runtime: 120
ups.status: OB DISCHRG LB
TIMER 8
input.voltage: 229.8
battery.charge: 20
battery.runtime: 400
ups.status: OL CHRG
TIMER 10
SEQ
cat > "$DIR/etc/ups.conf" <<CONF
[demo]
    driver = dummy-ups
    port = power-cut.seq
    desc = "Simulated UPS going through a power cut"
CONF
cat > "$DIR/etc/upsd.conf" <<CONF
LISTEN 127.0.0.1 $PORT
# our extension: status page, /metrics and JSON (NUT's upsd would only warn)
HTTP_LISTEN 127.0.0.1 $HTTP_PORT
CONF
cat > "$DIR/etc/upsd.users" <<CONF
[monprimary]
    password = demo-only-password
    upsmon primary
CONF
cat > "$DIR/etc/notify.sh" <<'SH'
#!/bin/sh
echo "  [upsmon notify] $NOTIFYTYPE: $*" >> "$(dirname "$0")/../notifications.log"
SH
chmod +x "$DIR/etc/notify.sh"
cat > "$DIR/etc/upsmon.conf" <<CONF
MONITOR demo@127.0.0.1:$PORT 1 monprimary demo-only-password primary
MINSUPPLIES 1
SHUTDOWNCMD "touch $DIR/SHUTDOWN-WOULD-RUN-NOW"
NOTIFYCMD $DIR/etc/notify.sh
NOTIFYFLAG ONLINE SYSLOG+EXEC
NOTIFYFLAG ONBATT SYSLOG+EXEC
NOTIFYFLAG LOWBATT SYSLOG+EXEC
NOTIFYFLAG FSD SYSLOG+EXEC
NOTIFYFLAG SHUTDOWN SYSLOG+EXEC
NOTIFYFLAG COMMOK SYSLOG+EXEC
NOTIFYFLAG COMMBAD SYSLOG+EXEC
POLLFREQ 2
POLLFREQALERT 1
HOSTSYNC 5
FINALDELAY 0
POWERDOWNFLAG $DIR/run/killpower
CONF
chmod 0640 "$DIR/etc/"*.conf "$DIR/etc/upsd.users"
touch "$DIR/notifications.log"

cleanup() {
    [ -x "$BIN/upsmon" ] && "$BIN/upsmon" -c stop >/dev/null 2>&1 || true
    "$BIN/upsd" -c stop >/dev/null 2>&1 || true
    "$BIN/upsdrvctl" stop >/dev/null 2>&1 || true
    sleep 0.5
    rm -rf "$DIR"
}
if [ $KEEP -eq 0 ]; then trap cleanup EXIT; fi

echo "demo: sandbox $DIR, upsd on 127.0.0.1:$PORT"
echo "demo: status page http://127.0.0.1:$HTTP_PORT/  (metrics: http://127.0.0.1:$HTTP_PORT/metrics)"
# As root, NUT's daemons switch to the "nut" user; this sandbox belongs to
# whoever runs the demo, so ask them to stay as they are.
RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(-u root)
"$BIN/upsdrvctl" "${RUNAS[@]}" start
"$BIN/upsd" "${RUNAS[@]}"
if [ -x "$BIN/upsmon" ]; then "$BIN/upsmon" -p; fi

echo
echo "demo: the UPS list, as any NUT client sees it"
"$BIN/upsc" -L "127.0.0.1:$PORT"
echo
echo "demo: watching the power cut (ups.status, battery.charge, battery.runtime, input.voltage)"
shown=0
for _ in $(seq 1 40); do
    line=$("$BIN/upsc" "demo@127.0.0.1:$PORT" 2>&1 | awk -F': ' '
        $1=="ups.status"{s=$2} $1=="battery.charge"{c=$2} $1=="battery.runtime"{r=$2} $1=="input.voltage"{v=$2}
        END{printf "%-20s charge %3s%%  runtime %5ss  input %sV", s, c, r, v}')
    echo "  $(date +%T)  $line"
    n=$(wc -l < "$DIR/notifications.log")
    if [ "$n" -gt "$shown" ]; then tail -n +"$((shown + 1))" "$DIR/notifications.log"; shown=$n; fi
    if [ -e "$DIR/SHUTDOWN-WOULD-RUN-NOW" ]; then
        echo
        echo "demo: upsmon decided to shut this host down (OB LB as primary): its SHUTDOWNCMD ran."
        echo "      In this demo that command only created $DIR/SHUTDOWN-WOULD-RUN-NOW."
        break
    fi
    sleep 1
done
echo
echo "demo: the full variable list now:"
"$BIN/upsc" "demo@127.0.0.1:$PORT" 2>&1 | sed 's/^/  /'
if [ $KEEP -eq 1 ]; then
    echo
    echo "demo: left running. Try: NUT_CONFPATH=$DIR/etc $BIN/upsc demo@127.0.0.1:$PORT"
    echo "      stop with: NUT_CONFPATH=$DIR/etc NUT_STATEPATH=$DIR/run NUT_ALTPIDPATH=$DIR/run NUT_PIDPATH=$DIR/run $BIN/upsd -c stop; ... upsdrvctl stop; ... upsmon -c stop"
fi
