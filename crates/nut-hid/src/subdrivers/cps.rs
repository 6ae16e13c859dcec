//! CyberPower (VID 0764), as NUT 2.8.0 has it: the same 20/30 s delays as
//! every other subdriver (NUT master uses 60/120) and no ups.power,
//! ups.power.nominal or ups.realpower (master added those).

use crate::descriptor::Descriptor;
use crate::table::*;

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    conv("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", 0, Converter::StringId),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    rw("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", SEMI_STATIC),
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    rw("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", SEMI_STATIC),
    var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    var("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    lkp("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", 0, BEEPER),
    lkp("ups.test.result", "UPS.Output.Test", 0, TEST_READ),
    var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f", PS),
    varf("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f", PS),
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.FullyCharged", 0, FULLYCHARGED),
    bool_("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", 0, TIMELIMITEXPIRED),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
    bool_("UPS.PowerSummary.PresentStatus.NeedReplacement", 0, REPLACEBATT),
    bool_("UPS.Output.Boost", 0, BOOST),
    bool_("UPS.Output.Overload", 0, OVERLOAD),
    var("input.frequency", "UPS.Input.Frequency", "%.1f"),
    var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    rw("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", SEMI_STATIC),
    rw("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", SEMI_STATIC),
    var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    cmd("test.battery.stop", "UPS.Output.Test", "3"),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// Logical range CyberPower voltages get when their descriptor is wrong.
const VOLT_LOGMIN: i64 = 0;
const VOLT_LOGMAX: i64 = 511;
const HVT: u32 = 0x0084_0054;
const VOLTAGE: u32 = 0x0084_0030;

fn range_of(d: &Descriptor, rid: u8, usage: u32) -> Option<(i64, i64, bool, u32)> {
    d.fields
        .iter()
        .find(|f| f.report_id == rid && f.usage() == usage)
        .map(|f| (f.logical_min, f.logical_max, f.logical_max_assumed, f.bit_size))
}

fn set_range(d: &mut Descriptor, rid: u8, usage: u32, min: Option<i64>, max: i64) {
    for f in d.fields.iter_mut().filter(|f| f.report_id == rid && f.usage() == usage) {
        if let Some(m) = min {
            f.logical_min = m;
        }
        f.logical_max = max;
    }
}

/// CyberPower 0501/0601 descriptors give the output (report 0x12) and
/// sometimes input (0x0f) voltage the logical range of the high transfer
/// voltage (0x10), or a LogMax that only fit when read unsigned; widen
/// them as NUT does, or readings clamp to the transfer range.
pub fn fix(d: &mut Descriptor) -> Vec<String> {
    let mut log = Vec::new();
    if let Some((hmin, hmax, _, _)) = range_of(d, 0x10, HVT) {
        if let Some((omin, omax, _, _)) = range_of(d, 0x12, VOLTAGE) {
            if (omin, omax) == (hmin, hmax) {
                set_range(d, 0x12, VOLTAGE, Some(VOLT_LOGMIN), VOLT_LOGMAX);
                log.push(format!("set Output Voltage LogMin = {VOLT_LOGMIN}, LogMax = {VOLT_LOGMAX}"));
                if let Some((imin, imax, _, _)) = range_of(d, 0x0f, VOLTAGE) {
                    if (imin, imax) == (hmin, hmax) {
                        set_range(d, 0x0f, VOLTAGE, Some(VOLT_LOGMIN), VOLT_LOGMAX);
                        log.push(format!("set Input Voltage LogMin = {VOLT_LOGMIN}, LogMax = {VOLT_LOGMAX}"));
                    }
                }
            }
        }
    }
    if let (Some((_, mut omax, oass, osize)), Some((_, mut imax, iass, isize))) =
        (range_of(d, 0x12, VOLTAGE), range_of(d, 0x0f, VOLTAGE))
    {
        if oass || iass {
            let (o0, i0) = (omax, imax);
            if oass && omax < VOLT_LOGMAX {
                omax = VOLT_LOGMAX;
            }
            if iass && imax < VOLT_LOGMAX {
                imax = VOLT_LOGMAX;
            }
            if oass && omax < imax {
                omax = imax;
            } else if iass && imax < omax {
                imax = omax;
            }
            let cap = |size: u32, v: i64| if size > 1 && size < 63 { v.min((1i64 << size) - 1) } else { v };
            if iass {
                imax = cap(isize, imax);
            }
            if oass {
                omax = cap(osize, omax);
            }
            if imax != i0 {
                set_range(d, 0x0f, VOLTAGE, None, imax);
                log.push(format!("set Input Voltage LogMax = {imax}"));
            }
            if omax != o0 {
                set_range(d, 0x12, VOLTAGE, None, omax);
                log.push(format!("set Output Voltage LogMax = {omax}"));
            }
        }
    }
    log
}
