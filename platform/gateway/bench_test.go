package gateway

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"stargate/platform"
)

var benchAnswer = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")

// serveTiny answers every request on conn with benchAnswer, in order. It
// parses no more than the gateway's own requests need (a Content-Length
// header and a body), so that profiles show the gateway, not the fake.
func serveTiny(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, 0, 64<<10)
	out := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		n, err := conn.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		out = out[:0]
		for {
			end := bytes.Index(buf, []byte("\r\n\r\n"))
			if end < 0 {
				break
			}
			length := 0
			if i := bytes.Index(buf[:end], []byte("Content-Length: ")); i >= 0 {
				line := buf[i+len("Content-Length: "):]
				line = line[:bytes.IndexByte(line, '\r')]
				length, _ = strconv.Atoi(string(line))
			}
			total := end + 4 + length
			if len(buf) < total {
				break
			}
			buf = buf[:copy(buf, buf[total:])]
			out = append(out, benchAnswer...)
		}
		if len(out) > 0 {
			if _, err := conn.Write(out); err != nil {
				return
			}
		}
	}
}

func benchGateway(b *testing.B) *Gateway {
	b.Helper()
	dir := socketDir(b)
	ln, err := net.Listen("unix", dir+"/"+SocketName)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveTiny(conn)
		}
	}()
	be, err := Dial(context.Background(), platform.Instance{ID: "bench", SocketDir: dir}, BackendOptions{MaxResponseBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(be.Close)
	tg := NewTarget(testKey, 30*time.Second)
	tg.Add(be)
	g := New()
	g.Set(tg, shortPath, longPath)
	return g
}

// BenchmarkServe measures the invoke path against an instance answering a
// fixed tiny JSON: go test -bench Serve -cpuprofile cpu.out ./platform/gateway/
func BenchmarkServe(b *testing.B) {
	g := benchGateway(b)
	run := func(ctx *fasthttp.RequestCtx) bool {
		ctx.Response.Reset()
		if err := g.Serve(ctx); err != nil || ctx.Response.StatusCode() != 200 {
			b.Errorf("Serve = %v, status %d", err, ctx.Response.StatusCode())
			return false
		}
		return true
	}
	newCtx := func() *fasthttp.RequestCtx {
		ctx := &fasthttp.RequestCtx{}
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI(shortPath + "?x=1")
		ctx.Request.SetBodyString(`{"y":2}`)
		return ctx
	}
	b.Run("serial", func(b *testing.B) {
		ctx := newCtx()
		b.ReportAllocs()
		for b.Loop() {
			if !run(ctx) {
				return
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			ctx := newCtx()
			for pb.Next() {
				if !run(ctx) {
					return
				}
			}
		})
	})
}
