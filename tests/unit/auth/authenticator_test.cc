#include "auth/authenticator.h"

#include "absl/strings/escaping.h"
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
using ::testing::IsEmpty;

constexpr PasswordHashParams kFast{.memory_kib = 64, .iterations = 1, .parallelism = 1};

std::string Basic(std::string_view user_password) {
  return "Basic " +
         absl::Base64Escape(absl::string_view(user_password.data(), user_password.size()));
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    identities_ = *IdentityStore::Open(kv_, clock_, {.password_params = kFast});
    ASSERT_TRUE(identities_->Bootstrap().ok());
    ASSERT_TRUE(identities_->CreateUser("alice", "alice-password", {"support"}).ok());
    ASSERT_TRUE(identities_->CreateUser("robot", "robot-password", {"devops"}).ok());
    authenticator_ = Make({});
  }

  std::unique_ptr<Authenticator> Make(AuthenticatorOptions options) {
    options.on_note = [this](std::string_view note) { notes_.emplace_back(note); };
    absl::StatusOr<std::unique_ptr<Authenticator>> made =
        Authenticator::Create(std::move(options), *identities_, nullptr, clock_);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? std::move(*made) : nullptr;
  }

  absl::StatusOr<Principal> Auth(std::string authorization, std::string remote = "10.0.0.5") {
    return authenticator_->Authenticate({std::move(authorization), std::move(remote)});
  }

  MemoryKvStore kv_;
  FakeClock clock_;
  std::unique_ptr<IdentityStore> identities_;
  std::unique_ptr<Authenticator> authenticator_;
  std::vector<std::string> notes_;
};

TEST_F(AuthenticatorTest, BasicLogin) {
  absl::StatusOr<Principal> principal = Auth(Basic("alice:alice-password"));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->method, "basic");
  EXPECT_EQ(principal->remote_address, "10.0.0.5");
  EXPECT_THAT(principal->roles, ElementsAre("support"));
  EXPECT_TRUE(principal->access->Allows(Action::kTracesRead));
  EXPECT_FALSE(principal->access->Allows(Action::kAdminUsers));
  // The scheme is case-insensitive; the password may contain colons.
  SV_ASSERT_OK(identities_->SetUserPassword("robot", "pass:with:colons"));
  EXPECT_TRUE(Auth("basic " + Basic("robot:pass:with:colons").substr(6)).ok());
}

