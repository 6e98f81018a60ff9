/*
 * Loaded with LD_PRELOAD into usrsctp's example programs by `cargo xtask
 * interop`: Debian builds libusrsctp with debug output, and `tsctp` and
 * `discard_server` switch all of it on, which prints about twenty lines
 * per packet and makes them three times slower. Taking the place of the
 * library's setter keeps it off.
 */
int usrsctp_sysctl_set_sctp_debug_on(unsigned v)
{
	(void)v;
	return 0;
}
