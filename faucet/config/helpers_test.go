package config

import "errors"

func asErrors(err error, out *Errors) bool {
	return errors.As(err, out)
}
