#include "query/query_params.h"

#include "gtest/gtest.h"

namespace spanvault {
namespace {

TEST(query_params_placeholder, Builds) { SUCCEED(); }

}  // namespace
}  // namespace spanvault
