//! Subdrivers: which device each one claims, its name, vendor usage names,
//! its HID-to-NUT table and how it words `ups.mfr`/`ups.model`.
//!
//! Names are the `driver.version.data` strings of NUT 2.8.0; the claim
//! order is NUT's.

use crate::descriptor::Descriptor;
use crate::table::Entry;
use crate::usage::Vendor;

mod apc;
mod belkin;
mod cps;
mod delta;
mod generic;
mod legrand;
mod liebert;
mod mge;
mod powercom;
mod small;
mod tripplite;

/// One subdriver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubdriverId {
    /// `explore`: claims anything, maps nothing (tree dump only).
    Explore,
    /// MGE / Eaton / Dell / Powerware / HP / AEG / IBM.
    Mge,
    /// APC.
    Apc,
    /// Arduino boards running the HID UPS sketch.
    Arduino,
    /// Belkin and Liebert (Belkin-like firmware).
    Belkin,
    /// CyberPower.
    Cps,
    /// Delta.
    Delta,
    /// Ever.
    Ever,
    /// iDowell.
    Idowell,
    /// Legrand.
    Legrand,
    /// Phoenixtec / Liebert (PowerWalker, BlueWalker ...).
    Liebert,
    /// openUPS.
    Openups,
    /// PowerCOM.
    Powercom,
    /// Powervar.
    Powervar,
    /// Salicru.
    Salicru,
    /// Tripp Lite (and some HP / Delta OEM models).
    Tripplite,
}

/// NUT's claim order (`explore` only when asked for).
pub const CLAIM_ORDER: [SubdriverId; 16] = [
    SubdriverId::Explore,
    SubdriverId::Mge,
    SubdriverId::Apc,
    SubdriverId::Arduino,
    SubdriverId::Belkin,
    SubdriverId::Cps,
    SubdriverId::Delta,
    SubdriverId::Ever,
    SubdriverId::Idowell,
    SubdriverId::Legrand,
    SubdriverId::Liebert,
    SubdriverId::Openups,
    SubdriverId::Powercom,
    SubdriverId::Powervar,
    SubdriverId::Salicru,
    SubdriverId::Tripplite,
];

/// What the matcher knows about a device when choosing a subdriver.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeviceMatch<'a> {
    /// USB idVendor.
    pub vendor_id: u16,
    /// USB idProduct.
    pub product_id: u16,
    /// iManufacturer string, if any.
    pub manufacturer: Option<&'a str>,
    /// iProduct string, if any.
    pub product: Option<&'a str>,
    /// The user gave a `productid` option (accepts "possibly supported").
    pub productid_given: bool,
    /// The `explore` option is set.
    pub explore: bool,
}

/// Result of asking one subdriver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// VID and PID are in its table.
    Supported,
    /// VID known, PID not.
    PossiblySupported,
    /// Not this subdriver's.
    No,
}

/// Why no subdriver claimed a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoMatch {
    /// The "possibly supported" hints NUT would log, one per subdriver.
    pub hints: Vec<String>,
}

impl std::fmt::Display for NoMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("No matching HID UPS found")?;
        for h in &self.hints {
            write!(f, "\n{h}")?;
        }
        Ok(())
    }
}

type IdTable = &'static [(u16, &'static [u16])];

