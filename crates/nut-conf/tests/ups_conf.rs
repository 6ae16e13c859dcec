//! Data-driven tests of the ups.conf loader.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::ups::{self, UpsConf};

fn render(c: &UpsConf) -> Vec<String> {
    let mut out = Vec::new();
    for e in &c.globals.settings.entries {
        out.push(format!("global {}{}", e.key, e.value.as_ref().map(|v| format!("={v:?}")).unwrap_or_default()));
    }
    for s in &c.sections {
        let kv: Vec<String> = s
            .settings
            .entries
            .iter()
            .map(|e| format!("{}{}", e.key, e.value.as_ref().map(|v| format!("={v:?}")).unwrap_or_default()))
            .collect();
        out.push(format!("[{}]@{} {}", s.name, s.line, kv.join(" ")));
    }
    out
}

fn check(input: &str, expected: &[&str]) {
    let parsed = ups::parse(input.as_bytes(), p());
    let mut got = render(&parsed.value);
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

#[test]
fn globals_then_sections() {
    check(
        "maxretry = 3\nnowait\n[a]\n driver = dummy-ups\n port=x.dev\n desc = \"Web server\"\n",
        &["global maxretry=\"3\"", "global nowait", "[a]@3 driver=\"dummy-ups\" port=\"x.dev\" desc=\"Web server\""],
    );
}

#[test]
fn key_value_shapes() {
    check(
        "[a]\ndriver=d\nport= p\n\"desc=a b\"\nignorelb\nsdorder =-1\n",
        &["[a]@1 driver=\"d\" port=\"p\" desc=\"a b\" ignorelb sdorder=\"-1\""],
    );
}

#[test]
fn key_value_without_equals_is_ignored() {
    check("[a]\ndriver d\nport=p\n", &["[a]@1 port=\"p\"", "W2 ~expected 'key = value'", "W1 ~no 'driver'"]);
}

#[test]
fn extra_words_after_value_are_dropped_with_a_warning() {
    check("[a]\ndriver=d\nport=p\ndesc = Web server\n", &["[a]@1 driver=\"d\" port=\"p\" desc=\"Web\"", "W4 ~quote a value"]);
}

#[test]
fn last_definition_wins_but_all_are_kept() {
    let c = ups::parse(b"[a]\ndriver=x\nport=1\nport=2\n", p()).value;
    let s = c.section("a").unwrap();
    assert_eq!(s.port(), Some("2"));
    assert_eq!(s.settings.entries.len(), 3);
    assert_eq!(s.settings.keys(), vec!["driver", "port"]);
    assert_eq!(s.settings.effective().len(), 2);
}

#[test]
fn missing_driver_or_port_is_a_warning_and_section_incomplete() {
    let parsed = ups::parse(b"[a]\ndriver=x\n[b]\nport=p\n", p());
    assert!(!parsed.has_errors());
    assert_eq!(parsed.value.complete_sections().count(), 0);
    check("[a]\ndriver=x\n", &["[a]@1 driver=\"x\"", "W1 ~UPS [a] has no 'port'"]);
}

#[test]
fn duplicate_section_is_merged_like_upsd_2_8_0() {
    // upsd 2.8.0 showed one UPS [dup] with the second desc.
    check(
        "[dup]\ndriver=d\nport=p\ndesc=first\n[dup]\ndesc=second\n",
        &["[dup]@1 driver=\"d\" port=\"p\" desc=\"first\" desc=\"second\"", "W5 ~defined again (first at line 1)"],
    );
    let c = ups::parse(b"[dup]\ndriver=d\nport=p\ndesc=first\n[dup]\ndesc=second\n", p()).value;
    assert_eq!(c.sections.len(), 1);
    assert_eq!(c.sections[0].desc(), Some("second"));
}

#[test]
fn default_section_name_is_reserved() {
    check("[default]\ndriver=d\nport=p\n", &["[default]@1 driver=\"d\" port=\"p\"", "W1 ~reserved"]);
}

#[test]
fn bad_header_and_unknown_global() {
    check(
        "frobnicate = 1\n[my ups]\n",
        &["global frobnicate=\"1\"", "W1 ~unknown global setting 'frobnicate'", "W2 ~section header \"[my\" ignored"],
    );
}

#[test]
fn global_numbers_are_checked() {
    check("pollinterval = 0\nmaxretry = x\n", &["global pollinterval=\"0\"", "global maxretry=\"x\"", "W1 ~pollinterval", "W2 ~maxretry"]);
    let c = ups::parse(b"maxretry = x\n", p()).value;
    assert_eq!(c.globals.maxretry(), ups::DEFAULT_MAXRETRY);
    assert_eq!(c.globals.maxstartdelay(), 45);
}

#[test]
fn override_and_default_prefixes() {
    let c = ups::parse(
        b"[a]\ndriver=d\nport=p\noverride.battery.charge.low = 20\ndefault.input.voltage=230\noverride.battery.charge.low = 25\n",
        p(),
    )
    .value;
    let s = &c.sections[0];
    assert_eq!(s.settings.overrides(), vec![("battery.charge.low", "25")]);
    assert_eq!(s.settings.defaults(), vec![("input.voltage", "230")]);
}

#[test]
fn sdorder_defaults_to_zero() {
    let c = ups::parse(b"[a]\ndriver=d\nport=p\n[b]\ndriver=d\nport=p\nsdorder=-1\n[c]\nsdorder=x\n", p()).value;
    assert_eq!(c.sections[0].sdorder(), Some(0));
    assert_eq!(c.sections[1].sdorder(), Some(-1));
    assert_eq!(c.sections[2].sdorder(), None);
}

#[test]
fn lexer_error_line_is_dropped_with_warning() {
    // Like NUT, the lexer resumes right after the bad '#': the rest of the
    // line (`b"`) is read as a new line. upsd 2.8.0 logged
    // `invalid directive b" BAR` for `FOO "a#b" BAR`.
    check("[a]\ndriver=d\nport=p\ndesc=\"a#b\"\n", &["[a]@1 driver=\"d\" port=\"p\" b\"", "W4 ~line ignored"]);
}

#[test]
fn diagnostic_display_has_path_and_line() {
    let parsed = ups::parse(b"[a]\n", std::path::Path::new("/etc/nut/ups.conf"));
    assert_eq!(parsed.diagnostics[0].to_string(), "/etc/nut/ups.conf:1: UPS [a] has no 'driver' setting; it will be skipped");
}
