#pragma once

// UiHandler: serves a built Jaeger UI bundle (index.html + static/) as a single-page app.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/http.h"

namespace spanvault {

// What the UI is told about the backend (injected into index.html).
struct UiCapabilities {
  bool archive_storage = false;
  bool metrics_storage = false;
  bool dependencies = false;
  bool search_without_service_name = true;
  std::string version = "spanvault";
};

// Serves files under DIR/static with long-lived cache headers, and index.html (with the
// backend's config and capability placeholders filled in) for every other GET path, so the
// UI's client-side routes (/search, /trace/<id>, ...) load. Never serves a file outside
// DIR/static.
// Thread-safe.
class UiHandler final : public HttpHandler {
 public:
  // Reads DIR/index.html. kInvalidArgument when DIR has no index.html.
  static absl::StatusOr<std::unique_ptr<UiHandler>> Create(const std::string& dir,
                                                           const UiCapabilities& capabilities);

  void Handle(HttpRequest request, HttpRespond respond) override;

 private:
  UiHandler(std::string dir, std::string index_html)
      : dir_(std::move(dir)), index_html_(std::move(index_html)) {}
  HttpResponse ServeStatic(const std::string& path) const;

  const std::string dir_;         // canonical
  const std::string index_html_;  // with placeholders replaced
};

// index.html with the Jaeger backend placeholders replaced (JAEGER_CONFIG,
// JAEGER_STORAGE_CAPABILITIES, JAEGER_BACKEND_CAPABILITIES, JAEGER_VERSION).
std::string InjectUiConfig(std::string index_html, const UiCapabilities& capabilities);

}  // namespace spanvault
