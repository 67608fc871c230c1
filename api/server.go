// Package api is Stargate's HTTP surface: the self-improvement endpoints
// (one file per resource, on Fiber) and the /improved/... invoke path, which
// skips Fiber's router and goes straight to the gateway.
package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"stargate/platform"
	"stargate/platform/controller"
	"stargate/platform/gateway"
)

// Functions is what the API needs of the controller.
type Functions interface {
	Load(ctx context.Context, req controller.LoadRequest) (platform.Function, error)
	Unload(ctx context.Context, key platform.FunctionKey) error
	AutoEnhance(ctx context.Context) (controller.EnhanceReport, error)
	Status() []controller.FunctionStatus
	Pool() controller.PoolStatus
	Functions() []platform.Function
	Count() int
}

// Pinger is a component /health reports on.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the API's collaborators.
type Deps struct {
	Functions Functions
	Gateway   *gateway.Gateway
	// Components are pinged by /health, by name: engine, store, checker.
	Components map[string]Pinger
	StoreKind  string
	APIKey     string
	Version    string
	MaxBody    int
	Logger     *slog.Logger
}

// Server serves the API.
type Server struct {
	deps   Deps
	log    *slog.Logger
	app    *fiber.App
	fiber  fasthttp.RequestHandler
	srv    *fasthttp.Server
	ready  atomic.Bool
	closed atomic.Bool
	auth   *authenticator
}

// New builds the server; it answers 503 on /health until SetReady.
func New(deps Deps) *Server {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &Server{deps: deps, log: deps.Logger, auth: newAuthenticator(deps.APIKey)}
	s.app = fiber.New(fiber.Config{
		ErrorHandler:          s.fiberError,
		DisableStartupMessage: true,
		CaseSensitive:         true,
		// Handlers keep strings past the request (the controller's locks,
		// errors); Fiber's default hands out views of pooled buffers.
		Immutable:     true,
		StrictRouting: false,
		BodyLimit:     deps.MaxBody,
		AppName:       "stargate",
	})
	s.routes()
	s.fiber = s.app.Handler()
	s.srv = &fasthttp.Server{
		Handler:            s.handle,
		ErrorHandler:       s.serverError,
		Name:               "stargate",
		MaxRequestBodySize: deps.MaxBody,
		ReadTimeout:        60 * time.Second,
		IdleTimeout:        120 * time.Second,
		CloseOnShutdown:    true,
		Logger:             debugLogger{s.log},
		// The gateway reads the body as a whole; header names stay as sent.
		DisableHeaderNamesNormalizing: true,
		NoDefaultContentType:          true,
	}
	return s
}

func (s *Server) routes() {
	a := s.app
	a.Get("/", s.root)
	a.Get("/health", s.health)
	a.Get("/openapi.json", s.openAPI)

	for _, prefix := range []string{"/self-improve", "/sandbox"} {
		a.Get(prefix+"/status", s.status)
		a.Post(prefix+"/load", s.requireKey, s.load)
		a.Delete(prefix+"/unload/:hash/:function", s.requireKey, s.unload)
	}
	a.Post("/self-improve/auto-enhance", s.requireKey, s.autoEnhance)
	a.Post("/sandbox/auto-load", s.requireKey, s.autoEnhance)
}

var improvedPrefix = []byte("/improved/")

// handle sends calls of loaded functions straight to the gateway: the hot
// path pays for no router, middleware or Ctx of Fiber's.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	if bytes.HasPrefix(ctx.Path(), improvedPrefix) {
		if !ctx.IsGet() && !ctx.IsPost() {
			ctx.Response.Header.Set("Allow", "GET, POST")
			writeError(ctx, s.log, errMethod)
			return
		}
		if err := s.deps.Gateway.Serve(ctx); err != nil {
			writeError(ctx, s.log, err)
		}
		return
	}
	if !knownMethod(ctx.Method()) {
		// Fiber answers methods it does not know in plain text.
		writeError(ctx, s.log, fiber.ErrMethodNotAllowed)
		return
	}
	s.fiber(ctx)
}

func knownMethod(m []byte) bool {
	switch string(m) {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodConnect, fiber.MethodOptions, fiber.MethodTrace, fiber.MethodPatch:
		return true
	}
	return false
}

// SetReady makes /health answer 200: every stored function has been restored.
func (s *Server) SetReady() { s.ready.Store(true) }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting connections and waits for calls in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closed.Store(true)
	return s.srv.ShutdownWithContext(ctx)
}

// Handler exposes the whole API as a fasthttp handler, for tests.
func (s *Server) Handler() fasthttp.RequestHandler { return s.handle }

// serverError answers what fasthttp rejects before any handler runs.
func (s *Server) serverError(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		s.rejectBody(ctx)
		return
	}
	writeError(ctx, s.log, &platform.InvalidError{Field: "request", Reason: "malformed HTTP request"})
}

// rejectBody answers 413 and closes the connection lingering. The client is
// still sending the body it announced; closing with that data unread would
// make the kernel reset the connection and the client would lose the answer.
// So: write the answer, shut down our side, and read what is still coming
// for a bounded time before fasthttp closes the connection.
func (s *Server) rejectBody(ctx *fasthttp.RequestCtx) {
	writeError(ctx, s.log, errBodyTooLarge(s.deps.MaxBody))
	ctx.SetConnectionClose()
	conn := ctx.Conn()
	bw := bufio.NewWriter(conn)
	if err := ctx.Response.Write(bw); err != nil || bw.Flush() != nil {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.CopyN(io.Discard, conn, lingerBytes)
}

// Bounds of the lingering close after a 413.
const (
	lingerTimeout = 2 * time.Second
	lingerBytes   = 64 << 20
)

// debugLogger takes fasthttp's connection-level complaints (a client that
// sent too much, or hung up) to the debug level: they are the clients'
// business, not the operator's.
type debugLogger struct{ log *slog.Logger }

func (l debugLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "source", "fasthttp")
}
