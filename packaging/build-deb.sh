#!/usr/bin/env bash
# Builds the Debian packages of our NUT programs, laid out where Debian's
# NUT 2.8.0 packages put theirs, so that ours install over them:
#
#   nut-rs-client  replaces nut-client: upsmon, upssched, upsc, upscmd, upsrw,
#                  nut.conf, upsmon.conf, upssched.conf, nut-monitor.service
#   nut-rs-server  replaces nut-server: upsd, upsdrvctl, the drivers, ups.conf,
#                  upsd.conf, upsd.users, nut-server.service, nut-driver@.service,
#                  udev rules, the system-shutdown hook
#
#   packaging/build-deb.sh [--no-build] [--strict] [--out DIR]
#
#   --no-build   package the binaries already in $CARGO_TARGET_DIR/release
#   --strict     fail when a program or sample config is missing (the default
#                builds with whatever exists and lists what is missing)
#   --out DIR    where the .deb files go (default $CARGO_TARGET_DIR/debian)
#
# Environment: CARGO_TARGET_DIR (default <repo>/target-pkg, apart from the
# debug builds everyone else uses), DEB_VERSION (default: workspace version
# plus git revision), NUT_RS_MAINTAINER, PKG_PROFILE (release, the default,
# or debug: package the debug build, stripped; scripts/test.sh does this to
# test the packages without a second, optimised build of everything).
#
# Plain dpkg-deb, no cargo-deb: two packages with maintainer scripts, units
# and conffiles laid out by hand are simpler to read here than in
# Cargo.toml metadata, and nothing has to be installed to build them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

build=true
strict=false
out=
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=false ;;
        --strict) strict=true ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-deb: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target-pkg}
out=${out:-$CARGO_TARGET_DIR/debian}
profile=${PKG_PROFILE:-release}
case "$profile" in
    release) profile_flag=(--release) ;;
    debug) profile_flag=() ;;
    *) echo "build-deb: PKG_PROFILE must be release or debug, not '$profile'" >&2; exit 2 ;;
esac
bindir=$CARGO_TARGET_DIR/$profile

say() { echo "build-deb: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in dpkg-deb base64 md5sum gzip; do
    command -v "$tool" > /dev/null || die "$tool is needed (apt-get install dpkg coreutils gzip)"
done

# ---------------------------------------------------------------- what goes where
# program  package  installed path          crate that builds it
programs=(
    "upsd       server /lib/nut/upsd       upsd"
    "dummy-ups  server /lib/nut/dummy-ups  dummy-ups"
    "usbhid-ups server /lib/nut/usbhid-ups usbhid-ups"
    "nut-scanner server /bin/nut-scanner   usbhid-ups"
    "upsdrvctl  server /sbin/upsdrvctl     upsdrvctl"
    "upsmon     client /lib/nut/upsmon     upsmon"
    "upssched   client /sbin/upssched      upssched"
    "upsc       client /bin/upsc           nut-cli"
    "upscmd     client /bin/upscmd         nut-cli"
    "upsrw      client /bin/upsrw          nut-cli"
    "nut-check  client /bin/nut-check      nut-check"
)
# sample config  package  (from etc/<name>, installed as /etc/nut/<name>)
samples=(
    "nut.conf      client"
    "upsmon.conf   client"
    "upssched.conf client"
    "ups.conf      server"
    "upsd.conf     server"
    "upsd.users    server"
)
client_units="nut-monitor.service nut.target"
server_units="nut-driver-enumerator.path nut-driver-enumerator.service nut-driver.target nut-server.service"

pkgname() { echo "nut-rs-$1"; }

# ---------------------------------------------------------------- version
ws_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$ws_version" ] || die "no version in [workspace.package] of Cargo.toml"
if [ -z "${DEB_VERSION:-}" ]; then
    if rev=$(git rev-parse --short=8 HEAD 2> /dev/null); then
        DEB_VERSION="$ws_version~git$(git rev-list --count HEAD).$rev"
    else
        DEB_VERSION=$ws_version
    fi
fi
arch=$(dpkg --print-architecture)
build_epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2> /dev/null || date +%s)}
maintainer=${NUT_RS_MAINTAINER:-NUT in Rust developers <nut-rs@example.org>}

