// Command pionecho is pion/sctp's side of `cargo xtask interop`: an echo
// server, or a client that sends messages, checks every echoed byte and
// shuts down gracefully. SCTP packets are UDP payloads (RFC 6951), SCTP
// ports 5000 on both sides, as pion always uses.
//
//	pionecho server LISTEN_ADDR
//	pionecho client SERVER_ADDR BYTES SIZE STREAMS ordered|unordered [MODE]
//
// The server serves one association: it echoes every message on its
// stream with its PPID; when the peer closes a stream (a stream reset,
// RFC 6525: its reader gets io.EOF) it closes the stream back, as WebRTC
// peers do (RFC 8831 §6.7). It prints "bytes=N messages=M eof=K" when the
// peer has shut down, K being the streams the peer closed.
//
// The client's MODE is one of
//
//	reliable   (the default) reads the known number of echoes;
//	close      also closes each stream after its last message and expects
//	           every echo, then io.EOF when the server closes it back;
//	rexmit:N   partial reliability (RFC 3758), at most N retransmissions;
//	timed:MS   partial reliability, a lifetime of MS milliseconds.
//
// With partial reliability any subset of the messages may come back, so
// the client closes its streams and reads until io.EOF. It exits with 1
// on anything changed, duplicated, misordered (ordered streams) or, when
// reliable, lost; it prints "bytes=N messages=M received=R eof=K
// seconds=S". Build offline in GOPATH mode:
//
//	GO111MODULE=off GOPATH=$PWD/sctp-tokio/interop/pion:/usr/share/gocode go build pionecho
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/sctp"
)

// socketBuffer: pion's writes never wait, so bursts overrun the default
// 208 KiB socket buffers on loopback (INTEROP.md).
const socketBuffer = 4 << 20

// maxBuffered bounds what a writer lets pion queue before it waits for
// the buffered-amount-low callback: pion has no back-pressure of its own.
const maxBuffered = 1 << 20

// serverConn is a listening UDP socket as a net.Conn whose peer is the
// source of the first datagram.
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
	return c.UDPConn.WriteToUDP(b, peer)
}

func (c *serverConn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pionecho: "+format+"\n", args...)
	os.Exit(1)
}

func config(conn net.Conn) sctp.Config {
	// pion logs to stdout by default; results go there, so its logs go to
	// stderr. (1.8.6 logs "stream N not found" for every SACK of data
	// sent on a stream after the peer reset it: it forgets the stream on
	// an incoming reset while its own direction is still open.)
	logs := logging.NewDefaultLoggerFactory()
	logs.Writer = os.Stderr
	return sctp.Config{
		NetConn:              conn,
		MaxReceiveBufferSize: 1 << 20,
		LoggerFactory:        logs,
	}
}

// writer writes with back-pressure: it waits while pion holds more than
// maxBuffered bytes for the stream.
//
// pion 1.8.6 forgets a stream when the peer resets it (its incoming
// direction) and from then on credits no acknowledged bytes to it, so its
// BufferedAmount never falls again and a writer echoing after the peer's
// reset would wait for ever. A buffered amount that has not moved for
// stuckAfter is taken for that: the writer stops waiting on it.
type writer struct {
	s   *sctp.Stream
	low chan struct{}
	// unaccounted: pion stopped counting this stream's buffered amount.
	unaccounted bool
}

// stuckAfter: far longer than acknowledgements take on loopback, even
// with a retransmission timeout (1 s) on the way.
const stuckAfter = 3 * time.Second

func newWriter(s *sctp.Stream) *writer {
	w := &writer{s: s, low: make(chan struct{}, 1)}
	s.SetBufferedAmountLowThreshold(maxBuffered / 2)
	s.OnBufferedAmountLow(func() {
		select {
		case w.low <- struct{}{}:
		default:
		}
	})
	return w
}

