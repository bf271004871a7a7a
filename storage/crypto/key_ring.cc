#include "storage/crypto/key_ring.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace spanvault {

namespace {

absl::Status ValidateKeys(const std::vector<KeyRing::Key>& keys, const std::string& source) {
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": holds no key"));
  std::set<uint32_t> seen;
  for (const KeyRing::Key& key : keys) {
    if (key.id == 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": key id 0 is not allowed"));
    }
    if (key.bytes.size() != KeyRing::kKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": key ", key.id, " is ", key.bytes.size(), " bytes, want ", KeyRing::kKeyBytes));
    }
    if (!seen.insert(key.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": key id ", key.id, " appears more than once"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::Create(std::vector<Key> keys,
                                                               std::string source) {
  absl::Status valid = ValidateKeys(keys, source);
  std::map<uint32_t, std::string> by_id;
  for (Key& key : keys) {
    if (valid.ok()) {
      by_id.emplace(key.id, std::move(key.bytes));
    } else {
      Wipe(key.bytes);
    }
  }
  if (!valid.ok()) return valid;
  return std::shared_ptr<const KeyRing>(new KeyRing(std::move(by_id), std::move(source)));
}

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::Generate(std::string source) {
  absl::StatusOr<std::string> bytes = RandomBytes(KeyRing::kKeyBytes);
  if (!bytes.ok()) return bytes.status();
  std::vector<Key> keys;
  keys.push_back({1, std::move(*bytes)});
  return Create(std::move(keys), std::move(source));
}

KeyRing::KeyRing(std::map<uint32_t, std::string> keys, std::string source)
    : keys_(std::move(keys)), source_(std::move(source)) {}

KeyRing::~KeyRing() {
  for (auto& [id, bytes] : keys_) Wipe(bytes);
}

std::vector<uint32_t> KeyRing::ids() const {
  std::vector<uint32_t> out;
  for (const auto& [id, bytes] : keys_) out.push_back(id);
  return out;
}

const std::string* KeyRing::Find(uint32_t id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace spanvault
