//! Network namespaces joined by a bridge: one namespace per host.
//!
//! Layout of one [`Lan`] (`N` is a per-test number, `P` the primary's
//! namespace, `Sk` the k-th secondary's):
//!
//! ```text
//!   P:  br0 10.200.N.1/24 ── vs1 ══ veth ══ eth0 10.200.N.2/24 :S1
//!                         └─ vs2 ══ veth ══ eth0 10.200.N.3/24 :S2
//! ```
//!
//! Every link is created directly inside our namespaces (`ip -n P link add
//! ... peer ... netns Sk`), so nothing appears in the machine's own
//! namespace and no packet can leave it. Dropping the [`Lan`] deletes the
//! namespaces, which destroys the links with them.

use std::fs::File;
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use nix::sched::CloneFlags;

/// Prefix of every namespace this harness creates.
pub const NS_PREFIX: &str = "nutmh-";

static NEXT_LAN: AtomicUsize = AtomicUsize::new(0);
static STALE_SWEEP: Once = Once::new();

/// Run `ip ARGS`; Err carries the command and its stderr.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip {}`: {e} (install iproute2)", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip_output(args: &[&str]) -> String {
    Command::new("ip")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Names of the namespaces that exist now (`ip netns list`).
pub fn list_namespaces() -> Vec<String> {
    ip_output(&["netns", "list"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Delete namespaces left by an earlier run of this harness that was killed
/// before it could clean up: `nutmh-<pid>-...` whose `<pid>` is gone. Ours
/// (this pid) and those of live processes are never touched.
pub fn sweep_stale() {
    let me = std::process::id();
    for name in list_namespaces() {
        let Some(rest) = name.strip_prefix(NS_PREFIX) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != me && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

fn fail_loudly(what: &str, err: &str) -> ! {
    panic!(
        "multihost: cannot {what}: {err}\n\
         These scenarios need root (CAP_SYS_ADMIN + CAP_NET_ADMIN), iproute2, util-linux `unshare`, \
         and kernel support for network namespaces, veth and bridge devices. \
         They never skip: run them as root on a machine that has these (CI does)."
    )
}

/// What every host needs besides namespaces: `unshare` (util-linux), to give
/// NUT's upsmon a private /run/nut.
fn preflight() {
    match Command::new("unshare").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => fail_loudly("run `unshare --version`", &String::from_utf8_lossy(&o.stderr)),
        Err(e) => fail_loudly("run `unshare`", &e.to_string()),
    }
}

/// One network namespace, deleted on drop.
pub struct Netns {
    name: String,
}

impl Netns {
    pub fn create(name: &str) -> Netns {
        if let Err(e) = ip(&["netns", "add", name]) {
            fail_loudly(&format!("create network namespace {name}"), &e);
        }
        let ns = Netns { name: name.to_string() };
        if let Err(e) = ip(&["-n", name, "link", "set", "lo", "up"]) {
            fail_loudly(&format!("bring up lo in {name}"), &e);
        }
        ns
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Run `f` on a fresh thread that has joined this namespace's network
    /// stack (sockets it opens live there). The calling thread is untouched.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        in_netns(&self.name, f)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// See [`Netns::run`].
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let path = format!("/run/netns/{ns}");
    let handle = std::thread::spawn(move || -> Result<T, String> {
        let file = File::open(&path).map_err(|e| format!("open {path}: {e}"))?;
        nix::sched::setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns {path}: {e}"))?;
        Ok(f())
    });
    handle.join().map_err(|_| format!("thread inside {ns} panicked"))?
}

/// A primary and its secondaries on one bridge, each in its own namespace.
pub struct Lan {
    /// `nutmh-<pid>-<n>`
    pub tag: String,
    /// The `N` of 10.200.N.0/24.
    pub subnet: u8,
    /// hosts[0] is the primary.
    hosts: Vec<(String, Netns, Ipv4Addr)>,
}

impl Lan {
    /// Create `names.len()` namespaces (the first is the primary, holding the
    /// bridge). Fails the test loudly if namespaces cannot be made.
    pub fn create(names: &[&str]) -> Lan {
        STALE_SWEEP.call_once(|| {
            preflight();
            sweep_stale();
        });
        let n = NEXT_LAN.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{NS_PREFIX}{}-{n}", std::process::id());
        let subnet = (n % 250 + 1) as u8;
        let mut hosts: Vec<(String, Netns, Ipv4Addr)> = Vec::new();
        for (i, h) in names.iter().enumerate() {
            let ns = Netns::create(&format!("{tag}-{h}"));
            hosts.push((h.to_string(), ns, Ipv4Addr::new(10, 200, subnet, i as u8 + 1)));
        }
        let lan = Lan { tag, subnet, hosts };
        if let Err(e) = lan.wire() {
            fail_loudly("wire the test LAN (bridge + veth pairs inside the namespaces)", &e);
        }
        lan
    }

    fn wire(&self) -> Result<(), String> {
        let p = self.hosts[0].1.name().to_string();
        ip(&["-n", &p, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &p, "addr", "add", &format!("{}/24", self.hosts[0].2), "dev", "br0"])?;
        ip(&["-n", &p, "link", "set", "br0", "up"])?;
        for (k, (_, ns, addr)) in self.hosts.iter().enumerate().skip(1) {
            let port = format!("vs{k}");
            ip(&["-n", &p, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns.name()])?;
            ip(&["-n", &p, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &p, "link", "set", &port, "up"])?;
            ip(&["-n", ns.name(), "addr", "add", &format!("{addr}/24"), "dev", "eth0"])?;
            ip(&["-n", ns.name(), "link", "set", "eth0", "up"])?;
        }
        Ok(())
    }

    pub fn ns(&self, host: usize) -> &Netns {
        &self.hosts[host].1
    }

    pub fn addr(&self, host: usize) -> Ipv4Addr {
        self.hosts[host].2
    }

    pub fn namespace_names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.1.name().to_string()).collect()
    }
}
