#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <stdexcept>

#include "gtest/gtest.h"

namespace spanvault::testing {

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir() + "spanvault-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace spanvault::testing
