//! The one word splitter shared by every NUT config file and both wires.
//!
//! The rules are NUT's "parseconf" rules, restated here in our own words:
//!
//! * a logical line ends at LF; words are split on ASCII white space
//!   (so a CR before the LF is harmless);
//! * `"..."` makes one word, which may be empty; inside it `\x` stands for a
//!   literal `x`, and a backslash before LF joins the next physical line;
//! * outside quotes `\x` is a literal `x` too, and backslash-LF joins lines;
//! * `#` outside quotes starts a comment that runs to the end of the line
//!   (and ends a word in progress); inside quotes it is an error, and the
//!   line is dropped (NUT 2.8.0 behaviour);
//! * `=` outside quotes is a word of its own: `a=b` gives `a`, `=`, `b`;
//! * bytes below 0x20 and above 0x7F are dropped wherever they appear;
//! * a line keeps at most [`MAX_ARGS`] words of at most [`MAX_WORD_LEN`]
//!   bytes; the excess is dropped silently.
//!
//! Because of the last two rules the lexer's memory is bounded however long
//! a line is, which is what keeps a 1 MB line without a newline harmless.

use std::fmt;

/// Most words kept from one line; later words are dropped.
pub const MAX_ARGS: usize = 32;
/// Most bytes kept from one word; later bytes are dropped.
pub const MAX_WORD_LEN: usize = 512;

/// Why a line could not be split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexError {
    /// A `#` appeared inside a quoted word without a backslash before it.
    HashInQuotes,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LexError::HashInQuotes => {
                f.write_str("unbalanced word: '#' inside quotes must be written as '\\#'")
            }
        }
    }
}

impl std::error::Error for LexError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    WordStart,
    Comment,
    Quoted,
    QuotedEscape,
    Bare,
    BareEscape,
}

/// What feeding one byte produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The line is not finished yet.
    Pending,
    /// A logical line ended; these are its words (possibly none).
    Line(Vec<String>),
    /// The line was malformed; its words are discarded and the lexer goes on
    /// with the bytes that follow.
    Error(LexError),
}

/// What the lexer had to drop from one line: bytes outside 0x20..=0x7F,
/// and words or bytes past the limits. Servers use it to log bad input
/// once per line instead of once per byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineFlaws {
    /// Bytes dropped for being control or non-ASCII bytes.
    pub bad_bytes: usize,
    /// True when a word or the line went past [`MAX_WORD_LEN`] / [`MAX_ARGS`].
    pub truncated: bool,
}

impl LineFlaws {
    /// True when nothing was dropped.
    pub fn is_clean(&self) -> bool {
        self.bad_bytes == 0 && !self.truncated
    }
}

/// A byte-at-a-time word splitter.
#[derive(Debug, Clone)]
pub struct Lexer {
    state: State,
    word: Vec<u8>,
    word_open: bool,
    words: Vec<String>,
    max_args: usize,
    max_word_len: usize,
    flaws: LineFlaws,
    last_flaws: LineFlaws,
}

impl Default for Lexer {
    fn default() -> Self {
        Self::new()
    }
}

impl Lexer {
    /// A lexer with NUT's default limits.
    pub fn new() -> Self {
        Self::with_limits(MAX_ARGS, MAX_WORD_LEN)
    }

    /// A lexer with other limits (0 means unlimited; use with care).
    pub fn with_limits(max_args: usize, max_word_len: usize) -> Self {
        Lexer {
            state: State::WordStart,
            word: Vec::new(),
            word_open: false,
            words: Vec::new(),
            max_args,
            max_word_len,
            flaws: LineFlaws::default(),
            last_flaws: LineFlaws::default(),
        }
    }

    /// What was dropped so far from the line in progress.
    pub fn line_flaws(&self) -> LineFlaws {
        self.flaws
    }

    /// What was dropped from the line that the last [`Step::Line`] or
    /// [`Step::Error`] ended.
    pub fn last_line_flaws(&self) -> LineFlaws {
        self.last_flaws
    }

    /// True when no byte of an unfinished line is held.
    pub fn is_idle(&self) -> bool {
        self.state == State::WordStart && !self.word_open && self.words.is_empty()
    }

