//! upsdrvctl: start, stop and shut down the drivers listed in ups.conf,
//! following NUT 2.8.0 (messages, order, exit status).
//!
//! Where drivers are found: `driverpath` from ups.conf when set; else the
//! directory this upsdrvctl binary lives in, when the driver program is
//! there (so our upsdrvctl runs our drivers when they are installed side
//! by side, and a build tree works without configuration); else
//! `/lib/nut`, NUT's Debian location.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

use nut_conf::ups::{UpsConf, UpsSection};
use nut_daemon::debugx;
use nut_daemon::log::LogOptions;

/// NUT's built-in driver directory on Debian.
pub const DEFAULT_DRIVERPATH: &str = "/lib/nut";
const BANNER: &str = "Network UPS Tools - UPS driver controller 2.8.0";

/// Parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cli {
    /// `-r <dir>`.
    pub chroot: Option<String>,
    /// `-t`.
    pub testing: bool,
    /// `-u <user>`.
    pub user: Option<String>,
    /// Number of `-D`.
    pub debug: u8,
    /// `-d`: pass the debug level on to drivers.
    pub pass_debug: bool,
    /// `-h`.
    pub help: bool,
    /// Words after the options.
    pub words: Vec<String>,
}

/// Why the command line was refused (getopt's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Unknown letter.
    Invalid(char),
    /// Missing argument.
    MissingArg(char),
}

/// Parse arguments after the program name (getopt rules, options first).
pub fn parse_cli<S: AsRef<str>>(args: &[S]) -> Result<Cli, CliError> {
    let mut cli = Cli::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        if arg == "--" {
            i += 1;
            break;
        }
        let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else { break };
        i += 1;
        for (pos, c) in letters.char_indices() {
            match c {
                't' => cli.testing = true,
                'D' => cli.debug = cli.debug.saturating_add(1),
                'd' => cli.pass_debug = true,
                'h' => cli.help = true,
                'V' => {}
                'r' | 'u' => {
                    let rest = &letters[pos + 1..];
                    let value = if !rest.is_empty() {
                        rest.to_string()
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].as_ref().to_string()
                    } else {
                        return Err(CliError::MissingArg(c));
                    };
                    if c == 'r' {
                        cli.chroot = Some(value);
                    } else {
                        cli.user = Some(value);
                    }
                    break;
                }
                other => return Err(CliError::Invalid(other)),
            }
        }
    }
    cli.words = args[i..].iter().map(|s| s.as_ref().to_string()).collect();
    Ok(cli)
}

/// The help text after the banner.
pub fn help_text(argv0: &str) -> String {
    // Column layout as NUT prints it (tabs included).
    let lines: &[(&str, &str, &str)] = &[
        ("-h", "\t\t\t", "display this help"),
        ("-r <path>", "\t\t", "drivers will chroot to <path>"),
        ("-t", "\t\t\t", "testing mode - prints actions without doing them"),
        ("-u <user>", "\t\t", "drivers started will switch from root to <user>"),
        ("-D", "            \t", "raise debugging level"),
        ("-d", "            \t", "pass debugging level from upsdrvctl to driver"),
        ("start", "\t\t\t", "start all UPS drivers in ups.conf"),
        ("start\t<ups>", "\t\t", "only start driver for UPS <ups>"),
        ("stop", "\t\t\t", "stop all UPS drivers in ups.conf"),
        ("stop <ups>", "\t\t", "only stop driver for UPS <ups>"),
        ("shutdown", "\t\t", "shutdown all UPS drivers in ups.conf"),
        ("shutdown <ups>", "\t", "only shutdown UPS <ups>"),
    ];
    let mut s = format!(
        "Starts and stops UPS drivers via ups.conf.\n\nusage: {argv0} [OPTIONS] (start | stop | shutdown) [<ups>]\n\n"
    );
    for (left, gap, text) in lines {
        s.push_str(&format!("  {left}{gap}{text}\n"));
    }
    s
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `start`.
    Start,
    /// `stop`.
    Stop,
    /// `shutdown`.
    Shutdown,
}

/// Where drivers live (see the crate docs).
pub fn driverpath(conf: &UpsConf, own_dir: Option<&Path>, driver: &str) -> PathBuf {
    if let Some(p) = conf.globals.driverpath() {
        return PathBuf::from(p);
    }
    if let Some(dir) = own_dir {
        if dir.join(driver).is_file() {
            return dir.to_path_buf();
        }
    }
    PathBuf::from(DEFAULT_DRIVERPATH)
}

