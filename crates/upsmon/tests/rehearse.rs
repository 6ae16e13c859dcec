//! `upsmon --rehearse`: the real decisions and NOTIFYCMD, nothing else.

use std::process::Command;

#[test]
fn builtin_power_cut_is_rehearsed_without_shutting_down() {
    let dir = std::env::temp_dir().join(format!("upsmon-rehearse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    let notify = dir.join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME $1\" >> {d}/notes\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).unwrap();
    // a webhook that must not be contacted
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    hook.set_nonblocking(true).unwrap();
    let hook_url = format!("http://{}/hook", hook.local_addr().unwrap());
    std::fs::write(
        dir.join("upsmon.conf"),
        format!(
            "MONITOR ups@127.0.0.1:9 1 mon pass primary\nSHUTDOWNCMD \"touch {d}/shutdown-ran\"\n\
             POWERDOWNFLAG {d}/killpower\nNOTIFYCMD {d}/notify.sh\n\
             NOTIFYFLAG ONBATT EXEC\nNOTIFYFLAG LOWBATT EXEC\nNOTIFYFLAG SHUTDOWN EXEC\nWEBHOOK {hook_url}\n"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_upsmon"))
        .arg("--rehearse")
        .env("NUT_CONFPATH", &dir)
        .env("NUT_PIDPATH", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("[  70.00s] would send FSD ups"), "{stdout}");
    assert!(stdout.contains("[  75.00s] would run SHUTDOWNCMD: touch"), "{stdout}");
    assert!(!dir.join("shutdown-ran").exists(), "SHUTDOWNCMD must not run");
    assert!(!dir.join("killpower").exists(), "POWERDOWNFLAG must not be written");
    assert_eq!(stdout.matches(&format!("  would also send it to WEBHOOK {hook_url}")).count(), 3, "{stdout}");
    assert!(hook.accept().is_err(), "the webhook must not be contacted");
    let notes = std::fs::read_to_string(dir.join("notes")).unwrap();
    let kinds: Vec<&str> = notes.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(kinds, vec!["ONBATT", "LOWBATT", "SHUTDOWN"]);
    let _ = std::fs::remove_dir_all(&dir);
}
