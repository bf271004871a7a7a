#include "auth/password.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Cheap parameters so the tests stay fast; the format and checks are the same.
constexpr PasswordHashParams kFast{.memory_kib = 64, .iterations = 1, .parallelism = 1};

TEST(PasswordTest, HashIsArgon2idPhcStringAndVerifies) {
  absl::StatusOr<std::string> hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=64,t=1,p=1$"));
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse ", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordTest, SaltIsRandom) {
  absl::StatusOr<std::string> a = HashPassword("same", kFast);
  absl::StatusOr<std::string> b = HashPassword("same", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(PasswordTest, DefaultParametersAreOwasp) {
  absl::StatusOr<std::string> hash = HashPassword("pw");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(VerifyPassword("pw", *hash));
  EXPECT_FALSE(NeedsRehash(*hash));
}

TEST(PasswordTest, MalformedOrOtherHashesDoNotVerify) {
  EXPECT_FALSE(VerifyPassword("pw", ""));
  EXPECT_FALSE(VerifyPassword("pw", "$argon2id$v=19$m=64,t=1,p=1$bad"));
  EXPECT_FALSE(VerifyPassword("pw", "pw"));
  // An argon2i hash (not id) is refused even when it would match.
  EXPECT_FALSE(VerifyPassword(
      "password",
      "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"));
}

TEST(PasswordTest, TooLongPasswordIsRefused) {
  std::string long_password(kMaxPasswordBytes + 1, 'x');
  EXPECT_THAT(HashPassword(long_password, kFast),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  absl::StatusOr<std::string> hash = HashPassword(std::string(kMaxPasswordBytes, 'x'), kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(VerifyPassword(long_password, *hash));
}

TEST(PasswordTest, NeedsRehashWhenWeakerThanCurrent) {
  absl::StatusOr<std::string> weak = HashPassword("pw", kFast);
  ASSERT_TRUE(weak.ok());
  EXPECT_TRUE(NeedsRehash(*weak));  // against the OWASP defaults
  EXPECT_FALSE(NeedsRehash(*weak, kFast));
  EXPECT_TRUE(NeedsRehash(*weak, {.memory_kib = 64, .iterations = 2, .parallelism = 1}));
  EXPECT_TRUE(NeedsRehash(*weak, {.memory_kib = 128, .iterations = 1, .parallelism = 1}));
  EXPECT_FALSE(NeedsRehash(*weak, {.memory_kib = 32, .iterations = 1, .parallelism = 1}));
  EXPECT_TRUE(NeedsRehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
  EXPECT_TRUE(NeedsRehash("$argon2id$v=16$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
  EXPECT_TRUE(NeedsRehash("$argon2id$v=19$m=19456,t=x,p=1$c2FsdA$aGFzaA"));
  EXPECT_TRUE(NeedsRehash("garbage"));
}

TEST(PasswordTest, GeneratedPasswordsAreUrlSafeAndDistinct) {
  absl::StatusOr<std::string> a = GeneratePassword();
  absl::StatusOr<std::string> b = GeneratePassword();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 24u);
  EXPECT_NE(*a, *b);
  EXPECT_THAT(*a, ::testing::MatchesRegex("[A-Za-z0-9_-]+"));
  absl::StatusOr<std::string> longer = GeneratePassword(40);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->size(), 40u);
}

}  // namespace
}  // namespace spanvault
