package golang

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"stargate/platform"
)

// compilerLine is one message of go build: path:line[:col]: message.
var compilerLine = regexp.MustCompile(`^(?:\./)?(?:` + modulePath + `/)?([^\s:]+\.go):(\d+)(?::(\d+))?: (.*)$`)

// compileViolations turns the builder's output into violations of the
// agent's file. Messages about the generated files are reported only when
// the agent's file has none (they follow from its errors otherwise).
func compileViolations(log []byte, file string) []platform.Violation {
	var own, other []platform.Violation
	var last *platform.Violation
	for _, line := range strings.Split(string(log), "\n") {
		if m := compilerLine.FindStringSubmatch(line); m != nil {
			v := platform.Violation{Rule: "compile-error", Message: m[4]}
			v.Line, _ = strconv.Atoi(m[2])
			v.Col, _ = strconv.Atoi(m[3])
			if m[1] == agentFile {
				v.File = file
				own = append(own, v)
				last = &own[len(own)-1]
			} else {
				v.Message = "in Stargate's generated code (" + m[1] + "): " + v.Message
				v.Line, v.Col = 0, 0
				other = append(other, v)
				last = &other[len(other)-1]
			}
			continue
		}
		if strings.HasPrefix(line, "\t") && last != nil && len(last.Message) < 2000 {
			last.Message += "\n" + strings.TrimSpace(line)
			continue
		}
		last = nil
	}
	if len(own) > 0 {
		return capViolations(own)
	}
	if len(other) > 0 {
		return capViolations(other)
	}
	text := strings.TrimSpace(string(log))
	if len(text) > 2000 {
		text = "..." + text[len(text)-2000:]
	}
	if text == "" {
		text = "the build failed without a message"
	}
	return []platform.Violation{{File: file, Rule: "compile-error", Message: text}}
}

func capViolations(vs []platform.Violation) []platform.Violation {
	if len(vs) > 50 {
		vs = vs[:50]
	}
	return vs
}

// openRegular opens name under root only if it is a regular file: never a
// FIFO (which would block) or a device, and never outside root.
func openRegular(root *os.Root, name string) (*os.File, os.FileInfo, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file", name)
	}
	return f, fi, nil
}

// readSmall reads at most limit bytes of a regular file under root.
func readSmall(root *os.Root, name string, limit int64) ([]byte, error) {
	f, _, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

const maxBinary = 512 << 20

// keepBinary copies the builder's output into dir/fn: a new file, owned by
// the platform, read-only, renamed into place whole. Copying (not moving)
// leaves nothing a later build could still reach.
func keepBinary(out *os.Root, dir string) error {
	f, fi, err := openRegular(out, "fn")
	if err != nil {
		return fmt.Errorf("go build produced no binary: %w", err)
	}
	defer f.Close()
	if fi.Size() > maxBinary {
		return fmt.Errorf("go build produced a binary of %d bytes, over the %d byte limit", fi.Size(), maxBinary)
	}
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || !bytes.Equal(magic[:], []byte("\x7fELF")) {
		return errors.New("go build produced something that is not an executable")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("go binary: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return fmt.Errorf("go binary: %w", err)
	}
	dst, err := os.OpenFile(filepath.Join(tmp, "fn"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o555)
	if err == nil {
		_, err = io.Copy(dst, io.LimitReader(f, maxBinary))
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Chmod(filepath.Join(tmp, "fn"), 0o555)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o555)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
		if err != nil && isFile(filepath.Join(dir, "fn")) {
			err = nil // built at the same time by another platform process
		}
	}
	if err != nil {
		removeTree(tmp)
		return fmt.Errorf("go binary: %w", err)
	}
	return nil
}
