//! Pid files: written after start-up, removed on exit, probed to refuse a
//! second instance and to find the process for `-c`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::sys::signal::kill;
use nix::unistd::Pid;

/// A pid file we wrote; it is removed when this value is dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Write our pid (`<pid>\n`) to `path`, readable by all, writable by us.
/// The file is made fresh beside `path` (never through a symlink or
/// someone else's file, whatever the umask) with mode 0644, then renamed
/// over `path`.
pub fn write(path: &Path) -> io::Result<PidFile> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("pid.tmp");
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&tmp)?;
    // The umask may have taken bits away; set exactly 0644.
    f.set_permissions(fs::Permissions::from_mode(0o644))?;
    f.write_all(format!("{}\n", std::process::id()).as_bytes())?;
    drop(f);
    fs::rename(&tmp, path)?;
    Ok(PidFile { path: path.to_path_buf() })
}

/// Read the pid stored in `path`.
pub fn read(path: &Path) -> io::Result<i32> {
    let text = fs::read_to_string(path)?;
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|pid| *pid > 0)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("{} holds no pid", path.display())))
}

/// True when a process with this pid exists and has not already died (a
/// zombie that its parent has not reaped yet counts as dead: after a
/// `kill -9` of a daemon whose parent is slow to reap, a restart must not
/// wait for it).
pub fn is_alive(pid: i32) -> bool {
    let exists = match kill(Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    };
    exists && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and ')'.
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|state| state == "Z" || state == "X")
}

fn process_name_matches(pid: i32, progname: &str) -> bool {
    if std::env::var("NUT_IGNORE_CHECKPROCNAME").is_ok_and(|v| matches!(v.as_str(), "true" | "1" | "yes")) {
        return true;
    }
    if let Ok(exe) = fs::read_link(format!("/proc/{pid}/exe")) {
        if exe.file_name().is_some_and(|n| n.to_string_lossy().trim_end_matches(" (deleted)") == progname) {
            return true;
        }
    }
    // comm is cut to 15 bytes by the kernel.
    match fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => {
            let short: String = progname.chars().take(15).collect();
            comm.trim() == short
        }
        // Without /proc we cannot tell; assume it is ours, as NUT does.
        Err(_) => true,
    }
}

/// The pid of a live instance recorded in `path` whose program name is
/// `progname`, if any. A stale pid file (dead process, or another program
/// now using that pid) yields `None`.
pub fn running_instance(path: &Path, progname: &str) -> Option<i32> {
    let pid = read(path).ok()?;
    if pid == std::process::id() as i32 {
        return None;
    }
    (is_alive(pid) && process_name_matches(pid, progname)).then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_and_remove_on_drop() {
        let dir = std::env::temp_dir().join(format!("nut-daemon-pid-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upsd.pid");
        {
            let _pf = write(&path).unwrap();
            assert_eq!(read(&path).unwrap(), std::process::id() as i32);
            // Our own pid is never reported as "another instance".
            assert_eq!(running_instance(&path, "upsd"), None);
        }
        assert!(!path.exists());
        // A symlink left where the temporary file goes is replaced, not followed.
        let target = dir.join("victim");
        fs::write(&target, "keep\n").unwrap();
        let _ = fs::remove_file(path.with_extension("pid.tmp"));
        std::os::unix::fs::symlink(&target, path.with_extension("pid.tmp")).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let _pf = write(&path).unwrap();
            assert_eq!(fs::read_to_string(&target).unwrap(), "keep\n");
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o644);
        }
        fs::write(&path, "garbage\n").unwrap();
        assert!(read(&path).is_err());
        fs::write(&path, "999999999\n").unwrap();
        assert_eq!(running_instance(&path, "upsd"), None);
        // A dead child not yet reaped is not running.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !is_zombie(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(is_zombie(pid));
        assert!(!is_alive(pid));
        child.wait().unwrap();
        assert!(is_alive(std::process::id() as i32));
        let _ = fs::remove_dir_all(&dir);
    }
}