func (w *writer) write(msg []byte, ppi sctp.PayloadProtocolIdentifier) error {
	last, since := w.s.BufferedAmount(), time.Now()
	for !w.unaccounted && w.s.BufferedAmount() > maxBuffered {
		select {
		case <-w.low:
		case <-time.After(100 * time.Millisecond):
		}
		if now := w.s.BufferedAmount(); now != last {
			last, since = now, time.Now()
		} else if time.Since(since) > stuckAfter {
			w.unaccounted = true
		}
	}
	_, err := w.s.WriteSCTP(msg, ppi)
	return err
}

func server(addr string) {
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		fail("%v", err)
	}
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		fail("%v", err)
	}
	_ = udp.SetReadBuffer(socketBuffer)
	_ = udp.SetWriteBuffer(socketBuffer)
	a, err := sctp.Server(config(&serverConn{UDPConn: udp}))
	if err != nil {
		fail("handshake: %v", err)
	}
	var mu sync.Mutex
	var total, messages, eofs int
	var wg sync.WaitGroup
	for {
		s, err := a.AcceptStream()
		if err != nil {
			break
		}
		wg.Add(1)
		go func(s *sctp.Stream) {
			defer wg.Done()
			w := newWriter(s)
			buf := make([]byte, 1<<16)
			for {
				n, ppi, err := s.ReadSCTP(buf)
				if errors.Is(err, io.EOF) {
					// The peer reset the stream after its last message:
					// reset ours too, after the echoes.
					mu.Lock()
					eofs++
					mu.Unlock()
					_ = s.Close()
					return
				}
				if err != nil {
					return
				}
				mu.Lock()
				total += n
				messages++
				mu.Unlock()
				if w.write(buf[:n], ppi) != nil {
					return
				}
			}
		}(s)
	}
	wg.Wait()
	fmt.Printf("bytes=%d messages=%d eof=%d\n", total, messages, eofs)
}

// message is the index-th message: its index, then bytes that depend on
// the index and the position.
func message(index, size int) []byte {
	msg := make([]byte, size)
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], uint64(index))
	copy(msg, head[:])
	for k := 8; k < size; k++ {
		msg[k] = byte(index*131 + k*7 + k>>8)
	}
	return msg
}

// mode is how the client sends and what it expects back.
type mode struct {
	relType byte
	relVal  uint32
	// closeStreams: close each stream after its last message and read
	// echoes until io.EOF.
	closeStreams bool
}

func (m mode) partial() bool { return m.relType != sctp.ReliabilityTypeReliable }

func parseMode(s string) (mode, error) {
	switch {
	case s == "reliable":
		return mode{relType: sctp.ReliabilityTypeReliable}, nil
	case s == "close":
		return mode{relType: sctp.ReliabilityTypeReliable, closeStreams: true}, nil
	case strings.HasPrefix(s, "rexmit:"), strings.HasPrefix(s, "timed:"):
		name, value, _ := strings.Cut(s, ":")
		v, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return mode{}, fmt.Errorf("bad mode %q: %v", s, err)
		}
		relType := sctp.ReliabilityTypeRexmit
		if name == "timed" {
			relType = sctp.ReliabilityTypeTimed
		}
		return mode{relType: relType, relVal: uint32(v), closeStreams: true}, nil
	}
	return mode{}, fmt.Errorf("bad mode %q", s)
}

// result is what one stream's reader saw.
type result struct {
	received int
	eof      bool
	err      error
}

