//! upsd's protocol logic as a state machine without sockets.
//!
//! The event loop feeds it what happened (a client line, a driver line, a
//! driver that connected or went away, the clock) and performs the
//! [`Action`]s it returns. Everything NUT clients can observe is decided
//! here, so it is tested with a fake clock and no I/O.

use nut_proto::errcode::ErrCode;
use nut_proto::net::{self, GetQuery, ListQuery, Request};
use nut_proto::sock::{CmdResult, DriverMsg, ServerMsg};
use nut_proto::state::StateTable;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// A client connection, as numbered by the event loop.
pub type ClientId = u64;

/// Clients not heard from for longer than this are dropped.
pub const CLIENT_IDLE: Duration = Duration::from_secs(60);
/// Deadlines are compared with `>`; waking this much later makes the
/// comparison true at the first wake-up.
const DEADLINE_SLACK: Duration = Duration::from_millis(5);
/// A driver that keeps sending garbage is logged at most this often.
pub const GARBAGE_LOG_EVERY: Duration = Duration::from_secs(60);

/// How loud a log line is (maps to NUT's upslogx levels / upsdebugx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug(u8),
}

/// What the event loop must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Queue bytes for a client.
    Send { client: ClientId, data: String },
    /// Queue a line for the driver of a UPS (by configured name).
    SendDriver { ups: String, data: String },
    /// Close a client once what is queued for it has been written.
    Close { client: ClientId },
    /// Drop the connection to a UPS's driver (it was removed on reload).
    DropDriver { ups: String },
    /// Write a log line.
    Log { level: Level, text: String },
    /// Switch a client to TLS: everything queued before this action goes
    /// out in plain text, the TLS handshake follows on the same socket.
    StartTls { client: ClientId },
}

/// The settings upsd.conf gives the protocol logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Seconds without news from a driver before its data is stale.
    pub maxage: u64,
    /// Seconds a tracking result is kept.
    pub tracking_delay: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { maxage: 15, tracking_delay: 3600 }
    }
}

/// One `[section]` of ups.conf as upsd uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsConfig {
    pub name: String,
    pub driver: String,
    pub desc: Option<String>,
}

impl UpsConfig {
    /// The driver socket's file name in STATEPATH: `<driver>-<ups>`.
    pub fn socket_name(&self) -> String {
        format!("{}-{}", self.driver, self.name)
    }
}

/// What a user asks to do; checked against upsd.users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    Login,
    Primary,
    Fsd,
    Set,
    InstCmd(&'a str),
}

/// upsd.users, as the protocol logic sees it.
pub trait UserDb {
    /// True when `user` exists, `password` is its password, and it may do
    /// `what`.
    fn allows(&self, user: &str, password: &str, what: Permission<'_>) -> bool;
}

/// No users at all (upsd.users missing).
#[derive(Debug, Default)]
pub struct NoUsers;

impl UserDb for NoUsers {
    fn allows(&self, _: &str, _: &str, _: Permission<'_>) -> bool {
        false
    }
}

/// Texts from cmdvartab, keyed by lower-case name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptions {
    pub vars: HashMap<String, String>,
    pub cmds: HashMap<String, String>,
}

