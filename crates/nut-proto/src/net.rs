//! The network protocol between upsd and its clients (TCP port 3493):
//! requests parsed into a typed [`Request`], and the reply lines rendered
//! with NUT 2.8.0's exact spelling.
//!
//! A request is one line split by the shared lexer. Parsing is done in two
//! steps because NUT checks credentials before it looks at the arguments of
//! some commands: [`Command::from_word`] names the command and tells with
//! [`Command::needs_user`] whether `USERNAME`/`PASSWORD` must have been
//! given first; [`Request::parse`] then checks the arguments.
//!
//! Argument rules (observed on NUT 2.8.0): `VER`, `NETVER`, `PROTVER`, `HELP`
//! and `LOGOUT` take no argument; `USERNAME`, `PASSWORD`, `LOGIN`, `PRIMARY`,
//! `MASTER` and `FSD` take exactly one; `GET`, `LIST`, `SET` and `INSTCMD`
//! need a minimum and ignore any extra words; `STARTTLS` ignores its
//! arguments. Names are matched without regard to case, and replies echo
//! the names as the client spelled them.
//!
//! Nothing here does I/O.

use crate::errcode::ErrCode;
use crate::lexer::{escape_into, quote};
use std::fmt;

/// The server version this protocol implementation answers with. Clients
/// compare it, so it is NUT's release we are compatible with.
pub const SERVER_VERSION: &str = "2.8.0";
/// Reply to `NETVER` / `PROTVER`.
pub const PROTOCOL_VERSION: &str = "1.3";
/// Reply to `VER`, and the value of `server.info`.
pub const SERVER_INFO: &str = "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/";
/// Reply to `HELP` (NUT 2.8.0 lists neither PROTVER nor the session commands).
pub const HELP_TEXT: &str =
    "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS";
/// Description used by `LIST UPS` for a UPS without `desc`.
pub const NO_DESC_LIST: &str = "Description unavailable";
/// Description used by `GET UPSDESC` for a UPS without `desc`.
pub const NO_DESC_GET: &str = "Unavailable";
/// Text of `GET DESC` / `GET CMDDESC` when cmdvartab has no entry.
pub const NO_VAR_DESC: &str = "Description unavailable";

/// The command word of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Ver,
    NetVer,
    ProtVer,
    Help,
    List,
    Get,
    Set,
    InstCmd,
    Username,
    Password,
    Login,
    Logout,
    Primary,
    Master,
    Fsd,
    StartTls,
}

const COMMANDS: &[(Command, &str)] = &[
    (Command::Ver, "VER"),
    (Command::NetVer, "NETVER"),
    (Command::ProtVer, "PROTVER"),
    (Command::Help, "HELP"),
    (Command::List, "LIST"),
    (Command::Get, "GET"),
    (Command::Set, "SET"),
    (Command::InstCmd, "INSTCMD"),
    (Command::Username, "USERNAME"),
    (Command::Password, "PASSWORD"),
    (Command::Login, "LOGIN"),
    (Command::Logout, "LOGOUT"),
    (Command::Primary, "PRIMARY"),
    (Command::Master, "MASTER"),
    (Command::Fsd, "FSD"),
    (Command::StartTls, "STARTTLS"),
];

impl Command {
    /// Look up a command word (case-insensitive).
    pub fn from_word(word: &str) -> Option<Command> {
        COMMANDS.iter().find(|(_, w)| w.eq_ignore_ascii_case(word)).map(|(c, _)| *c)
    }

