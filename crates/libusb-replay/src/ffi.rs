//! The C interface: every function libusb-1.0.26 exports, with libusb.h's
//! struct layouts and error codes. A process loading this library as
//! `libusb-1.0.so.0` sees one device on bus 001: the capture named by
//! `LIBUSB_REPLAY_FILE`.
//!
//! Object lifetimes: a `libusb_device` is one leaked [`DevObj`] per plug
//! generation (a replug makes a new one), so stale pointers held by a
//! client stay readable and simply report `LIBUSB_ERROR_NO_DEVICE`.
//! Handles are boxed and freed by `libusb_close`; device lists and config
//! descriptors are boxed and freed by their `libusb_free_*` functions.
//! The asynchronous, hotplug and BOS parts of the API are present so that
//! programs linked with `-z now` load, and answer "not supported".
//!
//! # Safety
//!
//! Every exported `unsafe` function has libusb's contract, as libusb.h
//! documents it: pointer arguments are null or valid for the access the
//! function makes (out-parameters writable, buffers `length` bytes long),
//! and `libusb_device`/`libusb_device_handle` pointers are ones this
//! library handed out (handles not yet closed). Hence the module-wide
//! allow of `missing_safety_doc` below instead of ~40 copies of this text.
#![allow(clippy::missing_safety_doc)]

use crate::identity;
use crate::model::{Device, Reply, Setup, UsbError, EP_IN, EP_IN_INTERVAL, EP_IN_MAX_PACKET};
use crate::script::{Event, Script};
use nut_hid::corpus::Capture;
use std::ffi::{c_char, c_int, c_uint, c_void};
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::ptr;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- layouts

/// `struct libusb_device_descriptor`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DeviceDescriptor {
    /// bLength
    pub b_length: u8,
    /// bDescriptorType
    pub b_descriptor_type: u8,
    /// bcdUSB
    pub bcd_usb: u16,
    /// bDeviceClass
    pub b_device_class: u8,
    /// bDeviceSubClass
    pub b_device_sub_class: u8,
    /// bDeviceProtocol
    pub b_device_protocol: u8,
    /// bMaxPacketSize0
    pub b_max_packet_size0: u8,
    /// idVendor
    pub id_vendor: u16,
    /// idProduct
    pub id_product: u16,
    /// bcdDevice
    pub bcd_device: u16,
    /// iManufacturer
    pub i_manufacturer: u8,
    /// iProduct
    pub i_product: u8,
    /// iSerialNumber
    pub i_serial_number: u8,
    /// bNumConfigurations
    pub b_num_configurations: u8,
}

/// `struct libusb_endpoint_descriptor`.
#[repr(C)]
#[derive(Debug)]
pub struct EndpointDescriptor {
    /// bLength
    pub b_length: u8,
    /// bDescriptorType
    pub b_descriptor_type: u8,
    /// bEndpointAddress
    pub b_endpoint_address: u8,
    /// bmAttributes
    pub bm_attributes: u8,
    /// wMaxPacketSize
    pub w_max_packet_size: u16,
    /// bInterval
    pub b_interval: u8,
    /// bRefresh
    pub b_refresh: u8,
    /// bSynchAddress
    pub b_synch_address: u8,
    /// extra
    pub extra: *const u8,
    /// extra_length
    pub extra_length: c_int,
}

/// `struct libusb_interface_descriptor`.
#[repr(C)]
#[derive(Debug)]
pub struct InterfaceDescriptor {
    /// bLength
    pub b_length: u8,
    /// bDescriptorType
    pub b_descriptor_type: u8,
    /// bInterfaceNumber
    pub b_interface_number: u8,
    /// bAlternateSetting
    pub b_alternate_setting: u8,
    /// bNumEndpoints
    pub b_num_endpoints: u8,
    /// bInterfaceClass
    pub b_interface_class: u8,
    /// bInterfaceSubClass
    pub b_interface_sub_class: u8,
    /// bInterfaceProtocol
    pub b_interface_protocol: u8,
    /// iInterface
    pub i_interface: u8,
    /// endpoint
    pub endpoint: *const EndpointDescriptor,
    /// extra
    pub extra: *const u8,
    /// extra_length
    pub extra_length: c_int,
}

/// `struct libusb_interface`.
#[repr(C)]
#[derive(Debug)]
pub struct Interface {
    /// altsetting
    pub altsetting: *const InterfaceDescriptor,
    /// num_altsetting
    pub num_altsetting: c_int,
}

/// `struct libusb_config_descriptor`.
#[repr(C)]
#[derive(Debug)]
pub struct ConfigDescriptor {
    /// bLength
    pub b_length: u8,
    /// bDescriptorType
    pub b_descriptor_type: u8,
    /// wTotalLength
    pub w_total_length: u16,
    /// bNumInterfaces
    pub b_num_interfaces: u8,
    /// bConfigurationValue
    pub b_configuration_value: u8,
    /// iConfiguration
    pub i_configuration: u8,
    /// bmAttributes
    pub bm_attributes: u8,
    /// MaxPower
    pub max_power: u8,
    /// interface
    pub interface: *const Interface,
    /// extra
    pub extra: *const u8,
    /// extra_length
    pub extra_length: c_int,
}

/// `struct libusb_version`.
#[repr(C)]
#[derive(Debug)]
pub struct Version {
    /// major
    pub major: u16,
    /// minor
    pub minor: u16,
    /// micro
    pub micro: u16,
    /// nano
    pub nano: u16,
    /// rc
    pub rc: *const c_char,
    /// describe
    pub describe: *const c_char,
}

/// One config descriptor and everything it points at, in one allocation;
/// the `ConfigDescriptor` comes first so its address is the bundle's.
#[repr(C)]
struct ConfigBundle {
    config: ConfigDescriptor,
    interface: Interface,
    alt: InterfaceDescriptor,
    endpoint: EndpointDescriptor,
    hid: [u8; 9],
}

const DEV_MAGIC: u64 = 0x6c69_6275_7364_6576; // "libusdev"
const HANDLE_MAGIC: u64 = 0x6c69_6275_7368_646c; // "libushdl"

/// What a `libusb_device *` points at.
#[repr(C)]
pub struct DevObj {
    magic: u64,
    generation: u32,
    address: u8,
}

/// What a `libusb_device_handle *` points at.
#[repr(C)]
pub struct HandleObj {
    magic: u64,
    dev: *mut DevObj,
    generation: u32,
}

// ----------------------------------------------------------------- state

struct Replay {
    device: Option<Device>,
    events: Vec<Event>,
    next_event: usize,
    start: Instant,
    log: Option<File>,
    /// (generation, leaked DevObj address)
    dev_objs: Vec<(u32, usize)>,
}

impl Replay {
    fn load() -> Replay {
        let start = Instant::now();
        let log = std::env::var_os("LIBUSB_REPLAY_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        let mut r = Replay {
            device: None,
            events: Vec::new(),
            next_event: 0,
            start,
            log,
            dev_objs: Vec::new(),
        };
        match Self::build() {
            Ok((device, events, note)) => {
                r.log_line(format!("libusb-replay: serving {note}"));
                r.device = Some(device);
                r.events = events;
            }
            Err(e) => {
                eprintln!("libusb-replay: {e}; serving no device");
                r.log_line(format!("libusb-replay: {e}; serving no device"));
            }
        }
        r
    }

