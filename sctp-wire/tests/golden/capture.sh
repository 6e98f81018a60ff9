#!/usr/bin/env bash
# Captures the golden packets of sctp-wire/tests/golden/*.hex from real SCTP
# stacks on loopback. Documentation-grade: run by hand, as root, on a Debian
# 12 machine with the packages below; CI never runs it. Every run draws new
# verification tags, TSNs, cookies and random numbers, so the .hex files
# change and tests/golden.rs must be updated with them (it asserts exact
# values); see README.md.
#
#   apt-get install tshark libusrsctp-examples golang-go golang-github-pion-sctp-dev python3
#   sctp-wire/tests/golden/capture.sh            # writes the .hex files next to itself
#
# Both stacks carry SCTP over UDP (RFC 6951); each .hex line is one UDP
# payload, i.e. one SCTP packet from its common header on, as
# `tshark -T fields -e udp.payload` prints it.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
USRSCTP=/usr/lib/usrsctp
WORK=$(mktemp -d /tmp/sctp-golden.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
cd "$WORK"

# Start tshark on lo with a capture filter and wait until it listens.
start_capture() { # PCAP FILTER
    tshark -i lo -f "$2" -w "$1" >"$1.log" 2>&1 &
    TSHARK=$!
    for _ in $(seq 50); do grep -q Capturing "$1.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
}
stop_capture() {
    sleep 1
    kill "$TSHARK"
    wait "$TSHARK" || true
}

# extract PCAP OUT TITLE DISPLAY_FILTER SERVER_PORT...: writes one comment
# line and one hex line per SCTP packet that DISPLAY_FILTER keeps. Packets
# sent to one of the SERVER_PORTs are labelled "client -> server".
extract() {
    local pcap=$1 out=$2 title=$3 filter=$4
    shift 4
    local decode=() servers=""
    for p in "$@"; do
        decode+=(-d "udp.port==$p,sctp")
        servers+=" $p"
    done
    {
        echo "# $title"
        echo "# Captured $(date -u +%Y-%m-%d) by capture.sh with $(tshark --version | head -1 | sed 's/\.$//')."
        echo "# One SCTP packet per line (the UDP payload, from the SCTP common header on);"
        echo "# the comment above each names it: [index in this file] frame, direction,"
        echo "# UDP ports, IP source when not 127.0.0.1, and tshark's summary (absolute TSNs)."
        tshark -r "$pcap" "${decode[@]}" -Y "$filter" -o sctp.checksum:CRC-32C -o sctp.relative_tsns:FALSE \
            -T fields -E separator='|' \
            -e frame.number -e ip.src -e ipv6.src -e udp.srcport -e udp.dstport -e _ws.col.Info -e udp.payload 2>/dev/null |
            awk -F'|' -v servers="$servers" '
                BEGIN { n = split(servers, s, " "); for (i = 1; i <= n; i++) srv[s[i]] = 1 }
                {
                    dir = ($5 in srv) ? "client -> server" : "server -> client"
                    ip = ($2 != "") ? $2 : $3
                    via = (ip == "127.0.0.1") ? "" : " via " ip
                    info = $6; sub(/ +$/, "", info)
                    printf "# [%d] frame %d, %s (UDP %s -> %s%s): %s\n%s\n", NR - 1, $1, dir, $4, $5, via, info, $7
                }'
    } >"$out"
    echo "wrote $out: $(grep -vc '^#' "$out") packets"
}

# 1. usrsctp echo: client (SCTP port 5001, UDP 42222) -> echo_server (SCTP
# port 7, UDP 41111). One line "hello\n", echoed; stdin stays open 8 s so
# the HEARTBEATs usrsctp sends to each advertised address are answered; EOF
# then makes the client SHUTDOWN.
start_capture usrsctp_echo.pcap 'udp port 41111'
"$USRSCTP/echo_server" 41111 >echo_server.log 2>&1 &
ECHO=$!
sleep 1
(printf 'hello\n'; sleep 8) | timeout 30 "$USRSCTP/client" 127.0.0.1 7 5001 42222 41111 >client.log 2>&1
sleep 1
kill "$ECHO"
stop_capture
extract usrsctp_echo.pcap "$HERE/usrsctp_echo.hex" \
    "usrsctp 0.9.5 echo: client (SCTP 5001, UDP 42222) <-> echo_server (SCTP 7, UDP 41111), message \"hello\\n\"" sctp 41111

# 2. usrsctp through a lossy relay (relay.py): tsctp sender (UDP 42221,
# Nagle off, PR-SCTP "rtx" policy with 0 retransmissions, six 100-byte
# messages) -> relay (UDP 41121) -> tsctp receiver (SCTP port 5001, UDP
# 41111). The relay sends the 2nd DATA datagram twice and drops the 4th, so
# the receiver's SACKs carry a duplicate TSN and gap ack blocks, and the
# sender abandons the lost message with a FORWARD TSN. Captured on the
# relay <-> receiver side only. tsctp prints usrsctp's debug output: ignored.
start_capture usrsctp_relay.pcap 'udp port 41111'
"$USRSCTP/tsctp" -E 41111 >tsctp_receiver.log 2>&1 &
RECEIVER=$!
python3 "$HERE/relay.py" 41121 41111 2 4 &
RELAY=$!
sleep 1
timeout 30 "$USRSCTP/tsctp" -D -P 2 -t 0 -l 100 -n 6 -E 42221 -U 41121 127.0.0.1 >tsctp_sender.log 2>&1
sleep 2
kill "$RECEIVER" "$RELAY"
stop_capture
extract usrsctp_relay.pcap "$HERE/usrsctp_relay.hex" \
    "usrsctp 0.9.5 tsctp -D -P 2 -t 0 -l 100 -n 6 through relay.py (2nd DATA datagram duplicated, 4th dropped): relay (UDP ephemeral) <-> tsctp receiver (SCTP 5001, UDP 41111)" sctp 41111

# 3. pion/sctp 1.8.6: tests/golden/pion/src/goldenpion, two associations in
# one process (see its doc comment). Built offline in GOPATH mode.
GO111MODULE=off GOPATH="$HERE/pion:/usr/share/gocode" GOCACHE="$WORK/gocache" \
    go build -o "$WORK/goldenpion" goldenpion
start_capture pion.pcap 'udp portrange 41131-41134'
timeout 60 "$WORK/goldenpion"
stop_capture
extract pion.pcap "$HERE/pion_reconfig.hex" \
    "pion/sctp 1.8.6 (goldenpion association 1): client UDP 41132 <-> server UDP 41131, SCTP ports 5000 <-> 5000: DATA, fragments, unordered, a duplicated and a lost DATA, FORWARD TSN, RE-CONFIG, SHUTDOWN" \
    udp.port==41131 41131
extract pion.pcap "$HERE/pion_abort.hex" \
    "pion/sctp 1.8.6 (goldenpion association 2): client UDP 41134 <-> server UDP 41133, SCTP ports 5000 <-> 5000: handshake, one DATA, Abort(\"golden abort\")" \
    udp.port==41133 41133

echo "pcaps and logs kept in $WORK"
