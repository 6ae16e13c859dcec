//! `nut-scanner`, USB part: list the HID UPSes that are plugged in and
//! print a ready `ups.conf` section for each, in NUT 2.8.0's layout:
//!
//! ```text
//! [nutdev1]
//! <TAB>driver = "usbhid-ups"
//! <TAB>port = "auto"
//! <TAB>vendorid = "051D"
//! ...
//! ```
//!
//! A device is listed when one of usbhid-ups' subdrivers supports its
//! VID:PID (the same table the driver uses), so what the scanner shows is
//! what the driver will take without extra options.

use std::io::Write;
use std::process::ExitCode;

use nut_hid::{DeviceMatch, SubdriverId};

use crate::transport::{DeviceInfo, OpenError, Opener};

/// One device found, with its options in NUT's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Driver to use.
    pub driver: &'static str,
    /// `(name, value)` after `driver`: port, vendorid, productid,
    /// product, serial, vendor, bus (absent strings left out).
    pub options: Vec<(&'static str, String)>,
}

/// Whether usbhid-ups takes this device without `productid`.
pub fn supported(info: &DeviceInfo) -> bool {
    let m = DeviceMatch {
        vendor_id: info.vendor_id,
        product_id: info.product_id,
        manufacturer: info.manufacturer.as_deref(),
        product: info.product.as_deref(),
        productid_given: false,
        explore: false,
    };
    SubdriverId::select(&m).is_ok()
}

/// The scan result for a list of devices.
pub fn found(devices: &[DeviceInfo]) -> Vec<Found> {
    devices
        .iter()
        .filter(|d| supported(d))
        .map(|d| {
            let mut options = vec![
                ("port", "auto".to_string()),
                ("vendorid", format!("{:04X}", d.vendor_id)),
                ("productid", format!("{:04X}", d.product_id)),
            ];
            // The scanner drops trailing blanks (the driver keeps them).
            for (k, v) in [("product", &d.product), ("serial", &d.serial), ("vendor", &d.manufacturer)] {
                if let Some(v) = v {
                    options.push((k, v.trim_end().to_string()));
                }
            }
            options.push(("bus", d.bus.clone()));
            Found { driver: "usbhid-ups", options }
        })
        .collect()
}

/// `ups.conf` sections, numbered from `nutdev1`.
pub fn render_conf(found: &[Found]) -> String {
    let mut s = String::new();
    for (i, f) in found.iter().enumerate() {
        s.push_str(&format!("[nutdev{}]\n\tdriver = \"{}\"\n", i + 1, f.driver));
        for (k, v) in &f.options {
            s.push_str(&format!("\t{k} = \"{v}\"\n"));
        }
    }
    s
}

/// One `USB:driver="...",port="..."` line per device (`-P`).
pub fn render_parsable(found: &[Found]) -> String {
    let mut s = String::new();
    for f in found {
        s.push_str(&format!("USB:driver=\"{}\"", f.driver));
        for (k, v) in &f.options {
            s.push_str(&format!(",{k}=\"{v}\""));
        }
        s.push('\n');
    }
    s
}

const HELP: &str = "nut-scanner : utility for detection of available power devices.

OPTIONS:
  -C, --complete_scan: Scan all available devices (this build: USB only).
  -U, --usb_scan: Scan USB devices.

display specific options:
  -N, --disp_nut_conf: Display result in the ups.conf format
  -P, --disp_parsable: Display result in a parsable format

Miscellaneous options:
  -V, --version: Display NUT version
  -a, --available: Display available bus that can be scanned
  -q, --quiet: Display only scan result. No information on currently scanned bus is displayed.
  -D, --nut_debug_level: Raise the debugging level.  Use this multiple times to see more details.
  -h, --help: Display this help text.
";

/// Scan with `opener` and print; the exit status.
pub fn scan(opener: Result<Box<dyn Opener>, OpenError>, parsable: bool, quiet: bool) -> ExitCode {
    if !quiet {
        eprintln!("Scanning USB bus.");
    }
    let devices = match opener.and_then(|mut o| o.enumerate()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("No USB device found: {e}");
            return ExitCode::from(1);
        }
    };
    if devices.is_empty() {
        eprintln!("No USB device found: no device on any USB bus");
        return ExitCode::from(1);
    }
    for d in &devices {
        nut_daemon::debugx!(1, "USB device {} on bus {} device {}", d.ids(), d.bus, d.device);
    }
    let f = found(&devices);
    let text = if parsable { render_parsable(&f) } else { render_conf(&f) };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// `nut-scanner` with `args` (program name first).
pub fn run(args: Vec<String>) -> ExitCode {
    let mut parsable = false;
    let mut quiet = false;
    let mut debug = 0u8;
    for a in args.iter().skip(1) {
        let words: Vec<String> = match a.strip_prefix("--") {
            Some(long) => vec![long.to_string()],
            None => match a.strip_prefix('-') {
                Some(short) if !short.is_empty() => short.chars().map(|c| c.to_string()).collect(),
                _ => {
                    eprintln!("nut-scanner: unexpected argument '{a}'. Try -h for help.");
                    return ExitCode::from(1);
                }
            },
        };
        for w in words {
            match w.as_str() {
                "U" | "usb_scan" | "C" | "complete_scan" => {}
                "N" | "disp_nut_conf" | "Q" | "disp_nut_conf_with_sanity_check" => parsable = false,
                "P" | "disp_parsable" => parsable = true,
                "q" | "quiet" => quiet = true,
                "D" | "nut_debug_level" => debug = debug.saturating_add(1),
                "V" | "version" => {
                    println!("Network UPS Tools - {}", nut_driver::NUT_VERSION);
                    return ExitCode::SUCCESS;
                }
                "a" | "available" => {
                    println!("USB");
                    return ExitCode::SUCCESS;
                }
                "h" | "help" => {
                    print!("{HELP}");
                    return ExitCode::SUCCESS;
                }
                other => {
                    eprintln!("nut-scanner: option '{other}' is not supported by this build (USB scanning only). Try -h for help.");
                    return ExitCode::from(1);
                }
            }
        }
    }
    nut_daemon::log::init(
        "nut-scanner",
        nut_daemon::log::LogOptions { debug_flags: debug, foreground: true },
    );
    let opener = crate::usb::UsbOpener::new().map(|o| Box::new(o) as Box<dyn Opener>);
    scan(opener, parsable, quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nut_layout() {
        let d = DeviceInfo {
            vendor_id: 0x051d,
            product_id: 0x0002,
            manufacturer: Some("American Power Conversion".into()),
            product: Some("Back-UPS 500 FW: 6.5.I USB FW: c1".into()),
            serial: Some("AB0427******".into()),
            bus: "001".into(),
            device: "002".into(),
            ..DeviceInfo::default()
        };
        let other = DeviceInfo { vendor_id: 0x10af, product_id: 0x0000, ..d.clone() };
        let f = found(&[other, d]);
        assert_eq!(
            render_conf(&f),
            "[nutdev1]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"051D\"\n\tproductid = \"0002\"\n\
             \tproduct = \"Back-UPS 500 FW: 6.5.I USB FW: c1\"\n\tserial = \"AB0427******\"\n\
             \tvendor = \"American Power Conversion\"\n\tbus = \"001\"\n"
        );
        assert_eq!(
            render_parsable(&f),
            "USB:driver=\"usbhid-ups\",port=\"auto\",vendorid=\"051D\",productid=\"0002\",\
             product=\"Back-UPS 500 FW: 6.5.I USB FW: c1\",serial=\"AB0427******\",\
             vendor=\"American Power Conversion\",bus=\"001\"\n"
        );
    }
}
