//! compat: the shared scenario of the black-box interoperability suite.
//!
//! One scenario, [`run_pairing`], is parametrised by which implementation provides the server
//! (upsd), the driver (dummy-ups) and the clients (upsc, upscmd, upsrw). It returns a
//! [`Transcript`]: labelled, normalised outputs that are compared with the all-NUT baseline.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
pub use nut_testkit::{diff_lines, Impl, LineClient, Output, Program, Sandbox};
use nut_testkit::{FakeDriver, FakeDriverBehaviour};

/// Which implementation plays each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pairing {
    pub server: Impl,
    pub driver: Impl,
    pub client: Impl,
}

impl Pairing {
    pub const fn new(server: Impl, driver: Impl, client: Impl) -> Pairing {
        Pairing { server, driver, client }
    }
    pub const BASELINE: Pairing = Pairing::new(Impl::Nut, Impl::Nut, Impl::Nut);

    /// Fail (never skip) right away if a binary this pairing needs is missing.
    pub fn require_binaries(&self) {
        self.server.path(Program::Upsd);
        self.driver.path(Program::DummyUps);
        for p in [Program::Upsc, Program::Upscmd, Program::Upsrw] {
            self.client.path(p);
        }
    }
}

impl std::fmt::Display for Pairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "upsd={} dummy-ups={} clients={}", self.server, self.driver, self.client)
    }
}

/// Labelled step outputs of one scenario run.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    pub steps: Vec<(String, String)>,
    port: Option<u16>,
}

impl Transcript {
    fn push(&mut self, label: impl Into<String>, text: impl Into<String>) {
        let mut label = self.normalize(&label.into());
        let base = label.clone();
        let mut n = 1;
        while self.get(&label).is_some() {
            n += 1;
            label = format!("{base} #{n}");
        }
        let text = self.normalize(&text.into());
        self.steps.push((label, text));
    }

    /// Replace this run's port (which differs between runs) with `PORT`.
    fn normalize(&self, s: &str) -> String {
        match self.port {
            Some(p) => s.replace(&format!("127.0.0.1:{p}"), "127.0.0.1:PORT"),
            None => s.to_string(),
        }
    }

    pub fn get(&self, label: &str) -> Option<&str> {
        self.steps.iter().find(|(l, _)| l == label).map(|(_, t)| t.as_str())
    }

    /// Every step whose output differs from `baseline`, as a readable report (empty = same).
    pub fn differences(&self, baseline: &Transcript) -> String {
        let mut report = String::new();
        for (label, want) in &baseline.steps {
            match self.get(label) {
                None => report.push_str(&format!("### {label}: step missing\n")),
                Some(got) if got != want => {
                    report.push_str(&format!("### {label} (- NUT, + pairing)\n{}", diff_lines(want, got)));
                }
                Some(_) => {}
            }
        }
        report
    }

    pub fn render(&self) -> String {
        self.steps.iter().map(|(l, t)| format!("### {l}\n{t}")).collect()
    }
}

pub const UPS_DEV: &str = "\
ups.status: OL
battery.charge: 90
battery.runtime: 1800
input.voltage: 230.0
ups.load: 23
ups.mfr: Compat Test Inc.
ups.model: Dummy UPS
ups.serial: ABC123
ups.id: rack-1
";

pub const UPS_CONF: &str = "\
[ups]
\tdriver = dummy-ups
\tport = ups.dev
\tdesc = \"Compat test UPS\"

[fake]
\tdriver = dummy-ups
\tport = fake.dev
\tdesc = \"Scripted driver with enums and ranges\"
";

pub const UPSD_USERS: &str = "\
[admin]
\tpassword = mypass
\tactions = SET
\tinstcmds = ALL

[viewer]
\tpassword = viewpass

[monuser]
\tpassword = monpass
\tupsmon primary
";

/// Extra upsd.conf lines (a short MAXAGE keeps the stale-data step quick).
pub const UPSD_CONF_EXTRA: &str = "MAXAGE 6\n";

