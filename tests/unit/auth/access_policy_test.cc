#include "auth/access_policy.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(GlobMatchTest, StarsAndQuestionMarks) {
  EXPECT_TRUE(GlobMatch("crm-*", "crm-api"));
  EXPECT_TRUE(GlobMatch("crm-*", "crm-"));
  EXPECT_FALSE(GlobMatch("crm-*", "crm"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("address*", "address.street"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatch("*.card.*", "payment.card.number"));
  EXPECT_FALSE(GlobMatch("shop-api", "shop-api2"));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

TEST(ActionTest, NamesRoundTrip) {
  for (Action action : AllActions()) {
    auto parsed = ParseAction(ActionName(action));
    ASSERT_TRUE(parsed.has_value()) << ActionName(action);
    EXPECT_EQ(*parsed, action);
  }
  EXPECT_FALSE(ParseAction("traces:write").has_value());
}

Role Find(const std::string& name) {
  for (Role& role : BuiltinRoles()) {
    if (role.name == name) return role;
  }
  ADD_FAILURE() << "no built-in role " << name;
  return {};
}

TEST(AccessPolicyTest, SupportSeesTheOrderPathWithPersonalDataRedacted) {
  auto support = AccessPolicy::FromRoles({Find("support")});
  EXPECT_TRUE(support->Allows(Action::kTracesRead));
  EXPECT_FALSE(support->Allows(Action::kAdminUsers));
  EXPECT_TRUE(support->CanReadService("crm-api"));
  EXPECT_FALSE(support->CanReadService("billing"));
  EXPECT_FALSE(support->ReadsEverything());
  EXPECT_EQ(support->ForAttribute("crm-api", "user_id"), AttributeAccess::kRedact);
  EXPECT_EQ(support->ForAttribute("crm-api", "address.city"), AttributeAccess::kRedact);
  EXPECT_EQ(support->ForAttribute("crm-api", "order_id"), AttributeAccess::kShow);
  EXPECT_EQ(support->ForAttribute("billing", "order_id"), AttributeAccess::kHide);
}

TEST(AccessPolicyTest, TheBroaderAccessWinsPerService) {
  Role hide_card{
      "card", "", {Action::kTracesRead}, {"pay-*"}, {{"card.*", AttributeAccess::kHide}}};
  Role redact_card{
      "card2", "", {Action::kTracesRead}, {"pay-api"}, {{"card.*", AttributeAccess::kRedact}}};
  auto both = AccessPolicy::FromRoles({hide_card, redact_card});
  EXPECT_EQ(both->ForAttribute("pay-api", "card.number"), AttributeAccess::kRedact);
  EXPECT_EQ(both->ForAttribute("pay-gw", "card.number"), AttributeAccess::kHide);
  EXPECT_EQ(both->ForAttribute("pay-gw", "amount"), AttributeAccess::kShow);

  auto with_dev = AccessPolicy::FromRoles({Find("support"), Find("dev")});
  EXPECT_TRUE(with_dev->ReadsEverything());
  EXPECT_EQ(with_dev->ForAttribute("crm-api", "user_id"), AttributeAccess::kShow);
}

TEST(AccessPolicyTest, NoRolesNoAccessAndUnrestrictedSeesAll) {
  auto none = AccessPolicy::FromRoles({});
  EXPECT_FALSE(none->Allows(Action::kTracesRead));
  EXPECT_FALSE(none->CanReadService("shop-api"));
  EXPECT_EQ(none->ForAttribute("shop-api", "order_id"), AttributeAccess::kHide);
  // A role that lists services but cannot read traces shows nothing either.
  auto admin_only = AccessPolicy::FromRoles({Role{"ops", "", {Action::kAdminUsers}, {"*"}, {}}});
  EXPECT_FALSE(admin_only->CanReadService("shop-api"));
  auto all = AccessPolicy::Unrestricted();
  EXPECT_TRUE(all->ReadsEverything());
  for (Action action : AllActions()) EXPECT_TRUE(all->Allows(action));
}

}  // namespace
}  // namespace spanvault
