//! Power events seen by a primary and two secondaries, each host in its own
//! network namespace, in two topologies run side by side:
//!
//! * A: our dummy-ups + upsd + upsmon (primary); secondaries: our upsmon, NUT's upsmon.
//! * B: NUT's dummy-ups + upsd + upsmon (primary); secondaries: our upsmon twice.
//!
//! Each scenario drives both topologies the same way, checks the expected
//! outcome (who shuts down, in which order) on NUT's programs and on ours,
//! and compares what each of our upsmons did with what NUT's upsmon did in
//! the same role: the same notifications in each phase of the scenario (the
//! texts differing only in the primary's address) and the same decision.
//!
//! Timings (every host): POLLFREQ 1, POLLFREQALERT 1, HOSTSYNC 5, DEADTIME 3,
//! FINALDELAY 0, NOCOMMWARNTIME 10.

use std::path::Path;
use std::time::Duration;

use multihost::topo::wait_until;
use multihost::results::Fold;
use multihost::{Outcome, TopoSpec, Topology};

const STAMP: &str = env!("CARGO_BIN_EXE_mh-stamp");
const SECOND: u64 = 1_000_000_000;
const ALL: &[&str] = &["primary", "sec1", "sec2"];

/// Run `drive` on topology A and on topology B at the same time; return
/// (A, B) once both are over and torn down.
fn run_both(a: TopoSpec, b: TopoSpec, drive: fn(&mut Topology)) -> (Outcome, Outcome) {
    let run = move |spec: TopoSpec| {
        let mut topo = Topology::start(spec, Path::new(STAMP));
        drive(&mut topo);
        topo.finish(Duration::from_secs(1))
    };
    std::thread::scope(|s| {
        let ha = s.spawn(move || run(a));
        let hb = s.spawn(move || run(b));
        let (ra, rb) = (ha.join(), hb.join());
        match (ra, rb) {
            (Ok(a), Ok(b)) => {
                if std::env::var_os("MULTIHOST_SHOW").is_some() {
                    eprintln!("{}", reports(&a, &b));
                }
                (a, b)
            }
            (Err(e), _) | (_, Err(e)) => std::panic::resume_unwind(e),
        }
    })
}

fn run_default(drive: fn(&mut Topology)) -> (Outcome, Outcome) {
    run_both(TopoSpec::a(), TopoSpec::b(), drive)
}

fn reports(a: &Outcome, b: &Outcome) -> String {
    format!("{}\n{}", a.report(), b.report())
}

/// Our upsmon in `ours` must behave exactly as NUT's in `nut` (same role).
#[track_caller]
fn same_behaviour(what: &str, nut: (&Outcome, &str), ours: (&Outcome, &str), a: &Outcome, b: &Outcome) {
    same_behaviour_with(what, nut, ours, a, b, Fold::None)
}

#[track_caller]
fn same_behaviour_with(what: &str, nut: (&Outcome, &str), ours: (&Outcome, &str), a: &Outcome, b: &Outcome, fold: Fold) {
    let n = nut.0.behaviour_with(nut.1, fold);
    let o = ours.0.behaviour_with(ours.1, fold);
    if n == o {
        same_timing(what, nut, ours, a, b);
    } else {
        panic!(
            "{what}: our upsmon ({} {}) differs from NUT's ({} {})\n{}\n{}",
            ours.0.label.split(':').next().unwrap_or(""),
            ours.1,
            nut.0.label.split(':').next().unwrap_or(""),
            nut.1,
            nut_testkit::diff_lines(&n, &o),
            reports(a, b)
        );
    }
}

/// How far apart the same thing may happen in ours and in NUT's upsmon,
/// measured from the start of its phase. Both poll once a second and count
/// DEADTIME/HOSTSYNC in whole seconds from their own start, so up to about
/// two seconds apart is the same behaviour; a different timeout is not.
const TIMING_SLACK_NS: i64 = 2_500_000_000;

