package gateway

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
)

// equalSecret compares in constant time.
func equalSecret(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// newChallenge is a random decimal challenge, as Asterisk sends one.
func newChallenge() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n.String()
}

// md5Key is hex(md5(challenge + secret)), the Login Key.
func md5Key(challenge, secret string) string {
	sum := md5.Sum([]byte(challenge + secret))
	return hex.EncodeToString(sum[:])
}
