//! nut-check as a program: the shipped setups check clean and are
//! explained; broken files are reported as file:line with exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(args: &[&str], confpath: Option<&Path>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nut-check"));
    c.args(args).env_remove("NUT_CONFPATH");
    if let Some(p) = confpath {
        c.env("NUT_CONFPATH", p);
    }
    let Output { status, stdout, stderr } = c.output().expect("run nut-check");
    (status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nut-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn shipped_examples_check_clean_and_are_explained() {
    let cases = [
        ("standalone-nas", "This host (primary of nas-ups@localhost) shuts down 5 minutes after"),
        ("nas-primary-with-secondaries", "waits up to HOSTSYNC 1 minute for the secondaries"),
        ("secondary-only", "This host (secondary of nas-ups@nas.example.lan) shuts down"),
    ];
    for (dir, want) in cases {
        let path = root().join("etc/examples").join(dir);
        let (code, out) = check(&[path.to_str().unwrap()], None);
        assert_eq!(code, 0, "{dir}:\n{out}");
        assert!(out.contains("0 error(s)"), "{dir}:\n{out}");
        // the explanation is wrapped; compare with the line breaks undone
        let flat = out.replace("\n  ", " ");
        assert!(flat.contains(want), "{dir}: want {want:?} in\n{out}");
    }
}

#[test]
fn etc_samples_from_nut_confpath() {
    let etc = root().join("etc");
    let (code, out) = check(&[], Some(&etc));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Checked nut.conf, ups.conf, upsd.conf, upsd.users, upsmon.conf, upssched.conf"), "{out}");
    // the sample passwords are flagged with file:line
    assert!(out.contains("upsd.users:14: warning: user 'upsmon' still has the sample files' password"), "{out}");
    let (code, out) = check(&["-q", etc.to_str().unwrap()], None);
    assert_eq!(code, 0);
    assert!(!out.contains("This host"), "-q prints problems only:\n{out}");
}

#[test]
fn broken_files_give_file_line_and_exit_1() {
    let d = tempdir("broken");
    std::fs::write(
        d.join("upsmon.conf"),
        "# old style\nSHUTDOWNCMD \"/sbin/shutdown -h now\"\nMONITOR ups@localhost 1 pass primary\nPOLLFREQ often\n",
    )
    .unwrap();
    std::fs::write(d.join("upsd.conf"), "MAXAGE 15\nLISTEN 127.0.0.1 99999\n").unwrap();
    std::fs::write(d.join("upsd.users"), "[mon]\n\tpassword = secret\n\tupsmon primary\n").unwrap();
    let (code, out) = check(&[d.to_str().unwrap()], None);
    assert_eq!(code, 1, "{out}");
    let f = |name: &str| d.join(name).display().to_string();
    assert!(out.contains(&format!("{}:2: error:", f("upsd.conf"))), "{out}");
    assert!(out.contains(&format!("{}:3: error: MONITOR line in the old form", f("upsmon.conf"))), "{out}");
    assert!(out.contains(&format!("{}:4: warning:", f("upsmon.conf"))), "{out}");
    assert!(out.contains("error(s)"), "{out}");
    // a guessable password is reported once, on its line
    assert_eq!(out.matches("upsd.users:2: warning:").count(), 1, "{out}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn nothing_to_check_is_an_error() {
    let d = tempdir("empty");
    let (code, out) = check(&[d.to_str().unwrap()], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("none of nut.conf, ups.conf"), "{out}");
    let (code, out) = check(&["-x"], None);
    assert_eq!(code, 1);
    assert!(out.contains("unknown option -x"), "{out}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn nss_tls_settings_in_upsmon_conf_are_warnings_with_the_export_command() {
    let d = tempdir("nss-upsmon");
    let db = d.join("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("cert9.db"), b"").unwrap();
    std::fs::write(
        d.join("upsmon.conf"),
        format!(
            "MONITOR ups@nas 1 mon pass secondary\nSHUTDOWNCMD \"/sbin/shutdown -h +0\"\nCERTPATH {}\nCERTIDENT \"my host\" dbpass\n",
            db.display()
        ),
    )
    .unwrap();
    let (code, out) = check(&[d.to_str().unwrap()], None);
    assert_eq!(code, 0, "warnings only:\n{out}");
    let flat = out.replace("\n  ", " ");
    assert!(flat.contains("upsmon.conf: warning: CERTIDENT is ignored"), "{out}");
    assert!(flat.contains("is an NSS certificate database") && flat.contains("certutil -L -d sql:"), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}