    fn build() -> Result<(Device, Vec<Event>, String), String> {
        let file = std::env::var_os("LIBUSB_REPLAY_FILE").ok_or("LIBUSB_REPLAY_FILE is not set")?;
        let path = Path::new(&file);
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let capture = Capture::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let paired = identity::paired_dev_path(&capture).and_then(|rel| {
            let base = path.parent()?.parent()?.parent()?;
            std::fs::read_to_string(base.join(rel)).ok()
        });
        let ident = identity::identity(&capture, &text, paired.as_deref());
        let script = match std::env::var_os("LIBUSB_REPLAY_SCRIPT") {
            None => Script::default(),
            Some(sp) => {
                let st = std::fs::read_to_string(&sp)
                    .map_err(|e| format!("cannot read {}: {e}", Path::new(&sp).display()))?;
                Script::parse(&st).map_err(|errs| {
                    let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                    format!("{}: {}", Path::new(&sp).display(), list.join("; "))
                })?
            }
        };
        let device = Device::new(&capture, ident, &script.strings);
        let note = format!(
            "{} ({:04x}:{:04x}, {} descriptor bytes, {} recorded reports; {}; strings {:?})",
            path.display(),
            device.identity.vendor_id,
            device.identity.product_id,
            device.report_descriptor.len(),
            device.reports.len(),
            device.identity.source,
            device.strings
        );
        Ok((device, script.events, note))
    }

    fn log_line(&mut self, line: String) {
        let t = self.start.elapsed().as_secs_f64();
        if let Some(f) = self.log.as_mut() {
            let _ = writeln!(f, "[{t:10.3}] {line}");
        }
    }

    /// Apply every scripted event that is due.
    fn advance(&mut self) {
        let now = self.start.elapsed();
        while self.next_event < self.events.len() && self.events[self.next_event].at <= now {
            let ev = self.events[self.next_event].clone();
            self.next_event += 1;
            let result = match self.device.as_mut() {
                Some(d) => d.apply(&ev.action),
                None => Err("no device".to_string()),
            };
            match result {
                Ok(()) => self.log_line(format!("script line {}: {:?}", ev.line, ev.action)),
                Err(e) => {
                    eprintln!("libusb-replay: script line {}: {e}", ev.line);
                    self.log_line(format!(
                        "script line {}: {:?} FAILED: {e}",
                        ev.line, ev.action
                    ));
                }
            }
        }
    }

    /// The DevObj of the current plug generation, made on first use.
    fn current_dev_obj(&mut self) -> Option<*mut DevObj> {
        let d = self.device.as_ref()?;
        if !d.plugged {
            return None;
        }
        let (gen, addr) = (d.generation, d.address);
        if let Some((_, p)) = self.dev_objs.iter().find(|(g, _)| *g == gen) {
            return Some(*p as *mut DevObj);
        }
        let p = Box::into_raw(Box::new(DevObj {
            magic: DEV_MAGIC,
            generation: gen,
            address: addr,
        }));
        self.dev_objs.push((gen, p as usize));
        Some(p)
    }

    /// The device behind a handle, if it is still the plugged-in one.
    fn live(&mut self, gen: u32) -> Result<&mut Device, UsbError> {
        match self.device.as_mut() {
            Some(d) if d.plugged && d.generation == gen => Ok(d),
            _ => Err(UsbError::NoDevice),
        }
    }
}

static REPLAY: OnceLock<Mutex<Replay>> = OnceLock::new();

/// Lock the global state (loading it on first use) and apply due events.
fn replay() -> MutexGuard<'static, Replay> {
    let m = REPLAY.get_or_init(|| Mutex::new(Replay::load()));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    g.advance();
    g
}

static CONTEXT: u8 = 0;

fn context_ptr() -> *mut c_void {
    ptr::addr_of!(CONTEXT) as *mut c_void
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Read a DevObj pointer given by the client.
///
/// # Safety
/// `dev` must be null or a pointer this library handed out (DevObjs are
/// never freed, so any such pointer stays valid).
unsafe fn dev_ref<'a>(dev: *mut c_void) -> Option<&'a DevObj> {
    // SAFETY: per the contract above the pointer is null or a leaked DevObj.
    let d = unsafe { (dev as *const DevObj).as_ref()? };
    (d.magic == DEV_MAGIC).then_some(d)
}

/// Read a handle pointer given by the client.
///
/// # Safety
/// `h` must be null or a handle from `libusb_open` not yet closed.
unsafe fn handle_ref<'a>(h: *mut c_void) -> Option<&'a HandleObj> {
    // SAFETY: per the contract above the pointer is null or a live HandleObj.
    let o = unsafe { (h as *const HandleObj).as_ref()? };
    (o.magic == HANDLE_MAGIC).then_some(o)
}

const SUCCESS: c_int = 0;

fn err(e: UsbError) -> c_int {
    e.code()
}

// ------------------------------------------------------- library, context

/// `int libusb_init(libusb_context **ctx)`
#[no_mangle]
pub unsafe extern "C" fn libusb_init(ctx: *mut *mut c_void) -> c_int {
    let mut r = replay();
    if !ctx.is_null() {
        // SAFETY: a non-null ctx is the caller's out-parameter (libusb API).
        unsafe { *ctx = context_ptr() };
    }
    r.log_line("libusb_init() = 0".into());
    SUCCESS
}

/// `void libusb_exit(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_exit(_ctx: *mut c_void) {
    replay().log_line("libusb_exit()".into());
}

/// `void libusb_set_debug(libusb_context *ctx, int level)`
#[no_mangle]
pub extern "C" fn libusb_set_debug(_ctx: *mut c_void, level: c_int) {
    replay().log_line(format!("libusb_set_debug({level})"));
}

/// `void libusb_set_log_cb(libusb_context *ctx, libusb_log_cb cb, int mode)`
#[no_mangle]
pub extern "C" fn libusb_set_log_cb(_ctx: *mut c_void, _cb: *mut c_void, mode: c_int) {
    replay().log_line(format!("libusb_set_log_cb(mode={mode})"));
}

/// `int libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)`:
/// the variadic value is not read; every option is accepted.
#[no_mangle]
pub extern "C" fn libusb_set_option(_ctx: *mut c_void, option: c_int) -> c_int {
    replay().log_line(format!("libusb_set_option({option}) = 0"));
    SUCCESS
}

/// `int libusb_setlocale(const char *locale)`
#[no_mangle]
pub extern "C" fn libusb_setlocale(_locale: *const c_char) -> c_int {
    SUCCESS
}

struct SyncVersion(Version);
// SAFETY: the version holds pointers to immutable static C strings only.
unsafe impl Sync for SyncVersion {}

static VERSION: SyncVersion = SyncVersion(Version {
    major: 1,
    minor: 0,
    micro: 26,
    nano: 0,
    rc: c"".as_ptr(),
    describe: c"libusb-replay (test double, serves one recorded device)".as_ptr(),
});

