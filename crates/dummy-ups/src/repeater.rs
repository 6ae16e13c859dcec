//! Repeater mode (`port = ups@host[:port]`): every update lists the remote
//! UPS's variables and mirrors them (except `driver.*`) with dummy-ups'
//! flag table. A failed poll disconnects; the next update reconnects. As
//! in NUT 2.8.0 the data is not marked stale meanwhile, and SET and
//! INSTCMD are not forwarded.

use std::time::Duration;

use nut_client::Client;
use nut_driver::{Ctx, DriverError};
use nut_proto::UpsSpec;

/// Connection to the upstream upsd.
#[derive(Debug)]
pub struct Repeater {
    spec: UpsSpec,
    ups: String,
    client: Option<Client>,
}

const IO_TIMEOUT: Duration = Duration::from_secs(5);

impl Repeater {
    /// Parse `port` and connect; failure is fatal at start-up, as in NUT.
    pub fn connect(port: &str) -> Result<Repeater, DriverError> {
        let spec = UpsSpec::parse(port).map_err(|e| DriverError::fatal(format!("Error: {e}")))?;
        let ups = spec.ups.clone().ok_or_else(|| DriverError::fatal(format!("Error: no UPS name in '{port}'")))?;
        let mut rep = Repeater { spec, ups, client: None };
        rep.client = Some(rep.open().map_err(|e| DriverError::fatal(format!("Error: {e}")))?);
        Ok(rep)
    }

    fn open(&self) -> Result<Client, nut_client::ClientError> {
        let mut c = Client::connect_spec(&self.spec)?;
        let _ = c.set_io_timeout(Some(IO_TIMEOUT));
        // As NUT's repeater: encrypt when the server offers TLS (without
        // checking its certificate), plain text otherwise.
        c.starttls(&nut_client::TlsClientConfig::unverified())?;
        Ok(c)
    }

    /// The first poll, at start-up: a failure is fatal, as in NUT.
    pub fn first_update(&mut self, ctx: &mut Ctx) -> Result<(), DriverError> {
        let Some(client) = self.client.as_mut() else {
            return Err(DriverError::fatal("Error: not connected"));
        };
        let vars = client.list_vars(&self.ups).map_err(|e| DriverError::fatal(format!("Error: {e}")))?;
        mirror(ctx, vars);
        Ok(())
    }

    /// Mirror the remote variables once.
    pub fn update(&mut self, ctx: &mut Ctx) {
        if self.client.is_none() {
            match self.open() {
                Ok(c) => self.client = Some(c),
                Err(e) => {
                    nut_daemon::debugx!(1, "repeater: reconnect to {} failed: {e}", self.spec.host);
                    return;
                }
            }
        }
        let Some(client) = self.client.as_mut() else { return };
        match client.list_vars(&self.ups) {
            Ok(vars) => mirror(ctx, vars),
            Err(e) => {
                log::warn!("repeater: polling {}@{} failed: {e}", self.ups, self.spec.host);
                self.client = None;
            }
        }
    }
}

/// Copy every variable but the remote driver's own (`driver.*`).
fn mirror(ctx: &mut Ctx, vars: Vec<(String, String)>) {
    for (var, value) in vars {
        if !var.starts_with("driver.") {
            crate::set_with_flags(ctx, &var, &value);
        }
    }
}
