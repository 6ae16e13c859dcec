//! Building blocks of a subdriver's HID-to-NUT table ("hid2nut").

/// `ST_FLAG_RW`: the variable may be set by clients.
pub const RW: u8 = 0x01;
/// `ST_FLAG_STRING`: the variable is a string of bounded length.
pub const STRING: u8 = 0x02;

/// Read once during init only.
pub const STATIC: u16 = 0x0002;
/// Re-read only after a SET or INSTCMD.
pub const SEMI_STATIC: u16 = 0x0004;
/// Server-side variable with a default value; not read from the device.
pub const ABSENT: u16 = 0x0008;
/// Read on every poll, not only on full polls.
pub const QUICK_POLL: u16 = 0x0010;
/// Publish the lookup table's texts as ENUM values (RW variables only).
pub const ENUM: u16 = 0x0020;
/// The entry is an instant command; `fmt` holds the value to write.
pub const CMD: u16 = 0x0040;

/// Function converters NUT applies instead of a printf format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    /// HID packed date (days 0-4, months 5-8, years since 1980 above) → `YYYY/MM/DD`.
    Date,
    /// APC's hex-as-decimal date `0xMMDDYY` → `YYYY/MM/DD`.
    ApcDate,
    /// Print as 4+ lowercase hex digits.
    Hex,
    /// The value is a USB string descriptor index: publish that string.
    StringId,
    /// Divide by 10, one decimal.
    DivideBy10,
    /// Divide by 100, two decimals.
    DivideBy100,
    /// Kelvin to Celsius, one decimal (values that already look like
    /// Celsius are kept).
    KelvinCelsius,
    /// Clamp to at most 100, no decimals (CyberPower charge).
    Percent100,
    /// Eaton/MGE: the nominal voltage selector published with no decimals.
    Integer,
    /// Absolute value, no decimals.
    Absolute,
    /// Eaton: battery runtime/"Code" passthrough as `%.0f` but negative → absent.
    NonNegative,
    /// Eaton `PowerSummary.Voltage`: NUT 2.8.0 publishes nothing for it on
    /// a unit without a battery nominal voltage (a 5E: any value, 0, 1, 13
    /// or 136, gives nothing). With `battery.voltage.nominal` published we
    /// use `%.1f` (no recording shows that case).
    BatteryVoltage,
    /// Eaton units without an active-power item: `ups.realpower` estimated
    /// from the nominal apparent power (the value), the published `ups.load`
    /// and a power factor of 0.8, no decimals (NUT 2.8.0: 700 VA at 8 %
    /// gives 45, 850 VA at 24 % gives 163).
    RealpowerFromLoad,
    /// Eaton `PresentStatus.Charging`: NUT 2.8.0's MGE subdriver only
    /// trusts it when the unit has Advanced Battery Monitoring items
    /// (`UPS.BatterySystem.Charger.ABMEnable`); without them it always
    /// clears the charging bit (observed: value 1 gives `!chrg`).
    AbmCharging,
    /// The same for `PresentStatus.Discharging` (`!dischrg`).
    AbmDischarging,
    /// PowerCOM `load.on.delay` (command only): whole minutes in the second
    /// byte; without a parameter the delay is `ups.delay.start`.
    PowercomStart,
    /// PowerCOM `shutdown.return` (command only): minutes in the first
    /// byte, 0x40 plus the remaining seconds (at least 1 below a minute) in
    /// the second; without a parameter the delay is `ups.delay.shutdown`.
    PowercomReturn,
    /// PowerCOM `shutdown.stayoff`: as `PowercomReturn` with 0x80.
    PowercomStayOff,
}

/// How a value is turned into NUT text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Info {
    /// Use the entry's printf format.
    Format,
    /// Exact-match lookup of the integer value.
    Lookup(&'static [(i64, &'static str)]),
    /// A function converter.
    Convert(Converter),
    /// Use the entry's printf format; the table's texts are only the ENUM
    /// values offered to clients (a value outside them is still published).
    FormatEnum(&'static [(i64, &'static str)]),
}

