//! Usage names as NUT prints them in HID paths.
//!
//! The Power Device page (0x84) and Battery System page (0x85) names follow
//! the USB "Usage Tables for HID Power Devices" 1.0, spelled as NUT spells
//! them (e.g. `SwitchOn/Off`, `iDevicename`, `CapacityGranularity1`, usage 0
//! of both pages is `Undefined`). Vendor pages are looked up first, as in
//! NUT, and are chosen by the subdriver in use. Anything unnamed prints as 8
//! lowercase hex digits; index nodes `0x00FF00nn` print as `[n]`.

use crate::error::HidError;

/// Power Device page (0x84): (id, name).
const POWER_DEVICE: &[(u16, &str)] = &[
    (0x00, "Undefined"),
    (0x01, "iName"),
    (0x02, "PresentStatus"),
    (0x03, "ChangedStatus"),
    (0x04, "UPS"),
    (0x05, "PowerSupply"),
    (0x10, "BatterySystem"),
    (0x11, "BatterySystemID"),
    (0x12, "Battery"),
    (0x13, "BatteryID"),
    (0x14, "Charger"),
    (0x15, "ChargerID"),
    (0x16, "PowerConverter"),
    (0x17, "PowerConverterID"),
    (0x18, "OutletSystem"),
    (0x19, "OutletSystemID"),
    (0x1a, "Input"),
    (0x1b, "InputID"),
    (0x1c, "Output"),
    (0x1d, "OutputID"),
    (0x1e, "Flow"),
    (0x1f, "FlowID"),
    (0x20, "Outlet"),
    (0x21, "OutletID"),
    (0x22, "Gang"),
    (0x23, "GangID"),
    (0x24, "PowerSummary"),
    (0x25, "PowerSummaryID"),
    (0x30, "Voltage"),
    (0x31, "Current"),
    (0x32, "Frequency"),
    (0x33, "ApparentPower"),
    (0x34, "ActivePower"),
    (0x35, "PercentLoad"),
    (0x36, "Temperature"),
    (0x37, "Humidity"),
    (0x38, "BadCount"),
    (0x40, "ConfigVoltage"),
    (0x41, "ConfigCurrent"),
    (0x42, "ConfigFrequency"),
    (0x43, "ConfigApparentPower"),
    (0x44, "ConfigActivePower"),
    (0x45, "ConfigPercentLoad"),
    (0x46, "ConfigTemperature"),
    (0x47, "ConfigHumidity"),
    (0x50, "SwitchOnControl"),
    (0x51, "SwitchOffControl"),
    (0x52, "ToggleControl"),
    (0x53, "LowVoltageTransfer"),
    (0x54, "HighVoltageTransfer"),
    (0x55, "DelayBeforeReboot"),
    (0x56, "DelayBeforeStartup"),
    (0x57, "DelayBeforeShutdown"),
    (0x58, "Test"),
    (0x59, "ModuleReset"),
    (0x5a, "AudibleAlarmControl"),
    (0x60, "Present"),
    (0x61, "Good"),
    (0x62, "InternalFailure"),
    (0x63, "VoltageOutOfRange"),
    (0x64, "FrequencyOutOfRange"),
    (0x65, "Overload"),
    (0x66, "OverCharged"),
    (0x67, "OverTemperature"),
    (0x68, "ShutdownRequested"),
    (0x69, "ShutdownImminent"),
    (0x6b, "SwitchOn/Off"),
    (0x6c, "Switchable"),
    (0x6d, "Used"),
    (0x6e, "Boost"),
    (0x6f, "Buck"),
    (0x70, "Initialized"),
    (0x71, "Tested"),
    (0x72, "AwaitingPower"),
    (0x73, "CommunicationLost"),
    (0xfd, "iManufacturer"),
    (0xfe, "iProduct"),
    (0xff, "iSerialNumber"),
];

