//! The small regular-expression matcher the device options need.
//!
//! NUT compiles `vendorid`, `product`, `serial`... as POSIX extended
//! regular expressions, case-insensitive, and accepts a device only when
//! the match covers the whole attribute. This module implements that
//! dialect's matching part (no captures, no back-references, which ERE
//! does not have): literals, `.`, bracket expressions with ranges,
//! negation and `[:class:]` names, grouping, alternation, `*` `+` `?`
//! `{m}` `{m,}` `{m,n}`, `^` and `$`, and `\` to quote a character.
//!
//! We keep our own instead of a general regex crate because the options
//! are short strings matched a few times per (re)connect, and because the
//! POSIX dialect differs from Perl-style ones in small ways users would
//! trip on (`\d` is a plain `d` here, `{` alone is a literal).
//!
//! Matching works on sets of positions, so no pattern can make it take
//! exponential time.

use std::collections::BTreeSet;
use std::fmt;

/// A pattern that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid regular expression '{}': {}", self.pattern, self.reason)
    }
}

impl std::error::Error for RegexError {}

#[derive(Debug, Clone)]
enum ClassItem {
    Char(char),
    Range(char, char),
    Named(fn(char) -> bool),
}

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Class { negated: bool, items: Vec<ClassItem> },
    Group(Box<Node>),
    Start,
    End,
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: u32,
    max: Option<u32>,
}

/// Alternatives, each a sequence of pieces.
#[derive(Debug, Clone)]
struct Node {
    alts: Vec<Vec<Piece>>,
}

/// A compiled case-insensitive pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    pattern: String,
    root: Node,
}

/// Repetition counts above this are refused (POSIX's RE_DUP_MAX).
const DUP_MAX: u32 = 255;

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    pattern: &'a str,
}

fn fold(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

fn named_class(name: &str) -> Option<fn(char) -> bool> {
    Some(match name {
        "alpha" => |c: char| c.is_alphabetic(),
        "digit" => |c: char| c.is_ascii_digit(),
        "alnum" => |c: char| c.is_alphanumeric(),
        "upper" => |c: char| c.is_uppercase() || c.is_lowercase(),
        "lower" => |c: char| c.is_lowercase() || c.is_uppercase(),
        "space" => |c: char| c.is_whitespace(),
        "blank" => |c: char| c == ' ' || c == '\t',
        "xdigit" => |c: char| c.is_ascii_hexdigit(),
        "punct" => |c: char| c.is_ascii_punctuation(),
        "print" => |c: char| !c.is_control(),
        "graph" => |c: char| !c.is_control() && !c.is_whitespace(),
        "cntrl" => |c: char| c.is_control(),
        _ => return None,
    })
}

impl Parser<'_> {
    fn err(&self, reason: impl Into<String>) -> RegexError {
        RegexError { pattern: self.pattern.to_string(), reason: reason.into() }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self, depth: usize) -> Result<Node, RegexError> {
        if depth > 32 {
            return Err(self.err("parentheses nested too deeply"));
        }
        let mut alts = vec![self.sequence(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.sequence(depth)?);
        }
        Ok(Node { alts })
    }

    fn sequence(&mut self, depth: usize) -> Result<Vec<Piece>, RegexError> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            let mut piece = Piece { atom, min: 1, max: Some(1) };
            loop {
                match self.peek() {
                    Some('*') => (piece.min, piece.max) = (0, None),
                    Some('+') => (piece.min, piece.max) = (piece.min.max(1), None),
                    Some('?') => piece.min = 0,
                    Some('{') if self.is_bound() => {
                        let (min, max) = self.bound()?;
                        piece = Piece { atom: Atom::Group(Box::new(Node { alts: vec![vec![piece]] })), min, max };
                        continue;
                    }
                    _ => break,
                }
                self.pos += 1;
            }
            seq.push(piece);
        }
        Ok(seq)
    }

    /// `{` starts a bound only when a digit follows (else it is literal).
    fn is_bound(&self) -> bool {
        self.chars.get(self.pos + 1).is_some_and(char::is_ascii_digit)
    }

    fn number(&mut self) -> Result<u32, RegexError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match text.parse::<u32>() {
            Ok(n) if n <= DUP_MAX => Ok(n),
            _ => Err(self.err("invalid repetition count")),
        }
    }

    fn bound(&mut self) -> Result<(u32, Option<u32>), RegexError> {
        self.pos += 1; // '{'
        let min = self.number()?;
        let max = if self.peek() == Some(',') {
            self.pos += 1;
            if self.peek() == Some('}') {
                None
            } else {
                Some(self.number()?)
            }
        } else {
            Some(min)
        };
        if self.peek() != Some('}') {
            return Err(self.err("unterminated {m,n} bound"));
        }
        self.pos += 1;
        if max.is_some_and(|m| m < min) {
            return Err(self.err("invalid {m,n} bound"));
        }
        Ok((min, max))
    }

    fn atom(&mut self, depth: usize) -> Result<Atom, RegexError> {
        let c = self.peek().ok_or_else(|| self.err("unexpected end"))?;
        self.pos += 1;
        Ok(match c {
            '.' => Atom::Any,
            '^' => Atom::Start,
            '$' => Atom::End,
            '(' => {
                let inner = self.alternation(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err(self.err("unmatched ( or \\("));
                }
                self.pos += 1;
                Atom::Group(Box::new(inner))
            }
            '[' => self.bracket()?,
            '\\' => {
                let q = self.peek().ok_or_else(|| self.err("trailing backslash (\\)"))?;
                self.pos += 1;
                Atom::Char(fold(q))
            }
            '*' | '+' | '?' => return Err(self.err("repetition-operator operand invalid")),
            other => Atom::Char(fold(other)),
        })
    }

    fn bracket(&mut self) -> Result<Atom, RegexError> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek().ok_or_else(|| self.err("unmatched [ or [^"))?;
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.peek() == Some(':') {
                let rest: String = self.chars[self.pos + 1..].iter().collect();
                let end = rest.find(":]").ok_or_else(|| self.err("unterminated [: :] class"))?;
                let name = &rest[..end];
                let f = named_class(name).ok_or_else(|| self.err(format!("unknown character class [:{name}:]")))?;
                self.pos += 1 + name.chars().count() + 2;
                items.push(ClassItem::Named(f));
                continue;
            }
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                let hi = self.chars[self.pos + 1];
                self.pos += 2;
                if hi < c {
                    return Err(self.err("invalid character range"));
                }
                items.push(ClassItem::Range(c, hi));
            } else {
                items.push(ClassItem::Char(c));
            }
        }
        Ok(Atom::Class { negated, items })
    }
}

