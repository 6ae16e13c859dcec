//! HID report descriptor parsing into a flat list of fields.
//!
//! The walk follows the HID 1.11 item grammar, and where NUT's own parser
//! (the one in `usbhid-ups`) reads a descriptor differently from the spec we
//! do what NUT does, because the paths and offsets we produce must be the ones
//! NUT users see in their logs and `.dev` dumps:
//!
//! * one field per *element* of a main item (a main item with Report Count 3
//!   yields three fields), each taking the next explicit Usage in order; an
//!   element left without a usage is not a field (NUT calls it a
//!   "continuation") but still takes its bits; we keep those in
//!   [`Descriptor::unnamed`];
//! * Usage Minimum/Maximum do not name elements (NUT ignores them); we
//!   record the range on the elements so a caller can still see it;
//! * a collection's path node is its first pending Usage, or 0 if none; a
//!   collection whose type byte is 0x80 or more adds an index node
//!   `0x00FF00nn` (printed `[n]`), as NUT does for vendor collection types;
//! * Logical/Physical Minimum/Maximum are sign-extended from their item size
//!   (1, 2 or 4 bytes); if Logical Maximum then reads below Logical Minimum it
//!   is re-read unsigned (NUT 2.8.x: `25 ff` with LogMin 0 means 255);
//! * Unit Exponent is a 4-bit signed nibble (8..15 mean -8..-1);
//! * Constant main items are fields like any other: some UPSes put real data
//!   behind them, and NUT reads them;
//! * Push/Pop save and restore the global state as the spec says (NUT ignores
//!   them; no recorded UPS descriptor uses them).

use crate::error::HidError;
use std::collections::BTreeMap;

/// Which of the three report types a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKind {
    /// Input item (also delivered on the interrupt pipe).
    Input,
    /// Output item.
    Output,
    /// Feature item (GET_REPORT/SET_REPORT Feature).
    Feature,
}

impl ReportKind {
    /// The name NUT prints (`Input`, `Output`, `Feature`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Input => "Input",
            ReportKind::Output => "Output",
            ReportKind::Feature => "Feature",
        }
    }

    /// Parse NUT's name for a report type.
    pub fn from_name(s: &str) -> Option<ReportKind> {
        match s {
            "Input" => Some(ReportKind::Input),
            "Output" => Some(ReportKind::Output),
            "Feature" => Some(ReportKind::Feature),
            _ => None,
        }
    }
}

/// Main item data bits (HID 1.11 §6.2.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MainFlags(pub u32);