/// Battery System page (0x85): (id, name).
const BATTERY_SYSTEM: &[(u16, &str)] = &[
    (0x00, "Undefined"),
    (0x01, "SMBBatteryMode"),
    (0x02, "SMBBatteryStatus"),
    (0x03, "SMBAlarmWarning"),
    (0x04, "SMBChargerMode"),
    (0x05, "SMBChargerStatus"),
    (0x06, "SMBChargerSpecInfo"),
    (0x07, "SMBSelectorState"),
    (0x08, "SMBSelectorPresets"),
    (0x09, "SMBSelectorInfo"),
    (0x10, "OptionalMfgFunction1"),
    (0x11, "OptionalMfgFunction2"),
    (0x12, "OptionalMfgFunction3"),
    (0x13, "OptionalMfgFunction4"),
    (0x14, "OptionalMfgFunction5"),
    (0x15, "ConnectionToSMBus"),
    (0x16, "OutputConnection"),
    (0x17, "ChargerConnection"),
    (0x18, "BatteryInsertion"),
    (0x19, "Usenext"),
    (0x1a, "OKToUse"),
    (0x1b, "BatterySupported"),
    (0x1c, "SelectorRevision"),
    (0x1d, "ChargingIndicator"),
    (0x28, "ManufacturerAccess"),
    (0x29, "RemainingCapacityLimit"),
    (0x2a, "RemainingTimeLimit"),
    (0x2b, "AtRate"),
    (0x2c, "CapacityMode"),
    (0x2d, "BroadcastToCharger"),
    (0x2e, "PrimaryBattery"),
    (0x2f, "ChargeController"),
    (0x40, "TerminateCharge"),
    (0x41, "TerminateDischarge"),
    (0x42, "BelowRemainingCapacityLimit"),
    (0x43, "RemainingTimeLimitExpired"),
    (0x44, "Charging"),
    (0x45, "Discharging"),
    (0x46, "FullyCharged"),
    (0x47, "FullyDischarged"),
    (0x48, "ConditioningFlag"),
    (0x49, "AtRateOK"),
    (0x4a, "SMBErrorCode"),
    (0x4b, "NeedReplacement"),
    (0x60, "AtRateTimeToFull"),
    (0x61, "AtRateTimeToEmpty"),
    (0x62, "AverageCurrent"),
    (0x63, "Maxerror"),
    (0x64, "RelativeStateOfCharge"),
    (0x65, "AbsoluteStateOfCharge"),
    (0x66, "RemainingCapacity"),
    (0x67, "FullChargeCapacity"),
    (0x68, "RunTimeToEmpty"),
    (0x69, "AverageTimeToEmpty"),
    (0x6a, "AverageTimeToFull"),
    (0x6b, "CycleCount"),
    (0x80, "BattPackModelLevel"),
    (0x81, "InternalChargeController"),
    (0x82, "PrimaryBatterySupport"),
    (0x83, "DesignCapacity"),
    (0x84, "SpecificationInfo"),
    (0x85, "ManufacturerDate"),
    (0x86, "SerialNumber"),
    (0x87, "iManufacturerName"),
    (0x88, "iDevicename"),
    (0x89, "iDeviceChemistry"),
    (0x8a, "ManufacturerData"),
    (0x8b, "Rechargeable"),
    (0x8c, "WarningCapacityLimit"),
    (0x8d, "CapacityGranularity1"),
    (0x8e, "CapacityGranularity2"),
    (0x8f, "iOEMInformation"),
    (0xc0, "InhibitCharge"),
    (0xc1, "EnablePolling"),
    (0xc2, "ResetToZero"),
    (0xd0, "ACPresent"),
    (0xd1, "BatteryPresent"),
    (0xd2, "PowerFail"),
    (0xd3, "AlarmInhibited"),
    (0xd4, "ThermistorUnderRange"),
    (0xd5, "ThermistorHot"),
    (0xd6, "ThermistorCold"),
    (0xd7, "ThermistorOverRange"),
    (0xd8, "VoltageOutOfRange"),
    (0xd9, "CurrentOutOfRange"),
    (0xda, "CurrentNotRegulated"),
    (0xdb, "VoltageNotRegulated"),
    (0xdc, "MasterMode"),
    (0xf0, "ChargerSelectorSupport"),
    (0xf1, "ChargerSpec"),
    (0xf2, "Level2"),
    (0xf3, "Level3"),
];

