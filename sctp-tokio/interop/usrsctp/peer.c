/*
 * usrsctp-peer: a usrsctp echo server with WebRTC's SCTP features, for
 * `cargo xtask interop`. usrsctp's stock example programs cannot switch on
 * I-DATA or accept stream resets; this one can.
 *
 *   usrsctp-peer UDP_PORT [--idata] [--pr] [--reset] [--close-after N]
 *
 * It listens on SCTP port 5000 over UDP encapsulation (RFC 6951) on
 * UDP_PORT, answering each peer on the UDP port it sends from, and serves
 * any number of associations, one thread each:
 *
 * - every message comes back on its stream with its PPID and its unordered
 *   flag, reliably;
 * - --idata: message interleaving (RFC 8260), which usrsctp allows only
 *   with fragment interleave level 2: messages of different streams may
 *   then arrive in pieces mixed together, so they are put back together
 *   per stream here before they are echoed;
 * - --pr: partial reliability (RFC 3758) is offered, so that the peer may
 *   give up messages and skip them with (I-)FORWARD-TSN;
 * - --reset: the peer may reset its outgoing streams (RFC 6525); when one
 *   of our incoming streams is reset, we reset our outgoing stream of the
 *   same id, after the echoes, as WebRTC peers do (RFC 8831 section 6.7);
 * - --close-after N: after echoing N messages on a stream, we reset our
 *   outgoing stream first (the peer's reader sees the end of the stream).
 *
 * When an association ends it prints one line:
 *
 *   usrsctp-peer: messages=M bytes=B echoed=E idata=0|1 pr=0|1 reconfig=0|1
 *       reset_in=I reset_out=O reset_failed=F close=shutdown|lost|...
 *
 * reset_in counts our incoming streams the peer reset, reset_out our
 * outgoing streams whose reset the peer accepted; idata, pr and reconfig
 * tell what the association negotiated (from SCTP_COMM_UP).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

/* In usrsctp's sources (netinet/sctp.h) but not in its public header. */
#ifndef SCTP_INTERLEAVING_SUPPORTED
#define SCTP_INTERLEAVING_SUPPORTED 0x00001206
#endif
/* Declared by usrsctp.h only when built with SCTP_DEBUG. */
int usrsctp_sysctl_set_sctp_debug_on(uint32_t value);

#define SCTP_PORT 5000
#define STREAMS 65536
#define BUFFER (1 << 20)
#define READ_CHUNK (64 * 1024)
/* Messages being put back together at once, across all streams. */
#define PARTIALS 64

struct options {
	uint16_t udp_port;
	int idata;
	int pr;
	int reset;
	unsigned close_after;
};

static struct options options;

/* A message read in pieces (partial delivery, interleaved with others). */
struct partial {
	int used;
	uint16_t sid;
	uint16_t ssn;
	uint16_t unordered;
	uint32_t ppid;
	char *data;
	size_t len;
	size_t cap;
};

struct association {
	struct socket *sock;
	unsigned long long messages;
	unsigned long long bytes;
	unsigned long long echoed;
	unsigned reset_in;
	unsigned reset_out;
	unsigned reset_failed;
	int idata;
	int pr;
	int reconfig;
	const char *close;
	/* Messages echoed per stream, and whether we reset our outgoing one. */
	unsigned *per_stream;
	unsigned char *out_closed;
	struct partial partials[PARTIALS];
};

static void
fail(const char *what)
{
	perror(what);
	exit(1);
}

static void
set(struct socket *sock, int level, int name, const void *value, socklen_t len, const char *what)
{
	if (usrsctp_setsockopt(sock, level, name, value, len) < 0) {
		fail(what);
	}
}

/* Resets our outgoing stream `sid` (usrsctp sends the request once the
 * stream's queued data is out). */
static void
reset_outgoing(struct association *a, uint16_t sid)
{
	size_t len = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
	struct sctp_reset_streams *srs = calloc(1, len);

	if (srs == NULL) {
		fail("calloc");
	}
	srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	srs->srs_number_streams = 1;
	srs->srs_stream_list[0] = sid;
	if (usrsctp_setsockopt(a->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)len) < 0) {
		fprintf(stderr, "usrsctp-peer: reset of stream %u: %s\n", sid, strerror(errno));
		a->reset_failed++;
	} else {
		a->out_closed[sid] = 1;
	}
	free(srs);
}