impl MainFlags {
    /// Bit 0: Constant (as opposed to Data).
    pub fn is_constant(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit 1: Variable (as opposed to Array).
    pub fn is_variable(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Bit 2: Relative.
    pub fn is_relative(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Bit 6: Null state.
    pub fn has_null_state(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// Bit 7: Volatile (Output/Feature only).
    pub fn is_volatile(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// One element of one main item: what a NUT `Path:` line describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Input, Output or Feature.
    pub kind: ReportKind,
    /// Report ID (0 if the descriptor uses none).
    pub report_id: u8,
    /// Bit offset inside the report, not counting the report ID byte.
    pub bit_offset: u32,
    /// Width in bits.
    pub bit_size: u32,
    /// Main item data bits.
    pub flags: MainFlags,
    /// Usage path from the top collection down to this element's usage.
    /// Each node is `page << 16 | id`; `0x00FF00nn` is an index node `[n]`.
    pub path: Vec<u32>,
    /// Logical Minimum in force.
    pub logical_min: i64,
    /// Logical Maximum in force (after the LogMax-below-LogMin fix).
    pub logical_max: i64,
    /// Whether Logical Maximum was re-read unsigned because it read below
    /// Logical Minimum (NUT's `assumed_LogMax`).
    pub logical_max_assumed: bool,
    /// Physical Minimum, if one was ever given.
    pub physical_min: Option<i64>,
    /// Physical Maximum, if one was ever given.
    pub physical_max: Option<i64>,
    /// Unit item value (0 = none).
    pub unit: u32,
    /// Unit exponent (-8..=7).
    pub unit_exponent: i8,
    /// Usage Minimum/Maximum pending when this element was declared.
    pub usage_range: Option<(u32, u32)>,
    /// Byte offset of the main item in the descriptor.
    pub item_offset: usize,
}

impl Field {
    /// The last path node: this element's own usage.
    pub fn usage(&self) -> u32 {
        self.path.last().copied().unwrap_or(0)
    }
}

/// A parsed report descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Descriptor {
    /// Every element that has a usage, in descriptor order.
    pub fields: Vec<Field>,
    /// Elements with no usage (padding, or NUT "continuations").
    pub unnamed: Vec<Field>,
    /// Collections opened.
    pub collections: usize,
    /// Collections left open at the end (0 for a well-formed descriptor).
    pub open_at_end: usize,
    /// Deepest collection nesting seen.
    pub max_depth: usize,
    /// Descriptor length in bytes.
    pub len: usize,
    /// Number of items parsed (short and long).
    pub items: usize,
    /// Whether Usage Minimum/Maximum, Push/Pop or long items were seen.
    pub uses: Extras,
}

/// Rarely used item kinds that were present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extras {
    /// Usage Minimum or Maximum.
    pub usage_min_max: bool,
    /// Push or Pop.
    pub push_pop: bool,
    /// Long items.
    pub long_items: bool,
    /// Delimiters.
    pub delimiters: bool,
}

/// Limits that keep hostile descriptors cheap.
const MAX_DEPTH: usize = 64;
const MAX_USAGES: usize = 1024;
const MAX_ELEMENTS: usize = 65536;
const MAX_PUSH: usize = 64;
/// Largest report we accept, in bits (64 KiB, far above any UPS).
const MAX_REPORT_BITS: u64 = 65536 * 8;

#[derive(Debug, Clone, Default)]
struct Globals {
    page: u16,
    logical_min: i64,
    logical_max: i64,
    logical_max_assumed: bool,
    physical_min: Option<i64>,
    physical_max: Option<i64>,
    unit: u32,
    unit_exponent: i8,
    report_size: u32,
    report_id: u8,
    report_count: u32,
}

/// Sign-extend an item's data from its size in bytes.
fn signed(value: u32, size: usize) -> i64 {
    match size {
        1 => i64::from(value as u8 as i8),
        2 => i64::from(value as u16 as i16),
        4 => i64::from(value as i32),
        _ => i64::from(value),
    }
}

impl Descriptor {
    /// Parse report descriptor bytes.
    pub fn parse(bytes: &[u8]) -> Result<Descriptor, HidError> {
        if bytes.is_empty() {
            return Err(HidError::EmptyDescriptor);
        }
        let mut d = Descriptor { len: bytes.len(), ..Descriptor::default() };
        let mut g = Globals::default();
        let mut stack: Vec<Globals> = Vec::new();
        let mut usages: Vec<u32> = Vec::new();
        let mut usage_min: Option<u32> = None;
        let mut usage_max: Option<u32> = None;
        let mut path: Vec<u32> = Vec::new();
        // Each open collection remembers how many nodes it pushed.
        let mut open: Vec<usize> = Vec::new();
        let mut offsets: BTreeMap<(ReportKind, u8), u32> = BTreeMap::new();
        let mut pos = 0usize;

        while pos < bytes.len() {
            let item_offset = pos;
            let prefix = bytes[pos];
            pos += 1;
            d.items += 1;
            if prefix == 0xFE {
                // Long item: bDataSize, bLongItemTag, then data.
                d.uses.long_items = true;
                let hdr = bytes.get(pos..pos + 2).ok_or(HidError::TruncatedItem {
                    offset: item_offset,
                    needed: 2,
                    available: bytes.len() - pos,
                })?;
                let size = usize::from(hdr[0]);
                pos += 2;
                if bytes.len() - pos < size {
                    return Err(HidError::TruncatedItem {
                        offset: item_offset,
                        needed: size + 2,
                        available: bytes.len() - pos + 2,
                    });
                }
                pos += size;
                continue;
            }
            let size = match prefix & 0x03 {
                0 => 0,
                1 => 1,
                2 => 2,
                _ => 4,
            };
            if bytes.len() - pos < size {
                return Err(HidError::TruncatedItem {
                    offset: item_offset,
                    needed: size,
                    available: bytes.len() - pos,
                });
            }
            let mut value = 0u32;
            for (i, b) in bytes[pos..pos + size].iter().enumerate() {
                value |= u32::from(*b) << (8 * i);
            }
            pos += size;
            let tag = prefix & 0xFC;
            match tag {
                // ---- main items ----
                0x80 | 0x90 | 0xB0 => {
                    let kind = match tag {
                        0x80 => ReportKind::Input,
                        0x90 => ReportKind::Output,
                        _ => ReportKind::Feature,
                    };
                    let range = match (usage_min, usage_max) {
                        (Some(a), Some(b)) => Some((a, b)),
                        _ => None,
                    };
                    for _ in 0..g.report_count {
                        if d.fields.len() + d.unnamed.len() >= MAX_ELEMENTS {
                            return Err(HidError::TooLarge { what: "fields", limit: MAX_ELEMENTS });
                        }
                        let usage = if usages.is_empty() { 0 } else { usages.remove(0) };
                        let off = offsets.entry((kind, g.report_id)).or_insert(0);
                        if u64::from(*off) + u64::from(g.report_size) > MAX_REPORT_BITS {
                            return Err(HidError::TooLarge { what: "bits in one report", limit: MAX_REPORT_BITS as usize });
                        }
                        let mut p = path.clone();
                        p.push(usage);
                        let field = Field {
                            kind,
                            report_id: g.report_id,
                            bit_offset: *off,
                            bit_size: g.report_size,
                            flags: MainFlags(value),
                            path: p,
                            logical_min: g.logical_min,
                            logical_max: g.logical_max,
                            logical_max_assumed: g.logical_max_assumed,
                            physical_min: g.physical_min,
                            physical_max: g.physical_max,
                            unit: g.unit,
                            unit_exponent: g.unit_exponent,
                            usage_range: range,
                            item_offset,
                        };
                        *off = off.saturating_add(g.report_size);
                        if usage != 0 {
                            d.fields.push(field);
                        } else {
                            d.unnamed.push(field);
                        }
                    }
                    usages.clear();
                    usage_min = None;
                    usage_max = None;
                }
                0xA0 => {
                    // Collection
                    if open.len() >= MAX_DEPTH {
                        return Err(HidError::TooLarge { what: "nested collections", limit: MAX_DEPTH });
                    }
                    let usage = if usages.is_empty() { 0 } else { usages.remove(0) };
                    path.push(usage);
                    let mut pushed = 1;
                    if value >= 0x80 {
                        path.push(0x00FF_0000 | (value & 0x7F));
                        pushed = 2;
                    }
                    open.push(pushed);
                    d.collections += 1;
                    d.max_depth = d.max_depth.max(open.len());
                    usages.clear();
                    usage_min = None;
                    usage_max = None;
                }
                0xC0 => {
                    // End Collection
                    let pushed = open
                        .pop()
                        .ok_or(HidError::UnbalancedEndCollection { offset: item_offset })?;
                    for _ in 0..pushed {
                        path.pop();
                    }
                    usages.clear();
                    usage_min = None;
                    usage_max = None;
                }
                // ---- global items ----
                0x04 => g.page = value as u16,
                0x14 => g.logical_min = signed(value, size),
                0x24 => {
                    let v = signed(value, size);
                    g.logical_max_assumed = v < g.logical_min;
                    g.logical_max = if g.logical_max_assumed { i64::from(value) } else { v };
                }
                0x34 => g.physical_min = Some(signed(value, size)),
                0x44 => g.physical_max = Some(signed(value, size)),
                0x54 => {
                    let n = (value & 0x0F) as i8;
                    g.unit_exponent = if n > 7 { n - 16 } else { n };
                }
                0x64 => g.unit = value,
                0x74 => g.report_size = value,
                0x84 => g.report_id = value as u8,
                0x94 => g.report_count = value,
                0xA4 => {
                    d.uses.push_pop = true;
                    if stack.len() >= MAX_PUSH {
                        return Err(HidError::TooLarge { what: "pushed global states", limit: MAX_PUSH });
                    }
                    stack.push(g.clone());
                }
                0xB4 => {
                    d.uses.push_pop = true;
                    g = stack.pop().ok_or(HidError::PopWithoutPush { offset: item_offset })?;
                }
                // ---- local items ----
                0x08 => {
                    if usages.len() >= MAX_USAGES {
                        return Err(HidError::TooLarge { what: "usages before one main item", limit: MAX_USAGES });
                    }
                    usages.push(full_usage(g.page, value, size));
                }
                0x18 => {
                    d.uses.usage_min_max = true;
                    usage_min = Some(full_usage(g.page, value, size));
                }
                0x28 => {
                    d.uses.usage_min_max = true;
                    usage_max = Some(full_usage(g.page, value, size));
                }
                0xA8 => d.uses.delimiters = true,
                // Designator and string items, reserved tags: skipped.
                _ => {}
            }
        }
        d.open_at_end = open.len();
        Ok(d)
    }

    /// Fields that carry data, counted the way the corpus headers count
    /// them: every element with a usage, plus usage-less elements a whole
    /// number of bytes wide (vendors hide data there). The rest is padding.
    pub fn data_field_count(&self) -> usize {
        self.fields.len() + self.unnamed.iter().filter(|f| f.bit_size % 8 == 0 && f.bit_size > 0).count()
    }

    /// Usage-less elements narrower than a byte, or of odd width: padding.
    pub fn padding(&self) -> impl Iterator<Item = &Field> {
        self.unnamed.iter().filter(|f| f.bit_size % 8 != 0 || f.bit_size == 0)
    }

    /// All elements (named and unnamed), in descriptor order.
    pub fn all_elements(&self) -> Vec<&Field> {
        let mut v: Vec<&Field> = self.fields.iter().chain(self.unnamed.iter()).collect();
        v.sort_by_key(|f| (f.item_offset, f.kind, f.report_id, f.bit_offset));
        v
    }

    /// Distinct report IDs used by any element.
    pub fn report_ids(&self) -> Vec<u8> {
        let mut ids: Vec<u8> = self.fields.iter().chain(self.unnamed.iter()).map(|f| f.report_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Length in bytes of a report including its ID byte, as NUT computes it:
    /// the largest end of any element with that ID, whatever its kind, with
    /// bit offsets kept in 8 bits (they wrap at 256). This is the length NUT
    /// 2.8.0 asks for and writes: an APC BK650M2 report of 23 16-bit
    /// elements (47 bytes) is 33 bytes to it. [`Descriptor::report_len_of`]
    /// and [`Descriptor::report_size`] give the real size.
    pub fn report_len(&self, report_id: u8) -> usize {
        let bits = self
            .fields
            .iter()
            .chain(self.unnamed.iter())
            .filter(|f| f.report_id == report_id)
            .map(|f| u64::from(f.bit_offset % 256) + u64::from(f.bit_size))
            .max()
            .unwrap_or(0);
        1 + (bits as usize).div_ceil(8)
    }

    /// The real length in bytes of a report including its ID byte: the
    /// largest end of any element with that ID, whatever its kind (what a
    /// device sends; see [`Descriptor::report_len`] for NUT's idea of it).
    pub fn report_size(&self, report_id: u8) -> usize {
        let bits = self
            .fields
            .iter()
            .chain(self.unnamed.iter())
            .filter(|f| f.report_id == report_id)
            .map(|f| u64::from(f.bit_offset) + u64::from(f.bit_size))
            .max()
            .unwrap_or(0);
        1 + (bits as usize).div_ceil(8)
    }

    /// Length in bytes of one report of one kind, including its ID byte.
    pub fn report_len_of(&self, kind: ReportKind, report_id: u8) -> usize {
        let bits = self
            .fields
            .iter()
            .chain(self.unnamed.iter())
            .filter(|f| f.report_id == report_id && f.kind == kind)
            .map(|f| u64::from(f.bit_offset) + u64::from(f.bit_size))
            .max()
            .unwrap_or(0);
        1 + (bits as usize).div_ceil(8)
    }

    /// First field with this exact path and kind.
    pub fn find(&self, path: &[u32], kind: ReportKind) -> Option<&Field> {
        self.fields.iter().find(|f| f.kind == kind && f.path == path)
    }

    /// The field NUT would use for a path: the Feature one if any, else Input.
    pub fn find_nut(&self, path: &[u32]) -> Option<&Field> {
        self.find(path, ReportKind::Feature).or_else(|| self.find(path, ReportKind::Input))
    }
}

fn full_usage(page: u16, value: u32, size: usize) -> u32 {
    if size == 4 {
        value
    } else {
        (u32::from(page) << 16) | (value & 0xFFFF)
    }
}

/// Parse any bytes without ever panicking; for fuzzers. Returns the number
/// of named fields on success.
pub fn fuzz_descriptor(bytes: &[u8]) -> Result<usize, HidError> {
    let d = Descriptor::parse(bytes)?;
    // Exercise the other entry points a hostile descriptor reaches.
    // One subdriver per input (chosen by length) keeps each run cheap.
    let subs = [
        crate::SubdriverId::Apc,
        crate::SubdriverId::Mge,
        crate::SubdriverId::Tripplite,
        crate::SubdriverId::Cps,
    ];
    if !d.fields.is_empty() {
        let sub = subs[bytes.len() % subs.len()];
        let usb = crate::UsbIdentity { vendor_id: 0x0764, product_id: 0x0501, ..Default::default() };
        let mut ups = crate::HidUps::new(d.clone(), sub, &usb, crate::Options::default());
        let mut src = crate::MapSource { missing_as_zero: Some(8), ..Default::default() };
        let _ = ups.walk(&mut src, crate::Walk::Init);
        let _ = ups.walk(&mut src, crate::Walk::Full);
        let cmds: Vec<String> = ups.commands().iter().cloned().collect();
        for c in cmds {
            let _ = ups.instcmd(&mut src, &c, None);
        }
        ups.handle_interrupt(&[1, 0xff, 0xff, 0xff], &mut src);
    }
    let buf = vec![0xA5u8; 64];
    for f in d.fields.iter().take(256) {
        let _ = crate::value::extract(&buf, f);
        let mut out = vec![0u8; d.report_len(f.report_id).min(4096)];
        let _ = crate::value::insert(&mut out, f, -1);
        let _ = crate::value::to_physical(f, 1);
        let _ = crate::usage::path_to_string(&f.path, crate::usage::Vendor::None);
    }
    Ok(d.fields.len())
}
