//! The real USB transport: libusb through `rusb`, with an explicit
//! context (libusb's global one aborts the process when there is no USB
//! at all; an explicit one just returns an error we can word).

use std::time::Duration;

use rusb::{Context, Device, DeviceHandle, UsbContext};

use crate::transport::{DeviceInfo, HidTransport, OpenError, Opener, ReportType, UsbError, Verdict};

/// Control transfers give up after this long (NUT uses the same order of
/// magnitude; a device that needs longer is treated as not answering).
pub const CONTROL_TIMEOUT: Duration = Duration::from_millis(2000);

const HID_CLASS: u8 = 3;
const DT_HID: u8 = 0x21;
const DT_REPORT: u8 = 0x22;
const GET_DESCRIPTOR: u8 = 0x06;
const GET_REPORT: u8 = 0x01;
const SET_REPORT: u8 = 0x09;

/// Sort a libusb error into what the driver does about it.
pub fn classify(e: rusb::Error) -> UsbError {
    match e {
        rusb::Error::NoDevice | rusb::Error::Access | rusb::Error::Io | rusb::Error::NotFound => {
            UsbError::Gone(e.to_string())
        }
        rusb::Error::Busy => UsbError::Gone("Got disconnected by another driver".to_string()),
        rusb::Error::Timeout => UsbError::Timeout,
        other => UsbError::Failed(other.to_string()),
    }
}

/// Opens devices through libusb.
pub struct UsbOpener {
    ctx: Option<Context>,
}

impl UsbOpener {
    /// Start libusb. Fails with a readable message when libusb cannot
    /// start (no USB on this machine, no `/dev/bus/usb`, no permission).
    pub fn new() -> Result<UsbOpener, OpenError> {
        Context::new()
            .map(|ctx| UsbOpener { ctx: Some(ctx) })
            .map_err(|e| OpenError::Unavailable(format!("libusb could not start: {e}; no USB access on this machine?")))
    }

    fn context(&mut self) -> Result<&Context, OpenError> {
        if self.ctx.is_none() {
            self.ctx = Some(Context::new().map_err(|e| {
                OpenError::Unavailable(format!("libusb could not start: {e}; no USB access on this machine?"))
            })?);
        }
        Ok(self.ctx.as_ref().expect("set above"))
    }
}

/// Where the HID interface of a device is.
struct HidPlace {
    interface: u8,
    alt: u8,
    endpoint_in: Option<(u8, u16)>,
    /// Report descriptor length declared in the configuration's HID
    /// class descriptor.
    report_len: Option<u16>,
}

fn hid_place(dev: &Device<Context>) -> Option<HidPlace> {
    let config = dev.active_config_descriptor().or_else(|_| dev.config_descriptor(0)).ok()?;
    for iface in config.interfaces() {
        for d in iface.descriptors() {
            if d.class_code() != HID_CLASS {
                continue;
            }
            let endpoint_in = d
                .endpoint_descriptors()
                .find(|e| e.direction() == rusb::Direction::In && e.transfer_type() == rusb::TransferType::Interrupt)
                .map(|e| (e.address(), e.max_packet_size()));
            return Some(HidPlace {
                interface: d.interface_number(),
                alt: d.setting_number(),
                endpoint_in,
                report_len: hid_report_len(d.extra()),
            });
        }
    }
    None
}

/// The report descriptor length out of a HID class descriptor (found in
/// the interface descriptor's extra bytes, or read on its own).
pub fn hid_report_len(extra: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i + 1 < extra.len() {
        let len = extra[i] as usize;
        if len < 2 || i + len > extra.len() {
            return None;
        }
        if extra[i + 1] == DT_HID && len >= 9 {
            let n = extra[i + 5] as usize;
            for k in 0..n {
                let at = i + 6 + 3 * k;
                if at + 2 < i + len && extra[at] == DT_REPORT {
                    return Some(u16::from_le_bytes([extra[at + 1], extra[at + 2]]));
                }
            }
        }
        i += len;
    }
    None
}

