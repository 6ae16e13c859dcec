//! The command line every driver shares (NUT's `nutupsdrv` options), parsed
//! the way getopt does: clustered flags (`-DDD`), attached or separate
//! arguments (`-ai` / `-a i`), options in any order, `--` ends them.

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cli {
    /// `-a <id>`: use this ups.conf section.
    pub section: Option<String>,
    /// `-s <id>`: no ups.conf, configuration from `-x` only.
    pub standalone: Option<String>,
    /// `-x k=v` / `-x flag`, in order.
    pub extra: Vec<(String, Option<String>)>,
    /// Number of `-D`.
    pub debug: u8,
    /// `-d <n>`: dump after n update loops and exit.
    pub dump_count: Option<u32>,
    /// `-F`.
    pub foreground: bool,
    /// `-B`.
    pub background: bool,
    /// `-k`.
    pub kill_power: bool,
    /// `-i <n>` as written.
    pub interval: Option<String>,
    /// `-u <user>`.
    pub user: Option<String>,
    /// `-g <group>`.
    pub group: Option<String>,
    /// `-r <dir>`.
    pub chroot: Option<String>,
    /// Number of `-q`.
    pub quiet: u8,
    /// `-L`.
    pub list_vars: bool,
    /// `-V`.
    pub version: bool,
    /// `-h`.
    pub help: bool,
}

/// A getopt-style complaint; the caller prints it after the program name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// An option letter we do not know.
    Invalid(char),
    /// An option that needs an argument came last.
    MissingArg(char),
    /// `-d` or `-i` with something that is not a number.
    BadNumber(char, String),
}

impl CliError {
    /// The line getopt prints, after `<argv0>: `.
    pub fn getopt_text(&self) -> String {
        match self {
            CliError::Invalid(c) => format!("invalid option -- '{c}'"),
            CliError::MissingArg(c) => format!("option requires an argument -- '{c}'"),
            CliError::BadNumber(c, v) => format!("invalid number '{v}' for -{c}"),
        }
    }
}

const WITH_ARG: &[char] = &['a', 's', 'x', 'd', 'i', 'u', 'g', 'r'];
const NO_ARG: &[char] = &['D', 'F', 'B', 'k', 'q', 'L', 'V', 'h'];

/// Parse the arguments after the program name.
pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Cli, CliError> {
    let mut cli = Cli::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        i += 1;
        if arg == "--" {
            break;
        }
        let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
            // Stray words are ignored, as NUT's drivers do.
            continue;
        };
        for (pos, c) in letters.char_indices() {
            if NO_ARG.contains(&c) {
                apply_flag(&mut cli, c);
                continue;
            }
            if !WITH_ARG.contains(&c) {
                return Err(CliError::Invalid(c));
            }
            let rest = &letters[pos + c.len_utf8()..];
            let value = if !rest.is_empty() {
                rest.to_string()
            } else if i < args.len() {
                i += 1;
                args[i - 1].as_ref().to_string()
            } else {
                return Err(CliError::MissingArg(c));
            };
            apply_arg(&mut cli, c, value)?;
            break;
        }
    }
    Ok(cli)
}

fn apply_flag(cli: &mut Cli, c: char) {
    match c {
        'D' => cli.debug = cli.debug.saturating_add(1),
        'F' => cli.foreground = true,
        'B' => cli.background = true,
        'k' => cli.kill_power = true,
        'q' => cli.quiet = cli.quiet.saturating_add(1),
        'L' => cli.list_vars = true,
        'V' => cli.version = true,
        'h' => cli.help = true,
        _ => {}
    }
}

fn apply_arg(cli: &mut Cli, c: char, value: String) -> Result<(), CliError> {
    match c {
        'a' => cli.section = Some(value),
        's' => cli.standalone = Some(value),
        'x' => {
            let (k, v) = match value.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (value, None),
            };
            cli.extra.push((k, v));
        }
        'd' => {
            let n = value.trim().parse::<u32>().map_err(|_| CliError::BadNumber(c, value.clone()))?;
            cli.dump_count = Some(n);
        }
        'i' => cli.interval = Some(value),
        'u' => cli.user = Some(value),
        'g' => cli.group = Some(value),
        'r' => cli.chroot = Some(value),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getopt_shapes() {
        let cli = parse(&["-DDD", "-aups", "-x", "mode=dummy-once", "-xnolock", "-d", "2", "-F"]).unwrap();
        assert_eq!(cli.debug, 3);
        assert_eq!(cli.section.as_deref(), Some("ups"));
        assert_eq!(
            cli.extra,
            vec![("mode".to_string(), Some("dummy-once".to_string())), ("nolock".to_string(), None)]
        );
        assert_eq!(cli.dump_count, Some(2));
        assert!(cli.foreground);
    }

    #[test]
    fn getopt_errors() {
        assert_eq!(parse(&["-z"]), Err(CliError::Invalid('z')));
        assert_eq!(parse(&["-a"]), Err(CliError::MissingArg('a')));
        assert_eq!(parse(&["-kz"]), Err(CliError::Invalid('z')));
        assert_eq!(CliError::Invalid('z').getopt_text(), "invalid option -- 'z'");
    }

    #[test]
    fn value_with_equals_kept() {
        let cli = parse(&["-s", "x", "-x", "port=a=b"]).unwrap();
        assert_eq!(cli.extra[0].1.as_deref(), Some("a=b"));
    }
}
