//! STARTTLS for upsd, on rustls.
//!
//! * [`load`] turns upsd.conf's CERTFILE (PEM chain + key), CERTPATH (PEM
//!   CA file or directory, for client certificates) and CERTREQUEST into a
//!   server context, or explains why it cannot.
//! * [`ClientStream`] is a client socket that starts in plain text and can
//!   switch to TLS after `OK STARTTLS`; the event loop reads and writes it
//!   like the bare socket. Handshake failures are logged here, once, with
//!   the peer's address; the caller just drops the client.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use mio::net::TcpStream;
use nut_conf::upsd::{CertRequest, UpsdConf};
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;

/// Most TLS bytes rustls holds for one client before writes push back
/// (the event loop's own output buffer then grows and is capped).
const TLS_BUFFER_LIMIT: usize = 64 * 1024;

/// What upsd.conf asks for, as a ready server context (None: no TLS).
pub type TlsServerConfig = Option<Arc<ServerConfig>>;

/// Build the server context from upsd.conf. `Ok(None)`: no TLS (STARTTLS
/// is answered `ERR FEATURE-NOT-CONFIGURED`); warnings are logged here.
/// `Err`: CERTFILE is set but unusable, which is fatal (as in NUT).
pub fn load(conf: &UpsdConf) -> Result<TlsServerConfig, String> {
    let Some(certfile) = conf.certfile.as_deref() else {
        if let Some(hint) = conf.nss_only_hint() {
            log::error!("{hint}");
        }
        return Ok(None);
    };
    if conf.certident.is_some() {
        log::warn!("CERTIDENT is ignored: it names a certificate in an NSS database; CERTFILE {certfile} is used");
    }
    let path = Path::new(certfile);
    check_perms(path);
    let chain = nut_client::tls::load_certs(path)?;
    if chain.is_empty() {
        return Err(format!("{certfile}: no PEM certificate in CERTFILE (it must hold the certificate chain and the private key)"));
    }
    let key = nut_client::tls::load_private_key(path)?;
    let provider = nut_client::tls::provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let request = conf.certrequest.unwrap_or(CertRequest::No);
    let builder = match request {
        CertRequest::No => builder.with_no_client_auth(),
        CertRequest::Request | CertRequest::Require => {
            let Some(ca) = conf.certpath.as_deref() else {
                return Err("CERTREQUEST asks for client certificates, but no CERTPATH (PEM CA file or directory) \
                            says which CA they must come from"
                    .to_string());
            };
            let roots =
                nut_client::tls::root_store(Path::new(ca)).map_err(|e| format!("CERTPATH: {e}"))?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if request == CertRequest::Request {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .map_err(|e| format!("CERTPATH {ca}: {e}"))?,
            )
        }
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        format!("{certfile}: the certificate and private key do not go together: {e}")
    })?;
    config.ignore_client_order = true;
    Ok(Some(Arc::new(config)))
}

/// The upsd.conf lines that shape TLS, to notice changes on reload (they
/// take effect only at start, as in NUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    certfile: Option<String>,
    certpath: Option<String>,
    certident: Option<String>,
    certrequest: Option<CertRequest>,
}

impl TlsSettings {
    pub fn of(conf: &UpsdConf) -> TlsSettings {
        TlsSettings {
            certfile: conf.certfile.clone(),
            certpath: conf.certpath.clone(),
            certident: conf.certident.as_ref().map(|c| c.name.clone()),
            certrequest: conf.certrequest,
        }
    }

    /// What to log when a reload finds other TLS settings than at start.
    pub fn reload_notice(&self, now: &TlsSettings) -> Option<&'static str> {
        (self != now).then_some(
            "CERTFILE, CERTPATH, CERTIDENT or CERTREQUEST changed: TLS settings are read at start-up only, \
             restart upsd to apply them",
        )
    }
}

fn check_perms(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o004 != 0 {
            log::warn!(
                "{} is world readable (it holds the TLS private key)",
                path.display()
            );
        }
    }
}

/// A client socket, plain or TLS.
pub enum ClientStream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    /// Only while switching.
    Switching,
}

