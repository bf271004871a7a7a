// Realistic order-pipeline traces for the benchmarks (workload.h).

#include "benchmarks/loadgen/workload.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"
#include "common/otlp_util.h"

namespace spanvault::bench {
namespace {

using otlp::KeyValue;

struct Service {
  const char* name;
  const char* version;
  const char* scope;
  const char* language;
  std::vector<std::string> routes;  // "METHOD /route"; empty for services without an HTTP API
};

const std::vector<Service>& Services() {
  static const auto* services = new std::vector<Service>{
      {"shop-api",
       "2.14.1",
       "io.opentelemetry.spring-webmvc-6.0",
       "java",
       {"POST /api/orders", "GET /api/orders/{id}", "POST /api/cart/checkout",
        "GET /api/products/{id}", "POST /api/orders/{id}/confirm"}},
      {"crm-api",
       "1.8.0",
       "OpenTelemetry.Instrumentation.AspNetCore",
       "dotnet",
       {"GET /api/customers/{id}", "POST /api/customers/{id}/orders",
        "PUT /api/customers/{id}/loyalty"}},
      {"mes-api",
       "3.2.5",
       "io.opentelemetry.spring-webmvc-6.0",
       "java",
       {"POST /api/jobs", "GET /api/jobs/{id}", "POST /api/jobs/{id}/complete"}},
      {"payment-api",
       "1.3.0",
       "@opentelemetry/instrumentation-http",
       "nodejs",
       {"POST /api/payments", "GET /api/payments/{id}"}},
      {"seller-sim", "0.9.3", "opentelemetry.instrumentation.pika", "python", {}},
      {"inventory-worker", "4.0.2", "io.opentelemetry.rabbitmq-amqp", "java", {}},
      {"notification-worker", "1.1.7", "io.opentelemetry.rabbitmq-amqp", "java", {}},
  };
  return *services;
}

const std::vector<std::string> kQueues = {"orders.created", "orders.confirmed", "jobs.planned",
                                          "stock.reserved", "invoices.requested"};
const std::vector<std::string> kTables = {"orders", "order_items", "customers",
                                          "jobs",   "payments",    "stock"};
const std::vector<std::string> kInternal = {
    "validate order",  "compute price",      "reserve stock",  "render invoice",
    "plan production", "OrderService.place", "apply discounts"};

enum class Kind { kHttpServer, kHttpClient, kDbClient, kProducer, kConsumer, kInternal };

struct GenSpan {
  int service = 0;
  Kind kind = Kind::kInternal;
  int parent = -1;
  std::string name;
  std::string route;  // HTTP server: the route; client: the callee's route; messaging: queue
  std::string method;
  std::string peer;  // HTTP client: the callee's service
  uint64_t start = 0;
  uint64_t end = 0;
  std::string span_id;
  bool error = false;
};

// The ids every span of one trace carries, and the random source.
struct TraceContext {
  std::mt19937_64* rng;
  std::string trace_id;
  std::string order_id;
  std::string user_id;
  std::string client_id;
};

class Rng {
 public:
  explicit Rng(std::mt19937_64& engine) : engine_(engine) {}
  int64_t Uniform(int64_t lo, int64_t hi) {  // inclusive
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(engine_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }
  std::string Bytes(int n) {
    std::string out(static_cast<size_t>(n), '\0');
    for (auto& c : out) c = static_cast<char>(Uniform(0, 255));
    if (out.find_first_not_of('\0') == std::string::npos) out[0] = 1;
    return out;
  }

 private:
  std::mt19937_64& engine_;
};

KeyValue Str(std::string key, std::string value) {
  KeyValue kv;
  kv.set_key(std::move(key));
  kv.mutable_value()->set_string_value(std::move(value));
  return kv;
}
KeyValue Int(std::string key, int64_t value) {
  KeyValue kv;
  kv.set_key(std::move(key));
  kv.mutable_value()->set_int_value(value);
  return kv;
}
KeyValue Dbl(std::string key, double value) {
  KeyValue kv;
  kv.set_key(std::move(key));
  kv.mutable_value()->set_double_value(value);
  return kv;
}
KeyValue Bool(std::string key, bool value) {
  KeyValue kv;
  kv.set_key(std::move(key));
  kv.mutable_value()->set_bool_value(value);
  return kv;
}

std::string FillRoute(const std::string& route, Rng& rng) {
  return absl::StrReplaceAll(route, {{"{id}", absl::StrCat(rng.Uniform(10000, 99999))}});
}

// The attributes a span of its kind carries, most telling first.
std::vector<KeyValue> KindAttributes(const GenSpan& s, const TraceContext& ctx, Rng& rng) {
  const Service& svc = Services()[static_cast<size_t>(s.service)];
  int status = s.error ? 500 : (s.method == "POST" ? 201 : 200);
  switch (s.kind) {
    case Kind::kHttpServer:
      return {Str("http.request.method", s.method),
              Str("http.route", s.route),
              Str("url.path", FillRoute(s.route, rng)),
              Int("http.response.status_code", status),
              Str("url.scheme", "http"),
              Str("server.address", svc.name),
              Int("server.port", 8080),
              Str("client.address",
                  absl::StrFormat("10.0.%d.%d", rng.Uniform(0, 9), rng.Uniform(2, 250))),
              Str("network.protocol.version", "1.1"),
              Str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) shop-web/4.2")};
    case Kind::kHttpClient:
      return {Str("http.request.method", s.method),
              Str("url.full", absl::StrCat("http://", s.peer, ":8080", FillRoute(s.route, rng))),
              Int("http.response.status_code", status),
              Str("server.address", s.peer),
              Int("server.port", 8080),
              Str("network.peer.address", "10.0.1.17")};
    case Kind::kDbClient:
      return {Str("db.system", "postgresql"),
              Str("db.namespace", svc.name),
              Str("db.operation.name", s.name.substr(0, s.name.find(' '))),
              Str("db.collection.name", s.name.substr(s.name.find(' ') + 1)),
              Str("db.query.text", absl::StrCat(s.name.substr(0, s.name.find(' ')), " * FROM ",
                                                s.name.substr(s.name.find(' ') + 1),
                                                " WHERE order_id = $1 AND tenant_id = $2")),
              Str("server.address", "postgres-primary"),
              Int("server.port", 5432)};
    case Kind::kProducer:
    case Kind::kConsumer:
      return {Str("messaging.system", "rabbitmq"),
              Str("messaging.destination.name", s.route),
              Str("messaging.operation.type", s.kind == Kind::kProducer ? "publish" : "process"),
              Str("messaging.message.id", BytesToHex(rng.Bytes(8))),
              Str("messaging.rabbitmq.destination.routing_key", s.route),
              Int("messaging.message.body.size", rng.Uniform(200, 4000)),
              Str("network.peer.address", "rabbitmq-0.rabbitmq")};
    case Kind::kInternal:
      return {Str("code.function.name", s.name), Str("code.file.path", "OrderService.java"),
              Int("code.line.number", rng.Uniform(20, 900))};
  }
  return {};
}

KeyValue Filler(int i, Rng& rng) {
  switch (i % 20) {
    case 0:
      return Int("thread.id", rng.Uniform(1, 200));
    case 1:
      return Str("thread.name", absl::StrCat("http-nio-8080-exec-", rng.Uniform(1, 40)));
    case 2:
      return Str("app.tenant", rng.Chance(0.7) ? "acme" : "globex");
    case 3:
      return Str("app.region", rng.Chance(0.5) ? "eu-central" : "eu-west");
    case 4:
      return Str("app.channel", rng.Chance(0.6) ? "web" : "marketplace");
    case 5:
      return Int("app.cart.items", rng.Uniform(1, 12));
    case 6:
      return Dbl("app.amount", static_cast<double>(rng.Uniform(100, 99999)) / 100);
    case 7:
      return Str("app.currency", "EUR");
    case 8:
      return Bool("app.express", rng.Chance(0.2));
    case 9:
      return Int("app.retry_count", rng.Chance(0.9) ? 0 : 1);
    case 10:
      return Str("app.feature_flag", "checkout-v2");
    case 11:
      return Str("session.id", BytesToHex(rng.Bytes(8)));
    case 12:
      return Str("app.locale", rng.Chance(0.5) ? "de-DE" : "en-GB");
    case 13:
      return Str("app.payment.method", rng.Chance(0.7) ? "card" : "invoice");
    case 14:
      return Str("app.warehouse", absl::StrCat("WH-", rng.Uniform(1, 6)));
    case 15:
      return Int("app.priority", rng.Uniform(1, 5));
    case 16:
      return Str("app.customer.segment", rng.Chance(0.3) ? "b2b" : "b2c");
    case 17:
      return Str("app.release", "2026.11.3");
    case 18:
      return Str("code.namespace", "com.example.shop.orders");
    default:
      return Str("app.sales.rep", absl::StrCat("rep-", rng.Uniform(1, 80)));
  }
}

void SetAttributes(const GenSpan& s, const TraceContext& ctx, int count, otlp::Span* span) {
  Rng rng(*ctx.rng);
  std::vector<KeyValue> attrs = {Str("order_id", ctx.order_id), Str("user_id", ctx.user_id),
                                 Str("client_id", ctx.client_id)};
  for (auto& kv : KindAttributes(s, ctx, rng)) attrs.push_back(std::move(kv));
  for (int i = static_cast<int>(rng.Uniform(0, 19)); static_cast<int>(attrs.size()) < count; ++i) {
    attrs.push_back(Filler(i, rng));
  }
  attrs.resize(std::min(attrs.size(), static_cast<size_t>(count)));
  for (auto& kv : attrs) *span->add_attributes() = std::move(kv);
}

void AddError(uint64_t at, Rng& rng, otlp::Span* span) {
  span->mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("upstream answered 503: connection reset by peer");
  auto* event = span->add_events();
  event->set_name("exception");
  event->set_time_unix_nano(at);
  *event->add_attributes() = Str("exception.type", "java.net.SocketException");
  *event->add_attributes() = Str("exception.message", "Connection reset by peer");
  *event->add_attributes() = Str(
      "exception.stacktrace",
      "java.net.SocketException: Connection reset by peer\n\tat java.base/sun.nio.ch.NioSocketImpl"
      ".implRead(NioSocketImpl.java:328)\n\tat com.example.shop.orders.OrderClient.send(OrderCli"
      "ent.java:88)\n\tat com.example.shop.orders.OrderService.place(OrderService.java:142)");
}

// A child of `parent` of a random kind, and, for a call or a message, the span that receives
// it in the callee (when `room` allows).
void AddChildren(const GenSpan& parent, int parent_index, int room, Rng& rng,
                 std::vector<GenSpan>* out) {
  uint64_t dur = std::max<uint64_t>(parent.end - parent.start, 1000);
  GenSpan c;
  c.parent = parent_index;
  c.service = parent.service;
  c.start = parent.start + static_cast<uint64_t>(rng.Uniform(0, static_cast<int64_t>(dur / 2)));
  c.end = c.start + std::max<uint64_t>(dur * static_cast<uint64_t>(rng.Uniform(10, 45)) / 100, 500);
  int64_t roll = rng.Uniform(0, 99);
  const auto& services = Services();
  if (roll < 45 || room < 2) {  // a leaf: internal work or a database call
    c.kind = roll % 9 < 4 ? Kind::kInternal : Kind::kDbClient;
    c.name = c.kind == Kind::kInternal
                 ? rng.Pick(kInternal)
                 : absl::StrCat(rng.Chance(0.7) ? "SELECT " : "INSERT ", rng.Pick(kTables));
    out->push_back(std::move(c));
    return;
  }
  GenSpan callee;
  callee.parent = static_cast<int>(out->size());
  callee.start = c.start + (c.end - c.start) / 10;
  callee.end = c.end - (c.end - c.start) / 10;
  if (roll < 75) {  // an HTTP call to another service's API
    int target = parent.service;
    while (target == parent.service || services[static_cast<size_t>(target)].routes.empty()) {
      target = static_cast<int>(rng.Uniform(0, static_cast<int64_t>(services.size()) - 1));
    }
    std::string route = rng.Pick(services[static_cast<size_t>(target)].routes);
    c.kind = Kind::kHttpClient;
    c.method = route.substr(0, route.find(' '));
    c.route = route.substr(route.find(' ') + 1);
    c.name = c.method;
    c.peer = services[static_cast<size_t>(target)].name;
    callee.service = target;
    callee.kind = Kind::kHttpServer;
    callee.method = c.method;
    callee.route = c.route;
    callee.name = route;
  } else {  // a RabbitMQ message to a consumer
    c.kind = Kind::kProducer;
    c.route = rng.Pick(kQueues);
    c.name = absl::StrCat(c.route, " publish");
    int target = parent.service;
    while (target == parent.service) target = static_cast<int>(rng.Uniform(2, 6));
    callee.service = target;
    callee.kind = Kind::kConsumer;
    callee.route = c.route;
    callee.name = absl::StrCat(c.route, " process");
  }
  out->push_back(std::move(c));
  out->push_back(std::move(callee));
}

// The spans of one trace, parents before children.
std::vector<GenSpan> GenerateTrace(int n, uint64_t start, Rng& rng) {
  std::vector<GenSpan> spans;
  GenSpan root;
  root.service = 0;
  root.kind = Kind::kHttpServer;
  std::string route = rng.Pick(Services()[0].routes);
  root.method = route.substr(0, route.find(' '));
  root.route = route.substr(route.find(' ') + 1);
  root.name = route;
  root.start = start;
  root.end = start + static_cast<uint64_t>(rng.Uniform(20, 800)) * 1'000'000;
  spans.push_back(std::move(root));
  while (static_cast<int>(spans.size()) < n) {
    int parent = static_cast<int>(rng.Uniform(0, static_cast<int64_t>(spans.size()) - 1));
    Kind k = spans[static_cast<size_t>(parent)].kind;
    if (k != Kind::kHttpServer && k != Kind::kConsumer && k != Kind::kInternal) continue;
    GenSpan p = spans[static_cast<size_t>(parent)];
    AddChildren(p, parent, n - static_cast<int>(spans.size()), rng, &spans);
  }
  for (auto& s : spans) s.span_id = rng.Bytes(8);
  return spans;
}

otlp::Resource MakeResource(int service) {
  const Service& s = Services()[static_cast<size_t>(service)];
  otlp::Resource r;
  *r.add_attributes() = Str("service.name", s.name);
  *r.add_attributes() = Str("service.version", s.version);
  *r.add_attributes() = Str("service.namespace", "shop");
  *r.add_attributes() = Str("deployment.environment.name", "production");
  *r.add_attributes() = Str("host.name", absl::StrCat(s.name, "-7d9f8c6b5-x2k4p"));
  *r.add_attributes() = Str("service.instance.id", absl::StrCat(s.name, "-7d9f8c6b5-x2k4p-1"));
  *r.add_attributes() = Str("telemetry.sdk.name", "opentelemetry");
  *r.add_attributes() = Str("telemetry.sdk.language", s.language);
  *r.add_attributes() = Str("telemetry.sdk.version", "1.38.0");
  return r;
}

int SpanKindOf(Kind k) {
  switch (k) {
    case Kind::kHttpServer:
      return otlp::Span::SPAN_KIND_SERVER;
    case Kind::kHttpClient:
    case Kind::kDbClient:
      return otlp::Span::SPAN_KIND_CLIENT;
    case Kind::kProducer:
      return otlp::Span::SPAN_KIND_PRODUCER;
    case Kind::kConsumer:
      return otlp::Span::SPAN_KIND_CONSUMER;
    case Kind::kInternal:
      return otlp::Span::SPAN_KIND_INTERNAL;
  }
  return otlp::Span::SPAN_KIND_INTERNAL;
}

// Appends one trace of `n` spans to the request's per-service ScopeSpans.
void AppendTrace(const WorkloadOptions& o, int n, std::mt19937_64& engine,
                 std::map<int, otlp::ScopeSpans*>& scopes, ExportRequest* request) {
  Rng rng(engine);
  TraceContext ctx{&engine, rng.Bytes(16), absl::StrFormat("ORD-%08d", rng.Uniform(0, 99999999)),
                   absl::StrFormat("u-%06d", rng.Uniform(0, 999999)),
                   absl::StrFormat("c-%04d", rng.Uniform(0, 9999))};
  uint64_t start = o.base_unix_nano + static_cast<uint64_t>(rng.Uniform(0, 999'999'999));
  std::vector<GenSpan> spans = GenerateTrace(n, start, rng);
  if (rng.Chance(o.error_share)) {
    spans[0].error = true;
    spans[static_cast<size_t>(rng.Uniform(0, n - 1))].error = true;
  }
  for (const GenSpan& g : spans) {
    otlp::ScopeSpans*& scope = scopes[g.service];
    if (scope == nullptr) {
      auto* rs = request->add_resource_spans();
      *rs->mutable_resource() = MakeResource(g.service);
      scope = rs->add_scope_spans();
      scope->mutable_scope()->set_name(Services()[static_cast<size_t>(g.service)].scope);
      scope->mutable_scope()->set_version("2.9.0");
    }
    otlp::Span* span = scope->add_spans();
    span->set_trace_id(ctx.trace_id);
    span->set_span_id(g.span_id);
    if (g.parent >= 0) span->set_parent_span_id(spans[static_cast<size_t>(g.parent)].span_id);
    span->set_name(g.name);
    span->set_kind(static_cast<otlp::Span::SpanKind>(SpanKindOf(g.kind)));
    span->set_start_time_unix_nano(g.start);
    span->set_end_time_unix_nano(g.end);
    span->set_flags(0x100);  // W3C trace flags: sampled, parent not remote
    SetAttributes(g, ctx, static_cast<int>(rng.Uniform(o.min_attributes, o.max_attributes)), span);
    if (g.error) AddError(g.end, rng, span);
  }
}

}  // namespace

absl::Status WorkloadOptions::Validate() const {
  if (spans_per_request < 1) return absl::InvalidArgumentError("spans per request must be >= 1");
  if (min_spans_per_trace < 1 || max_spans_per_trace < min_spans_per_trace) {
    return absl::InvalidArgumentError("spans per trace: need 1 <= min <= max");
  }
  if (min_attributes < 3 || max_attributes < min_attributes || max_attributes > 26) {
    return absl::InvalidArgumentError(
        "attributes per span: need 3 <= min <= max <= 26 (distinct keys)");
  }
  if (error_share < 0 || error_share > 1) {
    return absl::InvalidArgumentError("error share must be within [0, 1]");
  }
  if (templates < 1) return absl::InvalidArgumentError("templates must be >= 1");
  return absl::OkStatus();
}

std::vector<ExportRequest> BuildRequests(const WorkloadOptions& options) {
  std::mt19937_64 engine(options.seed);
  Rng rng(engine);
  std::vector<ExportRequest> requests(static_cast<size_t>(options.templates));
  for (auto& request : requests) {
    std::map<int, otlp::ScopeSpans*> scopes;
    for (int left = options.spans_per_request; left > 0;) {
      int n =
          static_cast<int>(rng.Uniform(options.min_spans_per_trace, options.max_spans_per_trace));
      n = std::min(n, left);
      AppendTrace(options, n, engine, scopes, &request);
      left -= n;
    }
  }
  return requests;
}

}  // namespace spanvault::bench
