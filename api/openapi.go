package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
)

// openAPI documents the platform and every loaded function, built from the
// loaded set on each request so that it is current after every load and
// unload.
func (s *Server) openAPI(c *fiber.Ctx) error {
	paths := platformPaths()
	for _, fn := range s.deps.Functions.Functions() {
		for i, p := range fn.Paths() {
			paths[p] = functionPath(fn, i == 0 && fn.ShortRoute)
		}
	}
	return c.JSON(fiber.Map{
		"openapi": "3.0.3",
		"info": fiber.Map{
			"title":       "Stargate",
			"version":     s.deps.Version,
			"description": "Agent-written functions, each served from its own walled container.",
		},
		"components": fiber.Map{
			"securitySchemes": fiber.Map{"bearer": fiber.Map{"type": "http", "scheme": "bearer"}},
			"schemas":         fiber.Map{"Error": errorSchema},
		},
		"paths": paths,
	})
}

var errorSchema = fiber.Map{
	"type":     "object",
	"required": []string{"status", "code", "message"},
	"properties": fiber.Map{
		"status":  fiber.Map{"type": "string", "enum": []string{"error"}},
		"code":    fiber.Map{"type": "string"},
		"message": fiber.Map{"type": "string"},
		"details": fiber.Map{},
	},
}

func errorResponse(desc string) fiber.Map {
	return fiber.Map{"description": desc, "content": fiber.Map{
		"application/json": fiber.Map{"schema": fiber.Map{"$ref": "#/components/schemas/Error"}},
	}}
}

func jsonResponse(desc string) fiber.Map {
	return fiber.Map{"description": desc, "content": fiber.Map{"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}}}}
}

func platformPaths() fiber.Map {
	secured := []fiber.Map{{"bearer": []string{}}}
	loadBody := fiber.Map{
		"type":     "object",
		"required": []string{"visible_pixel_hash", "function_name", "improvement_type"},
		"properties": fiber.Map{
			"visible_pixel_hash":   fiber.Map{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"},
			"function_name":        fiber.Map{"type": "string"},
			"module_name":          fiber.Map{"type": "string"},
			"improvement_type":     fiber.Map{"type": "string", "enum": []string{"scan", "agent", "api"}},
			"function_type":        fiber.Map{"type": "string", "description": "alias of improvement_type"},
			"timeout_seconds":      fiber.Map{"type": "integer", "minimum": 1, "maximum": 300, "default": 30},
			"memory_mb":            fiber.Map{"type": "integer", "minimum": 32, "maximum": 1024, "default": 128},
			"min_instances":        fiber.Map{"type": "integer", "minimum": 0, "default": 1, "description": "0 scales to zero"},
			"max_instances":        fiber.Map{"type": "integer", "minimum": 1, "maximum": 64, "default": 4},
			"concurrency":          fiber.Map{"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
			"idle_timeout_seconds": fiber.Map{"type": "integer", "minimum": 1, "maximum": 86400, "default": 300},
		},
	}
	write := func(summary string, body fiber.Map) fiber.Map {
		op := fiber.Map{
			"summary":  summary,
			"security": secured,
			"responses": fiber.Map{
				"200": jsonResponse("done"), "400": errorResponse("invalid request"),
				"401": errorResponse("missing or wrong key"), "404": errorResponse("not found"),
				"409": errorResponse("conflict"), "422": errorResponse("rejected by the policy checker"),
				"503": errorResponse("engine, checker or store unavailable, or no key configured"),
			},
		}
		if body != nil {
			op["requestBody"] = fiber.Map{"required": true, "content": fiber.Map{"application/json": fiber.Map{"schema": body}}}
		}
		return op
	}
	hashParam := fiber.Map{"name": "hash", "in": "path", "required": true, "schema": fiber.Map{"type": "string"}}
	fnParam := fiber.Map{"name": "function", "in": "path", "required": true, "schema": fiber.Map{"type": "string"}}
	unload := write("Unload a function", nil)
	unload["parameters"] = []fiber.Map{hashParam, fnParam}
	read := func(summary string) fiber.Map {
		return fiber.Map{"get": fiber.Map{"summary": summary, "responses": fiber.Map{"200": jsonResponse("ok")}}}
	}
	return fiber.Map{
		"/":                                      read("Platform description"),
		"/health":                                read("Health of the API and its components"),
		"/openapi.json":                          read("This document"),
		"/self-improve/status":                   read("Loaded functions"),
		"/sandbox/status":                        read("Loaded functions (original path)"),
		"/self-improve/load":                     fiber.Map{"post": write("Load a function from a sandbox", loadBody)},
		"/sandbox/load":                          fiber.Map{"post": write("Load a function (original path)", loadBody)},
		"/self-improve/unload/{hash}/{function}": fiber.Map{"delete": unload},
		"/sandbox/unload/{hash}/{function}":      fiber.Map{"delete": unload},
		"/self-improve/auto-enhance":             fiber.Map{"post": write("Load every sandbox's api.py handler", nil)},
		"/sandbox/auto-load":                     fiber.Map{"post": write("Auto-enhance (original path)", nil)},
	}
}

// functionPath documents one function: GET binds query parameters, POST a
// JSON object whose fields are the parameters.
func functionPath(fn platform.Function, short bool) fiber.Map {
	var query []fiber.Map
	props := fiber.Map{}
	var required []string
	for _, p := range fn.Signature.Params {
		if p.Kind == "var_positional" || p.Kind == "var_keyword" {
			continue
		}
		schema := rawSchema(p.Schema)
		query = append(query, fiber.Map{"name": p.Name, "in": "query", "required": p.Required, "schema": schema})
		props[p.Name] = schema
		if p.Required {
			required = append(required, p.Name)
		}
	}
	body := fiber.Map{"type": "object", "properties": props}
	if len(required) > 0 {
		body["required"] = required
	}
	responses := fiber.Map{
		"200": fiber.Map{"description": "the function's return value", "content": fiber.Map{
			"application/json": fiber.Map{"schema": rawSchema(fn.Signature.ReturnSchema)},
		}},
		"422": errorResponse("missing or unconvertible arguments"),
		"500": errorResponse("the function raised"),
		"502": errorResponse("the instance died"),
		"504": errorResponse("the call timed out"),
	}
	summary := fn.Name + " (" + fn.Type + ", sandbox " + fn.Hash + ")"
	opID := fn.Type + "_" + fn.Hash + "_" + fn.Name
	if short {
		opID += "_short"
	}
	op := func(withBody bool) fiber.Map {
		o := fiber.Map{
			"summary":     summary,
			"description": fn.Signature.Doc,
			"operationId": opID,
			"tags":        []string{fn.Type},
			"responses":   responses,
		}
		if withBody {
			o["operationId"] = o["operationId"].(string) + "_post"
			o["requestBody"] = fiber.Map{"content": fiber.Map{"application/json": fiber.Map{"schema": body}}}
		} else if len(query) > 0 {
			o["parameters"] = query
		}
		return o
	}
	return fiber.Map{"get": op(false), "post": op(true)}
}

func rawSchema(raw json.RawMessage) any {
	if len(raw) == 0 {
		return fiber.Map{}
	}
	return raw
}
