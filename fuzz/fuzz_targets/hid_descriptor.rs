//! nut-hid: any bytes as a report descriptor, through nut-hid's own fuzz
//! entry point (parse, subdriver mapping, walks, commands, interrupts,
//! value extraction and insertion).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nut_hid::fuzz_descriptor(data);
});
