package bolt_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stargate/platform"
	"stargate/platform/bolt"
	"stargate/platform/storetest"
)

// holdEnv makes the test binary a helper process that holds the store at
// the path it names until its stdin closes.
const holdEnv = "STARGATE_BOLT_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		os.Exit(hold(path))
	}
	os.Exit(m.Run())
}

func hold(path string) int {
	s, err := bolt.Open(path)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	defer s.Close()
	os.Stdout.WriteString("ready\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

func open(t *testing.T, path string) platform.Store {
	t.Helper()
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) platform.Store {
		return open(t, filepath.Join(t.TempDir(), "stargate.db"))
	})
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	storetest.RunPersistence(t, func(t *testing.T, state string) platform.Store {
		return open(t, filepath.Join(dir, state+".db"))
	})
}

// TestInUse starts a second process on the same file, as a second
// `stargate` would, and checks that Open fails fast and says why.
func TestInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stargate.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start holder: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("holder: %v", err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder: got %q, %v; want ready", line, err)
	}

	start := time.Now()
	s, err := bolt.Open(path)
	if err == nil {
		s.Close()
		t.Fatal("second open succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("second open took %v", took)
	}
	if !errors.Is(err, bolt.ErrInUse) {
		t.Errorf("got %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should name the file and say it is in use", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a bolt file\n", 1024)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(dir, "missing", "stargate.db"),
		garbage,
	} {
		s, err := bolt.Open(path)
		if err == nil {
			s.Close()
			t.Errorf("open %s: no error", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("open %s: error %q does not name the file", path, err)
		}
	}
}

func TestClosed(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "stargate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("ping closed store: got %v, want ErrUnavailable", err)
	}
}
