//! Every rule of NUT-REFERENCE §5.3–§5.8 on a fake clock.

use super::*;

fn def(sys: &str, pv: u32, primary: bool) -> UpsDef {
    let (upsname, host) = sys.split_once('@').unwrap_or((sys, "localhost"));
    UpsDef {
        sys: sys.to_string(),
        upsname: upsname.to_string(),
        host: host.to_string(),
        port: 3493,
        power_value: pv,
        user: "mon".into(),
        password: "pw".into(),
        primary,
    }
}

fn cfg(ups: Vec<UpsDef>) -> MonitorConfig {
    MonitorConfig {
        ups,
        shutdowncmd: Some("/sbin/poweroff".into()),
        powerdownflag: Some("/etc/killpower".into()),
        ..MonitorConfig::default()
    }
}

/// A monitor, a fake clock in seconds and everything it did.
struct Rig {
    m: Monitor,
    now: Duration,
    actions: Vec<Action>,
}

impl Rig {
    fn new(c: MonitorConfig) -> Self {
        Rig { m: Monitor::new(c), now: Duration::ZERO, actions: Vec::new() }
    }
    fn primary() -> Self {
        Rig::new(cfg(vec![def("ups@localhost", 1, true)]))
    }
    fn secondary() -> Self {
        Rig::new(cfg(vec![def("ups@server", 1, false)]))
    }
    fn at(&mut self, secs: u64) -> &mut Self {
        self.now = Duration::from_secs(secs);
        self
    }
    fn ev(&mut self, e: Event) -> Vec<Action> {
        let a = self.m.handle(e, self.now);
        self.actions.extend(a.clone());
        a
    }
    /// One polling pass where every UPS reports `status`.
    fn pass(&mut self, status: &str) -> Vec<Action> {
        let mut all = Vec::new();
        for sys in self.m.ups_names() {
            all.extend(self.ev(Event::Poll {
                ups: sys,
                outcome: PollOutcome::Status { status: status.into(), charge: None, runtime: None },
            }));
        }
        all.extend(self.ev(Event::PassDone));
        all
    }
    fn poll(&mut self, sys: &str, status: &str) -> Vec<Action> {
        self.ev(Event::Poll {
            ups: sys.into(),
            outcome: PollOutcome::Status { status: status.into(), charge: None, runtime: None },
        })
    }
    fn fail(&mut self, sys: &str) -> Vec<Action> {
        self.ev(Event::Poll {
            ups: sys.into(),
            outcome: PollOutcome::Failed { message: format!("Poll UPS [{sys}] failed - x"), disconnected: false },
        })
    }
    fn connfail(&mut self, sys: &str) -> Vec<Action> {
        self.ev(Event::Poll {
            ups: sys.into(),
            outcome: PollOutcome::ConnectFailed { message: format!("UPS [{sys}]: connect failed: x") },
        })
    }
    fn done(&mut self) -> Vec<Action> {
        self.ev(Event::PassDone)
    }
    fn notified(&self) -> Vec<String> {
        notes(&self.actions)
    }
    fn shut_down(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::RunShutdownCmd(_)))
    }
    fn fsd_sent(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::SetFsd { .. }))
    }
}