const APC_IDS: IdTable = &[(0x051d, &[0x0000, 0x0002, 0x0003])];
const MGE_IDS: IdTable = &[
    (0x0463, &[0x0001, 0xffff]),
    (0x047c, &[0xffff]),
    (0x0592, &[0x0004]),
    (0x03f0, &[0x1fe5, 0x1fe6, 0x1fe7, 0x1fe8]),
    (0x2b2d, &[0xffff]),
    (0x06da, &[0xffff]),
    (0x04b3, &[0x0001]),
];
const ARDUINO_IDS: IdTable = &[(0x2341, &[0x0036, 0x8036])];
const BELKIN_IDS: IdTable = &[
    (0x050d, &[0x0980, 0x0900, 0x0910, 0x0912, 0x0551, 0x0750, 0x0751, 0x0375, 0x0f51, 0x1100]),
    (0x10af, &[0x0001, 0x0004, 0x0008]),
];
const CPS_IDS: IdTable = &[(0x0764, &[0x0005, 0x0501, 0x0601])];
const DELTA_IDS: IdTable = &[(0x05dd, &[0x041b])];
const EVER_IDS: IdTable = &[(0x0483, &[0xa113]), (0x2e51, &[0xffff, 0x0000])];
const IDOWELL_IDS: IdTable = &[(0x075d, &[0x0300])];
const LEGRAND_IDS: IdTable = &[(0x1cb0, &[0x0032, 0x0038])];
const LIEBERT_IDS: IdTable = &[(0x06da, &[0xffff])];
const OPENUPS_IDS: IdTable = &[(0x04d8, &[0xd004, 0xd005])];
const POWERCOM_IDS: IdTable = &[(0x0d9f, &[0x00a2, 0x00a3, 0x00a4, 0x00a5, 0x00a6, 0x0004, 0x0001])];
const POWERVAR_IDS: IdTable = &[(0x4234, &[0x0002])];
const SALICRU_IDS: IdTable = &[(0x2e66, &[0x0201, 0x0202, 0x0203, 0x0300])];
const TRIPPLITE_IDS: IdTable = &[
    (
        0x09ae,
        &[
            0x1003, 0x1007, 0x1008, 0x1009, 0x1010, 0x1330, 0x2005, 0x2007, 0x2008, 0x2009, 0x2010, 0x2011,
            0x2012, 0x2013, 0x2014, 0x3008, 0x3009, 0x3010, 0x3011, 0x3012, 0x3013, 0x3014, 0x3015, 0x3016,
            0x3024, 0x4001, 0x4002, 0x4003, 0x4004, 0x4005, 0x4006, 0x4007, 0x4008,
        ],
    ),
    (0x03f0, &[0x0001, 0x1fe0, 0x1fe1, 0x1fe2, 0x1fe3, 0x1f06, 0x1f08, 0x1f09, 0x1f0a]),
    (0x05dd, &[0xa011]),
];

fn lookup_ids(t: IdTable, vid: u16, pid: u16) -> Claim {
    match t.iter().find(|(v, _)| *v == vid) {
        Some((_, pids)) if pids.contains(&pid) => Claim::Supported,
        Some(_) => Claim::PossiblySupported,
        None => Claim::No,
    }
}