/// One table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// NUT variable, `BOOL` for status bits, or instant command name.
    pub name: &'static str,
    /// `RW`/`STRING` bits.
    pub var_flags: u8,
    /// Maximum string length (the AUX value), for STRING variables.
    pub len: u8,
    /// HID path (dotted names).
    pub path: &'static str,
    /// printf format, or default value (ABSENT), or value to write (CMD).
    pub fmt: &'static str,
    /// Table flags (`STATIC`, `QUICK_POLL`, ...).
    pub flags: u16,
    /// Conversion.
    pub info: Info,
}

/// A read-only variable with a format.
pub const fn var(name: &'static str, path: &'static str, fmt: &'static str) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt, flags: 0, info: Info::Format }
}

/// A read-only variable with flags.
pub const fn varf(name: &'static str, path: &'static str, fmt: &'static str, flags: u16) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt, flags, info: Info::Format }
}

/// A writable string variable (`RW | STRING`, length 10 unless changed).
pub const fn rw(name: &'static str, path: &'static str, fmt: &'static str, flags: u16) -> Entry {
    Entry { name, var_flags: RW | STRING, len: 10, path, fmt, flags, info: Info::Format }
}

/// A read-only variable through a lookup table.
pub const fn lkp(name: &'static str, path: &'static str, flags: u16, t: &'static [(i64, &'static str)]) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt: "%s", flags, info: Info::Lookup(t) }
}

/// A writable variable through a lookup table.
pub const fn rw_lkp(name: &'static str, path: &'static str, flags: u16, t: &'static [(i64, &'static str)]) -> Entry {
    Entry { name, var_flags: RW | STRING, len: 10, path, fmt: "%s", flags, info: Info::Lookup(t) }
}

/// A read-only variable through a converter.
pub const fn conv(name: &'static str, path: &'static str, flags: u16, c: Converter) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt: "%s", flags, info: Info::Convert(c) }
}