/// `const struct libusb_version *libusb_get_version(void)`
#[no_mangle]
pub extern "C" fn libusb_get_version() -> *const Version {
    &VERSION.0
}

/// `int libusb_has_capability(uint32_t capability)`
#[no_mangle]
pub extern "C" fn libusb_has_capability(capability: u32) -> c_int {
    match capability {
        0x0000 => 1,          // HAS_CAPABILITY
        0x0001 => 0,          // HAS_HOTPLUG: no
        0x0100 | 0x0101 => 1, // HAS_HID_ACCESS, SUPPORTS_DETACH_KERNEL_DRIVER
        _ => 0,
    }
}

fn error_texts(code: c_int) -> (&'static std::ffi::CStr, &'static std::ffi::CStr) {
    match code {
        0 => (c"LIBUSB_SUCCESS", c"Success"),
        -1 => (c"LIBUSB_ERROR_IO", c"I/O error"),
        -2 => (c"LIBUSB_ERROR_INVALID_PARAM", c"Invalid parameter"),
        -3 => (c"LIBUSB_ERROR_ACCESS", c"Access denied"),
        -4 => (
            c"LIBUSB_ERROR_NO_DEVICE",
            c"No such device (the replayed device is unplugged)",
        ),
        -5 => (c"LIBUSB_ERROR_NOT_FOUND", c"Not found"),
        -6 => (c"LIBUSB_ERROR_BUSY", c"Resource busy"),
        -7 => (c"LIBUSB_ERROR_TIMEOUT", c"Timed out"),
        -8 => (c"LIBUSB_ERROR_OVERFLOW", c"Overflow"),
        -9 => (c"LIBUSB_ERROR_PIPE", c"Pipe error (endpoint stalled)"),
        -10 => (c"LIBUSB_ERROR_INTERRUPTED", c"Interrupted"),
        -11 => (c"LIBUSB_ERROR_NO_MEM", c"Out of memory"),
        -12 => (
            c"LIBUSB_ERROR_NOT_SUPPORTED",
            c"Not supported by libusb-replay",
        ),
        -99 => (c"LIBUSB_ERROR_OTHER", c"Other error"),
        _ => (c"LIBUSB_ERROR_UNKNOWN", c"Unknown error code"),
    }
}

/// `const char *libusb_strerror(int errcode)`
#[no_mangle]
pub extern "C" fn libusb_strerror(errcode: c_int) -> *const c_char {
    error_texts(errcode).1.as_ptr()
}

/// `const char *libusb_error_name(int errcode)`
#[no_mangle]
pub extern "C" fn libusb_error_name(errcode: c_int) -> *const c_char {
    error_texts(errcode).0.as_ptr()
}

// ------------------------------------------------------------- devices

/// `ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device_list(
    _ctx: *mut c_void,
    list: *mut *mut *mut DevObj,
) -> isize {
    let mut r = replay();
    if list.is_null() {
        return err(UsbError::InvalidParam) as isize;
    }
    let dev = r.current_dev_obj();
    let arr: Box<[*mut DevObj; 2]> = Box::new([dev.unwrap_or(ptr::null_mut()), ptr::null_mut()]);
    // SAFETY: list is the caller's non-null out-parameter.
    unsafe { *list = Box::into_raw(arr) as *mut *mut DevObj };
    let n = isize::from(dev.is_some());
    r.log_line(format!("libusb_get_device_list() = {n}"));
    n
}

/// `void libusb_free_device_list(libusb_device **list, int unref_devices)`
#[no_mangle]
pub unsafe extern "C" fn libusb_free_device_list(list: *mut *mut DevObj, _unref: c_int) {
    if list.is_null() {
        return;
    }
    // SAFETY: every list this library returns is a Box<[*mut DevObj; 2]>.
    drop(unsafe { Box::from_raw(list as *mut [*mut DevObj; 2]) });
}

/// `libusb_device *libusb_ref_device(libusb_device *dev)`: devices live
/// until the process ends, so counting is not needed.
#[no_mangle]
pub extern "C" fn libusb_ref_device(dev: *mut c_void) -> *mut c_void {
    dev
}

/// `void libusb_unref_device(libusb_device *dev)`
#[no_mangle]
pub extern "C" fn libusb_unref_device(_dev: *mut c_void) {}

/// `uint8_t libusb_get_bus_number(libusb_device *dev)`
#[no_mangle]
pub extern "C" fn libusb_get_bus_number(_dev: *mut c_void) -> u8 {
    1
}

/// `uint8_t libusb_get_port_number(libusb_device *dev)`
#[no_mangle]
pub extern "C" fn libusb_get_port_number(_dev: *mut c_void) -> u8 {
    1
}

/// `int libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int len)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_port_numbers(
    _dev: *mut c_void,
    ports: *mut u8,
    len: c_int,
) -> c_int {
    if ports.is_null() || len < 1 {
        return err(UsbError::Overflow);
    }
    // SAFETY: the caller gave a buffer of at least len >= 1 bytes.
    unsafe { *ports = 1 };
    1
}

/// `int libusb_get_port_path(libusb_context *ctx, libusb_device *dev, uint8_t *path, uint8_t path_length)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_port_path(
    _ctx: *mut c_void,
    dev: *mut c_void,
    path: *mut u8,
    len: u8,
) -> c_int {
    // SAFETY: same contract as libusb_get_port_numbers.
    unsafe { libusb_get_port_numbers(dev, path, c_int::from(len)) }
}

/// `libusb_device *libusb_get_parent(libusb_device *dev)`: the root hub is
/// not modelled.
#[no_mangle]
pub extern "C" fn libusb_get_parent(_dev: *mut c_void) -> *mut c_void {
    ptr::null_mut()
}

/// `uint8_t libusb_get_device_address(libusb_device *dev)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device_address(dev: *mut c_void) -> u8 {
    // SAFETY: dev comes from this library (or is null).
    unsafe { dev_ref(dev) }.map_or(0, |d| d.address)
}

/// `int libusb_get_device_speed(libusb_device *dev)`: full speed.
#[no_mangle]
pub extern "C" fn libusb_get_device_speed(_dev: *mut c_void) -> c_int {
    2
}

/// `int libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint)`
#[no_mangle]
pub extern "C" fn libusb_get_max_packet_size(_dev: *mut c_void, endpoint: u8) -> c_int {
    if endpoint == EP_IN {
        c_int::from(EP_IN_MAX_PACKET)
    } else {
        err(UsbError::NotFound)
    }
}

/// `int libusb_get_max_iso_packet_size(libusb_device *dev, unsigned char endpoint)`
#[no_mangle]
pub extern "C" fn libusb_get_max_iso_packet_size(dev: *mut c_void, endpoint: u8) -> c_int {
    libusb_get_max_packet_size(dev, endpoint)
}

