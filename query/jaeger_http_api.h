#pragma once

// JaegerHttpApi: the Jaeger query HTTP API (classic /api/* and /api/v3/*) on top of
// QueryService, and the Jaeger UI beside it.

#include <functional>

#include "common/http.h"
#include "query/query_service.h"

namespace spanvault {

// Serves, exactly as reference/jaeger-query-api.md §1 describes them:
//   GET /api/services, /api/services/{service}/operations, /api/operations,
//   /api/traces (search or traceID=...), /api/traces/{id}, /api/dependencies,
//   /api/metrics/{latencies,calls,errors,minstep} (query/spm_http.h)
//   /api/orders/{key}, /api/orders, /api/flows (order journeys: query/orders_http.h,
//   docs/orders.md) and the orders page at /orders (query/orders_page.h)
//   GET /api/v3/services, /api/v3/operations, /api/v3/traces/{id}, /api/v3/traces,
//   /api/v3/trace-summaries
// Classic errors use the {"data":null,...,"errors":[{"code","msg"}]} envelope, v3 errors
// {"error":{"httpCode","message"}}. Bad parameters are 400, unknown traces 404 (and traces
// the caller may not see), unknown /api paths 404, other methods 405, a caller whose roles lack
// traces:read 403 with QueryService's message (common/wire_status.h). Paths outside /api go to `ui`
// (the Jaeger UI) when there is one. Thread-safe.
class JaegerHttpApi final : public HttpHandler {
 public:
  // Who sends a request: the authenticated caller, or kUnauthenticated (answered 401 with a
  // Basic challenge, so a browser asks for credentials) or kResourceExhausted (a throttled
  // login: 429 with Retry-After). Thread-safe.
  using CallerOf = std::function<absl::StatusOr<Principal>(const HttpRequest&)>;

  // `queries` and `ui` (nullable) must outlive the API. Every request, the UI's included, is
  // authenticated through `caller_of`; null serves everyone as Principal::Anonymous (the
  // --insecure-no-auth mode).
  JaegerHttpApi(QueryService& queries, HttpHandler* ui, CallerOf caller_of = nullptr)
      : queries_(queries), ui_(ui), caller_of_(std::move(caller_of)) {}

  void Handle(HttpRequest request, HttpRespond respond) override;

 private:
  HttpResponse Route(const HttpRequest& request, Principal caller);

  QueryService& queries_;
  HttpHandler* const ui_;
  const CallerOf caller_of_;
};

}  // namespace spanvault
