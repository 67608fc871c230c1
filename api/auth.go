package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
)

// authenticator checks the Bearer key of write endpoints. Keys are compared
// in constant time (as digests, so the length does not leak either) and
// never logged; an address that keeps failing is answered ever more slowly.
type authenticator struct {
	want   [32]byte
	enable bool

	mu       sync.Mutex
	failures map[string]*failure
}

type failure struct {
	count int
	last  time.Time
}

const (
	freeFailures  = 5                // failures answered at once
	failureWindow = 10 * time.Minute // a quiet address is forgiven after this
	maxDelay      = 5 * time.Second
	maxTracked    = 10000
)

func newAuthenticator(key string) *authenticator {
	a := &authenticator{failures: map[string]*failure{}}
	if key != "" {
		a.want = sha256.Sum256([]byte(key))
		a.enable = true
	}
	return a
}

// check returns nil when header carries the key.
func (a *authenticator) check(header, addr string) error {
	if !a.enable {
		return fmt.Errorf("%w: STARGATE_API_KEY is not set, so write endpoints are disabled", platform.ErrNotConfigured)
	}
	token, ok := strings.CutPrefix(header, "Bearer ")
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if ok && subtle.ConstantTimeCompare(got[:], a.want[:]) == 1 {
		return nil
	}
	time.Sleep(a.penalty(addr))
	if header == "" {
		return fmt.Errorf("%w: this endpoint needs an Authorization: Bearer <STARGATE_API_KEY> header", platform.ErrUnauthorized)
	}
	return fmt.Errorf("%w: the API key is wrong", platform.ErrUnauthorized)
}

// penalty records a failure from addr and says how long to wait before
// answering it.
func (a *authenticator) penalty(addr string) time.Duration {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[addr]
	if f == nil || now.Sub(f.last) > failureWindow {
		if len(a.failures) >= maxTracked {
			a.evict(now)
		}
		f = &failure{}
		a.failures[addr] = f
	}
	f.count++
	f.last = now
	if f.count <= freeFailures {
		return 0
	}
	d := 100 * time.Millisecond << min(f.count-freeFailures-1, 6)
	return min(d, maxDelay)
}

func (a *authenticator) evict(now time.Time) {
	for k, f := range a.failures {
		if now.Sub(f.last) > failureWindow || len(a.failures) >= maxTracked {
			delete(a.failures, k)
		}
	}
}

// requireKey guards write endpoints.
func (s *Server) requireKey(c *fiber.Ctx) error {
	if err := s.auth.check(c.Get(fiber.HeaderAuthorization), c.IP()); err != nil {
		return err
	}
	return c.Next()
}
