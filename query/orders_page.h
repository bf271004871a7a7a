#pragma once

// The orders page (docs/orders.md, "The orders page"): plain HTML, CSS and JavaScript under
// query/orders_page/, embedded into the binary at build time and served by the query listener
// at /orders, so it works without --ui-dir and needs nothing built at install time. The page
// reads only /api/flows and /api/orders*, so QueryService's checks and redaction apply to all
// it shows.

#include <string_view>

#include "common/http.h"

namespace spanvault {

// True for the paths the page owns: /orders and everything under /orders/.
bool IsOrdersPagePath(std::string_view path);

// The answer to `request` for a path IsOrdersPagePath accepts (the caller is already
// authenticated): the page at /orders and /orders/, its assets at /orders/orders.{js,css},
// with no-cache and a strict Content-Security-Policy (no inline script, same-origin only);
// HEAD answers the same headers without a body. 404 for any other path under /orders/, 405
// (with Allow) for methods other than GET and HEAD.
HttpResponse OrdersPageResponse(const HttpRequest& request);

}  // namespace spanvault
