//! The one diagnostic type every loader in this crate reports with.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a [`Diagnostic`] is.
///
/// `Error` means the NUT program that owns the file would refuse to start
/// (or, for our own extensions, that we refuse to guess); `Warning` means
/// the line was logged and ignored (or partly used) and the program goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Logged; the program carries on.
    Warning,
    /// The program must not start with this file.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem found in a file, tied to the line where it starts.
///
/// `line` is 1-based; `0` stands for the file as a whole (a missing
/// directive, say). `Display` gives `<path>:<line>: <message>`, or
/// `<path>: <message>` when `line` is 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The path the caller gave to `parse` (only used for display).
    pub path: PathBuf,
    /// 1-based line number, 0 for the whole file.
    pub line: usize,
    /// Whether the owning program goes on.
    pub severity: Severity,
    /// What is wrong and what is expected instead.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// A loader's result: the value it could build and everything it noticed.
///
/// The value is always present, even when errors were found, so a tool can
/// show everything that is wrong at once; a daemon should check
/// [`Parsed::has_errors`] before using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// What was understood.
    pub value: T,
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Parsed<T> {
    /// True when at least one diagnostic has [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// The diagnostics with [`Severity::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error)
    }

    /// The diagnostics with [`Severity::Warning`].
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// `Ok(value)` when there is no error (warnings are dropped; read them
    /// first if they should be logged), else every diagnostic.
    pub fn into_result(self) -> Result<T, Vec<Diagnostic>> {
        if self.has_errors() {
            Err(self.diagnostics)
        } else {
            Ok(self.value)
        }
    }

    /// Apply `f` to the value and keep the diagnostics.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed { value: f(self.value), diagnostics: self.diagnostics }
    }
}

/// Collector used by the loaders.
#[derive(Debug)]
pub(crate) struct Diags {
    path: PathBuf,
    list: Vec<Diagnostic>,
}

impl Diags {
    pub(crate) fn new(path: &Path) -> Self {
        Diags { path: path.to_path_buf(), list: Vec::new() }
    }

    pub(crate) fn push(&mut self, line: usize, severity: Severity, message: impl Into<String>) {
        self.list.push(Diagnostic {
            path: self.path.clone(),
            line,
            severity,
            message: message.into(),
        });
    }

    pub(crate) fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.push(line, Severity::Warning, message);
    }

    pub(crate) fn error(&mut self, line: usize, message: impl Into<String>) {
        self.push(line, Severity::Error, message);
    }

    pub(crate) fn finish<T>(self, value: T) -> Parsed<T> {
        Parsed { value, diagnostics: self.list }
    }
}
