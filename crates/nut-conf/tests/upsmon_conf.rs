//! Data-driven tests of the upsmon.conf loader and the notify tables.
mod common;
use common::{assert_lines, p, render_diags};
use nut_conf::notify::{format_message, NotifyFlags, NotifyType};
use nut_conf::upsmon::{self, MonitorRole, UpsAddr};

/// Render MONITOR lines and diagnostics only.
fn check(input: &str, expected: &[&str]) {
    let parsed = upsmon::parse(input.as_bytes(), p());
    let mut got: Vec<String> = parsed
        .value
        .monitors
        .iter()
        .map(|m| {
            format!(
                "MON {} ups={} host={} port={} pv={} {}:{} {:?} @{}",
                m.system, m.addr.ups, m.addr.host, m.addr.port, m.power_value, m.user, m.password, m.role, m.line
            )
        })
        .collect();
    got.extend(render_diags(&parsed));
    assert_lines(input, &got, expected);
}

#[test]
fn monitor_forms() {
    check(
        "MONITOR ups@localhost 1 upsmon secret primary\nMONITOR b@10.0.0.2:3494 0 u p slave\nMONITOR c@[::1]:3493 2 u p secondary\nMONITOR d 1 u p master\nMONITOR e@[fe80::1] 1 u \"p w\" primary\n",
        &[
            "MON ups@localhost ups=ups host=localhost port=3493 pv=1 upsmon:secret Primary @1",
            "MON b@10.0.0.2:3494 ups=b host=10.0.0.2 port=3494 pv=0 u:p Secondary @2",
            "MON c@[::1]:3493 ups=c host=::1 port=3493 pv=2 u:p Secondary @3",
            "MON d ups=d host=localhost port=3493 pv=1 u:p Primary @4",
            "MON e@[fe80::1] ups=e host=fe80::1 port=3493 pv=1 u:p w Primary @5",
        ],
    );
}

#[test]
fn old_five_word_monitor_is_fatal_four_words_only_warn() {
    // upsmon 2.8.0 -K: 4 words -> "invalid directive"; 5 words ->
    // "Unable to use old-style MONITOR line without a username", exit.
    let parsed = upsmon::parse(b"MONITOR ups@localhost 1 user\nMONITOR ups@localhost 1 user pass\n", p());
    assert!(parsed.has_errors());
    check(
        "MONITOR ups@localhost 1 user\nMONITOR ups@localhost 1 user pass\n",
        &["W1 ~MONITOR ignored: expected", "E2 ~old form without a user name"],
    );
}

#[test]
fn monitor_values_as_upsmon_2_8_0_takes_them() {
    // Live 2.8.0: -1 "ignoring invalid power value"; "x" -> monitoring
    // only; role "boss" -> secondary; bad port -> unusable; duplicates
    // ignored; extra words ignored; lower-case keyword is unknown.
    check(
        "MONITOR a@localhost -1 u p primary\nMONITOR b@localhost x u p primary\nMONITOR c@h 1 u p boss\nMONITOR d@host:99999 1 u p slave\nMONITOR e 2 u p master extra\nMONITOR e 2 u p secondary\nmonitor f 1 u p primary\n",
        &[
            "MON b@localhost ups=b host=localhost port=3493 pv=0 u:p Primary @2",
            "MON c@h ups=c host=h port=3493 pv=1 u:p Secondary @3",
            "MON e ups=e host=localhost port=3493 pv=2 u:p Primary @5",
            "W1 ~power value -1",
            "W2 ~counts as 0",
            "W3 ~taken as secondary",
            "W4 ~port must be a number",
            "W5 ~words after the role",
            "W6 ~already monitored at line 5",
            "W7 ~unknown directive monitor",
        ],
    );
}

#[test]
fn ups_addr_errors() {
    assert!(UpsAddr::parse("@host").is_err());
    assert!(UpsAddr::parse("ups@").is_err());
    assert!(UpsAddr::parse("ups@::1").is_err());
    assert!(UpsAddr::parse("ups@[::1").is_err());
    assert!(UpsAddr::parse("ups@[::1]x").is_err());
    assert!(UpsAddr::parse("ups@h:0").is_err());
    assert_eq!(UpsAddr::parse("ups@h:1").unwrap().port, 1);
}