fn read_info(dev: &Device<Context>, handle: Option<&DeviceHandle<Context>>) -> Option<DeviceInfo> {
    let desc = dev.device_descriptor().ok()?;
    let string = |idx: Option<u8>| -> Option<String> {
        let h = handle?;
        let i = idx?;
        h.read_string_descriptor_ascii(i).ok()
    };
    let release = desc.device_version();
    Some(DeviceInfo {
        vendor_id: desc.vendor_id(),
        product_id: desc.product_id(),
        release: (u16::from(release.major()) << 8) | (u16::from(release.minor()) << 4) | u16::from(release.sub_minor()),
        manufacturer: string(desc.manufacturer_string_index()),
        product: string(desc.product_string_index()),
        serial: string(desc.serial_number_string_index()),
        bus: format!("{:03}", dev.bus_number()),
        device: format!("{:03}", dev.address()),
        busport: format!("{:03}", dev.port_number()),
    })
}

impl Opener for UsbOpener {
    fn enumerate(&mut self) -> Result<Vec<DeviceInfo>, OpenError> {
        let ctx = self.context()?;
        let list = ctx.devices().map_err(|e| OpenError::Unavailable(format!("cannot list USB devices: {e}")))?;
        let mut out = Vec::new();
        for dev in list.iter() {
            if hid_place(&dev).is_none() {
                continue;
            }
            let handle = dev.open().ok();
            if let Some(info) = read_info(&dev, handle.as_ref()) {
                out.push(info);
            }
        }
        Ok(out)
    }

    fn open(&mut self, judge: &mut dyn FnMut(&DeviceInfo) -> Verdict) -> Result<Box<dyn HidTransport>, OpenError> {
        let ctx = self.context()?;
        let list = ctx.devices().map_err(|e| OpenError::Unavailable(format!("cannot list USB devices: {e}")))?;
        let mut notes = Vec::new();
        for dev in list.iter() {
            let Some(place) = hid_place(&dev) else { continue };
            let handle = match dev.open() {
                Ok(h) => h,
                Err(e) => {
                    let ids = dev
                        .device_descriptor()
                        .map(|d| format!("{:04x}:{:04x}", d.vendor_id(), d.product_id()))
                        .unwrap_or_default();
                    nut_daemon::debugx!(2, "cannot open USB device {ids}: {e}");
                    if e == rusb::Error::Access {
                        notes.push(format!("Permissions problem on USB device {ids}: {e}"));
                    }
                    continue;
                }
            };
            let Some(info) = read_info(&dev, Some(&handle)) else { continue };
            match judge(&info) {
                Verdict::Accept => {}
                Verdict::Reject(note) => {
                    notes.extend(note);
                    continue;
                }
            }
            match claim(handle, &place) {
                Ok(handle) => {
                    return Ok(Box::new(UsbHid { handle, info, place }));
                }
                Err(e) => {
                    notes.push(format!("Can't claim USB device [{}]: {e}", info.ids()));
                }
            }
        }
        Err(OpenError::NoMatch(notes))
    }
}

fn claim(handle: DeviceHandle<Context>, place: &HidPlace) -> Result<DeviceHandle<Context>, rusb::Error> {
    let iface = place.interface;
    if handle.kernel_driver_active(iface).unwrap_or(false) {
        match handle.detach_kernel_driver(iface) {
            Ok(()) => nut_daemon::debugx!(2, "detached kernel driver from USB device..."),
            Err(e) => nut_daemon::debugx!(2, "failed to detach kernel driver from USB device: {e}"),
        }
    }
    handle.claim_interface(iface)?;
    if place.alt != 0 {
        let _ = handle.set_alternate_setting(iface, place.alt);
    }
    Ok(handle)
}

/// An open, claimed USB HID device.
pub struct UsbHid {
    handle: DeviceHandle<Context>,
    info: DeviceInfo,
    place: HidPlace,
}

