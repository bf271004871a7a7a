#pragma once

// AesCtrEncryptionProvider: AES-256-CTR for every RocksDB file, through OpenSSL EVP.
//
// RocksDB's encrypted Env puts a 4096-byte prefix before each file's data; ours holds, in
// plaintext:
//
//   offset  size  field
//        0     8  magic "SPANVENC"
//        8     4  format version, big-endian (1)
//       12     4  key id, big-endian
//       16    16  IV: 16 random bytes from RAND_bytes, new for every file
//       32    32  check: HMAC-SHA256(check key, bytes 0..31)
//       64  4032  zeros
//
// The check key is HMAC-SHA256(key, "spanvault file header check v1"), so the check proves
// that the reader holds the key the file was written with (a wrong key fails at once instead
// of decrypting garbage) and that the header was not altered, without revealing the key.
// Data byte i of the file (counting the prefix) is XORed with AES-256-CTR keystream byte i,
// the 128-bit big-endian counter starting at the IV. Random 128-bit IVs make keystream reuse
// between files negligible (RocksDB's built-in CTR provider seeds its IVs from the clock).
//
// Include only from storage/ (it brings RocksDB headers).

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env_encryption.h"
#include "storage/crypto/key_ring.h"

namespace spanvault {

inline constexpr size_t kEncryptionPrefixBytes = 4096;
inline constexpr size_t kEncryptionHeaderBytes = 64;
inline constexpr char kEncryptionMagic[] = "SPANVENC";  // 8 bytes, no terminator on disk
inline constexpr uint32_t kEncryptionFormatVersion = 1;

// One key's AES key and header-check key; wiped when destroyed. Immutable; thread-safe.
struct FileKey {
  FileKey(uint32_t id, const std::string& key);
  ~FileKey();
  FileKey(const FileKey&) = delete;
  FileKey& operator=(const FileKey&) = delete;

  const uint32_t id;
  // Distinguishes keys for the per-thread OpenSSL context cache (addresses can be reused).
  const uint64_t generation;
  std::array<unsigned char, 32> aes_key;
  std::array<unsigned char, 32> check_key;
};

// The outcome of reading a file's prefix.
enum class PrefixCheck {
  kOk,
  kTruncated,           // shorter than the header
  kNotEncrypted,        // no magic: not written by this provider
  kUnsupportedVersion,  // a newer format
  kUnknownKey,          // a key id the ring does not hold
  kWrongKey,            // the check does not match: another key, or an altered header
};

// Encrypts and decrypts the data of one file. Thread-safe (no mutable state; OpenSSL contexts
// are per thread), as RocksDB reads one file from several threads.
class AesCtrCipherStream final : public rocksdb::BlockAccessCipherStream {
 public:
  AesCtrCipherStream(std::shared_ptr<const FileKey> key, const std::array<unsigned char, 16>& iv)
      : key_(std::move(key)), iv_(iv) {}

  size_t BlockSize() override { return 16; }
  rocksdb::Status Encrypt(uint64_t file_offset, char* data, size_t size) override {
    return Apply(file_offset, data, size);
  }
  rocksdb::Status Decrypt(uint64_t file_offset, char* data, size_t size) override {
    return Apply(file_offset, data, size);
  }

 protected:
  // Unused: Encrypt and Decrypt above handle any offset and length in one OpenSSL call.
  void AllocateScratch(std::string&) override {}
  rocksdb::Status EncryptBlock(uint64_t, char*, char*) override;
  rocksdb::Status DecryptBlock(uint64_t, char*, char*) override;

 private:
  // CTR is its own inverse: XORs `data` with the keystream from byte `file_offset` on.
  rocksdb::Status Apply(uint64_t file_offset, char* data, size_t size) const;

  const std::shared_ptr<const FileKey> key_;
  const std::array<unsigned char, 16> iv_;
};

// Thread-safe. Starts with the keys of a KeyRing; AddKey and RemoveKey change them at run time
// (key rotation): a file keeps the key it was created with, new files get the newest key.
class AesCtrEncryptionProvider final : public rocksdb::EncryptionProvider {
 public:
  explicit AesCtrEncryptionProvider(const KeyRing& keys);

  static const char* kClassName() { return "SpanvaultAesCtr"; }
  const char* Name() const override { return kClassName(); }

  size_t GetPrefixLength() const override { return kEncryptionPrefixBytes; }
  // Writes a header for the newest key with a fresh random IV. IOError when the random
  // generator fails; InvalidArgument for a prefix shorter than the header.
  rocksdb::Status CreateNewPrefix(const std::string& fname, char* prefix,
                                  size_t prefix_length) const override;
  // NotSupported: keys come from the KeyRing and AddKey.
  rocksdb::Status AddCipher(const std::string& descriptor, const char* cipher, size_t len,
                            bool for_write) override;
  // Checks the header (CheckPrefix) and returns the file's stream. Corruption, naming the file
  // and the problem, when the check fails.
  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions& options, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override;
  std::string GetMarker() const override { return std::string(kEncryptionMagic, 8); }

  // Reads a header; `key_id` is set whenever the header has one (also for kUnknownKey and
  // kWrongKey).
  PrefixCheck CheckPrefix(std::string_view prefix, uint32_t* key_id) const;

  // Adds `key` (KeyRing::kKeyBytes bytes) as the newest key: files created from now on use it.
  // kInvalidArgument when its id is not above every id held, or it is not 32 bytes.
  absl::Status AddKey(const KeyRing::Key& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets key `id`; files under it can no longer be opened. kNotFound when it is not held;
  // kFailedPrecondition when it is the newest key.
  absl::Status RemoveKey(uint32_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether key `id` is held with exactly these bytes (compared in constant time).
  bool HoldsKey(uint32_t id, std::string_view bytes) const ABSL_LOCKS_EXCLUDED(mu_);
  uint32_t newest_id() const ABSL_LOCKS_EXCLUDED(mu_);
  // Every id held, ascending.
  std::vector<uint32_t> ids() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::shared_ptr<const FileKey> Find(uint32_t id) const ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  // Never empty; the highest id encrypts new files.
  std::map<uint32_t, std::shared_ptr<const FileKey>> keys_ ABSL_GUARDED_BY(mu_);
};

// The key id in a file's header (the first kEncryptionHeaderBytes bytes or more), without
// checking it against any key; false when `head` has no spanvault header of a known version.
bool ReadHeaderKeyId(std::string_view head, uint32_t* key_id);

// A message for a CheckPrefix result about `fname`, e.g. "…/CURRENT: wrong key (key id 1)".
std::string DescribePrefixCheck(PrefixCheck check, uint32_t key_id, std::string_view fname);

}  // namespace spanvault
