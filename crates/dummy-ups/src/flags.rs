//! Which flags and string length dummy-ups gives a variable it publishes.
//!
//! The table was measured on NUT 2.8.0's dummy-ups (every name found in the
//! device-dump library, NUT's variable descriptions and the driver itself
//! was fed to it and the resulting `SETFLAGS`/`SETAUX` recorded). Names not
//! listed are writable strings of up to 32 characters. Names are matched
//! ignoring case, as NUT does.

use nut_proto::state::VarFlags;

/// Writable number: `SETFLAGS <var> RW`, no length.
const RW_NUMBER: &[&str] = &[
    "ambient.humidity",
    "ambient.humidity.alarm",
    "ambient.humidity.high",
    "ambient.humidity.low",
    "ambient.temperature",
    "ambient.temperature.alarm",
    "ambient.temperature.high",
    "ambient.temperature.low",
    "battery.charge",
    "battery.charge.low",
    "battery.charge.restart",
    "battery.current",
    "battery.runtime",
    "battery.runtime.low",
    "battery.temperature",
    "battery.voltage",
    "battery.voltage.nominal",
    "input.frequency",
    "input.transfer.boost.high",
    "input.transfer.boost.low",
    "input.transfer.high",
    "input.transfer.low",
    "input.transfer.trim.high",
    "input.transfer.trim.low",
    "input.voltage",
    "input.voltage.maximum",
    "input.voltage.minimum",
    "input.voltage.nominal",
    "output.current",
    "output.frequency",
    "output.voltage",
    "ups.delay.reboot",
    "ups.delay.shutdown",
    "ups.delay.start",
    "ups.load",
    "ups.temperature",
    "ups.test.interval",
];

/// Writable strings with a length other than 32.
const RW_STRING_SHORT: &[(&str, usize)] = &[
    ("input.quality", 6),
    ("input.sensitivity", 1),
    ("input.transfer.reason", 1),
    ("ups.date", 16),
    ("ups.firmware", 16),
    ("ups.firmware.aux", 16),
    ("ups.id", 16),
    ("ups.mfr.date", 16),
    ("ups.test.result", 16),
    ("ups.time", 16),
];

/// Length given to every other (string) variable.
pub const DEFAULT_AUX: usize = 32;

/// Flags and maximum length (0 = none) for `name`.
pub fn for_var(name: &str) -> (VarFlags, usize) {
    let rw = VarFlags { rw: true, string: false, number: false };
    if RW_NUMBER.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return (rw, 0);
    }
    let string = VarFlags { rw: true, string: true, number: false };
    match RW_STRING_SHORT.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some((_, aux)) => (string, *aux),
        None => (string, DEFAULT_AUX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_examples() {
        assert_eq!(for_var("battery.charge").0.words(), ["RW"]);
        assert_eq!(for_var("battery.charge").1, 0);
        assert_eq!(for_var("ups.id"), (VarFlags::from_words(&["RW", "STRING"]), 16));
        assert_eq!(for_var("input.transfer.reason").1, 1);
        assert_eq!(for_var("input.quality").1, 6);
        assert_eq!(for_var("outlet.1.desc"), (VarFlags::from_words(&["RW", "STRING"]), 32));
        assert_eq!(for_var("ups.status").1, 32);
        assert_eq!(for_var("driver.name").1, 32);
        assert_eq!(for_var("UPS.LOAD").1, 0, "names are matched ignoring case");
        assert_eq!(for_var("ups.ID").1, 16);
    }
}
