package gqlserver

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
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
			if e.Field != "" {
				out.Extensions["field"] = e.Field
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
