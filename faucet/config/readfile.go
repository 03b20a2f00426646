package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// DefaultMaxFileBytes bounds the size of one configuration file (the main
// file and each include). Real configs are kilobytes; the bound keeps a
// mistake (a symlink to /dev/zero, a log file named as the config) from
// growing the process without limit on a reload.
const DefaultMaxFileBytes int64 = 4 << 20

// MaxFileBytesEnv names the environment variable that overrides
// DefaultMaxFileBytes, in bytes.
const MaxFileBytesEnv = "VOIPSDN_CONFIG_MAX_BYTES"

// Errors a config file read can fail with (wrapped in an fs.PathError).
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
)

// MaxFileBytes returns the size limit of one configuration file: the value
// of $VOIPSDN_CONFIG_MAX_BYTES, or DefaultMaxFileBytes when it is unset.
func MaxFileBytes() (int64, error) {
	s := strings.TrimSpace(os.Getenv(MaxFileBytesEnv))
	if s == "" {
		return DefaultMaxFileBytes, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive number of bytes", MaxFileBytesEnv, s)
	}
	return n, nil
}

// ReadFile reads one configuration file. It refuses anything that is not a
// regular file once symlinks are followed (a device, a FIFO, a socket, a
// directory) and files over MaxFileBytes. The read itself is bounded too,
// so a file that grows after the size check still costs at most the limit.
func ReadFile(path string) ([]byte, error) {
	limit, err := MaxFileBytes()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return readFileLimit(path, limit)
}

func readFileLimit(path string, limit int64) ([]byte, error) {
	// Stat first: opening a FIFO would wait for a writer.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFileInfo(path, fi, limit); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the path be swapped for a FIFO after the stat,
	// the open still returns at once; it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkFileInfo(path, fi, limit); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

func checkFileInfo(path string, fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (it is %s)", ErrNotRegular, fileKind(fi.Mode()))}
	}
	if fi.Size() > limit {
		return tooLarge(path, limit)
	}
	return nil
}

func tooLarge(path string, limit int64) error {
	return &fs.PathError{Op: "read", Path: path,
		Err: fmt.Errorf("%w: over the limit of %d bytes (raise it with %s)", ErrTooLarge, limit, MaxFileBytesEnv)}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "of type " + m.Type().String()
}
