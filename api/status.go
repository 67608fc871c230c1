package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
	"stargate/platform/controller"
)

// statusItem is one function in GET /self-improve/status.
type statusItem struct {
	ModuleID       string           `json:"module_id"`
	FunctionName   string           `json:"function_name"`
	EndpointPath   string           `json:"endpoint_path"`
	Paths          []string         `json:"paths"`
	LoadedAt       string           `json:"loaded_at"`
	Hash           string           `json:"visible_pixel_hash"`
	ModuleName     string           `json:"module_name"`
	Type           string           `json:"improvement_type"`
	Language       string           `json:"language"`
	Revision       string           `json:"revision"`
	TimeoutSeconds int              `json:"timeout_seconds"`
	MemoryMB       int              `json:"memory_mb"`
	Scaling        platform.Scaling `json:"scaling"`
	Instances      int              `json:"instances"`
	InstanceStates instanceStates   `json:"instance_states"`
	Busy           int              `json:"busy"`
	Queued         int              `json:"queued"`
	Invocations    int64            `json:"invocations"`
	Errors         int64            `json:"errors"`
	Timeouts       int64            `json:"timeouts"`
	Retries        int64            `json:"retries"`
	Rejected       int64            `json:"rejected"`
	ColdStarts     int64            `json:"cold_starts"`
	MeanMillis     float64          `json:"mean_ms"`
}

// instanceStates counts a function's instances by what they do now.
type instanceStates struct {
	Starting int `json:"starting"`
	Idle     int `json:"idle"`
	Busy     int `json:"busy"`
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
		"pool":                      s.deps.Functions.Pool(),
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
		Scaling:        fn.Scaling,
		Instances:      st.Stats.Instances,
		InstanceStates: instanceStates{Starting: st.Starting, Idle: st.Stats.Idle, Busy: st.Stats.Busy},
		Busy:           st.Stats.Busy,
		Queued:         st.Stats.Queued,
		Invocations:    st.Stats.Invocations,
		Errors:         st.Stats.Errors,
		Timeouts:       st.Stats.Timeouts,
		Retries:        st.Stats.Retries,
		Rejected:       st.Stats.Rejected,
		ColdStarts:     st.ColdStarts,
		MeanMillis:     st.Stats.MeanMillis,
	}
}
