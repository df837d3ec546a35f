package gqlserver

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/logging"
)

// errorPresenter maps an error to what the client sees: a coded error keeps
// its code, message and field; a GraphQL parse or validation error keeps its
// text; anything else is logged in full and shown only as INTERNAL with the
// request id, so no SQL, stack or internal detail ever leaks.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
			out.Message = e.Message
			out.Extensions = map[string]any{"code": string(e.Code)}
			if field := e.Field; field != "" {
				out.Extensions["field"] = field
			} else if field = argumentPath(e, out.Path); field != "" {
				out.Extensions["field"] = field
			}
			if e.Scope != "" {
				out.Extensions["scope"] = e.Scope
			}
			return out
		}
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil && !errors.As(err, new(*apperr.Error)) {
			if out.Extensions == nil {
				out.Extensions = map[string]any{}
			}
			if _, ok := out.Extensions["code"]; !ok {
				out.Extensions["code"] = string(apperr.BadUserInput)
			}
			return out
		}
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			// Not a failure of ours: the gateway's deadline passed or the
			// client went away while the field was being answered.
			log.WarnContext(ctx, "request ended before its answer", "reason", context.Cause(ctx).Error(), "path", out.Path.String())
			return &gqlerror.Error{Message: "the request ended before this field was answered", Path: out.Path, Locations: out.Locations,
				Extensions: map[string]any{"code": string(apperr.Timeout)}}
		}
		id := logging.RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "err", err.Error(), "path", out.Path.String())
		return &gqlerror.Error{
			Message:    "internal error: the request id " + id + " identifies it in our logs",
			Path:       out.Path,
			Locations:  out.Locations,
			Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
		}
	}
}

// argumentPath names the input field of a BAD_USER_INPUT raised while
// coercing an argument (a custom scalar's Unmarshal, which cannot know the
// field): gqlgen reports those at the path root field > argument > field,
// so "input.expectedCloseDate" is the path after the root field.
func argumentPath(e *apperr.Error, path ast.Path) string {
	if e.Code != apperr.BadUserInput || len(path) < 2 {
		return ""
	}
	parts := make([]string, 0, len(path)-1)
	for _, p := range path[1:] {
		switch v := p.(type) {
		case ast.PathName:
			parts = append(parts, string(v))
		case ast.PathIndex:
			parts = append(parts, strconv.Itoa(int(v)))
		}
	}
	return strings.Join(parts, ".")
}
