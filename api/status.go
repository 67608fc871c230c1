package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
	"stargate/platform/controller"
)

// statusItem is one function in GET /self-improve/status.
type statusItem struct {
	ModuleID       string   `json:"module_id"`
	FunctionName   string   `json:"function_name"`
	EndpointPath   string   `json:"endpoint_path"`
	Paths          []string `json:"paths"`
	LoadedAt       string   `json:"loaded_at"`
	Hash           string   `json:"visible_pixel_hash"`
	ModuleName     string   `json:"module_name"`
	Type           string   `json:"improvement_type"`
	Language       string   `json:"language"`
	Revision       string   `json:"revision"`
	TimeoutSeconds int      `json:"timeout_seconds"`
	MemoryMB       int      `json:"memory_mb"`
	Instances      int      `json:"instances"`
	Busy           int      `json:"busy"`
	Queued         int      `json:"queued"`
	Invocations    int64    `json:"invocations"`
	Errors         int64    `json:"errors"`
	Timeouts       int64    `json:"timeouts"`
	MeanMillis     float64  `json:"mean_ms"`
}

func (s *Server) status(c *fiber.Ctx) error {
	groups := map[string][]statusItem{
		platform.TypeScan: {}, platform.TypeAgent: {}, platform.TypeAPI: {},
	}
	list := s.deps.Functions.Status()
	for _, st := range list {
		groups[st.Function.Type] = append(groups[st.Function.Type], item(st))
	}
	return c.JSON(fiber.Map{
		"status":                    "active",
		"total_loaded":              len(list),
		"scan_improvements":         groups[platform.TypeScan],
		"agent_improvements":        groups[platform.TypeAgent],
		"api_improvements":          groups[platform.TypeAPI],
		"self_improvement_enabled":  s.auth.enable,
		"agent_development_capable": true,
		"timestamp":                 time.Now().UTC().Format(time.RFC3339),
	})
}

func item(st controller.FunctionStatus) statusItem {
	fn := st.Function
	return statusItem{
		ModuleID:       fn.ModuleID(),
		FunctionName:   fn.Name,
		EndpointPath:   fn.EndpointPath(),
		Paths:          fn.Paths(),
		LoadedAt:       fn.LoadedAt.UTC().Format(time.RFC3339),
		Hash:           fn.Hash,
		ModuleName:     fn.Module,
		Type:           fn.Type,
		Language:       fn.Language,
		Revision:       fn.Revision,
		TimeoutSeconds: fn.TimeoutSeconds,
		MemoryMB:       fn.MemoryMB,
		Instances:      st.Stats.Instances,
		Busy:           st.Stats.Busy,
		Queued:         st.Stats.Queued,
		Invocations:    st.Stats.Invocations,
		Errors:         st.Stats.Errors,
		Timeouts:       st.Stats.Timeouts,
		MeanMillis:     st.Stats.MeanMillis,
	}
}
