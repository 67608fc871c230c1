// Command stargate-gobuild compiles one generated function module inside
// Stargate's Go builder container (image stargate/go-builder). The platform
// mounts the module read-only at --src and a writable folder holding the
// build cache and this build's output folder; the compiler's messages go to
// <out>/build.log and the binary to <out>/fn, since the platform reads files,
// not container logs. The exit code is go build's (124 on timeout).
//
// The environment is fixed here, not inherited: no network, no proxy, no
// toolchain switching, no cgo.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

const (
	goroot   = "/usr/local/go"
	maxLog   = 256 << 10
	exitTime = 124
)

func main() {
	src := flag.String("src", "/code", "the module to build (read-only)")
	out := flag.String("out", "", "output folder: fn and build.log")
	cache := flag.String("cache", "", "GOCACHE")
	timeout := flag.Duration("timeout", 110*time.Second, "longest the build may take")
	flag.Parse()
	if *out == "" || *cache == "" {
		fmt.Fprintln(os.Stderr, "stargate-gobuild: --out and --cache are required")
		os.Exit(2)
	}
	os.Exit(build(*src, *out, *cache, *timeout))
}

func build(src, out, cache string, timeout time.Duration) int {
	// Files the build leaves in the cache must be removable by the
	// platform, which runs as another user; the platform keeps the folder
	// holding the cache private (0700).
	syscall.Umask(0)
	tmp := filepath.Join(out, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fail(out, err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(goroot, "bin", "go"), "build",
		"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(out, "fn"), ".")
	cmd.Dir = src
	cmd.Env = []string{
		"PATH=" + filepath.Join(goroot, "bin") + ":/usr/bin:/bin",
		"HOME=/tmp",
		"GOROOT=" + goroot,
		"GOCACHE=" + cache,
		"GOTMPDIR=" + tmp,
		"GOPATH=/tmp/gopath",
		"GOENV=off",
		"GOFLAGS=",
		"GOPROXY=off",
		"GOSUMDB=off",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GO111MODULE=on",
		"CGO_ENABLED=0",
	}
	output, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		output = append(output, fmt.Sprintf("\nthe build took longer than %s and was stopped\n", timeout)...)
		code = exitTime
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		return fail(out, err)
	}
	if len(output) > maxLog {
		output = append(output[:maxLog], "\n(output cut)\n"...)
	}
	if err := os.WriteFile(filepath.Join(out, "build.log"), output, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "stargate-gobuild:", err)
	}
	return code
}

func fail(out string, err error) int {
	_ = os.WriteFile(filepath.Join(out, "build.log"), []byte("stargate-gobuild: "+err.Error()+"\n"), 0o644)
	return 1
}