fn notes(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify(n) => Some(format!("{} {}", n.kind, n.ups.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

fn logs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(l, t) if !matches!(l, Level::Debug(_)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn first_ol_is_silent_and_first_contact_is_not_commok() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    r.at(5).pass("OL");
    assert!(r.notified().is_empty(), "{:?}", r.notified());
}

#[test]
fn onbatt_at_startup_is_announced() {
    let mut r = Rig::primary();
    r.at(0).pass("OB");
    assert_eq!(r.notified(), vec!["ONBATT ups@localhost"]);
    assert!(!r.shut_down());
}

#[test]
fn ol_ob_ol_announces_both_transitions() {
    let mut r = Rig::primary();
    r.at(0).pass("OL CHRG");
    r.at(5).pass("OB DISCHRG");
    r.at(10).pass("OL CHRG");
    assert_eq!(r.notified(), vec!["ONBATT ups@localhost", "ONLINE ups@localhost"]);
    assert!(!r.fsd_sent());
}

#[test]
fn tokens_are_case_insensitive_but_lb_clearing_is_substring() {
    let mut r = Rig::primary();
    r.at(0).pass("ob lb");
    assert_eq!(r.notified(), vec!["ONBATT ups@localhost", "LOWBATT ups@localhost"]);
    // lower-case "lb" does not contain "LB": NUT clears LOWBATT first,
    // then sets it again from the word, so it is announced again.
}

#[test]
fn poll_interval_switches_on_transitions() {
    let mut c = cfg(vec![def("ups@localhost", 1, true)]);
    c.pollfreq = 30;
    c.pollfreqalert = 5;
    let mut r = Rig::new(c);
    assert_eq!(r.m.poll_interval(), Duration::from_secs(30));
    r.at(0).pass("OL");
    assert_eq!(r.m.poll_interval(), Duration::from_secs(30));
    let a = r.at(30).pass("OB");
    assert!(a.contains(&Action::SetPollInterval(Duration::from_secs(5))));
    let a = r.at(35).pass("OL");
    assert!(a.contains(&Action::SetPollInterval(Duration::from_secs(30))));
}

#[test]
fn primary_ob_lb_sets_fsd_and_waits_for_numlogins() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    let a = r.at(10).pass("OB LB");
    assert_eq!(notes(&a), vec!["LOWBATT ups@localhost"]);
    assert!(a.contains(&Action::SetFsd { ups: "ups@localhost".into() }));
    assert!(a.contains(&Action::QueryNumLogins { ups: "ups@localhost".into() }));
    assert!(!r.m.is_polling());
    // two logins: a secondary is still there
    let a = r.ev(Event::NumLogins { ups: "ups@localhost".into(), count: Some(2) });
    assert_eq!(a, vec![Action::WakeAt(Duration::from_millis(10_250))]);
    r.now = Duration::from_millis(10_250);
    let a = r.ev(Event::Tick);
    assert_eq!(a, vec![Action::QueryNumLogins { ups: "ups@localhost".into() }]);
    // the secondary logged out
    let a = r.ev(Event::NumLogins { ups: "ups@localhost".into(), count: Some(1) });
    assert_eq!(logs(&a), vec!["Executing automatic power-fail shutdown"]);
    assert!(a.contains(&Action::Wall("Executing automatic power-fail shutdown\n".into())));
    assert_eq!(notes(&a), vec!["SHUTDOWN "]);
    assert_eq!(a.last(), Some(&Action::WakeAt(Duration::from_millis(15_250))));
    // FINALDELAY later: flag, command, exit
    r.now = Duration::from_millis(15_250);
    let a = r.ev(Event::Tick);
    assert_eq!(
        a,
        vec![
            Action::WritePowerDownFlag("/etc/killpower".into()),
            Action::RunShutdownCmd(Some("/sbin/poweroff".into())),
            Action::Exit(0)
        ]
    );
    assert_eq!(r.notified(), vec!["ONBATT ups@localhost", "LOWBATT ups@localhost", "SHUTDOWN "]);
}

#[test]
fn shutdown_notification_has_empty_upsname() {
    let mut r = Rig::primary();
    r.at(0).pass("OB LB");
    r.ev(Event::NumLogins { ups: "ups@localhost".into(), count: Some(1) });
    let n = r
        .actions
        .iter()
        .find_map(|a| match a {
            Action::Notify(n) if n.kind == NotifyType::Shutdown => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(n.ups, None);
    assert_eq!(n.message, "Auto logout and shutdown proceeding");
}

#[test]
fn hostsync_expiry_forces_the_shutdown() {
    let mut r = Rig::primary();
    r.at(100).pass("OB LB");
    let ups = "ups@localhost".to_string();
    // still two logins at every round; give up once more than HOSTSYNC (15) passed
    let mut t = 100_000u64;
    loop {
        let a = r.ev(Event::NumLogins { ups: ups.clone(), count: Some(2) });
        if logs(&a).iter().any(|l| l == "Host sync timer expired, forcing shutdown") {
            break;
        }
        t += 250;
        r.now = Duration::from_millis(t);
        r.ev(Event::Tick);
        assert!(t < 200_000);
    }
    // 100 s + 16 s: the first second count where now - start > 15
    assert_eq!(r.now.as_secs(), 116);
    assert!(r.notified().contains(&"SHUTDOWN ".to_string()));
}

#[test]
fn failed_numlogins_counts_as_zero() {
    let mut r = Rig::primary();
    r.at(0).pass("OB LB");
    let a = r.ev(Event::NumLogins { ups: "ups@localhost".into(), count: None });
    assert_eq!(notes(&a), vec!["SHUTDOWN "]);
}

#[test]
fn finaldelay_zero_shuts_down_at_once() {
    let mut c = cfg(vec![def("ups@localhost", 1, true)]);
    c.finaldelay = 0;
    let mut r = Rig::new(c);
    r.at(0).pass("OB LB");
    let a = r.ev(Event::NumLogins { ups: "ups@localhost".into(), count: Some(1) });
    assert_eq!(a.last(), Some(&Action::Exit(0)));
}

#[test]
fn no_powerdownflag_means_no_flag_file() {
    let mut c = cfg(vec![def("ups@s", 1, false)]);
    c.powerdownflag = None;
    c.finaldelay = 0;
    let mut r = Rig::new(c);
    r.at(0).pass("FSD OL");
    assert!(!r.actions.iter().any(|a| matches!(a, Action::WritePowerDownFlag(_))));
    assert!(r.shut_down());
}

#[test]
fn secondary_waits_hostsync_for_the_primary_then_gives_up() {
    let mut r = Rig::secondary();
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    r.at(10).pass("OB LB"); // lastnoncrit = 10 (the OB word came first)
    assert!(!r.fsd_sent() && r.m.is_polling());
    r.at(20).pass("OB LB");
    r.at(25).pass("OB LB"); // 15 s: not yet (> HOSTSYNC needed)
    assert!(r.m.is_polling());
    let a = r.at(26).pass("OB LB");
    assert!(logs(&a).contains(&"Giving up on the primary for UPS [ups@server]".to_string()));
    // a secondary never sets FSD; it goes straight to doshutdown
    assert!(!r.fsd_sent());
    assert_eq!(notes(&a), vec!["SHUTDOWN "]);
}

#[test]
fn secondary_shuts_down_at_once_on_fsd() {
    let mut r = Rig::secondary();
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    let a = r.at(10).pass("FSD OB LB");
    // words are handled in the order the driver wrote them
    assert_eq!(notes(&a), vec!["FSD ups@server", "LOWBATT ups@server", "SHUTDOWN "]);
    assert!(!r.fsd_sent());
    r.at(15).ev(Event::Tick);
    assert!(r.shut_down());
}

#[test]
fn fsd_with_ol_is_still_critical() {
    let mut r = Rig::secondary();
    r.at(0).pass("OL");
    r.at(5).pass("FSD OL");
    assert_eq!(r.notified(), vec!["FSD ups@server", "SHUTDOWN "]);
}

#[test]
fn lb_while_online_is_ignored_by_default() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    r.at(5).pass("OL LB");
    assert_eq!(r.notified(), vec!["LOWBATT ups@localhost"]);
    assert!(!r.fsd_sent());
}

#[test]
fn lb_while_online_can_be_made_critical() {
    let mut c = cfg(vec![def("ups@localhost", 1, true)]);
    c.policy.lb_without_ob_is_critical = true;
    let mut r = Rig::new(c);
    r.at(0).pass("OL LB");
    assert!(r.fsd_sent());
}

#[test]
fn lowbatt_clears_when_lb_disappears_and_is_announced_again() {
    let mut r = Rig::primary();
    r.at(0).pass("OL LB");
    r.at(5).pass("OL");
    r.at(10).pass("OL LB");
    assert_eq!(r.notified(), vec!["LOWBATT ups@localhost", "LOWBATT ups@localhost"]);
}

#[test]
fn replbatt_every_rbwarntime() {
    let mut c = cfg(vec![def("ups@localhost", 1, true)]);
    c.rbwarntime = 100;
    let mut r = Rig::new(c);
    r.at(0).pass("OL RB");
    r.at(50).pass("OL RB");
    r.at(100).pass("OL RB"); // exactly 100: not more than RBWARNTIME
    r.at(101).pass("OL RB");
    assert_eq!(r.notified(), vec!["REPLBATT ups@localhost", "REPLBATT ups@localhost"]);
}

#[test]
fn commbad_commok_and_nocomm_periods() {
    let mut c = cfg(vec![def("ups@localhost", 1, true)]);
    c.nocommwarntime = 60;
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(5).fail("ups@localhost");
    r.done();
    assert_eq!(r.notified(), vec!["COMMBAD ups@localhost"]);
    for t in (10..=55).step_by(5) {
        r.at(t).fail("ups@localhost");
    }
    assert_eq!(r.notified().len(), 1, "no NOCOMM before NOCOMMWARNTIME since the last good poll");
    r.at(60).fail("ups@localhost"); // 60 s since lastpoll=0 → NOCOMM
    assert_eq!(r.notified().last().unwrap(), "NOCOMM ups@localhost");
    r.at(120).fail("ups@localhost"); // 60 s after the warning: not more than 60
    assert_eq!(r.notified().iter().filter(|n| n.starts_with("NOCOMM")).count(), 1);
    r.at(121).fail("ups@localhost");
    assert_eq!(r.notified().iter().filter(|n| n.starts_with("NOCOMM")).count(), 2);
    r.at(130).poll("ups@localhost", "OL");
    assert_eq!(r.notified().last().unwrap(), "COMMOK ups@localhost");
    // OL was already known: no ONLINE
    assert!(!r.notified().iter().any(|n| n.starts_with("ONLINE")));
}

#[test]
fn unreachable_at_startup_gives_commbad_then_nocomm_then_commok() {
    let mut r = Rig::primary();
    r.at(0).connfail("ups@localhost");
    r.done();
    assert_eq!(r.notified(), vec!["COMMBAD ups@localhost"]);
    assert_eq!(logs(&r.actions), vec!["UPS [ups@localhost]: connect failed: x"]);
    // never polled: lastpoll is the distant past, so NOCOMM comes next pass
    r.at(5).connfail("ups@localhost");
    assert_eq!(r.notified().last().unwrap(), "NOCOMM ups@localhost");
    r.at(10).connfail("ups@localhost");
    assert_eq!(r.notified().len(), 2);
    r.at(15).poll("ups@localhost", "OL");
    assert_eq!(r.notified(), vec!["COMMBAD ups@localhost", "NOCOMM ups@localhost", "COMMOK ups@localhost"]);
    // and the very first OL after a connection drop is announced? no: the
    // connection never dropped (connect failed), linestate stays unknown
}

#[test]
fn empty_status_counts_as_gone() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    r.at(5).pass("");
    assert_eq!(r.notified(), vec!["COMMBAD ups@localhost"]);
}

#[test]
fn dropped_connection_makes_the_next_ol_announced() {
    let mut r = Rig::primary();
    r.at(0).ev(Event::Poll {
        ups: "ups@localhost".into(),
        outcome: PollOutcome::Failed { message: "Poll UPS [ups@localhost] failed - x".into(), disconnected: true },
    });
    r.at(5).poll("ups@localhost", "OL");
    assert_eq!(r.notified(), vec!["COMMBAD ups@localhost", "COMMOK ups@localhost", "ONLINE ups@localhost"]);
}

#[test]
fn deadtime_promotes_a_silent_on_battery_ups() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    r.at(10).fail("ups@localhost");
    r.done();
    r.at(15).fail("ups@localhost");
    r.done();
    r.at(20).fail("ups@localhost");
    r.done(); // 15 s since lastpoll: not more than DEADTIME
    assert!(!r.fsd_sent());
    r.at(21).fail("ups@localhost");
    r.done();
    assert!(r.fsd_sent(), "dead on battery is critical after DEADTIME");
    assert!(!r.notified().contains(&"LOWBATT ups@localhost".to_string()), "promotion is silent");
}

#[test]
fn deadtime_does_not_touch_an_online_ups() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    for t in (5..200).step_by(5) {
        r.at(t).fail("ups@localhost");
        r.done();
    }
    assert!(!r.fsd_sent());
}

