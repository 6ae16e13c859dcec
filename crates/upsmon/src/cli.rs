//! upsmon's command line, parsed the getopt way (`-DD`, `-uuser`, `-u user`,
//! options end at the first non-option word).

use nut_daemon::control::{self, Command};

/// What the command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub debug: u8,
    /// `Some(true)` for -F, `Some(false)` for -B.
    pub foreground: Option<bool>,
    pub command: Option<Command>,
    pub pid: Option<i32>,
    pub config: Option<String>,
    pub single_process: bool,
    pub user: Option<String>,
    pub version_only: bool,
    pub check_flag: bool,
    /// `-t`: check the configuration, explain it, exit.
    pub test_config: bool,
    pub help: bool,
    pub inet: Option<u8>,
    /// `--rehearse[=<file.seq>]`: `Some(None)` for the built-in script.
    pub rehearse: Option<Option<String>>,
}

impl Options {
    /// `-D` implies the foreground unless `-B` was given.
    pub fn stays_in_foreground(&self) -> bool {
        self.foreground.unwrap_or(self.debug > 0)
    }
}

/// Parse `args` (without the program name). Anything wrong sets `help`,
/// as NUT prints the help for a bad option.
pub fn parse(args: &[String]) -> Options {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if let Some(rest) = arg.strip_prefix("--rehearse") {
            match rest.strip_prefix('=') {
                Some(file) if !file.is_empty() => o.rehearse = Some(Some(file.to_string())),
                _ if rest.is_empty() => o.rehearse = Some(None),
                _ => o.help = true,
            }
            continue;
        }
        if arg == "--help" {
            o.help = true;
            continue;
        }
        if arg == "--" {
            break;
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            break; // '+' in NUT's optstring: stop at the first non-option
        };
        let chars: Vec<char> = flags.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            let takes_arg = matches!(c, 'c' | 'P' | 'f' | 'u');
            let value = if takes_arg {
                let attached: String = chars[j..].iter().collect();
                j = chars.len();
                if !attached.is_empty() {
                    Some(attached)
                } else if i < args.len() {
                    i += 1;
                    Some(args[i - 1].clone())
                } else {
                    o.help = true;
                    None
                }
            } else {
                None
            };
            match (c, value) {
                ('D', _) => o.debug = o.debug.saturating_add(1),
                ('F', _) => o.foreground = Some(true),
                ('B', _) => o.foreground = Some(false),
                ('h', _) => o.help = true,
                ('c', Some(v)) => {
                    match control::parse_command(&v, &[Command::Fsd, Command::Stop, Command::Reload]) {
                        Some(cmd) => o.command = Some(cmd),
                        None => o.help = true,
                    }
                }
                ('P', Some(v)) => match v.parse::<i32>() {
                    Ok(p) if p > 0 => o.pid = Some(p),
                    _ => o.help = true,
                },
                ('f', Some(v)) => o.config = Some(v),
                ('p', _) => o.single_process = true,
                ('u', Some(v)) => o.user = Some(v),
                ('V', _) => o.version_only = true,
                ('K', _) => o.check_flag = true,
                ('t', _) => o.test_config = true,
                ('4', _) => o.inet = Some(4),
                ('6', _) => o.inet = Some(6),
                _ => o.help = true,
            }
            if o.version_only || o.help {
                return o;
            }
        }
    }
    o
}

/// The help text (ours; same options as NUT 2.8.0 plus `--rehearse`).
pub fn help_text(progname: &str) -> String {
    format!(
        "Watches UPSes through upsd and shuts this system down when their power runs out.\n\
\n\
usage: {progname} [OPTIONS]\n\
\n\
  -c <cmd>\tsignal the running upsmon:\n\
\t\t - fsd: force a shutdown now (sets FSD on every UPS this host is primary for)\n\
\t\t - reload: read upsmon.conf again\n\
\t\t - stop: log out and exit\n\
  -P <pid>\tsignal this process instead of the one in the pid file\n\
  -D\t\tmore debugging output (repeat for more); implies -F\n\
  -F\t\tstay in the foreground\n\
  -B\t\tgo to the background even with -D\n\
  -V\t\tshow the version and exit\n\
  -h\t\tshow this help\n\
  -K\t\texit 0 if POWERDOWNFLAG says the UPS must be powered off, else 1\n\
  -t\t\tcheck upsmon.conf and the other files beside it, explain the\n\
\t\tshutdown policy they set (as nut-check does) and exit\n\
  -p\t\tone privileged process (no unprivileged monitoring child)\n\
  -u <user>\tuser for the unprivileged child (not with -p)\n\
  -f <file>\tread this file instead of upsmon.conf\n\
  -4\t\tIPv4 only\n\
  -6\t\tIPv6 only\n\
  --rehearse[=<file.seq>]\n\
\t\tdry run: play a power cut (a dummy-ups .seq file, or a built-in\n\
\t\tOL -> OB -> OB LB script) through the real decisions and NOTIFYCMD,\n\
\t\tprint what this host would do and when, never run SHUTDOWNCMD\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Options {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn getopt_style() {
        let o = p(&["-DDp", "-uups", "-c", "re"]);
        assert_eq!(o.debug, 2);
        assert!(o.single_process);
        assert_eq!(o.user.as_deref(), Some("ups"));
        assert_eq!(o.command, Some(Command::Reload));
        assert!(o.stays_in_foreground());
        assert!(!p(&["-D", "-B"]).stays_in_foreground());
        assert!(p(&["-F"]).stays_in_foreground());
        assert!(!p(&[]).stays_in_foreground());
    }

    #[test]
    fn bad_input_means_help() {
        assert!(p(&["-c", "bogus"]).help);
        assert!(p(&["-x"]).help);
        assert!(p(&["-P", "abc"]).help);
        assert!(p(&["-u"]).help);
        assert_eq!(p(&["-c", "f", "-P", "42"]).pid, Some(42));
    }

    #[test]
    fn rehearse_flag() {
        assert_eq!(p(&["--rehearse"]).rehearse, Some(None));
        assert_eq!(p(&["--rehearse=cut.seq"]).rehearse, Some(Some("cut.seq".into())));
        assert!(p(&["--rehearsex"]).help);
    }
}
