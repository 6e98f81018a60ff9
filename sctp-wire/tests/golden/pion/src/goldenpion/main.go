// Command goldenpion drives two pion/sctp associations over UDP on
// loopback, in one process, so that tshark can record real pion packets
// for the golden tests of sctp-wire (see ../../../capture.sh).
//
// Association 1 (client UDP 41132 -> server UDP 41131):
//   - handshake, then ordered DATA on stream 1 (one small message and one
//     fragmented into three DATA chunks), one unordered message on stream 3;
//   - a message the client's conn sends twice, so the server's SACK reports
//     a duplicate TSN;
//   - stream 2 set to partial reliability (Rexmit, 0 retransmissions): its
//     "lost" message is dropped by the client's conn before it reaches the
//     socket, the next message makes the server SACK with a gap block, and
//     the client abandons the lost one with a FORWARD TSN;
//   - Stream.Close() on stream 1 on both sides: RE-CONFIG outgoing SSN reset
//     requests and their responses;
//   - a graceful Shutdown: SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE.
//
// Association 2 (client UDP 41134 -> server UDP 41133): handshake, one
// message, then Abort("golden abort"): an ABORT with a User-Initiated Abort
// cause.
//
// Build offline in GOPATH mode:
//
//	GO111MODULE=off GOPATH=$PWD/sctp-wire/tests/golden/pion:/usr/share/gocode go build goldenpion
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/sctp"
)

// lossyConn wraps the client's connected UDP socket: datagrams holding
// `drop` are swallowed, datagrams holding `dup` are written twice.
type lossyConn struct {
	net.Conn
	drop []byte
	dup  []byte
}

