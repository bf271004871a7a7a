#include "storage/crypto/aes_ctr_provider.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

constexpr char kCheckKeyLabel[] = "spanvault file header check v1";
constexpr size_t kMagicBytes = 8;
constexpr size_t kIvOffset = 16;
constexpr size_t kCheckOffset = 32;

std::atomic<uint64_t> next_generation{1};

void PutBigEndian32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (24 - 8 * i));
}

uint32_t GetBigEndian32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// HMAC-SHA256 of `data` under a 32-byte key; false when OpenSSL fails.
bool HmacSha256(const unsigned char* key, const void* data, size_t size, unsigned char* out) {
  unsigned int out_len = 0;
  return HMAC(EVP_sha256(), key, 32, static_cast<const unsigned char*>(data), size, out,
              &out_len) != nullptr &&
         out_len == 32;
}

// counter += blocks, as a 128-bit big-endian number (what OpenSSL's CTR mode increments).
void AddToCounter(std::array<unsigned char, 16>& counter, uint64_t blocks) {
  unsigned int carry = 0;
  for (int i = 15; i >= 0; --i) {
    unsigned int sum = counter[i] + static_cast<unsigned int>(blocks & 0xff) + carry;
    counter[i] = static_cast<unsigned char>(sum);
    carry = sum >> 8;
    blocks >>= 8;
    if (blocks == 0 && carry == 0) break;
  }
}

// One OpenSSL context per thread, remembering which key it was last set up with, so that a
// call with the same key only resets the counter instead of expanding the key again.
struct ThreadCipher {
  ThreadCipher() : ctx(EVP_CIPHER_CTX_new()) {}
  ~ThreadCipher() { EVP_CIPHER_CTX_free(ctx); }
  EVP_CIPHER_CTX* ctx;
  uint64_t generation = 0;
};

// Sets the thread's context up for `key` at `counter`; nullptr when OpenSSL fails.
EVP_CIPHER_CTX* CipherAt(const FileKey& key, const std::array<unsigned char, 16>& counter) {
  thread_local ThreadCipher cipher;
  if (cipher.ctx == nullptr) return nullptr;
  bool ok;
  if (cipher.generation == key.generation) {
    ok = EVP_EncryptInit_ex(cipher.ctx, nullptr, nullptr, nullptr, counter.data()) == 1;
  } else {
    cipher.generation = 0;
    ok = EVP_EncryptInit_ex(cipher.ctx, EVP_aes_256_ctr(), nullptr, key.aes_key.data(),
                            counter.data()) == 1;
    if (ok) cipher.generation = key.generation;
  }
  return ok ? cipher.ctx : nullptr;
}

std::map<uint32_t, std::shared_ptr<const FileKey>> FileKeys(const KeyRing& ring) {
  std::map<uint32_t, std::shared_ptr<const FileKey>> out;
  for (uint32_t id : ring.ids())
    out.emplace(id, std::make_shared<const FileKey>(id, *ring.Find(id)));
  return out;
}

}  // namespace

FileKey::FileKey(uint32_t key_id, const std::string& key)
    : id(key_id), generation(next_generation.fetch_add(1)) {
  std::memcpy(aes_key.data(), key.data(), aes_key.size());
  if (!HmacSha256(aes_key.data(), kCheckKeyLabel, sizeof(kCheckKeyLabel) - 1, check_key.data())) {
    // Cannot happen with a working OpenSSL; a zero check key only makes every check fail.
    check_key.fill(0);
  }
}

FileKey::~FileKey() {
  OPENSSL_cleanse(aes_key.data(), aes_key.size());
  OPENSSL_cleanse(check_key.data(), check_key.size());
}

rocksdb::Status AesCtrCipherStream::EncryptBlock(uint64_t, char*, char*) {
  return rocksdb::Status::NotSupported("AesCtrCipherStream encrypts through Encrypt()");
}

rocksdb::Status AesCtrCipherStream::DecryptBlock(uint64_t, char*, char*) {
  return rocksdb::Status::NotSupported("AesCtrCipherStream decrypts through Decrypt()");
}

rocksdb::Status AesCtrCipherStream::Apply(uint64_t file_offset, char* data, size_t size) const {
  std::array<unsigned char, 16> counter = iv_;
  AddToCounter(counter, file_offset / 16);
  EVP_CIPHER_CTX* ctx = CipherAt(*key_, counter);
  if (ctx == nullptr) return rocksdb::Status::IOError("AES-256-CTR setup failed (OpenSSL)");
  int written = 0;
  // Discard the keystream bytes before `file_offset` within its block.
  unsigned char skip[16] = {};
  int skip_bytes = static_cast<int>(file_offset % 16);
  bool ok = skip_bytes == 0 || EVP_EncryptUpdate(ctx, skip, &written, skip, skip_bytes) == 1;
  auto* bytes = reinterpret_cast<unsigned char*>(data);
  while (ok && size > 0) {
    int chunk = static_cast<int>(std::min<size_t>(size, INT_MAX / 2));
    ok = EVP_EncryptUpdate(ctx, bytes, &written, bytes, chunk) == 1 && written == chunk;
    bytes += chunk;
    size -= static_cast<size_t>(chunk);
  }
  OPENSSL_cleanse(skip, sizeof(skip));
  if (!ok) return rocksdb::Status::IOError("AES-256-CTR failed (OpenSSL)");
  return rocksdb::Status::OK();
}