TEST_F(AuthenticatorTest, BadCredentialsLookAlike) {
  for (std::string header : {Basic("alice:wrong-password"), Basic("nobody:alice-password"),
                             Basic("alice"), std::string("Basic !!!!"),
                             std::string("Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ"),  // no padding
                             Basic("alice:alice-password") + " x", std::string("Basic"),
                             std::string("Bearer svt_nope")}) {
    EXPECT_THAT(Auth(header), StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"))
        << header;
  }
  EXPECT_THAT(Auth("Digest abc"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("scheme")));
  EXPECT_THAT(Auth(""), StatusIs(absl::StatusCode::kUnauthenticated, "credentials required"));
  // Without OIDC a JWT-looking bearer is refused alike.
  EXPECT_THAT(Auth("Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
}

TEST_F(AuthenticatorTest, DisabledUserIsRefused) {
  SV_ASSERT_OK(identities_->SetUserDisabled("alice", true));
  EXPECT_THAT(Auth(Basic("alice:alice-password")),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
}

TEST_F(AuthenticatorTest, FailedLoginsLockTheUserOutWithGrowingLockouts) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Auth(Basic("alice:wrong-password"), "10.0.0." + std::to_string(i)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  // Locked: even the right password is refused, from any address.
  absl::StatusOr<Principal> locked = Auth(Basic("alice:alice-password"), "10.9.9.9");
  EXPECT_THAT(locked, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(RetryAfterOf(locked.status()), absl::Minutes(1));
  EXPECT_TRUE(Auth(Basic("robot:robot-password")).ok());  // other users are unaffected
  clock_.Advance(absl::Minutes(1));
  for (int i = 0; i < 5; ++i)
    (void)Auth(Basic("alice:wrong-password"), "10.0.1." + std::to_string(i));
  EXPECT_EQ(RetryAfterOf(Auth(Basic("alice:alice-password")).status()), absl::Minutes(2));
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(Auth(Basic("alice:alice-password")).ok());
}

TEST_F(AuthenticatorTest, FailedLoginsFromOneAddressLockTheAddressOut) {
  for (int i = 0; i < 20; ++i) {
    (void)Auth(Basic("user" + std::to_string(i) + ":guess"),
               "ipv4:192.0.2.1:" + std::to_string(4000 + i));
  }
  EXPECT_THAT(Auth(Basic("alice:alice-password"), "192.0.2.1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(Auth(Basic("alice:alice-password"), "192.0.2.2").ok());
}

TEST_F(AuthenticatorTest, ApiTokens) {
  absl::StatusOr<NewApiToken> token =
      identities_->CreateToken("shop-ingest", "alice", {"dev"}, clock_.Now() + absl::Hours(1));
  ASSERT_TRUE(token.ok());
  absl::StatusOr<Principal> principal = Auth("Bearer " + token->token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "shop-ingest");
  EXPECT_EQ(principal->method, "token");
  EXPECT_THAT(principal->roles, ElementsAre("dev"));

  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(Auth("Bearer " + token->token),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
  absl::StatusOr<NewApiToken> other = identities_->CreateToken("ci", "alice", {"dev"}, {});
  ASSERT_TRUE(other.ok());
  SV_ASSERT_OK(identities_->RevokeToken(other->record.id));
  EXPECT_THAT(Auth("Bearer " + other->token), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, ProxyHeadersOnlyFromTrustedAddresses) {
  authenticator_ = Make({.proxy = {.trusted_cidrs = {"10.1.0.0/16", "::1"}},
                         .group_roles = {{"sre", {"devops"}}, {"helpdesk", {"support"}}}});
  AuthRequest request{"", "10.1.2.3", "carol", " sre , unknown-group,helpdesk"};
  absl::StatusOr<Principal> principal = authenticator_->Authenticate(request);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "carol");
  EXPECT_EQ(principal->method, "proxy");
  EXPECT_THAT(principal->roles, ElementsAre("devops", "support"));
  EXPECT_THAT(notes_, IsEmpty());

  request.remote_address = "10.2.0.1";
  EXPECT_THAT(authenticator_->Authenticate(request),
              StatusIs(absl::StatusCode::kUnauthenticated, "credentials required"));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_THAT(notes_[0], HasSubstr("untrusted address 10.2.0.1"));

  // A group named like a role grants nothing unless mapped.
  request = {"", "[::1]:4000", "dave", "admin"};
  EXPECT_THAT(authenticator_->Authenticate(request)->roles, IsEmpty());
  request.proxy_user = "";
  EXPECT_THAT(authenticator_->Authenticate(request), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Authenticator::Create({.proxy = {.trusted_cidrs = {"10.0.0.1/8"}}}, *identities_,
                                    nullptr, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("proxy.trusted_cidrs")));
}

TEST_F(AuthenticatorTest, ClientCertificateMapsToUser) {
  authenticator_ = Make({.tls_users = {{"CN=robot,O=Acme", "robot"}, {"CN=ghost", "ghost"}}});
  AuthRequest request{"", "10.0.0.7"};
  request.tls_peer_names = {"DNS:robot.acme.internal", "CN=robot,O=Acme"};
  absl::StatusOr<Principal> principal = authenticator_->Authenticate(request);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "robot");
  EXPECT_EQ(principal->method, "mtls");
  EXPECT_THAT(principal->roles, ElementsAre("devops"));

  request.tls_peer_names = {"CN=ghost"};
  EXPECT_THAT(authenticator_->Authenticate(request),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
  request.tls_peer_names = {"CN=stranger"};
  EXPECT_THAT(authenticator_->Authenticate(request),
              StatusIs(absl::StatusCode::kUnauthenticated, "credentials required"));
  // An Authorization header wins over the certificate.
  request.tls_peer_names = {"CN=robot,O=Acme"};
  request.authorization = Basic("alice:alice-password");
  EXPECT_EQ(authenticator_->Authenticate(request)->subject, "alice");
}

TEST_F(AuthenticatorTest, RolesDeletedSinceGrantAreDropped) {
  SV_ASSERT_OK(identities_->CreateRole({"temp", "", {Action::kTracesRead}, {"*"}}));
  SV_ASSERT_OK(identities_->SetUserRoles("alice", {"temp", "support"}));
  EXPECT_THAT(Auth(Basic("alice:alice-password"))->roles, ElementsAre("temp", "support"));
}

TEST(ClaimedIdentityTest, NamesWhoTheRequestClaimsToBeWithoutSecrets) {
  AuthRequest basic{Basic("mallory:hunter2"), "10.0.0.1"};
  EXPECT_EQ(ClaimedIdentity(basic).scheme, "Basic");
  EXPECT_EQ(ClaimedIdentity(basic).name, "mallory");
  AuthRequest token{"Bearer svt_0123456789abcdef_" + std::string(64, 'a'), "10.0.0.1"};
  EXPECT_EQ(ClaimedIdentity(token).scheme, "Bearer");
  EXPECT_EQ(ClaimedIdentity(token).name, "0123456789abcdef");
  AuthRequest jwt{"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJqbyJ9.", "10.0.0.1"};
  EXPECT_EQ(ClaimedIdentity(jwt).name, "");  // unverified claims are not recorded
  AuthRequest garbage{"Basic !!!", "10.0.0.1"};
  EXPECT_EQ(ClaimedIdentity(garbage).name, "");
  AuthRequest proxy;
  proxy.proxy_user = "ann";
  EXPECT_EQ(ClaimedIdentity(proxy).scheme, "proxy headers");
  EXPECT_EQ(ClaimedIdentity(proxy).name, "ann");
  AuthRequest cert;
  cert.tls_peer_names = {"CN=alice"};
  EXPECT_EQ(ClaimedIdentity(cert).scheme, "client certificate");
  EXPECT_EQ(ClaimedIdentity(AuthRequest{}).scheme, "");
}

}  // namespace
}  // namespace spanvault