#[track_caller]
fn same_timing(what: &str, nut: (&Outcome, &str), ours: (&Outcome, &str), a: &Outcome, b: &Outcome) {
    let n = nut.0.delays(nut.1);
    for (key, o) in ours.0.delays(ours.1) {
        let Some((_, n)) = n.iter().find(|(k, _)| *k == key) else { continue };
        assert!(
            (o - n).abs() <= TIMING_SLACK_NS,
            "{what}: {key} came {:.2}s into its phase on our upsmon ({} {}), {:.2}s on NUT's\n{}",
            o as f64 / 1e9,
            ours.0.label.split(':').next().unwrap_or(""),
            ours.1,
            *n as f64 / 1e9,
            reports(a, b)
        );
    }
}

/// The standard pairing: primary A (ours) vs primary B (NUT's); every one of
/// our secondaries (A sec1, B sec1, B sec2) vs NUT's secondary (A sec2).
#[track_caller]
fn compare_roles(a: &Outcome, b: &Outcome) {
    compare_roles_with(a, b, Fold::None)
}

#[track_caller]
fn compare_roles_with(a: &Outcome, b: &Outcome, fold: Fold) {
    same_behaviour_with("primary", (b, "primary"), (a, "primary"), a, b, fold);
    for ours in [(a, "sec1"), (b, "sec1"), (b, "sec2")] {
        same_behaviour_with("secondary", (a, "sec2"), ours, a, b, fold);
    }
}

/// Every host shut down exactly once; each secondary before the primary.
#[track_caller]
fn assert_secondaries_first(o: &Outcome, a: &Outcome, b: &Outcome) {
    for h in &o.hosts {
        assert_eq!(h.shutdowns.len(), 1, "{}: {} ran SHUTDOWNCMD {} times\n{}", o.label, h.name, h.shutdowns.len(), reports(a, b));
    }
    let p = o.primary().shutdown_at().unwrap();
    for s in o.secondaries() {
        assert!(
            s.shutdown_at().unwrap() < p,
            "{}: {} shut down after the primary\n{}",
            o.label,
            s.name,
            reports(a, b)
        );
    }
}

#[track_caller]
fn assert_nobody_shut_down(o: &Outcome, a: &Outcome, b: &Outcome) {
    for h in &o.hosts {
        assert!(!h.shut_down(), "{}: {} shut down\n{}", o.label, h.name, reports(a, b));
    }
}

