#include "auth/identity_store.h"

#include "auth/identity_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using ::spanvault::testing::FakeClock;
using ::spanvault::testing::IsOk;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr PasswordHashParams kFast{.memory_kib = 64, .iterations = 1, .parallelism = 1};

class IdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  std::unique_ptr<IdentityStore> Open(PasswordHashParams params = kFast) {
    absl::StatusOr<std::unique_ptr<IdentityStore>> store =
        IdentityStore::Open(kv_, clock_, {.password_params = params});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Bootstraps and returns the admin password.
  std::string Bootstrap() {
    absl::StatusOr<std::optional<std::string>> password = store_->Bootstrap();
    EXPECT_TRUE(password.ok() && password->has_value());
    return password.ok() && password->has_value() ? **password : "";
  }

  MemoryKvStore kv_;
  FakeClock clock_;
  std::unique_ptr<IdentityStore> store_;
};

TEST_F(IdentityStoreTest, BootstrapCreatesRolesAndAdminOnce) {
  std::string password = Bootstrap();
  EXPECT_EQ(password.size(), 24u);
  EXPECT_EQ(store_->ListRoles().size(), BuiltinRoles().size());
  absl::StatusOr<User> admin = store_->CheckPassword("admin", password);
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_THAT(admin->roles, ElementsAre("admin"));

  absl::StatusOr<std::optional<std::string>> again = store_->Bootstrap();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  // A store reopened over the same KvStore sees the roles and does not bootstrap again.
  std::unique_ptr<IdentityStore> reopened = Open();
  EXPECT_EQ(reopened->ListRoles().size(), BuiltinRoles().size());
  EXPECT_FALSE(reopened->Bootstrap()->has_value());
  EXPECT_TRUE(reopened->CheckPassword("admin", password).ok());
}

