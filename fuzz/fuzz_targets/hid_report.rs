//! nut-hid: a descriptor followed by report bytes chosen by the fuzzer.
//! Input: 2-byte little-endian descriptor length, the descriptor, then
//! report bytes (first byte = report ID) fed to value extraction and to the
//! interrupt handler.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nut_hid::{value, Descriptor};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
    let (desc, report) = data[2..].split_at(len);
    let Ok(d) = Descriptor::parse(desc) else { return };
    for f in d.fields.iter().take(512) {
        if let Ok(v) = value::extract(report, f) {
            let _ = value::to_physical(f, v);
            let mut buf = vec![0u8; d.report_len(f.report_id).min(4096)];
            let _ = value::insert(&mut buf, f, v);
        }
    }
    if !d.fields.is_empty() {
        let usb = nut_hid::UsbIdentity { vendor_id: 0x051d, product_id: 0x0002, ..Default::default() };
        for sub in [nut_hid::SubdriverId::Apc, nut_hid::SubdriverId::Mge] {
            let mut ups = nut_hid::HidUps::new(d.clone(), sub, &usb, nut_hid::Options::default());
            let mut src = nut_hid::MapSource { missing_as_zero: Some(8), ..Default::default() };
            let _ = ups.walk(&mut src, nut_hid::Walk::Init);
            ups.handle_interrupt(report, &mut src);
            let _ = ups.status();
        }
    }
});
