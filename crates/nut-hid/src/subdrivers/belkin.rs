//! Belkin and Liebert units with Belkin-style firmware (VIDs 050d, 10af).
//!
//! Only the standard-page part of NUT's table is here: the Belkin vendor
//! page names (`BELKINConfig`, ...) were not recorded in any capture we
//! have, so entries on them could not be checked.

use crate::table::*;

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    // Read-only in NUT 2.8.0's Belkin table.
    varf("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", SEMI_STATIC),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    conv("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", 0, Converter::Date),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", PS),
    bool_("UPS.PowerSummary.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.ShutdownImminent", 0, SHUTDOWNIMM),
    bool_("UPS.PowerSummary.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.BatteryPresent", 0, NOBATTERY),
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
];
