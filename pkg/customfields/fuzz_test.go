package customfields_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/customfields"
)

// FuzzEncodeDecode feeds any JSON object a client could send as custom
// fields to Encode: it never panics, refuses only with BAD_USER_INPUT on
// the field, and what it accepts is within the limits, storable by
// PostgreSQL (no NUL) and reads back equal through Decode.
func FuzzEncodeDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"tier":"gold"}`, `{"a":1,"b":[true,null,{"c":"d"}]}`,
		`{"":1}`, `{"a\u0000":1}`, `{"a":"\u0000"}`, `{"a":"\ud800"}`,
		`{"k":[[[[[[[[[[1]]]]]]]]]]}`, `{"k":[[[[[[[[[1]]]]]]]]]}`,
		`{"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk":1}`,
		`{"n":1e308,"m":-0.0,"u":"é😀"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var m customfields.Fields
		if json.Unmarshal(in, &m) != nil || m == nil {
			return // not an object: the JSON scalar refuses it before Encode
		}
		raw, err := customfields.Encode("input.customFields", m)
		if err != nil {
			e, coded := apperr.As(err)
			if !coded || e.Code != apperr.BadUserInput || e.Field != "input.customFields" {
				t.Fatalf("Encode(%s): want BAD_USER_INPUT on input.customFields, got %v", in, err)
			}
			return
		}
		if len(raw) > customfields.MaxBytes || bytes.Contains(raw, []byte(`\u0000`)) {
			t.Fatalf("Encode(%s) stored %d bytes: %.100s", in, len(raw), raw)
		}
		if err := customfields.Check("input.customFields", m); err != nil {
			t.Fatalf("Encode accepted what Check refuses: %v", err)
		}
		if got := customfields.Decode(raw); !reflect.DeepEqual(got, normal(t, m)) {
			t.Fatalf("Decode(Encode(%s)) = %v", in, got)
		}
	})
}

// normal is m as JSON reads it back (numbers as float64).
func normal(t *testing.T, m customfields.Fields) customfields.Fields {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out customfields.Fields
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
