//! PowerCOM (VID 0d9f). Written from what NUT 2.8.0's `PowerCOM HID 0.6`
//! does on the recorded 0d9f:0004 unit: status bits from both
//! `PowerSummary.PresentStatus` and a flat `UPS.PresentStatus`, read on
//! full polls only (the quick poll reads just the shutdown timer);
//! `battery.date`/`ups.date` from the HID manufacturer dates; server-side
//! delays of 60 s (start) and 20 s (shutdown), 8 characters long; no
//! battery voltage. The PowerCOM vendor page items NUT also tries
//! (`PowercomUPS...`) are absent on the recorded unit and left out.
//!
//! The delay commands write PowerCOM's encodings (minutes and seconds in
//! separate bytes, a flag for return or stay off), probed by sending NUT
//! 2.8.0's driver the commands on a replayed unit; the beeper is 1 on,
//! 0 off.

use crate::table::*;

const fn absent8(name: &'static str, path: &'static str, dflt: &'static str) -> Entry {
    Entry { name, var_flags: RW | STRING, len: 8, path, fmt: dflt, flags: ABSENT, info: Info::Format }
}

const fn delay_cmd(name: &'static str, path: &'static str, dflt: &'static str, c: Converter) -> Entry {
    Entry { name, var_flags: 0, len: 0, path, fmt: dflt, flags: CMD, info: Info::Convert(c) }
}

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", 0, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.BatteryPresent", 0, NOBATTERY),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", 0, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.Charging", 0, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.CommunicationLost", 0, COMMFAULT),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", 0, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.NeedReplacement", 0, REPLACEBATT),
    bool_("UPS.PowerSummary.PresentStatus.Overload", 0, OVERLOAD),
    bool_("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", 0, TIMELIMITEXPIRED),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
    bool_("UPS.PresentStatus.ACPresent", 0, ONLINE),
    bool_("UPS.PresentStatus.BatteryPresent", 0, NOBATTERY),
    bool_("UPS.PresentStatus.BelowRemainingCapacityLimit", 0, LOWBATT),
    bool_("UPS.PresentStatus.Boost", 0, BOOST),
    bool_("UPS.PresentStatus.Buck", 0, TRIM),
    bool_("UPS.PresentStatus.Charging", 0, CHARGING),
    bool_("UPS.PresentStatus.CommunicationLost", 0, COMMFAULT),
    bool_("UPS.PresentStatus.Discharging", 0, DISCHARGING),
    bool_("UPS.PresentStatus.NeedReplacement", 0, REPLACEBATT),
    bool_("UPS.PresentStatus.Overload", 0, OVERLOAD),
    bool_("UPS.PresentStatus.RemainingTimeLimitExpired", 0, TIMELIMITEXPIRED),
    bool_("UPS.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    var("battery.charge", "UPS.Battery.RemainingCapacity", "%.0f"),
    var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.date", "UPS.Battery.ManufacturerDate", 0, Converter::Date),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    lkp("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", 0, BEEPER),
    lkp("ups.beeper.status", "UPS.AudibleAlarmControl", 0, BEEPER),
    var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    conv("ups.date", "UPS.PowerSummary.ManufacturerDate", 0, Converter::Date),
    lkp("ups.test.result", "UPS.Battery.Test", 0, TEST_READ),
    absent8("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "60"),
    var("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f"),
    absent8("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK_POLL),
    var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    var("input.frequency", "UPS.Input.Frequency", "%.1f"),
    var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    conv("battery.temperature", "UPS.Battery.Temperature", 0, Converter::KelvinCelsius),
    cmd("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "0"),
    cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    delay_cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "60", Converter::PowercomStart),
    delay_cmd("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY, Converter::PowercomReturn),
    delay_cmd("shutdown.stayoff", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY, Converter::PowercomStayOff),
];