/// APC vendor usages (full 32-bit codes).
const APC: &[(u32, &str)] = &[
    (0xff86_0005, "APCGeneralCollection"),
    (0xff86_0006, "APCEnvironment"),
    (0xff86_0007, "APCProbe1"),
    (0xff86_0008, "APCProbe2"),
    (0xff86_0016, "APCBattReplaceDate"),
    (0xff86_0019, "APCBattCapBeforeStartup"),
    (0xff86_0042, "APC_UPS_FirmwareRevision"),
    (0xff86_0052, "APCLineFailCause"),
    (0xff86_0060, "APCStatusFlag"),
    (0xff86_0061, "APCSensitivity"),
    (0xff86_0072, "APCPanelTest"),
    (0xff86_0076, "APCShutdownAfterDelay"),
    (0xff86_0079, "APC_USB_FirmwareRevision"),
    (0xff86_007c, "APCDelayBeforeReboot"),
    (0xff86_007d, "APCDelayBeforeShutdown"),
    (0xff86_007e, "APCDelayBeforeStartup"),
    (0x0085_0058, "BUPHibernate"),
    (0x0086_0012, "BUPBattCapBeforeStartup"),
    (0x0086_0076, "BUPDelayBeforeStartup"),
    (0x0086_0010, "BUPSelfTest"),
];

/// MGE/Eaton vendor page 0xFFFF: (id, name).
const MGE: &[(u16, &str)] = &[
    (0x00, "Undefined"),
    (0x01, "STS"),
    (0x02, "Environment"),
    (0x03, "Statistic"),
    (0x04, "StatisticSystem"),
    (0x05, "USB"),
    (0x10, "Phase"),
    (0x11, "PhaseID"),
    (0x12, "Chopper"),
    (0x13, "ChopperID"),
    (0x14, "Inverter"),
    (0x15, "InverterID"),
    (0x16, "Rectifier"),
    (0x17, "RectifierID"),
    (0x18, "LCMSystem"),
    (0x19, "LCMSystemID"),
    (0x1a, "LCMAlarm"),
    (0x1b, "LCMAlarmID"),
    (0x1c, "HistorySystem"),
    (0x1d, "HistorySystemID"),
    (0x1e, "Event"),
    (0x1f, "EventID"),
    (0x20, "CircuitBreaker"),
    (0x21, "TransferForbidden"),
    (0x22, "OverallAlarm"),
    (0x23, "Dephasing"),
    (0x24, "BypassBreaker"),
    (0x25, "PowerModule"),
    (0x26, "PowerRate"),
    (0x27, "PowerSource"),
    (0x28, "CurrentPowerSource"),
    (0x29, "RedundancyLevel"),
    (0x2a, "RedundancyLost"),
    (0x2b, "NotificationStatus"),
    (0x2c, "ProtectionLost"),
    (0x2d, "ConfigurationFailure"),
    (0x2e, "CompatibilityFailure"),
    (0x40, "SwitchType"),
    (0x41, "ConverterType"),
    (0x42, "FrequencyConverterMode"),
    (0x43, "AutomaticRestart"),
    (0x44, "ForcedReboot"),
    (0x45, "TestPeriod"),
    (0x46, "EnergySaving"),
    (0x47, "StartOnBattery"),
    (0x48, "Schedule"),
    (0x49, "DeepDischargeProtection"),
    (0x4a, "ShortCircuit"),
    (0x4b, "ExtendedVoltageMode"),
    (0x4c, "SensitivityMode"),
    (0x4d, "RemainingCapacityLimitSetting"),
    (0x4e, "ExtendedFrequencyMode"),
    (0x4f, "FrequencyConverterModeSetting"),
    (0x50, "LowVoltageBoostTransfer"),
    (0x51, "HighVoltageBoostTransfer"),
    (0x52, "LowVoltageBuckTransfer"),
    (0x53, "HighVoltageBuckTransfer"),
    (0x54, "OverloadTransferEnable"),
    (0x55, "OutOfToleranceTransferEnable"),
    (0x56, "ForcedTransferEnable"),
    (0x57, "LowVoltageBypassTransfer"),
    (0x58, "HighVoltageBypassTransfer"),
    (0x59, "FrequencyRangeBypassTransfer"),
    (0x5a, "LowVoltageEcoTransfer"),
    (0x5b, "HighVoltageEcoTransfer"),
    (0x5c, "FrequencyRangeEcoTransfer"),
    (0x5d, "ShutdownTimer"),
    (0x5e, "StartupTimer"),
    (0x5f, "RestartLevel"),
    (0x60, "PhaseOutOfRange"),
    (0x61, "CurrentLimitation"),
    (0x62, "ThermalOverload"),
    (0x63, "SynchroSource"),
    (0x64, "FuseFault"),
    (0x65, "ExternalProtectedTransfert"),
    (0x66, "ExternalForcedTransfert"),
    (0x67, "Compensation"),
    (0x68, "EmergencyStop"),
    (0x69, "PowerFactor"),
    (0x6a, "PeakFactor"),
    (0x6b, "ChargerType"),
    (0x6c, "HighPositiveDCBusVoltage"),
    (0x6d, "LowPositiveDCBusVoltage"),
    (0x6e, "HighNegativeDCBusVoltage"),
    (0x6f, "LowNegativeDCBusVoltage"),
    (0x70, "FrequencyRangeTransfer"),
    (0x71, "WiringFaultDetection"),
    (0x72, "ControlStandby"),
    (0x73, "ShortCircuitTolerance"),
    (0x74, "VoltageTooHigh"),
    (0x75, "VoltageTooLow"),
    (0x76, "DCBusUnbalanced"),
    (0x77, "FanFailure"),
    (0x78, "WiringFault"),
    (0x79, "Floating"),
    (0x7a, "OverCurrent"),
    (0x7b, "RemainingActivePower"),
    (0x7c, "Energy"),
    (0x7d, "Threshold"),
    (0x7e, "OverThreshold"),
    (0x80, "Sensor"),
    (0x81, "LowHumidity"),
    (0x82, "HighHumidity"),
    (0x83, "LowTemperature"),
    (0x84, "HighTemperature"),
    (0x85, "ECOControl"),
    (0x86, "Efficiency"),
    (0x87, "ABMEnable"),
    (0x88, "NegativeCurrent"),
    (0x89, "AutomaticStart"),
    (0x90, "Count"),
    (0x91, "Timer"),
    (0x92, "Interval"),
    (0x93, "TimerExpired"),
    (0x94, "Mode"),
    (0x95, "Country"),
    (0x96, "State"),
    (0x97, "Time"),
    (0x98, "Code"),
    (0x99, "DataValid"),
    (0x9a, "ToggleTimer"),
    (0x9b, "BypassTransferDelay"),
    (0x9c, "HysteresisVoltageTransfer"),
    (0x9d, "SlewRate"),
    (0xa0, "PDU"),
    (0xa1, "Breaker"),
    (0xa2, "BreakerID"),
    (0xa3, "OverVoltage"),
    (0xa4, "Tripped"),
    (0xa5, "OverEnergy"),
    (0xa6, "OverHumidity"),
    (0xa7, "ConfigurationReset"),
    (0xa8, "Level"),
    (0xa9, "PDUType"),
    (0xaa, "ReactivePower"),
    (0xab, "Pole"),
    (0xac, "PoleID"),
    (0xad, "Reset"),
    (0xae, "WatchdogReset"),
    (0xba, "iDesignator"),
    (0xe0, "COPIBridge"),
    (0xe1, "Gateway"),
    (0xe5, "System"),
    (0xe9, "Status"),
    (0xf0, "iModel"),
    (0xf1, "iVersion"),
    (0xf2, "iTechnicalLevel"),
    (0xf3, "iPartNumber"),
    (0xf4, "iReferenceNumber"),
    (0xf5, "iGang"),
];