# ---------------------------------------------------------------- cargo build
if $build; then
    crates=()
    for p in "${programs[@]}"; do
        set -- $p
        [ -f "crates/$4/Cargo.toml" ] || continue
        case " ${crates[*]:-} " in *" $4 "*) ;; *) crates+=("$4") ;; esac
    done
    say "cargo build ${profile_flag[*]:-} (target dir $CARGO_TARGET_DIR): ${crates[*]}"
    args=()
    for c in "${crates[@]}"; do args+=(-p "$c"); done
    if ! cargo build "${profile_flag[@]}" --bins "${args[@]}"; then
        # One crate that does not build yet must not keep the others out.
        say "the combined build failed; building crate by crate"
        for c in "${crates[@]}"; do
            cargo build "${profile_flag[@]}" --bins -p "$c" || say "crate $c does not build: its programs are left out"
        done
    fi
fi

# ---------------------------------------------------------------- staging
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/client" "$stage/server" "$out"
missing=()

put() { # put ROLE SOURCE DEST MODE
    install -D -m "$4" "$2" "$stage/$1$3"
}

for p in "${programs[@]}"; do
    set -- $p
    if [ -x "$bindir/$1" ]; then
        put "$2" "$bindir/$1" "$3" 0755
        # release builds are stripped by the profile; a debug build is not
        [ "$profile" = release ] || strip --strip-unneeded "$stage/$2$3"
    else
        missing+=("program $1 (crate $4; expected $bindir/$1)")
    fi
done

# MODE wrappers, driver instances, shutdown hook
put server "$here/sbin/upsd" /sbin/upsd 0755
put client "$here/sbin/upsmon" /sbin/upsmon 0755
put client "$here/bin/upssched-cmd" /bin/upssched-cmd 0755
put server "$here/libexec/nut-driver-enumerator.sh" /usr/libexec/nut-driver-enumerator.sh 0755
put server "$here/system-shutdown/nutshutdown" /lib/systemd/system-shutdown/nutshutdown 0755

# systemd units
for u in $client_units; do put client "$here/systemd/$u" "/lib/systemd/system/$u" 0644; done
for u in $server_units nut-driver@.service; do put server "$here/systemd/$u" "/lib/systemd/system/$u" 0644; done
# Debian's second name for the monitor.
ln -s nut-monitor.service "$stage/client/lib/systemd/system/nut-client.service"

# tmpfiles.d: the client package is in every installation.
mkdir -p "$stage/client/usr/lib/tmpfiles.d"
cat > "$stage/client/usr/lib/tmpfiles.d/nut-client.conf" <<'EOF'
# Driver sockets and pid files of Network UPS Tools: root and the nut group.
d /run/nut 0770 root nut - -
EOF

# /var/lib/nut: the nut user's home, as in Debian.
mkdir -p "$stage/client/var/lib/nut"

# udev rules from the USB id list
gen_udev_rules() {
    echo "# USB UPSes that usbhid-ups can drive: group nut may use them."
    echo "# Generated by packaging/build-deb.sh from packaging/usb-ids.txt; do not edit."
    echo
    echo 'ACTION=="remove", GOTO="nut_rs_usbups_end"'
    echo 'SUBSYSTEM!="usb", SUBSYSTEM!="usb_device", GOTO="nut_rs_usbups_end"'
    echo
    local vid pid sub
    while read -r vid pid sub; do
        case "$vid" in ''|'#'*) continue ;; esac
        [[ $vid =~ ^[0-9a-f]{4}$ && $pid =~ ^[0-9a-f]{4}$ ]] ||
            die "usb-ids.txt: bad line '$vid $pid $sub' (want 4 lowercase hex digits each)"
        echo "# ${sub:-usbhid-ups}"
        echo "ATTR{idVendor}==\"$vid\", ATTR{idProduct}==\"$pid\", MODE=\"0664\", GROUP=\"nut\""
    done < "$here/usb-ids.txt"
    echo
    echo 'LABEL="nut_rs_usbups_end"'
}
# TODO: generate from crates/nut-hid once it exposes its id tables.
mkdir -p "$stage/server/lib/udev/rules.d"
gen_udev_rules > "$stage/server/lib/udev/rules.d/62-nut-usbups.rules"

