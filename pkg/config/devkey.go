package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
)

// devKeyFile is the signing key's file in the state directory.
const devKeyFile = "jwt-signing-keys"

// DevSigningKey returns the development signing key kept in dir (in the
// form of JWT_SIGNING_KEYS) and its file, creating both on first use: the
// directory 0700, the file 0600. Processes starting at once agree on one
// key: the file appears complete or not at all (a hard link of a written
// temporary file), and a process that loses the race reads the winner's.
func DevSigningKey(dir string) (spec, file string, err error) {
	file = filepath.Join(dir, devKeyFile)
	if spec, err = readKeyFile(file); !errors.Is(err, os.ErrNotExist) {
		return spec, file, stateDirErr(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", file, fmt.Errorf("STATE_DIR: cannot create %s for the development signing key: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, devKeyFile+".*")
	if err != nil {
		return "", file, fmt.Errorf("STATE_DIR: cannot write the development signing key in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	kid := "dev-" + time.Now().UTC().Format("20060102150405")
	_, werr := tmp.WriteString(auth.GenerateKeySpec(kid) + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", file, fmt.Errorf("STATE_DIR: %w", werr)
	}
	// CreateTemp made it 0600; Link fails when another process was first.
	if err := os.Link(tmp.Name(), file); err != nil && !errors.Is(err, os.ErrExist) {
		return "", file, fmt.Errorf("STATE_DIR: %w", err)
	}
	spec, err = readKeyFile(file)
	return spec, file, stateDirErr(err)
}

// stateDirErr names STATE_DIR in an error reading the key file.
func stateDirErr(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), "STATE_DIR") {
		return err
	}
	return fmt.Errorf("STATE_DIR: %w", err)
}

func readKeyFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	spec := strings.TrimSpace(string(b))
	if _, err := auth.ParseKeySet(spec); err != nil {
		return "", fmt.Errorf("STATE_DIR: %s: %w (delete it to start with a new key)", file, err)
	}
	return spec, nil
}
