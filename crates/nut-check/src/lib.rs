//! nut-check: reads every NUT configuration file in a directory with the
//! same loaders the daemons use, prints each problem as
//! `file:line: severity: message`, and explains the effective policy in
//! plain words.
//!
//! * [`explain`]: the wording and the cross-file checks (pure);
//! * [`run`]: the program (reads the files, prints, exit code).
#![forbid(unsafe_code)]

pub mod explain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use explain::{File, Setup};
use nut_conf::{Diagnostic, Parsed, Severity};

/// The files looked for, in the order they are checked.
pub const FILES: &[&str] = &["nut.conf", "ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf"];

/// Everything read from one directory.
#[derive(Debug, Default)]
pub struct Checked {
    pub setup: Setup,
    /// Loader diagnostics, file by file.
    pub diagnostics: Vec<Diagnostic>,
    /// The files found.
    pub found: Vec<PathBuf>,
}

fn keep<T>(parsed: Parsed<T>, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<File<T>> {
    diags.extend(parsed.diagnostics);
    Some(File { path: path.to_path_buf(), value: parsed.value })
}

/// Read and parse the files of `dir` that exist.
pub fn load_dir(dir: &Path) -> Checked {
    load(dir, None)
}

/// Like [`load_dir`], with upsmon.conf read from `upsmon_conf` (which must
/// exist) when given.
pub fn load(dir: &Path, upsmon_conf: Option<&Path>) -> Checked {
    let mut c = Checked::default();
    for name in FILES {
        let explicit = upsmon_conf.filter(|_| *name == "upsmon.conf");
        let path = explicit.map(Path::to_path_buf).unwrap_or_else(|| dir.join(name));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => continue,
            Err(e) => {
                c.diagnostics.push(Diagnostic {
                    path: path.clone(),
                    line: 0,
                    severity: Severity::Error,
                    message: format!("can't read: {e}"),
                });
                continue;
            }
        };
        c.found.push(path.clone());
        let d = &mut c.diagnostics;
        match *name {
            "nut.conf" => c.setup.nut = keep(nut_conf::nutconf::parse(&bytes, &path), &path, d),
            "ups.conf" => c.setup.ups = keep(nut_conf::ups::parse(&bytes, &path), &path, d),
            "upsd.conf" => c.setup.upsd = keep(nut_conf::upsd::parse(&bytes, &path), &path, d),
            "upsd.users" => {
                use std::os::unix::fs::PermissionsExt;
                c.setup.users_mode = std::fs::metadata(&path).ok().map(|m| m.permissions().mode());
                c.setup.users = keep(nut_conf::users::parse(&bytes, &path), &path, d);
            }
            "upsmon.conf" => {
                let parsed = nut_conf::upsmon::parse(&bytes, &path);
                if let Err(e) = parsed.value.check_power() {
                    d.push(Diagnostic {
                        path: path.clone(),
                        line: 0,
                        severity: Severity::Error,
                        message: format!(
                            "MINSUPPLIES {} but the MONITOR lines add up to power value {}: upsmon refuses to start",
                            e.minsupplies, e.total
                        ),
                    });
                }
                let conf = &parsed.value;
                let certpath = conf.certpath.as_deref().map(Path::new);
                for warning in nut_client::tls::client_settings_warnings(conf.certident.is_some(), certpath) {
                    d.push(Diagnostic { path: path.clone(), line: 0, severity: Severity::Warning, message: warning });
                }
                c.setup.upsmon = keep(parsed, &path, d);
            }
            "upssched.conf" => c.setup.upssched = keep(nut_conf::upssched::parse(&bytes, &path), &path, d),
            _ => {}
        }
    }
    c
}

/// Wrap `text` at `width` columns, continuation lines indented by `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if col > 0 && col + 1 + word.len() > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.len();
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += word.len();
    }
    out
}

/// One diagnostic as printed: `file:line: severity: message`.
pub fn render(d: &Diagnostic) -> String {
    let at = if d.line == 0 { format!("{}", d.path.display()) } else { format!("{}:{}", d.path.display(), d.line) };
    format!("{at}: {}: {}", d.severity, d.message)
}

fn help(progname: &str) -> String {
    format!(
        "Checks the NUT configuration files and explains what they make this host do.\n\
\n\
usage: {progname} [OPTIONS] [<directory>]\n\
\n\
  <directory>\tthe files to check (default: $NUT_CONFPATH, else /etc/nut)\n\
  -q\t\tonly the problems, no explanation\n\
  -V\t\tshow the version and exit\n\
  -h\t\tshow this help\n"
    )
}

/// `nut-check [-q] [-V] [-h] [dir]`: exit 0 when no file has an error.
pub fn run(args: Vec<String>) -> ExitCode {
    let progname = args.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_else(|| "nut-check".into());
    let mut quiet = false;
    let mut dir: Option<PathBuf> = None;
    for a in args.iter().skip(1) {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{}", help(&progname));
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("Network UPS Tools {progname} {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "-q" => quiet = true,
            s if s.starts_with('-') => {
                eprintln!("{progname}: unknown option {s}\n\n{}", help(&progname));
                return ExitCode::FAILURE;
            }
            s if dir.is_none() => dir = Some(PathBuf::from(s)),
            s => {
                eprintln!("{progname}: only one directory, please (got {s} too)");
                return ExitCode::FAILURE;
            }
        }
    }
    let dir = dir.unwrap_or_else(nut_daemon::paths::confpath);
    print_report(&load_dir(&dir), &dir, quiet)
}

/// `upsmon -t`: check `upsmon_conf` together with the other files of its
/// directory, print the report, exit 1 on errors.
pub fn check_upsmon(upsmon_conf: &Path) -> ExitCode {
    let dir = match upsmon_conf.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    print_report(&load(&dir, Some(upsmon_conf)), &dir, false)
}

/// Print the diagnostics and (unless `quiet`) the explanation.
pub fn print_report(checked: &Checked, dir: &Path, quiet: bool) -> ExitCode {
    if checked.found.is_empty() && checked.diagnostics.is_empty() {
        println!("{}: none of {} found", dir.display(), FILES.join(", "));
        return ExitCode::FAILURE;
    }
    let report = explain::explain(&checked.setup);
    let all: Vec<&Diagnostic> = checked.diagnostics.iter().chain(report.findings.iter()).collect();
    for d in &all {
        println!("{}", render(d));
    }
    let errors = all.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = all.len() - errors;
    if !quiet {
        if !all.is_empty() {
            println!();
        }
        let names: Vec<String> =
            checked.found.iter().map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
        let names = if names.is_empty() { "nothing".to_string() } else { names.join(", ") };
        println!("Checked {names} in {}: {errors} error(s), {warnings} warning(s).", dir.display());
        for p in &report.paragraphs {
            println!();
            println!("{}", wrap(p, 78, "  "));
        }
    }
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
