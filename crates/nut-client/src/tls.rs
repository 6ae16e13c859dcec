//! TLS for STARTTLS, on rustls with the `ring` provider.
//!
//! * PEM loading shared by the clients and upsd: certificate chains,
//!   private keys, and CA sets from one file or a directory of files.
//! * [`TlsOptions`] → [`TlsClientConfig`]: what upsmon.conf's CERTPATH,
//!   CERTVERIFY and CERTHOST (and upsc's "try, do not verify") ask for.
//!
//! NUT's Debian build keeps certificates in NSS databases; we read PEM
//! only, and say so (with the commands to export PEM) when a path turns
//! out to be an NSS database.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The crypto provider every TLS context of this workspace uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// True when `dir` looks like an NSS certificate database
/// (`cert9.db`/`cert8.db`), the format Debian's NUT uses.
pub fn is_nss_database(dir: &Path) -> bool {
    dir.is_dir() && (dir.join("cert9.db").is_file() || dir.join("cert8.db").is_file())
}

/// What to tell a user whose CERTPATH is an NSS database, for a client.
pub fn nss_ca_hint(dir: &Path) -> String {
    format!(
        "{} is an NSS certificate database, which this build does not read: export the CA \
         certificate as PEM (certutil -L -d sql:{} -n <CA nickname> -a > ca.pem) and point \
         CERTPATH at that file or at a directory of PEM files",
        dir.display(),
        dir.display()
    )
}

/// What a client's TLS settings (upsmon.conf) ask for that this build
/// cannot do: a `CERTIDENT` (a certificate in an NSS database) and a
/// `CERTPATH` that is an NSS database. upsmon says these once at start;
/// nut-check reports them too.
pub fn client_settings_warnings(certident_set: bool, certpath: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    if certident_set {
        out.push(
            "CERTIDENT is ignored: it names a client certificate in an NSS database, which this upsmon \
             does not read; put the certificate and key in one PEM file and name it with CERTFILE"
                .to_string(),
        );
    }
    if let Some(dir) = certpath {
        if is_nss_database(dir) && load_ca_path(dir).is_err() {
            out.push(nss_ca_hint(dir));
        }
    }
    out
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| {
        format!(
            "Can't read {}: {}",
            path.display(),
            crate::error::io_error_text(&e)
        )
    })
}

/// Every certificate in one PEM file, in file order.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: bad PEM certificate: {e}", path.display()))?;
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 RSA or SEC1 EC) in one PEM file.
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            format!(
                "{}: no private key found (expected a PEM PRIVATE KEY block)",
                path.display()
            )
        }
        e => format!("{}: bad PEM private key: {e}", path.display()),
    })
}

fn looks_like_pem_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".pem")
        || name.ends_with(".crt")
        || name.ends_with(".cer")
        || name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_digit()))
}

/// CA certificates from a PEM file, or from every `*.pem`, `*.crt`, `*.cer`
/// and OpenSSL-hashed `*.N` file of a directory. An empty result is an error.
pub fn load_ca_path(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| {
            format!(
                "Can't read {}: {}",
                path.display(),
                crate::error::io_error_text(&e)
            )
        })?;
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.is_file() && looks_like_pem_name(f))
        {
            certs.extend(load_certs(f)?);
        }
        if certs.is_empty() {
            if is_nss_database(path) {
                return Err(nss_ca_hint(path));
            }
            return Err(format!(
                "{}: no PEM certificates (*.pem, *.crt) in this directory",
                path.display()
            ));
        }
    } else {
        certs = load_certs(path)?;
        if certs.is_empty() {
            return Err(format!(
                "{}: no PEM certificate in this file",
                path.display()
            ));
        }
    }
    Ok(certs)
}

/// A root store from [`load_ca_path`]; certificates it cannot use are an error.
pub fn root_store(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_ca_path(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: unusable CA certificate: {e}", path.display()))?;
    }
    Ok(roots)
}

