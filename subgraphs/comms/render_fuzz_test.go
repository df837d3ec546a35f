package comms

import (
	"errors"
	"strings"
	"testing"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// FuzzTemplate feeds the template syntax parser and the renderer any
// template text and any value, as a user writing templates (or an attacker
// filling variables) could: parsing never panics and fails only with a
// positioned SyntaxError; what parses compiles and renders, a subject on
// one line and a value never landing unescaped in the HTML body.
func FuzzTemplate(f *testing.F) {
	for _, seed := range [][2]string{
		{"Hi {{first_name}}", "Ann"},
		{"<p>Dear {{ contact.name }},</p><p>Thanks!</p>", "<b>Ann</b> & co"},
		{"{{", "x"}, {"}}{{", ""}, {"{{}}", ""}, {"{{ 1abc }}", ""}, {"{{a}}{{b}}{{a}}", "\r\n"},
		{"line one\nline {{ two", "x"}, {"é😀 {{ é }}", "x"}, {"\xff{{a}}", "\x00"}, {"{{{{a}}}}", "<script>"},
		{"<br/>{{a}}</p>\n\n\n\n{{a}}", "&amp;"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		parts, err := parseTemplate(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Column < 1 || se.Msg == "" {
				t.Fatalf("parseTemplate(%q): want a positioned SyntaxError, got %v", src, err)
			}
			if _, err := compileTemplate(src, "x", nil, nil); apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("compileTemplate(%q): want BAD_USER_INPUT, got %v", src, err)
			}
			return
		}
		for _, p := range parts {
			if p.name == "" && strings.Contains(p.text, "{{") {
				t.Fatalf("parseTemplate(%q): literal text %q holds an opening {{", src, p.text)
			}
			if p.name != "" && !varName.MatchString(p.name) {
				t.Fatalf("parseTemplate(%q): %q is not a name", src, p.name)
			}
		}
		tmpl, err := compileTemplate(src, src, nil, nil)
		if err != nil {
			t.Fatalf("compileTemplate(%q): %v", src, err)
		}
		values := map[string]string{}
		for _, v := range tmpl.vars {
			values[v.Name] = value
		}
		r, err := tmpl.render(values)
		if value == "" {
			if len(tmpl.vars) > 0 && apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("render(%q) without values: want BAD_USER_INPUT, got %v", src, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("render(%q, %q): %v", src, value, err)
		}
		if strings.ContainsAny(r.Subject, "\r\n") {
			t.Fatalf("render(%q, %q): the subject %q spans lines", src, value, r.Subject)
		}
		for _, c := range []string{"<", ">", `"`} { // markup only ever comes from the template
			literal := 0
			for _, p := range parts {
				literal += strings.Count(p.text, c)
			}
			if got := strings.Count(r.BodyHTML, c); got != literal {
				t.Fatalf("render(%q, %q): %d %s in the HTML body, %d in the template", src, value, got, c, literal)
			}
		}
	})
}
