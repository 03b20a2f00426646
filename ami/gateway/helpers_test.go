package gateway_test

import (
	"bufio"
	"fmt"
	"net"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReader(nc) }
