//! `cmdvartab`: descriptions of variables and instant commands for upsd's
//! `GET DESC` and `GET CMDDESC`.
//!
//! Lines are `VARDESC <var> "<text>"` and `CMDDESC <cmd> "<text>"`. Names
//! are looked up case-insensitively; a later line for the same name
//! replaces an earlier one. Anything else is a warning.

use crate::diag::{Diags, Parsed};
use crate::util::lex;
use std::collections::BTreeMap;
use std::path::Path;

/// The two description tables, keyed by lower-cased name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmdVarTab {
    /// Variable descriptions.
    pub vars: BTreeMap<String, String>,
    /// Instant command descriptions.
    pub cmds: BTreeMap<String, String>,
}

impl CmdVarTab {
    /// Description of a variable, ignoring case.
    pub fn var_desc(&self, var: &str) -> Option<&str> {
        self.vars.get(&var.to_ascii_lowercase()).map(String::as_str)
    }
    /// Description of an instant command, ignoring case.
    pub fn cmd_desc(&self, cmd: &str) -> Option<&str> {
        self.cmds.get(&cmd.to_ascii_lowercase()).map(String::as_str)
    }
}

/// Parse cmdvartab text; `path` is only used in diagnostics.
pub fn parse(text: &[u8], path: &Path) -> Parsed<CmdVarTab> {
    let mut diags = Diags::new(path);
    let mut tab = CmdVarTab::default();
    for (line, words) in lex(text, &mut diags) {
        let kind = words[0].as_str();
        let map = match kind {
            "VARDESC" => &mut tab.vars,
            "CMDDESC" => &mut tab.cmds,
            _ => {
                diags.warn(line, format!("unknown line {kind:?} ignored (expected VARDESC or CMDDESC)"));
                continue;
            }
        };
        if words.len() < 3 {
            diags.warn(line, format!("{kind} ignored: expected '{kind} <name> \"<description>\"'"));
            continue;
        }
        map.insert(words[1].to_ascii_lowercase(), words[2].clone());
    }
    diags.finish(tab)
}
