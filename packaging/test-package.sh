#!/usr/bin/env bash
# Tests the Debian packages that packaging/build-deb.sh makes.
#
#   packaging/test-package.sh [--debs DIR] [--keep] [--no-chroot]
#
#   --debs DIR   test the .deb files in DIR instead of building them
#   --keep       leave the test chroot in /var/tmp for a look afterwards
#   --no-chroot  only the static checks (for a quick look; never in CI)
#
# 1. static: every program and file in place, control fields, maintainer
#    scripts, systemd-analyze verify on the units, udev rules against the
#    USB ids of crates/nut-hid, lintian.
# 2. in a Debian bookworm chroot (debootstrap minbase, cached as a tarball
#    under /var/cache/nut-rs-pkgtest): NUT's own nut-server and nut-client
#    with a netserver setup, our packages installed over them, the /etc/nut
#    files kept byte for byte, our drivers, upsd and upsmon started from
#    them and answering upsc and NUT's python client (PyNUT).
#
# Needs root (chroot, mounts, namespaces). Every check that cannot run is a
# failure with its reason: nothing is skipped silently. Ends with the line
# "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

passed=0
failed=0
failures=()
start=$SECONDS

log() { echo "test-package: $*" >&2; }
pass() { passed=$((passed + 1)); echo "ok   $*"; }
# fail NAME [DETAILS]: details are printed indented under the name
fail() {
    failed=$((failed + 1))
    failures+=("$1")
    echo "FAIL $1"
    [ $# -lt 2 ] || [ -z "$2" ] || printf '%s\n' "$2" | sed 's/^/       /'
}
# check NAME COMMAND...: runs the command, passes or fails with its output.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$out"
        return 1
    fi
}
finish() {
    echo
    if [ $failed -gt 0 ]; then
        echo "failed checks:"
        printf '  - %s\n' "${failures[@]}"
    fi
    echo "($((SECONDS - start)) s)"
    echo "$passed passed, $failed failed"
    [ $failed -eq 0 ]
    exit $?
}

