//! Phoenixtec / Liebert (VID 06da: PowerWalker, BlueWalker, Ippon, ...).
//!
//! Written from what NUT 2.8.0's `Phoenixtec/Liebert HID 0.41` does on the
//! recorded PowerWalker VI 1200 SHL: the paths it tries, in order, with the
//! decimals it publishes. Its 2.8.0 table is small: no design/remaining
//! capacity, no nominal power, voltage or frequency, no output-good (`OFF`)
//! bit, no server-side delays and no instant commands (NUT master added
//! those).

use crate::table::*;

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    var("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    var("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    var("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.2f"),
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
    bool_("UPS.PowerSummary.PresentStatus.Overload", 0, OVERLOAD),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
];
