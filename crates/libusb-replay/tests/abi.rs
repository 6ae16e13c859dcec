//! The C interface checked from outside: the library exports every function
//! the installed libusb-1.0 exports (a program linked with `-z now`, as
//! NUT's driver and Rust binaries are, resolves all its imports at load),
//! and a C program compiled against the installed `libusb.h` sees the
//! right struct layouts, data, timeouts and scripted faults.

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SYSTEM_LIBUSB: &str = "/lib/x86_64-linux-gnu/libusb-1.0.so.0";

fn exported(lib: &Path) -> Option<Vec<String>> {
    let o = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
        .ok()?;
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|n| n.starts_with("libusb_"))
        .map(str::to_string)
        .collect();
    v.sort();
    Some(v)
}

#[test]
fn exports_every_function_of_the_installed_libusb() {
    let ours = exported(&replay_cdylib()).expect("nm works on our library");
    let Some(theirs) =
        exported(Path::new(SYSTEM_LIBUSB)).filter(|_| Path::new(SYSTEM_LIBUSB).exists())
    else {
        panic!("no {SYSTEM_LIBUSB} to compare with (scripts/install-deps.sh installs what this test needs)");
    };
    let missing: Vec<&String> = theirs.iter().filter(|f| !ours.contains(f)).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}");
    println!(
        "{} libusb functions exported, same set as {SYSTEM_LIBUSB}",
        ours.len()
    );
}

const PROBE: &str = r#"
#include <libusb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(void) {
    libusb_context *ctx = NULL;
    libusb_device **list;
    const struct libusb_version *v = libusb_get_version();
    printf("version %u.%u.%u\n", v->major, v->minor, v->micro);
    printf("init %d\n", libusb_init(&ctx));
    ssize_t n = libusb_get_device_list(ctx, &list);
    printf("devices %zd\n", n);
    if (n != 1) return 1;
    libusb_device *dev = list[0];
    struct libusb_device_descriptor dd;
    int rc = libusb_get_device_descriptor(dev, &dd);
    printf("devdesc %d %04x:%04x len %u mfr %u prod %u ser %u\n", rc,
           dd.idVendor, dd.idProduct, dd.bLength, dd.iManufacturer, dd.iProduct, dd.iSerialNumber);
    printf("bus %u address %u\n", libusb_get_bus_number(dev), libusb_get_device_address(dev));
    struct libusb_config_descriptor *cfg;
    rc = libusb_get_config_descriptor(dev, 0, &cfg);
    const struct libusb_interface_descriptor *alt = &cfg->interface[0].altsetting[0];
    printf("config %d total %u ifaces %u class %u eps %u ep 0x%02x maxp %u extra %d type 0x%02x replen %u\n", rc,
           cfg->wTotalLength, cfg->bNumInterfaces, alt->bInterfaceClass, alt->bNumEndpoints,
           alt->endpoint[0].bEndpointAddress, alt->endpoint[0].wMaxPacketSize, alt->extra_length, alt->extra[1],
           alt->extra[7] | (alt->extra[8] << 8));
    libusb_free_config_descriptor(cfg);
    libusb_device_handle *h;
    printf("open %d\n", libusb_open(dev, &h));
    libusb_free_device_list(list, 1);
    printf("claim %d\n", libusb_claim_interface(h, 0));
    unsigned char s[128];
    rc = libusb_get_string_descriptor_ascii(h, dd.iProduct, s, sizeof s);
    printf("product %d [%s]\n", rc, s);
    unsigned char buf[64];
    rc = libusb_control_transfer(h, 0xa1, 0x01, 0x030c, 0, buf, sizeof buf, 1000);
    printf("getreport %d:", rc);
    for (int i = 0; i < rc; i++) printf(" %02x", buf[i]);
    printf("\n");
    int got = -1;
    rc = libusb_interrupt_transfer(h, 0x81, buf, sizeof buf, &got, 500);
    printf("interrupt %d %d:", rc, got);
    for (int i = 0; i < got; i++) printf(" %02x", buf[i]);
    printf("\n");
    double t = now();
    rc = libusb_interrupt_transfer(h, 0x81, buf, sizeof buf, &got, 300);
    printf("interrupt-timeout %d %s %.2f\n", rc, libusb_error_name(rc), now() - t);
    usleep(1500000);
    rc = libusb_control_transfer(h, 0xa1, 0x01, 0x030c, 0, buf, sizeof buf, 1000);
    printf("after-unplug %d %s\n", rc, libusb_error_name(rc));
    libusb_close(h);
    libusb_exit(ctx);
    return 0;
}
"#;

#[test]
fn a_c_program_sees_libusb_layouts_and_the_recorded_device() {
    if Command::new("gcc").arg("--version").output().is_err()
        || !Path::new("/usr/include/libusb-1.0/libusb.h").exists()
    {
        panic!("needs gcc and the libusb-1.0 headers (scripts/install-deps.sh installs what this test needs)");
    }
    let sb = Sandbox::new("abi");
    std::os::unix::fs::symlink(replay_cdylib(), sb.path("lib/libusb-1.0.so")).expect("link name");
    fs::write(sb.path("probe.c"), PROBE).expect("probe source");
    let cc = Command::new("gcc")
        .arg("-I/usr/include/libusb-1.0")
        .arg(sb.path("probe.c"))
        .arg("-o")
        .arg(sb.path("probe"))
        .arg(format!("-L{}", sb.path("lib").display()))
        .arg("-lusb-1.0")
        .output()
        .expect("gcc");
    assert!(
        cc.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let script = sb.path("script");
    fs::write(&script, "at 0s input 0c 32 00 00 10 0a\nat 1.2s unplug\n").expect("script");
    let capture = corpus_hid().join("apc-back-ups-cs-500.txt");
    let r = run(
        sb.command(
            sb.path("probe").to_str().unwrap(),
            &capture,
            Some(&script),
            &sb.path("usb.log"),
        ),
        &sb.dir,
        "probe",
        Duration::from_secs(30),
    );
    assert!(
        r.status.is_some_and(|s| s.success()),
        "probe failed: {}{}",
        r.stdout,
        r.stderr
    );
    let out = r.stdout;
    for want in [
        "version 1.0.26",
        "init 0",
        "devices 1",
        "devdesc 0 051d:0002 len 18 mfr 3 prod 1 ser 2",
        "bus 1 address 2",
        "config 0 total 34 ifaces 1 class 3 eps 1 ep 0x81 maxp 8 extra 9 type 0x21 replen 374",
        "open 0",
        "claim 0",
        "product 34 [Back-UPS 500 FW: 6.5.I USB FW: c1 ]",
        "getreport 6: 0c 64 00 00 14 0a",
        "interrupt 0 6: 0c 32 00 00 10 0a",
        "interrupt-timeout -7 LIBUSB_ERROR_TIMEOUT 0.3",
        "after-unplug -4 LIBUSB_ERROR_NO_DEVICE",
    ] {
        assert!(out.contains(want), "missing '{want}' in:\n{out}");
    }
    let log = fs::read_to_string(sb.path("usb.log")).unwrap_or_default();
    assert!(
        log.contains("libusb_get_string_descriptor_ascii(1) = 34"),
        "call log:\n{log}"
    );
}
