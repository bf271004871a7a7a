// The AES-256-CTR provider on its own: the keystream, the file header and its checks.

#include "storage/crypto/aes_ctr_provider.h"

#include <openssl/evp.h>

#include <random>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spanvault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Hex(std::string_view hex) { return absl::HexStringToBytes(std::string(hex)); }

std::array<unsigned char, 16> Iv(std::string_view hex) {
  std::string bytes = Hex(hex);
  std::array<unsigned char, 16> iv;
  std::copy(bytes.begin(), bytes.end(), iv.begin());
  return iv;
}

std::shared_ptr<const KeyRing> Ring(std::vector<KeyRing::Key> keys) {
  auto ring = KeyRing::Create(std::move(keys), "test keys");
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *ring;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// AES-256-CTR of `data` from counter `iv` in one OpenSSL call: the reference.
std::string OneShot(const std::string& key, const std::array<unsigned char, 16>& iv,
                    const std::string& data) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(data.size(), '\0');
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr,
                               reinterpret_cast<const unsigned char*>(key.data()), iv.data()),
            1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                              reinterpret_cast<const unsigned char*>(data.data()),
                              static_cast<int>(data.size())),
            1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
TEST(AesCtrCipherStream, MatchesTheNistVectors) {
  auto key = std::make_shared<const FileKey>(
      1, Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
  AesCtrCipherStream stream(key, Iv("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
  std::string data =
      Hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
          "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  std::string expected =
      Hex("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
          "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  std::string whole = data;
  ASSERT_TRUE(stream.Encrypt(0, whole.data(), whole.size()).ok());
  EXPECT_EQ(absl::BytesToHexString(whole), absl::BytesToHexString(expected));
  // Block by block at their own offsets, and back.
  for (size_t offset = 0; offset < data.size(); offset += 16) {
    std::string block = data.substr(offset, 16);
    ASSERT_TRUE(stream.Encrypt(offset, block.data(), block.size()).ok());
    EXPECT_EQ(block, expected.substr(offset, 16)) << offset;
    ASSERT_TRUE(stream.Decrypt(offset, block.data(), block.size()).ok());
    EXPECT_EQ(block, data.substr(offset, 16));
  }
}

// RocksDB encrypts appends of any length at any offset; each piece must match the keystream
// of one pass over the whole file. Two keys interleave on this thread (the context cache).
TEST(AesCtrCipherStream, AnyOffsetAndLengthMatchesOnePass) {
  std::string key_a = RandomBytes(32, 1);
  std::string key_b = RandomBytes(32, 2);
  auto iv_a = Iv("000102030405060708090a0b0c0d0e0f");
  auto iv_b = Iv("00000000000000fffffffffffffffff0");  // carries past 64 bits
  AesCtrCipherStream a(std::make_shared<const FileKey>(1, key_a), iv_a);
  AesCtrCipherStream b(std::make_shared<const FileKey>(2, key_b), iv_b);
  std::string plain = RandomBytes(70000, 3);
  std::string want_a = OneShot(key_a, iv_a, plain);
  std::string want_b = OneShot(key_b, iv_b, plain);
  std::mt19937 rng(4);
  for (int i = 0; i < 500; ++i) {
    size_t offset = rng() % plain.size();
    size_t size = std::min<size_t>(rng() % 5000, plain.size() - offset);
    std::string piece_a = plain.substr(offset, size);
    std::string piece_b = piece_a;
    ASSERT_TRUE(a.Encrypt(offset, piece_a.data(), size).ok());
    ASSERT_TRUE(b.Encrypt(offset, piece_b.data(), size).ok());
    ASSERT_EQ(piece_a, want_a.substr(offset, size)) << "offset " << offset << " size " << size;
    ASSERT_EQ(piece_b, want_b.substr(offset, size)) << "offset " << offset << " size " << size;
  }
}

// Streams of one key reuse this thread's expanded key and only reset the counter: the
// keystream position of one call must not leak into the next (which may end mid-block).
TEST(AesCtrCipherStream, StreamsOfOneKeyDoNotShareKeystreamState) {
  std::string key = RandomBytes(32, 7);
  auto shared = std::make_shared<const FileKey>(1, key);
  auto iv_a = Iv("0f0e0d0c0b0a09080706050403020100");
  auto iv_b = Iv("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  AesCtrCipherStream a(shared, iv_a);
  AesCtrCipherStream b(shared, iv_b);
  std::string plain = RandomBytes(20000, 8);
  std::string want_a = OneShot(key, iv_a, plain);
  std::string want_b = OneShot(key, iv_b, plain);
  std::mt19937 rng(9);
  for (int i = 0; i < 500; ++i) {
    bool use_a = rng() % 2 == 0;
    size_t offset = rng() % plain.size();
    size_t size = std::min<size_t>(rng() % 100, plain.size() - offset);
    std::string piece = plain.substr(offset, size);
    ASSERT_TRUE((use_a ? a : b).Encrypt(offset, piece.data(), size).ok());
    ASSERT_EQ(piece, (use_a ? want_a : want_b).substr(offset, size))
        << (use_a ? "a" : "b") << " offset " << offset << " size " << size;
  }
}

TEST(AesCtrCipherStream, TheCounterIsOneHundredTwentyEightBits) {
  std::string key = RandomBytes(32, 5);
  auto iv = Iv("00ffffffffffffffffffffffffffffff");
  AesCtrCipherStream stream(std::make_shared<const FileKey>(1, key), iv);
  std::string plain = RandomBytes(64, 6);
  std::string want = OneShot(key, iv, plain);
  std::string tail = plain.substr(16);
  ASSERT_TRUE(stream.Encrypt(16, tail.data(), tail.size()).ok());
  EXPECT_EQ(tail, want.substr(16));
}

class ProviderTest : public ::testing::Test {
 protected:
  std::string NewPrefix(const AesCtrEncryptionProvider& provider) {
    std::string prefix(kEncryptionPrefixBytes, 'x');
    EXPECT_TRUE(provider.CreateNewPrefix("f.sst", prefix.data(), prefix.size()).ok());
    return prefix;
  }
  const std::string key1_ = RandomBytes(32, 10);
  const std::string key2_ = RandomBytes(32, 11);
};

TEST_F(ProviderTest, PrefixLayout) {
  AesCtrEncryptionProvider provider(*Ring({{1, key1_}, {2, key2_}}));
  std::string prefix = NewPrefix(provider);
  EXPECT_EQ(prefix.substr(0, 8), "SPANVENC");
  EXPECT_EQ(absl::BytesToHexString(prefix.substr(8, 8)), "0000000100000002");  // v1, key id 2
  EXPECT_EQ(prefix.substr(kEncryptionHeaderBytes),
            std::string(kEncryptionPrefixBytes - kEncryptionHeaderBytes, '\0'));
  uint32_t key_id = 0;
  EXPECT_EQ(provider.CheckPrefix(prefix, &key_id), PrefixCheck::kOk);
  EXPECT_EQ(key_id, 2u);
  EXPECT_EQ(provider.GetMarker(), "SPANVENC");
}

TEST_F(ProviderTest, EveryFileGetsItsOwnIvEvenFromManyThreadsAtOnce) {
  // RocksDB's built-in CTR provider repeated ~3 % of its IVs here (clock-seeded generator).
  AesCtrEncryptionProvider provider(*Ring({{1, key1_}}));
  constexpr int kThreads = 8;
  constexpr int kEach = 2000;
  std::vector<std::vector<std::string>> ivs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) ivs[t].push_back(NewPrefix(provider).substr(16, 16));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> distinct;
  for (const auto& list : ivs) distinct.insert(list.begin(), list.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(ProviderTest, DetectsAWrongKeyAnUnknownKeyAndAlteredHeaders) {
  AesCtrEncryptionProvider writer(*Ring({{1, key1_}}));
  std::string prefix = NewPrefix(writer);
  uint32_t key_id = 0;

  AesCtrEncryptionProvider wrong(*Ring({{1, key2_}}));
  EXPECT_EQ(wrong.CheckPrefix(prefix, &key_id), PrefixCheck::kWrongKey);
  EXPECT_EQ(key_id, 1u);
  AesCtrEncryptionProvider other_id(*Ring({{2, key1_}}));
  EXPECT_EQ(other_id.CheckPrefix(prefix, &key_id), PrefixCheck::kUnknownKey);

  for (size_t byte : {8u, 12u, 15u, 16u, 31u, 32u, 63u}) {
    std::string altered = prefix;
    altered[byte] ^= 0x01;
    PrefixCheck check = writer.CheckPrefix(altered, &key_id);
    EXPECT_TRUE(check == PrefixCheck::kWrongKey || check == PrefixCheck::kUnknownKey ||
                check == PrefixCheck::kUnsupportedVersion)
        << "byte " << byte;
  }
  std::string plain = "CURRENT file of a database written without encryption\n";
  EXPECT_EQ(writer.CheckPrefix(plain, &key_id), PrefixCheck::kNotEncrypted);
  EXPECT_EQ(writer.CheckPrefix(prefix.substr(0, 40), &key_id), PrefixCheck::kTruncated);
}

TEST_F(ProviderTest, CreateCipherStreamRefusesAWrongKeyWithAClearErrorAndNoKeyMaterial) {
  AesCtrEncryptionProvider writer(*Ring({{1, key1_}}));
  std::string prefix = NewPrefix(writer);
  AesCtrEncryptionProvider wrong(*Ring({{1, key2_}}));
  rocksdb::Slice slice(prefix);
  std::unique_ptr<rocksdb::BlockAccessCipherStream> stream;
  rocksdb::Status s =
      wrong.CreateCipherStream("/db/000012.sst", rocksdb::EnvOptions(), slice, &stream);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_THAT(s.ToString(), HasSubstr("/db/000012.sst: the configured key id 1 is not the key"));
  EXPECT_THAT(s.ToString(), Not(HasSubstr(absl::BytesToHexString(key1_.substr(0, 4)))));
  EXPECT_THAT(s.ToString(), Not(HasSubstr(absl::Base64Escape(key2_).substr(0, 8))));
  EXPECT_EQ(stream, nullptr);

  ASSERT_TRUE(
      writer.CreateCipherStream("/db/000012.sst", rocksdb::EnvOptions(), slice, &stream).ok());
  ASSERT_NE(stream, nullptr);
}

TEST_F(ProviderTest, KeysComeFromTheRingOnly) {
  AesCtrEncryptionProvider provider(*Ring({{1, key1_}}));
  EXPECT_TRUE(provider.AddCipher("2", key2_.data(), key2_.size(), true).IsNotSupported());
}

}  // namespace
}  // namespace spanvault
