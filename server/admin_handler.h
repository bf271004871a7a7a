#pragma once

// AdminHandler: /healthz, /readyz and /metrics on the admin listener.

#include <functional>

#include "absl/status/status.h"
#include "common/http.h"
#include "common/metrics.h"

namespace spanvault {

// Thread-safe.
class AdminHandler final : public HttpHandler {
 public:
  // `ready` says whether the server can take traffic and, if not, why (shown by /readyz).
  // `metrics` must outlive the handler.
  AdminHandler(MetricsRegistry& metrics, std::function<absl::Status()> ready)
      : metrics_(metrics), ready_(std::move(ready)) {}

  void Handle(HttpRequest request, HttpRespond respond) override;

 private:
  MetricsRegistry& metrics_;
  const std::function<absl::Status()> ready_;
};

}  // namespace spanvault