/// Tripp Lite vendor usages (page 0xFFFF, but Tripp Lite's own meanings).
/// Codes checked against the names NUT printed for a 09ae:4003 unit.
const TRIPPLITE: &[(u32, &str)] = &[
    (0xffff_0010, "TLCustom"),
    (0xffff_0056, "TLDelayBeforeStartup"),
    (0xffff_0057, "TLLowVoltageTransferMax"),
    (0xffff_0058, "TLLowVoltageTransferMin"),
    (0xffff_0059, "TLHighVoltageTransferMax"),
    (0xffff_005a, "TLHighVoltageTransferMin"),
    (0xffff_007c, "UPSFirmwareVersion"),
    (0xffff_007d, "CommunicationProtocolVersion"),
    (0xffff_0092, "TLWatchdog"),
    (0xffff_0095, "TLOutletsAvailableMask"),
    (0xffff_0096, "TLOutletsStatusMask"),
];

/// Which vendor table is consulted before the common pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Common pages only (NUT's `explore` and most small subdrivers).
    None,
    /// APC (0xFF86 page).
    Apc,
    /// MGE/Eaton (0xFFFF page).
    Mge,
    /// Tripp Lite (its own 0xFFFF names).
    TrippLite,
}

fn lookup_vendor(v: Vendor, usage: u32) -> Option<&'static str> {
    match v {
        Vendor::None => None,
        Vendor::Apc => APC.iter().find(|(c, _)| *c == usage).map(|(_, n)| *n),
        Vendor::Mge => {
            if usage >> 16 == 0xffff {
                let id = (usage & 0xffff) as u16;
                MGE.iter().find(|(c, _)| *c == id).map(|(_, n)| *n)
            } else {
                None
            }
        }
        Vendor::TrippLite => TRIPPLITE.iter().find(|(c, _)| *c == usage).map(|(_, n)| *n),
    }
}