#[test]
fn calibration_ob_lb_is_not_critical_and_cal_clears() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    let a = r.at(5).pass("OB LB CAL");
    assert!(!r.fsd_sent());
    assert!(logs(&a).iter().any(|l| l.contains("also calibrating")));
    assert!(r.notified().contains(&"CAL ups@localhost".to_string()));
    r.at(10).pass("OL");
    assert!(!r.m.view("ups@localhost").unwrap().cal, "CAL cleared (master behaviour)");
    // a real outage later is critical again (2.8.0 would stay latched)
    r.at(15).pass("OB LB");
    assert!(r.fsd_sent());
}

#[test]
fn minsupplies_sums_across_upses_and_never_contacted_counts_healthy() {
    let mut c = cfg(vec![def("a@h", 1, true), def("b@h", 1, true), def("c@h", 1, false)]);
    c.minsupplies = 2;
    let mut r = Rig::new(c);
    // a is OB LB (critical), b never answers, c fine: 0 + 1 + 1 = 2 → ok
    r.at(0).poll("a@h", "OB LB");
    r.connfail("b@h");
    r.poll("c@h", "OL");
    r.done();
    assert!(!r.fsd_sent());
    // c goes OB LB as a secondary → critical only after HOSTSYNC
    r.at(5).poll("a@h", "OB LB");
    r.connfail("b@h");
    r.poll("c@h", "OB LB");
    r.done();
    assert!(!r.fsd_sent());
    r.at(21).poll("a@h", "OB LB");
    r.connfail("b@h");
    r.poll("c@h", "OB LB");
    r.done();
    // 1 (b) < 2 → FSD on both primaries a and b
    let fsd: Vec<_> = r
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::SetFsd { ups } => Some(ups.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fsd, vec!["a@h", "b@h"]);
    let q: Vec<_> = r.actions.iter().filter(|a| matches!(a, Action::QueryNumLogins { .. })).collect();
    assert_eq!(q.len(), 2);
    // the round ends only after both answers
    assert!(r.ev(Event::NumLogins { ups: "a@h".into(), count: Some(1) }).is_empty());
    let a = r.ev(Event::NumLogins { ups: "b@h".into(), count: None });
    assert_eq!(notes(&a), vec!["SHUTDOWN "]);
}

