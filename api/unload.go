package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"stargate/platform"
)

func (s *Server) unload(c *fiber.Ctx) error {
	key := platform.FunctionKey{Hash: c.Params("hash"), Name: c.Params("function")}
	if err := s.deps.Functions.Unload(c.UserContext(), key); err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"status":             "success",
		"function_unloaded":  true,
		"message":            fmt.Sprintf("%s from sandbox %s is unloaded", key.Name, key.Hash),
		"visible_pixel_hash": key.Hash,
		"function_name":      key.Name,
	})
}
