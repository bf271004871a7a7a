#pragma once

// TempDir: a fresh directory under the test's temporary directory, removed afterwards.

#include <filesystem>
#include <string>

namespace spanvault::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace spanvault::testing
