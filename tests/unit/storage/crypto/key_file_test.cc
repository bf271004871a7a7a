// Key files, SPANVAULT_ENCRYPTION_KEY, keygen and the embedded default key.

#include "storage/crypto/key_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Base64 of 32 bytes 0x00..0x1f and of 32 bytes 0x20..0x3f.
std::string Bytes(char first) {
  std::string out;
  for (char c = first; c < first + 32; ++c) out.push_back(c);
  return out;
}
const std::string kKeyA = absl::Base64Escape(Bytes(0));
const std::string kKeyB = absl::Base64Escape(Bytes(32));

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(ParseKeyFile, ReadsIdsKeysCommentsAndBlankLines) {
  auto keys =
      ParseKeyFile("# keys\n\n  2 " + kKeyB + "  \r\n# old key\n1\t" + kKeyA + "\n", "key file k");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->ids(), ElementsAre(1, 2));
  EXPECT_EQ((*keys)->newest_id(), 2u);
  EXPECT_EQ(*(*keys)->Find(1), Bytes(0));
  EXPECT_EQ(*(*keys)->Find(2), Bytes(32));
  EXPECT_EQ((*keys)->Find(3), nullptr);
  EXPECT_EQ((*keys)->source(), "key file k");
}

TEST(ParseKeyFile, TheHighestIdIsNewestWhateverTheOrder) {
  auto keys =
      ParseKeyFile("7 " + kKeyA + "\n300 " + kKeyB + "\n12 " + absl::Base64Escape(Bytes(64)), "k");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)->newest_id(), 300u);
}

TEST(ParseKeyFile, RejectsBadBase64WithoutQuotingIt) {
  std::string bad = "!!notbase64!!notbase64!!notbase64!!notbase64";
  EXPECT_THAT(ParseKeyFile("1 " + kKeyA + "\n2 " + bad + "\n", "key file k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("key file k line 2"), HasSubstr("not valid base64"),
                             Not(HasSubstr(bad)), Not(HasSubstr(kKeyA)))));
}

