//! Turning numbers into NUT text: a small printf for the formats the
//! tables use, and the function converters.

use crate::table::Converter;

/// Format one number with a C printf format holding one conversion
/// (`%.0f`, `%.1f`, `%5.2f`, `%d`, `%x`, `%04x`, `%s`...). Text around the
/// conversion is kept; `%%` is a literal percent. Integer conversions
/// truncate toward zero as C's `(long)` cast does.
pub fn c_format(fmt: &str, value: f64) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut zero = false;
        let mut left = false;
        let mut plus = false;
        while let Some(&f) = chars.peek() {
            match f {
                '0' => zero = true,
                '-' => left = true,
                '+' => plus = true,
                ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        let mut width = 0usize;
        while let Some(&d) = chars.peek() {
            if let Some(v) = d.to_digit(10) {
                width = width * 10 + v as usize;
                chars.next();
            } else {
                break;
            }
        }
        let mut prec: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = 0usize;
            while let Some(&d) = chars.peek() {
                if let Some(v) = d.to_digit(10) {
                    p = p * 10 + v as usize;
                    chars.next();
                } else {
                    break;
                }
            }
            prec = Some(p);
        }
        while matches!(chars.peek(), Some('l') | Some('h')) {
            chars.next();
        }
        let conv = chars.next().unwrap_or('f');
        let body = match conv {
            'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), value),
            'd' | 'i' | 'u' => format!("{}", value.trunc() as i64),
            'x' => format!("{:x}", value.trunc() as i64),
            'X' => format!("{:X}", value.trunc() as i64),
            'g' => trim_g(value),
            's' => trim_g(value),
            _ => format!("{value}"),
        };
        let body = if plus && !body.starts_with('-') { format!("+{body}") } else { body };
        let pad = width.saturating_sub(body.len());
        if left {
            out.push_str(&body);
            out.push_str(&" ".repeat(pad));
        } else if zero && conv != 's' {
            let (sign, digits) = match body.strip_prefix('-') {
                Some(d) => ("-", d.to_string()),
                None => ("", body.clone()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(&digits);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&body);
        }
    }
    out
}

/// C's `%g` with the default precision of 6 significant digits.
fn trim_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_nan() { "nan".into() } else if v.is_infinite() { if v > 0.0 { "inf".into() } else { "-inf".into() } } else { "0".into() };
    }
    let exp = v.abs().log10().floor() as i32;
    // Rounding to 6 digits may carry into the next power of ten.
    let sci = format!("{:.5e}", v);
    let exp = sci.rsplit_once('e').and_then(|(_, e)| e.parse::<i32>().ok()).unwrap_or(exp);
    let strip = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exp) {
        let (m, _) = sci.split_once('e').unwrap_or((&sci, ""));
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", strip(m.to_string()), sign, exp.abs())
    } else {
        strip(format!("{:.*}", (5 - exp).max(0) as usize, v))
    }
}

/// Longest text a `stringid` conversion publishes (NUT's 20-byte buffer).
const STRINGID_MAX: usize = 19;

/// Apply a converter. `string` resolves a USB string descriptor index.
/// `None` means NUT would publish nothing for this value.
pub fn convert(c: Converter, value: f64, string: &mut dyn FnMut(u8) -> Option<String>) -> Option<String> {
    let l = value.trunc() as i64;
    match c {
        Converter::Date => {
            if l == 0 {
                return Some("not set".to_string());
            }
            let year = 1980 + (l >> 9);
            let month = (l >> 5) & 0x0f;
            let day = l & 0x1f;
            Some(format!("{year:04}/{month:02}/{day:02}"))
        }
        Converter::ApcDate => {
            if l == 0 {
                return Some("not set".to_string());
            }
            let year = (l & 0xf) + 10 * ((l >> 4) & 0xf);
            let month = ((l >> 16) & 0xf) + 10 * ((l >> 20) & 0xf);
            let day = ((l >> 8) & 0xf) + 10 * ((l >> 12) & 0xf);
            let year = if year >= 70 { year + 1900 } else { year + 2000 };
            Some(format!("{year:04}/{month:02}/{day:02}"))
        }
        Converter::Hex => Some(format!("{:04x}", l)),
        // Index 0 (no string), an index out of range or a string the
        // device will not give all publish empty text, as NUT does. NUT
        // reads these strings into a 20-byte buffer: at most 19 characters
        // survive (a 23-character string is published cut to 19).
        Converter::StringId => {
            let text = u8::try_from(l).ok().filter(|i| *i != 0).and_then(&mut *string).unwrap_or_default();
            Some(text.chars().take(STRINGID_MAX).collect())
        }
        Converter::DivideBy10 => Some(format!("{:.1}", value / 10.0)),
        Converter::DivideBy100 => Some(format!("{:.2}", value / 100.0)),
        Converter::KelvinCelsius => {
            // Values far below 0 °C in kelvin are taken as Celsius already.
            let c = if value > 200.0 { value - 273.15 } else { value };
            Some(format!("{c:.1}"))
        }
        Converter::Percent100 => Some(format!("{:.0}", value.min(100.0))),
        Converter::Integer => Some(format!("{:.0}", value)),
        Converter::Absolute => Some(format!("{:.0}", value.abs())),
        Converter::BatteryVoltage
        | Converter::PowercomStart
        | Converter::PowercomReturn
        | Converter::PowercomStayOff
        | Converter::RealpowerFromLoad
        | Converter::AbmCharging
        | Converter::AbmDischarging => None,
        Converter::NonNegative => {
            if value < 0.0 {
                None
            } else {
                Some(format!("{value:.0}"))
            }
        }
    }
}

