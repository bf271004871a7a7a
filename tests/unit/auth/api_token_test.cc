#include "auth/api_token.h"

#include "auth/base64.h"
#include "common/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault {
namespace {

using ::testing::MatchesRegex;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(ApiTokenTest, MadeTokenHasTheFormatAndParsesBack) {
  absl::StatusOr<NewApiToken> made = MakeApiToken("ci", "alice", {"dev"}, kNow, std::nullopt);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_THAT(made->token, MatchesRegex("svt_[0-9a-f]{16}_[0-9a-f]{64}"));
  EXPECT_EQ(made->record.name, "ci");
  EXPECT_EQ(made->record.owner, "alice");
  EXPECT_EQ(made->record.created, kNow);
  EXPECT_EQ(made->record.secret_sha256.size(), 32u);
  // The record never holds the secret itself.
  std::optional<PresentedToken> parsed = ParseApiToken(made->token);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, made->record.id);
  EXPECT_EQ(made->token.find(HexEncode(made->record.secret_sha256)), std::string::npos);
  EXPECT_TRUE(ApiTokenSecretMatches(made->record, parsed->secret));
}

TEST(ApiTokenTest, WrongSecretDoesNotMatch) {
  absl::StatusOr<NewApiToken> a = MakeApiToken("a", "o", {}, kNow, std::nullopt);
  absl::StatusOr<NewApiToken> b = MakeApiToken("b", "o", {}, kNow, std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->record.id, b->record.id);
  EXPECT_FALSE(ApiTokenSecretMatches(a->record, ParseApiToken(b->token)->secret));
  std::string flipped = ParseApiToken(a->token)->secret;
  flipped[63] = flipped[63] == '0' ? '1' : '0';
  EXPECT_FALSE(ApiTokenSecretMatches(a->record, flipped));
}

TEST(ApiTokenTest, ParseIsStrict) {
  const std::string id(16, 'a'), secret(64, '0');
  EXPECT_TRUE(ParseApiToken("svt_" + id + "_" + secret).has_value());
  EXPECT_FALSE(ParseApiToken("svt_" + id + "_" + secret + "0").has_value());
  EXPECT_FALSE(ParseApiToken("svt_" + id + "_" + secret.substr(1)).has_value());
  EXPECT_FALSE(ParseApiToken("svt_" + id + "-" + secret).has_value());
  EXPECT_FALSE(ParseApiToken("SVT_" + id + "_" + secret).has_value());
  EXPECT_FALSE(ParseApiToken("svt_" + std::string(16, 'A') + "_" + secret).has_value());
  EXPECT_FALSE(ParseApiToken("svt_" + id + "_" + std::string(64, 'g')).has_value());
  EXPECT_FALSE(ParseApiToken("").has_value());
  EXPECT_TRUE(IsApiTokenText("svt_x"));
  EXPECT_FALSE(IsApiTokenText("eyJhbGciOi"));
}

TEST(ApiTokenTest, UsableUntilExpiryUnlessRevoked) {
  ApiToken token;
  EXPECT_TRUE(ApiTokenUsable(token, kNow));
  token.expires = kNow + absl::Hours(1);
  EXPECT_TRUE(ApiTokenUsable(token, kNow));
  EXPECT_FALSE(ApiTokenUsable(token, kNow + absl::Hours(1)));
  token.expires.reset();
  token.revoked = true;
  EXPECT_FALSE(ApiTokenUsable(token, kNow));
}

TEST(Base64Test, UrlDecodingIsStrict) {
  EXPECT_EQ(Base64UrlDecode("aGk"), "hi");
  EXPECT_EQ(Base64UrlDecode("_-8"), std::string("\xff\xef", 2));
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_FALSE(Base64UrlDecode("aGk=").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("aGl").has_value());   // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("a").has_value());     // impossible length
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());  // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("aG k").has_value());
}

TEST(Base64Test, StandardDecodingRequiresPadding) {
  EXPECT_EQ(Base64Decode("dXNlcjpwdw=="), "user:pw");
  EXPECT_EQ(Base64Decode("YWJj"), "abc");
  EXPECT_FALSE(Base64Decode("dXNlcjpwdw").has_value());
  EXPECT_FALSE(Base64Decode("dXNlcjpwdx==").has_value());  // trailing bits
  EXPECT_FALSE(Base64Decode("dXNl=jpw").has_value());
  EXPECT_FALSE(Base64Decode("dXNlcjpwdw=").has_value());
  EXPECT_FALSE(Base64Decode("Y===").has_value());
  EXPECT_FALSE(Base64Decode("_-8A").has_value());
}

TEST(Base64Test, UrlEncodeRoundTrips) {
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"),
                            std::string("abc"), std::string("\x00\xff\xfe\x10", 4)}) {
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes);
  }
  EXPECT_EQ(Base64UrlEncode("\xff\xef"), "_-8");
}

TEST(SecretTest, ShaHexAndEquality) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string out;
  EXPECT_TRUE(HexDecode("00ff10", &out));
  EXPECT_EQ(out, std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0", &out));
  EXPECT_FALSE(HexDecode("0G", &out));
  EXPECT_TRUE(SecretEquals("abc", "abc"));
  EXPECT_FALSE(SecretEquals("abc", "abd"));
  EXPECT_FALSE(SecretEquals("abc", "abcd"));
  std::string secret = "hunter2";
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace spanvault
