package improvements

import "os"

// Env reads the environment.
func Env(name string) string { return os.Getenv(name) }
