#include "common/tls.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Valid pairs and mismatched keys are covered against the real binary (tests/e2e/tls.test.js);
// these are the cases that must fail before a certificate is even parsed.
TEST(CheckTlsFilesTest, PlaintextIsFine) { SV_EXPECT_OK(CheckTlsFiles(TlsFiles{})); }

TEST(CheckTlsFilesTest, NeedsBothCertificateAndKey) {
  EXPECT_THAT(CheckTlsFiles({"/etc/cert.pem", "", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both a certificate")));
  EXPECT_THAT(CheckTlsFiles({"", "/etc/key.pem", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both a certificate")));
  EXPECT_THAT(CheckTlsFiles({"", "", "/etc/ca.pem"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs --tls-cert")));
}

TEST(CheckTlsFilesTest, NamesTheFileThatCannotBeReadOrParsed) {
  spanvault::testing::TempDir dir;
  std::string garbage = dir.path() + "/garbage.pem";
  std::ofstream(garbage) << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  EXPECT_THAT(CheckTlsFiles({dir.path() + "/missing.pem", garbage, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("cannot read TLS certificate"), HasSubstr("missing.pem"))));
  EXPECT_THAT(CheckTlsFiles({garbage, garbage, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("TLS certificate"), HasSubstr("garbage.pem"))));
}

}  // namespace
}  // namespace spanvault
