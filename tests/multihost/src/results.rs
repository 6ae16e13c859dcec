//! What the hosts recorded (through `mh-stamp`) and how runs are compared.

use std::fmt::Write as _;
use std::path::Path;

use nut_testkit::Impl;

/// A host's upsmon role for the UPS(es) it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

/// One NOTIFYCMD run: `<host> <ns> <TYPE> <UPSNAME|-> <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub host: String,
    pub at: u64,
    pub kind: String,
    pub ups: String,
    pub msg: String,
}

/// Something the test did to the world, with the time it did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub label: String,
    pub at: u64,
}

pub fn read_notes(path: &Path) -> Vec<Note> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut notes: Vec<Note> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.splitn(5, ' ');
            Some(Note {
                host: w.next()?.to_string(),
                at: w.next()?.parse().ok()?,
                kind: w.next()?.to_string(),
                ups: w.next()?.to_string(),
                msg: w.next().unwrap_or("").to_string(),
            })
        })
        .collect();
    notes.sort_by_key(|n| n.at);
    notes
}

/// `(host, ns)` for each SHUTDOWNCMD run.
pub fn read_shutdowns(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut w = l.split(' ');
            Some((w.next()?.to_string(), w.next()?.parse().ok()?))
        })
        .collect()
}

/// The natural order of notification types, used to list the notes of one
/// phase: NUT 2.8.0 forks one notifier per event, so two events of the same
/// poll may reach the file in either order.
const TYPE_ORDER: &[&str] =
    &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "NOCOMM", "REPLBATT", "CAL", "NOPARENT", "SHUTDOWN"];

fn type_rank(kind: &str) -> usize {
    TYPE_ORDER.iter().position(|t| *t == kind).unwrap_or(TYPE_ORDER.len())
}

/// Notes whose detail is a race between hosts, folded before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Compare every note as it is.
    None,
    /// All FSD notes of a phase count as one, whatever their UPS: with two
    /// UPSes the primary sets FSD on one, then the other, while a secondary
    /// polls one, then the other, so a secondary may see FSD on the first,
    /// the second or both before it decides (and it shuts down in each case).
    FsdUps,
}

/// What one host did in one run.
#[derive(Debug, Clone)]
pub struct HostOutcome {
    pub name: String,
    pub role: Role,
    pub upsmon: Impl,
    pub notes: Vec<Note>,
    /// Every SHUTDOWNCMD run (one expected at most).
    pub shutdowns: Vec<u64>,
    /// Content of the POWERDOWNFLAG file, if upsmon wrote it.
    pub flag: Option<String>,
    /// Lines upsmon sent to `wall`.
    pub walls: Vec<String>,
    /// Tail of the upsmon's stdout/stderr, for failure messages.
    pub log: String,
}

impl HostOutcome {
    pub fn shut_down(&self) -> bool {
        !self.shutdowns.is_empty()
    }

    pub fn shutdown_at(&self) -> Option<u64> {
        self.shutdowns.first().copied()
    }

    /// Time of the first note of `kind`.
    pub fn first(&self, kind: &str) -> Option<u64> {
        self.notes.iter().find(|n| n.kind == kind).map(|n| n.at)
    }

    pub fn count(&self, kind: &str) -> usize {
        self.notes.iter().filter(|n| n.kind == kind).count()
    }

    pub fn kinds(&self) -> Vec<&str> {
        self.notes.iter().map(|n| n.kind.as_str()).collect()
    }
}

/// One topology's run of one scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// e.g. `A (ours: dummy-ups+upsd+upsmon primary; secondaries ours, nut)`.
    pub label: String,
    /// The primary's address as it appears in UPS names (`ups@<addr>`).
    pub primary_addr: String,
    pub start: u64,
    pub marks: Vec<Mark>,
    pub hosts: Vec<HostOutcome>,
}

impl Outcome {
    pub fn host(&self, name: &str) -> &HostOutcome {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no host {name} in {}", self.label))
    }

    pub fn primary(&self) -> &HostOutcome {
        self.hosts.iter().find(|h| h.role == Role::Primary).expect("a primary")
    }

