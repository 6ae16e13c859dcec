//! Shipped examples (`etc/`) load with no diagnostic at all, and Debian's
//! packaged configuration files load with no error.
mod common;
use nut_conf::{cmdvartab, devfile, nutconf, ups, upsd, upsmon, upssched, users, Diagnostic};
use std::path::{Path, PathBuf};

/// Parse `path` with the loader its file name calls for.
fn load(path: &Path) -> Option<Vec<Diagnostic>> {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path.file_name()?.to_str()?;
    let diags = match name {
        "ups.conf" => ups::parse(&text, path).diagnostics,
        "upsd.conf" => upsd::parse(&text, path).diagnostics,
        "upsd.users" => users::parse(&text, path).diagnostics,
        "upsmon.conf" => upsmon::parse(&text, path).diagnostics,
        "upssched.conf" => upssched::parse(&text, path).diagnostics,
        "nut.conf" => nutconf::parse(&text, path).diagnostics,
        "cmdvartab" => cmdvartab::parse(&text, path).diagnostics,
        _ if name.ends_with(".dev") || name.ends_with(".seq") => devfile::parse(&text, path).diagnostics,
        _ => return None,
    };
    Some(diags)
}

#[test]
fn every_shipped_example_loads_cleanly() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../etc"));
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    for required in ["ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf", "nut.conf"] {
        assert!(dir.join(required).is_file(), "etc/{required} is missing");
    }
    for path in &names {
        let diags = load(path).unwrap_or_else(|| panic!("{}: no loader knows this file; add one or move it", path.display()));
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{}", shown.join("\n"));
    }
}

#[test]
fn shipped_examples_fit_together() {
    let etc = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../etc"));
    let read = |n: &str| std::fs::read(etc.join(n)).expect("example file");
    let upsconf = ups::parse(&read("ups.conf"), Path::new("ups.conf")).value;
    let usersconf = users::parse(&read("upsd.users"), Path::new("upsd.users")).value;
    let mon = upsmon::parse(&read("upsmon.conf"), Path::new("upsmon.conf")).value;
    let nut = nutconf::parse(&read("nut.conf"), Path::new("nut.conf")).value;
    assert_eq!(nut.mode, nutconf::Mode::Standalone);
    assert!(mon.check_power().is_ok());
    for m in &mon.monitors {
        let section = upsconf.section(&m.addr.ups).expect("MONITOR names a UPS of ups.conf");
        assert!(section.is_complete());
        if let Some(port) = section.port() {
            assert!(etc.join(port).is_file(), "dummy-ups data file {port} is shipped");
        }
        let user = usersconf.authenticate(&m.user, &m.password).expect("MONITOR credentials are in upsd.users");
        assert!(user.can_login());
        if m.role == upsmon::MonitorRole::Primary {
            assert!(user.can_primary() && user.can_fsd());
        }
    }
}

/// Debian's files: /etc/nut as installed, plus the directory named by
/// NUT_CONF_DEBIAN_SAMPLES (e.g. the etc/nut of the unpacked nut-server and
/// nut-client packages). Commented samples must give no error.
#[test]
fn debian_packaged_files_have_no_errors() {
    let mut dirs = vec![PathBuf::from("/etc/nut")];
    if let Some(extra) = std::env::var_os("NUT_CONF_DEBIAN_SAMPLES") {
        dirs.push(PathBuf::from(extra));
    }
    let mut checked = 0;
    for dir in dirs {
        for name in ["ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf", "nut.conf"] {
            let path = dir.join(name);
            // Unreadable (upsd.users is root-only) or absent: nothing to check.
            if std::fs::File::open(&path).is_err() {
                continue;
            }
            let diags = load(&path).expect("known file");
            for d in &diags {
                eprintln!("{d}");
            }
            let errors: Vec<String> = diags.iter().filter(|d| d.severity == nut_conf::Severity::Error).map(ToString::to_string).collect();
            assert!(errors.is_empty(), "{}", errors.join("\n"));
            checked += 1;
        }
    }
    eprintln!("checked {checked} packaged files");
}
