package runner

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"
)

// BenchmarkInvoke is one warm call over the unix socket, one at a time on
// one connection (client in the same process): the runner's share of a
// call's latency.
func BenchmarkInvoke(b *testing.B) { benchInvoke(b, 1) }

// BenchmarkInvokePipelined writes 16 calls at once, as a busy gateway does.
func BenchmarkInvokePipelined(b *testing.B) { benchInvoke(b, 16) }

func benchInvoke(b *testing.B, depth int) {
	sock := serve(b, testFunction(), 1<<20)
	c, err := net.Dial("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte(request("GET", "/invoke?text=hello&n=3", ""))
	batch := bytes.Repeat(req, depth)
	br := bufio.NewReader(c)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := c.Write(batch); err != nil {
			b.Fatal(err)
		}
		for range depth {
			if err := skipAnswer(br); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// skipAnswer reads one answer: head lines, then Content-Length bytes.
func skipAnswer(br *bufio.Reader) error {
	length := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	_, err := br.Discard(length)
	return err
}