    /// The canonical (upper-case) spelling.
    pub fn as_str(self) -> &'static str {
        COMMANDS.iter().find(|(c, _)| *c == self).map(|(_, w)| *w).unwrap_or("")
    }

    /// Commands that answer `ERR USERNAME-REQUIRED` / `ERR PASSWORD-REQUIRED`
    /// before anything else is checked, even their arguments.
    pub fn needs_user(self) -> bool {
        matches!(
            self,
            Command::Set
                | Command::InstCmd
                | Command::Login
                | Command::Primary
                | Command::Master
                | Command::Fsd
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `LIST` asks for. Names are kept as the client wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListQuery {
    Ups,
    Var { ups: String },
    Rw { ups: String },
    Cmd { ups: String },
    Enum { ups: String, var: String },
    Range { ups: String, var: String },
    Client { ups: String },
}

impl ListQuery {
    /// The words after `BEGIN LIST ` / `END LIST `: the kind in upper case,
    /// then the names as the client typed them.
    pub fn echo(&self) -> String {
        match self {
            ListQuery::Ups => "UPS".to_string(),
            ListQuery::Var { ups } => format!("VAR {ups}"),
            ListQuery::Rw { ups } => format!("RW {ups}"),
            ListQuery::Cmd { ups } => format!("CMD {ups}"),
            ListQuery::Enum { ups, var } => format!("ENUM {ups} {var}"),
            ListQuery::Range { ups, var } => format!("RANGE {ups} {var}"),
            ListQuery::Client { ups } => format!("CLIENT {ups}"),
        }
    }

    /// The UPS named by the query, if any.
    pub fn ups(&self) -> Option<&str> {
        match self {
            ListQuery::Ups => None,
            ListQuery::Var { ups }
            | ListQuery::Rw { ups }
            | ListQuery::Cmd { ups }
            | ListQuery::Enum { ups, .. }
            | ListQuery::Range { ups, .. }
            | ListQuery::Client { ups } => Some(ups),
        }
    }
}

/// What a `GET` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetQuery {
    UpsDesc { ups: String },
    NumLogins { ups: String },
    Var { ups: String, var: String },
    Type { ups: String, var: String },
    Desc { ups: String, var: String },
    CmdDesc { ups: String, cmd: String },
    /// `GET TRACKING` (this connection's flag) or `GET TRACKING <id>`.
    Tracking { id: Option<String> },
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ver,
    NetVer,
    ProtVer,
    Help,
    List(ListQuery),
    Get(GetQuery),
    SetVar { ups: String, var: String, value: String },
    SetTracking { on: bool },
    InstCmd { ups: String, cmd: String, param: Option<String> },
    Username(String),
    Password(String),
    Login { ups: String },
    Logout,
    /// `PRIMARY` (or its old name `MASTER`, then `legacy` is true).
    Primary { ups: String, legacy: bool },
    Fsd { ups: String },
    StartTls,
}

impl Request {
    /// Parse the words of a request line. Errors are the wire codes NUT
    /// answers with: `UNKNOWN-COMMAND` (no words, or an unknown first
    /// word) or `INVALID-ARGUMENT`.
    ///
    /// For commands where [`Command::needs_user`] is true, the caller must
    /// check credentials before calling this, to keep NUT's error order.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Request, ErrCode> {
        // Requests are short: borrow the words on the stack, not in a Vec
        // (this runs once per request, and allocations showed in profiles).
        let mut on_stack = [""; 8];
        let on_heap: Vec<&str>;
        let w: &[&str] = if words.len() <= on_stack.len() {
            for (slot, word) in on_stack.iter_mut().zip(words) {
                *slot = word.as_ref();
            }
            &on_stack[..words.len()]
        } else {
            on_heap = words.iter().map(AsRef::as_ref).collect();
            &on_heap
        };
        let Some(cmd) = w.first().and_then(|word| Command::from_word(word)) else {
            return Err(ErrCode::UnknownCommand);
        };
        let args = &w[1..];
        let own = |i: usize| args[i].to_string();
        let no_args = |req: Request| if args.is_empty() { Ok(req) } else { Err(ErrCode::InvalidArgument) };
        let one_arg = |make: fn(String) -> Request| {
            if args.len() == 1 {
                Ok(make(args[0].to_string()))
            } else {
                Err(ErrCode::InvalidArgument)
            }
        };
        match cmd {
            Command::Ver => no_args(Request::Ver),
            Command::NetVer => no_args(Request::NetVer),
            Command::ProtVer => no_args(Request::ProtVer),
            Command::Help => no_args(Request::Help),
            Command::Logout => no_args(Request::Logout),
            Command::StartTls => Ok(Request::StartTls),
            Command::Username => one_arg(Request::Username),
            Command::Password => one_arg(Request::Password),
            Command::Login => one_arg(|ups| Request::Login { ups }),
            Command::Primary => one_arg(|ups| Request::Primary { ups, legacy: false }),
            Command::Master => one_arg(|ups| Request::Primary { ups, legacy: true }),
            Command::Fsd => one_arg(|ups| Request::Fsd { ups }),
            Command::InstCmd => {
                if args.len() < 2 {
                    return Err(ErrCode::InvalidArgument);
                }
                Ok(Request::InstCmd { ups: own(0), cmd: own(1), param: args.get(2).map(|p| p.to_string()) })
            }
            Command::Set => parse_set(args),
            Command::Get => parse_get(args).map(Request::Get),
            Command::List => parse_list(args).map(Request::List),
        }
    }
}

