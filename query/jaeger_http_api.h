#pragma once

// JaegerHttpApi: the Jaeger query HTTP API (classic /api/* and /api/v3/*) on top of
// QueryService, and the Jaeger UI beside it.

#include "common/http.h"
#include "query/query_service.h"

namespace spanvault {

// Serves, exactly as reference/jaeger-query-api.md §1 describes them:
//   GET /api/services, /api/services/{service}/operations, /api/operations,
//   /api/traces (search or traceID=...), /api/traces/{id}
//   GET /api/v3/services, /api/v3/operations, /api/v3/traces/{id}, /api/v3/traces,
//   /api/v3/trace-summaries
// Classic errors use the {"data":null,...,"errors":[{"code","msg"}]} envelope, v3 errors
// {"error":{"httpCode","message"}}. Bad parameters are 400, unknown traces 404 (and traces
// the caller may not see), unknown /api paths 404, other methods 405, a caller whose roles lack
// traces:read 403 with QueryService's message (common/wire_status.h). Paths outside /api go to `ui`
// (the Jaeger UI) when there is one. Thread-safe.
class JaegerHttpApi final : public HttpHandler {
 public:
  // `queries` and `ui` (nullable) must outlive the API.
  JaegerHttpApi(QueryService& queries, HttpHandler* ui) : queries_(queries), ui_(ui) {}

  void Handle(HttpRequest request, HttpRespond respond) override;

 private:
  HttpResponse Route(const HttpRequest& request);

  QueryService& queries_;
  HttpHandler* const ui_;
};

}  // namespace spanvault
