package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// MaxDocument bounds a decrypted document read from sops.
const MaxDocument = 16 << 20

// ErrNoSops is returned by DecryptSOPS when no working sops is on PATH.
var ErrNoSops = errors.New("sops is not installed")

// DecryptSOPS decrypts a SOPS-encrypted YAML or JSON file with the sops
// command, which finds the key as it always does (SOPS_AGE_KEY_FILE, a PGP
// agent, a cloud KMS), and returns the plaintext document. The plaintext
// comes through a pipe into memory: never a temporary file, never argv.
// env, when not nil, is sops's whole environment.
func DecryptSOPS(ctx context.Context, file string, env []string) ([]byte, error) {
	path, err := exec.LookPath("sops")
	if err != nil {
		return nil, fmt.Errorf("%w: install it, or decrypt with your own tool and pipe the output to 'ward import json -' or 'ward import yaml -'", ErrNoSops)
	}
	cmd := exec.CommandContext(ctx, path, "--decrypt", "--output-type", "json", "--", file)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sops: %w", err)
	}
	body, readErr := io.ReadAll(io.LimitReader(stdout, MaxDocument+1))
	waitErr := cmd.Wait()
	if waitErr != nil {
		// sops's own messages name keys and files, not values.
		return nil, fmt.Errorf("sops could not decrypt %s: %s", file, strings.TrimSpace(lastLine(stderr.String())))
	}
	if readErr != nil {
		return nil, readErr
	}
	if len(body) > MaxDocument {
		return nil, fmt.Errorf("%s: the decrypted document is larger than %d MiB", file, MaxDocument>>20)
	}
	return body, nil
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		if len(p) > room {
			l.buf.Write(p[:room])
		} else {
			l.buf.Write(p)
		}
	}
	return len(p), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	if s == "" {
		return "(no message)"
	}
	return s
}