/// Wait (without failing) until `hosts` all ran SHUTDOWNCMD or `limit` passed.
fn shutdowns_or_timeout(topo: &Topology, hosts: &[&str], limit: Duration) {
    let path = topo.shutdowns_path();
    let _ = wait_until("shutdowns", limit, || {
        let done = multihost::results::read_shutdowns(&path);
        hosts.iter().all(|h| done.iter().any(|(d, _)| d == h)).then_some(())
    });
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// Scenario 1: power cut ending in OB LB: the secondaries shut down on the FSD the
/// primary sets, and the primary once they have logged out, well before
/// HOSTSYNC would have expired.
#[test]
fn s1_power_cut_secondaries_first() {
    let (a, b) = run_default(|t| {
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.set_status("ups", "OB LB");
        t.wait_shutdowns(ALL, Duration::from_secs(30));
    });
    for o in [&b, &a] {
        assert_secondaries_first(o, &a, &b);
        let p = o.primary();
        let last_secondary = o.secondaries().filter_map(|s| s.shutdown_at()).max().unwrap();
        let waited = p.shutdown_at().unwrap() - p.first("LOWBATT").unwrap();
        assert!(
            waited < 4 * SECOND,
            "{}: the primary took {:.2}s from LOWBATT to SHUTDOWNCMD (HOSTSYNC is 5s: it did not see the logouts)\n{}",
            o.label,
            secs(waited),
            reports(&a, &b)
        );
        assert!(p.shutdown_at().unwrap() - last_secondary < 2 * SECOND, "{}\n{}", o.label, reports(&a, &b));
    }
    compare_roles(&a, &b);
}

/// Scenario 2: a short glitch (OB, then OL before LB): no shutdown anywhere; every
/// host reports ONBATT then ONLINE.
#[test]
fn s2_short_glitch_no_shutdown() {
    let (a, b) = run_default(|t| {
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.set_status("ups", "OL");
        t.wait_notes("ONLINE", None, ALL);
        // longer than HOSTSYNC and DEADTIME: nothing may happen
        std::thread::sleep(Duration::from_secs(6));
    });
    for o in [&b, &a] {
        assert_nobody_shut_down(o, &a, &b);
        for h in &o.hosts {
            assert_eq!(h.kinds(), ["ONBATT", "ONLINE"], "{}: {}\n{}", o.label, h.name, reports(&a, &b));
        }
    }
    compare_roles(&a, &b);
}

/// Scenario 3: `upsmon -c fsd` on the primary while on line power: the secondaries
/// shut down, then the primary.
#[test]
fn s3_user_fsd_on_primary() {
    let (a, b) = run_default(|t| {
        t.user_fsd("primary");
        t.wait_shutdowns(ALL, Duration::from_secs(30));
    });
    for o in [&b, &a] {
        assert_secondaries_first(o, &a, &b);
    }
    compare_roles(&a, &b);
}

/// Scenario 3b: `upsmon -c fsd` on a secondary (NUT's in A, ours in B): that
/// host alone shuts down; it sets no FSD on the UPS, so the primary and the
/// other secondary carry on without a note.
#[test]
fn s3b_user_fsd_on_a_secondary() {
    let (a, b) = run_default(|t| {
        t.user_fsd("sec2");
        t.wait_shutdowns(&["sec2"], Duration::from_secs(30));
        // two more polls for anyone who would wrongly follow
        std::thread::sleep(Duration::from_secs(3));
        for h in ["primary", "sec1"] {
            assert!(t.upsmon_running(h), "{h}'s upsmon exited");
        }
    });
    for o in [&b, &a] {
        assert!(o.host("sec2").shut_down(), "{}\n{}", o.label, reports(&a, &b));
        for h in ["primary", "sec1"] {
            let h = o.host(h);
            assert!(!h.shut_down() && h.notes.is_empty(), "{}: {} reacted\n{}", o.label, h.name, reports(&a, &b));
        }
    }
    same_behaviour("primary", (&b, "primary"), (&a, "primary"), &a, &b);
    same_behaviour("secondary after -c fsd", (&a, "sec2"), (&b, "sec2"), &a, &b);
}

/// Scenario 4: the primary's upsd dies while on line power: no shutdown anywhere;
/// COMMBAD at once, NOCOMM after NOCOMMWARNTIME, on every host.
#[test]
fn s4_upsd_dies_on_line_power() {
    let (a, b) = run_default(|t| {
        t.kill_upsd();
        t.wait_notes("COMMBAD", None, ALL);
        t.wait_notes("NOCOMM", None, ALL);
    });
    for o in [&b, &a] {
        assert_nobody_shut_down(o, &a, &b);
        for s in o.secondaries() {
            assert_eq!(s.kinds(), ["COMMBAD", "NOCOMM"], "{}: {}\n{}", o.label, s.name, reports(&a, &b));
        }
    }
    compare_roles(&a, &b);
}

/// Scenario 4b (extra): upsd dies on line power and comes back: COMMBAD,
/// then COMMOK on every host; every upsmon logs in again (or the primary
/// would not wait for it), and a power cut afterwards still shuts the
/// secondaries down first.
#[test]
fn s4b_upsd_restarts_then_power_cut() {
    let (a, b) = run_default(|t| {
        t.kill_upsd();
        t.wait_notes("COMMBAD", None, ALL);
        t.restart_upsd();
        t.wait_notes("COMMOK", None, ALL);
        t.wait_relogins(3);
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.set_status("ups", "OB LB");
        t.wait_shutdowns(ALL, Duration::from_secs(30));
    });
    for o in [&b, &a] {
        assert_secondaries_first(o, &a, &b);
        let p = o.primary();
        let waited = p.shutdown_at().unwrap() - p.first("LOWBATT").unwrap();
        assert!(waited < 4 * SECOND, "{}: the primary waited {:.2}s\n{}", o.label, secs(waited), reports(&a, &b));
    }
    compare_roles(&a, &b);
}

/// Scenario 5: the primary's upsd dies while on battery: last seen OB and now
/// unreachable for DEADTIME counts as OB LB, so the secondaries shut down
/// (after HOSTSYNC, as the primary cannot set FSD); the primary decides as
/// NUT's primary does.
#[test]
fn s5_upsd_dies_on_battery() {
    let (a, b) = run_default(|t| {
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.kill_upsd();
        t.wait_notes("COMMBAD", None, ALL);
        // DEADTIME 3 + HOSTSYNC 5 and some slack
        shutdowns_or_timeout(t, ALL, Duration::from_secs(15));
    });
    for o in [&b, &a] {
        for s in o.secondaries() {
            assert!(s.shut_down(), "{}: {} did not shut down\n{}", o.label, s.name, reports(&a, &b));
        }
    }
    compare_roles(&a, &b);
}

/// Scenario 6a: a secondary that never logs out (its upsmon SIGSTOPped, so it stays
/// logged in): the primary waits HOSTSYNC, then shuts down anyway; the other
/// secondary shuts down before it.
#[test]
fn s6a_stopped_secondary_primary_waits_hostsync() {
    let (a, b) = run_default(|t| {
        t.freeze_upsmon("sec1");
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, &["primary", "sec2"]);
        t.set_status("ups", "OB LB");
        t.wait_shutdowns(&["primary", "sec2"], Duration::from_secs(30));
    });
    for o in [&b, &a] {
        let p = o.primary();
        let s2 = o.host("sec2");
        assert!(!o.host("sec1").shut_down(), "{}: the stopped secondary shut down", o.label);
        assert!(s2.shutdown_at().unwrap() < p.shutdown_at().unwrap(), "{}\n{}", o.label, reports(&a, &b));
        assert_primary_waited_hostsync(o, &a, &b);
    }
    // the stopped secondary (ours in both) is out of the comparison
    same_behaviour("primary", (&b, "primary"), (&a, "primary"), &a, &b);
    same_behaviour("secondary", (&a, "sec2"), (&b, "sec2"), &a, &b);
}