/// `int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device_descriptor(
    dev: *mut c_void,
    desc: *mut DeviceDescriptor,
) -> c_int {
    let mut r = replay();
    // SAFETY: dev comes from this library (or is null).
    if unsafe { dev_ref(dev) }.is_none() || desc.is_null() {
        return err(UsbError::InvalidParam);
    }
    let Some(d) = r.device.as_ref() else {
        return err(UsbError::NoDevice);
    };
    let b = d.device_descriptor();
    let w = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let out = DeviceDescriptor {
        b_length: b[0],
        b_descriptor_type: b[1],
        bcd_usb: w(2),
        b_device_class: b[4],
        b_device_sub_class: b[5],
        b_device_protocol: b[6],
        b_max_packet_size0: b[7],
        id_vendor: w(8),
        id_product: w(10),
        bcd_device: w(12),
        i_manufacturer: b[14],
        i_product: b[15],
        i_serial_number: b[16],
        b_num_configurations: b[17],
    };
    // SAFETY: desc is the caller's non-null out-parameter of this type.
    unsafe { desc.write(out) };
    r.log_line(format!("libusb_get_device_descriptor() = 0 [{}]", hex(&b)));
    SUCCESS
}

fn make_config(d: &Device) -> *mut ConfigDescriptor {
    let raw = d.config_descriptor();
    let bundle = Box::new(ConfigBundle {
        config: ConfigDescriptor {
            b_length: raw[0],
            b_descriptor_type: raw[1],
            w_total_length: u16::from_le_bytes([raw[2], raw[3]]),
            b_num_interfaces: raw[4],
            b_configuration_value: raw[5],
            i_configuration: raw[6],
            bm_attributes: raw[7],
            max_power: raw[8],
            interface: ptr::null(),
            extra: ptr::null(),
            extra_length: 0,
        },
        interface: Interface {
            altsetting: ptr::null(),
            num_altsetting: 1,
        },
        alt: InterfaceDescriptor {
            b_length: raw[9],
            b_descriptor_type: raw[10],
            b_interface_number: raw[11],
            b_alternate_setting: raw[12],
            b_num_endpoints: raw[13],
            b_interface_class: raw[14],
            b_interface_sub_class: raw[15],
            b_interface_protocol: raw[16],
            i_interface: raw[17],
            endpoint: ptr::null(),
            extra: ptr::null(),
            extra_length: 9,
        },
        endpoint: EndpointDescriptor {
            b_length: 7,
            b_descriptor_type: 5,
            b_endpoint_address: EP_IN,
            bm_attributes: 0x03,
            w_max_packet_size: EP_IN_MAX_PACKET,
            b_interval: EP_IN_INTERVAL,
            b_refresh: 0,
            b_synch_address: 0,
            extra: ptr::null(),
            extra_length: 0,
        },
        hid: d.hid_descriptor(),
    });
    let p = Box::into_raw(bundle);
    // SAFETY: p is a fresh, uniquely owned allocation; the inner pointers
    // point into that same allocation, which stays put until it is freed
    // by libusb_free_config_descriptor.
    unsafe {
        (*p).config.interface = ptr::addr_of!((*p).interface);
        (*p).interface.altsetting = ptr::addr_of!((*p).alt);
        (*p).alt.endpoint = ptr::addr_of!((*p).endpoint);
        (*p).alt.extra = ptr::addr_of!((*p).hid) as *const u8;
    }
    p as *mut ConfigDescriptor
}

/// `int libusb_get_config_descriptor(libusb_device *dev, uint8_t config_index, struct libusb_config_descriptor **config)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_config_descriptor(
    dev: *mut c_void,
    index: u8,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    let mut r = replay();
    // SAFETY: dev comes from this library (or is null).
    if unsafe { dev_ref(dev) }.is_none() || config.is_null() {
        return err(UsbError::InvalidParam);
    }
    if index != 0 {
        r.log_line(format!("libusb_get_config_descriptor({index}) = NOT_FOUND"));
        return err(UsbError::NotFound);
    }
    let Some(d) = r.device.as_ref() else {
        return err(UsbError::NoDevice);
    };
    let c = make_config(d);
    // SAFETY: config is the caller's non-null out-parameter.
    unsafe { *config = c };
    r.log_line(format!("libusb_get_config_descriptor({index}) = 0"));
    SUCCESS
}

/// `int libusb_get_active_config_descriptor(libusb_device *dev, struct libusb_config_descriptor **config)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_active_config_descriptor(
    dev: *mut c_void,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    // SAFETY: same contract as libusb_get_config_descriptor.
    unsafe { libusb_get_config_descriptor(dev, 0, config) }
}

/// `int libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t bConfigurationValue, struct libusb_config_descriptor **config)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_config_descriptor_by_value(
    dev: *mut c_void,
    value: u8,
    config: *mut *mut ConfigDescriptor,
) -> c_int {
    if value != 1 {
        return err(UsbError::NotFound);
    }
    // SAFETY: same contract as libusb_get_config_descriptor.
    unsafe { libusb_get_config_descriptor(dev, 0, config) }
}

/// `void libusb_free_config_descriptor(struct libusb_config_descriptor *config)`
#[no_mangle]
pub unsafe extern "C" fn libusb_free_config_descriptor(config: *mut ConfigDescriptor) {
    if config.is_null() {
        return;
    }
    // SAFETY: every config descriptor this library returns is the first
    // field of a Box<ConfigBundle>.
    drop(unsafe { Box::from_raw(config as *mut ConfigBundle) });
}

// ------------------------------------------------------------- handles

/// `int libusb_open(libusb_device *dev, libusb_device_handle **dev_handle)`
#[no_mangle]
pub unsafe extern "C" fn libusb_open(dev: *mut c_void, handle: *mut *mut c_void) -> c_int {
    let mut r = replay();
    // SAFETY: dev comes from this library (or is null).
    let Some(d) = (unsafe { dev_ref(dev) }) else {
        return err(UsbError::InvalidParam);
    };
    if handle.is_null() {
        return err(UsbError::InvalidParam);
    }
    if let Err(e) = r.live(d.generation) {
        r.log_line(format!("libusb_open(address {}) = {e:?}", d.address));
        return err(e);
    }
    let h = Box::into_raw(Box::new(HandleObj {
        magic: HANDLE_MAGIC,
        dev: dev as *mut DevObj,
        generation: d.generation,
    }));
    // SAFETY: handle is the caller's non-null out-parameter.
    unsafe { *handle = h as *mut c_void };
    r.log_line(format!("libusb_open(address {}) = 0", d.address));
    SUCCESS
}

/// `libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vendor_id, uint16_t product_id)`
#[no_mangle]
pub extern "C" fn libusb_open_device_with_vid_pid(
    _ctx: *mut c_void,
    vid: u16,
    pid: u16,
) -> *mut c_void {
    let dev = {
        let mut r = replay();
        let ok = r
            .device
            .as_ref()
            .is_some_and(|d| d.identity.vendor_id == vid && d.identity.product_id == pid);
        if !ok {
            return ptr::null_mut();
        }
        match r.current_dev_obj() {
            Some(d) => d as *mut c_void,
            None => return ptr::null_mut(),
        }
    };
    let mut h = ptr::null_mut();
    // SAFETY: dev was just handed out by this library; h is a local out-parameter.
    if unsafe { libusb_open(dev, &mut h) } == SUCCESS {
        h
    } else {
        ptr::null_mut()
    }
}

