//! A bounded in-memory history per UPS for the status page's chart.
//!
//! One [`Sample`] every [`SAMPLE_EVERY`], [`SAMPLES`] of them per UPS (six
//! hours). A sample is 32 bytes, so a UPS costs about 70 KB once its ring
//! is full; nothing is written to disk and a restart starts afresh.

use super::json::{push_str, push_number};
use super::view::UpsView;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::time::Duration;

/// Time between two samples.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Samples kept per UPS: 6 hours.
pub const SAMPLES: usize = 6 * 3600 / 10;

/// Status bits kept with each sample.
pub const FLAG_OL: u8 = 1;
pub const FLAG_OB: u8 = 2;
pub const FLAG_LB: u8 = 4;
pub const FLAG_CHRG: u8 = 8;
pub const FLAG_STALE: u8 = 16;

/// One point of the chart; NaN where the UPS does not publish the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub charge: f32,
    pub runtime: f32,
    pub load: f32,
    pub input_voltage: f32,
    pub output_voltage: f32,
    pub flags: u8,
}

impl Sample {
    /// What a UPS shows now.
    pub fn of(ups: &UpsView<'_>, time: u64) -> Sample {
        let get = |name: &str| ups.number(name).map_or(f32::NAN, |v| v as f32);
        let mut flags = 0;
        for w in ups.status_flags() {
            flags |= match w {
                "OL" => FLAG_OL,
                "OB" => FLAG_OB,
                "LB" => FLAG_LB,
                "CHRG" => FLAG_CHRG,
                _ => 0,
            };
        }
        if ups.unavailable.is_some() {
            flags |= FLAG_STALE;
        }
        Sample {
            time,
            charge: get("battery.charge"),
            runtime: get("battery.runtime"),
            load: get("ups.load"),
            input_voltage: get("input.voltage"),
            output_voltage: get("output.voltage"),
            flags,
        }
    }
}

/// The rings of all UPSes.
#[derive(Debug, Default)]
pub struct History {
    rings: HashMap<String, VecDeque<Sample>>,
}

impl History {
    /// Add a sample for every UPS; rings of UPSes no longer configured go.
    pub fn record(&mut self, upses: &[UpsView<'_>], time: u64) {
        self.rings.retain(|name, _| upses.iter().any(|u| u.name == name));
        for u in upses {
            let ring = self.rings.entry(u.name.to_string()).or_insert_with(|| VecDeque::with_capacity(64));
            if ring.len() >= SAMPLES {
                ring.pop_front();
            }
            ring.push_back(Sample::of(u, time));
        }
    }

    pub fn samples(&self, ups: &str) -> impl Iterator<Item = &Sample> {
        self.rings.get(ups).into_iter().flatten()
    }

    /// JSON for `/api/history`: samples newer than `since`, per UPS in
    /// `order`:
    /// `{"interval":10,"fields":[...],"ups":{"name":[[time,charge,...,"OL"],...]}}`.
    pub fn to_json(&self, order: &[&str], since: u64) -> String {
        let mut out = String::from("{\"interval\":");
        push_number(&mut out, SAMPLE_EVERY.as_secs() as f64);
        out.push_str(
            ",\"fields\":[\"time\",\"battery.charge\",\"battery.runtime\",\"ups.load\",\"input.voltage\",\"output.voltage\",\"status\"],\"ups\":{",
        );
        for (i, name) in order.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(&mut out, name);
            out.push_str(":[");
            let mut first = true;
            for s in self.samples(name).filter(|s| s.time > since) {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push('[');
                push_number(&mut out, s.time as f64);
                for v in [s.charge, s.runtime, s.load, s.input_voltage, s.output_voltage] {
                    out.push(',');
                    // f32's own text: 230.4 stays 230.4, not 230.39999389648438.
                    if v.is_finite() {
                        let _ = write!(out, "{v}");
                    } else {
                        out.push_str("null");
                    }
                }
                out.push(',');
                let words: Vec<&str> = [(FLAG_OL, "OL"), (FLAG_OB, "OB"), (FLAG_LB, "LB"), (FLAG_CHRG, "CHRG"), (FLAG_STALE, "STALE")]
                    .iter()
                    .filter(|(bit, _)| s.flags & bit != 0)
                    .map(|(_, w)| *w)
                    .collect();
                push_str(&mut out, &words.join(" "));
                out.push(']');
            }
            out.push(']');
        }
        out.push_str("}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::view::test_view as view;
    use super::*;


    #[test]
    fn ring_is_bounded_and_follows_the_config() {
        assert_eq!(std::mem::size_of::<Sample>(), 32, "the memory figure in the docs assumes 32 bytes");
        let vars = [("battery.charge", "90"), ("ups.status", "OB DISCHRG LB")];
        let mut h = History::default();
        for t in 0..(SAMPLES as u64 + 5) {
            h.record(&[view("a", &vars), view("b", &[])], t);
        }
        assert_eq!(h.samples("a").count(), SAMPLES);
        assert_eq!(h.samples("a").next().map(|s| s.time), Some(5));
        let s = h.samples("a").last().copied().expect("a sample");
        assert_eq!(s.charge, 90.0);
        assert!(s.load.is_nan());
        assert_eq!(s.flags, FLAG_OB | FLAG_LB);
        h.record(&[view("b", &[])], 99_999);
        assert_eq!(h.samples("a").count(), 0, "a UPS removed from ups.conf loses its history");
    }

    #[test]
    fn json_shape() {
        let vars = [("battery.charge", "100"), ("ups.load", "23.5"), ("ups.status", "OL CHRG")];
        let mut h = History::default();
        h.record(&[view("a", &vars)], 1000);
        h.record(&[view("a", &vars)], 1010);
        let mut stale = view("a", &[]);
        stale.unavailable = Some("Data stale");
        h.record(&[stale], 1020);
        let j = h.to_json(&["a"], 1000);
        assert_eq!(
            j,
            "{\"interval\":10,\"fields\":[\"time\",\"battery.charge\",\"battery.runtime\",\"ups.load\",\"input.voltage\",\"output.voltage\",\"status\"],\
             \"ups\":{\"a\":[[1010,100,null,23.5,null,null,\"OL CHRG\"],[1020,null,null,null,null,null,\"STALE\"]]}}"
        );
        let empty = h.to_json(&["zz"], 0);
        assert!(empty.ends_with("\"ups\":{\"zz\":[]}}"), "{empty}");
    }
}
