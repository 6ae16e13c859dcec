//! Who the served device says it is: VID/PID, release number and the
//! manufacturer/product/serial strings. Taken, best first, from the USB
//! strings NUT logged in the paired nut-ddl `.dev` (`[D2] - Product: …`),
//! that dump's variables, the capture's `[values-at-capture]`, then the
//! capture's `# device:` header line. Pure: works on text.

use nut_hid::corpus::{Capture, DevDump};

/// Identity of the served device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// bcdDevice.
    pub bcd_device: u16,
    /// Manufacturer string, if the device has one.
    pub manufacturer: Option<String>,
    /// Product string, if the device has one.
    pub product: Option<String>,
    /// Serial number string, if the device has one.
    pub serial: Option<String>,
    /// Battery chemistry text for iDeviceChemistry.
    pub chemistry: String,
    /// Firmware version text for iVersion (from the header's `FW x`).
    pub firmware: Option<String>,
    /// Where each string came from, for the log.
    pub source: String,
}

/// The `# device:` header line split up: (vendor, model, bcdDevice, firmware).
fn header_device(text: &str) -> (Option<String>, Option<String>, Option<u16>, Option<String>) {
    let Some(line) = text
        .lines()
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("device:"))
    else {
        return (None, None, None, None);
    };
    let vendor = line
        .split("vid:pid")
        .next()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let model_full = line.split_once("model:").map(|(_, m)| m.trim().to_string());
    let model = model_full
        .as_ref()
        .map(|m| m.split(" (").next().unwrap_or(m).trim().to_string())
        .filter(|m| !m.is_empty());
    let bcd = model_full.as_ref().and_then(|m| {
        let i = m.find("bcdDevice ")?;
        u16::from_str_radix(m[i + 10..].get(..4)?, 16).ok()
    });
    let firmware = model_full.as_ref().and_then(|m| {
        let i = m.find("FW ")?;
        let fw: String = m[i + 3..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != ',' && *c != ')')
            .collect();
        (!fw.is_empty()).then_some(fw)
    });
    (vendor, model, bcd, firmware)
}

/// Path of the paired `.dev` named in the capture's `paired-nut-ddl:`
/// header, relative to the folder that holds `corpus/`.
pub fn paired_dev_path(capture: &Capture) -> Option<String> {
    capture
        .paired_note
        .split_whitespace()
        .find(|w| w.starts_with("corpus/") && w.ends_with(".dev"))
        .map(str::to_string)
}

/// A USB string NUT printed while matching (`[D2] - Product: X`); the text
/// after the label is kept as logged, trailing spaces included.
fn logged_string(dev: &DevDump, label: &str) -> Option<String> {
    let tag = format!("] - {label}: ");
    dev.comments
        .iter()
        .find_map(|c| c.find(&tag).map(|i| c[i + tag.len()..].to_string()))
        .filter(|s| !s.trim().is_empty())
}

fn dev_var(dev: &DevDump, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| dev.get(n))
        .map(str::to_string)
        .filter(|v| !v.trim().is_empty())
}