/// The value a PowerCOM delay command writes for `secs` seconds, as NUT
/// 2.8.0 does (probed on a replayed unit: a 60 s start goes out as the
/// bytes `00 01 00 00`, a 20 s return as `00 54`, 600 s stay off as `0a 80`).
pub fn powercom_delay(c: Converter, secs: i64) -> Option<i64> {
    let secs = secs.max(0);
    let minutes = (secs / 60).min(255);
    let flag = match c {
        Converter::PowercomStart => return Some(minutes << 8),
        Converter::PowercomReturn => 0x40,
        Converter::PowercomStayOff => 0x80,
        _ => return None,
    };
    let mut seconds = secs % 60;
    if minutes == 0 {
        seconds = seconds.max(1);
    }
    Some(((flag | seconds) << 8) | minutes)
}

/// The reverse of [`Converter::Date`]: `YYYY/MM/DD` (or with `-`) to the
/// HID packed date, for years 1980..=2107.
pub fn date_to_hid(text: &str) -> Option<i64> {
    let mut parts = text.trim().split(['/', '-']);
    let mut num = |lo: i64, hi: i64| parts.next()?.parse::<i64>().ok().filter(|v| (lo..=hi).contains(v));
    let (year, month, day) = (num(1980, 2107)?, num(1, 12)?, num(1, 31)?);
    if parts.next().is_some() {
        return None;
    }
    Some(((year - 1980) << 9) | (month << 5) | day)
}

/// NUT's `atol`: optional white space and sign, then digits; anything
/// else stops the number (so `12.5` is 12 and `abc` is 0).
pub fn atol(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in rest.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_subset() {
        assert_eq!(c_format("%.0f", 100.0), "100");
        assert_eq!(c_format("%.1f", 13.58), "13.6");
        assert_eq!(c_format("%.2f", 0.5), "0.50");
        assert_eq!(c_format("%04x", 26.0), "001a");
        assert_eq!(c_format("%d", -1.7), "-1");
        assert_eq!(c_format("%.0f%%", 95.0), "95%");
        assert_eq!(c_format("%5.1f", -2.0), " -2.0");
        assert_eq!(c_format("%g", 13.500000000000002), "13.5");
        assert_eq!(c_format("%g", 0.03), "0.03");
        assert_eq!(c_format("%g", 459524.0), "459524");
        assert_eq!(c_format("%g", 12345678.0), "1.23457e+07");
    }

    #[test]
    fn converters() {
        let mut none = |_: u8| None;
        assert_eq!(convert(Converter::Date, 12515.0, &mut none).as_deref(), Some("2004/07/03"));
        assert_eq!(convert(Converter::ApcDate, 459524.0, &mut none).as_deref(), Some("2004/07/03"));
        assert_eq!(convert(Converter::KelvinCelsius, 300.15, &mut none).as_deref(), Some("27.0"));
        assert_eq!(convert(Converter::DivideBy10, 135.0, &mut none).as_deref(), Some("13.5"));
        let mut s = |i: u8| if i == 4 { Some("PbAc".to_string()) } else { None };
        assert_eq!(convert(Converter::StringId, 4.0, &mut s).as_deref(), Some("PbAc"));
        assert_eq!(convert(Converter::StringId, 0.0, &mut s).as_deref(), Some(""));
        assert_eq!(convert(Converter::StringId, 5.0, &mut s).as_deref(), Some(""));
        let mut long = |_: u8| Some("PbAcbattery.voltage: 54".to_string());
        assert_eq!(convert(Converter::StringId, 6.0, &mut long).as_deref(), Some("PbAcbattery.voltage"));
        assert_eq!(powercom_delay(Converter::PowercomStart, 60), Some(0x0100));
        assert_eq!(powercom_delay(Converter::PowercomStart, 59), Some(0));
        assert_eq!(powercom_delay(Converter::PowercomStart, 6000), Some(0x6400));
        assert_eq!(powercom_delay(Converter::PowercomReturn, 20), Some(0x5400));
        assert_eq!(powercom_delay(Converter::PowercomReturn, 0), Some(0x4100));
        assert_eq!(powercom_delay(Converter::PowercomReturn, 61), Some(0x4101));
        assert_eq!(powercom_delay(Converter::PowercomStayOff, 600), Some(0x800a));
        assert_eq!(date_to_hid("2004/07/03"), Some(12515));
        assert_eq!(date_to_hid("2004-07-03"), Some(12515));
        assert_eq!(date_to_hid("2004/13/03"), None);
        assert_eq!(date_to_hid("not set"), None);
        assert_eq!(atol(" -12.5x"), -12);
        assert_eq!(atol("abc"), 0);
    }
}
