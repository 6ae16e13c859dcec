//! What can go wrong talking to upsd, with NUT's wording.

use std::fmt;
use std::io;

use nut_proto::ErrCode;

/// A failed client operation. `Display` gives exactly the text NUT's client
/// library shows for the same failure, so tools can print `Error: {err}`.
#[derive(Debug)]
pub enum ClientError {
    /// The host name did not resolve to any address.
    NoSuchHost,
    /// Every address refused, timed out or failed otherwise.
    Connect(io::Error),
    /// Sending a request failed.
    Write(io::Error),
    /// Reading a reply failed (including a read timeout).
    Read(io::Error),
    /// The server closed the connection.
    Disconnected,
    /// A reply line grew past the configured limit without a newline.
    /// The connection is unusable afterwards.
    LineTooLong { limit: usize },
    /// The server answered `ERR <CODE>`; `code` is None for a word we do not
    /// know. `line` is the reply as received.
    Server { code: Option<ErrCode>, line: String },
    /// A reply that is neither what was asked for nor an `ERR` line.
    InvalidResponse(String),
    /// A reply of the right kind whose words do not match the request
    /// (wrong echo, missing words, bad `BEGIN LIST`/`END LIST`).
    Protocol(String),
    /// A reply whose words could not be split.
    Parse(String),
    /// TLS was required (FORCESSL) but the server does not offer it.
    SslUnavailable,
    /// The TLS handshake or a TLS record failed; the connection is unusable.
    Tls(String),
    /// The TLS settings (certificates, CA files) cannot be used.
    TlsConfig(String),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, ClientError>;

/// The C library's text for an I/O error (`strerror`), without Rust's
/// `(os error N)` suffix.
pub fn io_error_text(err: &io::Error) -> String {
    let timed_out = matches!(err.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock);
    let code = match err.raw_os_error() {
        // A socket timeout shows up as EAGAIN; say what it means.
        _ if timed_out => Some(nix::libc::ETIMEDOUT),
        Some(code) => Some(code),
        None => match err.kind() {
            io::ErrorKind::ConnectionRefused => Some(nix::libc::ECONNREFUSED),
            io::ErrorKind::ConnectionReset => Some(nix::libc::ECONNRESET),
            io::ErrorKind::BrokenPipe => Some(nix::libc::EPIPE),
            _ => None,
        },
    };
    match code {
        // std formats OS errors with the C library's strerror text.
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            match text.rfind(" (os error ") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
        None => err.to_string(),
    }
}

impl ClientError {
    /// The server's error code, if this is an `ERR` reply we recognise.
    pub fn code(&self) -> Option<ErrCode> {
        match self {
            ClientError::Server { code, .. } => *code,
            _ => None,
        }
    }

    /// The reply line behind this error, when the server sent one.
    pub fn reply_line(&self) -> Option<&str> {
        match self {
            ClientError::Server { line, .. }
            | ClientError::InvalidResponse(line)
            | ClientError::Protocol(line) => Some(line),
            _ => None,
        }
    }

    /// True when the connection can no longer be used.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ClientError::NoSuchHost
                | ClientError::Connect(_)
                | ClientError::Write(_)
                | ClientError::Read(_)
                | ClientError::Disconnected
                | ClientError::LineTooLong { .. }
                | ClientError::SslUnavailable
                | ClientError::Tls(_)
                | ClientError::TlsConfig(_)
        )
    }

    pub(crate) fn from_err_line(line: &str) -> Option<ClientError> {
        let code = nut_proto::errcode::parse_err_line(line)?;
        Some(ClientError::Server { code, line: line.to_string() })
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NoSuchHost => f.write_str("No such host"),
            ClientError::Connect(e) => write!(f, "Connection failure: {}", io_error_text(e)),
            ClientError::Write(e) => write!(f, "Write error: {}", io_error_text(e)),
            ClientError::Read(e) => write!(f, "Read error: {}", io_error_text(e)),
            ClientError::Disconnected => f.write_str("Server disconnected"),
            ClientError::LineTooLong { limit } => {
                write!(f, "Read error: reply line longer than {limit} bytes")
            }
            ClientError::Server { code, .. } => {
                f.write_str(code.map(ErrCode::client_text).unwrap_or("Unknown error"))
            }
            ClientError::InvalidResponse(_) => f.write_str("Invalid response from server"),
            ClientError::Protocol(_) => f.write_str("Protocol error"),
            ClientError::Parse(why) => write!(f, "Parse error: {why}"),
            ClientError::SslUnavailable => f.write_str("SSL is not available"),
            ClientError::Tls(why) => write!(f, "SSL error: {why}"),
            ClientError::TlsConfig(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect(e) | ClientError::Write(e) | ClientError::Read(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_nut() {
        let refused = io::Error::from_raw_os_error(nix::libc::ECONNREFUSED);
        assert_eq!(ClientError::Connect(refused).to_string(), "Connection failure: Connection refused");
        assert_eq!(ClientError::NoSuchHost.to_string(), "No such host");
        assert_eq!(ClientError::Disconnected.to_string(), "Server disconnected");
        let reset = io::Error::from_raw_os_error(nix::libc::ECONNRESET);
        assert_eq!(ClientError::Read(reset).to_string(), "Read error: Connection reset by peer");
        let e = ClientError::from_err_line("ERR DATA-STALE").unwrap();
        assert_eq!(e.to_string(), "Data stale");
        assert_eq!(e.code(), Some(ErrCode::DataStale));
        assert_eq!(ClientError::from_err_line("ERR BOGUS").unwrap().to_string(), "Unknown error");
        assert_eq!(
            ClientError::from_err_line("ERR INVALID-ARGUMENT").unwrap().to_string(),
            "Unknown error"
        );
        assert!(ClientError::from_err_line("OK").is_none());
        assert_eq!(ClientError::InvalidResponse("x".into()).to_string(), "Invalid response from server");
        assert_eq!(ClientError::Protocol("x".into()).to_string(), "Protocol error");
        let t = io::Error::new(io::ErrorKind::TimedOut, "connection timed out");
        assert_eq!(ClientError::Connect(t).to_string(), "Connection failure: Connection timed out");
    }
}
