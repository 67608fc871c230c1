package integration

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
)

// TestConfineNetwork: an instance has a loopback interface and nothing else;
// no address outside it, no DNS, no engine socket.
func TestConfineNetwork(t *testing.T) {
	t.Parallel()
	env := newConfineEnv(t)
	p := env.mustStart(t, "confine-net")

	// A host service that would answer if any packet could leave: listening
	// on every host address, so reachable at the docker0 gateway too.
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Errorf("BREACH: the host listener accepted a connection from %s", c.RemoteAddr())
			c.Close()
		}
	}()
	hostPort := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	gw := dockerGateway(t)

	t.Run("only_lo", func(t *testing.T) {
		p := p.on(t)
		sys := p.run("listdir", "/sys/class/net")
		if got := entries(sys); !slices.Equal(got, []string{"lo"}) {
			t.Errorf("/sys/class/net = %v, want [lo]", got)
		}
		dev := p.run("read", "/proc/net/dev").str("text")
		var ifaces []string
		for _, line := range strings.Split(dev, "\n") {
			if name, _, ok := strings.Cut(line, ":"); ok && !strings.Contains(name, "|") {
				ifaces = append(ifaces, strings.TrimSpace(name))
			}
		}
		if !slices.Equal(ifaces, []string{"lo"}) {
			t.Errorf("/proc/net/dev lists %v, want [lo]:\n%s", ifaces, dev)
		}
		route := p.run("read", "/proc/net/route").str("text")
		if lines := strings.Count(strings.TrimSpace(route), "\n"); lines != 0 {
			t.Errorf("/proc/net/route has %d routes:\n%s", lines, route)
		}
		t.Logf("interfaces %v; no routes", ifaces)
	})

	t.Run("connect_fails", func(t *testing.T) {
		p := p.on(t)
		targets := []string{"1.1.1.1:53", "8.8.8.8:53", gw + ":2375", gw + ":" + hostPort}
		if ip := hostIP(t); ip != "" {
			targets = append(targets, ip+":"+hostPort)
		}
		for _, addr := range targets {
			refused(t, "tcp connect "+addr, p.run("tcp", addr))
			refused(t, "udp send "+addr, p.run("udp", addr))
		}
	})

	t.Run("engine_socket_fails", func(t *testing.T) {
		p := p.on(t)
		for _, path := range []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"} {
			refused(t, "unix connect "+path, p.run("unix", path))
			if r := p.run("exists", path); r["exists"] != false {
				t.Errorf("%s exists inside the instance: %s", path, r)
			}
		}
	})

	t.Run("dns_fails", func(t *testing.T) {
		p := p.on(t)
		for _, name := range []string{"example.com", "one.one.one.one", "host.docker.internal"} {
			refused(t, "resolve "+name, p.run("dns", name))
		}
	})

	t.Run("no_host_abstract_sockets", func(t *testing.T) {
		p := p.on(t)
		// Abstract unix sockets belong to a network namespace: the host's
		// (containerd's, systemd's, X11's) are not listed, nor connectable.
		unix := p.run("read", "/proc/net/unix").str("text")
		if strings.Contains(unix, "@") {
			t.Errorf("host abstract sockets are visible:\n%s", unix)
		}
		refused(t, "connect @/containerd-shim", p.run("unix", "@/containerd-shim"))
		t.Logf("/proc/net/unix:\n%s", unix)
	})
	p.alive(t)
}

// dockerGateway is the address of the engine's default bridge on the host.
func dockerGateway(t *testing.T) string {
	t.Helper()
	nw, err := dockerClient(t).NetworkInspect(context.Background(), "bridge", network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return c.Gateway
		}
	}
	// Older engines leave the gateway out: it is the bridge's own address.
	name := nw.Options["com.docker.network.bridge.name"]
	if name == "" {
		name = "docker0"
	}
	if ifc, err := net.InterfaceByName(name); err == nil {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	t.Fatalf("the bridge network has no IPv4 gateway: %+v", nw.IPAM)
	return ""
}

// hostIP is a non-loopback IPv4 address of the host outside docker0, if any.
func hostIP(t *testing.T) string {
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 || strings.HasPrefix(ifc.Name, "docker") || strings.HasPrefix(ifc.Name, "veth") {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return ""
}

// entries reads a listdir result.
func entries(r probeResult) []string {
	list, _ := r["entries"].([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}
