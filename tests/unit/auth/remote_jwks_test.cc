#include "auth/remote_jwks.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::FakeClock;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://idp.example.com/realms/shop";
constexpr char kDiscovery[] =
    "https://idp.example.com/realms/shop/.well-known/openid-configuration";
constexpr char kJwksUri[] = "https://idp.example.com/realms/shop/certs";

// Two real P-256 public keys (public data only).
std::string KeySet(const std::vector<std::string>& kids) {
  static const std::map<std::string, std::string> kKeys = {
      {"k1",
       R"("x":"P-RDWXH6eS7oGjPsx2Rl2CfVQUTKa3g_B83ZLsj-Pu0","y":"qxCKL1y71OU-JvSmxXp90PWpxi6IuxNpooy86dnt258")"},
      {"k2",
       R"("x":"htWWnhRcjNOMoF0i8nXvQeAQ3R1M6wM8_aGrBiBl2mo","y":"1v8wpp6W8djE-MvsP3_uRo3yqjogqe5lI8FWT3Ppi3U")"},
  };
  std::string keys;
  for (const std::string& kid : kids) {
    if (!keys.empty()) keys += ",";
    absl::StrAppend(&keys, R"({"kty":"EC","crv":"P-256","use":"sig","kid":")", kid, R"(",)",
                    kKeys.at(kid), "}");
  }
  return absl::StrCat(R"({"keys":[)", keys, "]}");
}

// An issuer whose answers a test sets, counting requests.
class FakeIssuer {
 public:
  FakeIssuer() {
    answers_[kDiscovery] =
        absl::StrCat(R"({"issuer":")", kIssuer, R"(","jwks_uri":")", kJwksUri, R"("})");
    answers_[kJwksUri] = KeySet({"k1"});
  }
  RemoteJwksProvider::Fetch Fetch() {
    return [this](const std::string& url) -> absl::StatusOr<std::string> {
      requests_.push_back(url);
      if (down_) return absl::UnavailableError(absl::StrCat("GET ", url, ": connection refused"));
      auto it = answers_.find(url);
      if (it == answers_.end())
        return absl::UnavailableError(absl::StrCat("GET ", url, ": status 404"));
      return it->second;
    };
  }
  std::map<std::string, std::string> answers_;
  std::vector<std::string> requests_;
  bool down_ = false;
};

class RemoteJwksTest : public ::testing::Test {
 protected:
  std::unique_ptr<RemoteJwksProvider> Make(RemoteJwksOptions options = {}) {
    if (options.issuer.empty()) options.issuer = kIssuer;
    auto made = RemoteJwksProvider::Create(
        options, issuer_.Fetch(), clock_,
        [this](std::string_view note) { notes_.push_back(std::string(note)); });
    EXPECT_TRUE(made.ok()) << made.status();
    return *std::move(made);
  }

  FakeIssuer issuer_;
  FakeClock clock_;
  std::vector<std::string> notes_;
};

TEST_F(RemoteJwksTest, DiscoversTheKeysOnceAndCachesThem) {
  auto provider = Make();
  auto keys = provider->Keys();
  SV_ASSERT_OK(keys.status());
  EXPECT_EQ((*keys)->size(), 1u);
  clock_.Advance(absl::Minutes(59));
  SV_ASSERT_OK(provider->Keys().status());
  EXPECT_THAT(issuer_.requests_, ElementsAre(kDiscovery, kJwksUri));
}

TEST_F(RemoteJwksTest, RefetchesAfterTheRefreshIntervalWithoutRediscovering) {
  auto provider = Make();
  SV_ASSERT_OK(provider->Keys().status());
  issuer_.answers_[kJwksUri] = KeySet({"k1", "k2"});
  clock_.Advance(absl::Hours(1));
  auto keys = provider->Keys();
  SV_ASSERT_OK(keys.status());
  EXPECT_EQ((*keys)->size(), 2u);
  EXPECT_THAT(issuer_.requests_, ElementsAre(kDiscovery, kJwksUri, kJwksUri));
}