#[test]
fn scalars_and_defaults() {
    let c = upsmon::parse(b"", p()).value;
    assert_eq!((c.pollfreq, c.pollfreqalert, c.hostsync, c.deadtime, c.finaldelay), (5, 5, 15, 15, 5));
    assert_eq!((c.rbwarntime, c.nocommwarntime, c.minsupplies), (43200, 300, 1));
    let text = "MINSUPPLIES 2\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\nNOTIFYCMD /usr/sbin/upssched\nPOLLFREQ 10\nPOLLFREQALERT 2\nHOSTSYNC 20\nDEADTIME 25\nFINALDELAY 0\nPOWERDOWNFLAG /etc/killpower\nRBWARNTIME 100\nNOCOMMWARNTIME 60\nRUN_AS_USER nut\nCERTPATH /etc/nut/cert\nCERTIDENT name pw\nCERTHOST h c 1 0\nCERTVERIFY 1\nFORCESSL 1\ndebug_min 3\nOFFDURATION -1\nALARMCRITICAL no\n";
    let parsed = upsmon::parse(text.as_bytes(), p());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let c = parsed.value;
    assert_eq!(c.minsupplies, 2);
    assert_eq!(c.shutdowncmd.as_deref(), Some("/sbin/shutdown -h +0"));
    assert_eq!(c.notifycmd.as_deref(), Some("/usr/sbin/upssched"));
    assert_eq!((c.pollfreq, c.pollfreqalert, c.hostsync, c.deadtime, c.finaldelay), (10, 2, 20, 25, 0));
    assert_eq!(c.powerdownflag.as_deref(), Some("/etc/killpower"));
    assert_eq!((c.rbwarntime, c.nocommwarntime), (100, 60));
    assert_eq!(c.run_as_user.as_deref(), Some("nut"));
    assert_eq!(c.certident.as_ref().map(|i| i.name.as_str()), Some("name"));
    assert!(c.certhosts[0].verify && !c.certhosts[0].force_ssl);
    assert!(c.certverify && c.forcessl);
    assert_eq!(c.debug_min, Some(3));
    assert_eq!(c.offduration, -1);
    assert!(!c.alarmcritical);
}

#[test]
fn bad_numbers_and_short_lines_warn() {
    // 2.8.0 takes "POLLFREQ abc" as 0 silently; we keep the default and
    // say so. "DEADTIME" alone is an invalid directive in both.
    check("POLLFREQ abc\nDEADTIME\nUNKNOWN 1\n", &["W1 ~keeping 5", "W2 ~DEADTIME ignored: expected 'DEADTIME <number>'", "W3 ~unknown directive UNKNOWN"]);
}

#[test]
fn notify_settings() {
    let parsed = upsmon::parse(
        b"NOTIFYFLAG ONLINE SYSLOG+BOGUS\nNOTIFYFLAG onbatt SYSLOG+WALL+EXEC\nNOTIFYFLAG FOO SYSLOG\nNOTIFYMSG LOWBATT \"battery of %s low\"\nNOTIFYMSG NOTCAL \"cal done on %s\"\nNOTIFYFLAG CAL syslog\n",
        p(),
    );
    let got = render_diags(&parsed);
    assert_lines("notify", &got, &["W1 ~unknown flag \"BOGUS\"", "W3 ~\"FOO\" is not a notification type", "W6 ~unknown flag \"syslog\""]);
    let c = parsed.value;
    assert_eq!(c.flags(NotifyType::Online), NotifyFlags::SYSLOG);
    assert_eq!(c.flags(NotifyType::OnBatt).to_string(), "SYSLOG+WALL+EXEC");
    assert_eq!(c.flags(NotifyType::Cal), NotifyFlags::NONE);
    assert_eq!(c.flags(NotifyType::CommBad).to_string(), "SYSLOG+WALL");
    assert_eq!(c.message(NotifyType::LowBatt), "battery of %s low");
    assert_eq!(c.message(NotifyType::NotCal), "cal done on %s");
    assert_eq!(c.message(NotifyType::OnBatt), "UPS %s on battery");
}

