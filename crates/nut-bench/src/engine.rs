//! The client side of the load: each thread owns one mio poll and many
//! non-blocking connections, each running a small script of request lines
//! in a closed loop (the next request leaves when the previous answer is
//! complete).

use crate::hist::Histogram;
use crate::opts::{Mix, Opts};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How the answer to one request line ends.
#[derive(Debug, Clone)]
pub enum Expect {
    /// One line starting with this text.
    Prefix(Vec<u8>),
    /// `BEGIN LIST ...`, items, then exactly this `END LIST ...` line.
    List { begin: Vec<u8>, end: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct Step {
    pub line: Vec<u8>,
    pub expect: Expect,
}

/// What one operation is, and what happens between operations.
#[derive(Debug, Clone)]
pub struct Script {
    pub steps: Vec<Step>,
    /// Open a new connection for every operation (and close it after).
    pub reconnect_each_op: bool,
    /// Start another operation when one ends.
    pub repeat: bool,
}

fn step(line: String, expect: Expect) -> Step {
    Step { line: line.into_bytes(), expect }
}

fn prefix(p: &str) -> Expect {
    Expect::Prefix(p.as_bytes().to_vec())
}

impl Script {
    pub fn for_opts(o: &Opts) -> Script {
        let get = || step(format!("GET VAR {} {}\n", o.ups, o.var), prefix("VAR "));
        match o.mix {
            Mix::List => Script {
                steps: vec![step(
                    format!("LIST VAR {}\n", o.ups),
                    Expect::List {
                        begin: format!("BEGIN LIST VAR {}", o.ups).into_bytes(),
                        end: format!("END LIST VAR {}", o.ups).into_bytes(),
                    },
                )],
                reconnect_each_op: false,
                repeat: true,
            },
            Mix::Login => Script {
                steps: vec![
                    step(format!("USERNAME {}\n", o.user), prefix("OK")),
                    step(format!("PASSWORD {}\n", o.password), prefix("OK")),
                    step(format!("LOGIN {}\n", o.ups), prefix("OK")),
                    get(),
                    step("LOGOUT\n".into(), prefix("OK Goodbye")),
                ],
                reconnect_each_op: true,
                repeat: true,
            },
            Mix::Idle => Script {
                steps: vec![step("VER\n".into(), prefix("Network UPS Tools"))],
                reconnect_each_op: false,
                repeat: false,
            },
            Mix::Burst => Script { steps: vec![get()], reconnect_each_op: true, repeat: false },
            _ => Script { steps: vec![get()], reconnect_each_op: false, repeat: true },
        }
    }
}

/// Errors by cause.
#[derive(Debug, Clone, Copy, Default)]
pub struct Errors {
    /// `ERR ...` or an answer of the wrong shape.
    pub reply: u64,
    /// Connection refused, reset or failed to open.
    pub connect: u64,
    /// The server closed the connection in the middle of an operation.
    pub closed: u64,
    /// Other read/write failures.
    pub io: u64,
    /// No complete answer within --timeout.
    pub timeout: u64,
}

impl Errors {
    pub fn total(&self) -> u64 {
        self.reply + self.connect + self.closed + self.io + self.timeout
    }

    fn add(&mut self, o: &Errors) {
        self.reply += o.reply;
        self.connect += o.connect;
        self.closed += o.closed;
        self.io += o.io;
        self.timeout += o.timeout;
    }
}

#[derive(Debug, Clone, Copy)]
enum Fail {
    Reply,
    Connect,
    Closed,
    Io,
    Timeout,
}

/// What one thread (or all, once merged) measured.
#[derive(Clone, Default)]
pub struct Tally {
    pub hist: Histogram,
    pub ok: u64,
    pub errors: Errors,
    pub list_items: u64,
    /// Last operation end (burst: when the last client got its answer).
    pub last_done: Option<Instant>,
    /// Example of the first error seen, for the report.
    pub first_error: Option<String>,
}

impl Tally {
    pub fn merge(&mut self, o: &Tally) {
        self.hist.merge(&o.hist);
        self.ok += o.ok;
        self.errors.add(&o.errors);
        self.list_items += o.list_items;
        self.last_done = match (self.last_done, o.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if self.first_error.is_none() {
            self.first_error.clone_from(&o.first_error);
        }
    }
}

/// State shared by all threads of one run.
pub struct Shared {
    pub stop: AtomicBool,
    pub stopped_at: OnceLock<Instant>,
    pub completed: AtomicU64,
    pub limit: Option<u64>,
    /// Start of the measured window; nothing counts before it is set.
    pub measure_from: OnceLock<Instant>,
    /// Clients whose first connection is established.
    pub connected: AtomicUsize,
    /// Set once every client is connected: the load may start.
    pub go: AtomicBool,
}

impl Shared {
    pub fn new(measure_from: Option<Instant>, limit: Option<u64>) -> Shared {
        let from = OnceLock::new();
        if let Some(t) = measure_from {
            let _ = from.set(t);
        }
        Shared {
            stop: AtomicBool::new(false),
            stopped_at: OnceLock::new(),
            completed: AtomicU64::new(0),
            limit,
            measure_from: from,
            connected: AtomicUsize::new(0),
            go: AtomicBool::new(false),
        }
    }

    /// Open the measured window now.
    pub fn start_measuring(&self) -> Instant {
        *self.measure_from.get_or_init(Instant::now)
    }

    pub fn request_stop(&self) {
        let _ = self.stopped_at.set(Instant::now());
        self.stop.store(true, Ordering::Release);
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn in_window(&self, t: Instant) -> bool {
        self.measure_from.get().is_some_and(|from| t >= *from) && self.stopped_at.get().is_none_or(|s| t <= *s)
    }
}

#[derive(Default)]
struct Conn {
    stream: Option<TcpStream>,
    connected: bool,
    busy: bool,
    finished: bool,
    /// Finished with its operation done (not failed).
    good: bool,
    step: usize,
    out_pos: usize,
    writing: bool,
    inbuf: Vec<u8>,
    in_list: bool,
    op_start: Option<Instant>,
    retry_at: Option<Instant>,
    ever_connected: bool,
}

/// One thread's connections.
pub struct Worker<'a> {
    poll: Poll,
    conns: Vec<Conn>,
    script: &'a Script,
    shared: &'a Shared,
    addr: SocketAddr,
    timeout: Duration,
    connect_batch: usize,
    buf: Vec<u8>,
    pub tally: Tally,
    last_scan: Instant,
}

fn close_abortively(stream: TcpStream) {
    // SO_LINGER 0: the close sends RST and leaves no TIME_WAIT behind, so a
    // fast login loop does not run out of local ports.
    let _ = nix::sys::socket::setsockopt(
        &stream,
        nix::sys::socket::sockopt::Linger,
        &nix::libc::linger { l_onoff: 1, l_linger: 0 },
    );
    drop(stream);
}

impl<'a> Worker<'a> {
    pub fn new(n: usize, script: &'a Script, shared: &'a Shared, opts: &Opts) -> io::Result<Worker<'a>> {
        Ok(Worker {
            poll: Poll::new()?,
            conns: (0..n).map(|_| Conn::default()).collect(),
            script,
            shared,
            addr: opts.addr,
            timeout: opts.timeout,
            connect_batch: opts.connect_batch,
            buf: vec![0; 64 * 1024],
            tally: Tally::default(),
            last_scan: Instant::now(),
        })
    }

    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Connections that finished their operation and are still open.
    pub fn open_good(&self) -> usize {
        self.conns.iter().filter(|c| c.good && c.stream.is_some()).count()
    }

    pub fn all_finished(&self) -> bool {
        self.conns.iter().all(|c| c.finished)
    }

    pub fn busy_count(&self) -> usize {
        self.conns.iter().filter(|c| c.busy).count()
    }

    fn record_fail(&mut self, kind: Fail, what: &str) {
        let now = Instant::now();
        if !self.shared.in_window(now) {
            return;
        }
        let e = &mut self.tally.errors;
        match kind {
            Fail::Reply => e.reply += 1,
            Fail::Connect => e.connect += 1,
            Fail::Closed => e.closed += 1,
            Fail::Io => e.io += 1,
            Fail::Timeout => e.timeout += 1,
        }
        if self.tally.first_error.is_none() {
            self.tally.first_error = Some(what.to_string());
        }
    }

    fn close(&mut self, i: usize) {
        let c = &mut self.conns[i];
        if let Some(s) = c.stream.take() {
            close_abortively(s);
        }
        c.connected = false;
        c.writing = false;
        c.inbuf.clear();
        c.in_list = false;
    }

    fn fail(&mut self, i: usize, kind: Fail, what: &str) {
        self.record_fail(kind, what);
        self.close(i);
        let c = &mut self.conns[i];
        c.busy = false;
        if self.script.repeat && !self.shared.stopping() {
            c.retry_at = Some(Instant::now() + Duration::from_millis(10));
        } else {
            c.finished = true;
            c.good = false;
        }
    }

    fn open(&mut self, i: usize) -> bool {
        match TcpStream::connect(self.addr) {
            Ok(mut s) => {
                let _ = s.set_nodelay(true);
                if let Err(e) =
                    self.poll.registry().register(&mut s, Token(i), Interest::READABLE | Interest::WRITABLE)
                {
                    self.fail(i, Fail::Io, &format!("register: {e}"));
                    return false;
                }
                let c = &mut self.conns[i];
                c.stream = Some(s);
                c.connected = false;
                true
            }
            Err(e) => {
                self.fail(i, Fail::Connect, &format!("connect: {e}"));
                false
            }
        }
    }

    /// Start an operation on connection `i` (opening it if needed). With
    /// `kick`, try the I/O at once; without (called from inside
    /// [`Self::progress`]), the caller's loop does it, so the stack stays flat.
    pub fn begin_op(&mut self, i: usize, kick: bool) {
        if self.shared.stopping() {
            self.conns[i].finished = true;
            return;
        }
        {
            let c = &mut self.conns[i];
            c.retry_at = None;
            c.op_start = Some(Instant::now());
            c.step = 0;
            c.busy = true;
            c.finished = false;
            c.good = false;
            c.out_pos = 0;
            c.writing = true;
            c.in_list = false;
        }
        if self.conns[i].stream.is_none() && !self.open(i) {
            return;
        }
        if kick && self.conns[i].connected {
            self.progress(i);
        }
    }

    fn op_done(&mut self, i: usize) {
        let now = Instant::now();
        let start = self.conns[i].op_start.unwrap_or(now);
        if self.shared.in_window(start) && self.shared.in_window(now) {
            self.tally.hist.record(now.duration_since(start).as_nanos() as u64);
            self.tally.ok += 1;
            self.tally.last_done = Some(now);
            let done = self.shared.completed.fetch_add(1, Ordering::Relaxed) + 1;
            if self.shared.limit.is_some_and(|l| done >= l) {
                self.shared.request_stop();
            }
        }
        let c = &mut self.conns[i];
        c.busy = false;
        if self.script.reconnect_each_op {
            self.close(i);
        }
        if self.script.repeat {
            self.begin_op(i, false);
        } else {
            let c = &mut self.conns[i];
            c.finished = true;
            c.good = true;
        }
    }

    /// Handle one answer line; false when the connection was dropped.
    fn on_line(&mut self, i: usize, line: &[u8]) -> bool {
        let c = &mut self.conns[i];
        if !c.busy {
            return true; // unsolicited; ignore
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let done = match &self.script.steps[c.step].expect {
            Expect::Prefix(p) => {
                if line.starts_with(p) {
                    Some(true)
                } else {
                    Some(false)
                }
            }
            Expect::List { begin, end } => {
                if !c.in_list {
                    if line == begin.as_slice() {
                        c.in_list = true;
                        None
                    } else {
                        Some(false)
                    }
                } else if line == end.as_slice() {
                    c.in_list = false;
                    Some(true)
                } else {
                    self.tally.list_items += u64::from(self.shared.in_window(Instant::now()));
                    None
                }
            }
        };
        match done {
            None => true,
            Some(true) => {
                let c = &mut self.conns[i];
                c.step += 1;
                if c.step == self.script.steps.len() {
                    self.op_done(i);
                } else {
                    c.out_pos = 0;
                    c.writing = true;
                }
                true
            }
            Some(false) => {
                let text = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                self.record_fail(Fail::Reply, &format!("unexpected reply: {text}"));
                let c = &mut self.conns[i];
                c.in_list = false;
                if self.script.reconnect_each_op || !self.script.repeat {
                    // A failed session is over; so is a one-shot client.
                    self.close(i);
                    let c = &mut self.conns[i];
                    c.busy = false;
                    if self.script.repeat {
                        self.begin_op(i, false);
                    } else {
                        c.finished = true;
                    }
                    false
                } else {
                    c.busy = false;
                    self.begin_op(i, false);
                    true
                }
            }
        }
    }

    /// Do whatever I/O connection `i` allows right now.
    fn progress(&mut self, i: usize) {
        loop {
            let connected = self.conns[i].connected;
            let Some(stream) = self.conns[i].stream.as_mut() else { return };
            if !connected {
                match stream.take_error() {
                    Ok(Some(e)) | Err(e) => return self.fail(i, Fail::Connect, &format!("connect: {e}")),
                    Ok(None) => {}
                }
                match stream.peer_addr() {
                    Ok(_) => {
                        let c = &mut self.conns[i];
                        c.connected = true;
                        if !c.ever_connected {
                            c.ever_connected = true;
                            self.shared.connected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                    Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => return,
                    Err(e) => return self.fail(i, Fail::Connect, &format!("connect: {e}")),
                }
            }
            let mut moved = false;
            // Write the pending request line.
            let c = &mut self.conns[i];
            if c.writing && c.busy {
                let line = &self.script.steps[c.step].line;
                let stream = c.stream.as_mut().expect("checked above");
                while c.out_pos < line.len() {
                    match stream.write(&line[c.out_pos..]) {
                        Ok(0) => return self.fail(i, Fail::Io, "write returned 0"),
                        Ok(n) => c.out_pos += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let kind = if e.kind() == io::ErrorKind::ConnectionReset { Fail::Closed } else { Fail::Io };
                            return self.fail(i, kind, &format!("write: {e}"));
                        }
                    }
                }
                if c.out_pos == line.len() {
                    c.writing = false;
                }
            }
            // Read everything there is.
            loop {
                let c = &mut self.conns[i];
                let Some(stream) = c.stream.as_mut() else { return };
                match stream.read(&mut self.buf) {
                    Ok(0) => {
                        if c.busy {
                            return self.fail(i, Fail::Closed, "server closed the connection");
                        }
                        // An idle connection the server dropped.
                        self.close(i);
                        self.conns[i].good = false;
                        return;
                    }
                    Ok(n) => {
                        c.inbuf.extend_from_slice(&self.buf[..n]);
                        moved = true;
                        let inbuf = std::mem::take(&mut self.conns[i].inbuf);
                        let mut start = 0;
                        let mut alive = true;
                        while let Some(p) = inbuf[start..].iter().position(|&b| b == b'\n') {
                            let line = &inbuf[start..start + p];
                            start += p + 1;
                            if !self.on_line(i, line) {
                                alive = false;
                                break;
                            }
                        }
                        if !alive || self.conns[i].stream.is_none() || !self.conns[i].connected {
                            // The operation closed it (login/burst) and may have
                            // opened a new one; that one reports its own events.
                            return;
                        }
                        let mut rest = inbuf;
                        rest.drain(..start);
                        if rest.len() > 1 << 20 {
                            return self.fail(i, Fail::Reply, "answer line longer than 1 MiB");
                        }
                        self.conns[i].inbuf = rest;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let kind = if e.kind() == io::ErrorKind::ConnectionReset { Fail::Closed } else { Fail::Io };
                        return self.fail(i, kind, &format!("read: {e}"));
                    }
                }
            }
            let c = &self.conns[i];
            // A new request became pending while reading: go round again.
            if !(moved && c.writing && c.busy && c.out_pos == 0) {
                return;
            }
        }
    }

    /// Timeouts and reconnect delays.
    fn scan(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_scan) < Duration::from_millis(20) {
            return;
        }
        self.last_scan = now;
        for i in 0..self.conns.len() {
            let c = &self.conns[i];
            if c.busy && c.op_start.is_some_and(|s| now.duration_since(s) > self.timeout) {
                self.fail(i, Fail::Timeout, "operation timed out");
            } else if !c.busy && !c.finished && c.retry_at.is_some_and(|t| now >= t) {
                self.begin_op(i, true);
            }
        }
    }

    /// Poll once (at most `wait`) and handle what came.
    pub fn turn(&mut self, events: &mut Events, wait: Duration) -> io::Result<()> {
        match self.poll.poll(events, Some(wait)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let tokens: Vec<usize> = events.iter().map(|e| e.token().0).collect();
        for i in tokens {
            if i < self.conns.len() {
                self.progress(i);
            }
        }
        self.scan();
        Ok(())
    }

    /// Closed-loop load until the shared stop flag is set. First every
    /// client connects, `connect_batch` at a time and without sending
    /// anything (so the start is not a connection storm competing with the
    /// load); the load starts when the caller sets [`Shared::go`].
    pub fn run_load(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let n = self.conns.len();
        let mut next = 0;
        let mut connecting = 0;
        while !self.shared.go.load(Ordering::Acquire) && !self.shared.stopping() {
            if next < n {
                while connecting < self.connect_batch && next < n {
                    self.open(next);
                    next += 1;
                    connecting += 1;
                }
                connecting = self.conns[..next].iter().filter(|c| c.stream.is_some() && !c.connected).count();
            }
            self.turn(&mut events, Duration::from_millis(5))?;
        }
        for i in 0..n {
            self.begin_op(i, true);
        }
        while !self.shared.stopping() {
            self.turn(&mut events, Duration::from_millis(20))?;
        }
        Ok(())
    }

    /// Start every connection's single operation and run until all are
    /// finished or `deadline` passes; at most `batch` operations at a time.
    pub fn run_all_once(&mut self, batch: usize, deadline: Instant, only_open: bool) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut next = 0;
        let n = self.conns.len();
        let mut started = vec![false; n];
        loop {
            let mut busy = self.busy_count();
            while next < n && busy < batch {
                if !only_open || self.conns[next].stream.is_some() {
                    started[next] = true;
                    self.begin_op(next, true);
                    busy += 1;
                } else {
                    self.conns[next].finished = true;
                }
                next += 1;
            }
            if next >= n && (0..n).all(|i| !started[i] || !self.conns[i].busy) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                for i in 0..n {
                    if self.conns[i].busy {
                        self.fail(i, Fail::Timeout, "operation timed out");
                    }
                }
                return Ok(());
            }
            self.turn(&mut events, Duration::from_millis(20))?;
        }
    }

    /// Keep the connections open and notice the ones the server closes.
    pub fn hold_until(&mut self, until: Instant) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        while Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now()).min(Duration::from_millis(100));
            self.turn(&mut events, left)?;
        }
        Ok(())
    }
}