/// What the scripted driver behind UPS `fake` publishes: enums, ranges, a short STRING.
pub fn fake_dump() -> Vec<String> {
    [
        "SETINFO device.model \"Fake\"",
        "SETINFO driver.name \"fake\"",
        "SETINFO input.transfer.high \"140\"",
        "ADDRANGE input.transfer.high 130 150",
        "ADDRANGE input.transfer.high 160 170",
        "SETFLAGS input.transfer.high RW",
        "SETINFO output.voltage.nominal \"230\"",
        "ADDENUM output.voltage.nominal \"220\"",
        "ADDENUM output.voltage.nominal \"230\"",
        "ADDENUM output.voltage.nominal \"240\"",
        "SETFLAGS output.voltage.nominal RW",
        "SETINFO ups.beeper.status \"enabled\"",
        "ADDENUM ups.beeper.status \"enabled\"",
        "ADDENUM ups.beeper.status \"disabled\"",
        "SETAUX ups.beeper.status 8",
        "SETFLAGS ups.beeper.status RW STRING",
        "SETINFO ups.id \"a\\\"b\\\\c\"",
        "SETAUX ups.id 8",
        "SETFLAGS ups.id RW STRING",
        "SETINFO ups.status \"OL CHRG\"",
        "ADDCMD test.battery.start",
        "ADDCMD beeper.toggle",
        "DATAOK",
        "DUMPDONE",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A running sandbox for one pairing.
pub struct Setup {
    pub sb: Sandbox,
    pub upsd: nut_testkit::ProcId,
    pub driver: nut_testkit::ProcId,
    pub fake: FakeDriver,
}

/// Write the configs, start the driver(s) and upsd of `server`/`driver`, wait for data.
pub fn setup(server: Impl, driver: Impl) -> Setup {
    let mut sb = Sandbox::new();
    sb.write_ups_conf(UPS_CONF);
    sb.write_upsd_conf(UPSD_CONF_EXTRA);
    sb.write_upsd_users(UPSD_USERS);
    sb.write_etc("ups.dev", UPS_DEV);
    sb.write_etc("fake.dev", "");
    let fake = FakeDriver::start(&sb.driver_socket("dummy-ups", "fake"), FakeDriverBehaviour::Scripted { dump: fake_dump() });
    let drv = sb.start_dummy(driver, "ups");
    let upsd = sb.start_upsd(server);
    if let Err(e) = sb.wait_ups_ready("ups", Some(upsd)) {
        panic!("{e}");
    }
    if let Err(e) = sb.wait_ups_ready("fake", Some(upsd)) {
        panic!("{e}");
    }
    Setup { sb, upsd, driver: drv, fake }
}

/// Raw protocol probes whose replies are compared byte for byte.
pub const PROBES: &[&str] = &[
    "VER",
    "NETVER",
    "HELP",
    "LIST UPS",
    "GET UPSDESC ups",
    "GET UPSDESC fake",
    "LIST VAR ups",
    "LIST RW ups",
    "LIST CMD ups",
    "LIST ENUM ups ups.status",
    "LIST RANGE ups battery.charge",
    "LIST VAR fake",
    "LIST RW fake",
    "LIST CMD fake",
    "LIST ENUM fake output.voltage.nominal",
    "LIST ENUM fake ups.beeper.status",
    "LIST RANGE fake input.transfer.high",
    "LIST RANGE fake output.voltage.nominal",
    "LIST ENUM fake nosuch.var",
    "GET TYPE fake output.voltage.nominal",
    "GET TYPE fake ups.beeper.status",
    "GET TYPE fake input.transfer.high",
    "GET TYPE fake ups.id",
    "GET TYPE ups ups.status",
    "GET TYPE ups battery.charge",
    "GET TYPE ups driver.name",
    "GET DESC ups battery.charge",
    "GET DESC ups nosuch.var",
    "GET CMDDESC ups load.off",
    "GET VAR ups ups.status",
    "get var UPS UPS.STATUS",
    "GET VAR fake ups.id",
    "GET VAR ups nosuch.var",
    "GET VAR nosuch ups.status",
    "GET VAR nosuch server.version",
    "GET NUMLOGINS ups",
    "GET",
    "GET FOO",
    "FOO",
    "",
    "GET TRACKING",
    "GET TRACKING abc",
    "LIST CLIENT ups",
    "LIST CLIENTS ups",
    "LOGIN ups",
    "STARTTLS",
    "SET VAR ups ups.load 1",
    "USERNAME viewer",
    "USERNAME again",
    "PASSWORD viewpass",
    "PASSWORD again",
    "LOGIN ups",
    "SET VAR ups ups.load 1",
    "INSTCMD ups load.off",
    "INSTCMD ups load.on",
    "FSD ups",
    "LOGOUT",
];

/// Probes for a logged-in upsmon primary.
pub const MON_PROBES: &[&str] = &[
    "USERNAME monuser",
    "PASSWORD monpass",
    "LOGIN ups",
    "LOGIN ups",
    "GET NUMLOGINS ups",
    "LIST CLIENT ups",
    "PRIMARY ups",
    "MASTER ups",
    "SET VAR ups ups.load 1",
    "LOGOUT",
];

fn probe_session(t: &mut Transcript, port: u16, name: &str, probes: &[&str]) {
    let mut c = match LineClient::connect(port) {
        Ok(c) => c,
        Err(e) => {
            t.push(format!("{name}: connect"), format!("connect failed: {e}\n"));
            return;
        }
    };
    for p in probes {
        let reply = match c.request(p) {
            Ok(r) => r,
            Err(e) => format!("<no reply: {e}>\n"),
        };
        t.push(format!("{name}: {p:?}"), reply);
    }
}

/// Poll `f` every 100 ms until true or `timeout`; returns whether it became true.
pub fn poll_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The whole scenario for one pairing.
pub fn run_pairing(p: Pairing) -> Transcript {
    p.require_binaries();
    let mut s = setup(p.server, p.driver);
    let port = s.sb.port();
    let mut t = Transcript { steps: Vec::new(), port: Some(port) };
    let host = s.sb.host_spec();
    let ups = s.sb.ups_spec("ups");
    let fake = s.sb.ups_spec("fake");
    let nosuch = s.sb.ups_spec("nosuch");
    let c = p.client;

    // Raw protocol first, while nothing has been changed yet.
    probe_session(&mut t, port, "raw", PROBES);
    probe_session(&mut t, port, "raw-monuser", MON_PROBES);

    let run = |t: &mut Transcript, sb: &Sandbox, prog: Program, args: &[&str]| {
        let out = sb.run_client(c, prog, args).normalized();
        t.push(format!("{prog} {}", args.join(" ")), out.render());
        out
    };
    let sb = &s.sb;
    run(&mut t, sb, Program::Upsc, &["-l", &host]);
    run(&mut t, sb, Program::Upsc, &["-L", &host]);
    run(&mut t, sb, Program::Upsc, &[&ups]);
    run(&mut t, sb, Program::Upsc, &[&fake]);
    run(&mut t, sb, Program::Upsc, &[&ups, "ups.load"]);
    run(&mut t, sb, Program::Upsc, &[&ups, "device.model"]);
    run(&mut t, sb, Program::Upsc, &[&ups, "bogus.var"]);
    run(&mut t, sb, Program::Upsc, &[&ups, "bogus"]);
    run(&mut t, sb, Program::Upsc, &[&nosuch]);
    run(&mut t, sb, Program::Upsc, &[]);
    run(&mut t, sb, Program::Upsc, &["-c", &ups]);
    run(&mut t, sb, Program::Upsrw, &[&ups]);
    run(&mut t, sb, Program::Upsrw, &[&fake]);
    run(&mut t, sb, Program::Upscmd, &["-l", &ups]);
    run(&mut t, sb, Program::Upscmd, &["-l", &fake]);
    // Instant commands.
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "mypass", &ups, "load.off"]);
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "mypass", "-w", &ups, "load.off"]);
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "mypass", "-w", &fake, "test.battery.start"]);
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "mypass", &ups, "load.on"]);
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "mypass", &ups, "oldstyle"]);
    // SET with tracking, then the value must have changed.
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.load=55", "-u", "admin", "-p", "mypass", "-w", &ups]);
    run(&mut t, sb, Program::Upsc, &[&ups, "ups.load"]);
    run(&mut t, sb, Program::Upsrw, &["-s", "output.voltage.nominal=240", "-u", "admin", "-p", "mypass", "-w", &fake]);
    run(&mut t, sb, Program::Upsc, &[&fake, "output.voltage.nominal"]);
    // SET without tracking: OK now, value later.
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.id=rack-2", "-u", "admin", "-p", "mypass", &ups]);
    let changed = poll_until(Duration::from_secs(5), || {
        sb.run_client(c, Program::Upsc, &[&ups, "ups.id"]).stdout == "rack-2\n"
    });
    t.push("ups.id changed after untracked SET", format!("{changed}\n"));
    // Refusals and validation.
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.load=56", "-u", "admin", "-p", "wrong", &ups]);
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.load=56", "-u", "viewer", "-p", "viewpass", &ups]);
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.load=56", "-u", "nobody", "-p", "x", "-w", &ups]);
    run(&mut t, sb, Program::Upscmd, &["-u", "viewer", "-p", "viewpass", &ups, "load.off"]);
    run(&mut t, sb, Program::Upscmd, &["-u", "admin", "-p", "wrong", &ups, "load.off"]);
    run(&mut t, sb, Program::Upsrw, &["-s", "driver.name=x", "-u", "admin", "-p", "mypass", &ups]);
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.mfr=0123456789012345678901234567890123456789", "-u", "admin", "-p", "mypass", &ups]);
    run(&mut t, sb, Program::Upsrw, &["-s", "output.voltage.nominal=999", "-u", "admin", "-p", "mypass", &fake]);
    run(&mut t, sb, Program::Upsrw, &["-s", "input.transfer.high=155", "-u", "admin", "-p", "mypass", &fake]);
    run(&mut t, sb, Program::Upsrw, &["-s", "input.transfer.high=165", "-u", "admin", "-p", "mypass", "-w", &fake]);
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.beeper.status=toolongvalue", "-u", "admin", "-p", "mypass", &fake]);
    run(&mut t, sb, Program::Upsrw, &["-s", "nosuch.var=1", "-u", "admin", "-p", "mypass", &ups]);
    run(&mut t, sb, Program::Upsrw, &["-s", "ups.load=1", "-u", "admin", "-p", "mypass", &nosuch]);
    run(&mut t, sb, Program::Upsrw, &[&fake]);

    // Stale data: freeze the driver until upsd declares it stale (MAXAGE 6).
    s.sb.signal(s.driver, Signal::SIGSTOP);
    let sb = &s.sb;
    let stale = poll_until(Duration::from_secs(20), || !sb.run_client(c, Program::Upsc, &[&ups, "ups.status"]).success());
    t.push("driver stopped: upsc eventually fails", format!("{stale}\n"));
    run(&mut t, sb, Program::Upsc, &[&ups]);
    run(&mut t, sb, Program::Upsc, &[&ups, "ups.status"]);
    run(&mut t, sb, Program::Upsc, &["-l", &host]);
    probe_session(&mut t, port, "raw-stale", &["GET VAR ups ups.status", "LIST VAR ups", "GET NUMLOGINS ups", "GET UPSDESC ups"]);
    s.sb.signal(s.driver, Signal::SIGCONT);
    let sb = &s.sb;
    let fresh = poll_until(Duration::from_secs(20), || sb.run_client(c, Program::Upsc, &[&ups, "ups.status"]).success());
    t.push("driver continued: upsc works again", format!("{fresh}\n"));
    // Driver gone.
    s.sb.stop(s.driver);
    let sb = &s.sb;
    let gone = poll_until(Duration::from_secs(10), || !sb.run_client(c, Program::Upsc, &[&ups, "ups.status"]).success());
    t.push("driver killed: upsc fails", format!("{gone}\n"));
    let run2 = |t: &mut Transcript, prog: Program, args: &[&str]| {
        let out = sb.run_client(c, prog, args).normalized();
        t.push(format!("after kill: {prog} {}", args.join(" ")), out.render());
    };
    run2(&mut t, Program::Upsc, &[&ups]);
    run2(&mut t, Program::Upsc, &[&ups, "ups.status"]);
    run2(&mut t, Program::Upsrw, &[&ups]);
    run2(&mut t, Program::Upscmd, &["-l", &ups]);
    run2(&mut t, Program::Upscmd, &["-u", "admin", "-p", "mypass", &ups, "load.off"]);
    run2(&mut t, Program::Upsrw, &["-s", "ups.load=1", "-u", "admin", "-p", "mypass", &ups]);
    run2(&mut t, Program::Upsc, &["-L", &host]);
    probe_session(&mut t, port, "raw-gone", &["GET VAR ups ups.status", "LIST VAR ups", "LIST CMD ups", "GET UPSDESC ups", "LIST CLIENT ups"]);
    drop(s.fake);
    t
}