# sample configuration: conffiles in /etc/nut
client_conffiles=()
server_conffiles=()
for s in "${samples[@]}"; do
    set -- $s
    src=
    for cand in "etc/$1" "etc/$1.sample"; do
        [ -f "$cand" ] && { src=$cand; break; }
    done
    if [ -z "$src" ]; then
        missing+=("sample etc/$1")
        continue
    fi
    put "$2" "$src" "/etc/nut/$1" 0640
    if [ "$2" = client ]; then client_conffiles+=("/etc/nut/$1"); else server_conffiles+=("/etc/nut/$1"); fi
done
# Any other file at the top of etc/ belongs with the samples (the dummy-ups
# data file that the sample ups.conf names): a server conffile too.
for f in etc/*; do
    [ -f "$f" ] || continue
    name=${f#etc/}
    case " ${samples[*]} " in *" ${name%.sample} "*) continue ;; esac
    put server "$f" "/etc/nut/$name" 0640
    server_conffiles+=("/etc/nut/$name")
done
# etc/examples/: other setups, as documentation in the client package (the
# one every machine has).
if [ -d etc/examples ]; then
    (cd etc/examples && find . -type f) | while IFS= read -r f; do
        put client "etc/examples/$f" "/usr/share/doc/$(pkgname client)/examples/${f#./}" 0644
    done
fi

# Variable and command descriptions for upsd (GET DESC, GET CMDDESC), if
# the project writes its own: NUT's cmdvartab leaves with nut-server.
if [ -f data/cmdvartab ]; then
    put server data/cmdvartab /usr/share/nut/cmdvartab 0644
fi

# manual pages from man/: NUT's split (client programs and their files in
# the client package, the rest in the server package)
client_man=" upsc.8 upscmd.8 upsrw.8 upsmon.8 upssched.8 nut-check.8 nut.conf.5 upsmon.conf.5 upssched.conf.5 "
for m in man/*.[1-8]; do
    [ -f "$m" ] || continue
    name=${m#man/}
    role=server
    case "$client_man" in *" $name "*) role=client ;; esac
    mkdir -p "$stage/$role/usr/share/man/man${name##*.}"
    gzip -9n < "$m" > "$stage/$role/usr/share/man/man${name##*.}/$name.gz"
done

# lintian: what is deliberate
for role in client server; do
    pkg=$(pkgname "$role")
    ov=$stage/$role/usr/share/lintian/overrides/$pkg
    mkdir -p "${ov%/*}"
    {
        echo "# As in NUT: upsd.users holds passwords; all of /etc/nut is root:nut 0640."
        echo "$pkg: non-standard-file-perm 0640 != 0644 [etc/nut/*]"
        echo "# NUT's own targets, with NUT's names."
        echo "$pkg: systemd-service-file-refers-to-unusual-wantedby-target nut*.target [*]"
        # programs whose manual page is not written yet
        for p in "${programs[@]}" "upsd server /sbin/upsd -" "upsmon client /sbin/upsmon -"; do
            set -- $p
            [ "$2" = "$role" ] || continue
            case "$3" in /lib/nut/*) continue ;; esac
            [ -e "$stage/$role$3" ] || continue
            ls "$stage/$role"/usr/share/man/man*/"$1".[1-8].gz > /dev/null 2>&1 && continue
            echo "$pkg: no-manual-page [${3#/}]"
        done
        if [ "$role" = server ]; then
            echo "$pkg: no-manual-page [usr/libexec/nut-driver-enumerator.sh]"
        else
            echo "$pkg: no-manual-page [bin/upssched-cmd]"
        fi
    } > "$ov"