/// `void libusb_close(libusb_device_handle *dev_handle)`
#[no_mangle]
pub unsafe extern "C" fn libusb_close(handle: *mut c_void) {
    let mut r = replay();
    // SAFETY: handle comes from libusb_open (or is null).
    if unsafe { handle_ref(handle) }.is_none() {
        return;
    }
    // SAFETY: a valid handle is a Box<HandleObj>; clear the magic so a
    // second close of the same pointer is caught, then free it.
    unsafe {
        (*(handle as *mut HandleObj)).magic = 0;
        drop(Box::from_raw(handle as *mut HandleObj));
    }
    r.log_line("libusb_close()".into());
}

/// `libusb_device *libusb_get_device(libusb_device_handle *dev_handle)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_device(handle: *mut c_void) -> *mut c_void {
    // SAFETY: handle comes from libusb_open (or is null).
    unsafe { handle_ref(handle) }.map_or(ptr::null_mut(), |h| h.dev as *mut c_void)
}

/// Common body of the simple handle calls: check that the device behind the
/// handle is still there, then return `ok`.
///
/// # Safety
/// `handle` must be null or a live handle from `libusb_open`.
unsafe fn simple(
    handle: *mut c_void,
    what: String,
    ok: impl FnOnce(&mut Device) -> c_int,
) -> c_int {
    let mut r = replay();
    // SAFETY: forwarded contract.
    let Some(h) = (unsafe { handle_ref(handle) }) else {
        return err(UsbError::InvalidParam);
    };
    let rc = match r.live(h.generation) {
        Ok(d) => ok(d),
        Err(e) => err(e),
    };
    r.log_line(format!("{what} = {rc}"));
    rc
}

/// `int libusb_kernel_driver_active(libusb_device_handle *dev_handle, int interface_number)`:
/// no kernel driver is ever bound.
#[no_mangle]
pub unsafe extern "C" fn libusb_kernel_driver_active(handle: *mut c_void, iface: c_int) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(
            handle,
            format!("libusb_kernel_driver_active({iface})"),
            |_| 0,
        )
    }
}

/// `int libusb_detach_kernel_driver(libusb_device_handle *dev_handle, int interface_number)`
#[no_mangle]
pub unsafe extern "C" fn libusb_detach_kernel_driver(handle: *mut c_void, iface: c_int) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(
            handle,
            format!("libusb_detach_kernel_driver({iface})"),
            |_| err(UsbError::NotFound),
        )
    }
}

/// `int libusb_attach_kernel_driver(libusb_device_handle *dev_handle, int interface_number)`
#[no_mangle]
pub unsafe extern "C" fn libusb_attach_kernel_driver(handle: *mut c_void, iface: c_int) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(
            handle,
            format!("libusb_attach_kernel_driver({iface})"),
            |_| err(UsbError::NotFound),
        )
    }
}

/// `int libusb_set_auto_detach_kernel_driver(libusb_device_handle *dev_handle, int enable)`
#[no_mangle]
pub unsafe extern "C" fn libusb_set_auto_detach_kernel_driver(
    handle: *mut c_void,
    enable: c_int,
) -> c_int {
    // SAFETY: handle comes from libusb_open (or is null).
    if unsafe { handle_ref(handle) }.is_none() {
        return err(UsbError::InvalidParam);
    }
    replay().log_line(format!(
        "libusb_set_auto_detach_kernel_driver({enable}) = 0"
    ));
    SUCCESS
}

fn iface_zero(iface: c_int) -> c_int {
    if iface == 0 {
        SUCCESS
    } else {
        err(UsbError::NotFound)
    }
}

/// `int libusb_claim_interface(libusb_device_handle *dev_handle, int interface_number)`
#[no_mangle]
pub unsafe extern "C" fn libusb_claim_interface(handle: *mut c_void, iface: c_int) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(handle, format!("libusb_claim_interface({iface})"), |_| {
            iface_zero(iface)
        })
    }
}

/// `int libusb_release_interface(libusb_device_handle *dev_handle, int interface_number)`
#[no_mangle]
pub unsafe extern "C" fn libusb_release_interface(handle: *mut c_void, iface: c_int) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(handle, format!("libusb_release_interface({iface})"), |_| {
            iface_zero(iface)
        })
    }
}

/// `int libusb_set_interface_alt_setting(libusb_device_handle *dev_handle, int interface_number, int alternate_setting)`
#[no_mangle]
pub unsafe extern "C" fn libusb_set_interface_alt_setting(
    handle: *mut c_void,
    iface: c_int,
    alt: c_int,
) -> c_int {
    let what = format!("libusb_set_interface_alt_setting({iface}, {alt})");
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(handle, what, |_| {
            if alt == 0 {
                iface_zero(iface)
            } else {
                err(UsbError::NotFound)
            }
        })
    }
}

/// `int libusb_set_configuration(libusb_device_handle *dev_handle, int configuration)`
#[no_mangle]
pub unsafe extern "C" fn libusb_set_configuration(
    handle: *mut c_void,
    configuration: c_int,
) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(
            handle,
            format!("libusb_set_configuration({configuration})"),
            |d| match configuration {
                -1..=1 => {
                    d.configuration = configuration.max(0) as u8;
                    SUCCESS
                }
                _ => err(UsbError::NotFound),
            },
        )
    }
}

/// `int libusb_get_configuration(libusb_device_handle *dev, int *config)`
#[no_mangle]
pub unsafe extern "C" fn libusb_get_configuration(
    handle: *mut c_void,
    config: *mut c_int,
) -> c_int {
    if config.is_null() {
        return err(UsbError::InvalidParam);
    }
    // SAFETY: forwarded libusb contract on handle; config is non-null and
    // is the caller's out-parameter.
    unsafe {
        simple(handle, "libusb_get_configuration()".into(), |d| {
            *config = c_int::from(d.configuration);
            SUCCESS
        })
    }
}

/// `int libusb_clear_halt(libusb_device_handle *dev_handle, unsigned char endpoint)`
#[no_mangle]
pub unsafe extern "C" fn libusb_clear_halt(handle: *mut c_void, endpoint: u8) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe {
        simple(
            handle,
            format!("libusb_clear_halt(0x{endpoint:02x})"),
            |_| SUCCESS,
        )
    }
}

/// `int libusb_reset_device(libusb_device_handle *dev_handle)`
#[no_mangle]
pub unsafe extern "C" fn libusb_reset_device(handle: *mut c_void) -> c_int {
    // SAFETY: forwarded libusb contract on handle.
    unsafe { simple(handle, "libusb_reset_device()".into(), |_| SUCCESS) }
}

/// `int libusb_wrap_sys_device(libusb_context *ctx, intptr_t sys_dev, libusb_device_handle **dev_handle)`
#[no_mangle]
pub extern "C" fn libusb_wrap_sys_device(
    _ctx: *mut c_void,
    _sys: isize,
    _handle: *mut *mut c_void,
) -> c_int {
    err(UsbError::NotSupported)
}

// ------------------------------------------------------------ transfers