    pub fn secondaries(&self) -> impl Iterator<Item = &HostOutcome> {
        self.hosts.iter().filter(|h| h.role == Role::Secondary)
    }

    fn ms(&self, at: u64) -> String {
        let d = at as i128 - self.start as i128;
        format!("{:+8.3}s", d as f64 / 1e9)
    }

    /// Index of the phase `at` falls in: the number of marks at or before it.
    fn phase_of(&self, at: u64) -> usize {
        self.marks.iter().take_while(|m| m.at <= at).count()
    }

    fn phase_label(&self, phase: usize) -> &str {
        if phase == 0 {
            "start"
        } else {
            &self.marks[phase - 1].label
        }
    }

    /// Replace this run's primary address, so runs on different subnets compare.
    pub fn normalize(&self, s: &str) -> String {
        s.replace(&self.primary_addr, "HOST")
    }

    /// The notes of `host` per phase (a phase starts at each mark), each
    /// phase listed in the natural type order, addresses normalised; the
    /// wall lines, the POWERDOWNFLAG and how often SHUTDOWNCMD ran. This is
    /// what "the same notifications and the same decision" is checked on.
    pub fn behaviour(&self, host: &str) -> String {
        self.behaviour_with(host, Fold::None)
    }

    /// [`Outcome::behaviour`] with some notes folded (see [`Fold`]).
    pub fn behaviour_with(&self, host: &str, fold: Fold) -> String {
        let h = self.host(host);
        let mut out = String::new();
        let mut phases: Vec<Vec<(String, String, String)>> = vec![Vec::new(); self.marks.len() + 1];
        for n in &h.notes {
            let mut entry = (n.kind.clone(), self.normalize(&n.ups), self.normalize(&n.msg));
            if fold == Fold::FsdUps && n.kind == "FSD" {
                entry = ("FSD".into(), "(one or more UPSes)".into(), String::new());
            }
            let phase = &mut phases[self.phase_of(n.at)];
            if !phase.contains(&entry) || fold == Fold::None {
                phase.push(entry);
            }
        }
        for (i, mut notes) in phases.into_iter().enumerate() {
            notes.sort_by(|a, b| (type_rank(&a.0), &a.1, &a.2).cmp(&(type_rank(&b.0), &b.1, &b.2)));
            let _ = write!(out, "[{}]", self.phase_label(i));
            for (kind, ups, msg) in notes {
                let _ = write!(out, " {kind} {ups} \"{msg}\";");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "wall: {:?}", h.walls);
        let _ = writeln!(out, "POWERDOWNFLAG: {:?}", h.flag);
        let _ = writeln!(out, "SHUTDOWNCMD runs: {}", h.shutdowns.len());
        out
    }

    /// When `host` did each thing, relative to the start of the phase it
    /// happened in: the first note of each type in each phase, and the
    /// SHUTDOWNCMD run. Keys are `[phase] TYPE` and `[phase] SHUTDOWNCMD`.
    pub fn delays(&self, host: &str) -> Vec<(String, i64)> {
        let h = self.host(host);
        let phase_start = |p: usize| if p == 0 { self.start } else { self.marks[p - 1].at };
        let mut out: Vec<(String, i64)> = Vec::new();
        let mut add = |at: u64, what: &str| {
            let p = self.phase_of(at);
            let key = format!("[{}] {what}", self.phase_label(p));
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, at as i64 - phase_start(p) as i64));
            }
        };
        for n in &h.notes {
            add(n.at, &n.kind);
        }
        if let Some(at) = h.shutdown_at() {
            add(at, "SHUTDOWNCMD");
        }
        out
    }

    /// Everything that happened, in time order, for failure messages.
    pub fn timeline(&self) -> String {
        let mut events: Vec<(u64, String)> = Vec::new();
        for m in &self.marks {
            events.push((m.at, format!("== test: {}", m.label)));
        }
        for h in &self.hosts {
            for n in &h.notes {
                events.push((n.at, format!("{:<8} {:<8} {} {}", h.name, n.kind, n.ups, n.msg)));
            }
            for s in &h.shutdowns {
                events.push((*s, format!("{:<8} ** SHUTDOWNCMD **", h.name)));
            }
        }
        events.sort_by_key(|e| e.0);
        let mut out = format!("--- {}\n", self.label);
        for (at, e) in events {
            let _ = writeln!(out, "{} {e}", self.ms(at));
        }
        out
    }

    /// The timeline and every upsmon's log.
    pub fn report(&self) -> String {
        let mut out = self.timeline();
        for h in &self.hosts {
            let _ = write!(out, "--- {} ({} upsmon, {:?}) per phase:\n{}", h.name, h.upsmon, h.role, self.behaviour(&h.name));
        }
        for h in &self.hosts {
            let _ = writeln!(out, "--- {} upsmon ({}, {:?}) log:\n{}", h.name, h.upsmon, h.role, h.log);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(at: u64, kind: &str) -> Note {
        Note { host: "h".into(), at, kind: kind.into(), ups: "ups@10.200.7.1".into(), msg: "m 10.200.7.1".into() }
    }

    #[test]
    fn behaviour_groups_by_phase_and_orders_within() {
        let o = Outcome {
            label: "t".into(),
            primary_addr: "10.200.7.1".into(),
            start: 0,
            marks: vec![Mark { label: "OB".into(), at: 10 }, Mark { label: "LB".into(), at: 20 }],
            hosts: vec![HostOutcome {
                name: "h".into(),
                role: Role::Secondary,
                upsmon: Impl::Nut,
                notes: vec![note(11, "ONBATT"), note(21, "SHUTDOWN"), note(22, "FSD"), note(23, "LOWBATT")],
                shutdowns: vec![30],
                walls: vec!["Executing automatic power-fail shutdown".into()],
                flag: None,
                log: String::new(),
            }],
        };
        assert_eq!(
            o.behaviour("h"),
            "[start]\n[OB] ONBATT ups@HOST \"m HOST\";\n\
             [LB] LOWBATT ups@HOST \"m HOST\"; FSD ups@HOST \"m HOST\"; SHUTDOWN ups@HOST \"m HOST\";\n\
             wall: [\"Executing automatic power-fail shutdown\"]\n\
             POWERDOWNFLAG: None\n\
             SHUTDOWNCMD runs: 1\n"
        );
    }

    #[test]
    fn fold_counts_fsd_on_any_ups_once() {
        let mk = |notes: Vec<Note>| Outcome {
            label: "t".into(),
            primary_addr: "10.200.7.1".into(),
            start: 0,
            marks: vec![Mark { label: "LB".into(), at: 10 }],
            hosts: vec![HostOutcome {
                name: "h".into(),
                role: Role::Secondary,
                upsmon: Impl::Ours,
                notes,
                shutdowns: vec![],
                walls: vec![],
                flag: None,
                log: String::new(),
            }],
        };
        let fsd = |at, ups: &str| Note { ups: ups.into(), ..note(at, "FSD") };
        let one = mk(vec![fsd(11, "ups2@10.200.7.1")]);
        let both = mk(vec![fsd(11, "ups1@10.200.7.1"), fsd(12, "ups2@10.200.7.1")]);
        assert_ne!(one.behaviour("h"), both.behaviour("h"));
        assert_eq!(one.behaviour_with("h", Fold::FsdUps), both.behaviour_with("h", Fold::FsdUps));
    }

    #[test]
    fn parses_stamped_lines() {
        let dir = std::env::temp_dir().join(format!("mh-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes"), "sec1 20 FSD ups@h UPS ups@h: forced shutdown in progress\nprimary 10 SHUTDOWN - Auto logout\n").unwrap();
        std::fs::write(dir.join("shutdowns"), "sec1 25\n").unwrap();
        let notes = read_notes(&dir.join("notes"));
        assert_eq!(notes[0].kind, "SHUTDOWN");
        assert_eq!(notes[1].msg, "UPS ups@h: forced shutdown in progress");
        assert_eq!(read_shutdowns(&dir.join("shutdowns")), vec![("sec1".to_string(), 25)]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
