package app

import (
	"log/slog"
	"os"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// warnSecretFiles warns about AMI secret files that users other than the
// owner may read: the secret then is only as safe as every account on the
// host. It names the file, never its content; a file that cannot be read
// is left to the AMI client, which reports it when it connects.
func warnSecretFiles(log *slog.Logger, cfg *config.Config) {
	if cfg.VoIP == nil {
		return
	}
	for _, s := range cfg.VoIP.Asterisk {
		if s.SecretFile == "" {
			continue
		}
		fi, err := os.Stat(s.SecretFile)
		if err != nil {
			continue
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			log.Warn("AMI secret file is readable by group or others; chmod 600 it",
				"server", s.Name, "secret_file", s.SecretFile, "mode", mode.String())
		}
	}
}