#[test]
fn minsupplies_zero_never_shuts_down() {
    let mut c = cfg(vec![def("ups@h", 0, true)]);
    c.minsupplies = 0;
    let mut r = Rig::new(c);
    r.at(0).pass("FSD OB LB");
    assert!(!r.fsd_sent() && !r.shut_down());
}

#[test]
fn monitoring_only_entry_does_not_count() {
    let mut c = cfg(vec![def("a@h", 1, false), def("watch@h", 0, false)]);
    c.minsupplies = 1;
    let mut r = Rig::new(c);
    r.at(0).poll("a@h", "OL");
    r.poll("watch@h", "FSD OB LB");
    r.done();
    assert!(!r.shut_down());
}

#[test]
fn user_fsd_on_primary_and_secondary() {
    let mut r = Rig::primary();
    r.at(0).pass("OL");
    let a = r.at(3).ev(Event::UserFsd);
    assert!(a.contains(&Action::SetFsd { ups: "ups@localhost".into() }));
    let mut r = Rig::secondary();
    r.at(0).pass("OL");
    let a = r.at(3).ev(Event::UserFsd);
    assert_eq!(notes(&a), vec!["SHUTDOWN "]);
}

#[test]
fn polls_are_ignored_once_the_shutdown_runs() {
    let mut r = Rig::secondary();
    r.at(0).pass("FSD OL");
    let a = r.at(1).pass("OL");
    assert!(a.is_empty());
}