/// The debug level in force: `-D` count, at least 2 in testing mode.
pub fn effective_debug(cli: &Cli) -> u8 {
    if cli.testing {
        cli.debug.max(2)
    } else {
        cli.debug
    }
}

/// The argument list for starting or shutting down one driver.
pub fn driver_args(cli: &Cli, section: &UpsSection, shutdown: bool) -> Vec<String> {
    let mut args = Vec::new();
    let debug = effective_debug(cli);
    if cli.pass_debug && debug > 0 {
        args.push(format!("-{}", "D".repeat(usize::from(debug))));
    }
    args.push("-a".to_string());
    args.push(section.name.clone());
    if let Some(r) = &cli.chroot {
        args.push("-r".to_string());
        args.push(r.clone());
    }
    if let Some(u) = &cli.user {
        args.push("-u".to_string());
        args.push(u.clone());
    }
    if shutdown {
        args.push("-k".to_string());
    }
    args
}

/// Sections a command applies to, in the order it visits them.
pub fn targets<'a>(conf: &'a UpsConf, action: Action, only: Option<&str>) -> Vec<&'a UpsSection> {
    let mut list: Vec<&UpsSection> = conf.sections.iter().filter(|s| only.map_or(true, |o| s.name == o)).collect();
    if action == Action::Shutdown {
        list.retain(|s| s.sdorder().unwrap_or(0) >= 0);
        // A stable sort keeps file order within one sdorder.
        list.sort_by_key(|s| s.sdorder().unwrap_or(0));
    }
    list
}

fn err(text: &str) {
    log::error!("{text}");
}

struct Ctl<'a> {
    cli: &'a Cli,
    conf: &'a UpsConf,
    own_dir: Option<PathBuf>,
    failures: u32,
}