/// The primary waited for HOSTSYNC (5 s) to expire: from its LOWBATT to its
/// SHUTDOWNCMD between 4.5 s (its notifier may run a little after the
/// decision) and 9 s.
#[track_caller]
fn assert_primary_waited_hostsync(o: &Outcome, a: &Outcome, b: &Outcome) {
    let p = o.primary();
    let waited = p.shutdown_at().unwrap() - p.first("LOWBATT").unwrap();
    assert!(
        (4 * SECOND + SECOND / 2..9 * SECOND).contains(&waited),
        "{}: the primary shut down {:.2}s after LOWBATT; HOSTSYNC is 5s\n{}",
        o.label,
        secs(waited),
        reports(a, b)
    );
}

/// Scenario 6b: a raw TCP client on a secondary's namespace LOGINs and stays: both
/// real secondaries shut down on FSD, and the primary still waits for
/// HOSTSYNC, as one login too many remains.
#[test]
fn s6b_lingering_login_primary_waits_hostsync() {
    let (a, b) = run_default(|t| {
        t.hold_login("sec1", "ups");
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.set_status("ups", "OB LB");
        t.wait_shutdowns(ALL, Duration::from_secs(30));
    });
    for o in [&b, &a] {
        assert_secondaries_first(o, &a, &b);
        assert_primary_waited_hostsync(o, &a, &b);
    }
    compare_roles(&a, &b);
}