impl SubdriverId {
    /// The `driver.version.data` string of NUT 2.8.0.
    pub fn name(self) -> &'static str {
        match self {
            SubdriverId::Explore => "EXPLORE HID 0.2",
            SubdriverId::Mge => "MGE HID 1.46",
            SubdriverId::Apc => "APC HID 0.98",
            SubdriverId::Arduino => "Arduino HID 0.2",
            SubdriverId::Belkin => "Belkin/Liebert HID 0.18",
            SubdriverId::Cps => "CyberPower HID 0.6",
            SubdriverId::Delta => "Delta UPS HID 0.6",
            SubdriverId::Ever => "Ever HID 0.1",
            SubdriverId::Idowell => "iDowell HID 0.2",
            SubdriverId::Legrand => "Legrand HID 0.2",
            SubdriverId::Liebert => "Phoenixtec/Liebert HID 0.41",
            SubdriverId::Openups => "openUPS HID 0.5",
            SubdriverId::Powercom => "PowerCOM HID 0.6",
            SubdriverId::Powervar => "Powervar HID 0.20",
            SubdriverId::Salicru => "Salicru HID 0.3",
            SubdriverId::Tripplite => "TrippLite HID 0.84",
        }
    }

    /// Manufacturer word used in the "possibly supported" hint.
    fn vendor_word(self) -> &'static str {
        match self {
            SubdriverId::Explore => "",
            SubdriverId::Mge => "Eaton / MGE",
            SubdriverId::Apc => "APC",
            SubdriverId::Arduino => "Arduino",
            SubdriverId::Belkin => "Belkin",
            SubdriverId::Cps => "CyberPower",
            SubdriverId::Delta => "Delta UPS",
            SubdriverId::Ever => "Ever",
            SubdriverId::Idowell => "iDowell",
            SubdriverId::Legrand => "Legrand",
            SubdriverId::Liebert => "Phoenixtec/Liebert",
            SubdriverId::Openups => "openUPS",
            SubdriverId::Powercom => "PowerCOM",
            SubdriverId::Powervar => "Powervar",
            SubdriverId::Salicru => "Salicru",
            SubdriverId::Tripplite => "TrippLite",
        }
    }

    fn ids(self) -> IdTable {
        match self {
            SubdriverId::Explore => &[],
            SubdriverId::Mge => MGE_IDS,
            SubdriverId::Apc => APC_IDS,
            SubdriverId::Arduino => ARDUINO_IDS,
            SubdriverId::Belkin => BELKIN_IDS,
            SubdriverId::Cps => CPS_IDS,
            SubdriverId::Delta => DELTA_IDS,
            SubdriverId::Ever => EVER_IDS,
            SubdriverId::Idowell => IDOWELL_IDS,
            SubdriverId::Legrand => LEGRAND_IDS,
            SubdriverId::Liebert => LIEBERT_IDS,
            SubdriverId::Openups => OPENUPS_IDS,
            SubdriverId::Powercom => POWERCOM_IDS,
            SubdriverId::Powervar => POWERVAR_IDS,
            SubdriverId::Salicru => SALICRU_IDS,
            SubdriverId::Tripplite => TRIPPLITE_IDS,
        }
    }

    /// Ask this subdriver about a device (before the productid rule).
    pub fn claim(self, m: &DeviceMatch<'_>) -> Claim {
        if self == SubdriverId::Explore {
            return if m.explore { Claim::Supported } else { Claim::No };
        }
        let c = lookup_ids(self.ids(), m.vendor_id, m.product_id);
        // Phoenixtec's VID is shared: the MGE subdriver only takes the
        // Eaton-branded ones, leaving PowerWalker & co to `liebert`.
        // Phoenixtec's VID is left to `liebert` unless the unit says AEG;
        // HP and Dell make many non-UPS devices, so a PID miss there is a
        // silent no unless the user gave `productid`.
        if self == SubdriverId::Mge {
            if m.vendor_id == 0x06da && c != Claim::No {
                let aeg = |s: Option<&str>| s.map(|s| s.contains("AEG")).unwrap_or(false);
                return if aeg(m.manufacturer) || aeg(m.product) { Claim::Supported } else { Claim::No };
            }
            if matches!(m.vendor_id, 0x03f0 | 0x047c) && c == Claim::PossiblySupported {
                return if m.productid_given { Claim::Supported } else { Claim::No };
            }
        }
        c
    }

    /// Choose the subdriver NUT would choose: first in [`CLAIM_ORDER`]
    /// that supports the device, or that possibly supports it when the user
    /// gave `productid`.
    pub fn select(m: &DeviceMatch<'_>) -> Result<SubdriverId, NoMatch> {
        let mut hints = Vec::new();
        for id in CLAIM_ORDER {
            match id.claim(m) {
                Claim::Supported => return Ok(id),
                Claim::PossiblySupported if m.productid_given => return Ok(id),
                Claim::PossiblySupported => hints.push(format!(
                    "This {} device ({:04x}:{:04x}) is not (or perhaps not yet) supported by usbhid-ups. \
                     Please make sure you have an up-to-date version of NUT. If this does not fix the problem, \
                     try running the driver with the '-x productid={:04x}' option. Please report your results \
                     to the NUT user's mailing list <nut-upsuser@lists.alioth.debian.org>.",
                    id.vendor_word(),
                    m.vendor_id,
                    m.product_id,
                    m.product_id
                )),
                Claim::No => {}
            }
        }
        Err(NoMatch { hints })
    }

    /// Vendor usage names this subdriver adds to the common pages.
    pub fn vendor(self) -> Vendor {
        match self {
            SubdriverId::Apc => Vendor::Apc,
            SubdriverId::Mge => Vendor::Mge,
            SubdriverId::Tripplite => Vendor::TrippLite,
            _ => Vendor::None,
        }
    }

    /// The HID-to-NUT table.
    pub fn table(self) -> &'static [Entry] {
        match self {
            SubdriverId::Explore => &[],
            SubdriverId::Apc => apc::TABLE,
            SubdriverId::Cps => cps::TABLE,
            SubdriverId::Mge => mge::TABLE,
            SubdriverId::Tripplite => tripplite::TABLE,
            SubdriverId::Belkin => belkin::TABLE,
            SubdriverId::Liebert => liebert::TABLE,
            SubdriverId::Powercom => powercom::TABLE,
            SubdriverId::Arduino => small::ARDUINO,
            SubdriverId::Delta => delta::TABLE,
            SubdriverId::Ever => small::EVER,
            SubdriverId::Idowell => small::IDOWELL,
            SubdriverId::Legrand => legrand::TABLE,
            SubdriverId::Openups => small::OPENUPS,
            SubdriverId::Powervar => small::POWERVAR,
            SubdriverId::Salicru => small::SALICRU,
        }
    }

    /// Repair known firmware bugs in the descriptor before use, as NUT's
    /// subdrivers do. Returns what was changed, for the log.
    pub fn fix_descriptor(self, d: &mut Descriptor, vendor_id: u16, product_id: u16) -> Vec<String> {
        match self {
            SubdriverId::Cps if vendor_id == 0x0764 && matches!(product_id, 0x0501 | 0x0601) => cps::fix(d),
            SubdriverId::Apc if vendor_id == 0x051d && product_id == 0x0002 => apc::fix(d),
            _ => Vec::new(),
        }
    }

    /// Default `ondelay`/`offdelay`: 30 and 20 for every subdriver in NUT
    /// 2.8.0 (CyberPower's longer 120/60 came later).
    pub fn default_delays(self) -> (u32, u32) {
        (30, 20)
    }

    /// Whether NUT leaves the interrupt pipe on for this device.
    pub fn uses_interrupt_pipe(self, product_id: u16) -> bool {
        !matches!((self, product_id), (SubdriverId::Apc, 0x0003) | (SubdriverId::Legrand, _))
    }

    /// `ups.mfr`, `ups.model`, `ups.serial` and any extra variables this
    /// subdriver derives from the USB strings.
    pub fn identity(self, mfr: Option<&str>, product: Option<&str>, serial: Option<&str>) -> Identity {
        let mut id = Identity { serial: serial.map(str::to_string), ..Identity::default() };
        let dflt_mfr = match self {
            SubdriverId::Apc => Some("APC"),
            SubdriverId::Cps => Some("CPS"),
            SubdriverId::Mge => Some("Eaton"),
            SubdriverId::Belkin => Some("Belkin"),
            SubdriverId::Liebert => Some("Liebert"),
            SubdriverId::Powercom => Some("PowerCOM"),
            SubdriverId::Tripplite => Some("Tripp Lite"),
            SubdriverId::Arduino => Some("Arduino"),
            SubdriverId::Delta => Some("Delta"),
            SubdriverId::Ever => Some("Ever"),
            SubdriverId::Idowell => Some("iDowell"),
            SubdriverId::Legrand => Some("Legrand"),
            SubdriverId::Openups => Some("Minibox"),
            SubdriverId::Powervar => Some("Powervar"),
            SubdriverId::Salicru => Some("Salicru"),
            SubdriverId::Explore => None,
        };
        id.mfr = mfr.map(str::to_string).or_else(|| dflt_mfr.map(str::to_string));
        id.model = product.map(str::to_string);
        if self == SubdriverId::Apc {
            apc::split_model(product, &mut id);
        }
        id
    }
}

