package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wundergraph/graphql-go-tools/execution/graphql"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/graphqlerrors"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/variablesvalidation"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/idempotency"
	"github.com/opencrm/opencrm/pkg/logging"
)

// serveGraphQL answers one GraphQL request. Everything that can refuse it
// runs before the engine plans it, so a refused request never reaches a
// subgraph.
func (g *Gateway) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var a admission
	req, ref := readRequest(r)
	if ref == nil {
		a, ref = g.admit(w, r, &req)
	}
	outcome := ""
	if ref != nil {
		ref.write(w)
		outcome = ref.code
	} else {
		if a.register != "" {
			g.apq.put(r.Context(), a.register, req.Query)
		}
		if a.op.kind == ast.OperationTypeMutation && len(r.Header.Values(idempotency.Header)) > 0 {
			outcome = g.executeOnce(w, r, &req, a)
		} else {
			outcome = g.execute(w, r, a.run, a.caller)
		}
	}
	name := a.op.name
	if name == "" {
		name = req.OperationName
	}
	g.metrics.observe(name, outcome, time.Since(start))
}

// admission is what admit learned of a request.
type admission struct {
	caller   caller
	op       operation
	run      *graphql.Request // what the engine executes (see analyzer)
	register string           // the persisted query hash to register, if any
}

// admit runs the checks of a request in order: the token, the rate limits,
// the persisted query, the operation's validity and size, and whether it
// needs a token. It returns what it learned, or why the request is refused.
func (g *Gateway) admit(w http.ResponseWriter, r *http.Request, req *gqlRequest) (a admission, ref *refusal) {
	ctx := r.Context()
	a.caller = g.identify(r)
	if ref = g.limiter.check(ctx, w, r, a.caller); ref != nil {
		return a, ref
	}
	if a.register, ref = g.apq.resolve(ctx, req); ref != nil {
		return a, ref
	}
	if a.op, a.run, ref = g.analyzer.analyze(req); ref != nil {
		return a, ref
	}
	if ref = g.checkLimits(a.op, req.Variables); ref != nil {
		return a, ref
	}
	if r.Method == http.MethodGet && a.op.kind != ast.OperationTypeQuery {
		return a, refuse(http.StatusMethodNotAllowed, codeMethodNotAllowed, "only queries may be sent with GET: use POST")
	}
	return a, g.authorize(a.caller, a.op)
}

// checkLimits refuses an operation that is too big, could return too many
// objects with the request's variables, or asks for a disabled
// introspection.
func (g *Gateway) checkLimits(op operation, variables json.RawMessage) *refusal {
	l := g.cfg.Limits
	var vars map[string]any
	if op.costVariables {
		vars = requestVariables(variables)
	}
	objects := cost(op.cost, vars, l.MaxObjects)
	switch {
	case op.introspection && !g.cfg.Introspection:
		return refuse(http.StatusBadRequest, codeIntrospection, "introspection (__schema, __type) is disabled on this gateway")
	case op.depth > l.MaxDepth:
		return refuse(http.StatusBadRequest, codeDepth, fmt.Sprintf("the operation nests fields deeper than the limit of %d", l.MaxDepth))
	case op.nodes > l.MaxNodes:
		return refuse(http.StatusBadRequest, codeComplexity, fmt.Sprintf("the operation selects %d object fields, more than the limit of %d", op.nodes, l.MaxNodes))
	case op.fields > l.MaxFields:
		return refuse(http.StatusBadRequest, codeComplexity, fmt.Sprintf("the operation selects %d fields, more than the limit of %d", op.fields, l.MaxFields))
	case op.aliases > l.MaxAliases:
		return refuse(http.StatusBadRequest, codeAliases, fmt.Sprintf("the operation uses %d aliases, more than the limit of %d", op.aliases, l.MaxAliases))
	case objects > l.MaxObjects:
		return refuse(http.StatusBadRequest, codeComplexity, fmt.Sprintf(
			"the operation could return more than %d objects, over the limit of %d: ask for smaller pages (first) or fewer nested lists", l.MaxObjects, l.MaxObjects))
	}
	return nil
}

// pastDeadline says whether ctx's deadline has passed, whether or not its
// timer has fired yet.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

var responseBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

// execute runs the operation in the engine within the request timeout.
func (g *Gateway) execute(w http.ResponseWriter, r *http.Request, run *graphql.Request, c caller) string {
	ctx, cancel := context.WithTimeout(withRequestHeaders(r.Context(), g.requestHeaders(r)), g.cfg.Limits.Timeout)
	defer cancel()
	run.SetHeader(g.forwardedHeaders(r, c))
	buf := responseBuffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); responseBuffers.Put(buf) }()
	rw := graphql.NewEngineResultWriterFromBuffer(buf)
	err := g.engine.Execute(ctx, run, &rw)
	switch {
	case r.Context().Err() != nil:
		return "canceled" // the client is gone
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || pastDeadline(ctx):
		// (pastDeadline: a fetch bounded by the same deadline may fail a
		// moment before the request's own timer fires.)
		ref := refuse(http.StatusGatewayTimeout, codeTimeout, fmt.Sprintf("the request took longer than the limit of %s", g.cfg.Limits.Timeout))
		ref.write(w)
		return ref.code
	case err != nil:
		ref := g.executeError(r, run, err)
		ref.write(w)
		return ref.code
	}
	w.Header().Set("Content-Type", "application/json")
	if !hasErrors(buf.Bytes()) {
		_, _ = w.Write(buf.Bytes())
		return "ok"
	}
	_, _ = w.Write(codeErrors(buf.Bytes(), logging.RequestID(r.Context())))
	return "error"
}

// executeError is the answer to an error of the engine: the operation's
// errors (variables that do not fit, say) or, for anything else, INTERNAL
// with the request id, the error itself going only to the log.
func (g *Gateway) executeError(r *http.Request, run *graphql.Request, err error) *refusal {
	var requestErrs graphqlerrors.RequestErrors
	var report operationreport.Report
	var invalid *variablesvalidation.InvalidVariableError
	if errors.As(err, &requestErrs) || errors.As(err, &invalid) ||
		(errors.As(err, &report) && len(report.ExternalErrors) > 0) {
		return graphqlRefusal(codeValidation, err)
	}
	if bad := badVariable(g.analyzer.schema, run.Query, run.Variables); bad != nil {
		return graphqlRefusal(codeValidation, bad)
	}
	id := logging.RequestID(r.Context())
	g.cfg.Logger.ErrorContext(r.Context(), "gateway: engine error", "err", err)
	return refuse(http.StatusInternalServerError, string(apperr.Internal),
		"internal error: the request id "+id+" identifies it in our logs")
}
