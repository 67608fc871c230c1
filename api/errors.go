package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"stargate/platform"
)

// errorBody is the one shape of every error the platform answers; the
// Python runtime answers the same shape for errors of the function's own.
type errorBody struct {
	Status  string `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

var errMethod = errors.New("method not allowed")

type tooLargeError struct{ limit int }

func (e tooLargeError) Error() string {
	return fmt.Sprintf("the request body is over the %d byte limit", e.limit)
}
func (e tooLargeError) Unwrap() error { return platform.ErrTooLarge }

func errBodyTooLarge(limit int) error { return tooLargeError{limit: limit} }

// classify maps an error to its status code, error code and details. Only
// errors of known kinds show their message; anything else is logged and
// answered as an internal error, so that nothing of the host leaks.
func classify(err error) (int, string, string, any) {
	var (
		invalid  *platform.InvalidError
		conflict *platform.ConflictError
		rejected *platform.RejectedError
		fe       *fiber.Error
	)
	switch {
	case errors.As(err, &invalid):
		return fiber.StatusBadRequest, "invalid_request", err.Error(), map[string]string{"field": invalid.Field}
	case errors.Is(err, platform.ErrInvalid):
		return fiber.StatusBadRequest, "invalid_request", err.Error(), nil
	case errors.Is(err, platform.ErrUnauthorized):
		return fiber.StatusUnauthorized, "unauthorized", err.Error(), nil
	case errors.Is(err, platform.ErrSandboxNotFound):
		return fiber.StatusNotFound, "sandbox_not_found", err.Error(), nil
	case errors.Is(err, platform.ErrModuleNotFound):
		return fiber.StatusNotFound, "module_not_found", err.Error(), nil
	case errors.Is(err, platform.ErrFunctionNotFound):
		return fiber.StatusNotFound, "function_not_found", err.Error(), nil
	case errors.Is(err, platform.ErrRouteNotFound):
		return fiber.StatusNotFound, "route_not_found", err.Error(), nil
	case errors.As(err, &conflict):
		return fiber.StatusConflict, "conflict", err.Error(), map[string]string{
			"path": conflict.Path, "visible_pixel_hash": conflict.Owner.Hash, "function_name": conflict.Owner.Name,
		}
	case errors.Is(err, platform.ErrConflict):
		return fiber.StatusConflict, "conflict", err.Error(), nil
	case errors.Is(err, platform.ErrTooLarge):
		return fiber.StatusRequestEntityTooLarge, "too_large", err.Error(), nil
	case errors.Is(err, platform.ErrOverloaded):
		return fiber.StatusTooManyRequests, "overloaded", err.Error(), nil
	case errors.As(err, &rejected):
		return fiber.StatusUnprocessableEntity, "rejected", rejectedMessage(rejected), rejected.Violations
	case errors.Is(err, platform.ErrInstanceDied):
		return fiber.StatusBadGateway, "instance_died", err.Error(), nil
	case errors.Is(err, platform.ErrBadResponse):
		return fiber.StatusBadGateway, "bad_response", err.Error(), nil
	case errors.Is(err, platform.ErrNotConfigured):
		return fiber.StatusServiceUnavailable, "not_configured", err.Error(), nil
	case errors.Is(err, platform.ErrUnavailable):
		return fiber.StatusServiceUnavailable, "unavailable", err.Error(), nil
	case errors.Is(err, platform.ErrTimeout):
		return fiber.StatusGatewayTimeout, "timeout", err.Error(), nil
	case errors.Is(err, errMethod):
		return fiber.StatusMethodNotAllowed, "method_not_allowed", "only GET and POST call a function", nil
	case errors.As(err, &fe):
		return fe.Code, fiberCode(fe.Code), fe.Message, nil
	}
	return fiber.StatusInternalServerError, "internal", "internal error", nil
}

func fiberCode(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "route_not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestEntityTooLarge:
		return "too_large"
	case fiber.StatusBadRequest:
		return "invalid_request"
	}
	return "error"
}

func rejectedMessage(e *platform.RejectedError) string {
	n := len(e.Violations)
	if n == 1 {
		v := e.Violations[0]
		return fmt.Sprintf("rejected: %s:%d:%d: %s", v.File, v.Line, v.Col, v.Message)
	}
	return fmt.Sprintf("rejected: %d policy violations; see details", n)
}

// writeError answers err in the one error shape.
func writeError(ctx *fasthttp.RequestCtx, log *slog.Logger, err error) {
	status, code, msg, details := classify(err)
	if status == fiber.StatusInternalServerError {
		log.Error("request failed", "path", string(ctx.Path()), "err", err)
	}
	body, mErr := json.Marshal(errorBody{Status: "error", Code: code, Message: msg, Details: details})
	if mErr != nil {
		body = []byte(`{"status":"error","code":"internal","message":"internal error"}`)
		status = fiber.StatusInternalServerError
	}
	switch status {
	case fiber.StatusUnauthorized:
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="stargate"`)
	case fiber.StatusTooManyRequests:
		// Instances free up, or start, within about a second.
		ctx.Response.Header.Set("Retry-After", "1")
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// fiberError is Fiber's ErrorHandler: handlers return errors, this answers.
func (s *Server) fiberError(c *fiber.Ctx, err error) error {
	writeError(c.Context(), s.log, err)
	return nil
}