enum Waited {
    Exited(ExitStatus),
    TimedOut,
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::io::Result<Waited> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Waited::Exited(status));
        }
        if start.elapsed() >= limit {
            return Ok(Waited::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Ctl<'_> {
    fn driver_path(&self, section: &UpsSection) -> Option<PathBuf> {
        let driver = section.driver()?;
        Some(driverpath(self.conf, self.own_dir.as_deref(), driver).join(driver))
    }

    fn show_exec(&self, path: &Path, args: &[String]) {
        debugx!(2, "exec:  {} {}", path.display(), args.join(" "));
    }

    /// Start one driver. Returns false on a fatal problem (missing binary).
    fn start(&mut self, section: &UpsSection) -> bool {
        debugx!(1, "Starting UPS: {}", section.name);
        let Some(path) = self.driver_path(section) else {
            err(&format!("Error: UPS [{}] has no driver", section.name));
            self.failures += 1;
            return true;
        };
        if let Err(e) = std::fs::metadata(&path) {
            err(&format!("Can't start {}: {}", path.display(), nut_client_like_strerror(&e)));
            return false;
        }
        let args = driver_args(self.cli, section, false);
        let g = &self.conf.globals;
        let maxstartdelay = section.maxstartdelay().unwrap_or_else(|| g.maxstartdelay());
        let mut attempts = g.maxretry().max(1);
        loop {
            debugx!(2, "{} remaining attempts", attempts);
            attempts -= 1;
            self.show_exec(&path, &args);
            if self.cli.testing {
                return true;
            }
            let ok = self.run_driver(&path, &args, Some(Duration::from_secs(u64::from(maxstartdelay))));
            if ok {
                return true;
            }
            if attempts == 0 {
                self.failures += 1;
                return true;
            }
            std::thread::sleep(Duration::from_secs(u64::from(g.retrydelay())));
        }
    }

    /// Run a driver and wait for its (foreground part's) exit. `limit` is
    /// the start-up timer; `nowait` skips waiting altogether.
    fn run_driver(&self, path: &Path, args: &[String], limit: Option<Duration>) -> bool {
        let mut child = match Command::new(path).args(args).spawn() {
            Ok(c) => c,
            Err(e) => {
                // NUT forks, fails to exec in the child and exits 1 there.
                // That child also flushes its copy of the buffered banner
                // when stdout is not a terminal; callers see it twice.
                if !std::io::stdout().is_terminal() {
                    println!("{BANNER}");
                }
                err(&format!("execv: {}", nut_client_like_strerror(&e)));
                err("Driver failed to start (exit status=1)");
                return false;
            }
        };
        if limit.is_some() && self.conf.globals.nowait() {
            debugx!(2, "not waiting for the driver (nowait)");
            return true;
        }
        let waited = match limit {
            Some(l) => wait_with_timeout(&mut child, l),
            None => child.wait().map(Waited::Exited),
        };
        match waited {
            Ok(Waited::Exited(status)) => {
                if let Some(code) = status.code() {
                    if code == 0 {
                        return true;
                    }
                    err(&format!("Driver failed to start (exit status={code})"));
                } else {
                    err("Driver exited abnormally");
                }
                false
            }
            Ok(Waited::TimedOut) => {
                err("Startup timer elapsed, continuing...");
                false
            }
            Err(e) => {
                err(&format!("waitpid: {e}"));
                false
            }
        }
    }

    fn stop(&mut self, section: &UpsSection) {
        debugx!(1, "Stopping UPS: {}", section.name);
        let driver = section.driver().unwrap_or("");
        let dir = nut_daemon::paths::altpidpath();
        let pidfn = dir.join(format!("{driver}-{}.pid", section.name));
        let pid = match nut_daemon::pidfile::read(&pidfn) {
            Ok(pid) => pid,
            Err(e) => {
                err(&format!("Can't open {}: {}", pidfn.display(), nut_client_like_strerror(&e)));
                let port = section.port().unwrap_or("");
                let base = Path::new(port).file_name().map(|b| b.to_string_lossy().into_owned()).unwrap_or_default();
                let alt = dir.join(format!("{driver}-{base}.pid"));
                match nut_daemon::pidfile::read(&alt) {
                    Ok(pid) => pid,
                    Err(e2) => {
                        err(&format!("Can't open {} either: {}", alt.display(), nut_client_like_strerror(&e2)));
                        self.failures += 1;
                        return;
                    }
                }
            }
        };
        debugx!(2, "Sending signal to {}: TERM (pid {pid})", pidfn.display());
        if self.cli.testing {
            return;
        }
        let target = nix::unistd::Pid::from_raw(pid);
        if let Err(e) = nix::sys::signal::kill(target, nix::sys::signal::Signal::SIGTERM) {
            err(&format!("kill pid {pid}: {}", e.desc()));
            self.failures += 1;
        }
    }

    fn shutdown(&mut self, section: &UpsSection) {
        debugx!(1, "Shutdown UPS: {}", section.name);
        let Some(path) = self.driver_path(section) else {
            self.failures += 1;
            return;
        };
        let args = driver_args(self.cli, section, true);
        self.show_exec(&path, &args);
        if self.cli.testing {
            return;
        }
        if !self.run_driver(&path, &args, None) {
            self.failures += 1;
        }
    }
}

/// `strerror`-style text of an I/O error (no "(os error N)" suffix).
fn nut_client_like_strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// The program.
pub fn run(args: Vec<String>) -> ExitCode {
    let argv0 = args.first().cloned().unwrap_or_else(|| "upsdrvctl".to_string());
    {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{BANNER}");
        let _ = o.flush();
    }
    let cli = match parse_cli(&args[1.min(args.len())..]) {
        Ok(c) => c,
        Err(e) => {
            let text = match e {
                CliError::Invalid(c) => format!("{argv0}: invalid option -- '{c}'"),
                CliError::MissingArg(c) => format!("{argv0}: option requires an argument -- '{c}'"),
            };
            eprintln!("{text}");
            // NUT shows the help and exits 0 here.
            print!("{}", help_text(&argv0));
            return ExitCode::SUCCESS;
        }
    };
    if cli.help || cli.words.is_empty() {
        print!("{}", help_text(&argv0));
        return ExitCode::SUCCESS;
    }
    let debug = effective_debug(&cli);
    nut_daemon::log::init("upsdrvctl", LogOptions { debug_flags: debug, foreground: true });
    if cli.testing {
        println!("*** Testing mode: not calling exec/kill");
    }
    let action = match cli.words[0].as_str() {
        "start" => Action::Start,
        "stop" => Action::Stop,
        "shutdown" => Action::Shutdown,
        other => {
            err(&format!("Error: unrecognized command [{other}]"));
            return ExitCode::from(1);
        }
    };
    debugx!(
        2,
        "\nupsdrvctl only starts and stops drivers; to debug a driver, run the 'exec:' line shown\n\
         below by hand with -D added, or give upsdrvctl -d to pass its debug level on.\n"
    );
    let path = nut_daemon::paths::conf_file("ups.conf");
    let conf = match std::fs::read(&path) {
        Ok(text) => nut_conf::ups::parse(&text, &path).value,
        Err(e) => {
            err(&format!("Fatal error: Can't open {}: {}", path.display(), nut_client_like_strerror(&e)));
            return ExitCode::from(1);
        }
    };
    if let Some(min) = conf.globals.debug_min() {
        nut_daemon::log::set_min_debug(min.min(255) as u8);
    }
    if conf.sections.is_empty() {
        err("Error: no UPS definitions found in ups.conf");
        return ExitCode::from(1);
    }
    let only = cli.words.get(1).map(String::as_str);
    let list = targets(&conf, action, only);
    if let Some(name) = only {
        if conf.section(name).is_none() {
            err(&format!("UPS {name} not found in ups.conf"));
            return ExitCode::from(1);
        }
    }
    let own_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    let mut ctl = Ctl { cli: &cli, conf: &conf, own_dir, failures: 0 };
    for section in list {
        match action {
            Action::Start => {
                if !ctl.start(section) {
                    return ExitCode::from(1);
                }
            }
            Action::Stop => ctl.stop(section),
            Action::Shutdown => ctl.shutdown(section),
        }
    }
    if ctl.failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> UpsConf {
        nut_conf::ups::parse(text.as_bytes(), Path::new("ups.conf")).value
    }

    #[test]
    fn help_is_nut_layout() {
        let h = help_text("/sbin/upsdrvctl");
        assert!(h.starts_with(
            "Starts and stops UPS drivers via ups.conf.\n\nusage: /sbin/upsdrvctl [OPTIONS] (start | stop | shutdown) [<ups>]\n\n"
        ));
        assert!(h.contains("  -h\t\t\tdisplay this help\n  -r <path>\t\tdrivers will chroot to <path>\n"));
        assert!(h.contains("  -D            \traise debugging level\n"));
        assert!(h.contains("  start\t<ups>\t\tonly start driver for UPS <ups>\n"));
        assert!(h.contains("  shutdown\t\tshutdown all UPS drivers in ups.conf\n  shutdown <ups>\tonly shutdown UPS <ups>\n"));
        assert!(h.contains("  stop <ups>\t\tonly stop driver for UPS <ups>\n"));
    }

    #[test]
    fn options_and_words() {
        let cli = parse_cli(&["-t", "-DD", "-d", "-u", "nut", "start", "ups"]).unwrap();
        assert!(cli.testing && cli.pass_debug);
        assert_eq!(cli.debug, 2);
        assert_eq!(cli.words, ["start", "ups"]);
        assert_eq!(parse_cli(&["-z"]), Err(CliError::Invalid('z')));
    }

    #[test]
    fn shutdown_order_and_exclusion() {
        let c = conf("[a]\ndriver=d\nport=p\n[b]\ndriver=d\nport=p\nsdorder=2\n[c]\ndriver=d\nport=p\n[x]\ndriver=d\nport=p\nsdorder=-1\n");
        let names: Vec<&str> = targets(&c, Action::Shutdown, None).iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "b"]);
        let names: Vec<&str> = targets(&c, Action::Start, None).iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "x"]);
    }

    #[test]
    fn driver_arguments() {
        let c = conf("[u]\ndriver=dummy-ups\nport=p\n");
        let cli = parse_cli(&["-DD", "-d", "-u", "nut", "-r", "/x", "start"]).unwrap();
        assert_eq!(driver_args(&cli, &c.sections[0], false), ["-DD", "-a", "u", "-r", "/x", "-u", "nut"]);
        assert_eq!(driver_args(&cli, &c.sections[0], true).last().map(String::as_str), Some("-k"));
        let cli = parse_cli(&["-t", "-d", "start"]).unwrap();
        assert_eq!(driver_args(&cli, &c.sections[0], false)[0], "-DD", "testing mode implies -DD");
    }

    #[test]
    fn driverpath_choice() {
        let c = conf("driverpath = /opt/drv\n[u]\ndriver=d\nport=p\n");
        assert_eq!(driverpath(&c, None, "d"), PathBuf::from("/opt/drv"));
        let c = conf("[u]\ndriver=d\nport=p\n");
        assert_eq!(driverpath(&c, Some(Path::new("/nonexistent")), "d"), PathBuf::from("/lib/nut"));
    }
}