done

# documentation every Debian package carries
for role in client server; do
    pkg=$(pkgname "$role")
    doc=$stage/$role/usr/share/doc/$pkg
    mkdir -p "$doc"
    cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $pkg
Comment: A Rust implementation of the programs of Network UPS Tools, written
 to behave like NUT 2.8.0. No code of NUT is included.

Files: *
Copyright: $(date -u +%Y -d "@$build_epoch") the $pkg developers
License: GPL-2+

License: GPL-2+
 This program is free software; you can redistribute it and/or modify it
 under the terms of the GNU General Public License as published by the Free
 Software Foundation; either version 2 of the License, or (at your option)
 any later version.
 .
 On Debian systems the full text of the GNU General Public License version 2
 is in /usr/share/common-licenses/GPL-2.
EOF
    {
        echo "$pkg ($DEB_VERSION) unstable; urgency=medium"
        echo
        echo "  * Snapshot of commit $(git rev-parse --short=12 HEAD 2> /dev/null || echo unknown)."
        echo
        echo " -- $maintainer  $(date -R -d "@$build_epoch")"
    } | gzip -9n > "$doc/changelog.gz"
done
install -D -m 0644 "$here/README.md" "$stage/server/usr/share/doc/$(pkgname server)/README.md"

# ---------------------------------------------------------------- maintainer scripts
# Substitutes @NAME@ placeholders: PKG, CONFFILES, UNITS, COMMON, TAKEOVER, ROLE_CONFIGURE.
render() { # render TEMPLATE ROLE CONFFILES... > script
    local tmpl=$1 role=$2
    shift 2
    local pkg units common takeover role_configure f
    pkg=$(pkgname "$role")
    if [ "$role" = client ]; then units=$client_units; else units=$server_units; fi
    common=$(sed -e "s|@PKG@|$pkg|g" -e "s|@UNITS@|$units|" "$here/debian/common.sh.in")
    takeover=
    for f in "$@"; do
        takeover+="            take_over $f <<'NUT_RS_SAMPLE'"$'\n'
        takeover+=$(base64 -w 76 "$stage/$role$f")$'\n'
        takeover+="NUT_RS_SAMPLE"$'\n'
    done
    [ -n "$takeover" ] || takeover="            :"$'\n'
    if [ "$role" = server ]; then
        role_configure='        # Let udev apply the rules for UPSes already plugged in.
        if [ -S /run/udev/control ] && command -v udevadm > /dev/null; then
            udevadm control --reload-rules || true
            udevadm trigger --subsystem-match=usb --action=change || true
        fi'
    else
        role_configure='        :'
    fi
    awk -v common="$common" -v takeover="${takeover%$'\n'}" -v rc="$role_configure" -v pkg="$pkg" -v conffiles="$*" '
        $0 == "@COMMON@" { print common; next }
        $0 == "@TAKEOVER@" { print takeover; next }
        $0 == "@ROLE_CONFIGURE@" { print rc; next }
        { gsub(/@PKG@/, pkg); gsub(/@CONFFILES@/, conffiles); print }
    ' "$tmpl"
}

