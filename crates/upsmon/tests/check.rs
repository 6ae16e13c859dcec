//! `upsmon -t`: the configuration check and explanation (nut-check's, for
//! upsmon.conf and the files beside it).

use std::path::Path;
use std::process::Command;

fn upsmon_t(conf: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_upsmon")).args(["-t", "-f"]).arg(conf).output().expect("run upsmon");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn explains_a_good_file() {
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../etc/examples/standalone-nas/upsmon.conf");
    let (code, out) = upsmon_t(&conf);
    assert_eq!(code, 0, "{out}");
    let flat = out.replace("\n  ", " ");
    assert!(flat.contains("This host (primary of nas-ups@localhost) shuts down 5 minutes after the UPS goes on battery"), "{out}");
}

#[test]
fn reports_file_line_and_fails_on_errors() {
    let dir = std::env::temp_dir().join(format!("upsmon-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("my-upsmon.conf");
    std::fs::write(&conf, "SHUTDOWNCMD /bin/true\n\nMONITOR ups@localhost 1 pass primary\nSHUTDOWNAFTER soon\n").unwrap();
    let (code, out) = upsmon_t(&conf);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{}:3: error: MONITOR line in the old form", conf.display())), "{out}");
    assert!(out.contains(&format!("{}:4: error: SHUTDOWNAFTER", conf.display())), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
