//! Tests of the nut.conf and cmdvartab loaders.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::{cmdvartab, nutconf, nutconf::Mode};

fn check(input: &str, expected: &[&str]) {
    let parsed = nutconf::parse(input.as_bytes(), p());
    let mut got = vec![format!("mode={}", parsed.value.mode)];
    got.extend(parsed.value.vars.iter().map(|a| format!("{}={:?}@{}", a.key, a.value, a.line)));
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

#[test]
fn modes() {
    check("MODE=standalone\n", &["mode=standalone", "MODE=\"standalone\"@1"]);
    check("# c\n\nMODE=\"netserver\" # comment\n", &["mode=netserver", "MODE=\"netserver\"@3"]);
    check("MODE='netclient'\n", &["mode=netclient", "MODE=\"netclient\"@1"]);
    check("", &["mode=none"]);
    check("MODE=bogus\n", &["mode=none", "MODE=\"bogus\"@1", "E1 ~use none, standalone, netserver or netclient"]);
    assert!(Mode::Standalone.runs_upsd() && !Mode::Netclient.runs_upsd() && Mode::Netclient.runs_upsmon());
}

#[test]
fn shell_syntax_errors() {
    check("MODE = standalone\n", &["mode=none", "E1 ~space before '='"]);
    check("MODE= standalone\n", &["mode=none", "E1 ~space after '='"]);
    check("MODE=\"standalone\n", &["mode=none", "E1 ~missing closing \""]);
    check("standalone\n", &["mode=none", "E1 ~not an assignment"]);
    check("UPSD_OPTIONS=-D -D\n", &["mode=none", "E1 ~quote values that have spaces"]);
}

#[test]
fn other_keys() {
    check(
        "export MODE=standalone\nUPSD_OPTIONS=\"-D \\\"x\\\"\"\nPOWEROFF_WAIT=15m\nFOO=1\nNUT_DEBUG_LEVEL=$LEVEL\n",
        &[
            "mode=standalone",
            "MODE=\"standalone\"@1",
            "UPSD_OPTIONS=\"-D \\\"x\\\"\"@2",
            "POWEROFF_WAIT=\"15m\"@3",
            "FOO=\"1\"@4",
            "NUT_DEBUG_LEVEL=\"$LEVEL\"@5",
            "W4 ~unknown setting FOO",
            "W5 ~expanded by the shell",
        ],
    );
    let c = nutconf::parse(b"POWEROFF_WAIT=5\nPOWEROFF_WAIT=10\n", p()).value;
    assert_eq!(c.get("POWEROFF_WAIT"), Some("10"));
}

#[test]
fn cmdvartab_lines() {
    let parsed = cmdvartab::parse(
        b"# c\nVARDESC ups.status \"UPS status\"\nCMDDESC load.off \"Turn off the load immediately\"\nVARDESC x\nFOO a b\n",
        p(),
    );
    assert_lines("cmdvartab", &render_diags(&parsed), &["W4 ~VARDESC ignored", "W5 ~unknown line \"FOO\""]);
    let t = parsed.value;
    assert_eq!(t.var_desc("UPS.Status"), Some("UPS status"));
    assert_eq!(t.cmd_desc("load.off"), Some("Turn off the load immediately"));
    assert_eq!(t.cmd_desc("load.on"), None);
}

#[test]
fn debian_cmdvartab_if_installed() {
    let path = std::path::Path::new("/usr/share/nut/cmdvartab");
    let Ok(text) = std::fs::read(path) else { return };
    let parsed = cmdvartab::parse(&text, path);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(parsed.value.vars.len() > 100 && parsed.value.cmds.len() > 20);
}
