//! Give the cdylib the soname of the library it stands in for, so a copy
//! named `libusb-1.0.so.0` is indistinguishable to the dynamic loader.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libusb-1.0.so.0");
}