    fn add_byte(&mut self, byte: u8) {
        self.word_open = true;
        if !(0x20..=0x7f).contains(&byte) {
            self.flaws.bad_bytes = self.flaws.bad_bytes.saturating_add(1);
            return;
        }
        if self.max_word_len != 0 && self.word.len() >= self.max_word_len {
            self.flaws.truncated = true;
            return;
        }
        self.word.push(byte);
    }

    fn end_word(&mut self) {
        if self.max_args == 0 || self.words.len() < self.max_args {
            // Every byte kept is in 0x20..=0x7f (see `add_byte`), so the
            // word is ASCII and one exact-size copy makes the String.
            let text = match std::str::from_utf8(&self.word) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(&self.word).into_owned(),
            };
            self.words.push(text);
        } else {
            self.flaws.truncated = true;
        }
        self.word.clear();
        self.word_open = false;
    }

    fn take_line(&mut self) -> Vec<String> {
        self.state = State::WordStart;
        self.last_flaws = std::mem::take(&mut self.flaws);
        std::mem::take(&mut self.words)
    }

    fn reset(&mut self) {
        self.state = State::WordStart;
        self.flaws = LineFlaws::default();
        self.word.clear();
        self.word_open = false;
        self.words.clear();
    }

    /// Feed one byte.
    pub fn push(&mut self, byte: u8) -> Step {
        match self.state {
            State::WordStart => match byte {
                b'\n' => return Step::Line(self.take_line()),
                b'#' => self.state = State::Comment,
                b'\\' => {
                    self.word_open = true;
                    self.state = State::BareEscape;
                }
                b'"' => {
                    self.word_open = true;
                    self.state = State::Quoted;
                }
                b'=' => {
                    self.add_byte(byte);
                    self.end_word();
                }
                b if b.is_ascii_whitespace() || b == 0x0b => {}
                b => {
                    self.add_byte(b);
                    self.state = State::Bare;
                }
            },
            State::Comment => {
                if byte == b'\n' {
                    return Step::Line(self.take_line());
                }
            }
            State::Quoted => match byte {
                b'"' => {
                    self.end_word();
                    self.state = State::WordStart;
                }
                b'\\' => self.state = State::QuotedEscape,
                b'#' => {
                    self.last_flaws = self.flaws;
                    self.reset();
                    return Step::Error(LexError::HashInQuotes);
                }
                b => self.add_byte(b),
            },
            State::QuotedEscape => {
                if byte != b'\n' {
                    self.add_byte(byte);
                }
                self.state = State::Quoted;
            }
            State::Bare => match byte {
                b'#' => {
                    self.end_word();
                    self.state = State::Comment;
                }
                b'\n' => {
                    self.end_word();
                    return Step::Line(self.take_line());
                }
                b'=' => {
                    self.end_word();
                    self.add_byte(b'=');
                    self.end_word();
                    self.state = State::WordStart;
                }
                b'\\' => self.state = State::BareEscape,
                b if b.is_ascii_whitespace() || b == 0x0b => {
                    self.end_word();
                    self.state = State::WordStart;
                }
                b => self.add_byte(b),
            },
            State::BareEscape => {
                if byte != b'\n' {
                    self.add_byte(byte);
                }
                self.state = State::Bare;
            }
        }
        Step::Pending
    }

    /// End of input: ties off whatever was collected. Returns `None` when
    /// nothing at all was pending.
    pub fn finish(&mut self) -> Option<Vec<String>> {
        if self.word_open {
            self.end_word();
        }
        let pending = !self.words.is_empty();
        let words = self.take_line();
        self.reset();
        pending.then_some(words)
    }
}

/// Split one line (a request, a reply, one config line) into words.
/// A trailing LF is optional; anything after the first LF is ignored.
pub fn split_line(line: &str) -> Result<Vec<String>, LexError> {
    let mut lexer = Lexer::new();
    for &byte in line.as_bytes() {
        match lexer.push(byte) {
            Step::Pending => {}
            Step::Line(words) => return Ok(words),
            Step::Error(err) => return Err(err),
        }
    }
    Ok(lexer.finish().unwrap_or_default())
}

