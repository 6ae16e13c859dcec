//! Runs scripts/nit-like.sh (a NIT-style sandbox driven only by PATH and NUT_* env vars) with
//! NUT's binaries first in PATH, then with ours. Both must pass.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::{Impl, Program};

fn run_nit_like(imp: Impl) {
    for p in [Program::Upsd, Program::DummyUps, Program::Upsc] {
        imp.path(p); // fail (not skip) when missing, and never fall through to NUT on PATH
    }
    let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nit-like.sh"));
    let mut path: Vec<PathBuf> = imp.path_dirs();
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    let log = std::env::temp_dir().join(format!("nit-like-{imp}-{}.log", std::process::id()));
    let mut child = Command::new("bash")
        .arg(&script)
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .env_remove("NUT_DEBUG_LEVEL")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("log"))
        .stderr(std::fs::File::create(log.with_extension("err")).expect("log"))
        .process_group(0)
        .spawn()
        .expect("start bash");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break Some(st);
        }
        if Instant::now() >= deadline {
            // The whole process group: the script and whatever it started.
            let pgid = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGTERM);
            std::thread::sleep(Duration::from_secs(2));
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let err = std::fs::read_to_string(log.with_extension("err")).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(log.with_extension("err"));
    println!("{out}");
    assert!(
        status.is_some_and(|s| s.success()),
        "nit-like.sh with {imp} binaries first in PATH failed ({status:?}):\n{out}\n--- stderr\n{err}"
    );
    assert!(out.contains("FAILED=0"), "{out}");
}

#[test]
fn nit_like_with_nut_binaries() {
    run_nit_like(Impl::Nut);
}

#[test]
fn nit_like_with_our_binaries() {
    run_nit_like(Impl::Ours);
}
