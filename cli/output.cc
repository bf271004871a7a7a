#include "cli/output.h"

#include <algorithm>
#include <iostream>

#include "absl/time/time.h"

namespace spanvault::cli {

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out << line << "\n";
  };
  print(headers);
  for (const auto& row : rows) print(row);
}

std::string FormatUnixNanos(uint64_t unix_nano) {
  if (unix_nano == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixNanos(static_cast<int64_t>(unix_nano)),
                          absl::UTCTimeZone());
}

int Fail(const absl::Status& status) {
  std::cerr << "spanvaultctl: " << status.message() << "\n";
  return 1;
}

}  // namespace spanvault::cli
