package idempotency

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// Fingerprint identifies what a GraphQL request asks, so that a retry can
// be told from another request with the same key: the SHA-256 of its
// operation name, its query with the lexically insignificant parts removed
// (whitespace, line terminators, commas and comments outside strings; so
// re-indenting a query does not make it another request, while any other
// change does) and its variables as JSON values (key order and formatting
// do not matter; values, numbers as written, do). Variables must be valid
// JSON or nil.
func Fingerprint(query, operationName string, variables json.RawMessage) (string, error) {
	h := sha256.New()
	h.Write([]byte(operationName))
	h.Write([]byte{0})
	h.Write(normalizeQuery(query))
	h.Write([]byte{0})
	if v := bytes.TrimSpace(variables); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var value any
		if err := dec.Decode(&value); err != nil {
			return "", err
		}
		writeCanonical(h, value)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// normalizeQuery drops GraphQL's ignored tokens (white space, line
// terminators, commas, comments) outside strings and block strings,
// keeping one space only where two names or numbers would otherwise join.
func normalizeQuery(q string) []byte {
	out := make([]byte, 0, len(q))
	pendingSpace := false
	word := func(c byte) bool {
		return c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == 0xEF && i+2 < len(q) && q[i+1] == 0xBB && q[i+2] == 0xBF:
			if c == 0xEF {
				i += 2
			}
			pendingSpace = true
		case c == '#':
			for i < len(q) && q[i] != '\n' && q[i] != '\r' {
				i++
			}
			pendingSpace = true
		case c == '"':
			if pendingSpace && len(out) > 0 && word(out[len(out)-1]) {
				out = append(out, ' ')
			}
			pendingSpace = false
			end := stringEnd(q, i)
			out = append(out, q[i:end]...)
			i = end - 1
		default:
			if pendingSpace && len(out) > 0 && word(out[len(out)-1]) && word(c) {
				out = append(out, ' ')
			}
			pendingSpace = false
			out = append(out, c)
		}
	}
	return out
}

// stringEnd is the index just past the string or block string that starts
// at q[i] ('"'), or len(q) when it does not end.
func stringEnd(q string, i int) int {
	if len(q) >= i+3 && q[i:i+3] == `"""` {
		for j := i + 3; j+2 < len(q); j++ {
			if q[j] == '\\' && j+3 < len(q) && q[j+1:j+4] == `"""` {
				j += 3
				continue
			}
			if q[j:j+3] == `"""` {
				return j + 3
			}
		}
		return len(q)
	}
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			j++
		case '"', '\n', '\r':
			return j + 1
		}
	}
	return len(q)
}

// writeCanonical writes a JSON value with object keys sorted.
func writeCanonical(b interface{ Write([]byte) (int, error) }, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		_, _ = b.Write([]byte{'{'})
		for i, k := range keys {
			if i > 0 {
				_, _ = b.Write([]byte{','})
			}
			kb, _ := json.Marshal(k)
			_, _ = b.Write(kb)
			_, _ = b.Write([]byte{':'})
			writeCanonical(b, x[k])
		}
		_, _ = b.Write([]byte{'}'})
	case []any:
		_, _ = b.Write([]byte{'['})
		for i, e := range x {
			if i > 0 {
				_, _ = b.Write([]byte{','})
			}
			writeCanonical(b, e)
		}
		_, _ = b.Write([]byte{']'})
	default:
		vb, _ := json.Marshal(x)
		_, _ = b.Write(vb)
	}
}