#[test]
fn notify_table() {
    assert_eq!(NotifyType::all().count(), 32);
    for t in NotifyType::all() {
        assert_eq!(NotifyType::from_name(t.name()), Some(t));
        assert_eq!(NotifyType::from_name(&t.name().to_lowercase()), Some(t));
    }
    let classic: Vec<&str> = NotifyType::all().filter(|t| t.in_nut_2_8_0()).map(NotifyType::name).collect();
    assert_eq!(classic, ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM", "NOPARENT", "CAL"]);
    assert_eq!(NotifyType::Cal.default_flags(), NotifyFlags::SYSLOG);
    assert_eq!(NotifyType::Fsd.default_message(), "UPS %s: forced shutdown in progress");
    assert_eq!(NotifyType::NoParent.default_message(), "upsmon parent process died - shutdown impossible");
    let ig = NotifyFlags::SYSLOG.union(NotifyFlags::IGNORE);
    assert!(!ig.syslog() && !ig.wall() && !ig.exec());
}

#[test]
fn message_formatting() {
    assert_eq!(format_message("UPS %s on battery", "ups@localhost", ""), "UPS ups@localhost on battery");
    assert_eq!(format_message("UPS %s: alarms [%s]", "u", "Replace battery"), "UPS u: alarms [Replace battery]");
    assert_eq!(format_message("100%% %d %s %s %s", "a", "b"), "100% %d a b ");
}

#[test]
fn minsupplies_helper() {
    let c = upsmon::parse(b"MONITOR a 1 u p primary\nMINSUPPLIES 2\n", p()).value;
    let err = c.check_power().unwrap_err();
    assert_eq!((err.total, err.minsupplies), (1, 2));
    assert!(err.to_string().starts_with("Fatal error: insufficient power configured!"));
    assert!(err.to_string().contains("Sum of power values........: 1"));
    let ok = upsmon::parse(b"MINSUPPLIES 0\n", p()).value;
    assert!(ok.check_power().is_ok());
    assert!(upsmon::parse(b"", p()).value.check_power().is_err());
}

#[test]
fn policy_extensions() {
    let parsed = upsmon::parse(
        b"SHUTDOWNAFTER 300\nSHUTDOWNCHARGE 40%\nSHUTDOWNRUNTIME 180\nGLITCHDELAY 5\nLBREQUIRESOB no\nWEBHOOK http://example.invalid/hook\nNTFY http://ntfy.invalid/ups\nNTFY http://ntfy.invalid/other\n",
        p(),
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let pol = parsed.value.policy;
    assert_eq!(pol.shutdown_after, Some(300));
    assert_eq!(pol.shutdown_charge, Some(40));
    assert_eq!(pol.shutdown_runtime, Some(180));
    assert_eq!(pol.glitch_delay, Some(5));
    assert!(!pol.lb_requires_ob());
    assert_eq!(pol.webhooks, ["http://example.invalid/hook"]);
    assert_eq!(pol.ntfy.len(), 2);
    assert!(upsmon::parse(b"", p()).value.policy.is_empty());
    assert!(upsmon::parse(b"", p()).value.policy.lb_requires_ob());
}

#[test]
fn bad_policy_values_are_fatal() {
    check(
        "SHUTDOWNAFTER 5m\nSHUTDOWNCHARGE 140\nLBREQUIRESOB maybe\nWEBHOOK ftp://x\nNTFY\nNTFY https://\nNTFY HTTPS://ntfy.sh/nas\n",
        &[
            "E1 ~SHUTDOWNAFTER \"5m\": expected a number of seconds",
            "E2 ~0 to 100",
            "E3 ~expected yes or no",
            "E4 ~expected an http:// or https:// URL",
            "W5 ~NTFY ignored: expected 'NTFY <http(s) URL>'",
            "E6 ~expected an http:// or https:// URL",
        ],
    );
}

#[test]
fn nit_generated_upsmon_conf() {
    let parsed = upsmon::parse(
        b"MINSUPPLIES 0\nSHUTDOWNCMD \"echo 'TESTING_DUMMY_SHUTDOWN_NOW'\"\nMONITOR \"dummy@localhost:34931\" 0 \"dummy-admin\" \"P@ssW0rdAdm\" \"primary\"\n",
        p(),
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let m = &parsed.value.monitors[0];
    assert_eq!((m.addr.port, m.role, m.power_value), (34931, MonitorRole::Primary, 0));
}

#[test]
fn example_lines_from_debian_comments_load_cleanly() {
    // Lines as they appear, commented out, in Debian's upsmon.conf.
    let parsed = upsmon::parse(
        b"MONITOR myups@localhost 1 upsmon pass primary\t# (or secondary)\nNOTIFYMSG FSD\t\t\"UPS %s: forced shutdown in progress\"\nNOTIFYFLAG NOPARENT\tSYSLOG+WALL\nCERTIDENT \"my nut monitor\" \"MyPasSw0rD\"\nCERTHOST localhost \"My nut server\" 1 1\nRUN_AS_USER nut\n",
        p(),
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.value.certhosts[0].cert_name, "My nut server");
}

#[test]
fn unquoted_shutdowncmd_warns() {
    // 2.8.0 silently keeps only "/sbin/shutdown".
    check("SHUTDOWNCMD /sbin/shutdown -h +0\n", &["W1 ~put the whole command in double quotes"]);
    let c = upsmon::parse(b"SHUTDOWNCMD /sbin/shutdown -h +0\n", p()).value;
    assert_eq!(c.shutdowncmd.as_deref(), Some("/sbin/shutdown"));
}
