#include "collector/gzip.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(gzip_placeholder, Builds) { SUCCEED(); }

}  // namespace
}  // namespace spanvault
