package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
	"stargate/platform/controller"
)

// loadBody is POST /self-improve/load. Unknown fields are ignored, as the
// original API did; fields of the wrong type are a 400 naming the field.
type loadBody struct {
	Hash           *string `json:"visible_pixel_hash"`
	Function       *string `json:"function_name"`
	Module         *string `json:"module_name"`
	Type           *string `json:"improvement_type"`
	FunctionType   *string `json:"function_type"`
	TimeoutSeconds *int    `json:"timeout_seconds"`
	MemoryMB       *int    `json:"memory_mb"`
	MinInstances   *int    `json:"min_instances"`
	MaxInstances   *int    `json:"max_instances"`
	Concurrency    *int    `json:"concurrency"`
	IdleTimeout    *int    `json:"idle_timeout_seconds"`
	Language       *string `json:"language"`
}

func (s *Server) load(c *fiber.Ctx) error {
	var body loadBody
	if err := decodeJSON(c.Body(), &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	fn, err := s.deps.Functions.Load(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(loadedJSON(fn))
}

func (b *loadBody) request() (controller.LoadRequest, error) {
	var req controller.LoadRequest
	if b.Hash == nil {
		return req, platform.Invalid("visible_pixel_hash", "is required")
	}
	if b.Function == nil {
		return req, platform.Invalid("function_name", "is required")
	}
	req.Hash, req.Function = *b.Hash, *b.Function
	if b.Module != nil {
		if *b.Module == "" {
			return req, platform.Invalid("module_name", "must not be empty; leave it out to have the module found")
		}
		req.Module = *b.Module
	}
	switch {
	case b.Type != nil && b.FunctionType != nil && *b.Type != *b.FunctionType:
		return req, platform.Invalid("improvement_type", "and function_type disagree (%q, %q)", *b.Type, *b.FunctionType)
	case b.Type != nil:
		req.Type = *b.Type
	case b.FunctionType != nil:
		req.Type = *b.FunctionType
	default:
		return req, platform.Invalid("improvement_type", "is required: scan, agent or api")
	}
	if b.TimeoutSeconds != nil {
		if *b.TimeoutSeconds < 1 {
			return req, platform.Invalid("timeout_seconds", "must be at least 1")
		}
		req.TimeoutSeconds = *b.TimeoutSeconds
	}
	if b.MemoryMB != nil {
		if *b.MemoryMB < 1 {
			return req, platform.Invalid("memory_mb", "must be positive")
		}
		req.MemoryMB = *b.MemoryMB
	}
	if b.Language != nil {
		req.Language = *b.Language
	}
	req.MinInstances, req.MaxInstances = b.MinInstances, b.MaxInstances
	req.Concurrency, req.IdleTimeoutSeconds = b.Concurrency, b.IdleTimeout
	return req, nil
}

// decodeJSON decodes one JSON object, naming the field a type error is in.
func decodeJSON(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return platform.Invalid("body", "is empty; send a JSON object")
	}
	if data[0] != '{' {
		return platform.Invalid("body", "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return platform.Invalid(te.Field, "must be of type %s, got %s", jsonType(te.Type.Kind().String()), te.Value)
		case errors.As(err, &se):
			return platform.Invalid("body", "is not valid JSON at byte %d: %v", se.Offset, se)
		default:
			return platform.Invalid("body", "is not valid JSON: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return platform.Invalid("body", "holds more than one JSON value")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "integer"
	case "ptr":
		return "string"
	}
	return kind
}

// loadedJSON is the answer to a load, as the original API gave it plus what
// an operator wants to know.
func loadedJSON(fn platform.Function) fiber.Map {
	return fiber.Map{
		"status":             "success",
		"function_loaded":    true,
		"message":            fmt.Sprintf("%s is live at %s", fn.Name, fn.EndpointPath()),
		"endpoint_path":      fn.EndpointPath(),
		"paths":              fn.Paths(),
		"module_id":          fn.ModuleID(),
		"visible_pixel_hash": fn.Hash,
		"function_name":      fn.Name,
		"module_name":        fn.Module,
		"improvement_type":   fn.Type,
		"language":           fn.Language,
		"revision":           fn.Revision,
		"timeout_seconds":    fn.TimeoutSeconds,
		"memory_mb":          fn.MemoryMB,
		"parameters":         fn.Signature.Params,
		"scaling":            fn.Scaling,
		"loaded_at":          fn.LoadedAt.UTC().Format(time.RFC3339),
	}
}