/// Work out the identity. `paired` is the paired `.dev` text, used only if
/// its `ups.vendorid`/`ups.productid` agree with the capture's IDs.
pub fn identity(capture: &Capture, capture_text: &str, paired: Option<&str>) -> Identity {
    let vendor_id = capture.vendor_id.unwrap_or(0);
    let product_id = capture.product_id.unwrap_or(0);
    let (h_vendor, h_model, h_bcd, firmware) = header_device(capture_text);
    let no_strings = h_vendor
        .as_deref()
        .is_some_and(|v| v.contains("no strings"));
    let dev = paired.map(DevDump::parse).filter(|d| {
        let same = |name: &str, id: u16| match d.get(name) {
            Some(v) => u16::from_str_radix(v.trim(), 16).ok() == Some(id),
            None => true,
        };
        same("ups.vendorid", vendor_id) && same("ups.productid", product_id)
    });
    let at_capture = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| capture.values_at_capture.iter().find(|(k, _)| k == n))
            .map(|(_, v)| v.clone())
    };
    let mut source = Vec::new();
    let mut pick = |what: &str, candidates: Vec<(&str, Option<String>)>| -> Option<String> {
        let found = candidates
            .into_iter()
            .find_map(|(from, v)| v.map(|v| (from, v)));
        if let Some((from, _)) = &found {
            source.push(format!("{what} from {from}"));
        }
        found.map(|(_, v)| v)
    };
    let (manufacturer, product, serial) = if no_strings {
        (None, None, None)
    } else {
        let d = dev.as_ref();
        let m = pick(
            "manufacturer",
            vec![
                (
                    "the paired .dev log",
                    d.and_then(|d| logged_string(d, "Manufacturer")),
                ),
                (
                    "the paired .dev",
                    d.and_then(|d| dev_var(d, &["device.mfr", "ups.mfr"])),
                ),
                (
                    "[values-at-capture]",
                    at_capture(&["device.mfr", "ups.mfr"]),
                ),
                ("the header", h_vendor.clone()),
            ],
        );
        let p = pick(
            "product",
            vec![
                (
                    "the paired .dev log",
                    d.and_then(|d| logged_string(d, "Product")),
                ),
                (
                    "the paired .dev",
                    d.and_then(|d| dev_var(d, &["device.model", "ups.model"])),
                ),
                (
                    "[values-at-capture]",
                    at_capture(&["device.model", "ups.model"]),
                ),
                ("the header", h_model.clone()),
            ],
        );
        let s = pick(
            "serial",
            vec![
                (
                    "the paired .dev log",
                    d.and_then(|d| logged_string(d, "Serial Number")),
                ),
                (
                    "the paired .dev",
                    d.and_then(|d| dev_var(d, &["device.serial", "ups.serial"])),
                ),
                (
                    "[values-at-capture]",
                    at_capture(&["device.serial", "ups.serial"]),
                ),
            ],
        );
        (m, p, s)
    };
    let bcd_device = h_bcd
        .or_else(|| {
            let d = dev.as_ref()?;
            u16::from_str_radix(logged_string(d, "Device release number")?.trim(), 16).ok()
        })
        .unwrap_or(0x0100);
    let chemistry = dev
        .as_ref()
        .and_then(|d| dev_var(d, &["battery.type"]))
        .unwrap_or_else(|| "PbAc".to_string());
    Identity {
        vendor_id,
        product_id,
        bcd_device,
        manufacturer,
        product,
        serial,
        chemistry,
        firmware,
        source: source.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "# device: APC  vid:pid 051d:0002  model: Back-UPS XS 1400U (FW 926.T1 .I USB FW:T1, bcdDevice 0106)\n[report-descriptor]\n05 84 09 04 a1 01 c0\n";

    #[test]
    fn from_header_only() {
        let c = Capture::parse(HEAD).unwrap();
        let id = identity(&c, HEAD, None);
        assert_eq!(
            (id.vendor_id, id.product_id, id.bcd_device),
            (0x051d, 0x0002, 0x0106)
        );
        assert_eq!(id.manufacturer.as_deref(), Some("APC"));
        assert_eq!(id.product.as_deref(), Some("Back-UPS XS 1400U"));
        assert_eq!(id.serial, None);
        assert_eq!(id.firmware.as_deref(), Some("926.T1"));
    }

    #[test]
    fn paired_log_wins_and_keeps_trailing_space() {
        let c = Capture::parse(HEAD).unwrap();
        let dev = "battery.type: PbAc\nups.vendorid: 051d\nups.productid: 0002\n# [D2] - Manufacturer: American Power Conversion\n# [D2] - Product: Back-UPS 500 FW: 6.5.I USB FW: c1 \n# [D2] - Serial Number: AB0427\n";
        let id = identity(&c, HEAD, Some(dev));
        assert_eq!(
            id.manufacturer.as_deref(),
            Some("American Power Conversion")
        );
        assert_eq!(
            id.product.as_deref(),
            Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ")
        );
        assert_eq!(id.serial.as_deref(), Some("AB0427"));
    }

    #[test]
    fn paired_dev_of_another_pid_is_ignored() {
        let c = Capture::parse(HEAD).unwrap();
        let id = identity(
            &c,
            HEAD,
            Some("ups.vendorid: 051d\nups.productid: 0003\nups.model: Smart-UPS\n"),
        );
        assert_eq!(id.product.as_deref(), Some("Back-UPS XS 1400U"));
    }

    #[test]
    fn unbranded_device_has_no_strings() {
        let t = "# device: unknown (no strings)  vid:pid 5131:2007  model: unbranded\n[report-descriptor]\n05 84\n";
        let c = Capture::parse(t).unwrap();
        let id = identity(&c, t, None);
        assert_eq!((id.manufacturer, id.product, id.serial), (None, None, None));
    }
}
