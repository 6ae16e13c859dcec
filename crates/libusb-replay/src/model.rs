//! The simulated device: USB descriptors, string table, a report memory that
//! remembers writes, an interrupt queue and pending faults. Pure: the C
//! interface in [`crate::ffi`] owns the clock, the lock and the log.

use crate::identity::Identity;
use crate::script::Action;
use nut_hid::corpus::Capture;
use nut_hid::usage::{self, Vendor};
use nut_hid::value;
use nut_hid::{Descriptor, Field, ReportKind};
use std::collections::{BTreeMap, VecDeque};

/// libusb error codes (libusb.h `enum libusb_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum UsbError {
    /// LIBUSB_ERROR_IO
    Io = -1,
    /// LIBUSB_ERROR_INVALID_PARAM
    InvalidParam = -2,
    /// LIBUSB_ERROR_ACCESS
    Access = -3,
    /// LIBUSB_ERROR_NO_DEVICE
    NoDevice = -4,
    /// LIBUSB_ERROR_NOT_FOUND
    NotFound = -5,
    /// LIBUSB_ERROR_BUSY
    Busy = -6,
    /// LIBUSB_ERROR_TIMEOUT
    Timeout = -7,
    /// LIBUSB_ERROR_OVERFLOW
    Overflow = -8,
    /// LIBUSB_ERROR_PIPE
    Pipe = -9,
    /// LIBUSB_ERROR_INTERRUPTED
    Interrupted = -10,
    /// LIBUSB_ERROR_NO_MEM
    NoMem = -11,
    /// LIBUSB_ERROR_NOT_SUPPORTED
    NotSupported = -12,
    /// LIBUSB_ERROR_OTHER
    Other = -99,
}

impl UsbError {
    /// The C value.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// USB descriptor type codes used here.
pub const DT_DEVICE: u8 = 0x01;
/// Configuration descriptor.
pub const DT_CONFIG: u8 = 0x02;
/// String descriptor.
pub const DT_STRING: u8 = 0x03;
/// Interface descriptor.
pub const DT_INTERFACE: u8 = 0x04;
/// Endpoint descriptor.
pub const DT_ENDPOINT: u8 = 0x05;
/// HID class descriptor.
pub const DT_HID: u8 = 0x21;
/// HID report descriptor.
pub const DT_REPORT: u8 = 0x22;

/// The one interrupt IN endpoint.
pub const EP_IN: u8 = 0x81;
/// Its max packet size.
pub const EP_IN_MAX_PACKET: u16 = 8;
/// Polling interval of the interrupt endpoint, in ms.
pub const EP_IN_INTERVAL: u8 = 10;

/// A control request's setup fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// bmRequestType
    pub request_type: u8,
    /// bRequest
    pub request: u8,
    /// wValue
    pub value: u16,
    /// wIndex
    pub index: u16,
    /// wLength
    pub length: u16,
}

/// What a control transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Device-to-host data (already cut to wLength).
    In(Vec<u8>),
    /// Host-to-device: bytes accepted.
    Out(usize),
}

/// Faults waiting to hit the next transfers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Control transfers left to stall.
    pub stall: u32,
    /// Control transfers left to time out.
    pub timeout: u32,
    /// Transfers (any kind) left to fail with IO.
    pub io: u32,
    /// Report IDs that come back short, with the length to return.
    pub short: BTreeMap<u8, Option<usize>>,
}

/// The recorded device, served.
#[derive(Debug, Clone)]
pub struct Device {
    /// Vendor, product, release and strings.
    pub identity: Identity,
    /// String descriptors by index.
    pub strings: BTreeMap<u8, String>,
    /// iManufacturer, iProduct, iSerialNumber of the device descriptor.
    pub string_index: [u8; 3],
    /// Report descriptor bytes as recorded.
    pub report_descriptor: Vec<u8>,
    /// The parsed descriptor, if nut_hid could parse it.
    pub descriptor: Option<Descriptor>,
    /// Report memory: last bytes per report ID (first byte = ID).
    pub reports: BTreeMap<u8, Vec<u8>>,
    /// Interrupt IN reports waiting to be read.
    pub interrupt_queue: VecDeque<Vec<u8>>,
    /// Pending faults.
    pub faults: Faults,
    /// Whether the device is on the bus.
    pub plugged: bool,
    /// Bumped by every replug; handles from an older one see NO_DEVICE.
    pub generation: u32,
    /// Bus address (changes on replug).
    pub address: u8,
    /// Current configuration value.
    pub configuration: u8,
}

