//! `fuzz_descriptor` must never panic: random bytes, truncated and
//! mutated real descriptors, from a fixed-seed generator so failures
//! reproduce.

mod common;

use nut_hid::fuzz_descriptor;

/// Knuth's MMIX linear congruential generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n.max(1)
    }
}

/// Bytes biased towards real item prefixes so the parser goes deep.
fn plausible(rng: &mut Lcg, len: usize) -> Vec<u8> {
    const PREFIXES: &[u8] = &[
        0x05, 0x06, 0x09, 0x0b, 0x15, 0x16, 0x25, 0x26, 0x27, 0x35, 0x45, 0x55, 0x65, 0x67, 0x75, 0x85, 0x95,
        0x96, 0xa1, 0xc0, 0x81, 0x91, 0xb1, 0xb2, 0xa4, 0xb4, 0x19, 0x29, 0xfe,
    ];
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        if rng.below(4) == 0 {
            v.push(rng.byte());
        } else {
            v.push(PREFIXES[rng.below(PREFIXES.len())]);
            v.push(rng.byte());
        }
    }
    v
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(0x5eed_1234);
    let mut parsed = 0;
    for round in 0..3000 {
        let len = rng.below(200);
        let bytes = if round % 2 == 0 {
            (0..len).map(|_| rng.byte()).collect::<Vec<u8>>()
        } else {
            plausible(&mut rng, len)
        };
        if fuzz_descriptor(&bytes).is_ok() {
            parsed += 1;
        }
    }
    // Some inputs must get all the way through, or the test proves little.
    assert!(parsed > 100, "only {parsed} random descriptors parsed");
}

#[test]
fn truncated_and_mutated_corpus_never_panic() {
    let mut rng = Lcg(42);
    let mut errors = 0;
    for (name, c) in common::captures() {
        let d = &c.descriptor;
        for cut in 0..d.len() {
            if fuzz_descriptor(&d[..cut]).is_err() {
                errors += 1;
            }
        }
        for _ in 0..60 {
            let mut m = d.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(m.len());
                m[i] = rng.byte();
            }
            let _ = fuzz_descriptor(&m);
        }
        assert!(fuzz_descriptor(d).is_ok(), "{name}: the intact descriptor must parse");
    }
    // Cutting inside an item must be reported, not papered over.
    assert!(errors > 1000, "only {errors} truncations were rejected");
}

#[test]
fn hostile_sizes_are_refused() {
    // Report Count 0xFFFFFFFF of 32-bit fields.
    let d = [0x05, 0x84, 0x09, 0x30, 0x75, 0x20, 0x97, 0xff, 0xff, 0xff, 0xff, 0xb1, 0x02];
    assert!(fuzz_descriptor(&d).is_err());
    // End Collection with nothing open; Pop without Push.
    assert!(fuzz_descriptor(&[0xc0]).is_err());
    assert!(fuzz_descriptor(&[0xb4]).is_err());
    // Long item claiming more data than there is.
    assert!(fuzz_descriptor(&[0xfe, 0x10, 0x01, 0x00]).is_err());
}
