//! python3-nut's PyNUTClient against our upsd, compared with the same script against NUT's.

use compat::{run_pynut, Impl, Program};
use nut_testkit::assert_same;

fn nut_pynut() -> String {
    let out = run_pynut(Impl::Nut, Impl::Nut);
    assert!(out.success(), "PyNUT script failed against NUT itself:\n{out}");
    out.render()
}

#[test]
fn pynut_baseline_against_nut() {
    let r = nut_pynut();
    if std::env::var_os("COMPAT_SHOW").is_some() {
        println!("{r}");
    }
    assert!(r.contains("ups.load became 44: True"), "{r}");
    assert!(r.contains("(b'device.model', b'Dummy UPS')"), "{r}");
}

#[test]
fn pynut_against_our_upsd_and_driver() {
    Impl::Ours.path(Program::Upsd);
    Impl::Ours.path(Program::DummyUps);
    let want = nut_pynut();
    let got = run_pynut(Impl::Ours, Impl::Ours).render();
    assert_same("PyNUT vs our upsd+dummy-ups", &want, &got);
}

#[test]
fn pynut_against_our_upsd_with_nut_driver() {
    Impl::Ours.path(Program::Upsd);
    let want = nut_pynut();
    let got = run_pynut(Impl::Ours, Impl::Nut).render();
    assert_same("PyNUT vs our upsd + NUT dummy-ups", &want, &got);
}
