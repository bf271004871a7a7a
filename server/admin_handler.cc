#include "server/admin_handler.h"

#include "absl/strings/str_cat.h"

namespace spanvault {

void AdminHandler::Handle(HttpRequest request, HttpRespond respond) {
  if (request.method != "GET") {
    std::move(respond)(
        HttpResponse::Text(405, "only GET is allowed here\n").AddHeader("Allow", "GET, HEAD"));
    return;
  }
  if (request.path == "/healthz") {
    std::move(respond)(HttpResponse::Text(200, "ok\n"));
  } else if (request.path == "/readyz") {
    absl::Status ready = ready_();
    if (ready.ok()) {
      std::move(respond)(HttpResponse::Text(200, "ready\n"));
    } else {
      std::move(respond)(
          HttpResponse::Text(503, absl::StrCat("not ready: ", ready.message(), "\n")));
    }
  } else if (request.path == "/metrics") {
    HttpResponse r = HttpResponse::Text(200, metrics_.Render());
    r.headers.clear();
    r.AddHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    std::move(respond)(std::move(r));
  } else {
    std::move(respond)(HttpResponse::Text(404, "not found: try /healthz, /readyz or /metrics\n"));
  }
}

}  // namespace spanvault