/// One logical line of a text, as the lexer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexedLine {
    /// The physical line (1-based) where this logical line starts.
    pub line: usize,
    /// Its words, or why it was dropped.
    pub words: Result<Vec<String>, LexError>,
}

/// Split a whole file into logical lines, keeping the line numbers for
/// diagnostics. Lines with no words (blank lines, comments) are left out.
pub fn split_text(text: &[u8]) -> Vec<LexedLine> {
    let mut lexer = Lexer::new();
    let mut out = Vec::new();
    let mut physical = 1usize;
    let mut start = 1usize;
    for &byte in text {
        if lexer.is_idle() {
            start = physical;
        }
        let step = lexer.push(byte);
        if byte == b'\n' {
            physical += 1;
        }
        match step {
            Step::Pending => {}
            Step::Line(words) => {
                if !words.is_empty() {
                    out.push(LexedLine { line: start, words: Ok(words) });
                }
            }
            Step::Error(err) => out.push(LexedLine { line: start, words: Err(err) }),
        }
    }
    if let Some(words) = lexer.finish() {
        out.push(LexedLine { line: start, words: Ok(words) });
    }
    out
}

/// Escape a value for use inside double quotes: a backslash goes before
/// each `#`, `\` and `"`. Nothing else is changed.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    escape_into(value, &mut out);
    out
}

/// [`escape`] appending to an existing buffer.
pub fn escape_into(value: &str, out: &mut String) {
    for ch in value.chars() {
        if matches!(ch, '#' | '\\' | '"') {
            out.push('\\');
        }
        out.push(ch);
    }
}

/// `"` + [`escape`] + `"`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    escape_into(value, &mut out);
    out.push('"');
    out
}