func client(addr string, total, size, streams int, unordered bool, m mode) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		fail("%v", err)
	}
	udp, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		fail("%v", err)
	}
	_ = udp.SetReadBuffer(socketBuffer)
	_ = udp.SetWriteBuffer(socketBuffer)
	a, err := sctp.Client(config(udp))
	if err != nil {
		fail("handshake: %v", err)
	}
	count := (total + size - 1) / size
	sizeOf := func(i int) int {
		if i == count-1 {
			return total - (count-1)*size
		}
		return size
	}
	started := time.Now()
	writers := make([]*writer, streams)
	results := make(chan result, streams)
	for id := 0; id < streams; id++ {
		s, err := a.OpenStream(uint16(id), sctp.PayloadTypeWebRTCBinary)
		if err != nil {
			fail("open stream %d: %v", id, err)
		}
		s.SetReliabilityParams(unordered, m.relType, m.relVal)
		writers[id] = newWriter(s)
		go func(id int, s *sctp.Stream) {
			results <- readEchoes(s, id, streams, count, unordered, m, sizeOf)
		}(id, s)
	}
	for i := 0; i < count; i++ {
		if err := writers[i%streams].write(message(i, sizeOf(i)), sctp.PayloadTypeWebRTCBinary); err != nil {
			fail("write %d: %v", i, err)
		}
	}
	if m.closeStreams {
		// Stream.Close sends the reset after the queued messages
		// (RFC 6525 §5.1.2); the server's reader gets them, then io.EOF.
		for id, w := range writers {
			if err := w.s.Close(); err != nil {
				fail("close stream %d: %v", id, err)
			}
		}
	}
	received, eofs := 0, 0
	for id := 0; id < streams; id++ {
		r := <-results
		if r.err != nil {
			fail("%v", r.err)
		}
		received += r.received
		if r.eof {
			eofs++
		}
	}
	if !m.partial() && received != count {
		fail("%d messages sent, %d echoed", count, received)
	}
	if received == 0 {
		fail("no echo came back")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		fail("shutdown: %v", err)
	}
	seconds := time.Since(started).Seconds()
	fmt.Printf("bytes=%d messages=%d received=%d eof=%d seconds=%.3f\n", total, count, received, eofs, seconds)
}

// readEchoes reads the echoes of stream id and checks each: every byte,
// once, and on an ordered stream in order. Reliable without closing, it
// reads the known number of echoes; otherwise it reads until io.EOF.
func readEchoes(s *sctp.Stream, id, streams, count int, unordered bool, m mode, sizeOf func(int) int) result {
	buf := make([]byte, 1<<16)
	seen := map[int]bool{}
	last := -1
	expected := 0
	for i := id; i < count; i += streams {
		expected++
	}
	received := 0
	for m.closeStreams || received < expected {
		n, ppi, err := s.ReadSCTP(buf)
		if errors.Is(err, io.EOF) && m.closeStreams {
			if !m.partial() && received != expected {
				return result{err: fmt.Errorf("stream %d: io.EOF after %d of %d echoes", id, received, expected)}
			}
			return result{received: received, eof: true}
		}
		if err != nil {
			return result{err: fmt.Errorf("stream %d: echo %d: %v", id, received, err)}
		}
		index := id + received*streams
		if (unordered || m.partial()) && n >= 8 {
			index = int(binary.BigEndian.Uint64(buf[:8]))
		}
		if seen[index] || index%streams != id || index >= count || index < 0 {
			return result{err: fmt.Errorf("stream %d: unexpected echo of %d", id, index)}
		}
		if !unordered && index < last {
			return result{err: fmt.Errorf("stream %d: echo of %d after %d", id, index, last)}
		}
		seen[index] = true
		last = index
		if ppi != sctp.PayloadTypeWebRTCBinary || !bytes.Equal(buf[:n], message(index, sizeOf(index))) {
			return result{err: fmt.Errorf("stream %d: echo %d changed or out of order", id, index)}
		}
		received++
	}
	return result{received: received}
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "server" {
		server(os.Args[2])
		return
	}
	if (len(os.Args) == 7 || len(os.Args) == 8) && os.Args[1] == "client" {
		n := make([]int, 3)
		for i := range n {
			v, err := strconv.Atoi(os.Args[3+i])
			if err != nil || v <= 0 {
				fail("bad number %q", os.Args[3+i])
			}
			n[i] = v
		}
		m := mode{relType: sctp.ReliabilityTypeReliable}
		if len(os.Args) == 8 {
			var err error
			if m, err = parseMode(os.Args[7]); err != nil {
				fail("%v", err)
			}
		}
		client(os.Args[2], n[0], n[1], n[2], os.Args[6] == "unordered", m)
		return
	}
	fail("usage: pionecho server ADDR | pionecho client ADDR BYTES SIZE STREAMS ordered|unordered [reliable|close|rexmit:N|timed:MS]")
}