TEST(ParseKeyFile, RejectsNonCanonicalBase64) {
  std::string unpadded = kKeyA.substr(0, kKeyA.size() - 1);  // drops the '='
  EXPECT_THAT(ParseKeyFile("1 " + unpadded, "k"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid base64")));
}

TEST(ParseKeyFile, RejectsKeysThatAreNot32Bytes) {
  std::string short_key = absl::Base64Escape(std::string(16, 'x'));
  EXPECT_THAT(ParseKeyFile("1 " + short_key, "k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("line 1"), HasSubstr("16 bytes, want 32"),
                             Not(HasSubstr(short_key)))));
  EXPECT_THAT(ParseKeyFile("1 " + absl::Base64Escape(std::string(33, 'x')), "k"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("33 bytes")));
}

TEST(ParseKeyFile, RejectsDuplicateIds) {
  EXPECT_THAT(
      ParseKeyFile("3 " + kKeyA + "\n3 " + kKeyB, "k"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key id 3 appears more than once")));
}

TEST(ParseKeyFile, RejectsBadIds) {
  for (std::string id : {"0", "-1", "x1", "4294967296", "1.5"}) {
    EXPECT_THAT(ParseKeyFile(id + " " + kKeyA, "k"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key id must be a number")))
        << id;
  }
}

TEST(ParseKeyFile, RejectsLinesWithoutExactlyIdAndKeyWithoutQuotingThem) {
  EXPECT_THAT(ParseKeyFile(kKeyA, "k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("expected \"<id> <base64 key>\""), Not(HasSubstr(kKeyA)))));
  EXPECT_THAT(ParseKeyFile("1 " + kKeyA + " extra", "k"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr(kKeyA))));
}

TEST(ParseKeyFile, RejectsAFileWithoutKeys) {
  EXPECT_THAT(ParseKeyFile("# nothing here\n\n", "key file k"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key file k: holds no key")));
}

TEST(ParseKeyEnv, OneBase64KeyGetsId1) {
  auto keys = ParseKeyEnv(" " + kKeyA + "\n");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->ids(), ElementsAre(1));
  EXPECT_EQ(*(*keys)->Find(1), Bytes(0));
  EXPECT_EQ((*keys)->source(), "SPANVAULT_ENCRYPTION_KEY");
}

TEST(ParseKeyEnv, KeyFileTextGivesSeveralKeys) {
  auto keys = ParseKeyEnv("1 " + kKeyA + "\n2 " + kKeyB + "\n");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT((*keys)->ids(), ElementsAre(1, 2));
}

TEST(ParseKeyEnv, RejectsEmptyAndBadValues) {
  EXPECT_THAT(ParseKeyEnv("  "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("set but empty")));
  EXPECT_THAT(ParseKeyEnv(absl::Base64Escape("short")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("SPANVAULT_ENCRYPTION_KEY"), HasSubstr("5 bytes"))));
  EXPECT_THAT(ParseKeyEnv("not-base64"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadKeyFile, ReadsA0600Or0400File) {
  testing::TempDir dir;
  std::string path = dir.path() + "/k";
  WriteFile(path, "1 " + kKeyA + "\n", 0600);
  auto keys = LoadKeyFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)->source(), "key file " + path);
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(LoadKeyFile(path).ok());
}

TEST(LoadKeyFile, RefusesAFileGroupOrOthersMayAccessNamingItAndItsMode) {
  testing::TempDir dir;
  std::string path = dir.path() + "/k";
  WriteFile(path, "1 " + kKeyA + "\n", 0644);
  EXPECT_THAT(LoadKeyFile(path), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          AllOf(HasSubstr(path), HasSubstr("mode 0644"),
                                                HasSubstr("group or others"))));
  for (mode_t mode : {0640, 0660, 0604, 0602, 0610}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_THAT(LoadKeyFile(path), StatusIs(absl::StatusCode::kFailedPrecondition)) << mode;
  }
}

TEST(LoadKeyFile, MissingFileAndDirectory) {
  testing::TempDir dir;
  EXPECT_THAT(LoadKeyFile(dir.path() + "/absent"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir.path() + "/absent")));
  ASSERT_EQ(chmod(dir.path().c_str(), 0700), 0);
  EXPECT_THAT(LoadKeyFile(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a file")));
}

TEST(LoadKeyFile, MessagesForMalformedFilesNameTheFileAndLine) {
  testing::TempDir dir;
  std::string path = dir.path() + "/k";
  WriteFile(path, "# header\n1 " + kKeyA + "\n1 " + kKeyB + "\n", 0600);
  EXPECT_THAT(LoadKeyFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("key file " + path + ": key id 1")));
}

TEST(WriteNewKeyFile, Writes0600WhateverTheUmaskAndTheFileLoads) {
  testing::TempDir dir;
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0377}}) {
    std::string path = dir.path() + "/key-" + std::to_string(mask);
    mode_t old = umask(mask);
    absl::Status s = WriteNewKeyFile(path);
    umask(old);
    SV_ASSERT_OK(s);
    EXPECT_EQ(Mode(path), 0600u) << "umask " << mask;
    auto keys = LoadKeyFile(path);
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_THAT((*keys)->ids(), ElementsAre(1));
  }
}

TEST(WriteNewKeyFile, RefusesToOverwriteAndLeavesTheFileAsItWas) {
  testing::TempDir dir;
  std::string path = dir.path() + "/k";
  SV_ASSERT_OK(WriteNewKeyFile(path));
  std::string before = ReadFile(path);
  EXPECT_THAT(WriteNewKeyFile(path),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("refusing to overwrite")));
  EXPECT_EQ(ReadFile(path), before);
}

TEST(WriteNewKeyFile, EveryKeyIsNew) {
  testing::TempDir dir;
  SV_ASSERT_OK(WriteNewKeyFile(dir.path() + "/a"));
  SV_ASSERT_OK(WriteNewKeyFile(dir.path() + "/b"));
  auto a = LoadKeyFile(dir.path() + "/a");
  auto b = LoadKeyFile(dir.path() + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*(*a)->Find(1), *(*b)->Find(1));
}

