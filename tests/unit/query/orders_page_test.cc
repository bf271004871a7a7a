// The orders page as the query listener serves it (query/orders_page.h through JaegerHttpApi):
// its routes and content types, the no-cache and CSP headers, 404/405, and the same
// authentication as the API.

#include "query/orders_page.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/jaeger_http_api.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class OrdersPageTest : public ::testing::Test {
 protected:
  HttpResponse Send(JaegerHttpApi& api, const std::string& path, const std::string& method = "GET",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest request;
    request.method = method;
    size_t q = path.find('?');
    request.path = path.substr(0, q);
    if (q != std::string::npos) request.query = path.substr(q + 1);
    request.headers = std::move(headers);
    std::optional<HttpResponse> response;
    api.Handle(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    return response.value_or(HttpResponse{});
  }
  HttpResponse Get(const std::string& path, const std::string& method = "GET") {
    return Send(api_, path, method);
  }

  std::unique_ptr<TraceStore> store_ = NewMemoryTraceStore({});
  QueryService queries_{{}, *store_};
  JaegerHttpApi api_{queries_, nullptr};  // no --ui-dir: the page is served all the same
};

void ExpectPageHeaders(const HttpResponse& r) {
  EXPECT_EQ(r.Header("Cache-Control"), "no-cache");
  std::string_view csp = r.Header("Content-Security-Policy");
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("script-src 'self';"));
  EXPECT_THAT(csp, HasSubstr("connect-src 'self'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-eval")));
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
}

TEST_F(OrdersPageTest, ServesThePageWithoutInlineScript) {
  for (const char* path : {"/orders", "/orders/", "/orders?flow=order&key=o-1"}) {
    HttpResponse r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
    ExpectPageHeaders(r);
    EXPECT_THAT(r.body, HasSubstr("<script src=\"/orders/orders.js\" defer></script>"));
    EXPECT_THAT(r.body, HasSubstr("href=\"/orders/orders.css\""));
    // The CSP forbids inline script and style: the page must not need any.
    EXPECT_THAT(r.body, Not(HasSubstr("<script>")));
    EXPECT_THAT(r.body, Not(HasSubstr("<style")));
    EXPECT_THAT(r.body, Not(HasSubstr("style=")));
    EXPECT_THAT(r.body, Not(HasSubstr(" onclick=")));
  }
}

TEST_F(OrdersPageTest, ServesItsAssetsWithTheirTypes) {
  HttpResponse js = Get("/orders/orders.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("/api/orders"));
  EXPECT_THAT(js.body, HasSubstr("/api/flows"));
  EXPECT_THAT(js.body, Not(HasSubstr("innerHTML")));  // span data is hostile
  ExpectPageHeaders(js);
  HttpResponse css = Get("/orders/orders.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.Header("Content-Type"), "text/css; charset=utf-8");
  ExpectPageHeaders(css);
}

TEST_F(OrdersPageTest, UnknownAssetsAre404AndOtherMethods405) {
  for (const char* path : {"/orders/nope.js", "/orders/../etc/passwd", "/orders/orders.js/x"}) {
    EXPECT_EQ(Get(path).status, 404) << path;
  }
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    HttpResponse r = Get("/orders", method);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  }
  // Only /orders and what is under it belong to the page.
  EXPECT_FALSE(IsOrdersPagePath("/ordersx"));
  EXPECT_EQ(Get("/orders-archive").status, 404);
  EXPECT_THAT(Get("/orders-archive").body, HasSubstr("--ui-dir"));
}

TEST_F(OrdersPageTest, AsksAnUnauthenticatedBrowserForCredentials) {
  JaegerHttpApi api{queries_, nullptr, [](const HttpRequest& request) -> absl::StatusOr<Principal> {
                      if (request.Header("authorization") == "Basic ok") {
                        return Principal::Anonymous("127.0.0.1");
                      }
                      return absl::UnauthenticatedError("credentials required");
                    }};
  for (const char* path : {"/orders", "/orders/orders.js", "/orders/nope"}) {
    HttpResponse r = Send(api, path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_THAT(r.Header("WWW-Authenticate"), HasSubstr("Basic realm="));
    EXPECT_THAT(r.body, Not(HasSubstr("orders.js")));
  }
  EXPECT_EQ(Send(api, "/orders", "GET", {{"authorization", "Basic ok"}}).status, 200);
}

}  // namespace
}  // namespace spanvault