/// Name of a field's own usage: the common tables, then the vendor ones.
fn field_name(f: &Field) -> Option<&'static str> {
    [Vendor::None, Vendor::Mge, Vendor::Apc, Vendor::TrippLite]
        .iter()
        .find_map(|v| usage::usage_name(f.usage(), *v))
}

impl Device {
    /// Build the device from a parsed capture, its identity and any
    /// script strings (which win over derived ones).
    pub fn new(capture: &Capture, identity: Identity, script_strings: &[(u8, String)]) -> Device {
        let descriptor = Descriptor::parse(&capture.descriptor).ok();
        let reports = capture.reports();
        let mut d = Device {
            identity,
            strings: BTreeMap::new(),
            string_index: [0; 3],
            report_descriptor: capture.descriptor.clone(),
            descriptor,
            reports,
            interrupt_queue: VecDeque::new(),
            faults: Faults::default(),
            plugged: true,
            generation: 1,
            address: 2,
            configuration: 1,
        };
        d.assign_strings(script_strings);
        d
    }

    /// Place the identity strings at the indexes the recorded HID fields
    /// point at (iProduct = 1 means string 1 is the product), then give the
    /// rest the lowest free indexes.
    fn assign_strings(&mut self, script_strings: &[(u8, String)]) {
        let id = self.identity.clone();
        let mut recorded: Vec<(&'static str, u8)> = Vec::new();
        if let Some(desc) = &self.descriptor {
            for f in &desc.fields {
                let Some(name) = field_name(f) else { continue };
                let Some(report) = self.reports.get(&f.report_id) else {
                    continue;
                };
                let Ok(v) = value::extract(report, f) else {
                    continue;
                };
                if (1..=255).contains(&v) {
                    recorded.push((name, v as u8));
                }
            }
        }
        let text_for = |name: &str| -> Option<String> {
            match name {
                "iManufacturer" | "iOEMInformation" => id.manufacturer.clone(),
                "iProduct" | "iModel" => id.product.clone(),
                "iVersion" => id.firmware.clone(),
                "iSerialNumber" => id.serial.clone(),
                "iDeviceChemistry" => Some(id.chemistry.clone()),
                _ => None,
            }
        };
        for (name, idx) in &recorded {
            if let Some(t) = text_for(name) {
                self.strings.entry(*idx).or_insert(t);
            }
        }
        let wanted = [
            ("iManufacturer", id.manufacturer.clone()),
            ("iProduct", id.product.clone()),
            ("iSerialNumber", id.serial.clone()),
        ];
        for (slot, (name, text)) in wanted.iter().enumerate() {
            let Some(text) = text else { continue };
            let idx = match recorded.iter().find(|(n, _)| n == name) {
                Some((_, i)) => *i,
                None => match self.strings.iter().find(|(_, t)| *t == text) {
                    Some((i, _)) => *i,
                    None => {
                        let free = (1..=255u8).find(|i| {
                            !self.strings.contains_key(i) && !recorded.iter().any(|(_, r)| r == i)
                        });
                        match free {
                            Some(i) => i,
                            None => continue,
                        }
                    }
                },
            };
            self.strings.entry(idx).or_insert_with(|| text.clone());
            self.string_index[slot] = idx;
        }
        for (idx, text) in script_strings {
            self.strings.insert(*idx, text.clone());
        }
    }

    /// The 18-byte device descriptor.
    pub fn device_descriptor(&self) -> [u8; 18] {
        let v = self.identity.vendor_id.to_le_bytes();
        let p = self.identity.product_id.to_le_bytes();
        let r = self.identity.bcd_device.to_le_bytes();
        [
            18,
            DT_DEVICE,
            0x10,
            0x01, // bcdUSB 1.10
            0,
            0,
            0,
            8, // class per interface, max packet 8
            v[0],
            v[1],
            p[0],
            p[1],
            r[0],
            r[1],
            self.string_index[0],
            self.string_index[1],
            self.string_index[2],
            1,
        ]
    }

    /// The 9-byte HID class descriptor (bcdHID 1.11, one report descriptor).
    pub fn hid_descriptor(&self) -> [u8; 9] {
        let l = (self.report_descriptor.len() as u16).to_le_bytes();
        [9, DT_HID, 0x11, 0x01, 0, 1, DT_REPORT, l[0], l[1]]
    }

    /// The whole configuration descriptor as sent on the wire: config,
    /// interface (HID), HID descriptor, interrupt IN endpoint.
    pub fn config_descriptor(&self) -> Vec<u8> {
        let mut out = vec![9, DT_CONFIG, 0, 0, 1, 1, 0, 0xa0, 50];
        out.extend_from_slice(&[9, DT_INTERFACE, 0, 0, 1, 3, 0, 0, 0]);
        out.extend_from_slice(&self.hid_descriptor());
        let mp = EP_IN_MAX_PACKET.to_le_bytes();
        out.extend_from_slice(&[7, DT_ENDPOINT, EP_IN, 0x03, mp[0], mp[1], EP_IN_INTERVAL]);
        let total = (out.len() as u16).to_le_bytes();
        out[2] = total[0];
        out[3] = total[1];
        out
    }

    /// A string descriptor: index 0 is the language list (US English).
    pub fn string_descriptor(&self, index: u8) -> Option<Vec<u8>> {
        if index == 0 {
            return Some(vec![4, DT_STRING, 0x09, 0x04]);
        }
        let text = self.strings.get(&index)?;
        let units: Vec<u16> = text.encode_utf16().take(126).collect();
        let mut out = vec![(2 + units.len() * 2) as u8, DT_STRING];
        for u in units {
            out.extend_from_slice(&u.to_le_bytes());
        }
        Some(out)
    }

    /// Length of a report of this kind and ID including the ID byte, from
    /// the descriptor; falls back to the longest kind for that ID. None if
    /// the descriptor has no such report ID.
    pub fn report_len(&self, kind: ReportKind, id: u8) -> Option<usize> {
        let d = self.descriptor.as_ref()?;
        if !d.report_ids().contains(&id) {
            return None;
        }
        let n = d.report_len_of(kind, id);
        Some(if n > 1 { n } else { d.report_size(id) })
    }

    /// Current bytes of a report: what was recorded or written, else zeros
    /// of the length the descriptor gives (first byte = ID).
    pub fn report(&self, kind: ReportKind, id: u8) -> Option<Vec<u8>> {
        if let Some(r) = self.reports.get(&id) {
            return Some(r.clone());
        }
        let len = self.report_len(kind, id)?;
        let mut r = vec![0u8; len];
        r[0] = id;
        Some(r)
    }

    /// Whether any Input field lives in this report.
    pub fn has_input(&self, id: u8) -> bool {
        self.descriptor.as_ref().is_some_and(|d| {
            d.fields
                .iter()
                .any(|f| f.kind == ReportKind::Input && f.report_id == id)
        })
    }

    fn take_control_fault(&mut self) -> Option<UsbError> {
        if self.faults.io > 0 {
            self.faults.io -= 1;
            return Some(UsbError::Io);
        }
        if self.faults.stall > 0 {
            self.faults.stall -= 1;
            return Some(UsbError::Pipe);
        }
        if self.faults.timeout > 0 {
            self.faults.timeout -= 1;
            return Some(UsbError::Timeout);
        }
        None
    }

    /// The fault the next interrupt transfer hits, if any.
    pub fn take_interrupt_fault(&mut self) -> Option<UsbError> {
        if self.faults.io > 0 {
            self.faults.io -= 1;
            return Some(UsbError::Io);
        }
        None
    }

    /// Serve one control transfer. `out` is the data stage for
    /// host-to-device requests.
    pub fn control(&mut self, s: Setup, out: &[u8]) -> Result<Reply, UsbError> {
        if let Some(e) = self.take_control_fault() {
            return Err(e);
        }
        let dir_in = s.request_type & 0x80 != 0;
        let kind = (s.request_type >> 5) & 0x03; // 0 standard, 1 class, 2 vendor
        let cut = |mut v: Vec<u8>| {
            v.truncate(usize::from(s.length));
            Ok(Reply::In(v))
        };
        match (kind, dir_in, s.request) {
            // Standard GET_DESCRIPTOR (device or interface recipient).
            (0, true, 0x06) => {
                let [dt, idx] = [(s.value >> 8) as u8, (s.value & 0xff) as u8];
                match dt {
                    DT_DEVICE => cut(self.device_descriptor().to_vec()),
                    DT_CONFIG if idx == 0 => cut(self.config_descriptor()),
                    DT_STRING => self.string_descriptor(idx).map_or(Err(UsbError::Pipe), cut),
                    DT_HID if idx == 0 => cut(self.hid_descriptor().to_vec()),
                    DT_REPORT if idx == 0 => cut(self.report_descriptor.clone()),
                    _ => Err(UsbError::Pipe),
                }
            }
            // GET_STATUS
            (0, true, 0x00) => cut(vec![0, 0]),
            // GET_CONFIGURATION
            (0, true, 0x08) => cut(vec![self.configuration]),
            // GET_INTERFACE
            (0, true, 0x0a) => cut(vec![0]),
            // SET_CONFIGURATION
            (0, false, 0x09) => {
                self.configuration = (s.value & 0xff) as u8;
                Ok(Reply::Out(0))
            }
            // CLEAR_FEATURE, SET_FEATURE, SET_INTERFACE
            (0, false, 0x01 | 0x03 | 0x0b) => Ok(Reply::Out(0)),
            // HID GET_REPORT
            (1, true, 0x01) => {
                let id = (s.value & 0xff) as u8;
                let kind = match s.value >> 8 {
                    1 => ReportKind::Input,
                    2 => ReportKind::Output,
                    3 => ReportKind::Feature,
                    _ => return Err(UsbError::Pipe),
                };
                let mut r = self.report(kind, id).ok_or(UsbError::Pipe)?;
                if let Some(short) = self.faults.short.get(&id) {
                    let n = short.unwrap_or(r.len().saturating_sub(1)).max(1);
                    r.truncate(n);
                }
                cut(r)
            }
            // HID GET_IDLE / GET_PROTOCOL
            (1, true, 0x02) => cut(vec![0]),
            (1, true, 0x03) => cut(vec![1]),
            // HID SET_REPORT: the device remembers what was written.
            (1, false, 0x09) => {
                let id = (s.value & 0xff) as u8;
                let data = &out[..usize::from(s.length).min(out.len())];
                if data.is_empty() || (id != 0 && data[0] != id) {
                    return Err(UsbError::Pipe);
                }
                if self.report_len(ReportKind::Feature, id).is_none()
                    && !self.reports.contains_key(&id)
                {
                    return Err(UsbError::Pipe);
                }
                let stored = self.reports.entry(id).or_default();
                if stored.len() > data.len() {
                    stored[..data.len()].copy_from_slice(data);
                } else {
                    *stored = data.to_vec();
                }
                Ok(Reply::Out(data.len()))
            }
            // HID SET_IDLE / SET_PROTOCOL
            (1, false, 0x0a | 0x0b) => Ok(Reply::Out(0)),
            _ => Err(UsbError::Pipe),
        }
    }

    /// Apply one scripted action. Returns a note for the log when the
    /// action could not be applied.
    pub fn apply(&mut self, action: &Action) -> Result<(), String> {
        match action {
            Action::SetReport { id, bytes } => {
                self.reports.insert(*id, bytes.clone());
                if self.has_input(*id) {
                    self.interrupt_queue.push_back(bytes.clone());
                }
            }
            Action::SetPath { path, value } => self.set_path(path, *value)?,
            Action::Input(bytes) => self.interrupt_queue.push_back(bytes.clone()),
            Action::Unplug => {
                self.plugged = false;
                self.interrupt_queue.clear();
            }
            Action::Replug => {
                if !self.plugged {
                    self.plugged = true;
                    self.generation += 1;
                    self.address = if self.address >= 127 {
                        2
                    } else {
                        self.address + 1
                    };
                }
            }
            Action::Stall(n) => self.faults.stall += n,
            Action::Timeout(n) => self.faults.timeout += n,
            Action::IoError(n) => self.faults.io += n,
            Action::ShortReport { id, len } => {
                self.faults.short.insert(*id, *len);
            }
            Action::FullReport(id) => {
                self.faults.short.remove(id);
            }
        }
        Ok(())
    }

    /// Write a physical value into every field with this path (Feature and
    /// Input alike); queue the Input reports that changed.
    fn set_path(&mut self, path: &str, physical: f64) -> Result<(), String> {
        let desc = self
            .descriptor
            .clone()
            .ok_or("the report descriptor did not parse")?;
        let vendors = [Vendor::None, Vendor::Apc, Vendor::Mge, Vendor::TrippLite];
        let fields: Vec<Field> = vendors
            .iter()
            .filter_map(|v| usage::string_to_path(path, *v).ok())
            .map(|p| {
                desc.fields
                    .iter()
                    .filter(|f| f.path == p)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .find(|v| !v.is_empty())
            .ok_or_else(|| format!("no field has the path {path}"))?;
        let mut queue = Vec::new();
        for f in &fields {
            let mut r = self.report(f.kind, f.report_id).ok_or("unknown report")?;
            let need = 1 + ((f.bit_offset + f.bit_size) as usize).div_ceil(8);
            if r.len() < need {
                r.resize(need, 0);
            }
            value::insert(&mut r, f, value::from_physical(f, physical))
                .map_err(|e| e.to_string())?;
            self.reports.insert(f.report_id, r);
            if f.kind == ReportKind::Input && !queue.contains(&f.report_id) {
                queue.push(f.report_id);
            }
        }
        for id in queue {
            let r = self.reports[&id].clone();
            self.interrupt_queue.push_back(r);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::identity;

    // UPS / PowerSummary: report 1 Feature RemainingCapacity (8 bits) +
    // RunTimeToEmpty (16 bits); report 2 Input RemainingCapacity (8 bits).
    const CAPTURE: &str =
        "# device: Test  vid:pid 1234:5678  model: Model X (FW 1.0)\n[report-descriptor]\n\
        05 84 09 04 a1 01 09 24 a1 00 85 01 05 85 09 66 75 08 95 01 15 00 26 ff 00 b1 02\n\
        09 68 75 10 b1 02 85 02 09 66 75 08 81 02 c0 c0\n";

    fn device() -> Device {
        let c = Capture::parse(CAPTURE).unwrap();
        Device::new(
            &c,
            identity(&c, CAPTURE, None),
            &[(9, "from script".into())],
        )
    }

    fn get_report(d: &mut Device, kind: u16, id: u8, len: u16) -> Result<Reply, UsbError> {
        d.control(
            Setup {
                request_type: 0xa1,
                request: 0x01,
                value: kind << 8 | u16::from(id),
                index: 0,
                length: len,
            },
            &[],
        )
    }

    #[test]
    fn descriptors() {
        let d = device();
        let dd = d.device_descriptor();
        assert_eq!(&dd[8..12], &[0x34, 0x12, 0x78, 0x56]);
        assert_eq!(
            &dd[14..17],
            &[1, 2, 0],
            "manufacturer 1, product 2, no serial"
        );
        assert_eq!(d.report_descriptor.len(), 43);
        assert_eq!(d.hid_descriptor(), [9, 0x21, 0x11, 0x01, 0, 1, 0x22, 43, 0]);
        let cfg = d.config_descriptor();
        assert_eq!(cfg.len(), 34);
        assert_eq!(u16::from_le_bytes([cfg[2], cfg[3]]), 34);
        assert_eq!(d.string_descriptor(0), Some(vec![4, 3, 0x09, 0x04]));
        assert_eq!(
            d.string_descriptor(1),
            Some(vec![10, 3, b'T', 0, b'e', 0, b's', 0, b't', 0])
        );
        assert!(
            d.string_descriptor(9).is_some(),
            "script strings are served"
        );
        assert_eq!(d.string_descriptor(7), None);
    }

    #[test]
    fn report_descriptor_by_control_transfer() {
        let mut d = device();
        let r = d.control(
            Setup {
                request_type: 0x81,
                request: 0x06,
                value: 0x2200,
                index: 0,
                length: 4096,
            },
            &[],
        );
        assert_eq!(r, Ok(Reply::In(d.report_descriptor.clone())));
        let r = d.control(
            Setup {
                request_type: 0x81,
                request: 0x06,
                value: 0x2100,
                index: 0,
                length: 9,
            },
            &[],
        );
        assert_eq!(r, Ok(Reply::In(d.hid_descriptor().to_vec())));
    }

    #[test]
    fn unrecorded_reports_are_zeros_of_the_descriptor_length() {
        let mut d = device();
        assert_eq!(
            get_report(&mut d, 3, 1, 64),
            Ok(Reply::In(vec![1, 0, 0, 0]))
        );
        assert_eq!(get_report(&mut d, 1, 2, 64), Ok(Reply::In(vec![2, 0])));
        assert_eq!(
            get_report(&mut d, 3, 1, 2),
            Ok(Reply::In(vec![1, 0])),
            "cut to wLength"
        );
        assert_eq!(
            get_report(&mut d, 3, 7, 64),
            Err(UsbError::Pipe),
            "no such report ID"
        );
    }

    #[test]
    fn set_report_is_remembered() {
        let mut d = device();
        let set = Setup {
            request_type: 0x21,
            request: 0x09,
            value: 0x0301,
            index: 0,
            length: 4,
        };
        assert_eq!(d.control(set, &[1, 5, 6, 7]), Ok(Reply::Out(4)));
        assert_eq!(
            get_report(&mut d, 3, 1, 64),
            Ok(Reply::In(vec![1, 5, 6, 7]))
        );
        assert_eq!(
            d.control(set, &[2, 5, 6, 7]),
            Err(UsbError::Pipe),
            "ID byte must match wValue"
        );
    }

    #[test]
    fn set_by_path_updates_feature_and_queues_input() {
        let mut d = device();
        d.apply(&Action::SetPath {
            path: "UPS.PowerSummary.RemainingCapacity".into(),
            value: 42.0,
        })
        .unwrap();
        assert_eq!(
            get_report(&mut d, 3, 1, 64),
            Ok(Reply::In(vec![1, 42, 0, 0]))
        );
        assert_eq!(d.interrupt_queue.pop_front(), Some(vec![2, 42]));
        assert!(d
            .apply(&Action::SetPath {
                path: "UPS.Nothing".into(),
                value: 1.0
            })
            .is_err());
    }

    #[test]
    fn faults() {
        let mut d = device();
        d.apply(&Action::Stall(1)).unwrap();
        assert_eq!(get_report(&mut d, 3, 1, 64), Err(UsbError::Pipe));
        assert!(get_report(&mut d, 3, 1, 64).is_ok(), "a stall hits once");
        d.apply(&Action::ShortReport { id: 1, len: None }).unwrap();
        assert_eq!(get_report(&mut d, 3, 1, 64), Ok(Reply::In(vec![1, 0, 0])));
        d.apply(&Action::FullReport(1)).unwrap();
        assert_eq!(
            get_report(&mut d, 3, 1, 64),
            Ok(Reply::In(vec![1, 0, 0, 0]))
        );
        d.apply(&Action::IoError(1)).unwrap();
        assert_eq!(d.take_interrupt_fault(), Some(UsbError::Io));
        let (gen, addr) = (d.generation, d.address);
        d.apply(&Action::Unplug).unwrap();
        assert!(!d.plugged);
        d.apply(&Action::Replug).unwrap();
        assert_eq!(
            (d.plugged, d.generation, d.address),
            (true, gen + 1, addr + 1)
        );
    }
}
