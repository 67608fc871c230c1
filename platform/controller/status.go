package controller

import (
	"sort"

	"stargate/platform"
	"stargate/platform/gateway"
)

// FunctionStatus is a loaded function and what its instances have done.
type FunctionStatus struct {
	Function   platform.Function
	Stats      gateway.Stats
	Starting   int   // instances starting now
	ColdStarts int64 // instances started because calls waited
}

// Status reports every loaded function, sorted by key.
func (c *Controller) Status() []FunctionStatus {
	c.mu.RLock()
	out := make([]FunctionStatus, 0, len(c.loaded))
	for _, e := range c.loaded {
		out = append(out, FunctionStatus{
			Function: e.fn, Stats: e.target.Stats(),
			Starting: int(e.starting.Load()), ColdStarts: e.coldStarts.Load(),
		})
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		return out[i].Function.Key().String() < out[j].Function.Key().String()
	})
	return out
}

// Count is the number of loaded functions.
func (c *Controller) Count() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.loaded)
}