/// `int libusb_control_transfer(libusb_device_handle *dev_handle, uint8_t request_type, uint8_t bRequest, uint16_t wValue, uint16_t wIndex, unsigned char *data, uint16_t wLength, unsigned int timeout)`
#[no_mangle]
pub unsafe extern "C" fn libusb_control_transfer(
    handle: *mut c_void,
    request_type: u8,
    request: u8,
    value: u16,
    index: u16,
    data: *mut u8,
    length: u16,
    timeout: c_uint,
) -> c_int {
    let setup = Setup {
        request_type,
        request,
        value,
        index,
        length,
    };
    let what = format!(
        "libusb_control_transfer(type=0x{request_type:02x} req=0x{request:02x} value=0x{value:04x} index={index} len={length} timeout={timeout})"
    );
    let mut r = replay();
    // SAFETY: handle comes from libusb_open (or is null).
    let Some(h) = (unsafe { handle_ref(handle) }) else {
        return err(UsbError::InvalidParam);
    };
    if data.is_null() && length > 0 {
        return err(UsbError::InvalidParam);
    }
    let out: Vec<u8> = if request_type & 0x80 == 0 && length > 0 {
        // SAFETY: for a host-to-device request the caller's buffer holds wLength bytes.
        unsafe { std::slice::from_raw_parts(data, usize::from(length)) }.to_vec()
    } else {
        Vec::new()
    };
    let result = r.live(h.generation).and_then(|d| d.control(setup, &out));
    let rc = match result {
        Ok(Reply::In(bytes)) => {
            // SAFETY: bytes.len() <= wLength, the size of the caller's buffer.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len()) };
            r.log_line(format!("{what} = {} [{}]", bytes.len(), hex(&bytes)));
            bytes.len() as c_int
        }
        Ok(Reply::Out(n)) => {
            r.log_line(format!("{what} = {n} [{}]", hex(&out)));
            n as c_int
        }
        Err(e) => {
            r.log_line(format!("{what} = {e:?}"));
            if e == UsbError::Timeout {
                drop(r);
                std::thread::sleep(Duration::from_millis(u64::from(timeout)));
            }
            err(e)
        }
    };
    rc
}

/// Interrupt (and bulk) IN: hand out the next queued report, else wait
/// for one until the timeout (0 = forever), never longer.
///
/// # Safety
/// libusb's contract: `handle` from `libusb_open`, `data` holds `length`
/// bytes, `actual` null or writable.
unsafe fn pipe_transfer(
    name: &str,
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    actual: *mut c_int,
    timeout: c_uint,
) -> c_int {
    let set_actual = |n: c_int| {
        if !actual.is_null() {
            // SAFETY: actual is the caller's out-parameter.
            unsafe { *actual = n };
        }
    };
    set_actual(0);
    let what = format!("{name}(ep=0x{endpoint:02x} len={length} timeout={timeout})");
    // SAFETY: handle comes from libusb_open (or is null).
    let Some(h) = (unsafe { handle_ref(handle) }) else {
        return err(UsbError::InvalidParam);
    };
    if length < 0 || (data.is_null() && length > 0) {
        return err(UsbError::InvalidParam);
    }
    if endpoint != EP_IN {
        let mut r = replay();
        r.log_line(format!("{what} = NotFound"));
        return err(UsbError::NotFound);
    }
    let started = Instant::now();
    let limit = (timeout > 0).then(|| Duration::from_millis(u64::from(timeout)));
    loop {
        let mut r = replay();
        let step = match r.live(h.generation) {
            Err(e) => Err(e),
            Ok(d) => match d.take_interrupt_fault() {
                Some(e) => Err(e),
                None => Ok(d.interrupt_queue.pop_front()),
            },
        };
        match step {
            Err(e) => {
                r.log_line(format!("{what} = {e:?}"));
                return err(e);
            }
            Ok(Some(report)) => {
                let n = report.len().min(length as usize);
                // SAFETY: n <= length, the size of the caller's buffer.
                unsafe { ptr::copy_nonoverlapping(report.as_ptr(), data, n) };
                set_actual(n as c_int);
                if report.len() > n {
                    r.log_line(format!("{what} = Overflow [{}]", hex(&report)));
                    return err(UsbError::Overflow);
                }
                r.log_line(format!("{what} = 0 [{}]", hex(&report)));
                return SUCCESS;
            }
            Ok(None) => {
                let elapsed = started.elapsed();
                if let Some(limit) = limit {
                    if elapsed >= limit {
                        r.log_line(format!("{what} = Timeout"));
                        return err(UsbError::Timeout);
                    }
                }
                drop(r);
                let left = limit.map_or(Duration::from_millis(20), |l| l - elapsed);
                std::thread::sleep(left.min(Duration::from_millis(20)));
            }
        }
    }
}

/// `int libusb_interrupt_transfer(libusb_device_handle *dev_handle, unsigned char endpoint, unsigned char *data, int length, int *actual_length, unsigned int timeout)`
#[no_mangle]
pub unsafe extern "C" fn libusb_interrupt_transfer(
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    actual: *mut c_int,
    timeout: c_uint,
) -> c_int {
    // SAFETY: forwarded libusb contract.
    unsafe {
        pipe_transfer(
            "libusb_interrupt_transfer",
            handle,
            endpoint,
            data,
            length,
            actual,
            timeout,
        )
    }
}

/// `int libusb_bulk_transfer(...)`: the device has no bulk endpoint, so
/// this behaves as the interrupt call would on the wrong endpoint.
#[no_mangle]
pub unsafe extern "C" fn libusb_bulk_transfer(
    handle: *mut c_void,
    endpoint: u8,
    data: *mut u8,
    length: c_int,
    actual: *mut c_int,
    timeout: c_uint,
) -> c_int {
    if endpoint == EP_IN {
        if !actual.is_null() {
            // SAFETY: actual is the caller's out-parameter.
            unsafe { *actual = 0 };
        }
        return err(UsbError::Io);
    }
    // SAFETY: forwarded libusb contract.
    unsafe {
        pipe_transfer(
            "libusb_bulk_transfer",
            handle,
            endpoint,
            data,
            length,
            actual,
            timeout,
        )
    }
}

