//! (b) A scripted power failure on a replayed APC Back-UPS CS 500:
//! OL → OB (mains lost) → OB LB (battery low), through our driver's
//! interrupt pipe handling, NUT's upsd (and ours when it is built), upsc,
//! and NUT 2.8.0's upsmon, which must notify ONBATT then LOWBATT and run
//! its SHUTDOWNCMD.
//!
//! NUT's upsmon insists on /run/nut for its pid file, so it runs under
//! `unshare -m` with a private tmpfs there (the tests run as root).

mod common;

use std::time::{Duration, Instant};

use common::*;
use nut_testkit::{Impl, Program, Sandbox};

const SCRIPT: &str = "# mains fail at 4 s, the battery runs low at 9 s
serial AB0427TEST
at 4s set UPS.PowerSummary.ACPresent 0
at 4s set UPS.PowerSummary.Discharging 1
at 9s set UPS.PowerSummary.RemainingCapacity 8
at 9s set UPS.PowerSummary.BelowRemainingCapacityLimit 1
";

fn run_scenario(upsd: Impl) -> Result<(), String> {
    let mut sb = Sandbox::new();
    let root = sb.root().to_path_buf();
    let script = format!("capture {}\n{SCRIPT}", corpus_hid().join("apc-back-ups-cs-500.txt").display());
    let replay = sb.write_etc("power-cut.replay", &script);
    sb.write_ups_conf(&(section("ups", &replay, &[]) + "\tpollinterval = 1\n"));
    sb.write_upsd_users("[mon]\n\tpassword = pass\n\tupsmon primary\n");
    sb.write_upsd_conf("");
    let notify = root.join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\necho \"$NOTIFYTYPE $UPSNAME\" >> {}/notes\n", root.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut conf = format!(
        "MONITOR ups@127.0.0.1:{} 1 mon pass primary\nMINSUPPLIES 1\nSHUTDOWNCMD \"touch {r}/shutdown-ran\"\n\
         POWERDOWNFLAG {r}/killpower\nNOTIFYCMD {r}/notify.sh\nPOLLFREQ 1\nPOLLFREQALERT 1\nFINALDELAY 0\nHOSTSYNC 2\nDEADTIME 15\n",
        sb.port(),
        r = root.display()
    );
    for t in ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "NOCOMM"] {
        conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
    }
    sb.write_etc("upsmon.conf", &conf);

    let start = Instant::now();
    let mut drv = sb.command(our_driver());
    drv.args(["-a", "ups", "-F"]);
    let drv = sb.spawn("usbhid-ups", drv);
    sb.wait_path(&sb.driver_socket("usbhid-ups", "ups"), Some(drv), Duration::from_secs(10))?;
    let upsd_id = sb.try_start_upsd(upsd, &["-F"])?;
    sb.wait_ups_ready("ups", Some(upsd_id))?;
    let mut mon = sb.command("unshare");
    mon.args(["-m", "sh", "-c", "mount -t tmpfs none /run/nut && exec /lib/nut/upsmon -p -F"]);
    let mon = sb.spawn("upsmon-nut", mon);

    // upsc sees the three states in order.
    let mut seen: Vec<String> = Vec::new();
    while start.elapsed() < Duration::from_secs(25) {
        if let Ok(v) = upsc(&sb, "ups") {
            let st = v.get("ups.status").cloned().unwrap_or_default();
            if seen.last() != Some(&st) {
                seen.push(st.clone());
            }
            if st.split(' ').any(|w| w == "LB") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let words = |s: &String| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let ol = seen.iter().position(|s| words(s).contains(&"OL".to_string()));
    let ob = seen.iter().position(|s| words(s).contains(&"OB".to_string()) && !words(s).contains(&"LB".to_string()));
    let lb = seen.iter().position(|s| words(s).contains(&"OB".to_string()) && words(s).contains(&"LB".to_string()));
    if !(ol.is_some() && ob > ol && lb > ob) {
        return Err(format!("upsc did not see OL, then OB, then OB LB: {seen:?}\n{}", sb.logs()));
    }
    sb.wait_for("upsmon's SHUTDOWNCMD", Some(mon), Duration::from_secs(25), |s| {
        s.root().join("shutdown-ran").exists().then_some(())
    })?;
    let notes = std::fs::read_to_string(root.join("notes")).unwrap_or_default();
    let onbatt = notes.find("ONBATT ups");
    let lowbatt = notes.find("LOWBATT ups");
    if !(onbatt.is_some() && lowbatt > onbatt) {
        return Err(format!("upsmon notified {notes:?}, expected ONBATT then LOWBATT\n{}", sb.logs()));
    }
    if sb.exited(drv).is_some() {
        return Err(format!("the driver exited\n{}", sb.logs()));
    }
    println!("upsd {upsd}: upsc saw {seen:?}; upsmon notified {:?}; SHUTDOWNCMD ran", notes.lines().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn power_cut_reaches_upsc_and_nut_upsmon() {
    let ours = Impl::Ours.try_path(Program::Upsd);
    let nut = std::thread::spawn(|| run_scenario(Impl::Nut));
    let ours = match ours {
        Ok(_) => Some(std::thread::spawn(|| run_scenario(Impl::Ours))),
        Err(e) => {
            println!("NOTE: our upsd is not built, running under NUT's upsd only: {e}");
            None
        }
    };
    nut.join().expect("thread").unwrap_or_else(|e| panic!("under NUT's upsd: {e}"));
    if let Some(t) = ours {
        t.join().expect("thread").unwrap_or_else(|e| panic!("under our upsd: {e}"));
    }
}