/// How a client sets up TLS after `OK STARTTLS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// CA certificates (PEM file or directory): upsmon.conf CERTPATH.
    pub ca_path: Option<PathBuf>,
    /// Check the server's chain against `ca_path` and its name.
    pub verify: bool,
    /// Name the certificate must carry instead of the host name
    /// (upsmon.conf CERTHOST's certificate name).
    pub server_name: Option<String>,
    /// Our own certificate chain and key (one PEM file), for servers that
    /// ask for client certificates.
    pub client_cert: Option<PathBuf>,
}

/// A ready client TLS context.
#[derive(Debug, Clone)]
pub struct TlsClientConfig {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: Option<String>,
    pub(crate) verify: bool,
}

impl TlsClientConfig {
    /// Build the context; Err explains what is wrong with the files.
    pub fn new(opts: &TlsOptions) -> Result<TlsClientConfig, String> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let builder = if opts.verify {
            let Some(ca) = &opts.ca_path else {
                return Err(
                    "Configuration error: CERTVERIFY is set, but CERTPATH isn't".to_string()
                );
            };
            builder.with_root_certificates(root_store(ca)?)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        };
        let config = match &opts.client_cert {
            Some(file) => {
                let chain = load_certs(file)?;
                if chain.is_empty() {
                    return Err(format!(
                        "{}: no PEM certificate in this file",
                        file.display()
                    ));
                }
                let key = load_private_key(file)?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!(
                        "{}: certificate and key do not go together: {e}",
                        file.display()
                    )
                })?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(TlsClientConfig {
            config: Arc::new(config),
            server_name: opts.server_name.clone(),
            verify: opts.verify,
        })
    }

    /// Encrypt but check nothing (what NUT's upsc does: it has no CA).
    pub fn unverified() -> TlsClientConfig {
        TlsClientConfig::new(&TlsOptions::default()).expect("a context without files cannot fail")
    }

    /// Whether the server's certificate is checked.
    pub fn verifies(&self) -> bool {
        self.verify
    }

    pub(crate) fn name_for(&self, host: &str) -> Result<ServerName<'static>, String> {
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(name.to_string())
            .map_err(|_| format!("{name:?} is not a valid host name for TLS"))
    }
}

/// CERTVERIFY 0: the session is encrypted, the peer is not authenticated.
/// Handshake signatures are still checked, so the key matches the
/// certificate that was sent.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nut-client-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn nss_database_gets_the_export_hint() {
        let d = tempdir("nss");
        std::fs::write(d.join("cert9.db"), b"").unwrap();
        std::fs::write(d.join("key4.db"), b"").unwrap();
        assert!(is_nss_database(&d));
        let e = load_ca_path(&d).unwrap_err();
        assert!(e.contains("NSS certificate database") && e.contains("certutil -L"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn empty_or_missing_ca_paths_are_errors_naming_the_path() {
        let d = tempdir("empty");
        std::fs::write(d.join("README"), b"not a certificate").unwrap();
        let e = load_ca_path(&d).unwrap_err();
        assert!(e.contains("no PEM certificates") && e.contains(&d.display().to_string()), "{e}");
        let f = d.join("ca.pem");
        std::fs::write(&f, b"# nothing here\n").unwrap();
        assert!(load_ca_path(&f).unwrap_err().contains("no PEM certificate"));
        assert!(load_ca_path(&d.join("absent.pem")).unwrap_err().starts_with("Can't read "));
        assert!(load_private_key(&f).unwrap_err().contains("no private key found"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn verify_without_ca_is_the_nut_configuration_error() {
        let e = TlsClientConfig::new(&TlsOptions { verify: true, ..TlsOptions::default() }).unwrap_err();
        assert_eq!(e, "Configuration error: CERTVERIFY is set, but CERTPATH isn't");
        assert!(!TlsClientConfig::unverified().verifies());
    }

    #[test]
    fn server_names_accept_hosts_and_addresses() {
        let c = TlsClientConfig::unverified();
        assert!(c.name_for("localhost").is_ok());
        assert!(c.name_for("127.0.0.1").is_ok());
        assert!(c.name_for("[::1]").is_ok());
        assert!(c.name_for("bad name!").is_err());
    }
}