fn parse_set(args: &[&str]) -> Result<Request, ErrCode> {
    let Some(kind) = args.first() else {
        return Err(ErrCode::InvalidArgument);
    };
    if kind.eq_ignore_ascii_case("VAR") {
        if args.len() < 4 {
            return Err(ErrCode::InvalidArgument);
        }
        return Ok(Request::SetVar {
            ups: args[1].to_string(),
            var: args[2].to_string(),
            value: args[3].to_string(),
        });
    }
    if kind.eq_ignore_ascii_case("TRACKING") {
        return match args.get(1) {
            Some(v) if v.eq_ignore_ascii_case("ON") => Ok(Request::SetTracking { on: true }),
            Some(v) if v.eq_ignore_ascii_case("OFF") => Ok(Request::SetTracking { on: false }),
            _ => Err(ErrCode::InvalidArgument),
        };
    }
    Err(ErrCode::InvalidArgument)
}

/// The one of `kinds` that `word` is, ignoring ASCII case.
fn which_kind(word: Option<&&str>, kinds: &[&'static str]) -> Option<&'static str> {
    let word = word?;
    kinds.iter().copied().find(|k| k.eq_ignore_ascii_case(word))
}

fn parse_get(args: &[&str]) -> Result<GetQuery, ErrCode> {
    const KINDS: &[&str] = &["VAR", "TRACKING", "UPSDESC", "NUMLOGINS", "TYPE", "DESC", "CMDDESC"];
    let Some(kind) = which_kind(args.first(), KINDS) else {
        return Err(ErrCode::InvalidArgument);
    };
    if kind == "TRACKING" {
        return Ok(GetQuery::Tracking { id: args.get(1).map(|s| s.to_string()) });
    }
    let need = |n: usize| if args.len() < n { Err(ErrCode::InvalidArgument) } else { Ok(()) };
    let s = |i: usize| args[i].to_string();
    match kind {
        "UPSDESC" => need(2).map(|_| GetQuery::UpsDesc { ups: s(1) }),
        "NUMLOGINS" => need(2).map(|_| GetQuery::NumLogins { ups: s(1) }),
        "VAR" => need(3).map(|_| GetQuery::Var { ups: s(1), var: s(2) }),
        "TYPE" => need(3).map(|_| GetQuery::Type { ups: s(1), var: s(2) }),
        "DESC" => need(3).map(|_| GetQuery::Desc { ups: s(1), var: s(2) }),
        "CMDDESC" => need(3).map(|_| GetQuery::CmdDesc { ups: s(1), cmd: s(2) }),
        _ => Err(ErrCode::InvalidArgument),
    }
}

fn parse_list(args: &[&str]) -> Result<ListQuery, ErrCode> {
    const KINDS: &[&str] = &["VAR", "UPS", "RW", "CMD", "CLIENT", "ENUM", "RANGE"];
    let Some(kind) = which_kind(args.first(), KINDS) else {
        return Err(ErrCode::InvalidArgument);
    };
    if kind == "UPS" {
        return Ok(ListQuery::Ups);
    }
    let need = |n: usize| if args.len() < n { Err(ErrCode::InvalidArgument) } else { Ok(()) };
    let s = |i: usize| args[i].to_string();
    match kind {
        "VAR" => need(2).map(|_| ListQuery::Var { ups: s(1) }),
        "RW" => need(2).map(|_| ListQuery::Rw { ups: s(1) }),
        "CMD" => need(2).map(|_| ListQuery::Cmd { ups: s(1) }),
        "CLIENT" => need(2).map(|_| ListQuery::Client { ups: s(1) }),
        "ENUM" => need(3).map(|_| ListQuery::Enum { ups: s(1), var: s(2) }),
        "RANGE" => need(3).map(|_| ListQuery::Range { ups: s(1), var: s(2) }),
        _ => Err(ErrCode::InvalidArgument),
    }
}

// ---------------------------------------------------------------------------
// Replies. Every function appends one line, newline included, to `out`, so a
// whole LIST can be built in one buffer and written at once.

/// `ERR <CODE>`.
pub fn err_line(out: &mut String, code: ErrCode) {
    out.push_str("ERR ");
    out.push_str(code.as_wire_str());
    out.push('\n');
}

/// Any literal line (`OK`, `OK Goodbye`, `ON`, `PENDING`, ...).
pub fn text_line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// `OK` or `OK TRACKING <id>`.
pub fn ok_tracking_line(out: &mut String, id: Option<&str>) {
    match id {
        Some(id) => {
            out.push_str("OK TRACKING ");
            out.push_str(id);
        }
        None => out.push_str("OK"),
    }
    out.push('\n');
}

/// `BEGIN LIST <echo>`.
pub fn begin_list(out: &mut String, query: &ListQuery) {
    out.push_str("BEGIN LIST ");
    out.push_str(&query.echo());
    out.push('\n');
}

/// `END LIST <echo>`.
pub fn end_list(out: &mut String, query: &ListQuery) {
    out.push_str("END LIST ");
    out.push_str(&query.echo());
    out.push('\n');
}

fn quoted_into(out: &mut String, value: &str) {
    out.push('"');
    escape_into(value, out);
    out.push('"');
}

/// `<KIND> <name>... "<escaped value>"`, the shape of `VAR`, `RW`, `ENUM`,
/// `UPS` and `UPSDESC` lines.
pub fn value_line(out: &mut String, kind: &str, names: &[&str], value: &str) {
    out.push_str(kind);
    for name in names {
        out.push(' ');
        out.push_str(name);
    }
    out.push(' ');
    quoted_into(out, value);
    out.push('\n');
}

/// `DESC`/`CMDDESC` lines: the text goes out as loaded, between quotes.
pub fn desc_line(out: &mut String, kind: &str, ups: &str, name: &str, text: &str) {
    out.push_str(kind);
    out.push(' ');
    out.push_str(ups);
    out.push(' ');
    out.push_str(name);
    out.push_str(" \"");
    out.push_str(text);
    out.push_str("\"\n");
}

/// Unquoted words: `CMD`, `CLIENT`, `TYPE`, `NUMLOGINS` lines.
pub fn words_line(out: &mut String, words: &[&str]) {
    out.push_str(&words.join(" "));
    out.push('\n');
}

/// `RANGE <ups> <var> "<min>" "<max>"`.
pub fn range_line(out: &mut String, ups: &str, var: &str, min: i64, max: i64) {
    out.push_str(&format!("RANGE {ups} {var} \"{min}\" \"{max}\"\n"));
}

/// Render a request back into a line a server understands (what a client
/// sends). Values are quoted when needed.
pub fn render_request(req: &Request) -> String {
    use crate::lexer::quote_if_needed as q;
    let mut line = match req {
        Request::Ver => "VER".to_string(),
        Request::NetVer => "NETVER".to_string(),
        Request::ProtVer => "PROTVER".to_string(),
        Request::Help => "HELP".to_string(),
        Request::Logout => "LOGOUT".to_string(),
        Request::StartTls => "STARTTLS".to_string(),
        Request::List(query) => match query {
            ListQuery::Ups => "LIST UPS".to_string(),
            ListQuery::Var { ups } => format!("LIST VAR {}", q(ups)),
            ListQuery::Rw { ups } => format!("LIST RW {}", q(ups)),
            ListQuery::Cmd { ups } => format!("LIST CMD {}", q(ups)),
            ListQuery::Client { ups } => format!("LIST CLIENT {}", q(ups)),
            ListQuery::Enum { ups, var } => format!("LIST ENUM {} {}", q(ups), q(var)),
            ListQuery::Range { ups, var } => format!("LIST RANGE {} {}", q(ups), q(var)),
        },
        Request::Get(query) => match query {
            GetQuery::UpsDesc { ups } => format!("GET UPSDESC {}", q(ups)),
            GetQuery::NumLogins { ups } => format!("GET NUMLOGINS {}", q(ups)),
            GetQuery::Var { ups, var } => format!("GET VAR {} {}", q(ups), q(var)),
            GetQuery::Type { ups, var } => format!("GET TYPE {} {}", q(ups), q(var)),
            GetQuery::Desc { ups, var } => format!("GET DESC {} {}", q(ups), q(var)),
            GetQuery::CmdDesc { ups, cmd } => format!("GET CMDDESC {} {}", q(ups), q(cmd)),
            GetQuery::Tracking { id: None } => "GET TRACKING".to_string(),
            GetQuery::Tracking { id: Some(id) } => format!("GET TRACKING {}", q(id)),
        },
        Request::SetVar { ups, var, value } => format!("SET VAR {} {} {}", q(ups), q(var), quote(value)),
        Request::SetTracking { on } => format!("SET TRACKING {}", if *on { "ON" } else { "OFF" }),
        Request::InstCmd { ups, cmd, param } => match param {
            Some(p) => format!("INSTCMD {} {} {}", q(ups), q(cmd), q(p)),
            None => format!("INSTCMD {} {}", q(ups), q(cmd)),
        },
        Request::Username(name) => format!("USERNAME {}", q(name)),
        Request::Password(pw) => format!("PASSWORD {}", q(pw)),
        Request::Login { ups } => format!("LOGIN {}", q(ups)),
        Request::Primary { ups, legacy: false } => format!("PRIMARY {}", q(ups)),
        Request::Primary { ups, legacy: true } => format!("MASTER {}", q(ups)),
        Request::Fsd { ups } => format!("FSD {}", q(ups)),
    };
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::split_line;

    fn parse(line: &str) -> Result<Request, ErrCode> {
        Request::parse(&split_line(line).unwrap())
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn commands_are_case_insensitive_and_flag_user_needs() {
        assert_eq!(Command::from_word("lOgIn"), Some(Command::Login));
        assert_eq!(Command::from_word("FOO"), None);
        for c in ["SET", "INSTCMD", "LOGIN", "PRIMARY", "MASTER", "FSD"] {
            assert!(Command::from_word(c).unwrap().needs_user(), "{c}");
        }
        for c in ["GET", "LIST", "USERNAME", "PASSWORD", "LOGOUT", "STARTTLS", "VER", "HELP"] {
            assert!(!Command::from_word(c).unwrap().needs_user(), "{c}");
        }
    }

    #[test]
    fn argument_rules_match_nut_2_8_0() {
        use ErrCode::{InvalidArgument as IA, UnknownCommand as UC};
        let table: &[(&str, Result<Request, ErrCode>)] = &[
            ("", Err(UC)),
            ("FOO", Err(UC)),
            ("VER", Ok(Request::Ver)),
            ("VER x", Err(IA)),
            ("help x", Err(IA)),
            ("NETVER", Ok(Request::NetVer)),
            ("PROTVER x", Err(IA)),
            ("LOGOUT x", Err(IA)),
            ("STARTTLS x", Ok(Request::StartTls)),
            ("USERNAME", Err(IA)),
            ("USERNAME a b", Err(IA)),
            ("USERNAME a", Ok(Request::Username(s("a")))),
            ("PASSWORD a b", Err(IA)),
            ("LOGIN ups extra", Err(IA)),
            ("PRIMARY ups extra", Err(IA)),
            ("MASTER ups", Ok(Request::Primary { ups: s("ups"), legacy: true })),
            ("FSD", Err(IA)),
            ("LIST", Err(IA)),
            ("LIST FOO ups", Err(IA)),
            ("LIST CLIENTS ups", Err(IA)),
            ("list ups x", Ok(Request::List(ListQuery::Ups))),
            ("LIST VAR", Err(IA)),
            ("LiSt VaR Ups x", Ok(Request::List(ListQuery::Var { ups: s("Ups") }))),
            ("LIST ENUM ups", Err(IA)),
            ("LIST RANGE ups v x", Ok(Request::List(ListQuery::Range { ups: s("ups"), var: s("v") }))),
            ("GET", Err(IA)),
            ("GET FOO", Err(IA)),
            ("GET VAR ups", Err(IA)),
            ("GET VAR ups v x", Ok(Request::Get(GetQuery::Var { ups: s("ups"), var: s("v") }))),
            ("GET UPSDESC", Err(IA)),
            ("GET NUMLOGINS ups x", Ok(Request::Get(GetQuery::NumLogins { ups: s("ups") }))),
            ("GET tracking", Ok(Request::Get(GetQuery::Tracking { id: None }))),
            ("GET TRACKING a b", Ok(Request::Get(GetQuery::Tracking { id: Some(s("a")) }))),
            ("SET", Err(IA)),
            ("SET FOO", Err(IA)),
            ("SET VAR ups v", Err(IA)),
            ("SET VAR ups v \"\" x", Ok(Request::SetVar { ups: s("ups"), var: s("v"), value: s("") })),
            ("SET TRACKING", Err(IA)),
            ("SET TRACKING maybe", Err(IA)),
            ("SET TRACKING on x", Ok(Request::SetTracking { on: true })),
            ("SET TRACKING Off", Ok(Request::SetTracking { on: false })),
            ("INSTCMD ups", Err(IA)),
            ("INSTCMD ups c p q", Ok(Request::InstCmd { ups: s("ups"), cmd: s("c"), param: Some(s("p")) })),
        ];
        for (line, want) in table {
            assert_eq!(&parse(line), want, "{line:?}");
        }
    }

    #[test]
    fn list_echo_uppercases_the_kind_only() {
        let Ok(Request::List(q)) = parse("list enum Ups Ups.Status") else { panic!() };
        let mut out = String::new();
        begin_list(&mut out, &q);
        end_list(&mut out, &q);
        assert_eq!(out, "BEGIN LIST ENUM Ups Ups.Status\nEND LIST ENUM Ups Ups.Status\n");
    }

    #[test]
    fn reply_lines_are_exact() {
        let mut out = String::new();
        err_line(&mut out, ErrCode::DataStale);
        value_line(&mut out, "VAR", &["ups", "ups.mfr"], "a \"b\" #\\");
        value_line(&mut out, "UPS", &["ups"], NO_DESC_LIST);
        range_line(&mut out, "ups", "x", -1, 10);
        words_line(&mut out, &["TYPE", "ups", "ups.status", "RW STRING:32"]);
        ok_tracking_line(&mut out, Some("F4F78A1F-D59B-4F21-82C6-9729871FA9DC"));
        ok_tracking_line(&mut out, None);
        desc_line(&mut out, "DESC", "ups", "battery.charge", "Battery charge (percent of full)");
        assert_eq!(
            out,
            "ERR DATA-STALE\n\
             VAR ups ups.mfr \"a \\\"b\\\" \\#\\\\\"\n\
             UPS ups \"Description unavailable\"\n\
             RANGE ups x \"-1\" \"10\"\n\
             TYPE ups ups.status RW STRING:32\n\
             OK TRACKING F4F78A1F-D59B-4F21-82C6-9729871FA9DC\n\
             OK\n\
             DESC ups battery.charge \"Battery charge (percent of full)\"\n"
        );
    }

    #[test]
    fn rendered_requests_parse_back() {
        let reqs = [
            Request::SetVar { ups: s("ups"), var: s("ups.id"), value: s("a \"b\"") },
            Request::InstCmd { ups: s("ups"), cmd: s("load.off"), param: Some(s("x y")) },
            Request::List(ListQuery::Enum { ups: s("u"), var: s("v") }),
            Request::Get(GetQuery::Tracking { id: Some(s("abc")) }),
            Request::Primary { ups: s("u"), legacy: true },
        ];
        for req in reqs {
            assert_eq!(parse(&render_request(&req)), Ok(req));
        }
    }
}
