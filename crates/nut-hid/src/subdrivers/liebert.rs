//! Phoenixtec / Liebert (VID 06da: PowerWalker, BlueWalker, Ippon, ...).

use crate::table::*;

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    var("battery.charge.capacity.design", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    var("battery.charge.capacity.remaining", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    varf("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f", SEMI_STATIC),
    lkp("ups.test.result", "UPS.BatterySystem.Battery.Test", 0, TEST_READ),
    lkp("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", SEMI_STATIC, BEEPER),
    var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    varf("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f", SEMI_STATIC),
    var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.2f"),
    varf("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f", SEMI_STATIC),
    varf("output.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f", SEMI_STATIC),
    varf("output.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f", SEMI_STATIC),
    var("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    var("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.2f"),
    varf("input.transfer.low", "UPS.PowerConverter.Output.ffff0057", "%.0f", SEMI_STATIC),
    varf("input.transfer.high", "UPS.PowerConverter.Output.ffff0058", "%.0f", SEMI_STATIC),
    varf("input.frequency.transfer.low", "UPS.PowerConverter.Output.ffff00f9", "%.0f", SEMI_STATIC),
    varf("input.frequency.transfer.high", "UPS.PowerConverter.Output.ffff00f8", "%.0f", SEMI_STATIC),
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Overload", PS, OVERLOAD),
    bool_("UPS.PowerSummary.PresentStatus.Good", PS, OFF),
    bool_("UPS.PowerSummary.PresentStatus.InternalFailure", PS, COMMFAULT),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", PS, SHUTDOWNIMM),
    bool_("UPS.PowerConverter.Input.[1].PresentStatus.Buck", 0, TRIM),
    bool_("UPS.PowerConverter.Input.[1].PresentStatus.Boost", 0, BOOST),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("test.battery.start", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1"),
];
