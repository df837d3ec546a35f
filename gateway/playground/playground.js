// GraphiQL for the gateway: the endpoint is this origin's /graphql, and the
// access token typed in the bar (kept in this browser's localStorage) is sent
// as "Authorization: Bearer <token>" unless the headers editor sets one.
(function () {
  "use strict";
  var tokenKey = "opencrm.playground.token";
  var input = document.getElementById("token");
  input.value = localStorage.getItem(tokenKey) || "";
  input.addEventListener("input", function () {
    localStorage.setItem(tokenKey, input.value.trim());
  });
  document.getElementById("forget").addEventListener("click", function () {
    input.value = "";
    localStorage.removeItem(tokenKey);
  });

  function fetcher(params, opts) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    var extra = (opts && opts.headers) || {};
    var hasAuth = false;
    Object.keys(extra).forEach(function (k) {
      headers[k] = extra[k];
      if (k.toLowerCase() === "authorization") hasAuth = true;
    });
    var token = input.value.trim().replace(/^Bearer\s+/i, "");
    if (token && !hasAuth) headers.Authorization = "Bearer " + token;
    return fetch("/graphql", { method: "POST", headers: headers, body: JSON.stringify(params) })
      .then(function (r) { return r.json(); });
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultQuery: "# Sign up or log in (public), paste the accessToken above, then:\n{\n  me {\n    email\n    tenant {\n      name\n      subdomain\n    }\n  }\n}\n",
  }));
})();