# ===================================================================== inside the namespaces
# bash test-package.sh --inner ROOT PORT CLIENT_DEB SERVER_DEB
# Runs in new pid, mount and network namespaces (see the end of this file);
# prints "ok"/"FAIL" lines that the outer run counts.
inner() {
    local R=$1 port=$2 cdeb=$3 sdeb=$4
    local ups=ups@127.0.0.1:$port

    # Stops at the first failed step that later ones depend on.
    must() { check "$@" || { echo "FAIL (the steps after this one depend on it: stopped)"; exit 1; }; }
    in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"; }
    # wait_for SECONDS COMMAND...: until the command succeeds
    wait_for() {
        local t=$1
        shift
        for _ in $(seq $((t * 5))); do
            "$@" > /dev/null 2>&1 && return 0
            sleep 0.2
        done
        "$@"
    }
    # upsd answers WAIT until the driver has sent its data.
    status_is() { [ "$(in_root /bin/upsc "$ups" ups.status 2> /dev/null)" = "$1" ]; }
    # Every file under /etc/nut: name, mode, numeric owner, size, sha256.
    snapshot() {
        (cd "$R/etc/nut" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
            if [ -f "$f" ] && ! [ -L "$f" ]; then
                echo "$(stat -c '%n %a %u:%g %s %Y' "$f") $(sha256sum < "$f" | cut -c1-64)"
            else
                stat -c '%n %F %a %u:%g' "$f"
            fi
        done)
    }
    setup() {
        ip link set lo up &&
            mount -t proc proc "$R/proc" &&
            mount --rbind /dev "$R/dev" &&
            chroot "$R" true
    }
    must "namespaces, /proc and /dev in the chroot, loopback up" setup

    # --- NUT 2.8.0 as Debian ships it, set up the way an admin would.
    install_nut() {
        in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download \
            --no-install-recommends nut-server nut-client python3-nut' < /dev/null
    }
    must "install Debian's nut-server, nut-client, python3-nut" install_nut

    configure_nut() {
        local e=$R/etc/nut
        sed -i 's/^MODE=.*/MODE=netserver/' "$e/nut.conf"
        cat >> "$e/ups.conf" <<EOF

[ups]
	driver = dummy-ups
	port = ups.dev
	desc = "Package test UPS"
EOF
        cat > "$e/ups.dev" <<'EOF'
# dummy-ups data for the package test
device.type: ups
ups.mfr: Package Test
ups.model: Drop-in 1000
ups.status: OL
battery.charge: 100
battery.runtime: 1800
input.voltage: 230.0
EOF
        in_root chown root:nut /etc/nut/ups.dev
        chmod 0640 "$e/ups.dev"
        printf '\nLISTEN 127.0.0.1 %s\n' "$port" >> "$e/upsd.conf"
        cat >> "$e/upsd.users" <<'EOF'

[admin]
	password = "adm1n-pass"
	actions = SET FSD
	instcmds = ALL

[monuser]
	password = monpass
	upsmon primary
EOF
        # Never a real shutdown from inside the test.
        sed -i 's|^SHUTDOWNCMD .*|SHUTDOWNCMD "/bin/echo package test: shutdown requested"|' "$e/upsmon.conf"
        printf '\nMONITOR %s 1 monuser monpass primary\n' "$ups" >> "$e/upsmon.conf"
    }
    must "netserver configuration (MODE, dummy-ups UPS, LISTEN 127.0.0.1:$port, users, MONITOR)" configure_nut

    # NUT itself must serve this configuration, or the test proves nothing.
    nut_serves() {
        in_root /sbin/upsdrvctl start &&
            in_root /sbin/upsd &&
            wait_for 20 status_is OL
        local rc=$?
        in_root /sbin/upsd -c stop
        in_root /sbin/upsdrvctl stop
        wait_for 10 sh -c '! pgrep -x upsd && ! pgrep -x dummy-ups' || return 1
        return $rc
    }
    must "NUT 2.8.0 serves this configuration (baseline)" nut_serves
    rm -f "$R/run/nut/"*

    snapshot > "$R/../etc-before"

    # --- our packages over NUT's
    install_ours() {
        local out
        # (no --no-download here: with it apt loses track of local .deb files)
        out=$(in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            /tmp/debs/$cdeb /tmp/debs/$sdeb" < /dev/null 2>&1)
        local rc=$?
        echo "$out"
        [ $rc -eq 0 ] || return 1
        ! grep -qi 'conffile prompt\|Configuration file .*==>' <<< "$out"
    }
    must "apt-get install nut-rs-client nut-rs-server over NUT, no questions" install_ours

    # Reinstalling the same version runs the upgrade path of our scripts.
    reinstall() {
        in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
            /tmp/debs/$cdeb /tmp/debs/$sdeb" < /dev/null || return 1
    }
    states() {
        local s
        for p in nut-rs-client nut-rs-server python3-nut; do
            s=$(in_root dpkg-query -W -f '${Status}' "$p" 2> /dev/null)
            [ "$s" = "install ok installed" ] || { echo "$p: '$s'"; return 1; }
        done
        for p in nut-server nut-client; do
            s=$(in_root dpkg-query -W -f '${Status}' "$p" 2> /dev/null)
            case "$s" in *" installed") echo "$p still installed"; return 1 ;; esac
        done
        in_root dpkg --audit
    }
    check "ours installed, NUT's removed, python3-nut kept, dpkg --audit clean" states

    # Every file that was in /etc/nut is unchanged; the only new ones are
    # conffiles of ours that the admin did not have.
    same_etc() { # same_etc SNAPSHOT
        local lost added f
        lost=$(LC_ALL=C comm -23 "$R/../etc-before" "$1")
        [ -z "$lost" ] || { echo "changed or gone:"; echo "$lost"; echo "now:"; cat "$1"; return 1; }
        added=$(LC_ALL=C comm -13 "$R/../etc-before" "$1" | cut -d' ' -f1)
        for f in $added; do
            grep -qx "/etc/nut/${f#./}" "$R"/var/lib/dpkg/info/nut-rs-*.conffiles ||
                { echo "new file $f is not a conffile of ours"; return 1; }
        done
    }
    etc_kept() {
        snapshot > "$R/../etc-after"
        same_etc "$R/../etc-after" || return 1
        ! ls -d "$R"/etc/nut/*.dpkg-* "$R"/etc/nut/.nut-rs-* 2> /dev/null
    }
    check "/etc/nut kept byte for byte (content, mode, owner), no leftovers" etc_kept
    check "reinstall (our upgrade path) asks nothing" reinstall
    check "/etc/nut still kept after the reinstall" etc_kept

    ours_in_place() {
        local owner
        for f in /lib/nut/upsd /lib/nut/upsmon /lib/nut/dummy-ups /sbin/upsdrvctl /sbin/upssched /bin/upsc \
                /sbin/upsd /sbin/upsmon; do
            owner=$(in_root dpkg -S "$f" 2> /dev/null | cut -d: -f1)
            case "$owner" in nut-rs-*) ;; *) echo "$f belongs to '$owner'"; return 1 ;; esac
        done
        in_root getent passwd nut > /dev/null || { echo "no nut user"; return 1; }
        [ "$(stat -c '%a %G' "$R/run/nut")" = "770 $(in_root getent group nut | cut -d: -f3)" ] ||
            [ "$(stat -c '%a' "$R/run/nut")" = 770 ] || { echo "/run/nut: $(stat -c '%a %u:%g' "$R/run/nut")"; return 1; }
    }
    check "programs are ours (dpkg -S), nut user exists, /run/nut 0770" ours_in_place

    # --- the MODE wrappers, on a copy of nut.conf put back afterwards
    cp -p "$R/etc/nut/nut.conf" "$R/../nut.conf.saved"
    wrappers() {
        local out
        echo "MODE=none" > "$R/etc/nut/nut.conf"
        out=$(in_root /sbin/upsd) || { echo "upsd wrapper, MODE=none: exit $?"; return 1; }
        [ "$out" = "upsd disabled, please adjust the configuration to your needs
Then set MODE to a suitable value in /etc/nut/nut.conf to enable it" ] || { echo "upsd wrapper said: $out"; return 1; }
        out=$(in_root /sbin/upsmon) || { echo "upsmon wrapper, MODE=none: exit $?"; return 1; }
        [ "${out%%$'\n'*}" = "upsmon disabled, please adjust the configuration to your needs" ] || { echo "upsmon wrapper said: $out"; return 1; }
        echo "MODE=netclient" > "$R/etc/nut/nut.conf"
        out=$(in_root /sbin/upsd) || { echo "upsd wrapper, MODE=netclient: exit $?"; return 1; }
        echo "MODE=bogus" > "$R/etc/nut/nut.conf"
        in_root /sbin/upsd > /dev/null && { echo "upsd wrapper accepted MODE=bogus"; return 1; }
        in_root /sbin/upsmon > /dev/null && { echo "upsmon wrapper accepted MODE=bogus"; return 1; }
        return 0
    }
    check "/sbin/upsd and /sbin/upsmon follow MODE in nut.conf" wrappers
    cp -p "$R/../nut.conf.saved" "$R/etc/nut/nut.conf"

    # --- instance names of nut-driver@, as Debian's enumerator makes them
    enumerator() {
        local e=/usr/libexec/nut-driver-enumerator.sh d=$R/tmp/enum md5
        [ "$(in_root "$e" --get-device-for-service nut-driver@ups.service)" = ups ] || return 1
        mkdir -p "$d"
        printf '[ups]\n\tdriver = dummy-ups\n[rack ups/2] # a name systemd cannot carry\n\tdriver = dummy-ups\n' > "$d/ups.conf"
        md5=$(printf 'rack ups/2\n' | md5sum | cut -c1-32)
        [ "$(in_root env NUT_CONFPATH=/tmp/enum "$e" --get-device-for-service "MD5_$md5")" = "rack ups/2" ] ||
            { echo "MD5_$md5 does not map back to [rack ups/2]"; return 1; }
        in_root env NUT_CONFPATH=/tmp/enum "$e" --list-services-for-devices
        ! in_root env NUT_CONFPATH=/tmp/enum "$e" --get-device-for-service nut-driver@nosuch.service
    }
    check "nut-driver-enumerator.sh maps instances to ups.conf sections (plain and MD5_ names)" enumerator

    # --- our stack, from the admin's files, started with the command lines
    # of our units (what systemd would run; no systemd in a chroot)
    unit_line() { # unit_line UNIT KEY [INSTANCE] [MAINPID]
        local l
        l=$(sed -n "s/^$2=//p" "$R/lib/systemd/system/$1" | head -n 1)
        [ -n "$l" ] || { echo "no $2= line in $1" >&2; return 1; }
        printf '%s\n' "$l" | sed -e "s/%i/${3:-}/g" -e "s/\\\$MAINPID/${4:-}/g"
    }
    run_unit() { # run_unit UNIT KEY [INSTANCE] [MAINPID]: foreground, its exit status
        local l
        l=$(unit_line "$@") || return 1
        echo "+ $l"
        in_root /bin/sh -c "$l"
    }
    start_unit() { # start_unit UNIT NAME: ExecStart in the background (Type=simple)
        local l
        l=$(unit_line "$1" ExecStart) || return 1
        echo "+ $l &"
        # chroot, env, sh and the wrapper all exec: $! is the daemon, MAINPID.
        chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
            /bin/sh -c "exec $l" > "$R/../$2.out" 2>&1 < /dev/null &
        echo $! > "$R/../$2.mainpid"
    }
    mainpid() { cat "$R/../$1.mainpid"; }

    must "nut-driver@ups.service ExecStart (upsdrvctl start ups, ours) starts dummy-ups" \
        run_unit nut-driver@.service ExecStart ups
    upsd_up() {
        start_unit nut-server.service upsd || return 1
        wait_for 20 status_is OL || { cat "$R/../upsd.out"; in_root /bin/upsc "$ups"; return 1; }
        kill -0 "$(mainpid upsd)" || { echo "MAINPID $(mainpid upsd) is gone"; cat "$R/../upsd.out"; return 1; }
    }
    must "nut-server.service ExecStart (/sbin/upsd -F, ours) serves the UPS" upsd_up
    served() {
        wait_for 20 status_is OL || { in_root /bin/upsc "$ups"; return 1; }
        local all
        all=$(in_root /bin/upsc "$ups") || return 1
        echo "$all"
        grep -qx 'ups.status: OL' <<< "$all" && grep -qx 'ups.model: Drop-in 1000' <<< "$all" &&
            grep -qx 'battery.charge: 100' <<< "$all"
    }
    check "upsc $ups shows the dummy-ups data" served
    check "upsc -l 127.0.0.1:$port lists the UPS" sh -c "[ \"\$(chroot '$R' /bin/upsc -l 127.0.0.1:$port 2>/dev/null)\" = ups ]"
    upsd_reload() {
        run_unit nut-server.service ExecReload "" "$(mainpid upsd)" || return 1
        sleep 1
        kill -0 "$(mainpid upsd)" || { echo "upsd exited on reload"; cat "$R/../upsd.out"; return 1; }
        wait_for 10 status_is OL
    }
    check "nut-server.service ExecReload (upsd -c reload -P \$MAINPID) keeps it serving" upsd_reload

    pynut() {
        in_root python3 - "$port" <<'EOF'
import sys
import PyNUT
c = PyNUT.PyNUTClient(host="127.0.0.1", port=int(sys.argv[1]), login="admin", password="adm1n-pass")
upses = c.GetUPSList()
assert upses == {b"ups": b"Package test UPS"}, upses
v = c.GetUPSVars("ups")
assert v[b"ups.status"] == b"OL", v
assert v[b"ups.model"] == b"Drop-in 1000", v
assert v[b"device.type"] == b"ups", v
print("PyNUT:", len(v), "variables")
EOF
    }
    check "NUT's python client (PyNUT) logs in and reads the UPS" pynut

    monitor() {
        start_unit nut-monitor.service upsmon || return 1
        wait_for 20 test -s "$R/run/nut/upsmon.pid" || { echo "no PIDFile /run/nut/upsmon.pid"; cat "$R/../upsmon.out"; return 1; }
        # As in NUT, the pid file names the unprivileged child, which takes
        # the -c signals; systemd (Type=simple) follows the root parent.
        local child
        child=$(tr -d ' \n' < "$R/run/nut/upsmon.pid")
        [ "$(cat "/proc/$child/comm" 2> /dev/null)" = upsmon ] ||
            { echo "PIDFile names $child, which is not a running upsmon"; return 1; }
        kill -0 "$(mainpid upsmon)" || { echo "the root upsmon (MAINPID) is gone"; cat "$R/../upsmon.out"; return 1; }
        wait_for 20 sh -c "chroot '$R' /bin/upsc -c '$ups' 2>/dev/null | grep -qx 127.0.0.1" ||
            { echo "upsmon is not logged in to upsd: upsc -c says"; in_root /bin/upsc -c "$ups"; cat "$R/../upsmon.out"; return 1; }
    }
    check "nut-monitor.service ExecStart (/sbin/upsmon -F, ours) logs in to upsd; PIDFile names a live upsmon" monitor
    monitor_reload() {
        run_unit nut-monitor.service ExecReload || return 1
        sleep 1
        kill -0 "$(mainpid upsmon)" || { echo "upsmon exited on reload"; cat "$R/../upsmon.out"; return 1; }
    }
    check "nut-monitor.service ExecReload (upsmon -c reload) keeps it running" monitor_reload
    monitor_stop() {
        in_root /sbin/upsmon -c stop || return 1
        wait_for 10 sh -c '! pgrep -x upsmon' || { pgrep -a -x upsmon; return 1; }
    }
    check "upsmon -c stop ends upsmon" monitor_stop

    # --- the system-shutdown hook, with systemctl and upsdrvctl watched
    hook() {
        local h=/lib/systemd/system-shutdown/nutshutdown calls=$R/tmp/calls
        rm -f "$R/etc/killpower" "$calls"
        mv "$R/sbin/upsdrvctl" "$R/sbin/upsdrvctl.real"
        printf '#!/bin/sh\necho "upsdrvctl $*" >> /tmp/calls\nexec /sbin/upsdrvctl.real "$@"\n' > "$R/sbin/upsdrvctl"
        [ -e "$R/bin/systemctl" ] && mv "$R/bin/systemctl" "$R/bin/systemctl.real"
        printf '#!/bin/sh\necho "systemctl $*" >> /tmp/calls\n' > "$R/bin/systemctl"
        chmod 0755 "$R/sbin/upsdrvctl" "$R/bin/systemctl"
        local rc=0
        # no flag: nothing happens
        timeout 30 chroot "$R" "$h" || { echo "hook without flag: exit $?"; rc=1; }
        [ ! -e "$calls" ] || { echo "hook without flag called:"; cat "$calls"; rc=1; }
        # flag set by upsmon, POWEROFF_WAIT in nut.conf: shutdown, wait, reboot
        printf 'upsmon-shutdown-file' > "$R/etc/killpower"
        echo "POWEROFF_WAIT=1" >> "$R/etc/nut/nut.conf"
        timeout 60 chroot "$R" "$h" || { echo "hook with flag: exit $?"; rc=1; }
        [ "$(cat "$calls" 2> /dev/null)" = "upsdrvctl shutdown
systemctl reboot --force --force" ] || { echo "hook with flag called:"; cat "$calls"; rc=1; }
        mv -f "$R/sbin/upsdrvctl.real" "$R/sbin/upsdrvctl"
        rm -f "$R/bin/systemctl" "$R/etc/killpower"
        [ -e "$R/bin/systemctl.real" ] && mv "$R/bin/systemctl.real" "$R/bin/systemctl"
        cp -p "$R/../nut.conf.saved" "$R/etc/nut/nut.conf"
        return $rc
    }
    check "nutshutdown: nothing without POWERDOWNFLAG; with it upsdrvctl shutdown, then reboot after POWEROFF_WAIT" hook

    stop_all() {
        # systemd stops nut-server.service with SIGTERM to MAINPID.
        kill -TERM "$(mainpid upsd)" || return 1
        run_unit nut-driver@.service ExecStop ups || return 1
        wait_for 15 sh -c '! pgrep -x upsd && ! pgrep -x dummy-ups' || { pgrep -a -x 'upsd|dummy-ups'; return 1; }
    }
    check "SIGTERM to upsd and nut-driver@ups.service ExecStop (upsdrvctl stop ups) end the daemons" stop_all

    # --- NUT's packages purged later: the admin's files must survive.
    # NUT's packages enabled the units; ours kept them enabled.
    enabled() {
        local l
        for l in multi-user.target.wants/nut.target nut.target.wants/nut-server.service \
                nut.target.wants/nut-monitor.service nut.target.wants/nut-driver.target \
                nut.target.wants/nut-driver-enumerator.service nut.target.wants/nut-driver-enumerator.path; do
            [ -L "$R/etc/systemd/system/$l" ] || { echo "$l is not enabled"; return 1; }
        done
    }
    check "our units are enabled (as NUT's were)" enabled

    purge_nut() {
        in_root dpkg --purge nut-server nut-client || return 1
        snapshot > "$R/../etc-purged"
        same_etc "$R/../etc-purged"
    }
    check "purging NUT's leftover packages keeps every /etc/nut file" purge_nut
    check "purging NUT's leftover packages leaves our units enabled" enabled

    # --- a machine without NUT: our samples, root:nut 0640
    fresh() {
        in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q nut-rs-server nut-rs-client' < /dev/null > /dev/null || return 1
        rm -f "$R/etc/nut/ups.dev"
        in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            /tmp/debs/$cdeb /tmp/debs/$sdeb" < /dev/null || return 1
        local f g
        g=$(in_root getent group nut | cut -d: -f3)
        for d in "$cdeb" "$sdeb"; do
            mkdir -p "$R/../x" && dpkg-deb -x "$R/tmp/debs/$d" "$R/../x" || return 1
        done
        for f in "$R"/../x/etc/nut/*; do
            cmp "$f" "$R/etc/nut/${f##*/}" || return 1
            [ "$(stat -c '%a %u:%g' "$R/etc/nut/${f##*/}")" = "640 0:$g" ] ||
                { echo "${f##*/}: $(stat -c '%a %u:%g' "$R/etc/nut/${f##*/}")"; return 1; }
        done
    }
    check "purge, then install on a machine without NUT: our samples, root:nut 0640" fresh

    # The shipped samples are a working standalone setup: they must run.
    samples_run() {
        local sups
        sups=$(sed -n 's/^MONITOR \([^ ]*\) .*/\1/p' "$R/etc/nut/upsmon.conf" | head -n 1)
        [ -n "$sups" ] || { echo "no MONITOR line in the sample upsmon.conf"; return 1; }
        local dev=${sups%@*}
        run_unit nut-driver@.service ExecStart "$dev" || return 1
        start_unit nut-server.service upsd || return 1
        wait_for 20 sh -c "[ \"\$(chroot '$R' /bin/upsc '$sups' ups.status 2>/dev/null)\" = OL ]" ||
            { echo "upsc $sups:"; in_root /bin/upsc "$sups"; cat "$R/../upsd.out"; return 1; }
        start_unit nut-monitor.service upsmon || return 1
        wait_for 20 sh -c "chroot '$R' /bin/upsc -c '$sups' 2>/dev/null | grep -q ." ||
            { echo "upsmon did not log in: upsc -c $sups"; in_root /bin/upsc -c "$sups"; cat "$R/../upsmon.out"; return 1; }
        in_root /sbin/upsmon -c stop
        kill -TERM "$(mainpid upsd)"
        run_unit nut-driver@.service ExecStop "$dev"
        wait_for 15 sh -c '! pgrep -x upsd && ! pgrep -x dummy-ups && ! pgrep -x upsmon' || { pgrep -a -x 'upsd|dummy-ups|upsmon'; return 1; }
    }
    check "the shipped sample configuration runs as is (driver, upsd, upsmon)" samples_run
}

if [ "${1:-}" = --inner ]; then
    shift
    inner "$@"
    exit $?
fi

debs=
keep=false
chroot_test=true
while [ $# -gt 0 ]; do
    case "$1" in
        --debs) debs=$2; shift ;;
        --keep) keep=true ;;
        --no-chroot) chroot_test=false ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "test-package: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

cache=${NUT_RS_PKGTEST_CACHE:-/var/cache/nut-rs-pkgtest}
suite=bookworm
port=13493

need_pkg() { # need_pkg COMMAND PACKAGE: install PACKAGE when COMMAND is missing
    command -v "$1" > /dev/null && return 0
    log "installing $2 (for $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" > /dev/null 2>&1 ||
        { apt-get update -qq > /dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" > /dev/null 2>&1; }
    command -v "$1" > /dev/null
}

if [ "$(id -u)" -ne 0 ]; then
    fail "root" "the package test installs packages into a chroot: run it as root"
    finish
fi

# ===================================================================== build
if [ -z "$debs" ]; then
    log "building the packages (packaging/build-deb.sh)"
    if ! "$here/build-deb.sh" > /dev/null; then
        fail "build-deb.sh" "packaging/build-deb.sh failed (output above)"
        finish
    fi
    debs=${CARGO_TARGET_DIR:-$repo/target-pkg}/debian
fi
client_deb=$(ls "$debs"/nut-rs-client_*.deb 2> /dev/null | head -n 1)
server_deb=$(ls "$debs"/nut-rs-server_*.deb 2> /dev/null | head -n 1)
if [ -z "$client_deb" ] || [ -z "$server_deb" ]; then
    fail "packages" "no nut-rs-client_*.deb and nut-rs-server_*.deb in $debs"
    finish
fi
pass "packages built: ${client_deb##*/} ${server_deb##*/}"

# ===================================================================== static checks
work=$(mktemp -d /var/tmp/nut-rs-pkgtest.XXXXXX)
cleanup() {
    if $keep; then
        log "left $work in place (--keep)"
    elif grep -q " $work/" /proc/self/mounts; then
        # The chroot's /dev and /proc are mounted in a private namespace and
        # vanish with it; if one ever shows up here, deleting would reach
        # through it into the real /dev.
        log "something is still mounted under $work: not deleting it"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# --- contents: every path that NUT's packages have and we must have too
expect_client="/lib/nut/upsmon /sbin/upsmon /sbin/upssched /bin/upsc /bin/upscmd /bin/upsrw
    /etc/nut/nut.conf /etc/nut/upsmon.conf /etc/nut/upssched.conf
    /lib/systemd/system/nut-monitor.service /lib/systemd/system/nut-client.service /lib/systemd/system/nut.target
    /usr/lib/tmpfiles.d/nut-client.conf"
expect_server="/lib/nut/upsd /lib/nut/dummy-ups /lib/nut/usbhid-ups /sbin/upsd /sbin/upsdrvctl
    /etc/nut/ups.conf /etc/nut/upsd.conf /etc/nut/upsd.users
    /lib/systemd/system/nut-server.service /lib/systemd/system/nut-driver@.service
    /lib/systemd/system/nut-driver.target /lib/systemd/system/nut-driver-enumerator.service
    /lib/systemd/system/nut-driver-enumerator.path /usr/libexec/nut-driver-enumerator.sh
    /lib/systemd/system-shutdown/nutshutdown /lib/udev/rules.d/62-nut-usbups.rules"
contents_check() { # contents_check DEB PATHS
    local listing missing=() p
    listing=$(dpkg-deb --contents "$1" | awk '{print $6}' | sed 's|^\./|/|')
    for p in $2; do
        grep -qx -- "$p" <<< "$listing" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "missing from ${1##*/}:"
        printf '  %s\n' "${missing[@]}"
        return 1
    fi
}
check "contents of nut-rs-client (programs, conffiles, units)" contents_check "$client_deb" "$expect_client"
check "contents of nut-rs-server (programs, conffiles, units)" contents_check "$server_deb" "$expect_server"

# --- control fields
control_check() { # control_check DEB REPLACED
    local info
    info=$(dpkg-deb --field "$1") || return 1
    for f in Provides Conflicts Replaces; do
        grep -Eq "^$f:.*\\b$2\\b" <<< "$info" || { echo "$f does not name $2"; return 1; }
    done
    grep -q '^Depends:.*adduser' <<< "$info" || { echo "Depends lacks adduser (postinst creates the nut user)"; return 1; }
}
check "nut-rs-client provides, conflicts with and replaces nut-client" control_check "$client_deb" nut-client
check "nut-rs-server provides, conflicts with and replaces nut-server" control_check "$server_deb" nut-server

conffiles_check() { # every /etc file is a conffile, and each conffile is in the package
    local c listing
    c=$(dpkg-deb --ctrl-tarfile "$1" | tar -xO ./conffiles 2> /dev/null | sort)
    listing=$(dpkg-deb --contents "$1" | awk '$1 !~ /^d/ {print $6}' | sed -n 's|^\./etc/|/etc/|p' | sort)
    [ -n "$c" ] || { echo "no conffiles"; return 1; }
    [ "$c" = "$listing" ] || { echo "conffiles: $c"; echo "files in /etc: $listing"; return 1; }
}
check "nut-rs-client conffiles are its /etc/nut files" conffiles_check "$client_deb"
check "nut-rs-server conffiles are its /etc/nut files" conffiles_check "$server_deb"

scripts_check() {
    local d=$work/ctrl-${1##*/} s
    mkdir -p "$d" && dpkg-deb --control "$1" "$d" || return 1
    for s in preinst postinst prerm postrm; do
        [ -x "$d/$s" ] || { echo "$s missing"; return 1; }
        sh -n "$d/$s" || return 1
    done
    if command -v shellcheck > /dev/null; then shellcheck -s sh -S warning "$d"/p*; fi
}
check "maintainer scripts of nut-rs-client parse" scripts_check "$client_deb"
check "maintainer scripts of nut-rs-server parse" scripts_check "$server_deb"

# --- systemd units: verified inside a root made of our packages plus the
# system's own units (sysinit.target, ...), so the commands checked are ours.
vroot=$work/verify-root
mkdir -p "$vroot/usr/lib/systemd/system" "$vroot/bin"
dpkg-deb -x "$client_deb" "$vroot" && dpkg-deb -x "$server_deb" "$vroot"
units_check() {
    local sysdir out
    need_pkg systemd-analyze systemd || { echo "systemd-analyze missing and the systemd package did not install"; return 1; }
    for sysdir in /usr/lib/systemd/system /lib/systemd/system; do
        [ -f "$sysdir/sysinit.target" ] && break
    done
    [ -f "$sysdir/sysinit.target" ] || { echo "no sysinit.target on this machine to verify against"; return 1; }
    (cd "$sysdir" && tar -cf - --exclude='nut*' --exclude='ups-monitor*' .) | tar -xf - -C "$vroot/usr/lib/systemd/system"
    [ -e "$vroot/bin/sh" ] || cp "$(readlink -f /bin/sh)" "$vroot/bin/sh"
    out=$(cd "$vroot" && systemd-analyze verify --root="$vroot" --man=no --generators=no \
        lib/systemd/system/nut-*.service lib/systemd/system/nut*.target lib/systemd/system/nut-driver-enumerator.path 2>&1)
    local rc=$?
    # verify warns about unknown keys and bad values with exit status 0: any
    # output at all is a failure.
    [ $rc -eq 0 ] && [ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd-analyze verify on every unit" units_check

units_commands_check() {
    local d=$vroot/lib/systemd/system
    grep -qx 'ExecStart=/sbin/upsd -F' "$d/nut-server.service" &&
        grep -qx 'ExecReload=/sbin/upsd -c reload -P $MAINPID' "$d/nut-server.service" &&
        grep -qx 'ExecStart=/sbin/upsmon -F' "$d/nut-monitor.service" &&
        grep -qx 'ExecReload=/sbin/upsmon -c reload' "$d/nut-monitor.service" &&
        grep -qx 'PIDFile=/run/nut/upsmon.pid' "$d/nut-monitor.service" &&
        grep -q '/sbin/upsdrvctl start' "$d/nut-driver@.service" &&
        grep -q '/sbin/upsdrvctl stop' "$d/nut-driver@.service" ||
        { echo "a unit does not run the programs the way Debian's units do"; return 1; }
    [ "$(readlink "$d/nut-client.service")" = nut-monitor.service ] || { echo "nut-client.service is not an alias"; return 1; }
}
check "units run upsd -F, upsmon -F, upsdrvctl start|stop like Debian's" units_commands_check

# --- udev rules
rules=$vroot/lib/udev/rules.d/62-nut-usbups.rules
udev_check() {
    local bad ids
    bad=$(grep -Ev '^(#.*|$|ACTION=="remove", GOTO="nut_rs_usbups_end"|SUBSYSTEM!="usb", SUBSYSTEM!="usb_device", GOTO="nut_rs_usbups_end"|LABEL="nut_rs_usbups_end"|ATTR\{idVendor\}=="[0-9a-f]{4}", ATTR\{idProduct\}=="[0-9a-f]{4}", MODE="0664", GROUP="nut")$' "$rules")
    [ -z "$bad" ] || { echo "unexpected lines:"; echo "$bad"; return 1; }
    ids=$(grep -c '^ATTR{idVendor}' "$rules")
    [ "$ids" -ge 50 ] || { echo "only $ids devices"; return 1; }
    if command -v udevadm > /dev/null && udevadm verify --help > /dev/null 2>&1; then
        udevadm verify "$rules" || return 1
    fi
}
check "udev rules well formed" udev_check
rule_ids() { sed -n 's/^ATTR{idVendor}=="\([0-9a-f]*\)", ATTR{idProduct}=="\([0-9a-f]*\)".*/\1:\2/p' "$rules" | sort -u; }
nut_hid_ids_check() {
    # TODO: read the table from crates/nut-hid once it exports one; until
    # then the (vid, &[pids]) literals of its subdriver tables are scanned.
    local src=$repo/crates/nut-hid/src/subdrivers ids lacking
    [ -d "$src" ] || { echo "crates/nut-hid/src/subdrivers not found"; return 1; }
    ids=$(cat "$src"/*.rs | tr -d '\n' | grep -oE '\(\s*0x[0-9a-fA-F]{4},\s*&\[[^]]*\]' |
        while IFS= read -r t; do
            v=$(sed -E 's/^\(\s*0x([0-9a-fA-F]{4}).*/\1/' <<< "$t")
            grep -oE '0x[0-9a-fA-F]{4}' <<< "${t#*&[}" | sed "s/^0x/${v}:/"
        done | tr 'A-F' 'a-f' | sort -u)
    [ -n "$ids" ] || { echo "no (vid, &[pids]) tables found in crates/nut-hid: update this check"; return 1; }
    lacking=$(comm -23 <(echo "$ids") <(rule_ids))
    [ -z "$lacking" ] || { echo "crates/nut-hid knows devices packaging/usb-ids.txt lacks:"; echo "$lacking"; return 1; }
}
check "udev rules cover every device of crates/nut-hid" nut_hid_ids_check
nut_rules_check() {
    local theirs=/lib/udev/rules.d/62-nut-usbups.rules lacking
    [ -f "$theirs" ] || { echo "$theirs (Debian's nut-server, installed by scripts/install-deps.sh) is missing"; return 1; }
    lacking=$(comm -23 <(awk '/^#/{c=$0; next} /idVendor/ && c ~ /usbhid-ups/' "$theirs" |
        sed -n 's/.*idVendor}=="\([0-9a-fA-F]*\)".*idProduct}=="\([0-9a-fA-F]*\)".*/\1:\2/p' | tr 'A-F' 'a-f' | sort -u) <(rule_ids))
    [ -z "$lacking" ] || { echo "NUT 2.8.0 gives usbhid-ups devices we do not:"; echo "$lacking"; return 1; }
}
check "udev rules cover every usbhid-ups device of NUT 2.8.0" nut_rules_check

# --- lintian (cheap: a few seconds)
lintian_check() {
    need_pkg lintian lintian || { echo "lintian did not install"; return 1; }
    local out
    out=$(lintian --tag-display-limit 0 "$client_deb" "$server_deb" 2>&1 | grep -v 'running with root privileges')
    if grep -Eq '^[EW]: ' <<< "$out"; then echo "$out"; return 1; fi
}
check "lintian: no errors or warnings" lintian_check

if ! $chroot_test; then
    fail "chroot test" "not run (--no-chroot)"
    finish
fi

# ===================================================================== the chroot
# The mirror this machine's apt uses for $suite.
find_mirror() {
    local f uri
    if [ -n "${NUT_RS_MIRROR:-}" ]; then echo "$NUT_RS_MIRROR"; return; fi
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # deb822 stanzas: a URIs: line and a Suites: line naming the suite
        uri=$(awk -v s="$suite" '
            /^[[:space:]]*$/ { if (u != "" && ok && deb) { print u; exit } u=""; ok=0; deb=0; next }
            /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb=1 }
            /^URIs:/ { u=$2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok=1 }
            END { if (u != "" && ok && deb) print u }' "$f" | head -n 1)
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk -v s="$suite" '$1 == "deb" { u=$2; if (u ~ /^\[/) u=$3; for (i = 3; i <= NF; i++) if ($i == s) { print (($2 ~ /^\[/) ? $3 : $2); exit } }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
}

mirror=$(find_mirror)
if [ -z "$mirror" ]; then
    fail "apt mirror" "no '$suite' mirror in /etc/apt/sources.list(.d); set NUT_RS_MIRROR"
    finish
fi

# The cached base: minbase + NUT's packages downloaded (not installed) + a
# policy-rc.d that keeps package scripts from starting daemons.
nut_pkgs="nut-server nut-client python3-nut"
key=$(echo "$suite $mirror $nut_pkgs v1" | md5sum | cut -c1-8)
tarball=$cache/$suite-minbase-$key.tar
make_base() {
    local b=$work/base
    need_pkg debootstrap debootstrap || { echo "debootstrap missing and did not install"; return 1; }
    mkdir -p "$cache" "$b"
    log "debootstrap --variant=minbase $suite from $mirror (cached afterwards in $tarball)"
    # In a private mount namespace: the /proc and /sys that debootstrap
    # mounts in the target cannot outlive it, even if it fails.
    timeout 420 unshare --mount --fork --kill-child debootstrap --variant=minbase "$suite" "$b" "$mirror" \
        > "$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log"; echo "debootstrap failed or took over 7 minutes"; return 1; }
    printf '#!/bin/sh\n# package test: never start services\nexit 101\n' > "$b/usr/sbin/policy-rc.d"
    chmod 0755 "$b/usr/sbin/policy-rc.d"
    timeout 300 chroot "$b" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends --download-only $nut_pkgs" > "$work/base-apt.log" 2>&1 ||
        { tail -n 20 "$work/base-apt.log"; echo "downloading NUT's packages into the chroot failed"; return 1; }
    tar -C "$b" -cf "$tarball.$$.tmp" . && mv "$tarball.$$.tmp" "$tarball" && rm -rf "$b"
}
if [ ! -s "$tarball" ]; then
    check "debootstrap $suite chroot (cached in $cache)" make_base
    [ -s "$tarball" ] || finish
else
    pass "cached $suite chroot: $tarball"
fi

root=$work/root
mkdir -p "$root"
if ! tar -C "$root" -xf "$tarball"; then
    fail "unpack chroot" "could not unpack $tarball (delete it to rebuild)"
    finish
fi
# minbase has no /etc/hosts; every real machine does ("localhost" in the
# sample upsmon.conf).
[ -e "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
mkdir -p "$root/tmp/debs"
# Plain names: apt mishandles a local .deb whose name has a "~" in it.
cp "$client_deb" "$root/tmp/debs/nut-rs-client.deb"
cp "$server_deb" "$root/tmp/debs/nut-rs-server.deb"
need_pkg ip iproute2 || { fail "iproute2" "ip is needed to bring up loopback in the test's network namespace"; finish; }
need_pkg unshare util-linux || { fail "unshare" "unshare (util-linux) is needed"; finish; }

# Everything in the chroot runs in new pid, mount and network namespaces:
# the daemons die with it, its /proc and /dev mounts vanish with it, and its
# 127.0.0.1 is its own (no clash with anything listening on this machine).
log "chroot test in $root (port $port)"
timeout 300 unshare --fork --kill-child --pid --mount --net --mount-proc \
    bash "$0" --inner "$root" "$port" nut-rs-client.deb nut-rs-server.deb > "$work/inner.log" 2>&1
rc=$?
# The inner run prints "ok ..." and "FAIL ..." lines; count them here.
while IFS= read -r line; do
    case "$line" in
        "ok   "*) passed=$((passed + 1)); echo "$line" ;;
        "FAIL "*) failed=$((failed + 1)); failures+=("${line#FAIL }"); echo "$line" ;;
        "       "*) echo "$line" ;;
    esac
done < "$work/inner.log"
if [ $rc -eq 124 ]; then
    fail "chroot test" "stopped after 300 s (see $work/inner.log with --keep)"
elif [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$work/inner.log"; then
    fail "chroot test" "exited with status $rc; the end of its output:"$'\n'"$(tail -n 20 "$work/inner.log")"
fi
finish