fn vendor_code(v: Vendor, name: &str) -> Option<u32> {
    let full = |t: &[(u32, &str)]| t.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(c, _)| *c);
    match v {
        Vendor::None => None,
        Vendor::Apc => full(APC),
        Vendor::TrippLite => full(TRIPPLITE),
        Vendor::Mge => {
            MGE.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(c, _)| 0xffff_0000 | u32::from(*c))
        }
    }
}

/// Name of one usage, if any table names it.
pub fn usage_name(usage: u32, vendor: Vendor) -> Option<&'static str> {
    if let Some(n) = lookup_vendor(vendor, usage) {
        return Some(n);
    }
    let id = (usage & 0xffff) as u16;
    let table = match usage >> 16 {
        0x84 => POWER_DEVICE,
        0x85 => BATTERY_SYSTEM,
        _ => return None,
    };
    table.iter().find(|(c, _)| *c == id).map(|(_, n)| *n)
}

/// Code for a usage name (case-insensitive, as NUT matches them).
pub fn usage_code(name: &str, vendor: Vendor) -> Option<u32> {
    if let Some(c) = vendor_code(vendor, name) {
        return Some(c);
    }
    for (page, table) in [(0x84u32, POWER_DEVICE), (0x85, BATTERY_SYSTEM)] {
        if let Some((c, _)) = table.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
            return Some((page << 16) | u32::from(*c));
        }
    }
    None
}

/// Print one path node.
pub fn node_to_string(node: u32, vendor: Vendor) -> String {
    if let Some(n) = usage_name(node, vendor) {
        return n.to_string();
    }
    if node & 0xffff_0000 == 0x00ff_0000 {
        return format!("[{}]", node & 0xffff);
    }
    format!("{node:08x}")
}

/// Print a path the way NUT does: names joined by dots.
pub fn path_to_string(path: &[u32], vendor: Vendor) -> String {
    let mut s = String::new();
    for (i, n) in path.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&node_to_string(*n, vendor));
    }
    s
}

/// Parse a dotted path back to nodes: names, `ffffffff` hex, or `[n]`.
pub fn string_to_path(path: &str, vendor: Vendor) -> Result<Vec<u32>, HidError> {
    let mut out = Vec::new();
    for comp in path.split('.') {
        if let Some(c) = usage_code(comp, vendor) {
            out.push(c);
            continue;
        }
        if !comp.is_empty() && comp.len() <= 8 && comp.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(v) = u32::from_str_radix(comp, 16) {
                out.push(v);
                continue;
            }
        }
        if let Some(inner) = comp.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if let Ok(n) = inner.parse::<u16>() {
                out.push(0x00ff_0000 | u32::from(n));
                continue;
            }
        }
        return Err(HidError::BadPathComponent { path: path.to_string(), component: comp.to_string() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let p = [0x0084_0004, 0x0084_0024, 0x0084_0002, 0x0085_00d0];
        let s = path_to_string(&p, Vendor::None);
        assert_eq!(s, "UPS.PowerSummary.PresentStatus.ACPresent");
        assert_eq!(string_to_path(&s, Vendor::None).unwrap(), p);
    }

    #[test]
    fn unnamed_and_index() {
        let p = [0x0084_0004, 0xff86_0005, 0x00ff_0003];
        assert_eq!(path_to_string(&p, Vendor::None), "UPS.ff860005.[3]");
        assert_eq!(path_to_string(&p, Vendor::Apc), "UPS.APCGeneralCollection.[3]");
        assert_eq!(string_to_path("UPS.ff860005.[3]", Vendor::None).unwrap(), p);
    }

    #[test]
    fn undefined_and_bad_component() {
        assert_eq!(node_to_string(0x0084_0000, Vendor::None), "Undefined");
        assert!(string_to_path("UPS.Nope", Vendor::None).is_err());
    }
}