TEST(FormatKeyFile, RoundTrips) {
  std::vector<KeyRing::Key> keys = {{1, Bytes(0)}, {9, Bytes(32)}};
  auto parsed = ParseKeyFile(FormatKeyFile(keys), "k");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT((*parsed)->ids(), ElementsAre(1, 9));
  EXPECT_EQ(*(*parsed)->Find(9), Bytes(32));
}

TEST(DefaultKeyFile, IsBesideTheDataDirectoryNotInIt) {
  EXPECT_EQ(DefaultKeyFile("/var/lib/spanvault/data"), "/var/lib/spanvault/spanvault.key");
  EXPECT_EQ(DefaultKeyFile("/var/lib/spanvault/data/"), "/var/lib/spanvault/spanvault.key");
  EXPECT_EQ(DefaultKeyFile("/srv/./x/../data"), "/srv/spanvault.key");
  EXPECT_EQ(DefaultKeyFile("data"), (std::filesystem::current_path() / "spanvault.key").string());
}

class LoadKeysTest : public ::testing::Test {
 protected:
  KeySources Sources() {
    KeySources sources;
    sources.default_key_file = dir_.path() + "/spanvault.key";
    sources.store_path = dir_.path() + "/data/traces";
    return sources;
  }
  testing::TempDir dir_;
};

TEST_F(LoadKeysTest, CreatesTheDefaultKeyOnceThenReusesIt) {
  auto first = LoadKeys(Sources());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created_default);
  EXPECT_EQ(Mode(dir_.path() + "/spanvault.key"), 0600u);
  auto second = LoadKeys(Sources());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created_default);
  EXPECT_EQ(*second->keys->Find(1), *first->keys->Find(1));
}

TEST_F(LoadKeysTest, NeverReplacesALostDefaultKeyOfExistingData) {
  std::filesystem::create_directories(dir_.path() + "/data/traces");
  std::ofstream(dir_.path() + "/data/traces/CURRENT") << "SPANVENC and the rest of a header";
  EXPECT_THAT(LoadKeys(Sources()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("no key is configured"), HasSubstr("--encryption-key-file"),
                             HasSubstr("SPANVAULT_ENCRYPTION_KEY"))));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/spanvault.key"));
}

TEST_F(LoadKeysTest, MakesNoKeyForAPlaintextDatabase) {
  std::filesystem::create_directories(dir_.path() + "/data/traces");
  std::ofstream(dir_.path() + "/data/traces/CURRENT") << "MANIFEST-000005\n";
  EXPECT_THAT(LoadKeys(Sources()), StatusIs(absl::StatusCode::kFailedPrecondition,
                                            HasSubstr("written without encryption")));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/spanvault.key"));
}

TEST_F(LoadKeysTest, KeyFileOrVariableButNotBoth) {
  std::string path = dir_.path() + "/given.key";
  WriteFile(path, "4 " + kKeyB + "\n", 0600);
  KeySources sources = Sources();
  sources.key_file = path;
  auto from_file = LoadKeys(sources);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->keys->newest_id(), 4u);
  EXPECT_FALSE(std::filesystem::exists(sources.default_key_file));

  sources.env_value = kKeyA;
  EXPECT_THAT(LoadKeys(sources),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("give only one")));
  sources.key_file.clear();
  auto from_env = LoadKeys(sources);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(*from_env->keys->Find(1), Bytes(0));
  EXPECT_FALSE(std::filesystem::exists(sources.default_key_file));
}

TEST(KeyRing, ValidatesKeys) {
  EXPECT_THAT(KeyRing::Create({}, "k"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyRing::Create({{0, Bytes(0)}}, "k"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyRing::Create({{1, "short"}}, "k"), StatusIs(absl::StatusCode::kInvalidArgument));
  auto generated = KeyRing::Generate("test");
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ((*generated)->Find(1)->size(), 32u);
}

}  // namespace
}  // namespace spanvault
