#include "query/orders_page.h"

#include <array>
#include <string>

namespace spanvault {
namespace {

// kOrdersHtml, kOrdersCss, kOrdersJs: query/orders_page/* as raw string literals, generated
// by query/CMakeLists.txt.
#include "query/orders_page_assets.inc"

struct Asset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

constexpr std::array<Asset, 4> kAssets = {{
    {"/orders", "text/html; charset=utf-8", kOrdersHtml},
    {"/orders/", "text/html; charset=utf-8", kOrdersHtml},
    {"/orders/orders.css", "text/css; charset=utf-8", kOrdersCss},
    {"/orders/orders.js", "text/javascript; charset=utf-8", kOrdersJs},
}};

// The page shows span data, which is hostile: only its own script runs, it talks only to its
// own origin, and no other site may frame it.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

HttpResponse WithPageHeaders(HttpResponse r) {
  r.AddHeader("Content-Security-Policy", kContentSecurityPolicy);
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.AddHeader("Referrer-Policy", "same-origin");
  // A new binary brings a new page: the browser asks again rather than mix versions.
  r.AddHeader("Cache-Control", "no-cache");
  return r;
}

}  // namespace

bool IsOrdersPagePath(std::string_view path) {
  return path == "/orders" || path.starts_with("/orders/");
}

HttpResponse OrdersPageResponse(const HttpRequest& request) {
  if (request.method != "GET") {
    return WithPageHeaders(HttpResponse::Text(405, "method not allowed: use GET\n"))
        .AddHeader("Allow", "GET, HEAD");
  }
  for (const Asset& asset : kAssets) {
    if (request.path != asset.path) continue;
    HttpResponse r;
    r.body = std::string(asset.body);
    r.AddHeader("Content-Type", std::string(asset.content_type));
    return WithPageHeaders(std::move(r));
  }
  return WithPageHeaders(HttpResponse::Text(404, "not found\n"));
}

}  // namespace spanvault