/// Identity strings a subdriver derives from the USB descriptor strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `ups.mfr`.
    pub mfr: Option<String>,
    /// `ups.model`.
    pub model: Option<String>,
    /// `ups.serial`.
    pub serial: Option<String>,
    /// Extra variables (e.g. APC `ups.firmware` from the product string).
    pub extra: Vec<(String, String)>,
}

pub use generic::GENERIC;
pub use mge::model_name as mge_model_name;

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(vid: u16, pid: u16) -> DeviceMatch<'static> {
        DeviceMatch { vendor_id: vid, product_id: pid, ..DeviceMatch::default() }
    }

    #[test]
    fn claims_follow_nut_order_and_tables() {
        assert_eq!(SubdriverId::select(&dev(0x051d, 0x0002)), Ok(SubdriverId::Apc));
        assert_eq!(SubdriverId::select(&dev(0x0463, 0xffff)), Ok(SubdriverId::Mge));
        assert_eq!(SubdriverId::select(&dev(0x0764, 0x0501)), Ok(SubdriverId::Cps));
        assert_eq!(SubdriverId::select(&dev(0x09ae, 0x4003)), Ok(SubdriverId::Tripplite));
        assert_eq!(SubdriverId::select(&dev(0x0d9f, 0x0004)), Ok(SubdriverId::Powercom));
        // 06da goes to liebert unless the strings say AEG.
        assert_eq!(SubdriverId::select(&dev(0x06da, 0xffff)), Ok(SubdriverId::Liebert));
        let aeg = DeviceMatch { manufacturer: Some("AEG PS"), ..dev(0x06da, 0xffff) };
        assert_eq!(SubdriverId::select(&aeg), Ok(SubdriverId::Mge));
        // HP 03f0: MGE's PIDs, then Tripp Lite's.
        assert_eq!(SubdriverId::select(&dev(0x03f0, 0x1fe6)), Ok(SubdriverId::Mge));
        assert_eq!(SubdriverId::select(&dev(0x03f0, 0x1fe1)), Ok(SubdriverId::Tripplite));
        assert_eq!(SubdriverId::Apc.name(), "APC HID 0.98");
        assert_eq!(SubdriverId::Cps.name(), "CyberPower HID 0.6");
        assert_eq!(SubdriverId::Mge.name(), "MGE HID 1.46");
        assert_eq!(SubdriverId::Tripplite.name(), "TrippLite HID 0.84");
    }

    #[test]
    fn unknown_pids_need_productid() {
        let e = SubdriverId::select(&dev(0x051d, 0x1234)).unwrap_err();
        assert_eq!(e.hints.len(), 1);
        assert!(e.hints[0].starts_with("This APC device (051d:1234) is not (or perhaps not yet) supported"));
        assert!(e.to_string().starts_with("No matching HID UPS found"));
        let given = DeviceMatch { productid_given: true, ..dev(0x051d, 0x1234) };
        assert_eq!(SubdriverId::select(&given), Ok(SubdriverId::Apc));
        // Minuteman 05dd:a0a0: Delta's VID, possibly supported by delta_ups first.
        let mm = DeviceMatch { productid_given: true, ..dev(0x05dd, 0xa0a0) };
        assert_eq!(SubdriverId::select(&mm), Ok(SubdriverId::Delta));
        // HP/Dell PID misses are a silent no for MGE.
        assert!(SubdriverId::select(&dev(0x047c, 0x0001)).is_err());
        assert!(SubdriverId::select(&dev(0x5131, 0x2007)).unwrap_err().hints.is_empty());
        let ex = DeviceMatch { explore: true, ..dev(0x5131, 0x2007) };
        assert_eq!(SubdriverId::select(&ex), Ok(SubdriverId::Explore));
    }

    #[test]
    fn every_table_path_parses() {
        for id in CLAIM_ORDER {
            for e in id.table() {
                assert!(
                    crate::usage::string_to_path(e.path, id.vendor()).is_ok(),
                    "{}: {} has an unparsable path {}",
                    id.name(),
                    e.name,
                    e.path
                );
            }
        }
    }
}