static void
notification(struct association *a, const char *buf, size_t len)
{
	const union sctp_notification *n = (const void *)buf;

	if (len < sizeof(n->sn_header)) {
		return;
	}
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE: {
		const struct sctp_assoc_change *sac = &n->sn_assoc_change;
		size_t i, features;

		switch (sac->sac_state) {
		case SCTP_COMM_UP:
		case SCTP_RESTART:
			features = sac->sac_length - sizeof(*sac);
			for (i = 0; i < features && sizeof(*sac) + i < len; i++) {
				switch (sac->sac_info[i]) {
				case SCTP_ASSOC_SUPPORTS_INTERLEAVING:
					a->idata = 1;
					break;
				case SCTP_ASSOC_SUPPORTS_PR:
					a->pr = 1;
					break;
				case SCTP_ASSOC_SUPPORTS_RE_CONFIG:
					a->reconfig = 1;
					break;
				}
			}
			break;
		case SCTP_COMM_LOST:
			a->close = "lost";
			break;
		case SCTP_SHUTDOWN_COMP:
			a->close = "shutdown";
			break;
		case SCTP_CANT_STR_ASSOC:
			a->close = "cannot-start";
			break;
		}
		break;
	}
	case SCTP_SHUTDOWN_EVENT:
		a->close = "shutdown";
		break;
	case SCTP_STREAM_RESET_EVENT: {
		const struct sctp_stream_reset_event *ev = &n->sn_strreset_event;
		size_t i, count = (ev->strreset_length - sizeof(*ev)) / sizeof(uint16_t);

		if (ev->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
			a->reset_failed += (unsigned)count;
			break;
		}
		for (i = 0; i < count; i++) {
			uint16_t sid = ev->strreset_stream_list[i];

			if (ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
				a->reset_in++;
				if (a->out_closed[sid]) {
					/* Both directions closed: the id is free. */
					a->out_closed[sid] = 0;
					a->per_stream[sid] = 0;
				} else {
					/* Every message before the reset was read and
					 * echoed: close our direction too. */
					reset_outgoing(a, sid);
				}
			}
			if (ev->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
				a->reset_out++;
			}
		}
		break;
	}
	}
}

static struct partial *
partial_for(struct association *a, const struct sctp_rcvinfo *info)
{
	uint16_t unordered = info->rcv_flags & SCTP_UNORDERED;
	struct partial *free_slot = NULL;
	int i;

	for (i = 0; i < PARTIALS; i++) {
		struct partial *p = &a->partials[i];

		if (!p->used) {
			if (free_slot == NULL) {
				free_slot = p;
			}
			continue;
		}
		if (p->sid == info->rcv_sid && p->ssn == info->rcv_ssn && p->unordered == unordered) {
			return p;
		}
	}
	if (free_slot == NULL) {
		fprintf(stderr, "usrsctp-peer: more than %d messages in pieces at once\n", PARTIALS);
		exit(1);
	}
	free_slot->used = 1;
	free_slot->sid = info->rcv_sid;
	free_slot->ssn = info->rcv_ssn;
	free_slot->unordered = unordered;
	free_slot->len = 0;
	return free_slot;
}

static void
append(struct partial *p, const char *data, size_t len)
{
	if (p->len + len > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;

		while (cap < p->len + len) {
			cap *= 2;
		}
		p->data = realloc(p->data, cap);
		if (p->data == NULL) {
			fail("realloc");
		}
		p->cap = cap;
	}
	memcpy(p->data + p->len, data, len);
	p->len += len;
}

/* A whole message arrived: count it and echo it. */
static void
deliver(struct association *a, struct partial *p)
{
	struct sctp_sndinfo snd;

	a->messages++;
	a->bytes += p->len;
	if (a->out_closed[p->sid]) {
		return;
	}
	memset(&snd, 0, sizeof(snd));
	snd.snd_sid = p->sid;
	snd.snd_flags = p->unordered ? SCTP_UNORDERED : 0;
	snd.snd_ppid = p->ppid; /* network byte order both ways */
	if (usrsctp_sendv(a->sock, p->data, p->len, NULL, 0, &snd, (socklen_t)sizeof(snd),
	                  SCTP_SENDV_SNDINFO, 0) < 0) {
		fprintf(stderr, "usrsctp-peer: echo on stream %u: %s\n", p->sid, strerror(errno));
		return;
	}
	a->echoed++;
	a->per_stream[p->sid]++;
	if (options.close_after > 0 && a->per_stream[p->sid] == options.close_after) {
		reset_outgoing(a, p->sid);
	}
}