impl Descriptions {
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
    pub fn cmd(&self, name: &str) -> Option<&str> {
        self.cmds.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// upsd's view of one UPS.
#[derive(Debug)]
pub struct Ups {
    pub config: UpsConfig,
    pub table: StateTable,
    pub connected: bool,
    pub dumpdone: bool,
    /// False after the driver said DATASTALE, true after DATAOK.
    pub data_ok: bool,
    /// What clients see: true makes them get `ERR DATA-STALE`.
    pub stale: bool,
    /// Set by `FSD`; kept until upsd exits or the UPS is removed.
    pub fsd: bool,
    pub numlogins: usize,
    pub last_heard: Instant,
    pub last_ping: Option<Instant>,
    last_garbage_log: Option<Instant>,
}

impl Ups {
    fn new(config: UpsConfig, now: Instant) -> Ups {
        Ups {
            config,
            table: StateTable::new(),
            connected: false,
            dumpdone: false,
            data_ok: true,
            stale: false,
            fsd: false,
            numlogins: 0,
            last_heard: now,
            last_ping: None,
            last_garbage_log: None,
        }
    }

    pub fn available(&self) -> Result<(), ErrCode> {
        if !self.connected {
            Err(ErrCode::DriverNotConnected)
        } else if self.stale {
            Err(ErrCode::DataStale)
        } else {
            Ok(())
        }
    }

    /// The value clients see: `ups.status` gets `FSD ` in front while the
    /// FSD latch is set.
    pub fn shown_value<'a>(&self, name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
        if self.fsd && name.eq_ignore_ascii_case("ups.status") {
            std::borrow::Cow::Owned(format!("FSD {value}"))
        } else {
            std::borrow::Cow::Borrowed(value)
        }
    }
}

/// One client connection's session.
#[derive(Debug)]
pub struct Session {
    pub addr: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Configured name of the UPS this connection did LOGIN to.
    pub login: Option<String>,
    pub tracking: bool,
    pub last_heard: Instant,
    pub closing: bool,
    /// The client said STARTTLS and was told `OK STARTTLS`.
    pub tls: bool,
}

#[derive(Debug)]
struct Tracked {
    status: Option<CmdResult>,
    created: Instant,
}

/// Small deterministic generator for tracking ids (splitmix64). Seeded
/// from /dev/urandom by the daemon, from a constant in tests.
#[derive(Debug, Clone)]
pub struct IdGen(u64);

impl IdGen {
    pub fn new(seed: u64) -> IdGen {
        IdGen(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A random (version 4) UUID in upper-case text, as NUT prints them.
    pub fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}

/// The whole protocol state of upsd.
pub struct Server {
    pub settings: Settings,
    ups: Vec<Ups>,
    users: Box<dyn UserDb>,
    descs: Descriptions,
    clients: BTreeMap<ClientId, Session>,
    tracking: HashMap<String, Tracked>,
    ids: IdGen,
    /// Earliest idle timeout or tracking purge, as of the last [`Server::tick`].
    /// Client activity and new entries only move these later, so this stays
    /// a safe (possibly early) bound until the next tick.
    tick_bound: Option<Instant>,
    /// A certificate is loaded, so STARTTLS can be honoured.
    tls_available: bool,
}

struct Out {
    actions: Vec<Action>,
}

impl Out {
    fn log(&mut self, level: Level, text: impl Into<String>) {
        self.actions.push(Action::Log { level, text: text.into() });
    }
}

impl Server {
    pub fn new(
        settings: Settings,
        ups: Vec<UpsConfig>,
        users: Box<dyn UserDb>,
        descs: Descriptions,
        ids: IdGen,
        now: Instant,
    ) -> Server {
        Server {
            settings,
            ups: ups.into_iter().map(|c| Ups::new(c, now)).collect(),
            users,
            descs,
            clients: BTreeMap::new(),
            tracking: HashMap::new(),
            ids,
            tick_bound: Some(now),
            tls_available: false,
        }
    }

    /// Whether STARTTLS is answered `OK STARTTLS` (a certificate was
    /// loaded) or `ERR FEATURE-NOT-CONFIGURED`.
    pub fn set_tls_available(&mut self, available: bool) {
        self.tls_available = available;
    }

    /// UPSes in ups.conf order.
    pub fn ups_list(&self) -> &[Ups] {
        &self.ups
    }

    /// cmdvartab texts.
    pub fn descriptions(&self) -> &Descriptions {
        &self.descs
    }

    pub fn ups(&self, name: &str) -> Option<&Ups> {
        self.ups.iter().find(|u| u.config.name.eq_ignore_ascii_case(name))
    }

    fn ups_index(&self, name: &str) -> Option<usize> {
        self.ups.iter().position(|u| u.config.name.eq_ignore_ascii_case(name))
    }

    pub fn session(&self, client: ClientId) -> Option<&Session> {
        self.clients.get(&client)
    }

    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    // -------------------------------------------------------------- clients

    /// A client connected from `addr` (an IP address in text form).
    pub fn client_connected(&mut self, client: ClientId, addr: &str, now: Instant) -> Vec<Action> {
        self.clients.insert(
            client,
            Session {
                addr: addr.to_string(),
                username: None,
                password: None,
                login: None,
                tracking: false,
                last_heard: now,
                closing: false,
                tls: false,
            },
        );
        vec![Action::Log { level: Level::Debug(1), text: format!("Connect from {addr}") }]
    }

    /// A client went away (EOF, error, or after we closed it).
    pub fn client_gone(&mut self, client: ClientId) -> Vec<Action> {
        let mut out = Out { actions: Vec::new() };
        if let Some(session) = self.clients.remove(&client) {
            if let Some(login) = &session.login {
                if let Some(i) = self.ups_index(login) {
                    self.ups[i].numlogins = self.ups[i].numlogins.saturating_sub(1);
                }
            }
            out.log(Level::Debug(1), format!("Disconnect from {}", session.addr));
        }
        out.actions
    }

    /// A line from a client that the lexer rejected: NUT answers nothing.
    pub fn client_bad_line(&mut self, client: ClientId, now: Instant) -> Vec<Action> {
        if let Some(s) = self.clients.get_mut(&client) {
            s.last_heard = now;
        }
        Vec::new()
    }

    /// One request line (already split into words) from a client.
    pub fn handle_client_line<S: AsRef<str>>(&mut self, client: ClientId, words: &[S], now: Instant) -> Vec<Action> {
        let mut reply = String::new();
        let mut actions = self.answer_client_line(client, words, now, &mut reply);
        if !reply.is_empty() {
            actions.insert(0, Action::Send { client, data: reply });
        }
        actions
    }

    /// Like [`Server::handle_client_line`], but the reply to the client is
    /// written into `reply`, which must be empty (it is to be sent before
    /// the returned actions are performed), instead of being returned as an
    /// [`Action::Send`]. The event loop answers from one reused buffer.
    pub fn answer_client_line<S: AsRef<str>>(
        &mut self,
        client: ClientId,
        words: &[S],
        now: Instant,
        reply: &mut String,
    ) -> Vec<Action> {
        let mut out = Out { actions: Vec::new() };
        let Some(session) = self.clients.get_mut(&client) else {
            return out.actions;
        };
        if session.closing {
            return out.actions;
        }
        session.last_heard = now;
        self.dispatch(client, words, now, reply, &mut out);
        out.actions
    }

    fn dispatch<S: AsRef<str>>(&mut self, client: ClientId, words: &[S], now: Instant, reply: &mut String, out: &mut Out) {
        let cmd = words.first().and_then(|w| net::Command::from_word(w.as_ref()));
        let Some(cmd) = cmd else {
            net::err_line(reply, ErrCode::UnknownCommand);
            return;
        };
        if cmd.needs_user() {
            let session = &self.clients[&client];
            if session.username.is_none() {
                return net::err_line(reply, ErrCode::UsernameRequired);
            }
            if session.password.is_none() {
                return net::err_line(reply, ErrCode::PasswordRequired);
            }
        }
        let req = match Request::parse(words) {
            Ok(req) => req,
            Err(code) => return net::err_line(reply, code),
        };
        match req {
            Request::Ver => net::text_line(reply, net::SERVER_INFO),
            Request::NetVer | Request::ProtVer => net::text_line(reply, net::PROTOCOL_VERSION),
            Request::Help => net::text_line(reply, net::HELP_TEXT),
            Request::StartTls => {
                let session = self.clients.get_mut(&client).expect("session exists");
                if session.tls {
                    return net::err_line(reply, ErrCode::AlreadySslMode);
                }
                if !self.tls_available {
                    return net::err_line(reply, ErrCode::FeatureNotConfigured);
                }
                session.tls = true;
                net::text_line(reply, "OK STARTTLS");
                out.actions.push(Action::StartTls { client });
            }
            Request::Logout => {
                let session = self.clients.get_mut(&client).expect("session exists");
                if let Some(login) = &session.login {
                    out.log(
                        Level::Info,
                        format!(
                            "User {}@{} logged out from UPS [{}]",
                            session.username.as_deref().unwrap_or(""),
                            session.addr,
                            login
                        ),
                    );
                }
                session.closing = true;
                net::text_line(reply, "OK Goodbye");
                out.actions.push(Action::Close { client });
            }
            Request::Username(name) => {
                let session = self.clients.get_mut(&client).expect("session exists");
                if session.username.is_some() {
                    return net::err_line(reply, ErrCode::AlreadySetUsername);
                }
                session.username = Some(name);
                net::text_line(reply, "OK");
            }
            Request::Password(pw) => {
                let session = self.clients.get_mut(&client).expect("session exists");
                if session.password.is_some() {
                    return net::err_line(reply, ErrCode::AlreadySetPassword);
                }
                session.password = Some(pw);
                net::text_line(reply, "OK");
            }
            Request::Login { ups } => self.login(client, &ups, reply, out),
            Request::Primary { ups, legacy } => {
                if self.ups_index(&ups).is_none() {
                    return net::err_line(reply, ErrCode::UnknownUps);
                }
                if !self.allowed(client, Permission::Primary) {
                    return net::err_line(reply, ErrCode::AccessDenied);
                }
                net::text_line(reply, if legacy { "OK MASTER-GRANTED" } else { "OK PRIMARY-GRANTED" });
            }
            Request::Fsd { ups } => {
                let Some(i) = self.ups_index(&ups) else {
                    return net::err_line(reply, ErrCode::UnknownUps);
                };
                if !self.allowed(client, Permission::Fsd) {
                    return net::err_line(reply, ErrCode::AccessDenied);
                }
                let s = &self.clients[&client];
                out.log(
                    Level::Info,
                    format!(
                        "Client {}@{} set FSD on UPS [{}]",
                        s.username.as_deref().unwrap_or(""),
                        s.addr,
                        self.ups[i].config.name
                    ),
                );
                self.ups[i].fsd = true;
                net::text_line(reply, "OK FSD-SET");
            }
            Request::SetTracking { on } => {
                self.clients.get_mut(&client).expect("session exists").tracking = on;
                net::text_line(reply, "OK");
            }
            Request::SetVar { ups, var, value } => self.set_var(client, &ups, &var, &value, now, reply, out),
            Request::InstCmd { ups, cmd, param } => {
                self.instcmd(client, &ups, &cmd, param.as_deref(), now, reply, out)
            }
            Request::Get(query) => self.get(client, &query, reply),
            Request::List(query) => self.list(&query, reply),
        }
    }

    fn allowed(&self, client: ClientId, what: Permission<'_>) -> bool {
        let s = &self.clients[&client];
        match (&s.username, &s.password) {
            (Some(u), Some(p)) => self.users.allows(u, p, what),
            _ => false,
        }
    }

    fn login(&mut self, client: ClientId, ups: &str, reply: &mut String, out: &mut Out) {
        if self.clients[&client].login.is_some() {
            return net::err_line(reply, ErrCode::AlreadyLoggedIn);
        }
        let Some(i) = self.ups_index(ups) else {
            return net::err_line(reply, ErrCode::UnknownUps);
        };
        if !self.allowed(client, Permission::Login) {
            return net::err_line(reply, ErrCode::AccessDenied);
        }
        let name = self.ups[i].config.name.clone();
        self.ups[i].numlogins += 1;
        let s = self.clients.get_mut(&client).expect("session exists");
        out.log(
            Level::Info,
            format!("User {}@{} logged into UPS [{}]", s.username.as_deref().unwrap_or(""), s.addr, name),
        );
        s.login = Some(name);
        net::text_line(reply, "OK");
    }

    fn new_tracking(&mut self, client: ClientId, now: Instant) -> Option<String> {
        if !self.clients[&client].tracking {
            return None;
        }
        let id = self.ids.uuid();
        self.tracking.insert(id.clone(), Tracked { status: None, created: now });
        Some(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn set_var(&mut self, client: ClientId, ups: &str, var: &str, value: &str, now: Instant, reply: &mut String, out: &mut Out) {
        let Some(i) = self.ups_index(ups) else {
            return net::err_line(reply, ErrCode::UnknownUps);
        };
        if let Err(code) = self.ups[i].available() {
            return net::err_line(reply, code);
        }
        if !self.allowed(client, Permission::Set) {
            return net::err_line(reply, ErrCode::AccessDenied);
        }
        let Some(v) = self.ups[i].table.get(var) else {
            return net::err_line(reply, ErrCode::VarNotSupported);
        };
        if !v.flags.rw {
            return net::err_line(reply, ErrCode::Readonly);
        }
        if v.flags.string {
            if v.aux < 1 {
                return net::err_line(reply, ErrCode::SetFailed);
            }
            if value.len() > v.aux {
                return net::err_line(reply, ErrCode::TooLong);
            }
        }
        if !v.enums.is_empty() && !v.enums.iter().any(|e| e == value) {
            return net::err_line(reply, ErrCode::InvalidValue);
        }
        if !v.ranges.is_empty() {
            let n = c_atoi(value);
            if !v.ranges.iter().any(|r| n >= r.min && n <= r.max) {
                return net::err_line(reply, ErrCode::InvalidValue);
            }
        }
        let stored = v.name.clone();
        let ups_name = self.ups[i].config.name.clone();
        let id = self.new_tracking(client, now);
        let s = &self.clients[&client];
        out.log(
            Level::Info,
            format!(
                "Set variable: {}@{} set {} on {} to {} (tracking ID: {})",
                s.username.as_deref().unwrap_or(""),
                s.addr,
                var,
                ups_name,
                value,
                id.as_deref().unwrap_or("disabled")
            ),
        );
        let msg = ServerMsg::Set { var: stored, value: value.to_string(), tracking: id.clone() };
        out.actions.push(Action::SendDriver { ups: ups_name, data: msg.render() });
        net::ok_tracking_line(reply, id.as_deref());
    }

    #[allow(clippy::too_many_arguments)]
    fn instcmd(
        &mut self,
        client: ClientId,
        ups: &str,
        cmd: &str,
        param: Option<&str>,
        now: Instant,
        reply: &mut String,
        out: &mut Out,
    ) {
        let Some(i) = self.ups_index(ups) else {
            return net::err_line(reply, ErrCode::UnknownUps);
        };
        if let Err(code) = self.ups[i].available() {
            return net::err_line(reply, code);
        }
        if !self.ups[i].table.has_cmd(cmd) {
            return net::err_line(reply, ErrCode::CmdNotSupported);
        }
        if !self.allowed(client, Permission::InstCmd(cmd)) {
            return net::err_line(reply, ErrCode::AccessDenied);
        }
        let ups_name = self.ups[i].config.name.clone();
        let id = self.new_tracking(client, now);
        let s = &self.clients[&client];
        let with = param.map(|p| format!(" with value {p}")).unwrap_or_default();
        out.log(
            Level::Info,
            format!(
                "Instant command: {}@{} did {}{} on {} (tracking ID: {})",
                s.username.as_deref().unwrap_or(""),
                s.addr,
                cmd,
                with,
                ups_name,
                id.as_deref().unwrap_or("disabled")
            ),
        );
        let msg = ServerMsg::InstCmd { cmd: cmd.to_string(), param: param.map(str::to_string), tracking: id.clone() };
        out.actions.push(Action::SendDriver { ups: ups_name, data: msg.render() });
        net::ok_tracking_line(reply, id.as_deref());
    }

    fn get(&self, client: ClientId, query: &GetQuery, reply: &mut String) {
        // Looks up the UPS; with `check`, also requires fresh data.
        let find = |ups: &str, check: bool| -> Result<&Ups, ErrCode> {
            let u = self.ups(ups).ok_or(ErrCode::UnknownUps)?;
            if check {
                u.available()?;
            }
            Ok(u)
        };
        let result = (|| -> Result<(), ErrCode> {
            match query {
                GetQuery::Tracking { id: None } => {
                    net::text_line(reply, if self.clients[&client].tracking { "ON" } else { "OFF" });
                }
                GetQuery::Tracking { id: Some(id) } => {
                    if !self.clients[&client].tracking {
                        return Err(ErrCode::FeatureNotConfigured);
                    }
                    match self.tracking.get(id) {
                        None => return Err(ErrCode::Unknown),
                        Some(Tracked { status: None, .. }) => net::text_line(reply, "PENDING"),
                        Some(Tracked { status: Some(r), .. }) => net::text_line(reply, r.tracking_status()),
                    }
                }
                GetQuery::UpsDesc { ups } => {
                    let u = find(ups, false)?;
                    let desc = u.config.desc.as_deref().unwrap_or(net::NO_DESC_GET);
                    net::value_line(reply, "UPSDESC", &[ups], desc);
                }
                GetQuery::NumLogins { ups } => {
                    let u = find(ups, true)?;
                    net::words_line(reply, &["NUMLOGINS", ups, &u.numlogins.to_string()]);
                }
                GetQuery::Var { ups, var } => {
                    if var.len() >= 7 && var[..7].eq_ignore_ascii_case("server.") {
                        let (name, value) = if var.eq_ignore_ascii_case("server.info") {
                            ("server.info", net::SERVER_INFO)
                        } else if var.eq_ignore_ascii_case("server.version") {
                            ("server.version", net::SERVER_VERSION)
                        } else {
                            return Err(ErrCode::VarNotSupported);
                        };
                        net::value_line(reply, "VAR", &[ups, name], value);
                        return Ok(());
                    }
                    let u = find(ups, true)?;
                    let v = u.table.get(var).ok_or(ErrCode::VarNotSupported)?;
                    net::value_line(reply, "VAR", &[ups, var], &u.shown_value(var, &v.value));
                }
                GetQuery::Type { ups, var } => {
                    let u = find(ups, true)?;
                    let v = u.table.get(var).ok_or(ErrCode::VarNotSupported)?;
                    net::words_line(reply, &["TYPE", ups, var, &v.type_words()]);
                }
                GetQuery::Desc { ups, var } => {
                    find(ups, true)?;
                    let text = self.descs.var(var).unwrap_or(net::NO_VAR_DESC);
                    net::desc_line(reply, "DESC", ups, var, text);
                }
                GetQuery::CmdDesc { ups, cmd } => {
                    find(ups, true)?;
                    let text = self.descs.cmd(cmd).unwrap_or(net::NO_VAR_DESC);
                    net::desc_line(reply, "CMDDESC", ups, cmd, text);
                }
            }
            Ok(())
        })();
        if let Err(code) = result {
            reply.clear();
            net::err_line(reply, code);
        }
    }

    fn list(&self, query: &ListQuery, reply: &mut String) {
        let result = (|| -> Result<(), ErrCode> {
            let mut body = String::new();
            match query {
                ListQuery::Ups => {
                    for u in &self.ups {
                        let desc = u.config.desc.as_deref().unwrap_or(net::NO_DESC_LIST);
                        net::value_line(&mut body, "UPS", &[&u.config.name], desc);
                    }
                }
                ListQuery::Client { ups } => {
                    let u = self.ups(ups).ok_or(ErrCode::UnknownUps)?;
                    for s in self.clients.values().rev() {
                        if s.login.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(&u.config.name)) {
                            net::words_line(&mut body, &["CLIENT", &u.config.name, &s.addr]);
                        }
                    }
                }
                ListQuery::Var { ups } | ListQuery::Rw { ups } => {
                    let u = self.ups(ups).ok_or(ErrCode::UnknownUps)?;
                    u.available()?;
                    let rw = matches!(query, ListQuery::Rw { .. });
                    for v in u.table.vars() {
                        if rw {
                            if v.flags.rw {
                                net::value_line(&mut body, "RW", &[ups, &v.name], &v.value);
                            }
                        } else {
                            net::value_line(&mut body, "VAR", &[ups, &v.name], &u.shown_value(&v.name, &v.value));
                        }
                    }
                }
                ListQuery::Cmd { ups } => {
                    let u = self.ups(ups).ok_or(ErrCode::UnknownUps)?;
                    u.available()?;
                    for c in u.table.cmds() {
                        net::words_line(&mut body, &["CMD", ups, c]);
                    }
                }
                ListQuery::Enum { ups, var } | ListQuery::Range { ups, var } => {
                    let u = self.ups(ups).ok_or(ErrCode::UnknownUps)?;
                    u.available()?;
                    let v = u.table.get(var).ok_or(ErrCode::VarNotSupported)?;
                    if matches!(query, ListQuery::Enum { .. }) {
                        for e in &v.enums {
                            net::value_line(&mut body, "ENUM", &[ups, var], e);
                        }
                    } else {
                        for r in &v.ranges {
                            net::range_line(&mut body, ups, var, r.min, r.max);
                        }
                    }
                }
            }
            net::begin_list(reply, query);
            reply.push_str(&body);
            net::end_list(reply, query);
            Ok(())
        })();
        if let Err(code) = result {
            reply.clear();
            net::err_line(reply, code);
        }
    }

    // -------------------------------------------------------------- drivers

    /// The event loop connected to a UPS's driver socket.
    pub fn driver_connected(&mut self, ups: &str, now: Instant) -> Vec<Action> {
        let Some(i) = self.ups_index(ups) else { return Vec::new() };
        let u = &mut self.ups[i];
        u.connected = true;
        u.table.clear();
        u.table.set_info("ups.status", "WAIT");
        u.dumpdone = false;
        u.data_ok = true;
        u.stale = false;
        u.last_heard = now;
        u.last_ping = None;
        vec![
            Action::Log {
                level: Level::Info,
                text: format!("Connected to UPS [{}]: {}", u.config.name, u.config.socket_name()),
            },
            Action::SendDriver { ups: u.config.name.clone(), data: ServerMsg::DumpAll.render() },
        ]
    }

    /// The driver connection broke (EOF, read or write error).
    pub fn driver_disconnected(&mut self, ups: &str) -> Vec<Action> {
        let Some(i) = self.ups_index(ups) else { return Vec::new() };
        let u = &mut self.ups[i];
        if !u.connected {
            return Vec::new();
        }
        u.connected = false;
        u.table.clear();
        u.dumpdone = false;
        u.stale = false;
        vec![Action::Log {
            level: Level::Warn,
            text: format!("Driver for UPS [{}] disconnected: {}", u.config.name, u.config.socket_name()),
        }]
    }

    /// One line from a driver. Garbage is logged (rate-limited) and ignored.
    pub fn handle_driver_line<S: AsRef<str>>(&mut self, ups: &str, words: &[S], now: Instant) -> Vec<Action> {
        let Some(i) = self.ups_index(ups) else { return Vec::new() };
        if words.is_empty() {
            return Vec::new();
        }
        match DriverMsg::parse(words) {
            Ok(msg) => self.handle_driver_msg(i, msg, now),
            Err(err) => self.driver_garbage(i, &err.to_string(), now),
        }
    }

    /// A driver line the lexer could not split.
    pub fn driver_bad_line(&mut self, ups: &str, why: &str, now: Instant) -> Vec<Action> {
        match self.ups_index(ups) {
            Some(i) => self.driver_garbage(i, why, now),
            None => Vec::new(),
        }
    }

    fn driver_garbage(&mut self, i: usize, why: &str, now: Instant) -> Vec<Action> {
        let u = &mut self.ups[i];
        let due = u.last_garbage_log.map_or(true, |t| now.duration_since(t) >= GARBAGE_LOG_EVERY);
        if !due {
            return Vec::new();
        }
        u.last_garbage_log = Some(now);
        vec![Action::Log { level: Level::Warn, text: format!("UPS [{}]: {}", u.config.name, why) }]
    }

    fn handle_driver_msg(&mut self, i: usize, msg: DriverMsg, now: Instant) -> Vec<Action> {
        let mut out = Out { actions: Vec::new() };
        let u = &mut self.ups[i];
        u.last_heard = now;
        match &msg {
            DriverMsg::DumpDone => u.dumpdone = true,
            DriverMsg::DataOk => u.data_ok = true,
            DriverMsg::DataStale => u.data_ok = false,
            DriverMsg::Tracking { id, result } => {
                if let Some(t) = self.tracking.get_mut(id) {
                    t.status = Some(CmdResult::from_code(*result));
                }
            }
            DriverMsg::Pong | DriverMsg::Pid { .. } | DriverMsg::Goodbye => {}
            _ => {
                msg.apply(&mut u.table);
            }
        }
        self.update_stale(i, now, &mut out);
        out.actions
    }

    fn update_stale(&mut self, i: usize, now: Instant, out: &mut Out) {
        let maxage = Duration::from_secs(self.settings.maxage);
        let u = &mut self.ups[i];
        if !u.connected {
            return;
        }
        let stale = (u.dumpdone && !u.data_ok) || now.duration_since(u.last_heard) > maxage;
        if stale && !u.stale {
            out.log(Level::Warn, format!("Data for UPS [{}] is stale - check driver", u.config.name));
        } else if !stale && u.stale {
            out.log(Level::Info, format!("UPS [{}] data is no longer stale", u.config.name));
        }
        u.stale = stale;
    }

    // ---------------------------------------------------------------- clock

    /// Periodic work: idle clients, driver PINGs and staleness, tracking
    /// purge. Call at least every couple of seconds.
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Out { actions: Vec::new() };
        for (&id, s) in self.clients.iter_mut() {
            if !s.closing && now.duration_since(s.last_heard) > CLIENT_IDLE {
                s.closing = true;
                out.log(Level::Debug(2), format!("Host {} idle timeout", s.addr));
                out.actions.push(Action::Close { client: id });
            }
        }
        let third = Duration::from_secs(self.settings.maxage) / 3;
        for i in 0..self.ups.len() {
            let u = &mut self.ups[i];
            if u.connected
                && now.duration_since(u.last_heard) > third
                && u.last_ping.map_or(true, |t| now.duration_since(t) > third)
            {
                u.last_ping = Some(now);
                out.actions.push(Action::SendDriver { ups: u.config.name.clone(), data: ServerMsg::Ping.render() });
            }
            self.update_stale(i, now, &mut out);
        }
        let keep = Duration::from_secs(self.settings.tracking_delay);
        self.tracking.retain(|_, t| now.duration_since(t.created) <= keep);
        let idle = self.clients.values().filter(|s| !s.closing).map(|s| s.last_heard + CLIENT_IDLE);
        let purge = self.tracking.values().map(|t| t.created + keep);
        self.tick_bound = idle.chain(purge).min().map(|t| t + DEADLINE_SLACK);
        out.actions
    }

    /// When [`Server::tick`] next has something to do: an idle client to
    /// drop, a driver to PING (quiet for MAXAGE/3), data turning stale
    /// (quiet for MAXAGE), a tracking id to purge. `None`: nothing is
    /// pending until the next event. The event loop sleeps until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        let maxage = Duration::from_secs(self.settings.maxage);
        let third = maxage / 3;
        let drivers = self.ups.iter().filter(|u| u.connected).flat_map(|u| {
            let quiet_since = u.last_ping.map_or(u.last_heard, |p| p.max(u.last_heard));
            let ping = quiet_since + third;
            let stale = (!u.stale).then_some(u.last_heard + maxage);
            std::iter::once(ping).chain(stale)
        });
        drivers.map(|t| t + DEADLINE_SLACK).chain(self.tick_bound).min()
    }

    // --------------------------------------------------------------- reload

    /// Replace the configuration (SIGHUP). UPSes that stay keep their data,
    /// logins and FSD latch; removed ones lose their driver connection and
    /// their logged-in clients; a changed driver name means a reconnect.
    pub fn reconfigure(
        &mut self,
        settings: Settings,
        ups: Vec<UpsConfig>,
        users: Box<dyn UserDb>,
        descs: Descriptions,
        now: Instant,
    ) -> Vec<Action> {
        let mut out = Out { actions: Vec::new() };
        self.settings = settings;
        self.users = users;
        self.descs = descs;
        let mut old: Vec<Ups> = std::mem::take(&mut self.ups);
        for config in ups {
            match old.iter().position(|u| u.config.name == config.name) {
                Some(pos) => {
                    let mut u = old.remove(pos);
                    if u.config.driver != config.driver {
                        out.actions.push(Action::DropDriver { ups: u.config.name.clone() });
                        u.connected = false;
                        u.table.clear();
                    }
                    u.config = config;
                    self.ups.push(u);
                }
                None => self.ups.push(Ups::new(config, now)),
            }
        }
        for gone in old {
            out.log(Level::Info, format!("Deleting UPS [{}]", gone.config.name));
            out.actions.push(Action::DropDriver { ups: gone.config.name.clone() });
            for (&id, s) in self.clients.iter_mut() {
                if s.login.as_deref().is_some_and(|l| l == gone.config.name) {
                    s.login = None;
                    s.closing = true;
                    out.actions.push(Action::Close { client: id });
                }
            }
        }
        out.actions
    }
}

/// C's atoi: optional white space and sign, then digits; anything else
/// stops the number (and no digits at all gives 0).
pub fn c_atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct AllowAll;
    impl UserDb for AllowAll {
        fn allows(&self, user: &str, password: &str, _: Permission<'_>) -> bool {
            user == "u" && password == "p"
        }
    }

