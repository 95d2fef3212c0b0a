package wstap

import "encoding/binary"

// MaxFrame is the largest text frame payload, in bytes, a Scanner hands
// over; joins, their replies and heartbeats are far smaller. Larger frames
// are skipped.
const MaxFrame = 4 << 10

// Scanner follows a stream of websocket frames fed in arbitrary pieces and
// calls OnFrame with the unmasked payload of each small (at most MaxFrame
// bytes), unfragmented text frame. With SkipHTTP it first skips an HTTP head
// (the upgrade request or response), up to its blank line. The zero value
// (with OnFrame set) scans a stream that starts with a frame. A Scanner is
// not safe for concurrent use.
type Scanner struct {
	// OnFrame gets each frame's payload; the slice is reused after it
	// returns. Nil hands nothing over.
	OnFrame func(payload []byte)
	// SkipHTTP makes the scanner skip an HTTP head first; it is cleared
	// when the head's blank line has been seen.
	SkipHTTP bool

	crlf int // bytes of "\r\n\r\n" matched while skipping

	hdr    [14]byte
	hn     int   // header bytes collected
	body   bool  // reading a payload
	remain int64 // payload bytes left
	mask   [4]byte
	masked bool
	mpos   int
	keep   bool // hand this frame's payload over
	buf    []byte
}

// Feed consumes the next bytes of the stream.
func (s *Scanner) Feed(p []byte) {
	for len(p) > 0 {
		if s.SkipHTTP {
			p = s.httpHead(p)
			continue
		}
		if !s.body {
			p = s.header(p)
			continue
		}
		k := int(min(s.remain, int64(len(p))))
		if s.keep {
			for i, b := range p[:k] {
				if s.masked {
					b ^= s.mask[(s.mpos+i)&3]
				}
				s.buf = append(s.buf, b)
			}
		}
		s.mpos += k
		s.remain -= int64(k)
		p = p[k:]
		if s.remain == 0 {
			s.endFrame()
		}
	}
}

// httpHead skips bytes up to and including the first "\r\n\r\n".
func (s *Scanner) httpHead(p []byte) []byte {
	const end = "\r\n\r\n"
	for i, b := range p {
		switch {
		case b == end[s.crlf]:
			s.crlf++
		case b == '\r':
			s.crlf = 1
		default:
			s.crlf = 0
		}
		if s.crlf == len(end) {
			s.SkipHTTP = false
			return p[i+1:]
		}
	}
	return nil
}

// header collects header bytes from p and returns the rest.
func (s *Scanner) header(p []byte) []byte {
	for len(p) > 0 {
		s.hdr[s.hn] = p[0]
		s.hn++
		p = p[1:]
		if s.hn < 2 {
			continue
		}
		need := 2
		switch s.hdr[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		masked := s.hdr[1]&0x80 != 0
		if masked {
			need += 4
		}
		if s.hn < need {
			continue
		}
		var n int64
		switch l := s.hdr[1] & 0x7f; l {
		case 126:
			n = int64(binary.BigEndian.Uint16(s.hdr[2:4]))
		case 127:
			n = int64(binary.BigEndian.Uint64(s.hdr[2:10]) & (1<<63 - 1))
		default:
			n = int64(l)
		}
		s.masked = masked
		if masked {
			copy(s.mask[:], s.hdr[need-4:need])
		}
		fin, opcode := s.hdr[0]&0x80 != 0, s.hdr[0]&0x0f
		s.keep = fin && opcode == 1 && n <= MaxFrame
		s.buf = s.buf[:0]
		s.remain, s.mpos, s.hn, s.body = n, 0, 0, true
		if n == 0 {
			s.endFrame()
		}
		return p
	}
	return p
}

func (s *Scanner) endFrame() {
	s.body = false
	if s.keep && s.OnFrame != nil {
		s.OnFrame(s.buf)
	}
}