#[test]
fn notifyflag_ignore_and_custom_message() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.notify.set_flags(NotifyType::OnBatt, NotifyFlags::IGNORE);
    c.notify.set_message(NotifyType::Online, "power back on %s!");
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    let a = r.at(10).pass("OL");
    assert_eq!(r.notified(), vec!["ONLINE ups@h"]);
    let n = a.iter().find_map(|x| if let Action::Notify(n) = x { Some(n) } else { None }).unwrap();
    assert_eq!(n.message, "power back on ups@h!");
}

#[test]
fn noparent_every_two_minutes() {
    let mut r = Rig::primary();
    r.at(0).ev(Event::ParentGone);
    r.at(60).ev(Event::ParentGone);
    r.at(120).ev(Event::ParentGone);
    assert_eq!(r.notified(), vec!["NOPARENT ", "NOPARENT "]);
}

// ---- policies ----------------------------------------------------------

#[test]
fn policy_shutdown_after_time_on_battery() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.policy.shutdown_after_on_battery = Some(Duration::from_secs(60));
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(10).pass("OB");
    r.at(65).pass("OB");
    assert!(!r.fsd_sent());
    let a = r.at(70).pass("OB");
    assert!(logs(&a).iter().any(|l| l.contains("on battery for 60 s")));
    assert!(r.fsd_sent());
}

#[test]
fn policy_countdown_is_cancelled_when_power_returns() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.policy.shutdown_after_on_battery = Some(Duration::from_secs(60));
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(10).pass("OB");
    r.at(50).pass("OL");
    r.at(60).pass("OB");
    r.at(110).pass("OB"); // 50 s into the second outage
    assert!(!r.fsd_sent());
    r.at(120).pass("OB");
    assert!(r.fsd_sent());
}

