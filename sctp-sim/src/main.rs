//! The `sctp-sim` command line (work in progress).

fn main() {}