/// `int libusb_get_string_descriptor_ascii(libusb_device_handle *dev_handle, uint8_t desc_index, unsigned char *data, int length)`:
/// reads the language list, then the string, through the control pipe
/// (so scripted faults apply), and keeps ASCII, '?' for the rest.
#[no_mangle]
pub unsafe extern "C" fn libusb_get_string_descriptor_ascii(
    handle: *mut c_void,
    index: u8,
    data: *mut u8,
    length: c_int,
) -> c_int {
    if index == 0 || data.is_null() || length <= 0 {
        return err(UsbError::InvalidParam);
    }
    let mut buf = [0u8; 255];
    // SAFETY: forwarded contract on handle; buf is a local buffer of 255 bytes.
    let n = unsafe {
        libusb_control_transfer(handle, 0x80, 0x06, 0x0300, 0, buf.as_mut_ptr(), 255, 1000)
    };
    if n < 0 {
        return n;
    }
    if n < 4 {
        return err(UsbError::Io);
    }
    let langid = u16::from_le_bytes([buf[2], buf[3]]);
    // SAFETY: as above.
    let n = unsafe {
        libusb_control_transfer(
            handle,
            0x80,
            0x06,
            0x0300 | u16::from(index),
            langid,
            buf.as_mut_ptr(),
            255,
            1000,
        )
    };
    if n < 0 {
        return n;
    }
    let n = n as usize;
    if n < 2 || buf[1] != 0x03 || usize::from(buf[0]) > n {
        return err(UsbError::Io);
    }
    let units = (usize::from(buf[0]) - 2) / 2;
    let room = length as usize - 1;
    let mut written = 0usize;
    for i in 0..units.min(room) {
        let u = u16::from_le_bytes([buf[2 + 2 * i], buf[3 + 2 * i]]);
        let c = if u < 0x80 { u as u8 } else { b'?' };
        // SAFETY: i < room < length, the size of the caller's buffer.
        unsafe { *data.add(i) = c };
        written += 1;
    }
    // SAFETY: written <= length - 1.
    unsafe { *data.add(written) = 0 };
    replay().log_line(format!(
        "libusb_get_string_descriptor_ascii({index}) = {written}"
    ));
    written as c_int
}

// ---------------------------------------- asynchronous API: not modelled

/// `struct libusb_transfer *libusb_alloc_transfer(int iso_packets)`:
/// asynchronous transfers are not modelled; NULL means "no memory".
#[no_mangle]
pub extern "C" fn libusb_alloc_transfer(_iso_packets: c_int) -> *mut c_void {
    ptr::null_mut()
}

/// `void libusb_free_transfer(struct libusb_transfer *transfer)`
#[no_mangle]
pub extern "C" fn libusb_free_transfer(_transfer: *mut c_void) {}

/// `int libusb_submit_transfer(struct libusb_transfer *transfer)`
#[no_mangle]
pub extern "C" fn libusb_submit_transfer(_transfer: *mut c_void) -> c_int {
    err(UsbError::NotSupported)
}

/// `int libusb_cancel_transfer(struct libusb_transfer *transfer)`
#[no_mangle]
pub extern "C" fn libusb_cancel_transfer(_transfer: *mut c_void) -> c_int {
    err(UsbError::NotFound)
}

/// `void libusb_transfer_set_stream_id(struct libusb_transfer *transfer, uint32_t stream_id)`
#[no_mangle]
pub extern "C" fn libusb_transfer_set_stream_id(_transfer: *mut c_void, _stream_id: u32) {}

/// `uint32_t libusb_transfer_get_stream_id(struct libusb_transfer *transfer)`
#[no_mangle]
pub extern "C" fn libusb_transfer_get_stream_id(_transfer: *mut c_void) -> u32 {
    0
}

/// `int libusb_alloc_streams(libusb_device_handle *dev_handle, uint32_t num_streams, unsigned char *endpoints, int num_endpoints)`
#[no_mangle]
pub extern "C" fn libusb_alloc_streams(
    _h: *mut c_void,
    _n: u32,
    _eps: *mut u8,
    _num: c_int,
) -> c_int {
    err(UsbError::NotSupported)
}

/// `int libusb_free_streams(libusb_device_handle *dev_handle, unsigned char *endpoints, int num_endpoints)`
#[no_mangle]
pub extern "C" fn libusb_free_streams(_h: *mut c_void, _eps: *mut u8, _num: c_int) -> c_int {
    err(UsbError::NotSupported)
}

/// `unsigned char *libusb_dev_mem_alloc(libusb_device_handle *dev_handle, size_t length)`
#[no_mangle]
pub extern "C" fn libusb_dev_mem_alloc(_h: *mut c_void, _len: usize) -> *mut u8 {
    ptr::null_mut()
}

/// `int libusb_dev_mem_free(libusb_device_handle *dev_handle, unsigned char *buffer, size_t length)`
#[no_mangle]
pub extern "C" fn libusb_dev_mem_free(_h: *mut c_void, _buf: *mut u8, _len: usize) -> c_int {
    err(UsbError::NotSupported)
}

/// Sleep for a `struct timeval` (None: a short default), never longer.
///
/// # Safety
/// `tv` must be null or point at a `struct timeval`.
unsafe fn sleep_tv(tv: *const c_void) {
    let d = if tv.is_null() {
        Duration::from_millis(50)
    } else {
        // SAFETY: tv points at a struct timeval { time_t tv_sec; suseconds_t tv_usec; },
        // two C longs on the Linux targets this library is built for.
        let (sec, usec) = unsafe {
            let p = tv as *const std::ffi::c_long;
            (*p, *p.add(1))
        };
        Duration::from_secs(sec.max(0) as u64) + Duration::from_micros(usec.max(0) as u64)
    };
    std::thread::sleep(d.min(Duration::from_secs(60)));
}

/// `int libusb_handle_events(libusb_context *ctx)`: there are never
/// asynchronous events; waits a little so event loops do not spin.
#[no_mangle]
pub extern "C" fn libusb_handle_events(_ctx: *mut c_void) -> c_int {
    std::thread::sleep(Duration::from_millis(50));
    SUCCESS
}

/// `int libusb_handle_events_completed(libusb_context *ctx, int *completed)`
#[no_mangle]
pub extern "C" fn libusb_handle_events_completed(
    ctx: *mut c_void,
    _completed: *mut c_int,
) -> c_int {
    libusb_handle_events(ctx)
}

/// `int libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)`
#[no_mangle]
pub unsafe extern "C" fn libusb_handle_events_timeout(
    _ctx: *mut c_void,
    tv: *const c_void,
) -> c_int {
    // SAFETY: tv is null or the caller's struct timeval.
    unsafe { sleep_tv(tv) };
    SUCCESS
}

/// `int libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv, int *completed)`
#[no_mangle]
pub unsafe extern "C" fn libusb_handle_events_timeout_completed(
    _ctx: *mut c_void,
    tv: *const c_void,
    _completed: *mut c_int,
) -> c_int {
    // SAFETY: tv is null or the caller's struct timeval.
    unsafe { sleep_tv(tv) };
    SUCCESS
}

/// `int libusb_handle_events_locked(libusb_context *ctx, struct timeval *tv)`
#[no_mangle]
pub unsafe extern "C" fn libusb_handle_events_locked(
    _ctx: *mut c_void,
    tv: *const c_void,
) -> c_int {
    // SAFETY: tv is null or the caller's struct timeval.
    unsafe { sleep_tv(tv) };
    SUCCESS
}

/// `int libusb_wait_for_event(libusb_context *ctx, struct timeval *tv)`: 1 = timed out.
#[no_mangle]
pub unsafe extern "C" fn libusb_wait_for_event(_ctx: *mut c_void, tv: *const c_void) -> c_int {
    // SAFETY: tv is null or the caller's struct timeval.
    unsafe { sleep_tv(tv) };
    1
}

/// `int libusb_get_next_timeout(libusb_context *ctx, struct timeval *tv)`: 0 = none pending.
#[no_mangle]
pub extern "C" fn libusb_get_next_timeout(_ctx: *mut c_void, _tv: *mut c_void) -> c_int {
    0
}

