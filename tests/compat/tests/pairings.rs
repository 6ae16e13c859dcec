//! Every pairing of NUT 2.8.0's programs and ours, compared with the all-NUT baseline.
//!
//! Pairings that involve our binaries fail (never skip) until `cargo build --workspace --bins`
//! has produced them in `<workspace>/target/debug` (or `$NUT_RS_BIN_DIR`).

use compat::{baseline, check_pairing, Impl::*, Pairing};

/// (e) NUT under NUT: proves the harness and pins the oracle strings our programs must match.
#[test]
fn e_baseline_nut_nut_nut() {
    let t = baseline();
    if std::env::var_os("COMPAT_SHOW").is_some() {
        println!("{}", t.render());
    }
    let expect = |label: &str, needle: &str| {
        let got = t.get(label).unwrap_or_else(|| panic!("no step {label:?}\n{}", t.render()));
        assert!(got.contains(needle), "step {label:?}: expected {needle:?} in\n{got}\n\nfull transcript:\n{}", t.render());
    };
    let find = |prefix: &str, suffix: &str| -> String {
        t.steps
            .iter()
            .find(|(l, _)| l.starts_with(prefix) && l.ends_with(suffix))
            .map(|(l, _)| l.clone())
            .unwrap_or_else(|| panic!("no step {prefix}…{suffix}\n{}", t.render()))
    };
    expect(&find("upsc ups@", "device.model"), "--- stdout\nDummy UPS\n");
    expect(&find("upsc ups@", "bogus.var"), "Error: Variable not supported by UPS\n");
    expect(&find("upsc ups@", "bogus.var"), "exit: 1\n");
    expect(&find("upsc -l", ""), "--- stdout\nups\nfake\n");
    expect(&find("upsrw -s ups.load=55", ""), "--- stderr\nSUCCESS\n");
    expect(&find("upsrw -s ups.load=55", ""), "exit: 0\n");
    expect("ups.id changed after untracked SET", "true");
    expect(&find("upsrw -s ups.load=56 -u admin -p wrong", ""), "Unexpected response from upsd: ERR ACCESS-DENIED\n");
    expect(&find("upsrw -s ups.load=56 -u viewer", ""), "Unexpected response from upsd: ERR ACCESS-DENIED\n");
    expect(&find("upsrw -s output.voltage.nominal=999", ""), "ERR INVALID-VALUE");
    expect("driver stopped: upsc eventually fails", "true");
    expect(&find("upsc ups@", "ups.status"), "Error: Data stale\n");
    expect("driver killed: upsc fails", "true");
    expect(&find("after kill: upsc ups@", "ups.status"), "Error: Driver not connected\n");
    expect("raw: \"VER\"", "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n");
    expect("raw: \"LIST ENUM fake output.voltage.nominal\"", "ENUM fake output.voltage.nominal \"220\"\n");
    expect("raw: \"LIST RANGE fake input.transfer.high\"", "RANGE fake input.transfer.high \"130\" \"150\"\n");
    // The baseline is deterministic: a second NUT run must give the very same transcript.
    let again = compat::run_pairing(Pairing::BASELINE);
    let diff = again.differences(t);
    assert!(diff.is_empty(), "NUT baseline is not reproducible:\n{diff}");
}

/// (a) NUT's clients against our upsd + dummy-ups.
#[test]
fn a_nut_clients_vs_our_server_and_driver() {
    check_pairing(Pairing::new(Ours, Ours, Nut));
}

/// (b) Our clients against NUT's upsd + dummy-ups.
#[test]
fn b_our_clients_vs_nut_server_and_driver() {
    check_pairing(Pairing::new(Nut, Nut, Ours));
}

/// (c) Our dummy-ups under NUT's upsd.
#[test]
fn c_our_driver_under_nut_upsd() {
    check_pairing(Pairing::new(Nut, Ours, Nut));
}

/// (d) NUT's dummy-ups under our upsd.
#[test]
fn d_nut_driver_under_our_upsd() {
    check_pairing(Pairing::new(Ours, Nut, Nut));
}

/// Everything ours.
#[test]
fn f_all_ours() {
    check_pairing(Pairing::new(Ours, Ours, Ours));
}