func (c *lossyConn) Write(b []byte) (int, error) {
	if c.drop != nil && bytes.Contains(b, c.drop) {
		return len(b), nil
	}
	if c.dup != nil && bytes.Contains(b, c.dup) {
		if _, err := c.Conn.Write(b); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(b)
}

// serverConn turns a listening UDP socket into a net.Conn whose peer is the
// source of the first datagram it reads.
type serverConn struct {
	*net.UDPConn
	mu   sync.Mutex
	peer *net.UDPAddr
}

func (c *serverConn) Read(b []byte) (int, error) {
	for {
		n, from, err := c.UDPConn.ReadFromUDP(b)
		if err != nil {
			return n, err
		}
		c.mu.Lock()
		if c.peer == nil {
			c.peer = from
		}
		same := c.peer.String() == from.String()
		c.mu.Unlock()
		if same {
			return n, nil
		}
	}
}

func (c *serverConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	peer := c.peer
	c.mu.Unlock()
	if peer == nil {
		return 0, fmt.Errorf("no peer yet")
	}
	return c.UDPConn.WriteToUDP(b, peer)
}

func (c *serverConn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

func pair(serverPort, clientPort int, drop, dup []byte) (*sctp.Association, *sctp.Association) {
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelWarn
	ls, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort})
	if err != nil {
		log.Fatal(err)
	}
	cs, err := net.DialUDP("udp4",
		&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: clientPort},
		&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort})
	if err != nil {
		log.Fatal(err)
	}
	type result struct {
		a   *sctp.Association
		err error
	}
	srv := make(chan result, 1)
	go func() {
		a, err := sctp.Server(sctp.Config{NetConn: &serverConn{UDPConn: ls}, LoggerFactory: lf})
		srv <- result{a, err}
	}()
	client, err := sctp.Client(sctp.Config{
		NetConn:       &lossyConn{Conn: cs, drop: drop, dup: dup},
		LoggerFactory: lf,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := <-srv
	if r.err != nil {
		log.Fatal(r.err)
	}
	return client, r.a
}

func write(s *sctp.Stream, msg []byte, ppi sctp.PayloadProtocolIdentifier) {
	if _, err := s.WriteSCTP(msg, ppi); err != nil {
		log.Fatal(err)
	}
}

func main() {
	// Association 1.
	client, server := pair(41131, 41132, []byte("lost message"), []byte("duplicated message"))

	received := make(chan string, 16)
	go func() {
		for {
			s, err := server.AcceptStream()
			if err != nil {
				return
			}
			go func(s *sctp.Stream) {
				buf := make([]byte, 65536)
				for {
					n, ppi, err := s.ReadSCTP(buf)
					if err == io.EOF {
						// The peer reset its outgoing stream: reset ours too.
						received <- fmt.Sprintf("stream %d: EOF", s.StreamIdentifier())
						_ = s.Close()
						return
					}
					if err != nil {
						return
					}
					received <- fmt.Sprintf("stream %d ppi %d: %d bytes", s.StreamIdentifier(), ppi, n)
				}
			}(s)
		}
	}()
	expect := func(n int) {
		for i := 0; i < n; i++ {
			select {
			case m := <-received:
				log.Println("server got", m)
			case <-time.After(10 * time.Second):
				log.Fatal("timed out waiting for the server")
			}
		}
	}

	s1, err := client.OpenStream(1, sctp.PayloadTypeWebRTCString)
	if err != nil {
		log.Fatal(err)
	}
	write(s1, []byte("hello from pion"), sctp.PayloadTypeWebRTCString)
	expect(1)
	time.Sleep(300 * time.Millisecond)

	big := bytes.Repeat([]byte("0123456789abcdef"), 160) // 2560 bytes: three DATA chunks
	write(s1, big, sctp.PayloadTypeWebRTCBinary)
	expect(1)
	time.Sleep(300 * time.Millisecond)

	s3, err := client.OpenStream(3, sctp.PayloadTypeWebRTCString)
	if err != nil {
		log.Fatal(err)
	}
	s3.SetReliabilityParams(true, sctp.ReliabilityTypeReliable, 0)
	write(s3, []byte("unordered message"), sctp.PayloadTypeWebRTCString)
	expect(1)
	time.Sleep(300 * time.Millisecond)

	write(s1, []byte("duplicated message"), sctp.PayloadTypeWebRTCString)
	expect(1)
	time.Sleep(300 * time.Millisecond)

	s2, err := client.OpenStream(2, sctp.PayloadTypeWebRTCString)
	if err != nil {
		log.Fatal(err)
	}
	s2.SetReliabilityParams(false, sctp.ReliabilityTypeRexmit, 0)
	write(s2, []byte("lost message"), sctp.PayloadTypeWebRTCString)
	time.Sleep(100 * time.Millisecond)
	write(s2, []byte("after the lost one"), sctp.PayloadTypeWebRTCString)
	expect(1)
	time.Sleep(500 * time.Millisecond)

	if err := s1.Close(); err != nil {
		log.Fatal(err)
	}
	expect(1) // the server sees EOF on stream 1 and resets its own
	time.Sleep(500 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := client.Shutdown(ctx); err != nil {
		log.Fatal("shutdown: ", err)
	}
	cancel()
	time.Sleep(300 * time.Millisecond)
	_ = server.Close()
	_ = client.Close()

	// Association 2.
	client2, server2 := pair(41133, 41134, nil, nil)
	go func() {
		s, err := server2.AcceptStream()
		if err != nil {
			return
		}
		buf := make([]byte, 1024)
		for {
			if _, _, err := s.ReadSCTP(buf); err != nil {
				return
			}
			received <- "association 2 message"
		}
	}()
	s, err := client2.OpenStream(0, sctp.PayloadTypeWebRTCString)
	if err != nil {
		log.Fatal(err)
	}
	write(s, []byte("about to abort"), sctp.PayloadTypeWebRTCString)
	expect(1)
	time.Sleep(300 * time.Millisecond)
	client2.Abort("golden abort")
	time.Sleep(300 * time.Millisecond)
	_ = server2.Close()
	_ = client2.Close()
	fmt.Fprintln(os.Stderr, "done")
}
