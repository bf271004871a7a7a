// The encryption provider's own rate (AES-256-CTR through OpenSSL, as every RocksDB file is
// written and read), against a same-run baseline: copying the same bytes.

#include <cstring>
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "rocksdb/env_encryption.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_ring.h"

namespace spanvault::bench {
namespace {

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// A cipher stream as the store's files get one: a new prefix, then the stream it names.
std::unique_ptr<rocksdb::BlockAccessCipherStream> NewStream(AesCtrEncryptionProvider& provider) {
  std::string prefix(provider.GetPrefixLength(), '\0');
  std::unique_ptr<rocksdb::BlockAccessCipherStream> stream;
  if (!provider.CreateNewPrefix("bench.sst", prefix.data(), prefix.size()).ok()) return nullptr;
  rocksdb::Slice slice(prefix);
  if (!provider.CreateCipherStream("bench.sst", rocksdb::EnvOptions(), slice, &stream).ok()) {
    return nullptr;
  }
  return stream;
}

// Arg: bytes per call (4 KiB: a block read; 64 KiB and 1 MiB: log and table writes).
void BM_AesCtrEncrypt(benchmark::State& state) {
  auto ring = KeyRing::Create({{1, RandomBytes(32)}}, "benchmark key");
  if (!ring.ok()) return state.SkipWithError("no key ring");
  AesCtrEncryptionProvider provider(**ring);
  auto stream = NewStream(provider);
  if (stream == nullptr) return state.SkipWithError("no cipher stream");
  std::string data = RandomBytes(static_cast<size_t>(state.range(0)));
  uint64_t offset = 0;
  for (auto _ : state) {
    if (!stream->Encrypt(offset, data.data(), data.size()).ok()) {
      return state.SkipWithError("encrypt failed");
    }
    offset += data.size();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_AesCtrEncrypt)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);

// The baseline: copying the same bytes once.
void BM_Copy(benchmark::State& state) {
  std::string data = RandomBytes(static_cast<size_t>(state.range(0)));
  std::string out(data.size(), '\0');
  for (auto _ : state) {
    std::memcpy(out.data(), data.data(), data.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Copy)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace spanvault::bench
