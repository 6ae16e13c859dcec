//! Helpers shared by the integration tests: find the built replay library,
//! make scratch sandboxes, run NUT's programs with a watchdog.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// NUT 2.8.0's HID driver, the oracle.
pub const NUT_USBHID: &str = "/lib/nut/usbhid-ups";
/// NUT 2.8.0's upsd.
pub const NUT_UPSD: &str = "/lib/nut/upsd";
/// NUT 2.8.0's upsc.
pub const NUT_UPSC: &str = "/usr/bin/upsc";

/// The corpus of recorded HID devices.
pub fn corpus_hid() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/hid")
}

/// `target/<profile>`: the test binary lives in its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// The cdylib cargo built for this crate. `cargo test` builds it into
/// `target/<profile>/deps/` and only `cargo build` copies it up to
/// `target/<profile>/`, so take the newer of the two.
pub fn replay_cdylib() -> PathBuf {
    let candidates = [
        profile_dir().join("deps/libusb_1_0.so"),
        profile_dir().join("libusb_1_0.so"),
    ];
    candidates
        .into_iter()
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
        .expect("libusb_1_0.so not built: cargo test -p libusb-replay builds it")
}

/// Where artifacts go: `target/<...>/libusb-replay-nut/` (not in git).
pub fn artifact_dir() -> PathBuf {
    let d = profile_dir()
        .parent()
        .expect("target dir")
        .join("libusb-replay-nut");
    fs::create_dir_all(&d).expect("artifact dir");
    d
}

/// Whether NUT's binaries are installed; tests that need them say so and
/// pass without running when they are not.
/// NUT 2.8.0's usbhid-ups is the oracle of these tests: without it they
/// fail, saying what to install, rather than pass having compared nothing.
pub fn have_nut() -> bool {
    assert!(
        Path::new(NUT_USBHID).exists(),
        "{NUT_USBHID} is not installed (Debian package nut-server 2.8.0; scripts/install-deps.sh installs it)"
    );
    true
}

/// A fresh scratch directory with a `lib/libusb-1.0.so.0` symlink to the
/// replay library and `conf/` + `state/` for a NUT sandbox.
pub struct Sandbox {
    /// Root.
    pub dir: PathBuf,
}

impl Sandbox {
    /// Make one; `name` keeps parallel tests apart.
    pub fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("libusb-replay-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["lib", "conf", "state"] {
            fs::create_dir_all(dir.join(sub)).expect("sandbox dirs");
        }
        std::os::unix::fs::symlink(replay_cdylib(), dir.join("lib/libusb-1.0.so.0"))
            .expect("symlink");
        Sandbox { dir }
    }

    /// Path inside the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Write `conf/ups.conf` with one `[ups]` section and extra lines.
    pub fn ups_conf(&self, extra: &[(String, String)]) {
        let mut s = String::from("[ups]\n  driver = usbhid-ups\n  port = auto\n");
        for (k, v) in extra {
            s.push_str(&format!("  {k} = \"{v}\"\n"));
        }
        fs::write(self.path("conf/ups.conf"), s).expect("ups.conf");
    }

    /// A command with the NUT sandbox and replay environment set.
    pub fn command(
        &self,
        program: &str,
        capture: &Path,
        script: Option<&Path>,
        log: &Path,
    ) -> Command {
        let mut c = Command::new(program);
        c.env("NUT_CONFPATH", self.path("conf"))
            .env("NUT_STATEPATH", self.path("state"))
            .env("NUT_ALTPIDPATH", self.path("state"))
            .env("LD_LIBRARY_PATH", self.path("lib"))
            .env("LIBUSB_REPLAY_FILE", capture)
            .env("LIBUSB_REPLAY_LOG", log)
            .env_remove("LIBUSB_REPLAY_SCRIPT")
            .env_remove("NUT_DEBUG_LEVEL");
        if let Some(s) = script {
            c.env("LIBUSB_REPLAY_SCRIPT", s);
        }
        c
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What one run of a program left.
pub struct Run {
    /// Exit status (None: killed by the watchdog).
    pub status: Option<ExitStatus>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Run to completion, killing the program after `limit`.
pub fn run(mut cmd: Command, out_dir: &Path, tag: &str, limit: Duration) -> Run {
    let out = out_dir.join(format!("{tag}.stdout"));
    let err = out_dir.join(format!("{tag}.stderr"));
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out).expect("stdout file"))
        .stderr(fs::File::create(&err).expect("stderr file"));
    let mut child = cmd.spawn().expect("spawn");
    let status = wait_for(&mut child, limit);
    Run {
        status,
        stdout: fs::read_to_string(&out).unwrap_or_default(),
        stderr: fs::read_to_string(&err).unwrap_or_default(),
    }
}

/// Wait for a child, killing it after `limit`.
pub fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ask a child to stop with SIGTERM (NUT cleans up its socket and pid
/// file then), falling back to SIGKILL.
pub fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    if wait_for(child, Duration::from_secs(5)).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `name: value` lines of a `-d 1` dump (the banner lines have no `: `
/// before a space-free name, so they are skipped).
pub fn dump_vars(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
