#include "query/jaeger_json.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(jaeger_json_placeholder, Builds) { SUCCEED(); }

}  // namespace
}  // namespace spanvault
