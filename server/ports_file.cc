#include "server/ports_file.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace spanvault {

absl::Status WritePortsFile(const std::string& path,
                            const std::map<std::string, std::string>& ports) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, address] : ports) json[name] = address;
  std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json.dump() << "\n";
    if (!out.good()) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace spanvault