    fn server(now: Instant) -> Server {
        let ups = vec![
            UpsConfig { name: "ups".into(), driver: "dummy-ups".into(), desc: None },
            UpsConfig { name: "b".into(), driver: "dummy-ups".into(), desc: Some("B \"x\"".into()) },
        ];
        Server::new(Settings::default(), ups, Box::new(AllowAll), Descriptions::default(), IdGen::new(1), now)
    }

    fn ask(s: &mut Server, c: ClientId, line: &str, now: Instant) -> String {
        let words = nut_proto::lexer::split_line(line).unwrap();
        s.handle_client_line(c, &words, now)
            .into_iter()
            .filter_map(|a| match a {
                Action::Send { data, .. } => Some(data),
                _ => None,
            })
            .collect()
    }

    fn feed(s: &mut Server, ups: &str, text: &str, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        for line in text.lines() {
            let words = nut_proto::lexer::split_line(line).unwrap();
            out.extend(s.handle_driver_line(ups, &words, now));
        }
        out
    }

    fn logs(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Log { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn connected(t0: Instant) -> Server {
        let mut s = server(t0);
        s.client_connected(1, "127.0.0.1", t0);
        let acts = s.driver_connected("ups", t0);
        assert!(acts.contains(&Action::SendDriver { ups: "ups".into(), data: "DUMPALL\n".into() }));
        assert_eq!(logs(&acts), ["Connected to UPS [ups]: dummy-ups-ups"]);
        s
    }

    #[test]
    fn starttls_answers_and_switches_once() {
        let t0 = Instant::now();
        let mut s = server(t0);
        s.client_connected(1, "127.0.0.1", t0);
        assert_eq!(ask(&mut s, 1, "STARTTLS", t0), "ERR FEATURE-NOT-CONFIGURED\n");
        assert!(!s.session(1).unwrap().tls);
        s.set_tls_available(true);
        let words = nut_proto::lexer::split_line("STARTTLS").unwrap();
        let acts = s.handle_client_line(1, &words, t0);
        assert_eq!(
            acts,
            [Action::Send { client: 1, data: "OK STARTTLS\n".into() }, Action::StartTls { client: 1 }],
            "the reply must be queued before the switch"
        );
        assert_eq!(ask(&mut s, 1, "STARTTLS", t0), "ERR ALREADY-SSL-MODE\n");
        assert_eq!(ask(&mut s, 1, "STARTTLS extra", t0), "ERR ALREADY-SSL-MODE\n");
    }

    #[test]
    fn availability_errors_come_in_nut_order() {
        let t0 = Instant::now();
        let mut s = server(t0);
        s.client_connected(1, "127.0.0.1", t0);
        let table: &[(&str, &str)] = &[
            ("GET VAR nosuch ups.status", "ERR UNKNOWN-UPS\n"),
            ("GET VAR ups ups.status", "ERR DRIVER-NOT-CONNECTED\n"),
            ("GET NUMLOGINS ups", "ERR DRIVER-NOT-CONNECTED\n"),
            ("LIST VAR ups", "ERR DRIVER-NOT-CONNECTED\n"),
            ("LIST CLIENT ups", "BEGIN LIST CLIENT ups\nEND LIST CLIENT ups\n"),
            ("GET UPSDESC b", "UPSDESC b \"B \\\"x\\\"\"\n"),
            ("LIST UPS", "BEGIN LIST UPS\nUPS ups \"Description unavailable\"\nUPS b \"B \\\"x\\\"\"\nEND LIST UPS\n"),
            ("GET VAR nosuch server.version", "VAR nosuch server.version \"2.8.0\"\n"),
        ];
        for (req, want) in table {
            assert_eq!(ask(&mut s, 1, req, t0), *want, "{req}");
        }
    }

    #[test]
    fn wait_status_until_the_dump_then_values() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"WAIT\"\n");
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"OL\"\n");
    }

