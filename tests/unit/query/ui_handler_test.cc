#include "query/ui_handler.h"

#include <filesystem>
#include <fstream>
#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIndex[] =
    "<html><script>const JAEGER_CONFIG = DEFAULT_CONFIG;\n"
    "const JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;\n"
    "const JAEGER_BACKEND_CAPABILITIES = DEFAULT_BACKEND_CAPABILITIES;\n"
    "const JAEGER_VERSION = DEFAULT_VERSION;</script></html>";

class UiHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/ui/static");
    std::ofstream(dir_.path() + "/ui/index.html") << kIndex;
    std::ofstream(dir_.path() + "/ui/static/app-123.js") << "console.log(1)";
    std::ofstream(dir_.path() + "/secret.txt") << "outside";
    auto ui = UiHandler::Create(dir_.path() + "/ui", UiCapabilities{});
    SV_ASSERT_OK(ui);
    ui_ = std::move(*ui);
  }
  HttpResponse Get(const std::string& path) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    std::optional<HttpResponse> response;
    ui_->Handle(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    return response.value_or(HttpResponse{});
  }

  testing::TempDir dir_;
  std::unique_ptr<UiHandler> ui_;
};

TEST_F(UiHandlerTest, ServesIndexWithInjectedConfigForEveryRoute) {
  for (const char* path : {"/", "/search", "/trace/abc", "/dependencies"}) {
    HttpResponse r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.Header("Cache-Control"), "no-cache");
    EXPECT_THAT(r.body, Not(HasSubstr("DEFAULT_")));
    EXPECT_THAT(r.body, HasSubstr("\"dependencies\":{\"menuEnabled\":false}"));
    EXPECT_THAT(r.body, HasSubstr("\"searchWithoutServiceName\":true"));
    EXPECT_THAT(r.body, HasSubstr("\"archiveStorage\":false"));
  }
}

TEST_F(UiHandlerTest, ServesStaticFilesWithCacheHeaders) {
  HttpResponse r = Get("/static/app-123.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(r.Header("Cache-Control"), HasSubstr("immutable"));
  EXPECT_EQ(Get("/static/missing.js").status, 404);
}

TEST_F(UiHandlerTest, NeverServesFilesOutsideTheBundle) {
  EXPECT_EQ(Get("/static/../../secret.txt").status, 404);
  EXPECT_EQ(Get("/static/%2e%2e/%2e%2e/secret.txt").status, 404);
  EXPECT_EQ(Get("/static/..%2f..%2fsecret.txt").status, 404);
  EXPECT_EQ(Get("/static/../index.html").status, 404);  // inside the bundle, but not static
}

TEST(UiHandlerCreateTest, RejectsADirectoryWithoutIndex) {
  testing::TempDir dir;
  EXPECT_THAT(UiHandler::Create(dir.path(), UiCapabilities{}),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no index.html")));
}

}  // namespace
}  // namespace spanvault
