#include "query/ui_handler.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

namespace fs = std::filesystem;

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto it = kTypes.find(fs::path(path).extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string InjectUiConfig(std::string index_html, const UiCapabilities& c) {
  nlohmann::json config = {{"dependencies", {{"menuEnabled", c.dependencies}}},
                           {"monitor", {{"menuEnabled", c.metrics_storage}}},
                           {"archiveEnabled", c.archive_storage}};
  nlohmann::json storage = {{"archiveStorage", c.archive_storage},
                            {"metricsStorage", c.metrics_storage}};
  nlohmann::json backend = storage;
  backend["searchWithoutServiceName"] = c.search_without_service_name;
  backend["aiAssistant"] = false;
  nlohmann::json version = {{"gitCommit", ""}, {"gitVersion", c.version}, {"buildDate", ""}};
  return absl::StrReplaceAll(
      index_html,
      {{"JAEGER_CONFIG = DEFAULT_CONFIG;", absl::StrCat("JAEGER_CONFIG = ", config.dump(), ";")},
       {"JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;",
        absl::StrCat("JAEGER_STORAGE_CAPABILITIES = ", storage.dump(), ";")},
       {"JAEGER_BACKEND_CAPABILITIES = DEFAULT_BACKEND_CAPABILITIES;",
        absl::StrCat("JAEGER_BACKEND_CAPABILITIES = ", backend.dump(), ";")},
       {"JAEGER_VERSION = DEFAULT_VERSION;",
        absl::StrCat("JAEGER_VERSION = ", version.dump(), ";")}});
}

absl::StatusOr<std::unique_ptr<UiHandler>> UiHandler::Create(const std::string& dir,
                                                             const UiCapabilities& capabilities) {
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--ui-dir ", dir, ": ", ec.message()));
  auto index = ReadFile(root / "index.html");
  if (!index.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ui-dir ", dir, " holds no index.html (is it a built Jaeger UI?)"));
  }
  return std::unique_ptr<UiHandler>(
      new UiHandler(root.string(), InjectUiConfig(std::move(*index), capabilities)));
}

HttpResponse UiHandler::ServeStatic(const std::string& path) const {
  std::error_code ec;
  fs::path file = fs::weakly_canonical(fs::path(dir_) / path.substr(1), ec);
  std::string resolved = file.string();
  if (ec || !resolved.starts_with(dir_ + "/static/") || !fs::is_regular_file(file, ec)) {
    return HttpResponse::Text(404, "not found\n");
  }
  auto body = ReadFile(file);
  if (!body.ok()) return HttpResponse::Text(404, "not found\n");
  HttpResponse r;
  r.body = std::move(*body);
  r.AddHeader("Content-Type", ContentTypeFor(resolved));
  // Bundle file names carry a content hash, so they never change.
  r.AddHeader("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

void UiHandler::Handle(HttpRequest request, HttpRespond respond) {
  if (request.method != "GET") {
    std::move(respond)(
        HttpResponse::Text(405, "method not allowed: use GET\n").AddHeader("Allow", "GET, HEAD"));
    return;
  }
  std::string path = PercentDecode(request.path, false);
  if (path.starts_with("/static/")) {
    std::move(respond)(ServeStatic(path));
    return;
  }
  HttpResponse r;
  r.body = index_html_;
  r.AddHeader("Content-Type", "text/html; charset=utf-8");
  r.AddHeader("Cache-Control", "no-cache");
  std::move(respond)(std::move(r));
}

}  // namespace spanvault
