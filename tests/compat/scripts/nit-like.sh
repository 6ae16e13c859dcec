#!/bin/bash
# nit-like.sh: a small NIT-style sandbox test (after NUT's tests/NIT/nit.sh idea, written anew).
# It runs whatever `upsd`, `dummy-ups` and `upsc` come first in PATH, configured only through
# NUT_CONFPATH / NUT_STATEPATH / NUT_ALTPIDPATH / NUT_DEBUG_LEVEL. Exit 0 = all checks passed.
#
# Env knobs: NUT_PORT (default: random), TESTDIR (default: mktemp under /tmp), KEEP=1.

set -u
PASSED=0
FAILED=0
PIDS=""

log() { echo "[nit-like] $*"; }
pass() { PASSED=$((PASSED + 1)); log "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL: $*"; }

for prog in upsd dummy-ups upsc; do
    p="$(command -v "$prog")" || { log "FATAL: $prog not found in PATH"; exit 2; }
    log "using $prog = $p"
done

TESTDIR="${TESTDIR:-$(mktemp -d /tmp/nitl.XXXXXX)}"
mkdir -p "$TESTDIR/etc" "$TESTDIR/run"
chmod 755 "$TESTDIR" "$TESTDIR/etc"
if [ "$(id -u)" = 0 ] && id nut >/dev/null 2>&1; then
    # NUT daemons started as root switch to user nut: let it use the state dir.
    chown nut:nut "$TESTDIR/run"
    chmod 770 "$TESTDIR/run"
fi
NUT_CONFPATH="$TESTDIR/etc"
NUT_STATEPATH="$TESTDIR/run"
NUT_ALTPIDPATH="$TESTDIR/run"
export NUT_CONFPATH NUT_STATEPATH NUT_ALTPIDPATH
unset NUT_DEBUG_LEVEL
NUT_PORT="${NUT_PORT:-$((40000 + RANDOM % 20000))}"
HOST="127.0.0.1:$NUT_PORT"

cleanup() {
    for pid in $PIDS; do kill "$pid" 2>/dev/null; done
    for pid in $PIDS; do
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "${KEEP:-}" = 1 ] || [ "$FAILED" != 0 ]; then
        log "sandbox kept: $TESTDIR"
        for f in "$TESTDIR"/*.log; do [ -f "$f" ] && { echo "----- $f"; tail -n 40 "$f"; }; done
    else
        rm -rf "$TESTDIR"
    fi
}
trap cleanup EXIT
trap 'exit 3' INT TERM

# --- 1. upsd refuses to run without any UPS defined -------------------------------------
printf 'LISTEN 127.0.0.1 %s\n' "$NUT_PORT" > "$NUT_CONFPATH/upsd.conf"
: > "$NUT_CONFPATH/ups.conf"
: > "$NUT_CONFPATH/upsd.users"
chmod 644 "$NUT_CONFPATH"/*
NUT_DEBUG_LEVEL=1 timeout 20 upsd -F > "$TESTDIR/upsd-empty.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then pass "upsd with empty ups.conf exits non-zero ($rc)"
else fail "upsd with empty ups.conf: exit $rc"; fi

# --- 2. the sandbox proper ---------------------------------------------------------------
cat > "$NUT_CONFPATH/ups.conf" <<CONF
maxretry = 3

[dummy]
	driver = dummy-ups
	desc = "Crash Dummy"
	port = dummy.seq
CONF
cat > "$NUT_CONFPATH/dummy.seq" <<'SEQ'
ups.status: OB
TIMER 5
ups.status: OL
TIMER 5
SEQ
cat > "$NUT_CONFPATH/upsd.users" <<'USERS'
[admin]
	password = mypass
	actions = SET
	instcmds = ALL
USERS
chmod 644 "$NUT_CONFPATH"/*

NUT_DEBUG_LEVEL=1 upsd -F > "$TESTDIR/upsd.log" 2>&1 &
PIDS="$PIDS $!"
n=0
until upsc -l "$HOST" > /dev/null 2>&1; do
    n=$((n + 1))
    if [ $n -gt 100 ]; then fail "upsd did not start listening on $HOST"; exit 1; fi
    sleep 0.1
done
pass "upsd listens on $HOST"

out="$(upsc -l "$HOST" 2>/dev/null)"
if [ "$out" = "dummy" ]; then pass "upsc -l lists exactly: dummy"
else fail "upsc -l printed [$out]"; fi

err="$(upsc "dummy@$HOST" 2>&1 >/dev/null)"; rc=$?
case "$err" in
    *"Error: Driver not connected"*) pass "before the driver: Driver not connected" ;;
    *) fail "before the driver, upsc said [$err]" ;;
esac

NUT_DEBUG_LEVEL=1 dummy-ups -a dummy -F > "$TESTDIR/dummy-ups.log" 2>&1 &
PIDS="$PIDS $!"
n=0
# Success alone is not enough: right after connecting upsd serves only `ups.status: WAIT`.
until upsc "dummy@$HOST" 2>/dev/null | grep -v '^ups.status: WAIT$' | grep -q .; do
    n=$((n + 1))
    if [ $n -gt 150 ]; then fail "no data from dummy@$HOST within 30 s"; exit 1; fi
    sleep 0.2
done
pass "upsc dummy@$HOST succeeds"

out="$(upsc "dummy@$HOST" device.model 2>/dev/null)"
if [ "$out" = "Dummy UPS" ]; then pass "device.model = Dummy UPS"
else fail "device.model = [$out]"; fi

err="$(upsc "dummy@$HOST" ups.bogus.value 2>&1 >/dev/null)"; rc=$?
case "$err" in
    *"Error: Variable not supported by UPS"*) [ $rc -ne 0 ] && pass "bogus variable: Variable not supported by UPS" || fail "bogus variable exit 0" ;;
    *) fail "bogus variable: [$err] rc=$rc" ;;
esac

# --- 3. TIMER: the status must flip between OB and OL -------------------------------------
seen_ob=no
seen_ol=no
for i in $(seq 1 15); do
    st="$(upsc "dummy@$HOST" ups.status 2>/dev/null)"
    case "$st" in
        OB) seen_ob=yes ;;
        OL) seen_ol=yes ;;
    esac
    [ $seen_ob = yes ] && [ $seen_ol = yes ] && break
    sleep 2
done
if [ $seen_ob = yes ] && [ $seen_ol = yes ]; then pass "TIMER flips ups.status between OB and OL"
else fail "TIMER: seen OB=$seen_ob OL=$seen_ol"; fi

log "OVERALL: PASSED=$PASSED FAILED=$FAILED"
[ "$FAILED" = 0 ]
