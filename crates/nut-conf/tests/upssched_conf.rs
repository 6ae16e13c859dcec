//! Data-driven tests of the upssched.conf loader.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::upssched::{self, Action, UpsMatch};

fn check(input: &str, expected: &[&str]) {
    let parsed = upssched::parse(input.as_bytes(), p());
    let mut got: Vec<String> = parsed
        .value
        .ats
        .iter()
        .map(|a| format!("AT {} {:?} {:?} @{}", a.notify_type, a.ups, a.action, a.line))
        .collect();
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

const HEAD: &str = "CMDSCRIPT /usr/bin/upssched-cmd\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n";

#[test]
fn at_lines() {
    check(
        &format!("{HEAD}AT ONBATT * START-TIMER onbatt 30\nAT ONLINE ups@localhost CANCEL-TIMER onbatt online\nAT ONLINE * CANCEL-TIMER onbatt\nAT LOWBATT * EXECUTE lowbatt\nAT COMMBAD * START-TIMER-SHARED comm 10\n"),
        &[
            "AT ONBATT Any StartTimer { name: \"onbatt\", secs: 30 } @4",
            "AT ONLINE Name(\"ups@localhost\") CancelTimer { name: \"onbatt\", cmd: Some(\"online\") } @5",
            "AT ONLINE Any CancelTimer { name: \"onbatt\", cmd: None } @6",
            "AT LOWBATT Any Execute { cmd: \"lowbatt\" } @7",
            "AT COMMBAD Any StartTimerShared { name: \"comm\", secs: 10 } @8",
        ],
    );
}

#[test]
fn at_before_required_directives_is_fatal_with_nut_message() {
    // upssched 2.8.0 printed exactly these texts and exited 1.
    check(
        "CMDSCRIPT /bin/true\nAT ONBATT * EXECUTE foo\nPIPEFN /tmp/p\n",
        &[
            "AT ONBATT Any Execute { cmd: \"foo\" } @2",
            "E2 PIPEFN must be set before any ATs in the config file!",
            "E2 LOCKFN must be set before any ATs in the config file!",
        ],
    );
    let parsed = upssched::parse(b"AT ONBATT * EXECUTE foo\n", p());
    assert_eq!(parsed.diagnostics[0].message, "CMDSCRIPT must be set before any ATs in the config file!");
    assert!(parsed.has_errors());
}

#[test]
fn bad_at_lines_warn() {
    // 2.8.0: "invalid directive AT ONBATT x", "Invalid command: FROB",
    // "invalid directive AT ONBATT * EXECUTE"; unknown types never match.
    check(
        &format!("{HEAD}AT ONBATT x\nAT onbatt * FROB a b\nAT ONBATT * EXECUTE\nAT BOGUS * EXECUTE hi\nAT ONBATT * START-TIMER t\nAT ONBATT * START-TIMER t -5\nFOO bar\n"),
        &[
            "AT BOGUS Any Execute { cmd: \"hi\" } @7",
            "W4 ~AT line ignored",
            "W5 ~unknown command \"FROB\"",
            "W6 ~AT line ignored",
            "W7 ~never match",
            "W8 ~missing the number of seconds",
            "W9 ~\"-5\" is not a number of seconds",
            "W10 ~unknown directive FOO",
        ],
    );
}

#[test]
fn matching_is_case_insensitive_on_type_exact_on_ups() {
    let c = upssched::parse(
        format!("{HEAD}AT onbatt * EXECUTE a\nAT ONBATT ups@h EXECUTE b\nAT ONLINE * EXECUTE c\n").as_bytes(),
        p(),
    )
    .value;
    let hits: Vec<&str> = c
        .matching("ONBATT", "ups@h")
        .map(|a| match &a.action {
            Action::Execute { cmd } => cmd.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(hits, ["a", "b"]);
    assert_eq!(c.matching("ONBATT", "UPS@h").count(), 1);
    assert_eq!(c.cmdscript.as_deref(), Some(&["/usr/bin/upssched-cmd".to_string()][..]));
    assert!(UpsMatch::Any.matches("x"));
}

#[test]
fn cmdscript_with_arguments() {
    let c = upssched::parse(b"CMDSCRIPT /usr/bin/notify --tag ups\n", p()).value;
    assert_eq!(c.cmdscript.unwrap(), ["/usr/bin/notify", "--tag", "ups"]);
}
