// Package upsert holds what every upsert by external id shares, whatever
// the record: the bound of a batch, the check of a batch's keys, the check
// of an external id, and the error of one item of a batch (the schema's
// UpsertError), so the subgraphs that upsert (contact, deal) answer alike.
package upsert

import (
	"fmt"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/validate"
)

// Max is the most items of a batch upsert.
const Max = 100

// MaxExternalID is the longest external id, in characters (trimmed).
const MaxExternalID = 255

// Error is the error of an item of a batch upsert: its code, its message
// and the input field at fault ("inputs[3].externalId").
type Error struct {
	Code    string
	Message string
	Field   *string
}

// ExternalID is the trimmed external id an upsert needs (field names it).
func ExternalID(field string, v *string) (string, error) {
	if v == nil {
		return "", apperr.Field(field, "an upsert needs an external id")
	}
	return validate.Text(field, *v, MaxExternalID)
}

// Key is a key that no two items of a batch may share: Field names it in
// an input ("externalId"), What in a message ("external id"), Of is item
// i's value of it (nil or blank: none) and Normal the form two values are
// compared in.
type Key struct {
	Field, What string
	Of          func(i int) *string
	Normal      func(string) string
}

// ExternalIDKey is the external id key of a batch (exact, once trimmed).
func ExternalIDKey(of func(i int) *string) Key {
	return Key{Field: "externalId", What: "external id", Of: of, Normal: strings.TrimSpace}
}

// CheckBatch answers BAD_USER_INPUT on inputs for more than Max items, and
// on inputs[i].<field> for the first item i that has a key's value an
// earlier item has.
func CheckBatch(n int, keys ...Key) error {
	if n > Max {
		return apperr.Field("inputs", "at most %d items per call, not %d", Max, n)
	}
	seen := make([]map[string]int, len(keys))
	for k := range keys {
		seen[k] = map[string]int{}
	}
	for i := range n {
		for k, key := range keys {
			v := key.Of(i)
			if v == nil || strings.TrimSpace(*v) == "" {
				continue
			}
			norm := key.Normal(*v)
			if j, ok := seen[k][norm]; ok {
				return apperr.Field(fmt.Sprintf("inputs[%d].%s", i, key.Field), "inputs[%d] has this %s already", j, key.What)
			}
			seen[k][norm] = i
		}
	}
	return nil
}

// ItemError is the result's error of item i: its code, message and field
// (input.x becomes inputs[i].x). An error without code, or INTERNAL, is no
// item's: it is returned as it is, for the call to fail.
func ItemError(i int, err error) (*Error, error) {
	if err == nil {
		return nil, nil
	}
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal {
		return nil, err
	}
	out := &Error{Code: string(e.Code), Message: e.Message}
	if e.Field != "" {
		f := e.Field
		if rest, ok := strings.CutPrefix(f, "input."); ok {
			f = fmt.Sprintf("inputs[%d].%s", i, rest)
		}
		out.Field = &f
	}
	return out, nil
}

// Values are the values of a list of inputs gqlgen gives as pointers.
func Values[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// Batch upserts each of ins with one, in input order, and returns a
// result per input: an item's coded error becomes its result (failed),
// undoing no other item; an error ItemError returns ends the call, the
// items before it being written (upserting them again is harmless).
func Batch[In, R any](ins []In, one func(i int, in In) (R, error), failed func(i int, e *Error) R) ([]R, error) {
	out := make([]R, len(ins))
	for i, in := range ins {
		r, err := one(i, in)
		e, err := ItemError(i, err)
		if err != nil {
			return out[:i], err
		}
		if e != nil {
			r = failed(i, e)
		}
		out[i] = r
	}
	return out, nil
}