/// A status bit entry.
pub const fn bool_(path: &'static str, flags: u16, t: &'static [(i64, &'static str)]) -> Entry {
    Entry { name: "BOOL", var_flags: 0, len: 0, path, fmt: "", flags, info: Info::Lookup(t) }
}

/// A server-side variable with a default (ups.delay.start and friends).
pub const fn absent(name: &'static str, path: &'static str, default: &'static str) -> Entry {
    Entry { name, var_flags: RW | STRING, len: 10, path, fmt: default, flags: ABSENT, info: Info::Format }
}

/// An instant command writing `value` to `path`.
pub const fn cmd(name: &'static str, path: &'static str, value: &'static str) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt: value, flags: CMD, info: Info::Format }
}

/// An instant command whose value goes through a lookup on writing.
pub const fn cmd_lkp(name: &'static str, path: &'static str, value: &'static str, t: &'static [(i64, &'static str)]) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt: value, flags: CMD, info: Info::Lookup(t) }
}

/// Default `ondelay` (seconds) and `offdelay`.
pub const DEFAULT_ONDELAY: &str = "30";
/// Default `offdelay`.
pub const DEFAULT_OFFDELAY: &str = "20";

// ---- lookup tables shared by all subdrivers (NUT's usbhid-ups.c set) ----

/// ACPresent.
pub const ONLINE: &[(i64, &str)] = &[(1, "online"), (0, "!online")];
/// Discharging.
pub const DISCHARGING: &[(i64, &str)] = &[(1, "dischrg"), (0, "!dischrg")];
/// Charging.
pub const CHARGING: &[(i64, &str)] = &[(1, "chrg"), (0, "!chrg")];
/// BelowRemainingCapacityLimit.
pub const LOWBATT: &[(i64, &str)] = &[(1, "lowbatt"), (0, "!lowbatt")];
/// Overload.
pub const OVERLOAD: &[(i64, &str)] = &[(1, "overload"), (0, "!overload")];
/// NeedReplacement.
pub const REPLACEBATT: &[(i64, &str)] = &[(1, "replacebatt"), (0, "!replacebatt")];
/// ShutdownImminent.
pub const SHUTDOWNIMM: &[(i64, &str)] = &[(1, "shutdownimm"), (0, "!shutdownimm")];
/// Buck.
pub const TRIM: &[(i64, &str)] = &[(1, "trim"), (0, "!trim")];
/// Boost.
pub const BOOST: &[(i64, &str)] = &[(1, "boost"), (0, "!boost")];
/// Automatic bypass.
pub const BYPASS_AUTO: &[(i64, &str)] = &[(1, "bypassauto"), (0, "!bypassauto")];
/// Manual bypass.
pub const BYPASS_MANUAL: &[(i64, &str)] = &[(1, "bypassman"), (0, "!bypassman")];
/// SwitchOn/Off: 0 means the output is off.
pub const OFF: &[(i64, &str)] = &[(1, "!off"), (0, "off")];
/// Calibration.
pub const CALIBRATION: &[(i64, &str)] = &[(1, "cal"), (0, "!cal")];
/// OverTemperature.
pub const OVERHEAT: &[(i64, &str)] = &[(1, "overheat"), (0, "!overheat")];
/// AwaitingPower.
pub const AWAITINGPOWER: &[(i64, &str)] = &[(1, "awaitingpower"), (0, "!awaitingpower")];
/// InternalFailure / CommunicationLost.
pub const COMMFAULT: &[(i64, &str)] = &[(1, "commfault"), (0, "!commfault")];
/// RemainingTimeLimitExpired.
pub const TIMELIMITEXPIRED: &[(i64, &str)] = &[(1, "timelimitexp"), (0, "!timelimitexp")];
/// Battery voltage too low.
pub const BATTVOLTLO: &[(i64, &str)] = &[(1, "battvoltlo"), (0, "!battvoltlo")];
/// Battery voltage too high.
pub const BATTVOLTHI: &[(i64, &str)] = &[(1, "battvolthi"), (0, "!battvolthi")];
/// Charger failure.
pub const CHARGERFAIL: &[(i64, &str)] = &[(1, "chargerfail"), (0, "!chargerfail")];
/// Fan failure.
pub const FANFAIL: &[(i64, &str)] = &[(1, "fanfail"), (0, "!fanfail")];
/// BatteryPresent: 0 means no battery.
pub const NOBATTERY: &[(i64, &str)] = &[(1, "!nobattery"), (0, "nobattery")];
/// FullyCharged.
pub const FULLYCHARGED: &[(i64, &str)] = &[(1, "fullycharged"), (0, "!fullycharged")];
/// FullyDischarged.
pub const DEPLETED: &[(i64, &str)] = &[(1, "depleted"), (0, "!depleted")];
/// Input voltage out of range.
pub const VRANGE: &[(i64, &str)] = &[(1, "vrange"), (0, "!vrange")];
/// Input frequency out of range.
pub const FRANGE: &[(i64, &str)] = &[(1, "frange"), (0, "!frange")];

/// Battery test results.
pub const TEST_READ: &[(i64, &str)] = &[
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
];
/// Battery test requests.
pub const TEST_WRITE: &[(i64, &str)] = &[(0, "No test"), (1, "Quick test"), (2, "Deep test"), (3, "Abort test")];
/// AudibleAlarmControl.
pub const BEEPER: &[(i64, &str)] = &[(1, "disabled"), (2, "enabled"), (3, "muted")];
/// Yes/no.
pub const YES_NO: &[(i64, &str)] = &[(0, "no"), (1, "yes")];
/// On/off.
pub const ON_OFF: &[(i64, &str)] = &[(0, "off"), (1, "on")];
