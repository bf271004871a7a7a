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

AesCtrEncryptionProvider::AesCtrEncryptionProvider(const KeyRing& keys) {
  absl::MutexLock lock(&mu_);
  keys_ = FileKeys(keys);
}

std::shared_ptr<const FileKey> AesCtrEncryptionProvider::Find(uint32_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : it->second;
}

uint32_t AesCtrEncryptionProvider::newest_id() const {
  absl::MutexLock lock(&mu_);
  return keys_.rbegin()->first;
}

std::vector<uint32_t> AesCtrEncryptionProvider::ids() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint32_t> out;
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

absl::Status AesCtrEncryptionProvider::AddKey(const KeyRing::Key& key) {
  if (key.bytes.size() != KeyRing::kKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("key ", key.id, " is ", key.bytes.size(),
                                                   " bytes, want ", KeyRing::kKeyBytes));
  }
  auto file_key = std::make_shared<const FileKey>(key.id, key.bytes);
  absl::MutexLock lock(&mu_);
  if (key.id <= keys_.rbegin()->first) {
    return absl::InvalidArgumentError(
        absl::StrCat("a new key needs an id above ", keys_.rbegin()->first, ", got ", key.id));
  }
  keys_.emplace(key.id, std::move(file_key));
  return absl::OkStatus();
}

absl::Status AesCtrEncryptionProvider::RemoveKey(uint32_t id) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return absl::NotFoundError(absl::StrCat("no key with id ", id));
  if (id == keys_.rbegin()->first) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", id, " is the newest key: it encrypts every new file"));
  }
  // Streams still open keep their own reference; the bytes are wiped when the last one goes.
  keys_.erase(it);
  return absl::OkStatus();
}

bool AesCtrEncryptionProvider::HoldsKey(uint32_t id, std::string_view bytes) const {
  std::shared_ptr<const FileKey> held = Find(id);
  if (held == nullptr) return false;
  return SecretEquals(
      std::string_view(reinterpret_cast<const char*>(held->aes_key.data()), held->aes_key.size()),
      bytes);
}

rocksdb::Status AesCtrEncryptionProvider::CreateNewPrefix(const std::string& fname, char* prefix,
                                                          size_t prefix_length) const {
  if (prefix_length < kEncryptionHeaderBytes) {
    return rocksdb::Status::InvalidArgument("encryption prefix too short for the header");
  }
  std::shared_ptr<const FileKey> key;
  {
    absl::MutexLock lock(&mu_);
    key = keys_.rbegin()->second;
  }
  std::memset(prefix, 0, prefix_length);
  std::memcpy(prefix, kEncryptionMagic, kMagicBytes);
  PutBigEndian32(kEncryptionFormatVersion, prefix + 8);
  PutBigEndian32(key->id, prefix + 12);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(prefix + kIvOffset), 16) != 1) {
    return rocksdb::Status::IOError("the OpenSSL random generator failed (RAND_bytes)", fname);
  }
  if (!HmacSha256(key->check_key.data(), prefix, kCheckOffset,
                  reinterpret_cast<unsigned char*>(prefix + kCheckOffset))) {
    return rocksdb::Status::IOError("HMAC-SHA256 failed (OpenSSL)", fname);
  }
  return rocksdb::Status::OK();
}

rocksdb::Status AesCtrEncryptionProvider::AddCipher(const std::string&, const char*, size_t, bool) {
  return rocksdb::Status::NotSupported("spanvault's keys come from its key ring");
}

bool ReadHeaderKeyId(std::string_view head, uint32_t* key_id) {
  if (head.size() < kEncryptionHeaderBytes ||
      head.substr(0, kMagicBytes) != std::string_view(kEncryptionMagic, kMagicBytes) ||
      GetBigEndian32(head.data() + 8) != kEncryptionFormatVersion) {
    return false;
  }
  *key_id = GetBigEndian32(head.data() + 12);
  return true;
}

PrefixCheck AesCtrEncryptionProvider::CheckPrefix(std::string_view prefix, uint32_t* key_id) const {
  *key_id = 0;
  if (prefix.size() < kMagicBytes) return PrefixCheck::kTruncated;
  if (prefix.substr(0, kMagicBytes) != std::string_view(kEncryptionMagic, kMagicBytes)) {
    return PrefixCheck::kNotEncrypted;
  }
  if (prefix.size() < kEncryptionHeaderBytes) return PrefixCheck::kTruncated;
  if (!ReadHeaderKeyId(prefix, key_id)) return PrefixCheck::kUnsupportedVersion;
  std::shared_ptr<const FileKey> key = Find(*key_id);
  if (key == nullptr) return PrefixCheck::kUnknownKey;
  unsigned char check[32];
  if (!HmacSha256(key->check_key.data(), prefix.data(), kCheckOffset, check) ||
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
  std::shared_ptr<const FileKey> key = check == PrefixCheck::kOk ? Find(key_id) : nullptr;
  if (key == nullptr) {
    // A key removed between the check and here reads as unknown, never as a crash.
    if (check == PrefixCheck::kOk) check = PrefixCheck::kUnknownKey;
    return rocksdb::Status::Corruption(DescribePrefixCheck(check, key_id, fname));
  }
  std::array<unsigned char, 16> iv;
  std::memcpy(iv.data(), prefix.data() + kIvOffset, iv.size());
  try {
    *result = std::make_unique<AesCtrCipherStream>(std::move(key), iv);
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
