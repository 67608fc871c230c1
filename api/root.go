package api

import (
	"context"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) root(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"name":        "Stargate",
		"description": "Agent-written functions served from walled, network-less containers",
		"version":     s.deps.Version,
		"endpoints": fiber.Map{
			"health":            "GET /health",
			"openapi":           "GET /openapi.json",
			"load":              "POST /self-improve/load",
			"status":            "GET /self-improve/status",
			"unload":            "DELETE /self-improve/unload/{visible_pixel_hash}/{function_name}",
			"auto_enhance":      "POST /self-improve/auto-enhance",
			"improved":          "GET|POST /improved/{improvement_type}/{function_name}",
			"improved_long":     "GET|POST /improved/{improvement_type}/{visible_pixel_hash}/{function_name}",
			"sandbox_load":      "POST /sandbox/load",
			"sandbox_status":    "GET /sandbox/status",
			"sandbox_unload":    "DELETE /sandbox/unload/{visible_pixel_hash}/{function_name}",
			"sandbox_auto_load": "POST /sandbox/auto-load",
		},
		"self_improvement": fiber.Map{
			"enabled":                    s.auth.enable,
			"loaded_functions":           s.deps.Functions.Count(),
			"auto_enhancement_available": s.auth.enable,
		},
	})
}

type componentHealth struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"`
}

// health answers 200 once every stored function is restored and the API
// serves; each component is reported, and a component that is down makes
// the status "degraded" (calls are still served from memory).
func (s *Server) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.deps.Components))
	for n := range s.deps.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	comps := fiber.Map{}
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(names))
	for _, n := range names {
		go func() { results <- result{n, s.deps.Components[n].Ping(ctx)} }()
	}
	healthy := true
	for range names {
		r := <-results
		h := componentHealth{OK: r.err == nil}
		if r.err != nil {
			// /health is public: the detail (socket paths, addresses) goes
			// to the log, not to whoever asks.
			h.Error = "not answering"
			healthy = false
			s.log.Debug("health", "component", r.name, "err", r.err)
		}
		if r.name == "store" {
			h.Kind = s.deps.StoreKind
		}
		comps[r.name] = h
	}
	status, code := "ok", fiber.StatusOK
	switch {
	case s.closed.Load():
		status, code = "shutting_down", fiber.StatusServiceUnavailable
	case !s.ready.Load():
		status, code = "starting", fiber.StatusServiceUnavailable
	case !healthy:
		status = "degraded"
	}
	return c.Status(code).JSON(fiber.Map{
		"status":           status,
		"version":          s.deps.Version,
		"loaded_functions": s.deps.Functions.Count(),
		"components":       comps,
	})
}
