//! Legrand (VID 1cb0). Written from what NUT 2.8.0's `Legrand HID 0.2`
//! does on the recorded 1cb0:0032 unit (each table path it tries, in
//! order, and what it publishes): the values live under PowerConverter,
//! BatterySystem.Battery and OutletSystem.Outlet, with the PDC paths tried
//! first. No beeper status, battery type or apparent power is published;
//! `ups.realpower.nominal` comes from `Flow.ConfigApparentPower` when there
//! is no `Output.ConfigActivePower`.

use crate::table::*;

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    var("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f"),
    var("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.1f"),
    var("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f"),
    var("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f"),
    var("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f"),
    var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    var("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    var("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f"),
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    var("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f"),
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    var("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    var("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    var("ups.realpower.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.Output.Overload", PS, OVERLOAD),
    absent("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    absent("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    cmd("test.battery.stop", "UPS.Output.Test", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    // NUT 2.8.0 writes 3 (muted) for it on Legrand units.
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];
