//! Reading and writing one field in a report buffer, and NUT's conversion
//! from the logical (wire) value to the number it publishes.
//!
//! Report buffers always start with the report ID byte, even for report 0,
//! exactly as NUT keeps them; bit offsets count from the byte after it.

use crate::descriptor::Field;
use crate::error::HidError;

/// Unit code for volts (SI linear, kg·m²·s⁻³·A⁻¹).
pub const UNIT_VOLT: u32 = 0x00F0_D121;
/// Unit code for watts and volt-amperes (kg·m²·s⁻³).
pub const UNIT_WATT: u32 = 0x0000_D121;

/// Exponent NUT subtracts for a unit: 7 for volts and watts/VA, else 0.
///
/// The HID Power Device spec expresses these in the CGS system (10⁷ erg/s
/// per watt), so NUT takes 7 off the descriptor's exponent. A device that
/// declares exponent 7 for volts therefore reads in plain volts.
pub fn unit_base_exponent(unit: u32) -> i32 {
    match unit {
        UNIT_VOLT | UNIT_WATT => 7,
        _ => 0,
    }
}

/// Highest set bit position plus one (0 for 0).
fn bit_length(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// Read a field's logical value from a report buffer (first byte = ID).
///
/// Follows NUT: bits beyond what LogMin..LogMax needs are dropped, the
/// value is sign-extended only when LogMin is negative, then clamped into
/// LogMin..LogMax. A field reaching past the end of the buffer is an error
/// (a short read); the caller decides whether that means "skip".
pub fn extract(report: &[u8], field: &Field) -> Result<i64, HidError> {
    let end_bit = 8u64 + u64::from(field.bit_offset) + u64::from(field.bit_size);
    let needed = end_bit.div_ceil(8) as usize;
    if report.len() < needed {
        return Err(HidError::ShortReport { report_id: field.report_id, needed, got: report.len() });
    }
    let mut raw: u64 = 0;
    let width = field.bit_size.min(64);
    for w in 0..width {
        let bit = 8u64 + u64::from(field.bit_offset) + u64::from(w);
        let byte = report[(bit / 8) as usize];
        if byte & (1 << (bit % 8)) != 0 {
            raw |= 1u64 << w;
        }
    }
    Ok(fit_logical(raw, field.logical_min, field.logical_max))
}

/// Apply NUT's masking, sign extension and clamping to raw bits.
pub fn fit_logical(raw: u64, log_min: i64, log_max: i64) -> i64 {
    let range = i128::from(log_max) - i128::from(log_min) + 1;
    if range <= 0 {
        return raw as i64;
    }
    let mag = |v: i64| -> u64 { if v >= 0 { v as u64 } else { (-(v + 1)) as u64 } };
    let bits = bit_length(mag(log_max).max(mag(log_min)));
    if bits >= 63 {
        // Range as wide as the value itself: keep the raw bits.
        let v = raw as i64;
        return v.clamp(log_min, log_max);
    }
    let signbit: u64 = 1u64 << bits;
    let mask: u64 = (signbit - 1) | if log_min < 0 { signbit } else { 0 };
    let mut v = raw & mask;
    if log_min < 0 && v & signbit != 0 {
        v |= !mask;
    }
    (v as i64).clamp(log_min, log_max)
}

/// Logical to physical value as NUT computes it.
///
/// If both physical bounds are known and not both zero, and both ranges are
/// increasing, scale linearly and clamp into PhyMin..PhyMax; otherwise the
/// logical value is the physical one.
pub fn logical_to_physical(field: &Field, logical: i64) -> f64 {
    let (pmin, pmax) = match (field.physical_min, field.physical_max) {
        (Some(a), Some(b)) if !(a == 0 && b == 0) => (a, b),
        _ => return logical as f64,
    };
    if pmax <= pmin || field.logical_max <= field.logical_min {
        return logical as f64;
    }
    let factor = (pmax - pmin) as f64 / (field.logical_max - field.logical_min) as f64;
    let phys = (logical - field.logical_min) as f64 * factor + pmin as f64;
    if phys > pmax as f64 {
        pmax as f64
    } else if phys < pmin as f64 {
        pmin as f64
    } else {
        phys
    }
}

/// The power of ten NUT applies to a field: its unit exponent minus the
/// unit's base exponent (see [`unit_base_exponent`]).
pub fn effective_exponent(field: &Field) -> i32 {
    i32::from(field.unit_exponent) - unit_base_exponent(field.unit)
}

/// 10^e computed the way NUT does (repeated multiplication), so the
/// floating point result is bit-identical.
pub fn pow10(e: i32) -> f64 {
    let mut r = 1.0f64;
    if e > 0 {
        for _ in 0..e {
            r *= 10.0;
        }
    } else {
        for _ in 0..(-e) {
            r *= 0.1;
        }
    }
    r
}

/// Logical value to the number NUT publishes (before formatting).
pub fn to_physical(field: &Field, logical: i64) -> f64 {
    let e = effective_exponent(field);
    // NUT multiplies by (1/10)·(1/10)… for negative exponents.
    logical_to_physical(field, logical) * pow10(e)
}

/// Inverse of [`to_physical`] for writes, as NUT does it: undo the
/// exponent, then (only when a physical range applies) scale into the
/// logical range and clamp; the result is truncated toward zero like C's
/// `(long)` cast. Values within 1e-6 of an integer are snapped first, so
/// `12 / 0.1` gives 120 and not 119.
pub fn from_physical(field: &Field, value: f64) -> i64 {
    let snap = |v: f64| if (v - v.round()).abs() < 1e-6 { v.round() } else { v };
    let v = snap(value / pow10(effective_exponent(field)));
    if let (Some(pmin), Some(pmax)) = (field.physical_min, field.physical_max) {
        if !(pmin == 0 && pmax == 0) && pmax > pmin && field.logical_max > field.logical_min {
            let factor = (field.logical_max - field.logical_min) as f64 / (pmax - pmin) as f64;
            let l = snap((v - pmin as f64) * factor).trunc() as i64 + field.logical_min;
            return l.clamp(field.logical_min, field.logical_max);
        }
    }
    v.trunc() as i64
}

/// Write a logical value into a report buffer (first byte = ID). Only the
/// field's bits change; the value is truncated to the field's width.
pub fn insert(report: &mut [u8], field: &Field, logical: i64) -> Result<(), HidError> {
    let end_bit = 8u64 + u64::from(field.bit_offset) + u64::from(field.bit_size);
    let needed = end_bit.div_ceil(8) as usize;
    if report.len() < needed {
        return Err(HidError::ShortReport { report_id: field.report_id, needed, got: report.len() });
    }
    let raw = logical as u64;
    for w in 0..field.bit_size {
        let bit = 8u64 + u64::from(field.bit_offset) + u64::from(w);
        let idx = (bit / 8) as usize;
        let m = 1u8 << (bit % 8);
        let set = w < 64 && raw & (1u64 << w) != 0;
        if set {
            report[idx] |= m;
        } else {
            report[idx] &= !m;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{MainFlags, ReportKind};

    fn field(offset: u32, size: u32, lmin: i64, lmax: i64) -> Field {
        Field {
            kind: ReportKind::Feature,
            report_id: 1,
            bit_offset: offset,
            bit_size: size,
            flags: MainFlags(2),
            path: vec![0x0084_0030],
            logical_min: lmin,
            logical_max: lmax,
            logical_max_assumed: false,
            physical_min: None,
            physical_max: None,
            unit: 0,
            unit_exponent: 0,
            usage_range: None,
            item_offset: 0,
        }
    }

    #[test]
    fn signedness_follows_logical_minimum() {
        let f = field(0, 16, 0, 65535);
        assert_eq!(extract(&[1, 0xff, 0xff], &f).unwrap(), 65535);
        let f = field(0, 16, -1, 32767);
        assert_eq!(extract(&[1, 0xff, 0xff], &f).unwrap(), -1);
        // Bits above what LogMax needs are dropped first (200 -> 72),
        // then out-of-range values clamp into LogMin..LogMax (127 -> 100).
        let f = field(0, 8, 0, 100);
        assert_eq!(extract(&[1, 0xc8], &f).unwrap(), 72);
        assert_eq!(extract(&[1, 0x7f], &f).unwrap(), 100);
    }

    #[test]
    fn bits_round_trip_at_odd_offsets() {
        let f = field(5, 7, -64, 63);
        let mut buf = vec![1, 0, 0];
        insert(&mut buf, &f, -3).unwrap();
        assert_eq!(extract(&buf, &f).unwrap(), -3);
        assert!(extract(&buf[..1], &f).is_err());
    }

    #[test]
    fn volt_exponent_quirk_and_physical_range() {
        let mut f = field(0, 16, 0, 65535);
        f.unit = UNIT_VOLT;
        f.unit_exponent = 6;
        assert_eq!(to_physical(&f, 1200), 120.0);
        assert_eq!(from_physical(&f, 120.0), 1200);
        let mut g = field(0, 16, -1, 65534);
        g.physical_min = Some(-60);
        g.physical_max = Some(65534 * 60);
        assert_eq!(to_physical(&g, -1), -60.0);
        assert_eq!(from_physical(&g, -60.0), -1);
    }
}
