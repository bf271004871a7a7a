#include "tests/testing/markdown.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace spanvault::testing {

absl::StatusOr<std::vector<std::string>> YamlBlocks(const std::string& markdown_path) {
  constexpr std::string_view kOpen = "```yaml\n", kClose = "```\n";
  std::ifstream in(markdown_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", markdown_path));
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  std::vector<std::string> blocks;
  for (size_t start = doc.find(kOpen); start != std::string::npos;
       start = doc.find(kOpen, start + 1)) {
    const size_t body = start + kOpen.size();
    const size_t end = doc.find(kClose, body);
    if (end == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(markdown_path, ": a ```yaml block is not closed"));
    }
    blocks.push_back(doc.substr(body, end - body));
  }
  return blocks;
}

}  // namespace spanvault::testing