/// The all-NUT transcript, computed once per test binary.
pub fn baseline() -> &'static Transcript {
    static B: OnceLock<Transcript> = OnceLock::new();
    B.get_or_init(|| run_pairing(Pairing::BASELINE))
}

/// Run `p` and fail with every differing step if it does not match the NUT baseline.
pub fn check_pairing(p: Pairing) {
    p.require_binaries();
    let got = run_pairing(p);
    let want = baseline();
    let diff = got.differences(want);
    if !diff.is_empty() {
        panic!("pairing {p} differs from NUT 2.8.0:\n{diff}");
    }
}

/// PyNUT (python3-nut) script: prints a deterministic report of what the library sees.
pub const PYNUT_SCRIPT: &str = r#"
import sys, time
sys.path.insert(0, "/usr/lib/python3/dist-packages")
import PyNUT
port = int(sys.argv[1])
def show(label, f):
    try:
        r = f()
        if isinstance(r, dict):
            r = sorted(r.items())
        print(label, "=>", r)
    except Exception as e:
        print(label, "raised", type(e).__name__, e)
c = PyNUT.PyNUTClient(host="127.0.0.1", port=port, login="admin", password="mypass", timeout=5)
show("ver", c.ver)
show("help", c.help)
show("list", c.GetUPSList)
show("vars ups", lambda: c.GetUPSVars("ups"))
show("vars fake", lambda: c.GetUPSVars("fake"))
show("vars nosuch", lambda: c.GetUPSVars("nosuch"))
show("rw ups", lambda: c.GetRWVars("ups"))
show("rw fake", lambda: c.GetRWVars("fake"))
show("cmds ups", lambda: c.GetUPSCommands("ups"))
show("cmds fake", lambda: c.GetUPSCommands("fake"))
show("set ups.load", lambda: c.SetRWVar("ups", "ups.load", "44"))
ok = False
for i in range(50):
    if c.GetUPSVars("ups").get(b"ups.load") == b"44":
        ok = True
        break
    time.sleep(0.1)
