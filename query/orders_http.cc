#include "query/orders_http.h"

#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/wire_status.h"
#include "nlohmann/json.hpp"
#include "query/journey_json.h"

namespace spanvault {
namespace {

using json = nlohmann::json;

json Envelope(json data, int total) {
  return json{{"data", std::move(data)},
              {"total", total},
              {"limit", 0},
              {"offset", 0},
              {"errors", nullptr}};
}

HttpResponse Error(const absl::Status& status) {
  int http = HttpStatusFor(status);
  json body = Envelope(nullptr, 0);
  body["errors"] = json::array({{{"code", http}, {"msg", std::string(status.message())}}});
  return HttpResponse::Json(http, DumpJson(body, false));
}

absl::Status OnlyParams(const QueryParams& params, const std::set<std::string_view>& allowed) {
  for (const auto& [k, v] : params) {
    if (!allowed.contains(k)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", k, "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FlowParam(const QueryParams& params) {
  auto flow = Param(params, "flow");
  if (!flow || flow->empty())
    return BadParam("flow", "is required (the name of a configured flow)");
  return *flow;
}

}  // namespace

HttpResponse OrderResponse(QueryService& queries, const Principal& caller, const std::string& key,
                           const QueryParams& params, bool pretty) {
  if (absl::Status s = OnlyParams(params, {"flow", "prettyPrint"}); !s.ok()) return Error(s);
  auto flow = FlowParam(params);
  if (!flow.ok()) return Error(flow.status());
  auto data = OrderData(queries, caller, *flow, key);
  if (!data.ok()) return Error(data.status());
  return HttpResponse::Json(200, DumpJson(Envelope(*std::move(data), 1), pretty));
}

HttpResponse OrdersListResponse(QueryService& queries, const Principal& caller,
                                const QueryParams& params, bool pretty) {
  absl::Status allowed = OnlyParams(params, {"flow", "status", "since", "limit", "prettyPrint"});
  if (!allowed.ok()) return Error(allowed);
  auto flow = FlowParam(params);
  if (!flow.ok()) return Error(flow.status());
  auto data = OrdersListData(queries, caller, *flow, params, absl::Now());
  if (!data.ok()) return Error(data.status());
  const int total = static_cast<int>(data->size());
  return HttpResponse::Json(200, DumpJson(Envelope(*std::move(data), total), pretty));
}

HttpResponse FlowsResponse(QueryService& queries, const Principal& caller,
                           const QueryParams& params, bool pretty) {
  if (absl::Status s = OnlyParams(params, {"prettyPrint"}); !s.ok()) return Error(s);
  auto names = queries.ListFlows(caller);
  if (!names.ok()) return Error(names.status());
  int total = static_cast<int>(names->size());
  return HttpResponse::Json(200, DumpJson(Envelope(*std::move(names), total), pretty));
}

}  // namespace spanvault
