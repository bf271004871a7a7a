#include "cli/credentials.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "cli/flag_parsing.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace spanvault::cli {
namespace {

absl::StatusOr<std::string> NoStdin() { return absl::InternalError("stdin read"); }

TEST(CredentialsTest, BasicAuthorizationIsBase64OfUserColonPassword) {
  EXPECT_EQ(BasicAuthorization("admin", "s3cret"), "Basic YWRtaW46czNjcmV0");
  EXPECT_EQ(BasicAuthorization("a", "b:c"), "Basic YTpiOmM=");
}

TEST(CredentialsTest, TokenWinsOverUserAndStoredToken) {
  CredentialSources sources{.token = "svt_x", .user = "bob", .env_password = "pw"};
  auto authorization = ResolveAuthorization(sources, StoredCredentials{"s", "svt_stored"}, NoStdin);
  ASSERT_TRUE(authorization.ok());
  EXPECT_EQ(*authorization, "Bearer svt_x");
}

TEST(CredentialsTest, UserTakesThePasswordFromStdinBeforeTheEnvironment) {
  CredentialSources sources{.user = "bob", .password_stdin = true, .env_password = "env"};
  auto authorization = ResolveAuthorization(
      sources, std::nullopt, []() -> absl::StatusOr<std::string> { return "piped"; });
  ASSERT_TRUE(authorization.ok());
  EXPECT_EQ(*authorization, BasicAuthorization("bob", "piped"));
  sources.password_stdin = false;
  EXPECT_EQ(*ResolveAuthorization(sources, std::nullopt, NoStdin),
            BasicAuthorization("bob", "env"));
}

TEST(CredentialsTest, UserWithoutPasswordIsRefusedSayingHowToGiveOne) {
  CredentialSources sources{.user = "bob"};
  auto authorization = ResolveAuthorization(sources, std::nullopt, NoStdin);
  EXPECT_EQ(authorization.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(authorization.status().message()).find("SPANVAULT_PASSWORD"),
            std::string::npos);
}

TEST(CredentialsTest, StoredTokenIsTheFallbackAndNothingMeansNoHeader) {
  auto stored = ResolveAuthorization({}, StoredCredentials{"s", "svt_stored"}, NoStdin);
  EXPECT_EQ(*stored, "Bearer svt_stored");
  EXPECT_EQ(*ResolveAuthorization({}, std::nullopt, NoStdin), "");
}

TEST(CredentialsTest, ReadPasswordLineTakesTheFirstLineWithoutItsEnding) {
  std::istringstream in("pass word\r\nsecond\n");
  EXPECT_EQ(*ReadPasswordLine(in), "pass word");
  std::istringstream empty("");
  EXPECT_EQ(ReadPasswordLine(empty).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CredentialsTest, SaveCreatesAPrivateDirectoryAndFileThatLoadReads) {
  testing::TempDir dir;
  std::string path = dir.path() + "/config/spanvault/credentials";
  ASSERT_TRUE(SaveCredentials(path, {"127.0.0.1:1", "svt_abc"}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() + "/config/spanvault").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto loaded = LoadCredentials(path);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->server, "127.0.0.1:1");
  EXPECT_EQ((*loaded)->token, "svt_abc");
}

TEST(CredentialsTest, LoadOfAMissingFileIsNothingAndOfGarbageAnError) {
  testing::TempDir dir;
  auto missing = LoadCredentials(dir.path() + "/none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  std::ofstream(dir.path() + "/bad") << "not json";
  EXPECT_EQ(LoadCredentials(dir.path() + "/bad").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FlagParsingTest, ExpirySeconds) {
  EXPECT_EQ(*ExpirySeconds("--expires", "720h"), 720 * 3600);
  EXPECT_EQ(*ExpirySeconds("--expires", ""), 0);
  EXPECT_EQ(*ExpirySeconds("--expires", "never"), 0);
  EXPECT_EQ(ExpirySeconds("--expires", "soon").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpirySeconds("--expires", "10ms").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagParsingTest, SplitListTakesCommasAndRepeatsAndDropsBlanks) {
  EXPECT_EQ(SplitList({"shop-api, crm-*", "", "mes-*,"}),
            (std::vector<std::string>{"shop-api", "crm-*", "mes-*"}));
  EXPECT_TRUE(SplitList({}).empty());
}

}  // namespace
}  // namespace spanvault::cli