# ---------------------------------------------------------------- shared library dependencies
# dpkg-shlibdeps wants a debian/control; give it a throwaway one.
shlib_depends() { # shlib_depends ROLE
    local role=$1 elfs=() f tmp deps
    while IFS= read -r -d '' f; do
        if head -c 4 "$f" | grep -q $'^\x7fELF'; then elfs+=("$f"); fi
    done < <(find "$stage/$role" -type f -perm -u+x -print0)
    [ ${#elfs[@]} -gt 0 ] || return 0
    if command -v dpkg-shlibdeps > /dev/null; then
        tmp=$(mktemp -d)
        mkdir "$tmp/debian"
        printf 'Source: x\n\nPackage: x\nArchitecture: any\n' > "$tmp/debian/control"
        deps=$(cd "$tmp" && dpkg-shlibdeps -O "${elfs[@]}" 2> /dev/null | sed -n 's/^shlibs:Depends=//p') || deps=
        rm -rf "$tmp"
        [ -n "$deps" ] && { echo "$deps"; return 0; }
    fi
    say "dpkg-shlibdeps unavailable or failed; assuming only libc6"
    echo "libc6"
}

# ---------------------------------------------------------------- control files and .deb
build_pkg() { # build_pkg ROLE CONFFILES...
    local role=$1
    shift
    local pkg root deps size
    pkg=$(pkgname "$role")
    root=$stage/$role
    mkdir -p "$root/DEBIAN"
    for s in preinst postinst prerm postrm; do
        render "$here/debian/$s.in" "$role" "$@" > "$root/DEBIAN/$s"
        chmod 0755 "$root/DEBIAN/$s"
        sh -n "$root/DEBIAN/$s" || die "generated $s of $pkg is not valid sh"
    done
    # Purging NUT's package (left in "config-files" state when ours replaced
    # it) disables units with our names; its init script going away tells
    # our postinst to enable them again.
    echo "interest-noawait /etc/init.d/nut-$role" > "$root/DEBIAN/triggers"
    : > "$root/DEBIAN/conffiles"
    for f in "$@"; do echo "$f" >> "$root/DEBIAN/conffiles"; done
    [ -s "$root/DEBIAN/conffiles" ] || rm "$root/DEBIAN/conffiles"

    deps=$(shlib_depends "$role")
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    {
        echo "Package: $pkg"
        echo "Version: $DEB_VERSION"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $size"
        echo "Section: admin"
        echo "Priority: optional"
        if [ "$role" = client ]; then
            echo "Depends: ${deps:+$deps, }adduser, init-system-helpers (>= 1.54~)"
            echo "Suggests: python3-nut"
            echo "Provides: nut-client (= 2.8.0), ups-monitor"
            echo "Conflicts: nut-client, ups-monitor"
            echo "Replaces: nut-client, ups-monitor"
            echo "Description: Network UPS Tools clients, in Rust (upsmon, upsc, upscmd, upsrw)"
            echo " A drop-in replacement for Debian's nut-client 2.8.0: the same programs,"
            echo " files, configuration and systemd units, written in Rust. It installs over"
            echo " nut-client and keeps the configuration in /etc/nut as it is."
        else
            echo "Depends: ${deps:+$deps, }$(pkgname client) (= $DEB_VERSION), adduser, init-system-helpers (>= 1.54~)"
            echo "Recommends: udev"
            echo "Provides: nut-server (= 2.8.0)"
            echo "Conflicts: nut-server"
            echo "Replaces: nut-server"
            echo "Description: Network UPS Tools server and drivers, in Rust (upsd, upsdrvctl)"
            echo " A drop-in replacement for Debian's nut-server 2.8.0: upsd, upsdrvctl and"
            echo " the dummy-ups and usbhid-ups drivers with the same files, configuration"
            echo " and systemd units, written in Rust. It installs over nut-server and keeps"
            echo " the configuration in /etc/nut as it is."
        fi
    } > "$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0r md5sum |
        sed 's|  \./|  |') > "$root/DEBIAN/md5sums"
    local deb=$out/${pkg}_${DEB_VERSION}_${arch}.deb
    rm -f "$out/${pkg}"_*.deb
    dpkg-deb --build -Zxz --root-owner-group "$root" "$deb" > /dev/null
    echo "$deb"
}

build_pkg client "${client_conffiles[@]}"
build_pkg server "${server_conffiles[@]}"

if [ ${#missing[@]} -gt 0 ]; then
    say "NOT in the packages (not built or not written yet):"
    for m in "${missing[@]}"; do say "  - $m"; done
    $strict && die "--strict: refusing to build incomplete packages"
fi
exit 0
