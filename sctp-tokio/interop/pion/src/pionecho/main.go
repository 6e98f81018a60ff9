// Command pionecho is pion/sctp's side of `cargo xtask interop`: an echo
// server, or a client that sends messages, checks every echoed byte and
// shuts down gracefully. SCTP packets are UDP payloads (RFC 6951), SCTP
// ports 5000 on both sides, as pion always uses.
//
//	pionecho server LISTEN_ADDR
//	pionecho client SERVER_ADDR BYTES SIZE STREAMS ordered|unordered
//
// The server serves one association: it echoes every message on its
// stream with its PPID, and prints "bytes=N messages=M" when the peer has
// shut down. The client exits with 1 on anything lost, changed or
// misordered (ordered streams). Build offline in GOPATH mode:
//
//	GO111MODULE=off GOPATH=$PWD/sctp-tokio/interop/pion:/usr/share/gocode go build pionecho
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
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
	return sctp.Config{
		NetConn:              conn,
		MaxReceiveBufferSize: 1 << 20,
		LoggerFactory:        logging.NewDefaultLoggerFactory(),
	}
}

// writer writes with back-pressure: it waits while pion holds more than
// maxBuffered bytes for the stream.
type writer struct {
	s   *sctp.Stream
	low chan struct{}
}

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
	for w.s.BufferedAmount() > maxBuffered {
		select {
		case <-w.low:
		case <-time.After(100 * time.Millisecond):
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
	var total, messages int
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
	fmt.Printf("bytes=%d messages=%d\n", total, messages)
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

func client(addr string, total, size, streams int, unordered bool) {
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
	errs := make(chan error, streams)
	for id := 0; id < streams; id++ {
		s, err := a.OpenStream(uint16(id), sctp.PayloadTypeWebRTCBinary)
		if err != nil {
			fail("open stream %d: %v", id, err)
		}
		s.SetReliabilityParams(unordered, sctp.ReliabilityTypeReliable, 0)
		writers[id] = newWriter(s)
		go func(id int, s *sctp.Stream) {
			buf := make([]byte, 1<<16)
			seen := map[int]bool{}
			for i := id; i < count; i += streams {
				n, ppi, err := s.ReadSCTP(buf)
				if err != nil {
					errs <- fmt.Errorf("stream %d: echo of %d lost: %v", id, i, err)
					return
				}
				index := i
				if unordered && n >= 8 {
					index = int(binary.BigEndian.Uint64(buf[:8]))
				}
				if seen[index] || index%streams != id || index >= count {
					errs <- fmt.Errorf("stream %d: unexpected echo of %d", id, index)
					return
				}
				seen[index] = true
				if ppi != sctp.PayloadTypeWebRTCBinary || !bytes.Equal(buf[:n], message(index, sizeOf(index))) {
					errs <- fmt.Errorf("stream %d: echo %d changed or out of order", id, index)
					return
				}
			}
			errs <- nil
		}(id, s)
	}
	for i := 0; i < count; i++ {
		if err := writers[i%streams].write(message(i, sizeOf(i)), sctp.PayloadTypeWebRTCBinary); err != nil {
			fail("write %d: %v", i, err)
		}
	}
	for id := 0; id < streams; id++ {
		if err := <-errs; err != nil {
			fail("%v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		fail("shutdown: %v", err)
	}
	seconds := time.Since(started).Seconds()
	fmt.Printf("bytes=%d messages=%d seconds=%.3f\n", total, count, seconds)
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "server" {
		server(os.Args[2])
		return
	}
	if len(os.Args) == 7 && os.Args[1] == "client" {
		n := make([]int, 3)
		for i := range n {
			v, err := strconv.Atoi(os.Args[3+i])
			if err != nil || v <= 0 {
				fail("bad number %q", os.Args[3+i])
			}
			n[i] = v
		}
		client(os.Args[2], n[0], n[1], n[2], os.Args[6] == "unordered")
		return
	}
	fail("usage: pionecho server ADDR | pionecho client ADDR BYTES SIZE STREAMS ordered|unordered")
}
