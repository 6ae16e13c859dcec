//! Data-driven tests of the upsd.users loader.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::users::{self, UpsmonRole};

fn check(input: &str, expected: &[&str]) {
    let parsed = users::parse(input.as_bytes(), p());
    let mut got: Vec<String> = parsed
        .value
        .users
        .iter()
        .map(|u| {
            format!(
                "[{}]@{} pw={:?} actions={:?} instcmds={:?} upsmon={:?}",
                u.name, u.line, u.password, u.actions, u.instcmds, u.upsmon
            )
        })
        .collect();
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

#[test]
fn nit_generated_users() {
    let text = "[admin]\n\tpassword=mypass\n\tactions=SET\n\tinstcmds=ALL\n\n[tester]\n\tpassword=\"pass words\"\n\tinstcmds=test.battery.start\n\tinstcmds=test.battery.stop\n\n[dummy-admin-m]\n\tpassword=\"P@ssW0rdAdm\"\n\tupsmon master\n\n[dummy-admin]\n\tpassword=\"P@ssW0rdAdm\"\n\tupsmon primary\n\n[dummy-user-s]\n\tpassword=\"P@ssW0rd\"\n\tupsmon slave\n\n[dummy-user]\n\tpassword=\"P@ssW0rd\"\n\tupsmon secondary\n";
    check(
        text,
        &[
            "[admin]@1 pw=Some(\"mypass\") actions={\"set\"} instcmds={\"all\"} upsmon=None",
            "[tester]@6 pw=Some(\"pass words\") actions={} instcmds={\"test.battery.start\", \"test.battery.stop\"} upsmon=None",
            "[dummy-admin-m]@11 pw=Some(\"P@ssW0rdAdm\") actions={\"fsd\", \"login\", \"master\"} instcmds={} upsmon=Some(Primary)",
            "[dummy-admin]@15 pw=Some(\"P@ssW0rdAdm\") actions={\"fsd\", \"login\", \"master\"} instcmds={} upsmon=Some(Primary)",
            "[dummy-user-s]@19 pw=Some(\"P@ssW0rd\") actions={\"login\"} instcmds={} upsmon=Some(Secondary)",
            "[dummy-user]@23 pw=Some(\"P@ssW0rd\") actions={\"login\"} instcmds={} upsmon=Some(Secondary)",
            "W2 ~the password of user [admin] is a well-known default or example (\"mypass\")",
        ],
    );
}

#[test]
fn well_known_passwords_are_flagged_with_their_line() {
    let text = "[a]\n\tpassword = secret\n[b]\n\tpassword = FixMePass\n[c]\n\tpassword = pass\n[d]\n\tpassword = \"pass word\"\n[e]\n\tpassword = Zq7-k2\n";
    let parsed = users::parse(text.as_bytes(), p());
    let warned: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(warned.len(), 3, "{warned:#?}");
    for (d, (line, user)) in warned.iter().zip([(2, "a"), (4, "b"), (6, "c")]) {
        assert!(d.contains(&format!(":{line}: the password of user [{user}] is a well-known default")), "{d}");
    }
}

#[test]
fn value_forms_and_case_of_keys() {
    check(
        "[a]\nPASSWORD = x\n\"actions=SET\"\nActions = fsd SET\nINSTCMDS=load.off beeper.toggle\nupsmon = primary\n",
        &["[a]@1 pw=Some(\"x\") actions={\"fsd\", \"login\", \"master\", \"set\"} instcmds={\"beeper.toggle\", \"load.off\"} upsmon=Some(Primary)"],
    );
}

#[test]
fn first_password_wins() {
    // upsd 2.8.0: "Ignoring duplicate password for b".
    check("[b]\npassword = one\npassword = two\n", &["[b]@1 pw=Some(\"one\") actions={} instcmds={} upsmon=None", "W3 ~second password"]);
}

#[test]
fn duplicate_user_section_adds_to_the_first() {
    // upsd 2.8.0 printed "Ignoring duplicate user a" and then
    // "Ignoring duplicate password for a": the second section's lines were
    // applied to the first user.
    check(
        "[a]\npassword = pa\n[a]\npassword = other\nactions = SET\n",
        &["[a]@1 pw=Some(\"pa\") actions={\"set\"} instcmds={} upsmon=None", "W3 ~defined again", "W4 ~second password"],
    );
}

#[test]
fn lines_outside_sections_and_old_user_lines() {
    check(
        "password = x\nuser foo\n[a]\npassword=p\n",
        &["[a]@3 pw=Some(\"p\") actions={} instcmds={} upsmon=None", "W1 ~not inside a [username] section"],
    );
}

#[test]
fn unknown_settings_and_roles_warn() {
    check(
        "[b]\npassword=p\nfrob = 1\nupsmon boss\nallowfrom = localhost\nactions = bogus\n",
        &[
            "[b]@1 pw=Some(\"p\") actions={\"bogus\"} instcmds={} upsmon=None",
            "W3 ~unknown user setting 'frob'",
            "W4 ~upsmon \"boss\"",
            "W5 ~allowfrom is no longer supported",
            "W6 ~not a known action",
        ],
    );
}

#[test]
fn user_without_password_is_flagged() {
    check("[nopw]\nactions = SET\n", &["[nopw]@1 pw=None actions={\"set\"} instcmds={} upsmon=None", "W1 ~no password"]);
}

#[test]
fn permissions() {
    let c = users::parse(
        b"[admin]\npassword=a\nactions=SET\ninstcmds=ALL\n[mon]\npassword=m\nupsmon master\n[sec]\npassword=s\nupsmon slave\n[cmd]\npassword=c\ninstcmds=Test.Battery.Start\n[raw]\npassword=r\nactions = login master\n",
        p(),
    )
    .value;
    let admin = c.user("admin").unwrap();
    assert!(admin.can_set() && admin.can_instcmd("load.off") && !admin.can_login() && !admin.can_fsd());
    let mon = c.user("mon").unwrap();
    assert!(mon.can_login() && mon.can_primary() && mon.can_fsd() && !mon.can_set());
    assert_eq!(mon.upsmon, Some(UpsmonRole::Primary));
    let sec = c.user("sec").unwrap();
    assert!(sec.can_login() && !sec.can_primary() && !sec.can_fsd());
    let cmd = c.user("cmd").unwrap();
    assert!(cmd.can_instcmd("test.battery.start") && cmd.can_instcmd("TEST.BATTERY.START") && !cmd.can_instcmd("load.off"));
    // upsd 2.8.0 accepts any action word: `actions = login master` allowed
    // LOGIN and MASTER (checked live: OK, OK MASTER-GRANTED, FSD denied).
    let raw = c.user("raw").unwrap();
    assert!(raw.can_login() && raw.can_primary() && !raw.can_fsd());
    // Names are case-sensitive.
    assert!(c.user("Admin").is_none());
    assert!(c.authenticate("admin", "a").is_some());
    assert!(c.authenticate("admin", "A").is_none());
    assert!(c.authenticate("nobody", "a").is_none());
}