TEST_F(IdentityStoreTest, UserCrudWithValidation) {
  Bootstrap();
  SV_EXPECT_OK(store_->CreateUser("alice", "s3cret-pass", {"support"}));
  EXPECT_THAT(store_->CreateUser("alice", "s3cret-pass", {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateUser("Alice", "s3cret-pass", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user name")));
  EXPECT_THAT(store_->CreateUser(std::string(65, 'a'), "s3cret-pass", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->CreateUser("bob", "short", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(store_->CreateUser("bob", "s3cret-pass", {"nope"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles: unknown role")));

  absl::StatusOr<User> alice = store_->GetUser("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->created, clock_.Now());
  EXPECT_THAT(alice->password_hash, StartsWith("$argon2id$"));
  SV_EXPECT_OK(store_->SetUserRoles("alice", {"dev", "devops"}));
  EXPECT_THAT(store_->GetUser("alice")->roles, ElementsAre("dev", "devops"));
  EXPECT_THAT(store_->SetUserRoles("nobody", {}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->ListUsers()->size(), 2u);
  SV_EXPECT_OK(store_->DeleteUser("alice"));
  EXPECT_THAT(store_->GetUser("alice"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteUser("alice"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(IdentityStoreTest, PasswordChecksFailAlikeAndNeverEchoThePassword) {
  Bootstrap();
  SV_ASSERT_OK(store_->CreateUser("alice", "s3cret-pass", {"support"}));
  EXPECT_TRUE(store_->CheckPassword("alice", "s3cret-pass").ok());
  for (auto [user, password] : {std::pair{"alice", "wrong-pass"}, std::pair{"ghost", "s3cret-pass"},
                                std::pair{"BAD NAME", "s3cret-pass"}}) {
    absl::StatusOr<User> result = store_->CheckPassword(user, password);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
  }
  SV_ASSERT_OK(store_->SetUserDisabled("alice", true));
  EXPECT_THAT(store_->CheckPassword("alice", "s3cret-pass"),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));
  SV_ASSERT_OK(store_->SetUserDisabled("alice", false));
  SV_ASSERT_OK(store_->SetUserPassword("alice", "another-pass"));
  EXPECT_FALSE(store_->CheckPassword("alice", "s3cret-pass").ok());
  EXPECT_TRUE(store_->CheckPassword("alice", "another-pass").ok());
}

TEST_F(IdentityStoreTest, ARememberedPasswordNeverOutlivesAChange) {
  Bootstrap();
  SV_ASSERT_OK(store_->CreateUser("alice", "s3cret-pass", {"support"}));
  SV_ASSERT_OK(store_->CheckPassword("alice", "s3cret-pass"));  // remembered now
  EXPECT_FALSE(store_->CheckPassword("alice", "s3cret-pasS").ok());
  SV_ASSERT_OK(store_->SetUserRoles("alice", {"devops"}));
  absl::StatusOr<User> again = store_->CheckPassword("alice", "s3cret-pass");
  SV_ASSERT_OK(again);
  EXPECT_EQ(again->roles, std::vector<std::string>{"devops"});
  clock_.Advance(absl::Minutes(6));  // forgotten: Argon2id again, still the right answer
  SV_EXPECT_OK(store_->CheckPassword("alice", "s3cret-pass"));
  SV_ASSERT_OK(store_->DeleteUser("alice"));
  EXPECT_FALSE(store_->CheckPassword("alice", "s3cret-pass").ok());
}

TEST_F(IdentityStoreTest, WeakHashIsUpgradedAtLogin) {
  Bootstrap();
  SV_ASSERT_OK(store_->CreateUser("alice", "s3cret-pass", {}));
  const PasswordHashParams stronger{.memory_kib = 128, .iterations = 1, .parallelism = 1};
  std::unique_ptr<IdentityStore> upgraded = Open(stronger);
  EXPECT_TRUE(NeedsRehash(upgraded->GetUser("alice")->password_hash, stronger));
  ASSERT_TRUE(upgraded->CheckPassword("alice", "s3cret-pass").ok());
  std::string hash = upgraded->GetUser("alice")->password_hash;
  EXPECT_THAT(hash, StartsWith("$argon2id$v=19$m=128,t=1,p=1$"));
  EXPECT_TRUE(upgraded->CheckPassword("alice", "s3cret-pass").ok());
}

TEST_F(IdentityStoreTest, RolesCustomEditableAndProtectedWhileInUse) {
  Bootstrap();
  Role auditor{"auditor", "reads the audit log", {Action::kAdminAudit}, {"*"}};
  SV_ASSERT_OK(store_->CreateRole(auditor));
  EXPECT_THAT(store_->CreateRole(auditor), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateRole({"Bad Name"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role name")));
  EXPECT_THAT(store_->CreateRole({"x", "", {}, {""}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("services")));
  EXPECT_THAT(store_->UpdateRole({"ghost"}), StatusIs(absl::StatusCode::kNotFound));

  SV_ASSERT_OK(store_->CreateUser("carol", "s3cret-pass", {"auditor"}));
  EXPECT_THAT(store_->DeleteRole("auditor"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("user \"carol\"")));
  absl::StatusOr<NewApiToken> token = store_->CreateToken("audit-bot", "carol", {"auditor"}, {});
  ASSERT_TRUE(token.ok());
  SV_ASSERT_OK(store_->SetUserRoles("carol", {}));
  EXPECT_THAT(store_->DeleteRole("auditor"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("token")));
  SV_ASSERT_OK(store_->RevokeToken(token->record.id));
  SV_EXPECT_OK(store_->DeleteRole("auditor"));
  EXPECT_THAT(store_->GetRole("auditor"), StatusIs(absl::StatusCode::kNotFound));

  // Built-in roles can be edited but not deleted; admin keeps its admin actions.
  Role support = *store_->GetRole("support");
  support.services = {"shop-*"};
  support.builtin = false;
  SV_ASSERT_OK(store_->UpdateRole(support));
  EXPECT_THAT(store_->GetRole("support")->services, ElementsAre("shop-*"));
  EXPECT_TRUE(store_->GetRole("support")->builtin);
  EXPECT_THAT(store_->DeleteRole("support"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->UpdateRole({"admin", "", {Action::kTracesRead}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("admin:users")));
  // The change survives a reopen.
  EXPECT_THAT(Open()->GetRole("support")->services, ElementsAre("shop-*"));
}

TEST_F(IdentityStoreTest, TheLastAdministratorCannotBeLockedOut) {
  Bootstrap();
  auto last = HasSubstr("no enabled user who can administer users and roles");
  EXPECT_THAT(store_->DeleteUser("admin"), StatusIs(absl::StatusCode::kFailedPrecondition, last));
  EXPECT_THAT(store_->SetUserDisabled("admin", true),
              StatusIs(absl::StatusCode::kFailedPrecondition, last));
  EXPECT_THAT(store_->SetUserRoles("admin", {"dev"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, last));
  EXPECT_FALSE(store_->GetUser("admin")->disabled);
  EXPECT_THAT(store_->GetUser("admin")->roles, ElementsAre("admin"));

  // A custom role that is the only way to administer cannot lose its actions either.
  Role root{"root", "", {Action::kAdminUsers, Action::kAdminRoles}, {"*"}};
  SV_ASSERT_OK(store_->CreateRole(root));
  SV_ASSERT_OK(store_->CreateUser("dana", "s3cret-pass", {"root"}));
  SV_ASSERT_OK(store_->DeleteUser("admin"));  // dana still administers
  root.actions = {Action::kAdminUsers};
  EXPECT_THAT(store_->UpdateRole(root), StatusIs(absl::StatusCode::kFailedPrecondition, last));

  // With a second administrator the first may go.
  SV_ASSERT_OK(store_->CreateUser("erin", "s3cret-pass", {"admin"}));
  SV_EXPECT_OK(store_->SetUserDisabled("dana", true));
  SV_EXPECT_OK(store_->UpdateRole(root));
}

TEST_F(IdentityStoreTest, ResolveRolesSkipsUnknownNames) {
  Bootstrap();
  std::vector<Role> roles = store_->ResolveRoles({"dev", "ghost", "support"});
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].name, "dev");
  EXPECT_EQ(roles[1].name, "support");
}

TEST_F(IdentityStoreTest, TokensCheckRevokeAndExpire) {
  Bootstrap();
  absl::StatusOr<NewApiToken> made =
      store_->CreateToken("ingest", "alice", {"dev"}, clock_.Now() + absl::Hours(1));
  ASSERT_TRUE(made.ok()) << made.status();
  absl::StatusOr<ApiToken> checked = store_->CheckToken(made->token);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->name, "ingest");
  EXPECT_THAT(checked->roles, ElementsAre("dev"));

  std::string wrong = made->token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_THAT(store_->CheckToken(wrong), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store_->CheckToken("svt_garbage"), StatusIs(absl::StatusCode::kUnauthenticated));

  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(store_->CheckToken(made->token),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid credentials"));

  absl::StatusOr<NewApiToken> forever = store_->CreateToken("ci", "bob", {}, std::nullopt);
  ASSERT_TRUE(forever.ok());
  EXPECT_TRUE(store_->CheckToken(forever->token).ok());
  SV_ASSERT_OK(store_->RevokeToken(forever->record.id));
  EXPECT_THAT(store_->CheckToken(forever->token), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(store_->GetToken(forever->record.id)->revoked);
  EXPECT_EQ(store_->ListTokens()->size(), 2u);
  SV_EXPECT_OK(store_->DeleteToken(forever->record.id));
  EXPECT_THAT(store_->RevokeToken(forever->record.id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(IdentityStoreTest, TokenValidation) {
  Bootstrap();
  EXPECT_THAT(store_->CreateToken("ci", "bob", {"ghost"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles")));
  EXPECT_THAT(store_->CreateToken("CI token", "bob", {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token name")));
  EXPECT_THAT(store_->CreateToken("ci", "bob", {}, clock_.Now()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expires")));
}

TEST_F(IdentityStoreTest, StoredRecordsHoldNoSecrets) {
  std::string password = Bootstrap();
  absl::StatusOr<NewApiToken> made = store_->CreateToken("ci", "bob", {}, {});
  ASSERT_TRUE(made.ok());
  std::string secret = ParseApiToken(made->token)->secret;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> entries = kv_.Scan("");
  ASSERT_TRUE(entries.ok());
  for (const auto& [key, value] : *entries) {
    EXPECT_EQ(value.find(password), std::string::npos) << key;
    EXPECT_EQ(value.find(secret), std::string::npos) << key;
  }
}

TEST(IdentityCodecTest, RoleRoundTripAndUnknownActions) {
  Role role{"r",
            "d",
            {Action::kTracesRead, Action::kIngest},
            {"shop-*"},
            {{"email", AttributeAccess::kHide}}};
  absl::StatusOr<Role> decoded = DecodeRole(EncodeRole(role));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->actions, role.actions);
  EXPECT_EQ(decoded->services, role.services);
  ASSERT_EQ(decoded->attribute_rules.size(), 1u);
  EXPECT_EQ(decoded->attribute_rules[0].access, AttributeAccess::kHide);
  EXPECT_THAT(DecodeRole(R"({"name":"r","actions":["traces:write"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown action")));
  EXPECT_THAT(DecodeRole("{"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseActionNames({"traces:read", "admin:keys"}), IsOk());
}

}  // namespace
}  // namespace spanvault
