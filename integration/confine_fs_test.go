package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestConfineFilesystem: nothing an instance can reach is writable but a
// small noexec /tmp; no other sandbox, no other instance's socket and no
// engine socket is within reach.
func TestConfineFilesystem(t *testing.T) {
	t.Parallel()
	env := newConfineEnv(t)
	const otherHash, secret = "confine-fs-other", "neighbour-secret.txt"
	other := env.sandbox(t, otherHash, map[string]string{secret: "the neighbour's data"})
	p := env.mustStart(t, "confine-fs")
	sockDir := p.inst.SocketDir

	t.Run("writes_refused", func(t *testing.T) {
		p := p.on(t)
		for _, path := range []string{
			"/probe", "/etc/probe", "/usr/probe", "/usr/lib/python3/dist-packages/probe.py",
			"/opt/stargate/probe.py", "/root/probe", "/var/probe", "/home/probe",
			"/sandbox/probe", "/code/probe", "/code/sitecustomize.py",
			"/run/stargate/probe", // after the lock
			"/proc/sys/kernel/probe", "/sys/probe", "/sys/fs/cgroup/probe",
		} {
			refused(t, "create "+path, p.run("create", path))
		}
		// Existing files only: a write refused because the file is absent
		// would prove nothing. The cgroup files are v1's or v2's.
		limits := 0
		for _, path := range []string{
			"/etc/passwd", "/usr/bin/python3", "/opt/stargate/stargate_runner.py",
			"/sandbox/probe.py", "/code/probe.py",
			"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname", "/proc/sys/vm/overcommit_memory",
			"/proc/sysrq-trigger", "/sys/kernel/mm/transparent_hugepage/enabled", "/sys/class/net/lo/mtu",
			"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max",
			"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max",
		} {
			if r := p.run("exists", path); r["exists"] != true {
				t.Logf("%s does not exist here", path)
				continue
			}
			if strings.HasPrefix(path, "/sys/fs/cgroup/") {
				limits++
			}
			refused(t, "write "+path, p.run("append", path))
		}
		if limits != 2 {
			t.Errorf("found %d of the cgroup memory and pids limit files, want 2", limits)
		}
		for _, path := range []string{"/sandbox/dir", "/code/dir", "/run/stargate/dir", "/etc/dir"} {
			refused(t, "mkdir "+path, p.run("mkdir", path))
		}
		refused(t, "unlink /run/stargate/fn.sock", p.run("unlink", "/run/stargate/fn.sock"))
		refused(t, "chmod /run/stargate", p.run("chmod", "/run/stargate"))
		refused(t, "chmod /sandbox", p.run("chmod", "/sandbox"))

		// On the host, nothing changed.
		if got := dirNames(t, p.sandbox); !slices.Equal(got, []string{"probe.py"}) {
			t.Errorf("the sandbox on the host holds %v", got)
		}
		if got := dirNames(t, sockDir); !slices.Equal(got, []string{"fn.sock"}) {
			t.Errorf("the socket folder on the host holds %v", got)
		}
		if fi, err := os.Stat(sockDir); err != nil || fi.Mode().Perm() != 0o555 {
			t.Errorf("the socket folder is not locked: %v %v", fi.Mode(), err)
		}
	})

	t.Run("tmp_writable_noexec", func(t *testing.T) {
		p := p.on(t)
		if r := p.run("create", "/tmp/probe"); !r.ok() {
			t.Fatalf("/tmp is not writable: %s", r)
		}
		for _, dir := range []string{"/tmp", "/dev/shm"} {
			r := p.run("writeexec", dir)
			if c := r.sub("control"); !c.ok() || c.num("rc") != 0 {
				t.Fatalf("control: /bin/true did not run: %s", c)
			}
			for _, what := range []string{"script", "binary"} {
				got := r.sub(what)
				refused(t, "exec a "+what+" written to "+dir, got)
				if got.num("errno") != int(syscall.EACCES) {
					t.Errorf("exec of a %s in %s: errno %d, want EACCES: %s", what, dir, got.num("errno"), got)
				}
			}
			refused(t, "mmap PROT_EXEC of a file in "+dir, r.sub("mmap_exec"))
		}
	})

	t.Run("tmp_bounded", func(t *testing.T) {
		p := p.on(t)
		for _, c := range []struct {
			path string
			max  int
		}{{"/tmp/fill", 16 << 20}, {"/dev/shm/fill", 1 << 20}} {
			r := p.run("fill", c.path+":64")
			refused(t, "write 64 MiB to "+c.path, r)
			if r.num("errno") != int(syscall.ENOSPC) {
				t.Errorf("%s: errno %d, want ENOSPC: %s", c.path, r.num("errno"), r)
			}
			if w := r.num("written"); w > c.max {
				t.Errorf("%s took %d bytes, over its %d", c.path, w, c.max)
			}
			t.Logf("%s: %s written before ENOSPC", c.path, mib(int64(r.num("written"))))
		}
		p.alive(t)
	})

	t.Run("other_sandbox_unreachable", func(t *testing.T) {
		p := p.on(t)
		if got := entries(p.run("listdir", "/sandbox")); !slices.Equal(got, []string{"probe.py"}) {
			t.Errorf("/sandbox holds %v, want [probe.py]", got)
		}
		for _, path := range []string{
			"../" + otherHash + "/" + secret, "/sandbox/../" + otherHash + "/" + secret,
			"/sandbox/../../../" + otherHash, filepath.Join(other, secret), other,
		} {
			if r := p.run("exists", path); r["exists"] != false {
				t.Errorf("BREACH: %s is reachable from inside: %s", path, r)
			}
		}
		for _, path := range []string{"/sandbox/..", "/sandbox/../..", "/code/../..", "/run/stargate/../.."} {
			if r := p.run("samefile", path+"|/"); r["same"] != true {
				t.Errorf("%s is not the container's root: %s", path, r)
			}
		}
		if got := entries(p.run("listdir", "/sandbox/..")); slices.Contains(got, otherHash) || slices.Contains(got, "results") {
			t.Errorf("/sandbox/.. lists %v", got)
		}
		found := p.run("find", secret)
		if list, _ := found["found"].([]any); len(list) != 0 {
			t.Errorf("BREACH: the neighbour's file is at %v", list)
		}
		if found.num("dirs") < 100 {
			t.Errorf("the search saw only %d folders: %s", found.num("dirs"), found)
		}
		mounts := p.run("read", "/proc/self/mountinfo").str("text")
		if strings.Contains(mounts, otherHash) {
			t.Errorf("BREACH: the neighbour's sandbox is mounted:\n%s", mounts)
		}
		t.Logf("searched %d folders for %s: not found", found.num("dirs"), secret)
	})

	t.Run("other_instance_socket_unreachable", func(t *testing.T) {
		p := p.on(t)
		q := env.mustStart(t, "confine-fs-two")
		abstract := "confine-" + randomHex(4)
		if r := p.run("listen_abstract", abstract); !r.ok() {
			t.Fatalf("the first probe cannot listen: %s", r)
		}
		if r := p.run("unix", "@"+abstract); !r.ok() {
			t.Fatalf("control: the first probe cannot reach its own abstract socket: %s", r)
		}
		if got := entries(q.run("listdir", "/run/stargate")); !slices.Equal(got, []string{"fn.sock"}) {
			t.Errorf("the second probe's /run/stargate holds %v", got)
		}
		first := filepath.Join(sockDir, "fn.sock")
		for _, path := range []string{first, sockDir, filepath.Dir(sockDir)} {
			if r := q.run("exists", path); r["exists"] != false {
				t.Errorf("BREACH: the second probe sees %s: %s", path, r)
			}
		}
		refused(t, "connect to the first probe's socket", q.run("unix", first))
		refused(t, "connect to the first probe's abstract socket", q.run("unix", "@"+abstract))
		if m := q.run("read", "/proc/self/mountinfo").str("text"); strings.Contains(m, filepath.Base(sockDir)) {
			t.Errorf("BREACH: the first probe's socket folder is mounted in the second:\n%s", m)
		}
		if r := q.run("unix", "/run/stargate/fn.sock"); !r.ok() {
			t.Errorf("control: the second probe cannot reach its own socket: %s", r)
		}
	})

	t.Run("engine_socket_absent", func(t *testing.T) {
		p := p.on(t)
		for _, path := range []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd", "/var/lib/docker"} {
			if r := p.run("exists", path); r["exists"] != false {
				t.Errorf("BREACH: %s exists inside: %s", path, r)
			}
		}
		if found := p.run("find", "docker.sock"); len(found["found"].([]any)) != 0 {
			t.Errorf("BREACH: docker.sock at %v", found["found"])
		}
	})
	p.alive(t)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}
