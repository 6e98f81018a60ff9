#!/usr/bin/env python3
"""A lossy UDP relay for the golden captures (see capture.sh).

    relay.py LISTEN_PORT SERVER_PORT DUP_NTH DROP_NTH

Listens on 127.0.0.1:LISTEN_PORT for a usrsctp sender and relays its
datagrams to 127.0.0.1:SERVER_PORT, and the server's replies back to the
sender. Datagrams are SCTP packets (RFC 6951 UDP encapsulation). Counting
the sender's datagrams whose first chunk is DATA (type 0, byte 12), from 1:
  - the DUP_NTH one is sent twice, so the server reports its TSN in the
    duplicate TSN list of a SACK;
  - the DROP_NTH one is swallowed (only its first transmission), so the
    server sees a gap and reports it in a SACK gap ack block.
Runs until killed.
"""
import select
import socket
import sys

listen_port, server_port, dup_nth, drop_nth = map(int, sys.argv[1:5])
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
server = ("127.0.0.1", server_port)
sender = None
data_seen = 0

while True:
    ready, _, _ = select.select([front, back], [], [])
    if front in ready:
        packet, sender = front.recvfrom(65535)
        copies = 1
        if len(packet) > 12 and packet[12] == 0:
            data_seen += 1
            if data_seen == drop_nth:
                copies = 0
            elif data_seen == dup_nth:
                copies = 2
        for _ in range(copies):
            back.sendto(packet, server)
    if back in ready:
        packet, _ = back.recvfrom(65535)
        if sender is not None:
            front.sendto(packet, sender)
