package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"stargate/platform/config"
)

// TestConfineGVisor: STARGATE_OCI_RUNTIME selects the OCI runtime of every
// instance. On an engine without runsc (this machine and CI), asking for it
// fails at once with an error naming it; where the engine has it, a probe
// runs under it behind the same wall.
func TestConfineGVisor(t *testing.T) {
	t.Parallel()

	t.Run("configurable", func(t *testing.T) {
		cfg, err := config.Load(func(k string) string {
			if k == "STARGATE_OCI_RUNTIME" {
				return "runsc"
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OCIRuntime != "runsc" {
			t.Errorf("STARGATE_OCI_RUNTIME=runsc gives OCIRuntime %q", cfg.OCIRuntime)
		}
	})

	info, err := dockerClient(t).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, hasRunsc := info.Runtimes["runsc"]
	env := newConfineEnvRuntime(t, "runsc")
	t.Logf("engine runtimes: %v", mapKeys(info.Runtimes))

	if !hasRunsc {
		t.Run("runsc_missing_fails_clearly", func(t *testing.T) {
			start := time.Now()
			_, err := env.start(t, "confine-gvisor")
			took := time.Since(start)
			if err == nil {
				t.Fatal("an instance started under runsc on an engine that does not list it")
			}
			if !strings.Contains(err.Error(), "runsc") {
				t.Errorf("the error does not name the runtime: %v", err)
			}
			if took > 10*time.Second {
				t.Errorf("failing took %s", took)
			}
			if n := len(containers(t, env.ns, "")); n != 0 {
				t.Errorf("%d containers left behind", n)
			}
			t.Logf("failed in %s: %v", took.Round(time.Millisecond), err)
		})
		return
	}

	// Not reached on this machine: the engine has no runsc.
	t.Run("runsc_walls", func(t *testing.T) {
		p := env.mustStart(t, "confine-gvisor")
		c, err := dockerClient(t).ContainerInspect(context.Background(), p.inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.HostConfig.Runtime != "runsc" {
			t.Errorf("runtime %q", c.HostConfig.Runtime)
		}
		if got := entries(p.run("listdir", "/sys/class/net")); !slices.Equal(got, []string{"lo"}) {
			t.Errorf("/sys/class/net = %v", got)
		}
		refused(t, "tcp connect 1.1.1.1:53", p.run("tcp", "1.1.1.1:53"))
		if ids := p.run("ids", ""); ids.num("uid") != 65534 {
			t.Errorf("uid %d", ids.num("uid"))
		}
	})
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