impl HidTransport for UsbHid {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn report_descriptor(&mut self) -> Result<Vec<u8>, UsbError> {
        let iface = u16::from(self.place.interface);
        let declared = match self.place.report_len {
            Some(n) => n,
            None => {
                // Ask the interface for its HID descriptor instead.
                let mut buf = [0u8; 64];
                let n = self
                    .handle
                    .read_control(0x81, GET_DESCRIPTOR, u16::from(DT_HID) << 8, iface, &mut buf, CONTROL_TIMEOUT)
                    .map_err(classify)?;
                hid_report_len(&buf[..n]).unwrap_or(4096)
            }
        };
        let mut buf = vec![0u8; usize::from(declared)];
        let n = self
            .handle
            .read_control(0x81, GET_DESCRIPTOR, u16::from(DT_REPORT) << 8, iface, &mut buf, CONTROL_TIMEOUT)
            .map_err(classify)?;
        if n < buf.len() {
            log::warn!("report descriptor too short (expected {}, got {n})", buf.len());
        }
        buf.truncate(n);
        Ok(buf)
    }

    fn get_report(&mut self, kind: ReportType, report_id: u8, len: usize) -> Result<Vec<u8>, UsbError> {
        let value = ((kind as u16) << 8) | u16::from(report_id);
        let iface = u16::from(self.place.interface);
        let mut buf = vec![0u8; len.max(1)];
        if report_id == 0 {
            // No report IDs: the device sends the data alone.
            let n = self
                .handle
                .read_control(0xA1, GET_REPORT, value, iface, &mut buf[1..], CONTROL_TIMEOUT)
                .map_err(classify)?;
            buf.truncate(n + 1);
            buf[0] = 0;
            return Ok(buf);
        }
        let n = self.handle.read_control(0xA1, GET_REPORT, value, iface, &mut buf, CONTROL_TIMEOUT).map_err(classify)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn set_report(&mut self, kind: ReportType, report_id: u8, data: &[u8]) -> Result<usize, UsbError> {
        let value = ((kind as u16) << 8) | u16::from(report_id);
        let iface = u16::from(self.place.interface);
        let payload = if report_id == 0 && !data.is_empty() { &data[1..] } else { data };
        let n = self.handle.write_control(0x21, SET_REPORT, value, iface, payload, CONTROL_TIMEOUT).map_err(classify)?;
        Ok(if report_id == 0 { n + 1 } else { n })
    }

    fn interrupt_read(&mut self, max_len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        let Some((ep, _)) = self.place.endpoint_in else {
            return Err(UsbError::Failed("no interrupt IN endpoint".to_string()));
        };
        let mut buf = vec![0u8; max_len.max(1)];
        match self.handle.read_interrupt(ep, &mut buf, timeout) {
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) => Err(classify(e)),
        }
    }

    fn string(&mut self, index: u8) -> Result<String, UsbError> {
        self.handle.read_string_descriptor_ascii(index).map_err(classify)
    }

    fn has_interrupt_in(&self) -> bool {
        self.place.endpoint_in.is_some()
    }
}

impl Drop for UsbHid {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.place.interface);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_length_from_hid_descriptor() {
        // bLength 9, HID, bcdHID 1.10, country 0, one descriptor: report, 374 bytes.
        let hid = [9, 0x21, 0x10, 0x01, 0, 1, 0x22, 0x76, 0x01];
        assert_eq!(hid_report_len(&hid), Some(374));
        let mut with_other = vec![7, 0x05, 0x81, 3, 8, 0, 10];
        with_other.extend_from_slice(&hid);
        assert_eq!(hid_report_len(&with_other), Some(374));
        assert_eq!(hid_report_len(&[9, 0x21, 0x10]), None);
        assert_eq!(hid_report_len(&[]), None);
    }

    #[test]
    fn errors_sort_into_what_the_driver_does() {
        assert!(matches!(classify(rusb::Error::NoDevice), UsbError::Gone(_)));
        assert!(matches!(classify(rusb::Error::Io), UsbError::Gone(_)));
        assert_eq!(classify(rusb::Error::Busy), UsbError::Gone("Got disconnected by another driver".into()));
        assert_eq!(classify(rusb::Error::Timeout), UsbError::Timeout);
        assert!(matches!(classify(rusb::Error::Pipe), UsbError::Failed(_)));
        assert!(matches!(classify(rusb::Error::Overflow), UsbError::Failed(_)));
    }
}
