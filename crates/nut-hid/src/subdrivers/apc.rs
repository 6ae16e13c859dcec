//! APC (VID 051d).

use super::Identity;
use crate::descriptor::Descriptor;
use crate::table::*;

/// APCStatusFlag (Back-UPS LS 500): 8 and 16 mean output on.
const STATUS_FLAG: &[(i64, &str)] = &[(8, "!off"), (16, "!off"), (0, "off")];
/// APCLineFailCause read as a voltage problem.
const LINEFAIL_V: &[(i64, &str)] = &[(1, "vrange"), (2, "vrange"), (4, "vrange"), (8, "vrange"), (9, "vrange"), (0, "!vrange")];
/// APCLineFailCause read as a frequency problem.
const LINEFAIL_F: &[(i64, &str)] = &[(7, "frange"), (0, "!frange")];
/// APCSensitivity.
const SENSITIVITY: &[(i64, &str)] = &[(0, "low"), (1, "medium"), (2, "high")];

const PS: u16 = QUICK_POLL;

/// The table, first match per NUT name wins.
pub const TABLE: &[Entry] = &[
    var("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    rw("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", SEMI_STATIC),
    var("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    var("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f"),
    var("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    rw("battery.runtime.low", "UPS.Battery.RemainingTimeLimit", "%.0f", SEMI_STATIC),
    rw("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", SEMI_STATIC),
    var("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    var("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    var("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f"),
    var("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    conv("battery.temperature", "UPS.Battery.Temperature", 0, Converter::KelvinCelsius),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", 0, Converter::StringId),
    // Writable in NUT 2.8.0 (RW STRING 10), written back as a HID date.
    Entry {
        name: "battery.mfr.date",
        var_flags: RW | STRING,
        len: 10,
        path: "UPS.Battery.ManufacturerDate",
        fmt: "%s",
        flags: 0,
        info: Info::Convert(Converter::Date),
    },
    conv("battery.mfr.date", "UPS.PowerSummary.APCBattReplaceDate", 0, Converter::ApcDate),
    conv("battery.date", "UPS.Battery.APCBattReplaceDate", 0, Converter::ApcDate),
    var("ups.load", "UPS.Output.PercentLoad", "%.1f"),
    var("ups.load", "UPS.PowerConverter.PercentLoad", "%.0f"),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", PS),
    varf("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", PS),
    absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f", PS),
    varf("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f", PS),
    absent("ups.delay.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", DEFAULT_ONDELAY),
    absent("ups.delay.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", DEFAULT_OFFDELAY),
    varf("ups.timer.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "%.0f", PS),
    varf("ups.timer.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "%.0f", PS),
    varf("ups.timer.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "%.0f", PS),
    lkp("ups.test.result", "UPS.Battery.Test", 0, TEST_READ),
    lkp("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", 0, BEEPER),
    conv("ups.mfr.date", "UPS.ManufacturerDate", 0, Converter::Date),
    conv("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", 0, Converter::Date),
    var("ups.realpower.nominal", "UPS.PowerConverter.ConfigActivePower", "%.0f"),
    var("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    // status bits
    bool_("UPS.PowerSummary.PresentStatus.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.PresentStatus.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.PresentStatus.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.PresentStatus.ShutdownImminent", 0, SHUTDOWNIMM),
    bool_("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.PresentStatus.Overload", 0, OVERLOAD),
    bool_("UPS.PowerSummary.PresentStatus.NeedReplacement", 0, REPLACEBATT),
    bool_("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", 0, TIMELIMITEXPIRED),
    bool_("UPS.PowerSummary.PresentStatus.BatteryPresent", 0, NOBATTERY),
    bool_("UPS.PowerSummary.Charging", PS, CHARGING),
    bool_("UPS.PowerSummary.Discharging", PS, DISCHARGING),
    bool_("UPS.PowerSummary.ACPresent", PS, ONLINE),
    bool_("UPS.PowerSummary.BelowRemainingCapacityLimit", PS, LOWBATT),
    bool_("UPS.PowerSummary.ShutdownImminent", 0, SHUTDOWNIMM),
    bool_("UPS.PowerSummary.APCStatusFlag", PS, STATUS_FLAG),
    bool_("UPS.Input.APCLineFailCause", 0, LINEFAIL_V),
    bool_("UPS.Input.APCLineFailCause", 0, LINEFAIL_F),
    // input
    var("input.voltage", "UPS.Input.Voltage", "%.1f"),
    var("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    rw("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f", SEMI_STATIC),
    rw("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f", SEMI_STATIC),
    rw("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", SEMI_STATIC),
    rw("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", SEMI_STATIC),
    rw_lkp("input.sensitivity", "UPS.Input.APCSensitivity", SEMI_STATIC, SENSITIVITY),
    // output
    var("output.voltage", "UPS.Output.Voltage", "%.1f"),
    var("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.1f"),
    var("output.current", "UPS.Output.Current", "%.2f"),
    var("output.frequency", "UPS.Output.Frequency", "%.1f"),
    // environment
    conv("ambient.temperature", "UPS.APCEnvironment.APCProbe1.Temperature", 0, Converter::KelvinCelsius),
    var("ambient.humidity", "UPS.APCEnvironment.APCProbe1.Humidity", "%.1f"),
    // commands
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.start.deep", "UPS.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("test.battery.stop", "UPS.Battery.Test", "3"),
    cmd("test.panel.start", "UPS.APCPanelTest", "1"),
    cmd("test.panel.stop", "UPS.APCPanelTest", "0"),
    cmd("test.panel.start", "UPS.PowerSummary.APCPanelTest", "1"),
    cmd("test.panel.stop", "UPS.PowerSummary.APCPanelTest", "0"),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    cmd("load.off.delay", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", DEFAULT_OFFDELAY),
    cmd("load.on.delay", "UPS.APCGeneralCollection.APCDelayBeforeStartup", DEFAULT_ONDELAY),
    cmd("shutdown.stop", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "10"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// APC product strings look like `Back-UPS 500 FW: 6.5.I USB FW: c1 `:
/// the model is what comes before ` FW:`, `ups.firmware` what follows up
/// to ` USB FW:`, and `ups.firmware.aux` the rest (spaces kept, as NUT
/// keeps them).
pub fn split_model(product: Option<&str>, id: &mut Identity) {
    let p = product.unwrap_or("unknown");
    let Some(fw) = p.find("FW:") else {
        id.model = Some(p.to_string());
        return;
    };
    let model_end = fw.saturating_sub(1);
    id.model = Some(p[..model_end].to_string());
    let rest = &p[fw + 3..];
    let (main, aux) = match rest.find("USB FW:") {
        Some(u) => (&rest[..u.saturating_sub(1)], Some(&rest[u + 7..])),
        None => (rest, None),
    };
    if let Some(aux) = aux {
        id.extra.push(("ups.firmware.aux".to_string(), aux.to_string()));
    }
    id.extra.push(("ups.firmware".to_string(), main.to_string()));
}

const INPUT_HVT: &[u32] = &[0x0084_0004, 0x0084_001a, 0x0084_0054];
const INPUT_VOLTAGE: &[u32] = &[0x0084_0004, 0x0084_001a, 0x0084_0030];
const INPUT_CONFIG_VOLTAGE: &[u32] = &[0x0084_0004, 0x0084_001a, 0x0084_0040];

/// Back-UPS (051d:0002) firmwares whose `UPS.Input.Voltage` logical
/// maximum lies below the high transfer voltage's clamp real mains
/// readings (an XS 1400U declares 75..140 and reads 0 as 75). As NUT 2.8.0
/// does on the recorded units: the voltage gets 0 .. twice the high
/// transfer maximum (556, 560, 600 seen), and `Input.ConfigVoltage` keeps
/// its minimum but gets the same maximum, cut to what its bits hold (255
/// for 8 bits). Units whose voltage range already covers it are left alone.
pub fn fix(d: &mut Descriptor) -> Vec<String> {
    let mut log = Vec::new();
    let max_of = |d: &Descriptor, p: &[u32]| d.fields.iter().find(|f| f.path == p).map(|f| f.logical_max);
    let (Some(hvt), Some(volt)) = (max_of(d, INPUT_HVT), max_of(d, INPUT_VOLTAGE)) else {
        return log;
    };
    if volt >= hvt {
        return log;
    }
    let wide = hvt.saturating_mul(2);
    let cap = |bits: u32, v: i64| if bits > 0 && bits < 63 { v.min((1i64 << bits) - 1) } else { v };
    for f in d.fields.iter_mut() {
        if f.path == INPUT_VOLTAGE {
            f.logical_min = 0;
            f.logical_max = cap(f.bit_size, wide);
            log.push(format!("set Input Voltage LogMin = 0, LogMax = {}", f.logical_max));
        } else if f.path == INPUT_CONFIG_VOLTAGE {
            f.logical_max = cap(f.bit_size, wide);
            log.push(format!("set Input ConfigVoltage LogMin = {}, LogMax = {}", f.logical_min, f.logical_max));
        }
    }
    log
}
