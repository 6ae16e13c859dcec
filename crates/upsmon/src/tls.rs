//! STARTTLS for upsmon's connections, as NUT's upsmon decides it:
//! STARTTLS is always tried; FORCESSL 1 refuses a server without TLS;
//! CERTVERIFY 1 checks the server's chain against CERTPATH and its name;
//! a `CERTHOST <host> <name> <verify> <force>` line overrides both for one
//! host (matched as written in MONITOR) and names the certificate to expect.

use std::path::PathBuf;

use nut_client::{Client, ClientError, StartTls, TlsClientConfig, TlsOptions};
use nut_conf::upsmon::{CertHost, UpsmonConf};
use nut_daemon::debugx;

/// The TLS part of upsmon.conf.
#[derive(Debug, Clone, Default)]
pub struct TlsPolicy {
    pub certpath: Option<PathBuf>,
    pub certverify: bool,
    pub forcessl: bool,
    pub certhosts: Vec<CertHost>,
    /// Our own certificate and key (PEM), for servers with CERTREQUEST.
    pub certfile: Option<PathBuf>,
}

/// What to do on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    pub verify: bool,
    pub force: bool,
    pub cert_name: Option<String>,
}

impl TlsPolicy {
    pub fn from_conf(conf: &UpsmonConf) -> TlsPolicy {
        TlsPolicy {
            certpath: conf.certpath.as_ref().map(PathBuf::from),
            certverify: conf.certverify,
            forcessl: conf.forcessl,
            certhosts: conf.certhosts.clone(),
            certfile: conf.certfile.as_ref().map(PathBuf::from),
        }
    }

    /// Say once, at start, what cannot be honoured.
    pub fn startup_warnings(conf: &UpsmonConf) -> Vec<String> {
        nut_client::tls::client_settings_warnings(
            conf.certident.is_some(),
            conf.certpath.as_deref().map(std::path::Path::new),
        )
    }

    /// The rule for `host`: its CERTHOST line, else the global settings.
    pub fn rule(&self, host: &str) -> HostRule {
        match self.certhosts.iter().find(|h| h.host == host) {
            Some(h) => HostRule {
                verify: h.verify,
                force: h.force_ssl,
                cert_name: Some(h.cert_name.clone()),
            },
            None => HostRule {
                verify: self.certverify,
                force: self.forcessl,
                cert_name: None,
            },
        }
    }

    /// Run STARTTLS on a fresh connection to `host` for UPS `sys`. Ok: the
    /// connection may be used (encrypted, or plain text where allowed).
    pub fn negotiate(&self, c: &mut Client, host: &str, sys: &str) -> Result<(), ClientError> {
        if self.certverify && self.certpath.is_none() {
            log::error!("UPS [{sys}]: Connection impossible, dropping link");
            return Err(ClientError::TlsConfig(
                "Configuration error: CERTVERIFY is set, but CERTPATH isn't".into(),
            ));
        }
        let rule = self.rule(host);
        let opts = TlsOptions {
            ca_path: self.certpath.clone(),
            verify: rule.verify,
            server_name: rule.cert_name.clone(),
            client_cert: self.certfile.clone(),
        };
        let config = TlsClientConfig::new(&opts).map_err(ClientError::TlsConfig)?;
        match c.starttls(&config)? {
            StartTls::Established { version, cipher } => {
                log::info!("Connected to {host} with TLS ({version}, {cipher})");
                if !rule.verify {
                    log::warn!("Certificate verification is disabled");
                }
                Ok(())
            }
            StartTls::Refused { line, .. } => {
                if rule.force {
                    log::error!("Can not connect to {host} with TLS (server said {line:?}, FORCESSL is set): disconnecting");
                    return Err(ClientError::SslUnavailable);
                }
                if rule.verify {
                    log::error!(
                        "Can not connect to {host} with TLS (server said {line:?}) and CERTVERIFY requires it: disconnecting"
                    );
                    return Err(ClientError::SslUnavailable);
                }
                debugx!(
                    3,
                    "Can not connect to {host} with TLS, continuing unencrypted"
                );
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certhost_overrides_the_globals_for_its_host_only() {
        let conf = nut_conf::upsmon::parse(
            b"MONITOR u@a 1 m p secondary\nCERTVERIFY 1\nFORCESSL 0\nCERTPATH /x\nCERTHOST b.example srv 0 1\n",
            std::path::Path::new("upsmon.conf"),
        );
        assert!(!conf.has_errors(), "{:?}", conf.diagnostics);
        let p = TlsPolicy::from_conf(&conf.value);
        assert_eq!(
            p.rule("a"),
            HostRule {
                verify: true,
                force: false,
                cert_name: None
            }
        );
        assert_eq!(
            p.rule("b.example"),
            HostRule {
                verify: false,
                force: true,
                cert_name: Some("srv".into())
            }
        );
        assert_eq!(
            p.rule("B.example"),
            HostRule {
                verify: true,
                force: false,
                cert_name: None
            }
        );
    }
}
