#!/bin/sh
# Keeps one nut-driver@<instance>.service per [section] of ups.conf, and maps
# instance names back to sections for nut-driver@.service.
#
#   nut-driver-enumerator.sh                       enable and start an instance
#                                                  for every section, stop and
#                                                  disable the others
#   nut-driver-enumerator.sh --get-device-for-service INSTANCE
#   nut-driver-enumerator.sh --list-devices
#   nut-driver-enumerator.sh --list-services-for-devices
#
# Instance names are the ones Debian's NUT 2.8.0 packages use: the section
# name itself when systemd accepts it in a unit name, otherwise "MD5_" and
# the md5 of the name followed by a newline. So instances that those
# packages enabled keep working after ours replace them.
# Part of the Rust implementation of Network UPS Tools (packaging/README.md).
set -u

confdir=${NUT_CONFPATH:-/etc/nut}
upsconf=$confdir/ups.conf
wantsdir=/etc/systemd/system/nut-driver.target.wants

# Section names of ups.conf, one a line, in file order.
sections() {
    [ -r "$upsconf" ] || { echo "$0: cannot read $upsconf" >&2; return 1; }
    sed -n -e 's/^[[:space:]]*\[\([^]]*\)\].*$/\1/p' "$upsconf"
}

# The instance name for one section.
instance_for() {
    case "$1" in
        *[!A-Za-z0-9:_.-]*|'') printf 'MD5_%s\n' "$(printf '%s\n' "$1" | md5sum | cut -d' ' -f1)" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# "nut-driver@X.service", "nut-driver@X" or "X" -> "X"
bare_instance() {
    i=${1#*@}
    printf '%s\n' "${i%.service}"
}

device_for_service() {
    want=$(bare_instance "$1")
    list=$(sections) || return 1
    # Read from a here-document, not a pipe, so the loop can return.
    while IFS= read -r dev; do
        [ -n "$dev" ] || continue
        if [ "$(instance_for "$dev")" = "$want" ]; then
            printf '%s\n' "$dev"
            return 0
        fi
    done <<LIST
$list
LIST
    echo "No section of $upsconf matches service instance '$want'" >&2
    return 1
}

reconcile() {
    list=$(sections) || return 1
    have_systemd=false
    [ -d /run/systemd/system ] && have_systemd=true
    wanted=
    while IFS= read -r dev; do
        [ -n "$dev" ] || continue
        inst=$(instance_for "$dev")
        wanted="$wanted nut-driver@$inst.service"
        [ -e "$wantsdir/nut-driver@$inst.service" ] && continue
        if $have_systemd; then
            systemctl enable "nut-driver@$inst.service" &&
                systemctl start --no-block "nut-driver@$inst.service" &&
                echo "Started nut-driver@$inst.service for UPS [$dev]" >&2
        else
            systemctl enable "nut-driver@$inst.service" 2>/dev/null ||
                echo "Would enable nut-driver@$inst.service for UPS [$dev] (systemd is not running)" >&2
        fi
    done <<LIST
$list
LIST
    [ -d "$wantsdir" ] || return 0
    for link in "$wantsdir"/nut-driver@*.service; do
        [ -e "$link" ] || [ -L "$link" ] || continue
        unit=${link##*/}
        case " $wanted " in *" $unit "*) continue ;; esac
        echo "Removing $unit: its section is gone from $upsconf" >&2
        if $have_systemd; then
            systemctl stop "$unit" || true
        fi
        systemctl disable "$unit" || rm -f "$link"
    done
    return 0
}

case "${1:-}" in
    '') reconcile ;;
    --get-device-for-service)
        [ $# -ge 2 ] || { echo "usage: $0 --get-device-for-service INSTANCE" >&2; exit 2; }
        device_for_service "$2" ;;
    --list-devices) sections ;;
    --list-services-for-devices)
        list=$(sections) || exit 1
        printf '%s\n' "$list" | while IFS= read -r dev; do
            [ -n "$dev" ] && printf 'nut-driver@%s.service\t%s\n' "$(instance_for "$dev")" "$dev"
        done
        ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "$0: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac
