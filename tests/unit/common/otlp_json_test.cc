#include "common/otlp_json.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(otlp_json_placeholder, Builds) { SUCCEED(); }

}  // namespace
}  // namespace spanvault
