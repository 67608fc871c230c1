package improvements

import "runtime/debug"

// Tune changes the collector.
func Tune(percent int) int { return debug.SetGCPercent(percent) }