/// Quote a word only when the lexer would otherwise split or alter it
/// (what NUT's client library does with command arguments).
pub fn quote_if_needed(word: &str) -> String {
    let needs = word.is_empty()
        || word
            .bytes()
            .any(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\\' | b'#' | b'='));
    if needs {
        quote(word)
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flaws_are_counted_per_line() {
        let mut lexer = Lexer::new();
        fn feed_into(lexer: &mut Lexer, bytes: &[u8]) -> Vec<Step> {
            bytes.iter().map(|&b| lexer.push(b)).filter(|s| *s != Step::Pending).collect()
        }
        macro_rules! feed {
            ($b:expr) => {
                feed_into(&mut lexer, $b)
            };
        }
        assert_eq!(feed!(b"GET\x01\x02 VAR\n"), vec![Step::Line(vec!["GET".into(), "VAR".into()])]);
        assert_eq!(lexer.last_line_flaws(), LineFlaws { bad_bytes: 2, truncated: false });
        feed!(b"VER\n");
        assert!(lexer.last_line_flaws().is_clean());
        feed!(&vec![b'A'; MAX_WORD_LEN + 10]);
        assert!(lexer.line_flaws().truncated);
        feed!(b"\n");
        assert!(lexer.last_line_flaws().truncated);
        assert!(lexer.line_flaws().is_clean());
        let many = vec!["w"; MAX_ARGS + 1].join(" ");
        feed!(format!("{many}\n").as_bytes());
        assert!(lexer.last_line_flaws().truncated);
        feed!(b"\"a\x7f#\n");
        assert_eq!(lexer.last_line_flaws().bad_bytes, 0);
        assert_eq!(feed!(b"\"\x80#"), vec![Step::Error(LexError::HashInQuotes)]);
        assert_eq!(lexer.last_line_flaws().bad_bytes, 1);
    }

    fn words(line: &str) -> Vec<String> {
        split_line(line).expect("line should split")
    }

    #[test]
    fn plain_words_split_on_white_space() {
        assert_eq!(words("this is a line\n"), ["this", "is", "a", "line"]);
        assert_eq!(words("GET\tVAR  ups\r\n"), ["GET", "VAR", "ups"]);
    }

    #[test]
    fn quotes_group_and_may_be_empty() {
        assert_eq!(words("this \"is also\" a line"), ["this", "is also", "a", "line"]);
        assert_eq!(words("SET VAR ups x \"\""), ["SET", "VAR", "ups", "x", ""]);
        assert_eq!(words("\"a\"b"), ["a", "b"]);
    }

    #[test]
    fn backslash_makes_the_next_byte_literal() {
        assert_eq!(words("embedded\\ space"), ["embedded space"]);
        assert_eq!(words("embedded\\\\backslash"), ["embedded\\backslash"]);
        assert_eq!(words("\"say \\\"hi\\\"\""), ["say \"hi\""]);
        assert_eq!(words("\"a\\#b\""), ["a#b"]);
    }

    #[test]
    fn equals_is_its_own_word() {
        assert_eq!(words("a=b"), ["a", "=", "b"]);
        assert_eq!(words("a = b"), ["a", "=", "b"]);
        assert_eq!(words("=x"), ["=", "x"]);
        assert_eq!(words("\"a=b\""), ["a=b"]);
    }

    #[test]
    fn comments_end_words_and_lines() {
        assert_eq!(words("a#b c"), ["a"]);
        assert_eq!(words("# only a comment"), Vec::<String>::new());
        assert_eq!(split_line("\"a#b\""), Err(LexError::HashInQuotes));
    }

    #[test]
    fn control_and_high_bytes_are_dropped() {
        let mut lexer = Lexer::new();
        let mut last = Step::Pending;
        for &b in b"\"a\tb\xc3\xa9c\"\n" {
            last = lexer.push(b);
        }
        assert_eq!(last, Step::Line(vec!["abc".to_string()]));
    }

    #[test]
    fn limits_bound_words_and_arguments() {
        let long = "x".repeat(700);
        let got = words(&format!("GET VAR {long}"));
        assert_eq!(got[2].len(), MAX_WORD_LEN);
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        assert_eq!(words(&many.join(" ")).len(), MAX_ARGS);
    }

    #[test]
    fn a_huge_line_keeps_memory_bounded() {
        let mut lexer = Lexer::new();
        for _ in 0..1_000_000 {
            assert_eq!(lexer.push(b'a'), Step::Pending);
        }
        assert!(lexer.word.len() <= MAX_WORD_LEN);
        assert_eq!(lexer.push(b'\n'), Step::Line(vec!["a".repeat(MAX_WORD_LEN)]));
    }

    #[test]
    fn backslash_newline_joins_lines() {
        let lines = split_text(b"a \\\nb\n\"c\\\nd\"\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].words.as_deref().unwrap(), ["a", "b"]);
        assert_eq!(lines[0].line, 1);
        assert_eq!(lines[1].words.as_deref().unwrap(), ["cd"]);
        assert_eq!(lines[1].line, 3);
    }

    #[test]
    fn text_keeps_line_numbers_and_errors() {
        let lines = split_text(b"# header\n\n[ups]\n  desc = \"a#b\"\nport=auto");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[1].line, 4);
        assert_eq!(lines[1].words, Err(LexError::HashInQuotes));
        // After the error the rest of that physical line is lexed afresh, as in NUT.
        assert_eq!(lines[2].words.as_deref().unwrap(), ["b\""]);
        assert_eq!(lines[2].line, 4);
        assert_eq!(lines[3].words.as_deref().unwrap(), ["port", "=", "auto"]);
        assert_eq!(lines[3].line, 5);
    }

    #[test]
    fn crlf_files_split_like_lf_files() {
        let lines = split_text(b"MAXAGE 15\r\nLISTEN 127.0.0.1 3493\r\n");
        assert_eq!(lines[0].words.as_deref().unwrap(), ["MAXAGE", "15"]);
        assert_eq!(lines[1].words.as_deref().unwrap(), ["LISTEN", "127.0.0.1", "3493"]);
    }

    #[test]
    fn escape_round_trips_through_the_lexer() {
        for value in ["plain", "a \"quoted\" #hash \\ back", "", "x=y"] {
            assert_eq!(words(&format!("VAR ups x {}", quote(value)))[3], value);
            assert_eq!(words(&format!("X {}", quote_if_needed(value)))[1], value);
        }
        assert_eq!(escape("a\"b\\c#"), "a\\\"b\\\\c\\#");
    }
}