    #[test]
    fn silence_brings_ping_then_stale_then_recovery() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE", t0);
        let acts = s.tick(t0 + Duration::from_secs(6));
        assert!(acts.contains(&Action::SendDriver { ups: "ups".into(), data: "PING\n".into() }));
        // No second ping within MAXAGE/3 of the first.
        let acts = s.tick(t0 + Duration::from_secs(8));
        assert!(!acts.iter().any(|a| matches!(a, Action::SendDriver { .. })));
        let acts = s.tick(t0 + Duration::from_secs(16));
        assert_eq!(logs(&acts), ["Data for UPS [ups] is stale - check driver"]);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0 + Duration::from_secs(16)), "ERR DATA-STALE\n");
        let acts = feed(&mut s, "ups", "PONG", t0 + Duration::from_secs(17));
        assert_eq!(logs(&acts), ["UPS [ups] data is no longer stale"]);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0 + Duration::from_secs(17)), "VAR ups ups.status \"OL\"\n");
    }

    /// Driving the server only at the deadlines it reports gives the same
    /// PINGs, staleness and idle timeout as a fixed pass, with few wake-ups.
    #[test]
    fn sleeping_until_next_deadline_misses_nothing() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE", t0);
        s.tick(t0);
        let mut now = t0;
        let mut wakes = Vec::new();
        let mut pings = Vec::new();
        let mut events = Vec::new();
        while let Some(next) = s.next_deadline() {
            assert!(next > now, "deadline {next:?} does not move past {now:?}");
            now = next;
            if now > t0 + Duration::from_secs(90) {
                break;
            }
            wakes.push(now - t0);
            for a in s.tick(now) {
                match a {
                    Action::SendDriver { data, .. } if data == "PING\n" => pings.push((now - t0).as_secs()),
                    Action::Log { text, .. } => events.push(((now - t0).as_secs(), text)),
                    Action::Close { client } => events.push(((now - t0).as_secs(), format!("close {client}"))),
                    _ => {}
                }
            }
        }
        // MAXAGE 15: PING every 5 s of silence, stale after 15 s.
        assert_eq!(pings.first(), Some(&5));
        assert!(events.iter().any(|(t, e)| *t == 15 && e.contains("is stale")), "{events:?}");
        assert!(events.iter().any(|(t, e)| *t == 60 && e == "close 1"), "{events:?}");
        assert!(wakes.len() <= 25, "{} wake-ups in 90 s: {wakes:?}", wakes.len());
        // A fresh driver line moves the PING deadline later.
        let later = now + Duration::from_secs(1);
        feed(&mut s, "ups", "PONG", later);
        let next = s.next_deadline().expect("a PING is always pending");
        assert!(next >= later + Duration::from_secs(5), "{:?}", next - later);
    }

    #[test]
    fn datastale_counts_only_after_dumpdone() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "DATASTALE\nSETINFO ups.status \"OB\"", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"OB\"\n");
        feed(&mut s, "ups", "DUMPDONE", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "ERR DATA-STALE\n");
        feed(&mut s, "ups", "DATAOK", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"OB\"\n");
    }

    #[test]
    fn driver_loss_means_driver_not_connected_and_fsd_survives() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDUMPDONE", t0);
        ask(&mut s, 1, "USERNAME u", t0);
        ask(&mut s, 1, "PASSWORD p", t0);
        assert_eq!(ask(&mut s, 1, "FSD UPS", t0), "OK FSD-SET\n");
        s.driver_disconnected("ups");
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "ERR DRIVER-NOT-CONNECTED\n");
        assert_eq!(ask(&mut s, 1, "SET VAR ups ups.status x", t0), "ERR DRIVER-NOT-CONNECTED\n");
        s.driver_connected("ups", t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OB\"\nDUMPDONE", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"FSD OB\"\n");
    }

    #[test]
    fn garbage_from_a_driver_is_logged_rate_limited_and_kept() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        assert_eq!(logs(&feed(&mut s, "ups", "FROBNICATE x", t0)).len(), 1);
        assert!(logs(&feed(&mut s, "ups", "FROBNICATE x\nSETINFO", t0 + Duration::from_secs(5))).is_empty());
        assert_eq!(logs(&feed(&mut s, "ups", "FROB", t0 + Duration::from_secs(61))).len(), 1);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDUMPDONE", t0);
        assert_eq!(ask(&mut s, 1, "GET VAR ups ups.status", t0), "VAR ups ups.status \"OL\"\n");
    }

    #[test]
    fn idle_clients_are_closed_after_60_seconds() {
        let t0 = Instant::now();
        let mut s = server(t0);
        s.client_connected(1, "127.0.0.1", t0);
        s.client_connected(2, "::1", t0);
        ask(&mut s, 2, "", t0 + Duration::from_secs(30));
        assert!(!s.tick(t0 + Duration::from_secs(60)).contains(&Action::Close { client: 1 }));
        let acts = s.tick(t0 + Duration::from_secs(61));
        assert!(acts.contains(&Action::Close { client: 1 }));
        assert!(!acts.contains(&Action::Close { client: 2 }));
        assert_eq!(ask(&mut s, 1, "VER", t0), "", "a closing client gets nothing more");
    }

    #[test]
    fn numlogins_and_list_client_follow_logins_and_disconnects() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDUMPDONE", t0);
        s.client_connected(2, "::1", t0);
        for c in [1, 2] {
            ask(&mut s, c, "USERNAME u", t0);
            ask(&mut s, c, "PASSWORD p", t0);
            assert_eq!(ask(&mut s, c, "LOGIN Ups", t0), "OK\n");
        }
        assert_eq!(ask(&mut s, 1, "GET NUMLOGINS UPS", t0), "NUMLOGINS UPS 2\n");
        assert_eq!(
            ask(&mut s, 1, "LIST CLIENT Ups", t0),
            "BEGIN LIST CLIENT Ups\nCLIENT ups ::1\nCLIENT ups 127.0.0.1\nEND LIST CLIENT Ups\n"
        );
        s.client_gone(2);
        assert_eq!(ask(&mut s, 1, "GET NUMLOGINS ups", t0), "NUMLOGINS ups 1\n");
        let acts = s.handle_client_line(1, &["LOGOUT"], t0);
        assert_eq!(logs(&acts), ["User u@127.0.0.1 logged out from UPS [ups]"]);
        assert!(acts.contains(&Action::Close { client: 1 }));
        s.client_gone(1);
        assert_eq!(s.ups("ups").map(|u| u.numlogins), Some(0));
    }

    #[test]
    fn tracking_ids_are_uuid4_upper_case_and_purged() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.load \"1\"\nSETFLAGS ups.load RW\nADDCMD load.off\nDUMPDONE", t0);
        for l in ["USERNAME u", "PASSWORD p", "SET TRACKING ON"] {
            ask(&mut s, 1, l, t0);
        }
        let acts = s.handle_client_line(1, &["SET", "VAR", "ups", "ups.load", "5"], t0);
        let Some(Action::Send { data, .. }) = acts.first() else { panic!("{acts:?}") };
        let id = data.strip_prefix("OK TRACKING ").unwrap().trim_end().to_string();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "A" | "B"));
        assert_eq!(id, id.to_ascii_uppercase());
        let fwd = format!("SET ups.load \"5\" TRACKING {id}\n");
        assert!(acts.contains(&Action::SendDriver { ups: "ups".into(), data: fwd }));
        assert_eq!(ask(&mut s, 1, &format!("GET TRACKING {id}"), t0), "PENDING\n");
        feed(&mut s, "ups", &format!("TRACKING {id} 3"), t0);
        assert_eq!(ask(&mut s, 1, &format!("GET TRACKING {id}"), t0), "ERR FAILED\n");
        let later = t0 + Duration::from_secs(3601);
        s.tick(later);
        s.client_connected(5, "127.0.0.1", later);
        for l in ["USERNAME u", "PASSWORD p", "SET TRACKING ON"] {
            ask(&mut s, 5, l, later);
        }
        assert_eq!(ask(&mut s, 5, &format!("GET TRACKING {id}"), later), "ERR UNKNOWN\n");
    }

    #[test]
    fn reload_keeps_fsd_and_kicks_logins_of_removed_ups() {
        let t0 = Instant::now();
        let mut s = connected(t0);
        feed(&mut s, "ups", "SETINFO ups.status \"OL\"\nDUMPDONE", t0);
        for l in ["USERNAME u", "PASSWORD p", "LOGIN ups", "FSD ups"] {
            ask(&mut s, 1, l, t0);
        }
        s.client_connected(2, "127.0.0.1", t0);
        let keep = vec![UpsConfig { name: "ups".into(), driver: "dummy-ups".into(), desc: Some("new".into()) }];
        let acts = s.reconfigure(Settings::default(), keep, Box::new(AllowAll), Descriptions::default(), t0);
        assert!(acts.contains(&Action::DropDriver { ups: "b".into() }));
        assert_eq!(ask(&mut s, 2, "GET VAR ups ups.status", t0), "VAR ups ups.status \"FSD OL\"\n");
        assert_eq!(ask(&mut s, 2, "GET UPSDESC ups", t0), "UPSDESC ups \"new\"\n");
        let acts = s.reconfigure(Settings::default(), vec![], Box::new(AllowAll), Descriptions::default(), t0);
        assert!(acts.contains(&Action::Close { client: 1 }));
        assert!(!acts.contains(&Action::Close { client: 2 }));
        assert_eq!(ask(&mut s, 2, "GET VAR ups ups.status", t0), "ERR UNKNOWN-UPS\n");
    }

    #[test]
    fn atoi_matches_c() {
        for (s, n) in [("12", 12), (" -3x", -3), ("x", 0), ("+7", 7), ("", 0)] {
            assert_eq!(c_atoi(s), n, "{s:?}");
        }
    }
}
