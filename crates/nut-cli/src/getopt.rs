//! POSIX `getopt` with a leading `+`: options stop at the first operand
//! (NUT's three clients all parse this way), `--` ends options, flags can
//! be grouped (`-wl`) and an option's argument can be attached (`-uadmin`).

/// One step of option parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A flag or an option with its argument.
    Found(char, Option<String>),
    /// An unknown option or a missing argument; the text is the message
    /// glibc's getopt prints on stderr.
    Bad(String),
}

/// Iterates over the options of `args` (which include the program name).
pub struct Getopt<'a> {
    args: &'a [String],
    spec: &'static str,
    prog: String,
    index: usize,
    within: usize,
    done: bool,
}

impl<'a> Getopt<'a> {
    /// `spec` lists option letters; a letter followed by `:` takes an argument.
    pub fn new(args: &'a [String], spec: &'static str) -> Getopt<'a> {
        let prog = args.first().cloned().unwrap_or_default();
        Getopt { args, spec, prog, index: 1, within: 0, done: false }
    }

    /// The operands left after the options (valid once iteration ended).
    pub fn operands(&self) -> &'a [String] {
        &self.args[self.index.min(self.args.len())..]
    }

    fn takes_arg(&self, c: char) -> Option<bool> {
        let mut chars = self.spec.chars().peekable();
        while let Some(s) = chars.next() {
            let arg = chars.peek() == Some(&':');
            if arg {
                chars.next();
            }
            if s == c && s != ':' {
                return Some(arg);
            }
        }
        None
    }
}

impl Iterator for Getopt<'_> {
    type Item = Opt;

    fn next(&mut self) -> Option<Opt> {
        if self.done {
            return None;
        }
        if self.within == 0 {
            let arg = match self.args.get(self.index) {
                Some(a) => a,
                None => {
                    self.done = true;
                    return None;
                }
            };
            if arg == "--" {
                self.index += 1;
                self.done = true;
                return None;
            }
            if !arg.starts_with('-') || arg == "-" {
                self.done = true;
                return None;
            }
            self.within = 1;
        }
        let arg = &self.args[self.index];
        let rest = &arg[self.within..];
        let c = rest.chars().next().unwrap_or('?');
        self.within += c.len_utf8();
        let at_end = self.within >= arg.len();
        let result = match self.takes_arg(c) {
            None => Opt::Bad(format!("{}: invalid option -- '{}'", self.prog, c)),
            Some(false) => Opt::Found(c, None),
            Some(true) => {
                if !at_end {
                    let value = arg[self.within..].to_string();
                    self.within = arg.len();
                    Opt::Found(c, Some(value))
                } else if let Some(value) = self.args.get(self.index + 1) {
                    self.index += 2;
                    self.within = 0;
                    return Some(Opt::Found(c, Some(value.clone())));
                } else {
                    self.index += 1;
                    self.within = 0;
                    self.done = true;
                    return Some(Opt::Bad(format!(
                        "{}: option requires an argument -- '{}'",
                        self.prog, c
                    )));
                }
            }
        };
        if self.within >= self.args[self.index].len() {
            self.index += 1;
            self.within = 0;
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stops_at_first_operand() {
        let a = args(&["upscmd", "-u", "admin", "-ppw", "-wl", "ups", "-w", "x"]);
        let mut g = Getopt::new(&a, "lhu:p:t:wV");
        let got: Vec<Opt> = g.by_ref().collect();
        assert_eq!(
            got,
            vec![
                Opt::Found('u', Some("admin".into())),
                Opt::Found('p', Some("pw".into())),
                Opt::Found('w', None),
                Opt::Found('l', None),
            ]
        );
        assert_eq!(g.operands(), &args(&["ups", "-w", "x"])[..]);
    }

    #[test]
    fn errors_read_like_glibc() {
        let a = args(&["upsc", "-x"]);
        let got: Vec<Opt> = Getopt::new(&a, "hlLcV").collect();
        assert_eq!(got, vec![Opt::Bad("upsc: invalid option -- 'x'".into())]);
        let a = args(&["upscmd", "-u"]);
        let got: Vec<Opt> = Getopt::new(&a, "u:").collect();
        assert_eq!(got, vec![Opt::Bad("upscmd: option requires an argument -- 'u'".into())]);
    }

    #[test]
    fn double_dash_and_lone_dash() {
        let a = args(&["upsc", "--", "-l"]);
        let mut g = Getopt::new(&a, "l");
        assert_eq!(g.next(), None);
        assert_eq!(g.operands(), &args(&["-l"])[..]);
        let a = args(&["upsc", "-", "x"]);
        let mut g = Getopt::new(&a, "l");
        assert_eq!(g.next(), None);
        assert_eq!(g.operands().len(), 2);
    }
}