#[test]
fn policy_charge_and_runtime_floors_only_on_battery() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.policy.min_charge = Some(30);
    c.policy.min_runtime = Some(120);
    let status = |s: &str, ch: f64, rt: f64| Event::Poll {
        ups: "ups@h".into(),
        outcome: PollOutcome::Status { status: s.into(), charge: Some(ch), runtime: Some(rt) },
    };
    let mut r = Rig::new(c.clone());
    r.at(0).ev(status("OL CHRG", 10.0, 60.0));
    r.done();
    assert!(!r.fsd_sent(), "low charge while on line is recharging, not critical");
    r.at(5).ev(status("OB", 50.0, 600.0));
    r.done();
    assert!(!r.fsd_sent());
    r.at(10).ev(status("OB", 30.0, 600.0));
    r.done();
    assert!(r.fsd_sent());
    let mut r = Rig::new(c);
    r.at(0).ev(status("OB", 80.0, 120.0));
    r.done();
    assert!(r.fsd_sent(), "runtime floor");
}

#[test]
fn glitch_debounce_hides_short_outages() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.policy.glitch_debounce = Some(Duration::from_secs(10));
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(5).pass("OB");
    let a = r.at(10).pass("OL");
    assert!(r.notified().is_empty());
    assert!(logs(&a).iter().any(|l| l.contains("power glitch of 5 s ignored")));
    // a longer one is announced once it lasted 10 s, then ONLINE too
    r.at(20).pass("OB");
    r.at(25).pass("OB");
    assert!(r.notified().is_empty());
    r.at(30).pass("OB");
    assert_eq!(r.notified(), vec!["ONBATT ups@h"]);
    r.at(35).pass("OL");
    assert_eq!(r.notified(), vec!["ONBATT ups@h", "ONLINE ups@h"]);
}

#[test]
fn glitch_debounce_never_delays_a_low_battery_shutdown() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.policy.glitch_debounce = Some(Duration::from_secs(60));
    let mut r = Rig::new(c);
    r.at(0).pass("OL");
    r.at(5).pass("OB LB");
    assert_eq!(r.notified(), vec!["ONBATT ups@h", "LOWBATT ups@h"]);
    assert!(r.fsd_sent());
}

// ---- reload --------------------------------------------------------------

#[test]
fn reload_adds_removes_and_redefines() {
    let mut r = Rig::new(cfg(vec![def("a@h", 1, false), def("b@h", 1, false)]));
    r.at(0).pass("OL");
    let mut newc = cfg(vec![def("a@h", 2, true), def("c@h", 1, false)]);
    newc.minsupplies = 1;
    let a = r.ev(Event::Reload(newc));
    let l = logs(&a);
    assert!(l.contains(&"Reloading configuration".to_string()));
    assert!(l.contains(&"UPS [a@h]: redefined power value to 2".to_string()));
    assert!(l.contains(&"UPS [a@h]: redefined as a primary".to_string()));
    assert!(l.contains(&"UPS: c@h (secondary) (power value 1)".to_string()));
    assert!(l.contains(&"No longer monitoring UPS [b@h]".to_string()));
    assert!(a.contains(&Action::Disconnect { ups: "b@h".into() }));
    assert!(a.contains(&Action::Disconnect { ups: "a@h".into() }));
    assert_eq!(r.m.ups_names(), vec!["a@h", "c@h"]);
}

#[test]
fn reload_below_minsupplies_is_fatal() {
    let mut r = Rig::primary();
    let mut newc = cfg(vec![def("ups@localhost", 1, true)]);
    newc.minsupplies = 3;
    let a = r.ev(Event::Reload(newc));
    assert!(logs(&a).contains(&"Fatal error: total power value (1) less than MINSUPPLIES (3)".to_string()));
    assert_eq!(a.last(), Some(&Action::Exit(1)));
}

#[test]
fn reload_in_split_mode_keeps_the_shutdown_command() {
    let mut c = cfg(vec![def("ups@h", 1, true)]);
    c.split_mode = true;
    let mut r = Rig::new(c);
    let mut newc = cfg(vec![def("ups@h", 1, true)]);
    newc.shutdowncmd = Some("/bin/true".into());
    let a = r.ev(Event::Reload(newc));
    assert!(logs(&a).contains(&"Warning: SHUTDOWNCMD redefined in split-process mode!".to_string()));
    assert_eq!(r.m.config().shutdowncmd.as_deref(), Some("/sbin/poweroff"));
}

#[test]
fn startup_lines() {
    assert_eq!(ups_line(&def("ups@h", 1, true)), "UPS: ups@h (primary) (power value 1)");
    assert_eq!(ups_line(&def("ups@h", 0, false)), "UPS: ups@h (monitoring only)");
}
