//! Delta (VID 05dd; also Minuteman / Para Systems units on 05dd:a0a0,
//! which NUT 2.8.0 hands to this subdriver when `productid` is given,
//! since Delta is the first subdriver that knows the VID).
//!
//! Written from what NUT 2.8.0's `Delta UPS HID 0.6` does on the recorded
//! Minuteman unit: the paths it tries in order, what it publishes, with
//! which decimals, which items it re-reads on every poll, and which flags
//! it sets (RW without STRING for the transfer voltages and the restart
//! delay). Delta keeps a few items on its vendor page 0xffff:
//! `DeltaOutputSource` (0x91) and `DeltaConfigStartPowerRestoreDelay`
//! (0x81) under `OutletSystem.Outlet`.

use crate::table::*;

const PS: u16 = QUICK_POLL;

/// `DeltaOutputSource`, as NUT 2.8.0 words it (probed by replaying the
/// Minuteman with the value changed; 9 and above publish nothing).
const OUTPUT_SOURCE: &[(i64, &str)] = &[
    (0, "normal"),
    (1, "battery"),
    (2, "bypass/reserve"),
    (3, "reducing"),
    (4, "boosting"),
    (5, "manual bypass"),
    (6, "other"),
    (7, "no output"),
    (8, "on eco"),
];

const fn rw_num(name: &'static str, path: &'static str, fmt: &'static str) -> Entry {
    Entry { name, var_flags: RW, len: 0, path, fmt, flags: 0, info: Info::Format }
}

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.1f"),
    varf("input.voltage", "UPS.PowerSummary.Input.Voltage", "%.1f", PS),
    varf("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f", PS),
    rw_num("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f"),
    rw_num("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f"),
    lkp("input.source", "UPS.OutletSystem.Outlet.ffff0091", 0, OUTPUT_SOURCE),
    varf("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.1f", PS),
    var("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f"),
    varf("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f", PS),
    varf("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", PS),
    varf("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f", PS),
    var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    conv("battery.temperature", "UPS.BatterySystem.Temperature", 0, Converter::KelvinCelsius),
    varf("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", PS),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    var("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    var("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.1f"),
    var("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.1f"),
    varf("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f", PS),
    varf("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f", PS),
    varf("output.current", "UPS.PowerConverter.Output.Current", "%.1f", PS),
    lkp("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", PS, BEEPER),
    lkp("ups.test.result", "UPS.BatterySystem.Test", 0, TEST_READ),
    var("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    varf("ups.realpower", "UPS.OutletSystem.Outlet.ActivePower", "%.1f", PS),
    varf("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.1f", PS),
    varf("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.1f", PS),
    rw_num("ups.delay.start", "UPS.OutletSystem.Outlet.ffff0081", "%.0f"),
    varf("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f", PS),
    varf("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f", PS),
    bool_("UPS.PowerSummary.PresentStatus.Good", PS, OFF),
    bool_("UPS.PowerSummary.PresentStatus.InternalFailure", PS, COMMFAULT),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", PS, SHUTDOWNIMM),
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.FullyCharged", PS, FULLYCHARGED),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.FullyDischarged", PS, DEPLETED),
    bool_("UPS.PowerSummary.PresentStatus.NeedReplacement", PS, REPLACEBATT),
    bool_("UPS.PowerConverter.PresentStatus.VoltageOutOfRange", PS, VRANGE),
    bool_("UPS.PowerConverter.PresentStatus.Buck", PS, TRIM),
    bool_("UPS.PowerConverter.PresentStatus.Boost", PS, BOOST),
    bool_("UPS.PowerConverter.PresentStatus.Overload", PS, OVERLOAD),
    // Observed: Used = 0 sets "no battery".
    bool_("UPS.PowerConverter.PresentStatus.Used", PS, NOBATTERY),
    bool_("UPS.PowerConverter.PresentStatus.OverTemperature", PS, OVERHEAT),
    bool_("UPS.PowerConverter.PresentStatus.InternalFailure", PS, COMMFAULT),
    bool_("UPS.PowerConverter.PresentStatus.AwaitingPower", PS, AWAITINGPOWER),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("test.battery.start.quick", "UPS.BatterySystem.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Test", "3"),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10"),
];
