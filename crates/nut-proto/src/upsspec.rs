//! `upsname[@hostname[:port]]`, the way every NUT client names a UPS.

use std::fmt;

/// The default TCP port of upsd.
pub const DEFAULT_PORT: u16 = 3493;

/// A parsed UPS specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsSpec {
    /// The UPS name on the server (None for a bare `host[:port]`).
    pub ups: Option<String>,
    /// Host name or address; IPv6 literals are kept without brackets.
    pub host: String,
    pub port: u16,
}

/// Why a UPS specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    Empty,
    EmptyUpsName,
    EmptyHost,
    BadPort(String),
    UnclosedBracket,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::Empty => f.write_str("empty UPS definition"),
            SpecError::EmptyUpsName => f.write_str("the UPS name before '@' is empty"),
            SpecError::EmptyHost => f.write_str("the host name after '@' is empty"),
            SpecError::BadPort(p) => write!(f, "port '{p}' is not a number from 1 to 65535"),
            SpecError::UnclosedBracket => f.write_str("an IPv6 address in '[' has no closing ']'"),
        }
    }
}

impl std::error::Error for SpecError {}

fn parse_port(text: &str) -> Result<u16, SpecError> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(SpecError::BadPort(text.to_string())),
    }
}

/// Parse `host[:port]` or `[v6addr][:port]`.
pub fn parse_host_port(text: &str) -> Result<(String, u16), SpecError> {
    if text.is_empty() {
        return Err(SpecError::EmptyHost);
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or(SpecError::UnclosedBracket)?;
        if addr.is_empty() {
            return Err(SpecError::EmptyHost);
        }
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(SpecError::BadPort(after.to_string())),
        };
        return Ok((addr.to_string(), port));
    }
    match text.split_once(':') {
        Some((host, port)) => {
            if host.is_empty() {
                return Err(SpecError::EmptyHost);
            }
            Ok((host.to_string(), parse_port(port)?))
        }
        None => Ok((text.to_string(), DEFAULT_PORT)),
    }
}

impl UpsSpec {
    /// Parse `upsname[@hostname[:port]]` (host defaults to `localhost`).
    pub fn parse(text: &str) -> Result<UpsSpec, SpecError> {
        if text.is_empty() {
            return Err(SpecError::Empty);
        }
        match text.split_once('@') {
            Some((ups, hostport)) => {
                if ups.is_empty() {
                    return Err(SpecError::EmptyUpsName);
                }
                let (host, port) = parse_host_port(hostport)?;
                Ok(UpsSpec { ups: Some(ups.to_string()), host, port })
            }
            None => Ok(UpsSpec { ups: Some(text.to_string()), host: "localhost".into(), port: DEFAULT_PORT }),
        }
    }

    /// Parse a bare `[hostname[:port]]` as used by `upsc -l`.
    pub fn parse_host_only(text: Option<&str>) -> Result<UpsSpec, SpecError> {
        let (host, port) = match text {
            None => ("localhost".to_string(), DEFAULT_PORT),
            Some(t) => parse_host_port(t)?,
        };
        Ok(UpsSpec { ups: None, host, port })
    }

    /// `host:port` for connecting, with brackets around IPv6 literals.
    pub fn socket_addr_text(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nut_forms() {
        let s = UpsSpec::parse("ups").unwrap();
        assert_eq!((s.ups.as_deref(), s.host.as_str(), s.port), (Some("ups"), "localhost", 3493));
        let s = UpsSpec::parse("ups@10.0.0.5:3494").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("10.0.0.5", 3494));
        let s = UpsSpec::parse("ups@[::1]:3493").unwrap();
        assert_eq!((s.host.as_str(), s.socket_addr_text()), ("::1", "[::1]:3493".to_string()));
        assert_eq!(UpsSpec::parse("ups@"), Err(SpecError::EmptyHost));
        assert_eq!(UpsSpec::parse("@host"), Err(SpecError::EmptyUpsName));
        assert!(UpsSpec::parse("ups@h:0").is_err());
        assert!(UpsSpec::parse("ups@h:70000").is_err());
        assert!(UpsSpec::parse("ups@[::1").is_err());
        let h = UpsSpec::parse_host_only(Some("nas:4000")).unwrap();
        assert_eq!((h.ups, h.host.as_str(), h.port), (None, "nas", 4000));
    }
}
