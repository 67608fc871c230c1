package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
	"stargate/platform/controller"
)

type enhanceEntry struct {
	Hash         string `json:"visible_pixel_hash"`
	FunctionName string `json:"function_name,omitempty"`
	EndpointPath string `json:"endpoint_path,omitempty"`
	ModuleID     string `json:"module_id,omitempty"`
	Reason       string `json:"reason,omitempty"`
	Code         string `json:"code,omitempty"`
	Status       int    `json:"status,omitempty"`
	Violations   any    `json:"violations,omitempty"`
}

func (s *Server) autoEnhance(c *fiber.Ctx) error {
	rep, err := s.deps.Functions.AutoEnhance(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"status":    "success",
		"loaded":    entries(rep.Loaded),
		"unchanged": entries(rep.Unchanged),
		"rejected":  entries(rep.Rejected),
		"skipped":   entries(rep.Skipped),
		"summary": fiber.Map{
			"loaded": len(rep.Loaded), "unchanged": len(rep.Unchanged),
			"rejected": len(rep.Rejected), "skipped": len(rep.Skipped),
		},
		"timestamp": time.Now().UTC().Format(time.RFC3339),
	})
}

func entries(items []controller.EnhanceItem) []enhanceEntry {
	out := make([]enhanceEntry, 0, len(items))
	for _, it := range items {
		e := enhanceEntry{Hash: it.Hash, Reason: it.Reason}
		if it.Function != nil {
			e.FunctionName = it.Function.Name
			e.EndpointPath = it.Function.EndpointPath()
			e.ModuleID = it.Function.ModuleID()
		}
		if it.Err != nil {
			status, code, msg, details := classify(it.Err)
			e.Status, e.Code, e.Reason = status, code, msg
			if v, ok := details.([]platform.Violation); ok {
				e.Violations = v
			}
		}
		out = append(out, e)
	}
	return out
}
