package comms

import (
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Templates use {{variable}} placeholders, not Go templates: a template is
// written by users, so it can name values but never run logic, and a value
// is HTML-escaped wherever it lands in the HTML body. A name is letters,
// digits, '_' and '.', starting with a letter or '_'; spaces inside the
// braces are allowed ({{ first_name }}).

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// part of a parsed template: literal text, or a placeholder's name.
type part struct {
	text, name string
	line, col  int
}

// SyntaxError is a template that does not parse, with where.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// parseTemplate splits src into literal text and placeholders.
func parseTemplate(src string) ([]part, error) {
	var parts []part
	rest, offset := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return append(parts, part{text: rest}), nil
		}
		parts = append(parts, part{text: rest[:i]})
		line, col := position(src, offset+i)
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, &SyntaxError{line, col, "{{ is not closed by }}"}
		}
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		if !varName.MatchString(name) {
			return nil, &SyntaxError{line, col, fmt.Sprintf("%q is not a variable name (letters, digits, _ and .)", name)}
		}
		parts = append(parts, part{name: name, line: line, col: col})
		offset += i + 2 + j + 2
		rest = src[offset:]
	}
}

// position is the 1-based line and column (in characters) of byte offset i.
func position(src string, i int) (line, col int) {
	before := src[:i]
	line = strings.Count(before, "\n") + 1
	col = len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return line, col
}

// template is a parsed e-mail template.
type template struct {
	subject, html, text []part // text nil: derived from html
	vars                []EmailTemplateVariable
}

// compileTemplate parses a template's parts, each error naming the input
// field and the position; declared nil declares every placeholder used as
// required, otherwise every placeholder used must be declared.
func compileTemplate(subject, bodyHTML string, bodyText *string, declared []EmailTemplateVariable) (template, error) {
	var t template
	var err error
	if t.subject, err = parseField("input.subject", subject); err != nil {
		return t, err
	}
	if t.html, err = parseField("input.bodyHtml", bodyHTML); err != nil {
		return t, err
	}
	if bodyText != nil && *bodyText != "" {
		if t.text, err = parseField("input.bodyText", *bodyText); err != nil {
			return t, err
		}
	}
	if declared == nil {
		seen := map[string]bool{}
		for _, p := range append(append(append([]part{}, t.subject...), t.html...), t.text...) {
			if p.name != "" && !seen[p.name] {
				seen[p.name] = true
				t.vars = append(t.vars, EmailTemplateVariable{Name: p.name, Required: true})
			}
		}
		return t, nil
	}
	names := map[string]bool{}
	for i, v := range declared {
		if !varName.MatchString(v.Name) {
			return t, apperr.Field(fmt.Sprintf("input.variables.%d.name", i), "%q is not a variable name (letters, digits, _ and .)", v.Name)
		}
		if names[v.Name] {
			return t, apperr.Field(fmt.Sprintf("input.variables.%d.name", i), "the variable %s is declared twice", v.Name)
		}
		names[v.Name] = true
	}
	for field, parts := range map[string][]part{"input.subject": t.subject, "input.bodyHtml": t.html, "input.bodyText": t.text} {
		for _, p := range parts {
			if p.name != "" && !names[p.name] {
				return t, apperr.Field(field, "line %d, column %d: the variable %s is used but not declared", p.line, p.col, p.name)
			}
		}
	}
	t.vars = declared
	return t, nil
}

func parseField(field, src string) ([]part, error) {
	parts, err := parseTemplate(src)
	if se, ok := err.(*SyntaxError); ok {
		return nil, apperr.Field(field, "template syntax error at %s", se)
	}
	return parts, err
}

// render fills the template with values; a required variable without a
// value or default is a BAD_USER_INPUT naming it.
func (t template) render(values map[string]string) (RenderedEmail, error) {
	vals := map[string]string{}
	var missing []string
	for _, v := range t.vars {
		switch val, ok := values[v.Name]; {
		case ok && val != "":
			vals[v.Name] = val
		case v.DefaultValue != nil:
			vals[v.Name] = *v.DefaultValue
		case v.Required:
			missing = append(missing, v.Name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return RenderedEmail{}, apperr.Field("variables."+missing[0], "the required variable %s has no value", strings.Join(missing, ", "))
	}
	oneLine := strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")
	r := RenderedEmail{
		Subject:  oneLine.Replace(fill(t.subject, vals, func(s string) string { return s })),
		BodyHTML: fill(t.html, vals, html.EscapeString),
	}
	if t.text != nil {
		r.BodyText = fill(t.text, vals, func(s string) string { return s })
	} else {
		r.BodyText = textOf(r.BodyHTML)
	}
	return r, nil
}

func fill(parts []part, vals map[string]string, escape func(string) string) string {
	var b strings.Builder
	for _, p := range parts {
		if p.name == "" {
			b.WriteString(p.text)
		} else {
			b.WriteString(escape(vals[p.name]))
		}
	}
	return b.String()
}

var (
	blockEnd = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr)>`)
	tag      = regexp.MustCompile(`<[^>]*>`)
	blank    = regexp.MustCompile(`\n{3,}`)
)

// textOf derives a plain-text part from an HTML body.
func textOf(h string) string {
	h = blockEnd.ReplaceAllString(h, "\n")
	h = tag.ReplaceAllString(h, "")
	return strings.TrimSpace(blank.ReplaceAllString(html.UnescapeString(h), "\n\n"))
}

// Values turns a JSON object of variable values into strings.
func Values(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}