/// Scenario 8 (beyond the list): on battery, both secondaries lose
/// the network (link down: their connections hang, no RST). Last seen OB and
/// unreachable past DEADTIME, each gives up after HOSTSYNC and shuts down;
/// the primary, still on battery without LB, does not.
#[test]
fn s8_secondaries_unplugged_on_battery() {
    let (a, b) = run_default(|t| {
        t.set_status("ups", "OB");
        t.wait_notes("ONBATT", None, ALL);
        t.unplug("sec1");
        t.unplug("sec2");
        t.wait_shutdowns(&["sec1", "sec2"], Duration::from_secs(40));
        std::thread::sleep(Duration::from_secs(2));
        assert!(t.upsmon_running("primary"), "the primary's upsmon exited");
    });
    for o in [&b, &a] {
        assert!(!o.primary().shut_down(), "{}: the primary shut down\n{}", o.label, reports(&a, &b));
    }
    compare_roles(&a, &b);
    // when: a hung connection counts as lost after the same read timeout as
    // NUT's (5 s), then DEADTIME and HOSTSYNC run from the last good poll
    let after_unplug = |o: &Outcome, h: &str| {
        let unplug = o.marks.iter().find(|m| m.label.ends_with("unplugged")).unwrap().at;
        o.host(h).shutdown_at().unwrap() as i64 - unplug as i64
    };
    let nut = after_unplug(&a, "sec2");
    for (o, h) in [(&a, "sec1"), (&b, "sec1"), (&b, "sec2")] {
        let ours = after_unplug(o, h);
        assert!(
            (ours - nut).abs() < 2 * SECOND as i64,
            "{} {h} shut down {:.2}s after the unplug, NUT's secondary {:.2}s\n{}",
            o.label,
            ours as f64 / 1e9,
            nut as f64 / 1e9,
            reports(&a, &b)
        );
    }
}

fn two_ups_power_fail(t: &mut Topology) {
    t.set_status("ups1", "OB");
    t.wait_notes("ONBATT", Some("ups1"), ALL);
    t.set_status("ups1", "OB LB");
    t.wait_notes("LOWBATT", Some("ups1"), ALL);
}

/// Scenario 7a: mINSUPPLIES 2, two UPSes of power value 1 on the primary's upsd, one
/// goes OB LB: every host shuts down, secondaries first.
#[test]
fn s7a_minsupplies_2_one_of_two_fails() {
    let spec = |s: TopoSpec| s.with_upses(&["ups1", "ups2"]).with_minsupplies(2);
    let (a, b) = run_both(spec(TopoSpec::a()), spec(TopoSpec::b()), |t| {
        two_ups_power_fail(t);
        t.wait_shutdowns(ALL, Duration::from_secs(30));
    });
    for o in [&b, &a] {
        assert_secondaries_first(o, &a, &b);
        for s in o.secondaries() {
            assert!(s.count("FSD") >= 1, "{}: {} shut down without FSD\n{}", o.label, s.name, reports(&a, &b));
        }
    }
    // which UPSes a secondary saw FSD on before deciding is a race (see Fold::FsdUps)
    compare_roles_with(&a, &b, Fold::FsdUps);
}

/// Scenario 7b: mINSUPPLIES 1 with the same failure: the other UPS is enough, nobody
/// shuts down (the secondaries give up on the primary after HOSTSYNC, and
/// still have one healthy supply).
#[test]
fn s7b_minsupplies_1_one_of_two_fails() {
    let spec = |s: TopoSpec| s.with_upses(&["ups1", "ups2"]).with_minsupplies(1);
    let (a, b) = run_both(spec(TopoSpec::a()), spec(TopoSpec::b()), |t| {
        two_ups_power_fail(t);
        std::thread::sleep(Duration::from_secs(7));
        for h in ALL {
            assert!(t.upsmon_running(h), "{h}'s upsmon exited");
        }
    });
    for o in [&b, &a] {
        assert_nobody_shut_down(o, &a, &b);
    }
    compare_roles(&a, &b);
}