TEST_F(RemoteJwksTest, AnUnknownKidRefetchesAtMostEveryMinFetchInterval) {
  auto provider = Make();
  SV_ASSERT_OK(provider->Keys().status());
  issuer_.answers_[kJwksUri] = KeySet({"k2"});
  clock_.Advance(absl::Seconds(5));
  auto keys = provider->RefreshKeys();  // too soon: the cached keys
  SV_ASSERT_OK(keys.status());
  EXPECT_EQ(issuer_.requests_.size(), 2u);
  clock_.Advance(absl::Seconds(5));
  SV_ASSERT_OK(provider->RefreshKeys().status());
  EXPECT_EQ(issuer_.requests_.size(), 3u);
}

TEST_F(RemoteJwksTest, KeepsItsKeysWhileTheIssuerIsDown) {
  auto provider = Make();
  auto first = provider->Keys();
  SV_ASSERT_OK(first.status());
  issuer_.down_ = true;
  clock_.Advance(absl::Hours(2));
  auto keys = provider->Keys();
  SV_ASSERT_OK(keys.status());
  EXPECT_EQ(keys->get(), first->get());
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_THAT(notes_[0], HasSubstr("connection refused"));
  // Not asked again at every request while down.
  const size_t asked = issuer_.requests_.size();
  SV_ASSERT_OK(provider->Keys().status());
  EXPECT_EQ(issuer_.requests_.size(), asked);
}

TEST_F(RemoteJwksTest, WithoutKeysTheFailureIsReportedAndRetriedLater) {
  issuer_.down_ = true;
  auto provider = Make();
  EXPECT_THAT(provider->Keys().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(kDiscovery)));
  EXPECT_THAT(provider->Keys().status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(issuer_.requests_.size(), 1u);  // the second call did not ask again
  issuer_.down_ = false;
  clock_.Advance(absl::Seconds(10));
  SV_EXPECT_OK(provider->Keys().status());
}

TEST_F(RemoteJwksTest, AConfiguredJwksUrlSkipsDiscovery) {
  auto provider = Make({.issuer = kIssuer, .jwks_url = kJwksUri});
  SV_ASSERT_OK(provider->Keys().status());
  EXPECT_THAT(issuer_.requests_, ElementsAre(kJwksUri));
}

TEST_F(RemoteJwksTest, RefusesADiscoveryDocumentOfAnotherIssuer) {
  issuer_.answers_[kDiscovery] =
      absl::StrCat(R"({"issuer":"https://evil.example","jwks_uri":")", kJwksUri, R"("})");
  auto provider = Make();
  EXPECT_THAT(provider->Keys().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("https://evil.example")));
}

TEST_F(RemoteJwksTest, RefusesAPlainHttpJwksUri) {
  issuer_.answers_[kDiscovery] =
      absl::StrCat(R"({"issuer":")", kIssuer, R"(","jwks_uri":"http://idp.example.com/certs"})");
  auto provider = Make();
  EXPECT_THAT(provider->Keys().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not an https URL")));
}

TEST_F(RemoteJwksTest, RefusesAMalformedKeySet) {
  issuer_.answers_[kJwksUri] = R"({"keys":"nope"})";
  auto provider = Make();
  EXPECT_THAT(provider->Keys().status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(kJwksUri)));
}

TEST(RemoteJwksCreate, RequiresHttpsUrls) {
  FakeClock clock;
  auto fetch = [](const std::string&) -> absl::StatusOr<std::string> { return ""; };
  EXPECT_THAT(
      RemoteJwksProvider::Create({.issuer = "http://idp.example.com"}, fetch, clock).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("https")));
  EXPECT_THAT(
      RemoteJwksProvider::Create({.issuer = kIssuer, .jwks_url = "file:///etc/keys"}, fetch, clock)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("jwks_url")));
  EXPECT_TRUE(IsHttpsUrl("https://a"));
  EXPECT_FALSE(IsHttpsUrl("https://"));
  EXPECT_FALSE(IsHttpsUrl("https:///path"));
}

}  // namespace
}  // namespace spanvault
