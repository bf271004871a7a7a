#pragma once

// The --ports-file: the real addresses of every listener, for tests and scripts.

#include <map>
#include <string>

#include "absl/status/status.h"

namespace spanvault {

// Writes `ports` (listener name -> "host:port") as a JSON object to `path` atomically (a
// temporary file renamed over it), so a reader never sees a partial file.
absl::Status WritePortsFile(const std::string& path, const std::map<std::string, std::string>& ports);

}  // namespace spanvault
