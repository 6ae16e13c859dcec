//! What the HTTP renderers see of one UPS: a borrowed snapshot taken from
//! the server's state for one answer, so the renderers are pure functions
//! tested without a server.

use crate::server::{Descriptions, Ups};
use std::borrow::Cow;

/// One variable as clients see it.
#[derive(Debug, Clone, PartialEq)]
pub struct VarView<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
    /// The driver flagged it STRING (never exported as a number).
    pub string: bool,
}

/// One UPS as clients see it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsView<'a> {
    pub name: &'a str,
    /// `desc` from ups.conf.
    pub desc: Option<&'a str>,
    /// None when the data is served; else the text `upsc` prints for the
    /// error (`Driver not connected`, `Data stale`).
    pub unavailable: Option<&'static str>,
    /// Variables in the order `LIST VAR` gives them (empty when unavailable).
    pub vars: Vec<VarView<'a>>,
    /// cmdvartab texts, for HELP lines.
    pub descs: Option<&'a Descriptions>,
}

impl<'a> UpsView<'a> {
    /// Snapshot of a UPS held by the server.
    pub fn of(ups: &'a Ups, descs: &'a Descriptions) -> UpsView<'a> {
        let unavailable = ups.available().err().map(|e| e.client_text());
        let vars = if unavailable.is_some() {
            Vec::new()
        } else {
            ups.table
                .vars()
                .map(|v| VarView { name: &v.name, value: ups.shown_value(&v.name, &v.value), string: v.flags.string })
                .collect()
        };
        UpsView { name: &ups.config.name, desc: ups.config.desc.as_deref(), unavailable, vars, descs: Some(descs) }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|v| v.name.eq_ignore_ascii_case(name)).map(|v| v.value.as_ref())
    }

    /// `ups.status` split into its words (FSD included when latched).
    pub fn status_flags(&self) -> Vec<&str> {
        self.value("ups.status").map(|s| s.split_whitespace().collect()).unwrap_or_default()
    }

    /// A number from a variable, when it is one (see [`plain_number`]).
    pub fn number(&self, name: &str) -> Option<f64> {
        self.value(name).and_then(plain_number)
    }
}

/// A value that is written as a plain decimal number (`100`, `-3.5`,
/// `2.3e2`); `inf`, `NaN`, hex and empty strings are not numbers here.
pub fn plain_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A view of UPS `name` holding `vars` (name, value), for the renderers' tests.
#[cfg(test)]
pub fn test_view<'a>(name: &'a str, vars: &'a [(&'a str, &'a str)]) -> UpsView<'a> {
    UpsView {
        name,
        desc: None,
        unavailable: None,
        vars: vars.iter().map(|(n, v)| VarView { name: n, value: Cow::Borrowed(*v), string: false }).collect(),
        descs: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_only() {
        for (s, v) in [("100", 100.0), ("230.4", 230.4), ("-3", -3.0), ("+2", 2.0), (".5", 0.5), ("5.", 5.0), ("2e3", 2000.0), (" 7 ", 7.0)] {
            assert_eq!(plain_number(s), Some(v), "{s}");
        }
        for s in ["", ".", "inf", "NaN", "infinity", "0x1F", "1,5", "OL", "1e", "e5", "12a", "1.2.3", "--1", "1e400"] {
            assert_eq!(plain_number(s), None, "{s}");
        }
    }
}