AesCtrEncryptionProvider::AesCtrEncryptionProvider(const KeyRing& keys)
    : keys_(FileKeys(keys)), write_key_id_(keys.newest_id()) {}

rocksdb::Status AesCtrEncryptionProvider::CreateNewPrefix(const std::string& fname, char* prefix,
                                                          size_t prefix_length) const {
  if (prefix_length < kEncryptionHeaderBytes) {
    return rocksdb::Status::InvalidArgument("encryption prefix too short for the header");
  }
  const FileKey& key = *keys_.at(write_key_id_);
  std::memset(prefix, 0, prefix_length);
  std::memcpy(prefix, kEncryptionMagic, kMagicBytes);
  PutBigEndian32(kEncryptionFormatVersion, prefix + 8);
  PutBigEndian32(key.id, prefix + 12);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(prefix + kIvOffset), 16) != 1) {
    return rocksdb::Status::IOError("the OpenSSL random generator failed (RAND_bytes)", fname);
  }
  if (!HmacSha256(key.check_key.data(), prefix, kCheckOffset,
                  reinterpret_cast<unsigned char*>(prefix + kCheckOffset))) {
    return rocksdb::Status::IOError("HMAC-SHA256 failed (OpenSSL)", fname);
  }
  return rocksdb::Status::OK();
}

rocksdb::Status AesCtrEncryptionProvider::AddCipher(const std::string&, const char*, size_t, bool) {
  return rocksdb::Status::NotSupported("spanvault's keys come from its key ring");
}

PrefixCheck AesCtrEncryptionProvider::CheckPrefix(std::string_view prefix, uint32_t* key_id) const {
  *key_id = 0;
  if (prefix.size() < kMagicBytes) return PrefixCheck::kTruncated;
  if (prefix.substr(0, kMagicBytes) != std::string_view(kEncryptionMagic, kMagicBytes)) {
    return PrefixCheck::kNotEncrypted;
  }
  if (prefix.size() < kEncryptionHeaderBytes) return PrefixCheck::kTruncated;
  if (GetBigEndian32(prefix.data() + 8) != kEncryptionFormatVersion) {
    return PrefixCheck::kUnsupportedVersion;
  }
  *key_id = GetBigEndian32(prefix.data() + 12);
  auto it = keys_.find(*key_id);
  if (it == keys_.end()) return PrefixCheck::kUnknownKey;
  unsigned char check[32];
  if (!HmacSha256(it->second->check_key.data(), prefix.data(), kCheckOffset, check) ||
      CRYPTO_memcmp(check, prefix.data() + kCheckOffset, sizeof(check)) != 0) {
    return PrefixCheck::kWrongKey;
  }
  return PrefixCheck::kOk;
}

rocksdb::Status AesCtrEncryptionProvider::CreateCipherStream(
    const std::string& fname, const rocksdb::EnvOptions&, rocksdb::Slice& prefix,
    std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) {
  uint32_t key_id = 0;
  PrefixCheck check = CheckPrefix(std::string_view(prefix.data(), prefix.size()), &key_id);
  if (check != PrefixCheck::kOk) {
    return rocksdb::Status::Corruption(DescribePrefixCheck(check, key_id, fname));
  }
  std::array<unsigned char, 16> iv;
  std::memcpy(iv.data(), prefix.data() + kIvOffset, iv.size());
  try {
    *result = std::make_unique<AesCtrCipherStream>(keys_.at(key_id), iv);
  } catch (...) {  // nothing may throw into RocksDB
    return rocksdb::Status::MemoryLimit("cannot allocate a cipher stream", fname);
  }
  return rocksdb::Status::OK();
}

std::string DescribePrefixCheck(PrefixCheck check, uint32_t key_id, std::string_view fname) {
  std::string file(fname);
  switch (check) {
    case PrefixCheck::kOk:
      return absl::StrCat(file, ": encrypted with key id ", key_id);
    case PrefixCheck::kTruncated:
      return absl::StrCat(file, ": shorter than its encryption header");
    case PrefixCheck::kNotEncrypted:
      return absl::StrCat(file, ": not encrypted (no spanvault encryption header)");
    case PrefixCheck::kUnsupportedVersion:
      return absl::StrCat(file, ": encrypted in a newer format than this build reads");
    case PrefixCheck::kUnknownKey:
      return absl::StrCat(file, ": encrypted with key id ", key_id, ", which is not configured");
    case PrefixCheck::kWrongKey:
      return absl::StrCat(file, ": the configured key id ", key_id,
                          " is not the key it was written with (or its header was altered)");
  }
  return file;
}

}  // namespace spanvault