static void *
serve(void *arg)
{
	struct association *a = arg;
	char *buf = malloc(READ_CHUNK);
	int i;

	if (buf == NULL) {
		fail("malloc");
	}
	a->close = "eof";
	for (;;) {
		struct sctp_rcvinfo info;
		struct sockaddr_in from;
		socklen_t infolen = sizeof(info), fromlen = sizeof(from);
		unsigned int infotype = 0;
		int flags = 0;
		ssize_t n;

		memset(&info, 0, sizeof(info));
		n = usrsctp_recvv(a->sock, buf, READ_CHUNK, (struct sockaddr *)&from, &fromlen, &info,
		                  &infolen, &infotype, &flags);
		if (n < 0) {
			a->close = errno == ECONNRESET ? "lost" : "error";
			break;
		}
		if (n == 0) {
			break;
		}
		if (flags & MSG_NOTIFICATION) {
			notification(a, buf, (size_t)n);
			continue;
		}
		if (infotype != SCTP_RECVV_RCVINFO) {
			fprintf(stderr, "usrsctp-peer: data without its stream\n");
			exit(1);
		}
		struct partial *p = partial_for(a, &info);
		p->ppid = info.rcv_ppid;
		append(p, buf, (size_t)n);
		if (flags & MSG_EOR) {
			deliver(a, p);
			p->used = 0;
		}
	}
	printf("usrsctp-peer: messages=%llu bytes=%llu echoed=%llu idata=%d pr=%d reconfig=%d "
	       "reset_in=%u reset_out=%u reset_failed=%u close=%s\n",
	       a->messages, a->bytes, a->echoed, a->idata, a->pr, a->reconfig, a->reset_in,
	       a->reset_out, a->reset_failed, a->close);
	fflush(stdout);
	usrsctp_close(a->sock);
	for (i = 0; i < PARTIALS; i++) {
		free(a->partials[i].data);
	}
	free(a->per_stream);
	free(a->out_closed);
	free(buf);
	free(a);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: usrsctp-peer UDP_PORT [--idata] [--pr] [--reset] [--close-after N]\n");
	exit(2);
}

static void
parse(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		usage();
	}
	options.udp_port = (uint16_t)atoi(argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--idata") == 0) {
			options.idata = 1;
		} else if (strcmp(argv[i], "--pr") == 0) {
			options.pr = 1;
		} else if (strcmp(argv[i], "--reset") == 0) {
			options.reset = 1;
		} else if (strcmp(argv[i], "--close-after") == 0 && i + 1 < argc) {
			options.close_after = (unsigned)atoi(argv[++i]);
		} else {
			usage();
		}
	}
	if (options.udp_port == 0) {
		usage();
	}
}

int
main(int argc, char **argv)
{
	static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT,
	                                  SCTP_STREAM_RESET_EVENT};
	struct socket *listener;
	struct sockaddr_in addr;
	struct sctp_assoc_value av;
	struct sctp_event event;
	const int on = 1, buffer = BUFFER, level = 2;
	size_t i;

	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No debug output: NULL as the printer, and the switch off. */
	usrsctp_init(options.udp_port, NULL, NULL);
	usrsctp_sysctl_set_sctp_debug_on(0);
	usrsctp_sysctl_set_sctp_pr_enable(options.pr ? 1 : 0);

	listener = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (listener == NULL) {
		fail("usrsctp_socket");
	}
	set(listener, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer), "SO_RCVBUF");
	set(listener, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer), "SO_SNDBUF");
	set(listener, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on), "SCTP_RECVRCVINFO");
	set(listener, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on), "SCTP_NODELAY");
	if (options.idata) {
		/* usrsctp refuses I-DATA without fragment interleave level 2. */
		set(listener, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof(level),
		    "SCTP_FRAGMENT_INTERLEAVE");
		memset(&av, 0, sizeof(av));
		av.assoc_id = SCTP_FUTURE_ASSOC;
		av.assoc_value = 1;
		set(listener, IPPROTO_SCTP, SCTP_INTERLEAVING_SUPPORTED, &av, sizeof(av),
		    "SCTP_INTERLEAVING_SUPPORTED");
	}
	if (options.reset) {
		memset(&av, 0, sizeof(av));
		av.assoc_id = SCTP_FUTURE_ASSOC;
		av.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
		set(listener, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av),
		    "SCTP_ENABLE_STREAM_RESET");
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		memset(&event, 0, sizeof(event));
		event.se_assoc_id = SCTP_FUTURE_ASSOC;
		event.se_type = events[i];
		event.se_on = 1;
		set(listener, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof(event), "SCTP_EVENT");
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(SCTP_PORT);
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (usrsctp_bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fail("usrsctp_bind");
	}
	if (usrsctp_listen(listener, 8) < 0) {
		fail("usrsctp_listen");
	}
	printf("usrsctp-peer: listening on UDP port %u, SCTP port %u\n", options.udp_port, SCTP_PORT);
	for (;;) {
		struct association *a;
		struct socket *conn = usrsctp_accept(listener, NULL, NULL);
		pthread_t thread;

		if (conn == NULL) {
			if (errno == EINTR) {
				continue;
			}
			fail("usrsctp_accept");
		}
		a = calloc(1, sizeof(*a));
		if (a == NULL) {
			fail("calloc");
		}
		a->sock = conn;
		a->per_stream = calloc(STREAMS, sizeof(unsigned));
		a->out_closed = calloc(STREAMS, 1);
		if (a->per_stream == NULL || a->out_closed == NULL) {
			fail("calloc");
		}
		if (pthread_create(&thread, NULL, serve, a) != 0) {
			fail("pthread_create");
		}
		pthread_detach(thread);
	}
}
