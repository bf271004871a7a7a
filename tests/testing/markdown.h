#pragma once

// The fenced ```yaml blocks of a Markdown file, for tests that load the docs' examples.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace spanvault::testing {

// Each ```yaml block's text (without its fences), in order. NotFound when the file cannot be
// read, InvalidArgument when a block is not closed.
absl::StatusOr<std::vector<std::string>> YamlBlocks(const std::string& markdown_path);

}  // namespace spanvault::testing
