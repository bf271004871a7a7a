#include "auth/principal.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace spanvault {

std::string PermissionDeniedMessage(const Principal& caller, Action action) {
  std::string name(ActionName(action));
  if (caller.roles.empty()) return absl::StrCat("permission denied: no role grants ", name);
  return absl::StrCat("permission denied: role(s) \"", absl::StrJoin(caller.roles, "\", \""),
                      "\" lack ", name);
}

}  // namespace spanvault
