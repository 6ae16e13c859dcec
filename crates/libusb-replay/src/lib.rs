//! libusb-replay (being written)
