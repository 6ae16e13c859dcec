//! A throw-away NUT sandbox: private config/state dirs, a loopback port, child processes.

use std::fmt;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::impls::{Impl, Program};
use crate::{LineClient, CLIENT_TIMEOUT, READY_TIMEOUT};

/// The line Debian's NSS-built 2.8.0 clients print on stderr whenever they connect.
pub const SSL_NOISE: &str = "Init SSL without certificate database";

/// Remove NUT's NSS noise line(s) from a captured stderr.
pub fn strip_ssl_noise(stderr: &str) -> String {
    let mut out = String::with_capacity(stderr.len());
    for line in stderr.split_inclusive('\n') {
        if line.trim_end_matches('\n') == SSL_NOISE {
            continue;
        }
        out.push_str(line);
    }
    out
}

/// What a finished (or timed-out) program produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// Exit code; `None` if killed by a signal (including our timeout kill).
    pub code: Option<i32>,
    pub timed_out: bool,
}

impl Output {
    /// Same output with NUT's SSL noise line removed from stderr.
    pub fn normalized(&self) -> Output {
        Output { stderr: strip_ssl_noise(&self.stderr), ..self.clone() }
    }

    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// A stable text form, used for diffs between implementations.
    pub fn render(&self) -> String {
        let code = match (self.timed_out, self.code) {
            (true, _) => "TIMEOUT".to_string(),
            (false, Some(c)) => c.to_string(),
            (false, None) => "signal".to_string(),
        };
        let mut s = format!("exit: {code}\n--- stdout\n{}", self.stdout);
        if !self.stdout.is_empty() && !self.stdout.ends_with('\n') {
            s.push_str("\\ (no newline at end)\n");
        }
        s.push_str("--- stderr\n");
        s.push_str(&self.stderr);
        if !self.stderr.is_empty() && !self.stderr.ends_with('\n') {
            s.push_str("\\ (no newline at end)\n");
        }
        s
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Handle of a child process started by a [`Sandbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcId(usize);

struct Proc {
    label: String,
    child: Child,
    status: Option<ExitStatus>,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Proc {
    fn poll(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.status = Some(st);
            }
        }
        self.status
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL and reap. Never hangs.
    fn stop(&mut self, grace: Duration) {
        if self.poll().is_some() {
            return;
        }
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGCONT);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.poll().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.poll().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A private NUT installation in a short temp dir (`/tmp/nrt.XXXXXX`).
///
/// Layout: `etc/` (NUT_CONFPATH), `run/` (NUT_STATEPATH and NUT_ALTPIDPATH), `log/` (captured
/// stdout/stderr of every program started here). Every child is killed and reaped on drop; the
/// directory is removed unless the test is panicking (then it is kept and its logs printed) or
/// `NUT_TESTKIT_KEEP` is set.
pub struct Sandbox {
    root: PathBuf,
    port: u16,
    procs: Vec<Proc>,
    seq: std::cell::Cell<usize>,
    extra_env: Vec<(String, String)>,
}

fn mkdtemp(prefix: &str) -> PathBuf {
    let template = format!("/tmp/{prefix}.XXXXXX");
    nix::unistd::mkdtemp(template.as_str()).expect("mkdtemp under /tmp")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

impl Sandbox {
    /// New empty sandbox with a free port. No config files are written yet.
    pub fn new() -> Sandbox {
        let root = mkdtemp("nrt");
        for d in ["etc", "run", "log"] {
            fs::create_dir(root.join(d)).expect("create sandbox subdir");
        }
        let sb = Sandbox {
            root,
            port: free_port(),
            procs: Vec::new(),
            seq: std::cell::Cell::new(0),
            extra_env: Vec::new(),
        };
        sb.fix_permissions();
        sb
    }

    /// When run as root, NUT's daemons drop privileges to the `nut` user: give it the state dir
    /// (and let it traverse the sandbox). Our daemons are expected to do the same.
    fn fix_permissions(&self) {
        let _ = fs::set_permissions(&self.root, fs::Permissions::from_mode(0o755));
        let _ = fs::set_permissions(self.etc(), fs::Permissions::from_mode(0o755));
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        if let Ok(Some(user)) = nix::unistd::User::from_name("nut") {
            let _ = nix::unistd::chown(&self.run(), Some(user.uid), Some(user.gid));
            let _ = fs::set_permissions(self.run(), fs::Permissions::from_mode(0o770));
        } else {
            let _ = fs::set_permissions(self.run(), fs::Permissions::from_mode(0o777));
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn etc(&self) -> PathBuf {
        self.root.join("etc")
    }
    pub fn run(&self) -> PathBuf {
        self.root.join("run")
    }
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `<ups>@127.0.0.1:<port>`
    pub fn ups_spec(&self, ups: &str) -> String {
        format!("{ups}@127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:<port>` (for `upsc -l`).
    pub fn host_spec(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Path of a driver's socket in the state dir: `run/<driver>-<ups>`.
    pub fn driver_socket(&self, driver: &str, ups: &str) -> PathBuf {
        self.run().join(format!("{driver}-{ups}"))
    }

    /// Write a file under `etc/` (mode 0644: readable after a privilege drop).
    pub fn write_etc(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.etc().join(name);
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        let _ = fs::set_permissions(&p, fs::Permissions::from_mode(0o644));
        p
    }

    pub fn write_ups_conf(&self, contents: &str) {
        self.write_etc("ups.conf", contents);
    }
    pub fn write_upsd_users(&self, contents: &str) {
        self.write_etc("upsd.users", contents);
    }
    /// Writes upsd.conf as `LISTEN 127.0.0.1 <port>` followed by `extra`.
    pub fn write_upsd_conf(&self, extra: &str) {
        let text = format!("LISTEN 127.0.0.1 {}\n{extra}", self.port);
        self.write_etc("upsd.conf", &text);
    }

    /// Extra environment for every child started from now on.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.push((key.to_string(), value.to_string()));
    }

    /// The NUT_* environment every child gets.
    pub fn env(&self) -> Vec<(String, String)> {
        let run = self.run().to_string_lossy().into_owned();
        let mut v = vec![
            ("NUT_CONFPATH".to_string(), self.etc().to_string_lossy().into_owned()),
            ("NUT_STATEPATH".to_string(), run.clone()),
            ("NUT_ALTPIDPATH".to_string(), run),
        ];
        v.extend(self.extra_env.iter().cloned());
        v
    }

    /// A command with the sandbox environment (and `NUT_DEBUG_LEVEL` cleared), stdin closed.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_remove("NUT_DEBUG_LEVEL");
        c.envs(self.env());
        c.current_dir(&self.root);
        c.stdin(Stdio::null());
        c
    }

    fn next_seq(&self) -> usize {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        n
    }

    /// Start a long-running child; stdout/stderr go to `log/<n>-<label>.{out,err}`.
    pub fn spawn(&mut self, label: &str, mut cmd: Command) -> ProcId {
        let n = self.next_seq();
        let stdout = self.log().join(format!("{n:03}-{label}.out"));
        let stderr = self.log().join(format!("{n:03}-{label}.err"));
        cmd.stdout(fs::File::create(&stdout).expect("create log"));
        cmd.stderr(fs::File::create(&stderr).expect("create log"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label} ({:?}): {e}", cmd.get_program()));
        self.procs.push(Proc { label: label.to_string(), child, status: None, stdout, stderr });
        ProcId(self.procs.len() - 1)
    }

    pub fn pid(&self, id: ProcId) -> u32 {
        self.procs[id.0].child.id()
    }

    /// `Some(status)` if the child has exited.
    pub fn exited(&mut self, id: ProcId) -> Option<ExitStatus> {
        self.procs[id.0].poll()
    }

    pub fn signal(&self, id: ProcId, sig: Signal) {
        let _ = kill(Pid::from_raw(self.pid(id) as i32), sig);
    }

    /// SIGTERM (then SIGKILL after 5 s) and reap.
    pub fn stop(&mut self, id: ProcId) {
        self.procs[id.0].stop(Duration::from_secs(5));
    }

    /// Captured stdout+stderr of one child so far.
    pub fn proc_logs(&self, id: ProcId) -> String {
        let p = &self.procs[id.0];
        format!(
            "== {} (pid {}) status {:?}\n-- stdout:\n{}\n-- stderr:\n{}\n",
            p.label,
            p.child.id(),
            p.status,
            tail(&p.stdout),
            tail(&p.stderr)
        )
    }

    /// Captured output of every child (for failure messages).
    pub fn logs(&self) -> String {
        let mut s = format!("sandbox {} (port {})\n", self.root.display(), self.port);
        for i in 0..self.procs.len() {
            s.push_str(&self.proc_logs(ProcId(i)));
        }
        s
    }

    /// Poll `check` every 25 ms until it yields `Some`, the child `watch` exits, or `timeout`.
    pub fn wait_for<T>(
        &mut self,
        what: &str,
        watch: Option<ProcId>,
        timeout: Duration,
        mut check: impl FnMut(&Sandbox) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check(self) {
                return Ok(v);
            }
            if let Some(id) = watch {
                if let Some(st) = self.exited(id) {
                    // One last look: the child may have finished its job and exited.
                    if let Some(v) = check(self) {
                        return Ok(v);
                    }
                    return Err(format!(
                        "waiting for {what}: {} exited early ({st})\n{}",
                        self.procs[id.0].label,
                        self.logs()
                    ));
                }
            }
            if Instant::now() >= deadline {
                return Err(format!("timed out after {timeout:?} waiting for {what}\n{}", self.logs()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Wait until 127.0.0.1:<port> accepts connections.
    pub fn wait_port(&mut self, watch: Option<ProcId>, timeout: Duration) -> Result<(), String> {
        let port = self.port;
        self.wait_for(&format!("TCP port {port}"), watch, timeout, |_| {
            TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
                .ok()
                .map(|_| ())
        })
    }

    /// Wait until a filesystem path exists (e.g. a driver socket).
    pub fn wait_path(&mut self, path: &Path, watch: Option<ProcId>, timeout: Duration) -> Result<(), String> {
        let p = path.to_path_buf();
        self.wait_for(&format!("{}", path.display()), watch, timeout, move |_| p.exists().then_some(()))
    }

    /// Start upsd (`-F`, foreground without pid file) and wait until its port accepts.
    pub fn start_upsd(&mut self, imp: Impl) -> ProcId {
        self.try_start_upsd(imp, &["-F"]).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start_upsd(&mut self, imp: Impl, args: &[&str]) -> Result<ProcId, String> {
        let bin = imp.try_path(Program::Upsd)?;
        let mut cmd = self.command(&bin);
        cmd.args(args);
        let id = self.spawn(&format!("upsd-{imp}"), cmd);
        self.wait_port(Some(id), READY_TIMEOUT)?;
        Ok(id)
    }

    /// Start `dummy-ups -a <ups> -F` and wait for its socket `run/dummy-ups-<ups>`.
    pub fn start_dummy(&mut self, imp: Impl, ups: &str) -> ProcId {
        self.try_start_dummy(imp, ups).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start_dummy(&mut self, imp: Impl, ups: &str) -> Result<ProcId, String> {
        let bin = imp.try_path(Program::DummyUps)?;
        let mut cmd = self.command(&bin);
        cmd.args(["-a", ups, "-F"]);
        let id = self.spawn(&format!("dummy-ups-{imp}-{ups}"), cmd);
        let sock = self.driver_socket("dummy-ups", ups);
        self.wait_path(&sock, Some(id), READY_TIMEOUT)?;
        Ok(id)
    }

    /// Wait until upsd serves data for `ups`: `GET VAR <ups> driver.name` answers a `VAR` line
    /// and `ups.status` (if present) is not `WAIT`.
    pub fn wait_ups_ready(&mut self, ups: &str, watch: Option<ProcId>) -> Result<(), String> {
        let port = self.port;
        let ups = ups.to_string();
        self.wait_for(&format!("data of UPS {ups}"), watch, READY_TIMEOUT, move |_| {
            let mut c = LineClient::connect(port).ok()?;
            let name = c.request(&format!("GET VAR {ups} driver.name")).ok()?;
            if !name.starts_with("VAR ") {
                return None;
            }
            let st = c.request(&format!("GET VAR {ups} ups.status")).ok()?;
            (!st.contains("\"WAIT\"")).then_some(())
        })
    }

    /// Run a program to completion (bounded by `timeout`) and capture its output.
    pub fn run_path(&self, program: &Path, args: &[&str], timeout: Duration) -> Output {
        let mut cmd = self.command(program);
        cmd.args(args);
        self.run_command(cmd, timeout)
    }

    /// Run a prepared command to completion (bounded) and capture its output.
    pub fn run_command(&self, mut cmd: Command, timeout: Duration) -> Output {
        let n = self.next_seq();
        let name = Path::new(cmd.get_program())
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let out_p = self.log().join(format!("{n:03}-run-{name}.out"));
        let err_p = self.log().join(format!("{n:03}-run-{name}.err"));
        cmd.stdout(fs::File::create(&out_p).expect("create log"));
        cmd.stderr(fs::File::create(&err_p).expect("create log"));
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => panic!("cannot run {:?}: {e}", cmd.get_program()),
        };
        let deadline = Instant::now() + timeout;
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) => {}
                Err(_) => break None,
            }
            if Instant::now() >= deadline {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Output {
            stdout: read_lossy(&out_p),
            stderr: read_lossy(&err_p),
            code: status.and_then(|s| s.code()),
            timed_out,
        }
    }

    /// Run one of the client programs of `imp` with the default client timeout.
    pub fn run_client(&self, imp: Impl, program: Program, args: &[&str]) -> Output {
        self.run_path(&imp.path(program), args, CLIENT_TIMEOUT)
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

fn read_lossy(p: &Path) -> String {
    String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned()
}

fn tail(p: &Path) -> String {
    let s = read_lossy(p);
    const MAX: usize = 4000;
    if s.len() > MAX {
        let mut cut = s.len() - MAX;
        while !s.is_char_boundary(cut) {
            cut += 1;
        }
        format!("[...]{}", &s[cut..])
    } else {
        s
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            p.stop(Duration::from_secs(3));
        }
        let keep = std::thread::panicking() || std::env::var_os("NUT_TESTKIT_KEEP").is_some();
        if std::thread::panicking() {
            eprintln!("--- sandbox kept for inspection ---\n{}", self.logs());
        }
        if !keep {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_noise_is_removed_and_nothing_else() {
        let e = format!("{SSL_NOISE}\nError: Unknown UPS\n");
        assert_eq!(strip_ssl_noise(&e), "Error: Unknown UPS\n");
        assert_eq!(strip_ssl_noise("x\n"), "x\n");
    }

    #[test]
    fn drop_reaps_children_and_removes_the_dir() {
        let mut sb = Sandbox::new();
        let root = sb.root().to_path_buf();
        assert!(sb.driver_socket("dummy-ups", "ups").as_os_str().len() < 108);
        let mut cmd = sb.command("sleep");
        cmd.arg("1000");
        let id = sb.spawn("sleeper", cmd);
        let pid = sb.pid(id);
        drop(sb);
        assert!(!root.exists(), "sandbox dir left behind");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(stat.is_empty(), "child {pid} still exists: {stat}");
    }

    #[test]
    fn run_command_times_out() {
        let sb = Sandbox::new();
        let out = sb.run_path(Path::new("/bin/sleep"), &["10"], Duration::from_millis(200));
        assert!(out.timed_out && out.code.is_none(), "{out:?}");
    }

    #[test]
    fn env_points_into_the_sandbox() {
        let sb = Sandbox::new();
        let out = sb.run_path(Path::new("/bin/sh"), &["-c", "echo $NUT_CONFPATH $NUT_STATEPATH $NUT_ALTPIDPATH"], Duration::from_secs(5));
        let want = format!("{} {} {}\n", sb.etc().display(), sb.run().display(), sb.run().display());
        assert_eq!(out.stdout, want);
    }
}
