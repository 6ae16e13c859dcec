//! A fixed-size latency histogram: exact below 128 ns, then 64 buckets per
//! power of two (at most 1.6 % error). Memory stays constant however long
//! the run is, and per-thread histograms merge by adding counts.

const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
const LINEAR: u64 = 128;
const BUCKETS: usize = LINEAR as usize + (64 - 7) * SUB;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 7
    let mantissa = (v >> (exp - SUB_BITS)) as usize & (SUB - 1);
    LINEAR as usize + (exp as usize - 7) * SUB + mantissa
}

/// Middle of the values that land in bucket `i`.
fn bucket_mid(i: usize) -> u64 {
    if i < LINEAR as usize {
        return i as u64;
    }
    let j = i - LINEAR as usize;
    let exp = (j / SUB) as u32 + 7;
    let mantissa = (j % SUB) as u64;
    let width = 1u64 << (exp - SUB_BITS);
    (1u64 << exp) + mantissa * width + width / 2
}

impl Histogram {
    pub fn new() -> Self {
        Histogram { counts: vec![0; BUCKETS], total: 0, sum_ns: 0, max_ns: 0 }
    }

    pub fn record(&mut self, ns: u64) {
        self.counts[bucket_of(ns)] += 1;
        self.total += 1;
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// Value at quantile `q` (0..=1) in ns; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_mid(i).min(self.max_ns);
            }
        }
        self.max_ns
    }

    pub fn mean(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            (self.sum_ns / u128::from(self.total)) as u64
        }
    }

    pub fn max(&self) -> u64 {
        self.max_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_close() {
        let mut last = 0;
        for v in [0u64, 1, 127, 128, 129, 1000, 65_535, 1 << 20, 123_456_789, 1 << 40, u64::MAX >> 1] {
            let b = bucket_of(v);
            assert!(b >= last);
            last = b;
            let mid = bucket_mid(b);
            let err = (mid as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(err <= 0.02, "{v}: mid {mid}");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.02, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.02, "{p99}");
        assert_eq!(h.max(), 1_000_000);
        let mut g = Histogram::new();
        g.merge(&h);
        assert_eq!(g.count(), 1000);
    }
}