/// `int libusb_try_lock_events(libusb_context *ctx)`: 0 = lock obtained.
#[no_mangle]
pub extern "C" fn libusb_try_lock_events(_ctx: *mut c_void) -> c_int {
    0
}

/// `void libusb_lock_events(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_lock_events(_ctx: *mut c_void) {}

/// `void libusb_unlock_events(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_unlock_events(_ctx: *mut c_void) {}

/// `void libusb_lock_event_waiters(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_lock_event_waiters(_ctx: *mut c_void) {}

/// `void libusb_unlock_event_waiters(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_unlock_event_waiters(_ctx: *mut c_void) {}

/// `int libusb_event_handling_ok(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_event_handling_ok(_ctx: *mut c_void) -> c_int {
    1
}

/// `int libusb_event_handler_active(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_event_handler_active(_ctx: *mut c_void) -> c_int {
    0
}

/// `void libusb_interrupt_event_handler(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_interrupt_event_handler(_ctx: *mut c_void) {}

/// `int libusb_pollfds_handle_timeouts(libusb_context *ctx)`
#[no_mangle]
pub extern "C" fn libusb_pollfds_handle_timeouts(_ctx: *mut c_void) -> c_int {
    1
}

struct NullList([*const c_void; 1]);
// SAFETY: an immutable list holding only a null pointer.
unsafe impl Sync for NullList {}
static NO_POLLFDS: NullList = NullList([ptr::null()]);

/// `const struct libusb_pollfd **libusb_get_pollfds(libusb_context *ctx)`: an empty list.
#[no_mangle]
pub extern "C" fn libusb_get_pollfds(_ctx: *mut c_void) -> *const *const c_void {
    NO_POLLFDS.0.as_ptr()
}

/// `void libusb_free_pollfds(const struct libusb_pollfd **pollfds)`
#[no_mangle]
pub extern "C" fn libusb_free_pollfds(_pollfds: *const *const c_void) {}

/// `void libusb_set_pollfd_notifiers(libusb_context *ctx, libusb_pollfd_added_cb added_cb, libusb_pollfd_removed_cb removed_cb, void *user_data)`
#[no_mangle]
pub extern "C" fn libusb_set_pollfd_notifiers(
    _ctx: *mut c_void,
    _a: *mut c_void,
    _r: *mut c_void,
    _u: *mut c_void,
) {
}

/// `int libusb_hotplug_register_callback(...)`: no hotplug (see libusb_has_capability).
#[no_mangle]
pub extern "C" fn libusb_hotplug_register_callback(
    _ctx: *mut c_void,
    _events: c_int,
    _flags: c_int,
    _vendor_id: c_int,
    _product_id: c_int,
    _dev_class: c_int,
    _cb: *mut c_void,
    _user_data: *mut c_void,
    _handle: *mut c_int,
) -> c_int {
    err(UsbError::NotSupported)
}

/// `void libusb_hotplug_deregister_callback(libusb_context *ctx, libusb_hotplug_callback_handle callback_handle)`
#[no_mangle]
pub extern "C" fn libusb_hotplug_deregister_callback(_ctx: *mut c_void, _handle: c_int) {}

/// `void *libusb_hotplug_get_user_data(libusb_context *ctx, libusb_hotplug_callback_handle callback_handle)`
#[no_mangle]
pub extern "C" fn libusb_hotplug_get_user_data(_ctx: *mut c_void, _handle: c_int) -> *mut c_void {
    ptr::null_mut()
}

// ------------------------------------------------- BOS (USB 2.1+): absent

/// `int libusb_get_bos_descriptor(libusb_device_handle *dev_handle, struct libusb_bos_descriptor **bos)`:
/// a USB 1.1 device has none and stalls the request.
#[no_mangle]
pub extern "C" fn libusb_get_bos_descriptor(_h: *mut c_void, _bos: *mut *mut c_void) -> c_int {
    err(UsbError::Pipe)
}

/// `void libusb_free_bos_descriptor(struct libusb_bos_descriptor *bos)`
#[no_mangle]
pub extern "C" fn libusb_free_bos_descriptor(_bos: *mut c_void) {}

/// `int libusb_get_usb_2_0_extension_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_get_usb_2_0_extension_descriptor(
    _c: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    err(UsbError::InvalidParam)
}

/// `void libusb_free_usb_2_0_extension_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_free_usb_2_0_extension_descriptor(_p: *mut c_void) {}

/// `int libusb_get_ss_usb_device_capability_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_get_ss_usb_device_capability_descriptor(
    _c: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    err(UsbError::InvalidParam)
}

/// `void libusb_free_ss_usb_device_capability_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_free_ss_usb_device_capability_descriptor(_p: *mut c_void) {}

/// `int libusb_get_container_id_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_get_container_id_descriptor(
    _c: *mut c_void,
    _cap: *mut c_void,
    _out: *mut *mut c_void,
) -> c_int {
    err(UsbError::InvalidParam)
}

/// `void libusb_free_container_id_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_free_container_id_descriptor(_p: *mut c_void) {}

/// `int libusb_get_ss_endpoint_companion_descriptor(...)`: full-speed endpoints have none.
#[no_mangle]
pub extern "C" fn libusb_get_ss_endpoint_companion_descriptor(
    _c: *mut c_void,
    _ep: *const c_void,
    _out: *mut *mut c_void,
) -> c_int {
    err(UsbError::NotFound)
}

/// `void libusb_free_ss_endpoint_companion_descriptor(...)`
#[no_mangle]
pub extern "C" fn libusb_free_ss_endpoint_companion_descriptor(_p: *mut c_void) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_libusb_h_on_lp64() {
        assert_eq!(size_of::<DeviceDescriptor>(), 18);
        assert_eq!(offset_of!(DeviceDescriptor, id_vendor), 8);
        assert_eq!(offset_of!(DeviceDescriptor, b_num_configurations), 17);
        assert_eq!(offset_of!(EndpointDescriptor, extra), 16);
        assert_eq!(size_of::<EndpointDescriptor>(), 32);
        assert_eq!(offset_of!(InterfaceDescriptor, endpoint), 16);
        assert_eq!(size_of::<InterfaceDescriptor>(), 40);
        assert_eq!(size_of::<Interface>(), 16);
        assert_eq!(offset_of!(ConfigDescriptor, interface), 16);
        assert_eq!(size_of::<ConfigDescriptor>(), 40);
        assert_eq!(size_of::<Version>(), 24);
        assert_eq!(offset_of!(ConfigBundle, config), 0);
    }

    #[test]
    fn error_names() {
        // SAFETY: the returned pointers are static NUL-terminated strings.
        let name = unsafe { std::ffi::CStr::from_ptr(libusb_error_name(-4)) };
        assert_eq!(name.to_str().unwrap(), "LIBUSB_ERROR_NO_DEVICE");
        // SAFETY: as above.
        let unknown = unsafe { std::ffi::CStr::from_ptr(libusb_strerror(-55)) };
        assert_eq!(unknown.to_str().unwrap(), "Unknown error code");
    }
}
