//! The `ERR <CODE>` words of the network protocol.

use std::fmt;

/// Every error code a NUT server sends, plus the legacy ones clients still
/// recognise. The wire spelling is [`ErrCode::as_wire_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrCode {
    AccessDenied,
    UnknownUps,
    VarNotSupported,
    CmdNotSupported,
    InvalidArgument,
    InstcmdFailed,
    SetFailed,
    Readonly,
    TooLong,
    FeatureNotSupported,
    FeatureNotConfigured,
    AlreadySslMode,
    DriverNotConnected,
    DataStale,
    AlreadyLoggedIn,
    InvalidPassword,
    AlreadySetPassword,
    InvalidUsername,
    AlreadySetUsername,
    UsernameRequired,
    PasswordRequired,
    UnknownCommand,
    InvalidValue,
    // Legacy codes: defined by old servers, still mapped by clients.
    VarUnknown,
    UnknownType,
    UnknownInstcmd,
    MissingArgument,
    PasswordIncorrect,
    UnknownVar,
    /// Bare `ERR UNKNOWN`, used as a tracking result.
    Unknown,
    /// Bare `ERR FAILED`, used as a tracking result.
    Failed,
}

const TABLE: &[(ErrCode, &str)] = &[
    (ErrCode::AccessDenied, "ACCESS-DENIED"),
    (ErrCode::UnknownUps, "UNKNOWN-UPS"),
    (ErrCode::VarNotSupported, "VAR-NOT-SUPPORTED"),
    (ErrCode::CmdNotSupported, "CMD-NOT-SUPPORTED"),
    (ErrCode::InvalidArgument, "INVALID-ARGUMENT"),
    (ErrCode::InstcmdFailed, "INSTCMD-FAILED"),
    (ErrCode::SetFailed, "SET-FAILED"),
    (ErrCode::Readonly, "READONLY"),
    (ErrCode::TooLong, "TOO-LONG"),
    (ErrCode::FeatureNotSupported, "FEATURE-NOT-SUPPORTED"),
    (ErrCode::FeatureNotConfigured, "FEATURE-NOT-CONFIGURED"),
    (ErrCode::AlreadySslMode, "ALREADY-SSL-MODE"),
    (ErrCode::DriverNotConnected, "DRIVER-NOT-CONNECTED"),
    (ErrCode::DataStale, "DATA-STALE"),
    (ErrCode::AlreadyLoggedIn, "ALREADY-LOGGED-IN"),
    (ErrCode::InvalidPassword, "INVALID-PASSWORD"),
    (ErrCode::AlreadySetPassword, "ALREADY-SET-PASSWORD"),
    (ErrCode::InvalidUsername, "INVALID-USERNAME"),
    (ErrCode::AlreadySetUsername, "ALREADY-SET-USERNAME"),
    (ErrCode::UsernameRequired, "USERNAME-REQUIRED"),
    (ErrCode::PasswordRequired, "PASSWORD-REQUIRED"),
    (ErrCode::UnknownCommand, "UNKNOWN-COMMAND"),
    (ErrCode::InvalidValue, "INVALID-VALUE"),
    (ErrCode::VarUnknown, "VAR-UNKNOWN"),
    (ErrCode::UnknownType, "UNKNOWN-TYPE"),
    (ErrCode::UnknownInstcmd, "UNKNOWN-INSTCMD"),
    (ErrCode::MissingArgument, "MISSING-ARGUMENT"),
    (ErrCode::PasswordIncorrect, "PASSWORD-INCORRECT"),
    (ErrCode::UnknownVar, "UNKNOWN-VAR"),
    (ErrCode::Unknown, "UNKNOWN"),
    (ErrCode::Failed, "FAILED"),
];

impl ErrCode {
    /// The code as sent after `ERR `.
    pub fn as_wire_str(self) -> &'static str {
        TABLE
            .iter()
            .find(|(code, _)| *code == self)
            .map(|(_, word)| *word)
            .unwrap_or("UNKNOWN")
    }

    /// Parse the word after `ERR ` (exact, upper case as servers send it).
    pub fn from_wire(word: &str) -> Option<ErrCode> {
        TABLE.iter().find(|(_, w)| *w == word).map(|(code, _)| *code)
    }

    /// The full reply line without its newline: `ERR <CODE>`.
    pub fn reply(self) -> String {
        format!("ERR {}", self.as_wire_str())
    }

    /// What NUT's client tools print after `Error: ` for this reply.
    /// Codes the client library has no text for read `Unknown error`.
    pub fn client_text(self) -> &'static str {
        match self {
            ErrCode::VarNotSupported => "Variable not supported by UPS",
            ErrCode::UnknownUps => "Unknown UPS",
            ErrCode::AccessDenied => "Access denied",
            ErrCode::PasswordRequired => "Password required",
            ErrCode::PasswordIncorrect => "Password incorrect",
            ErrCode::MissingArgument => "Missing argument",
            ErrCode::DataStale => "Data stale",
            ErrCode::VarUnknown => "Variable unknown",
            ErrCode::AlreadyLoggedIn => "Already logged in",
            ErrCode::InvalidPassword => "Invalid password",
            ErrCode::AlreadySetPassword => "Already set password",
            ErrCode::UnknownType => "Unknown variable type",
            ErrCode::UnknownVar => "Unknown variable",
            ErrCode::Readonly => "Read-only variable",
            ErrCode::TooLong => "New value is too long",
            ErrCode::InvalidValue => "Invalid value for variable",
            ErrCode::SetFailed => "Set command failed",
            ErrCode::UnknownInstcmd => "Unknown instant command",
            ErrCode::InstcmdFailed => "Instant command failed",
            ErrCode::CmdNotSupported => "Instant command not supported",
            ErrCode::InvalidUsername => "Invalid username",
            ErrCode::AlreadySetUsername => "Already set username",
            ErrCode::UnknownCommand => "Unknown command",
            ErrCode::UsernameRequired => "Username required",
            ErrCode::DriverNotConnected => "Driver not connected",
            _ => "Unknown error",
        }
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire_str())
    }
}

/// If `line` is an `ERR ...` reply, the code it names (None for an unknown
/// word, which clients treat as `Unknown error`).
pub fn parse_err_line(line: &str) -> Option<Option<ErrCode>> {
    let rest = line.strip_prefix("ERR")?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let word = rest.split_whitespace().next().unwrap_or("");
    Some(ErrCode::from_wire(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for (code, word) in TABLE {
            assert_eq!(code.as_wire_str(), *word);
            assert_eq!(ErrCode::from_wire(word), Some(*code));
        }
    }

    #[test]
    fn replies_and_client_texts_match_nut() {
        assert_eq!(ErrCode::DataStale.reply(), "ERR DATA-STALE");
        assert_eq!(ErrCode::DriverNotConnected.client_text(), "Driver not connected");
        assert_eq!(ErrCode::InvalidArgument.client_text(), "Unknown error");
        assert_eq!(parse_err_line("ERR ACCESS-DENIED"), Some(Some(ErrCode::AccessDenied)));
        assert_eq!(parse_err_line("ERR WHATEVER extra"), Some(None));
        assert_eq!(parse_err_line("ERRATIC"), None);
        assert_eq!(parse_err_line("OK"), None);
    }
}
