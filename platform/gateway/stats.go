package gateway

// Stats are a target's counters since it was loaded in this process, and
// its instances now.
type Stats struct {
	Instances   int     `json:"instances"`
	Busy        int     `json:"busy"`
	Idle        int     `json:"idle"`
	Inflight    int     `json:"inflight"`
	Queued      int     `json:"queued"`
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	Timeouts    int64   `json:"timeouts"`
	Retries     int64   `json:"retries"`
	Rejected    int64   `json:"rejected"`
	QueuedCalls int64   `json:"queued_calls"`
	MeanMillis  float64 `json:"mean_ms"`
}

// Stats reads the target's counters.
func (t *Target) Stats() Stats {
	t.mu.Lock()
	s := Stats{Instances: len(t.backends), Queued: len(t.waiters)}
	for _, b := range t.backends {
		if n := int(b.inflight.Load()); n > 0 {
			s.Busy++
			s.Inflight += n
		} else {
			s.Idle++
		}
	}
	t.mu.Unlock()
	s.Invocations = t.invocations.Load()
	s.Errors = t.errors.Load()
	s.Timeouts = t.timeouts.Load()
	s.Retries = t.retries.Load()
	s.Rejected = t.rejected.Load()
	s.QueuedCalls = t.queuedCalls.Load()
	if s.Invocations > 0 {
		s.MeanMillis = float64(t.nanos.Load()) / float64(s.Invocations) / 1e6
	}
	return s
}
