//! upsd's command line, getopt style as NUT 2.8.0 takes it:
//! `upsd [-c reload|stop] [-P pid] [-D...] [-F|-FF] [-B] [-h] [-r dir] [-q]
//! [-u user] [-V] [-4|-6]`. Flags may be grouped (`-DDF`), and an option's
//! value may follow it directly (`-cstop`) or as the next word.

use nut_daemon::control::{self, Command};
use std::path::PathBuf;

/// The options of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cli {
    pub control: Option<Command>,
    pub pid: Option<i32>,
    /// Number of `-D`.
    pub debug: u8,
    /// Number of `-F` (1: foreground without pid file, 2: with).
    pub foreground: u8,
    pub background: bool,
    pub chroot: Option<PathBuf>,
    pub quiet: u8,
    pub user: Option<String>,
    pub ipv4_only: bool,
    pub ipv6_only: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedArgs {
    Run(Cli),
    Help,
    Version,
    /// Print this on stderr and exit 1.
    Fatal(String),
}

/// The `-h` text (our own words; NUT's option letters).
pub fn usage() -> String {
    "Network server for UPS data (Network UPS Tools protocol).\n\
     \n\
     usage: upsd [OPTIONS]\n\
     \n\
     \x20 -c <command>\tsignal the running upsd:\n\
     \x20\t\t reload: read the configuration files again\n\
     \x20\t\t stop: make it exit\n\
     \x20 -P <pid>\tsignal this process instead of the one in the PID file\n\
     \x20 -D\t\tmore debug output (repeatable); stays in the foreground\n\
     \x20 -F\t\tstay in the foreground, without a PID file\n\
     \x20 -FF\t\tstay in the foreground and write the PID file\n\
     \x20 -B\t\tgo to the background even with -D\n\
     \x20 -h\t\tshow this help\n\
     \x20 -r <dir>\tchroot to <dir>\n\
     \x20 -q\t\tlog less (repeatable)\n\
     \x20 -u <user>\trun as <user> when started as root\n\
     \x20 -V\t\tshow the version and exit\n\
     \x20 -4\t\tIPv4 only\n\
     \x20 -6\t\tIPv6 only\n"
        .to_string()
}

/// Parse the arguments after the program name.
pub fn parse(args: &[String]) -> ParsedArgs {
    let mut cli = Cli::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            // NUT ignores non-option words.
            continue;
        };
        let chars: Vec<char> = flags.chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            j += 1;
            let takes_value = matches!(c, 'c' | 'P' | 'r' | 'u' | 'p' | 'i');
            let value = if takes_value {
                let rest: String = chars[j..].iter().collect();
                j = chars.len();
                if !rest.is_empty() {
                    Some(rest)
                } else if i < args.len() {
                    i += 1;
                    Some(args[i - 1].clone())
                } else {
                    return ParsedArgs::Help;
                }
            } else {
                None
            };
            match c {
                'c' => {
                    let word = value.unwrap_or_default();
                    match control::parse_command(&word, &[Command::Reload, Command::Stop]) {
                        Some(cmd) => cli.control = Some(cmd),
                        None => return ParsedArgs::Help,
                    }
                }
                'P' => match value.unwrap_or_default().trim().parse::<i32>() {
                    Ok(pid) if pid > 0 => cli.pid = Some(pid),
                    _ => return ParsedArgs::Fatal("Invalid PID number given".to_string()),
                },
                'D' => cli.debug = cli.debug.saturating_add(1),
                'F' => cli.foreground = (cli.foreground + 1).min(2),
                'B' => cli.background = true,
                'h' => return ParsedArgs::Help,
                'r' => cli.chroot = value.map(PathBuf::from),
                'q' => cli.quiet = cli.quiet.saturating_add(1),
                'u' => cli.user = value,
                'V' => return ParsedArgs::Version,
                '4' => cli.ipv4_only = true,
                '6' => cli.ipv6_only = true,
                'p' | 'i' => {
                    return ParsedArgs::Fatal(
                        "Specifying a listening addresses with '-i <address>' and '-p <port>'\n\
                         is deprecated. Use 'LISTEN <address> [<port>]' in 'upsd.conf' instead.\n\
                         See 'man 8 upsd.conf' for more information."
                            .to_string(),
                    )
                }
                _ => return ParsedArgs::Help,
            }
        }
    }
    if cli.ipv4_only && cli.ipv6_only {
        cli.ipv4_only = false;
        cli.ipv6_only = false;
    }
    ParsedArgs::Run(cli)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> ParsedArgs {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn flags_group_and_repeat() {
        let ParsedArgs::Run(cli) = p(&["-DDD", "-FF", "-u", "nut", "-4"]) else { panic!() };
        assert_eq!(cli.debug, 3);
        assert_eq!(cli.foreground, 2);
        assert_eq!(cli.user.as_deref(), Some("nut"));
        assert!(cli.ipv4_only);
    }

    #[test]
    fn control_words_are_prefixes() {
        let ParsedArgs::Run(cli) = p(&["-c", "rel", "-P", "42"]) else { panic!() };
        assert_eq!(cli.control, Some(Command::Reload));
        assert_eq!(cli.pid, Some(42));
        let ParsedArgs::Run(cli) = p(&["-cstop"]) else { panic!() };
        assert_eq!(cli.control, Some(Command::Stop));
        assert_eq!(p(&["-c", "fsd"]), ParsedArgs::Help);
    }

    #[test]
    fn help_version_and_bad_options() {
        assert_eq!(p(&["-h"]), ParsedArgs::Help);
        assert_eq!(p(&["-x"]), ParsedArgs::Help);
        assert_eq!(p(&["-V"]), ParsedArgs::Version);
        assert!(matches!(p(&["-p", "3493"]), ParsedArgs::Fatal(_)));
    }
}