fn class_matches(items: &[ClassItem], c: char) -> bool {
    let variants = [c, fold(c), c.to_uppercase().next().unwrap_or(c)];
    variants.iter().any(|&v| {
        items.iter().any(|i| match i {
            ClassItem::Char(x) => fold(*x) == fold(v),
            ClassItem::Range(lo, hi) => (*lo..=*hi).contains(&v),
            ClassItem::Named(f) => f(v),
        })
    })
}

impl Regex {
    /// Compile a pattern.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let mut p = Parser { chars: pattern.chars().collect(), pos: 0, pattern };
        let root = p.alternation(0)?;
        if p.pos != p.chars.len() {
            return Err(p.err("unmatched ) or \\)"));
        }
        Ok(Regex { pattern: pattern.to_string(), root })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// True when the pattern matches the whole of `text`, ignoring case.
    pub fn is_full_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().map(fold).collect();
        let ends = node_ends(&self.root, &chars, &BTreeSet::from([0]));
        ends.contains(&chars.len())
    }
}

fn node_ends(node: &Node, s: &[char], starts: &BTreeSet<usize>) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for seq in &node.alts {
        let mut cur = starts.clone();
        for piece in seq {
            cur = piece_ends(piece, s, &cur);
            if cur.is_empty() {
                break;
            }
        }
        out.extend(cur);
    }
    out
}

fn piece_ends(piece: &Piece, s: &[char], starts: &BTreeSet<usize>) -> BTreeSet<usize> {
    let mut reached = if piece.min == 0 { starts.clone() } else { BTreeSet::new() };
    let mut frontier = starts.clone();
    let mut count = 0u32;
    while !frontier.is_empty() && match piece.max {
        None => true,
        Some(m) => count < m,
    } {
        let next = atom_ends(&piece.atom, s, &frontier);
        count += 1;
        let before = reached.len();
        if count >= piece.min {
            reached.extend(next.iter().copied());
        }
        // Unbounded repetition stops once no new position appears.
        if piece.max.is_none() && count >= piece.min && reached.len() == before {
            break;
        }
        if next == frontier && count >= piece.min {
            break;
        }
        frontier = next;
        if count > s.len() as u32 + piece.min + 1 {
            break;
        }
    }
    reached
}

fn atom_ends(atom: &Atom, s: &[char], starts: &BTreeSet<usize>) -> BTreeSet<usize> {
    match atom {
        Atom::Group(inner) => node_ends(inner, s, starts),
        Atom::Start => starts.iter().copied().filter(|&p| p == 0).collect(),
        Atom::End => starts.iter().copied().filter(|&p| p == s.len()).collect(),
        _ => starts
            .iter()
            .copied()
            .filter(|&p| {
                s.get(p).is_some_and(|&c| match atom {
                    Atom::Char(x) => *x == c,
                    Atom::Any => true,
                    Atom::Class { negated, items } => class_matches(items, c) != *negated,
                    _ => false,
                })
            })
            .map(|p| p + 1)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Regex::new(p).unwrap().is_full_match(t)
    }

    #[test]
    fn whole_attribute_and_case() {
        assert!(m("051d", "051d"));
        assert!(m("051D", "051d"));
        assert!(!m("051", "051d"));
        assert!(!m("51d", "051d"));
        assert!(m("back-ups.*", "Back-UPS CS 500"));
        assert!(m("^Back-UPS CS 500$", "back-ups cs 500"));
        assert!(m(".*UPS.*", "Back-UPS CS 500"));
    }

    #[test]
    fn ere_operators() {
        assert!(m("0463|051d", "051d"));
        assert!(m("(0463|051d)", "0463"));
        assert!(m("0{2}02", "0002"));
        assert!(!m("0{3}02", "0002"));
        assert!(m("[0-9a-f]{4}", "ffff"));
        assert!(m("[[:xdigit:]]+", "09AE"));
        assert!(m("[^x]+", "abc"));
        assert!(!m("[^x]+", "axc"));
        assert!(m("a?b+c*", "bb"));
        assert!(m("AB0427\\*+", "AB0427******"));
        assert!(m("x{", "x{"));
        assert!(m("(a|ab)(c|bcd)", "abcd"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("[]a]*", "]a]"));
        assert!(m("(a*)*b", "aaab"));
    }

    #[test]
    fn bad_patterns() {
        for p in ["(", "a)", "[a", "*a", "a{3,1}", "\\", "[[:nope:]]", "a{999}"] {
            assert!(Regex::new(p).is_err(), "{p}");
        }
        assert_eq!(
            Regex::new("(").unwrap_err().to_string(),
            "invalid regular expression '(': unmatched ( or \\("
        );
    }

    #[test]
    fn no_blowup() {
        let t = "a".repeat(200) + "b";
        assert!(!m("(a*)*(a*)*(a*)*c", &t));
        assert!(m("(a|aa)*b", &t));
    }
}
