//! Fuzzes packet decoding: `cargo xtask fuzz wire --seconds N`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sctp_wire_fuzz::exercise(data);
});
