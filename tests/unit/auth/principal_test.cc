#include "auth/principal.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(PrincipalTest, PermissionDeniedNamesTheRolesAndTheMissingAction) {
  Principal support;
  support.roles = {"support"};
  EXPECT_EQ(PermissionDeniedMessage(support, Action::kAdminUsers),
            "permission denied: role(s) \"support\" lack admin:users");
  support.roles = {"support", "dev"};
  EXPECT_EQ(PermissionDeniedMessage(support, Action::kAdminKeys),
            "permission denied: role(s) \"support\", \"dev\" lack admin:keys");
  EXPECT_EQ(PermissionDeniedMessage(Principal{}, Action::kAdminAudit),
            "permission denied: no role grants admin:audit");
}

}  // namespace
}  // namespace spanvault
