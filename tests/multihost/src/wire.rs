//! A few NUT protocol requests sent from inside a host's namespace.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::netns::in_netns;

/// Send each request on one connection and return one reply line for each
/// (without the newline). Opened from inside namespace `ns`.
pub fn query(ns: &str, addr: Ipv4Addr, port: u16, requests: &[String]) -> Result<Vec<String>, String> {
    let requests = requests.to_vec();
    in_netns(ns, move || -> Result<Vec<String>, String> {
        let to = SocketAddr::from((addr, port));
        let stream = TcpStream::connect_timeout(&to, Duration::from_secs(1)).map_err(|e| format!("connect {to}: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
        stream.set_write_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut writer = stream;
        let mut replies = Vec::new();
        for r in &requests {
            writer.write_all(format!("{r}\n").as_bytes()).map_err(|e| format!("send {r:?}: {e}"))?;
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) => return Err(format!("{to} closed the connection after {r:?}")),
                Ok(_) => replies.push(line.trim_end().to_string()),
                Err(e) => return Err(format!("reply to {r:?}: {e}")),
            }
        }
        let _ = writer.write_all(b"LOGOUT\n");
        Ok(replies)
    })?
}

/// The value in `VAR <ups> <var> "<value>"`, if the reply is one.
pub fn var_value(reply: &str) -> Option<String> {
    let rest = reply.strip_prefix("VAR ")?;
    let start = rest.find('"')?;
    let end = rest.rfind('"')?;
    (end > start).then(|| rest[start + 1..end].to_string())
}

/// The count in `NUMLOGINS <ups> <n>`.
pub fn numlogins(reply: &str) -> Option<u32> {
    let mut w = reply.split_whitespace();
    (w.next()? == "NUMLOGINS").then_some(())?;
    w.nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_replies() {
        assert_eq!(var_value("VAR ups ups.status \"OB LB\"").as_deref(), Some("OB LB"));
        assert_eq!(var_value("ERR DATA-STALE"), None);
        assert_eq!(numlogins("NUMLOGINS ups 3"), Some(3));
        assert_eq!(numlogins("ERR UNKNOWN-UPS"), None);
    }
}