print("ups.load became 44:", ok)
show("set readonly", lambda: c.SetRWVar("ups", "driver.name", "x"))
show("set enum bad", lambda: c.SetRWVar("fake", "output.voltage.nominal", "999"))
show("instcmd", lambda: c.RunUPSCommand("ups", "load.off"))
show("instcmd unknown", lambda: c.RunUPSCommand("ups", "load.on"))
show("fsd", lambda: c.FSD("ups"))
show("clients", lambda: c.ListClients("ups"))
def bad_login():
    PyNUT.PyNUTClient(host="127.0.0.1", port=port, login="admin", password="wrong", timeout=5).SetRWVar("ups", "ups.load", "1")
show("wrong password", bad_login)
m = PyNUT.PyNUTClient(host="127.0.0.1", port=port, login="monuser", password="monpass", timeout=5)
show("mon fsd", lambda: m.FSD("ups"))
show("vars ups after fsd", lambda: c.GetUPSVars("ups").get(b"ups.status"))
"#;

/// Run the PyNUT script against a server/driver pairing; returns normalised output.
pub fn run_pynut(server: Impl, driver: Impl) -> Output {
    server.path(Program::Upsd);
    driver.path(Program::DummyUps);
    let s = setup(server, driver);
    let mut cmd = s.sb.command("/usr/bin/python3");
    cmd.args(["-c", PYNUT_SCRIPT, &s.sb.port().to_string()]);
    let out = s.sb.run_command(cmd, Duration::from_secs(60));
    drop(s);
    out
}
