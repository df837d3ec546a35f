package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	saltLen        = 16
)

// PasswordRule is the password policy, as said to users.
const PasswordRule = "a password has 10 to 128 characters and at least one letter and one digit or symbol"

// CheckPassword returns a BAD_USER_INPUT error on field when the password
// breaks PasswordRule.
func CheckPassword(field, pw string) error {
	n := len([]rune(pw))
	var letter, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			other = true
		}
	}
	if n < 10 || n > 128 || !letter || !other {
		return apperr.Field(field, "the password is too weak: %s", PasswordRule)
	}
	return nil
}

// HashPassword returns the argon2id hash of pw in PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is compared against when a user does not exist, so that a login
// takes as long whether or not the e-mail address is known.
var dummyHash = HashPassword("opencrm-timing-equaliser")

// PasswordMatches reports whether pw matches the PHC-encoded argon2id hash.
// An empty hash (no such user) costs as much as a real comparison.
func PasswordMatches(hash, pw string) bool {
	if hash == "" {
		_, _ = passwordMatches(dummyHash, pw)
		return false
	}
	ok, err := passwordMatches(hash, pw)
	return err == nil && ok
}

func passwordMatches(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
