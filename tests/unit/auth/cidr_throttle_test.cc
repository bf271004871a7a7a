#include "auth/cidr.h"
#include "auth/login_throttle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::FakeClock;
using ::spanvault::testing::IsOk;
using ::spanvault::testing::StatusIs;
using ::testing::HasSubstr;

CidrSet Set(const std::vector<std::string>& blocks) {
  absl::StatusOr<CidrSet> set = CidrSet::Parse(blocks);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : CidrSet();
}

TEST(CidrTest, Ipv4Blocks) {
  CidrSet set = Set({"10.0.0.0/8", "192.168.1.7"});
  EXPECT_TRUE(set.Contains("10.1.2.3"));
  EXPECT_TRUE(set.Contains("10.255.255.255"));
  EXPECT_FALSE(set.Contains("11.0.0.0"));
  EXPECT_TRUE(set.Contains("192.168.1.7"));
  EXPECT_FALSE(set.Contains("192.168.1.8"));
  EXPECT_TRUE(set.Contains("::ffff:10.0.0.1"));  // IPv4-mapped, as dual-stack sockets report
  EXPECT_TRUE(set.Contains("10.0.0.1:5555"));
  EXPECT_TRUE(set.Contains("ipv4:10.0.0.1:5555"));  // gRPC peer form
  EXPECT_FALSE(set.Contains("unix:/tmp/socket"));
  EXPECT_FALSE(set.Contains(""));
  EXPECT_FALSE(set.Contains("10.0.0"));
}

TEST(CidrTest, Ipv6Blocks) {
  CidrSet set = Set({"2001:db8::/32", "::1/128", "fc00::/7"});
  EXPECT_TRUE(set.Contains("2001:db8:1::5"));
  EXPECT_FALSE(set.Contains("2001:db9::1"));
  EXPECT_TRUE(set.Contains("::1"));
  EXPECT_TRUE(set.Contains("[::1]:8080"));
  EXPECT_TRUE(set.Contains("ipv6:[::1]:8080"));
  EXPECT_TRUE(set.Contains("ipv6:%5B::1%5D:8080"));
  EXPECT_TRUE(set.Contains("fdff::1"));
  EXPECT_FALSE(set.Contains("fe80::1%eth0"));
  EXPECT_TRUE(Set({"fe80::/10"}).Contains("fe80::1%eth0"));
  EXPECT_FALSE(set.Contains("127.0.0.1"));
  EXPECT_FALSE(set.Contains("::2"));
}

TEST(CidrTest, EdgePrefixes) {
  EXPECT_TRUE(Set({"0.0.0.0/0"}).Contains("8.8.8.8"));
  EXPECT_FALSE(Set({"0.0.0.0/0"}).Contains("2001:db8::1"));
  EXPECT_TRUE(Set({"::/0"}).Contains("2001:db8::1"));
  EXPECT_TRUE(Set({"10.0.0.128/25"}).Contains("10.0.0.200"));
  EXPECT_FALSE(Set({"10.0.0.128/25"}).Contains("10.0.0.127"));
  EXPECT_FALSE(Set({}).Contains("10.0.0.1"));
}

TEST(CidrTest, ParseErrorsNameTheEntry) {
  EXPECT_THAT(CidrBlock::Parse("10.0.0.1/8"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host bits")));
  EXPECT_THAT(CidrBlock::Parse("10.0.0.0/33"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("10.0.0.0/33")));
  EXPECT_THAT(CidrBlock::Parse("::/129"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CidrBlock::Parse("10.0.0.0/"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CidrBlock::Parse("10.0.0.0/-1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CidrBlock::Parse("example.com/8"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CidrSet::Parse({"10.0.0.0/8", "bad"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"bad\"")));
  EXPECT_THAT(CidrBlock::Parse("fd00::/8"), IsOk());
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  void Fail(int times) {
    for (int i = 0; i < times; ++i) throttle_.RecordFailure("user:alice");
  }
  FakeClock clock_;
  LoginThrottle throttle_{{.max_failures = 3,
                           .window = absl::Minutes(10),
                           .first_lockout = absl::Minutes(1),
                           .max_lockout = absl::Minutes(5)},
                          clock_};
};

TEST_F(LoginThrottleTest, LocksOutAfterMaxFailuresWithRetryAfter) {
  Fail(2);
  SV_EXPECT_OK(throttle_.Check("user:alice"));
  Fail(1);
  absl::Status status = throttle_.Check("user:alice");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 60")));
  EXPECT_EQ(RetryAfterOf(status), absl::Seconds(60));
  EXPECT_EQ(status.message().find("alice"), absl::string_view::npos);
  SV_EXPECT_OK(throttle_.Check("user:bob"));
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(RetryAfterOf(throttle_.Check("user:alice")), absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  SV_EXPECT_OK(throttle_.Check("user:alice"));
}

TEST_F(LoginThrottleTest, LockoutDoublesUpToTheCap) {
  const absl::Duration expected[] = {absl::Minutes(1), absl::Minutes(2), absl::Minutes(4),
                                     absl::Minutes(5), absl::Minutes(5)};
  for (absl::Duration lockout : expected) {
    Fail(3);
    EXPECT_EQ(RetryAfterOf(throttle_.Check("user:alice")), lockout);
    clock_.Advance(lockout);
    SV_EXPECT_OK(throttle_.Check("user:alice"));
  }
}

TEST_F(LoginThrottleTest, FailuresOutsideTheWindowDoNotAddUp) {
  Fail(2);
  clock_.Advance(absl::Minutes(11));
  Fail(2);
  SV_EXPECT_OK(throttle_.Check("user:alice"));
}

TEST_F(LoginThrottleTest, SuccessForgets) {
  Fail(3);
  clock_.Advance(absl::Minutes(1));
  throttle_.RecordSuccess("user:alice");
  Fail(3);
  EXPECT_EQ(RetryAfterOf(throttle_.Check("user:alice")), absl::Minutes(1));  // not 2
}

TEST_F(LoginThrottleTest, BoundedKeys) {
  LoginThrottle small({.max_failures = 1, .max_keys = 2}, clock_);
  small.RecordFailure("a");
  small.RecordFailure("b");
  EXPECT_FALSE(small.Check("a").ok());
  EXPECT_FALSE(small.Check("b").ok());
  small.RecordFailure("c");  // every tracked key is locked out: c is not tracked
  SV_EXPECT_OK(small.Check("c"));
  clock_.Advance(absl::Hours(2));
  small.RecordFailure("c");  // a and b are idle now and make room
  EXPECT_FALSE(small.Check("c").ok());
  EXPECT_FALSE(RetryAfterOf(absl::InternalError("x")).has_value());
}

}  // namespace
}  // namespace spanvault