pub struct TlsStream {
    sock: TcpStream,
    conn: rustls::ServerConnection,
    peer: String,
    /// Plain-text bytes queued before STARTTLS took effect (the tail of
    /// `OK STARTTLS`, if the socket did not take it at once).
    raw_out: Vec<u8>,
    established: bool,
}

impl ClientStream {
    pub fn plain(sock: TcpStream) -> ClientStream {
        ClientStream::Plain(sock)
    }

    pub fn is_tls(&self) -> bool {
        !matches!(self, ClientStream::Plain(_))
    }

    /// Before closing: end a TLS session properly (a close_notify alert),
    /// so the client can tell the end from a cut connection. Best effort:
    /// the peer may already be gone.
    pub fn close_notify(&mut self) {
        if let ClientStream::Tls(t) = self {
            t.conn.send_close_notify();
            let _ = t.push();
        }
    }

    fn sock_mut(&mut self) -> Option<&mut TcpStream> {
        match self {
            ClientStream::Plain(s) => Some(s),
            ClientStream::Tls(t) => Some(&mut t.sock),
            ClientStream::Switching => None,
        }
    }

    /// Switch to TLS: `unsent` (plain text not yet written) goes out first,
    /// then the handshake answers the client's ClientHello.
    pub fn start_tls(
        &mut self,
        config: &Arc<ServerConfig>,
        peer: &str,
        unsent: Vec<u8>,
    ) -> io::Result<()> {
        let ClientStream::Plain(sock) = std::mem::replace(self, ClientStream::Switching) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "already in TLS mode",
            ));
        };
        let mut conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        conn.set_buffer_limit(Some(TLS_BUFFER_LIMIT));
        let mut tls = TlsStream {
            sock,
            conn,
            peer: peer.to_string(),
            raw_out: unsent,
            established: false,
        };
        let pushed = tls.push();
        *self = ClientStream::Tls(Box::new(tls));
        pushed
    }
}

impl TlsStream {
    /// Write what is pending on the socket: first leftover plain text, then
    /// TLS records. WouldBlock is not an error: the rest waits for the next
    /// writable event.
    fn push(&mut self) -> io::Result<()> {
        while !self.raw_out.is_empty() {
            match self.sock.write(&self.raw_out) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => {
                    self.raw_out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => return Ok(0),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // Tell the client why (an alert), then give up on it.
                let _ = self.push();
                if self.established {
                    log::warn!("TLS error from client {}: {}; disconnecting", self.peer, e);
                } else {
                    log::warn!(
                        "TLS handshake with client {} failed: {}; disconnecting",
                        self.peer,
                        e
                    );
                }
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if !self.established && !self.conn.is_handshaking() {
                self.established = true;
                let version = self
                    .conn
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default();
                let suite = self
                    .conn
                    .negotiated_cipher_suite()
                    .map(|c| format!("{:?}", c.suite()))
                    .unwrap_or_default();
                let client_cert = if self.conn.peer_certificates().is_some_and(|c| !c.is_empty()) {
                    ", verified client certificate"
                } else {
                    ""
                };
                log::info!(
                    "TLS session established with client {} ({version}, {suite}{client_cert})",
                    self.peer
                );
            }
            self.push()?;
        }
    }
}

impl Read for ClientStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ClientStream::Plain(s) => s.read(buf),
            ClientStream::Tls(t) => t.read_plain(buf),
            ClientStream::Switching => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }
}

impl Write for ClientStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ClientStream::Plain(s) => s.write(buf),
            ClientStream::Tls(t) => {
                let n = t.conn.writer().write(buf)?;
                t.push()?;
                if n == 0 && !buf.is_empty() {
                    // rustls' buffer is full: let the caller keep the rest.
                    return Err(io::Error::from(io::ErrorKind::WouldBlock));
                }
                Ok(n)
            }
            ClientStream::Switching => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ClientStream::Plain(_) | ClientStream::Switching => Ok(()),
            ClientStream::Tls(t) => t.push(),
        }
    }
}

impl mio::event::Source for ClientStream {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        match self.sock_mut() {
            Some(s) => s.register(registry, token, interests),
            None => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        match self.sock_mut() {
            Some(s) => s.reregister(registry, token, interests),
            None => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        match self.sock_mut() {
            Some(s) => s.deregister(registry),
            None => Ok(()),
        }
    }
}
