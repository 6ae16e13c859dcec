//! A raw line client for protocol probes. Every read and write has a timeout.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct LineClient {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl LineClient {
    /// Connect to 127.0.0.1:`port` (2 s connect timeout, 5 s I/O timeouts).
    pub fn connect(port: u16) -> io::Result<LineClient> {
        LineClient::connect_with(port, Duration::from_secs(5))
    }

    pub fn connect_with(port: u16, io_timeout: Duration) -> io::Result<LineClient> {
        let stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
        stream.set_read_timeout(Some(io_timeout))?;
        stream.set_write_timeout(Some(io_timeout))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(LineClient { stream, reader })
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Send raw bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Send one line (a `\n` is appended).
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        let mut b = Vec::with_capacity(line.len() + 1);
        b.extend_from_slice(line.as_bytes());
        b.push(b'\n');
        self.stream.write_all(&b)
    }

    /// Read one line including its `\n`. EOF gives an `UnexpectedEof` error.
    pub fn read_line(&mut self) -> io::Result<String> {
        let mut buf = Vec::new();
        let n = self.reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Read one reply: a single line, or a whole `BEGIN LIST` … `END LIST` block.
    /// Returned exactly as received (newlines included).
    pub fn read_reply(&mut self) -> io::Result<String> {
        let first = self.read_line()?;
        if !first.starts_with("BEGIN LIST") {
            return Ok(first);
        }
        let mut all = first;
        loop {
            let l = self.read_line()?;
            let end = l.starts_with("END LIST");
            all.push_str(&l);
            if end {
                return Ok(all);
            }
        }
    }

    /// Send `line` and read its reply (see [`LineClient::read_reply`]).
    pub fn request(&mut self, line: &str) -> io::Result<String> {
        self.send(line)?;
        self.read_reply()
    }

    /// True if the server has closed the connection (reads EOF within `wait`).
    pub fn is_closed(&mut self, wait: Duration) -> bool {
        let _ = self.stream.set_read_timeout(Some(wait));
        let mut buf = Vec::new();
        matches!(self.reader.read_until(b'\n', &mut buf), Ok(0) | Err(_)) && buf.is_empty()
    }
}
