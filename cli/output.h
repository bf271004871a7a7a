#pragma once

// spanvaultctl output: aligned tables, times, and errors.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace spanvault::cli {

// Prints `headers` and `rows`, each column as wide as its widest cell, two spaces apart.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// "2026-11-27T05:20:00Z"; "-" for 0.
std::string FormatUnixNanos(uint64_t unix_nano);

// Prints "spanvaultctl: <message>" to stderr and returns the exit code (1).
int Fail(const absl::Status& status);

}  // namespace spanvault::cli
