#include "collector/gzip.h"

#include <zlib.h>

#include <climits>

#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

// Output is produced in chunks of this size, so the limit is checked before a chunk is kept.
constexpr size_t kChunkSize = 64 * 1024;
// 16 + MAX_WBITS selects the gzip wrapper (header and CRC-32 trailer) instead of zlib's.
constexpr int kGzipWindowBits = 16 + MAX_WBITS;

// Owns a z_stream set up for inflating gzip; ends it on destruction. Not thread-safe; used by one
// call of Gunzip.
class Inflater {
 public:
  Inflater() = default;
  ~Inflater() {
    if (initialized_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  absl::Status Init(std::string_view input);
  // Inflates every member of the input into `out`, keeping it at most `limit` bytes.
  absl::Status InflateAll(size_t limit, std::string* out);

 private:
  // Runs inflate() once into `chunk`, appending what it produced to `out`.
  int Step(size_t limit, char* chunk, std::string* out, absl::Status* status);
  absl::Status ZlibError(int code) const;

  z_stream stream_{};
  bool initialized_ = false;
};

absl::Status Inflater::Init(std::string_view input) {
  if (inflateInit2(&stream_, kGzipWindowBits) != Z_OK) {
    return absl::ResourceExhaustedError("cannot initialize zlib");
  }
  initialized_ = true;
  // zlib's API is not const-correct; inflate() never writes through next_in.
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream_.avail_in = static_cast<uInt>(input.size());
  return absl::OkStatus();
}

absl::Status Inflater::ZlibError(int code) const {
  if (code == Z_MEM_ERROR) return absl::ResourceExhaustedError("zlib is out of memory");
  const char* message = stream_.msg != nullptr ? stream_.msg : zError(code);
  return absl::InvalidArgumentError(absl::StrCat("body is not valid gzip: ", message));
}

int Inflater::Step(size_t limit, char* chunk, std::string* out, absl::Status* status) {
  stream_.next_out = reinterpret_cast<Bytef*>(chunk);
  stream_.avail_out = static_cast<uInt>(kChunkSize);
  const int code = inflate(&stream_, Z_NO_FLUSH);
  const size_t produced = kChunkSize - stream_.avail_out;
  if (code != Z_OK && code != Z_STREAM_END && code != Z_BUF_ERROR) {
    *status = ZlibError(code);
  } else if (produced > limit - out->size()) {
    *status = absl::ResourceExhaustedError(
        absl::StrCat("decompressed body exceeds the limit of ", limit, " bytes"));
  } else {
    out->append(chunk, produced);
  }
  return code;
}

absl::Status Inflater::InflateAll(size_t limit, std::string* out) {
  std::string chunk(kChunkSize, '\0');
  while (true) {
    absl::Status status;
    const int code = Step(limit, chunk.data(), out, &status);
    if (!status.ok()) return status;
    if (code == Z_STREAM_END) {
      if (stream_.avail_in == 0) return absl::OkStatus();
      // Another member follows (RFC 1952 allows several); trailing garbage fails in inflate().
      if (inflateReset(&stream_) != Z_OK) return ZlibError(Z_STREAM_ERROR);
    } else if (code == Z_BUF_ERROR || (stream_.avail_in == 0 && stream_.avail_out != 0)) {
      // No progress possible, or all input consumed without reaching the member's end.
      return absl::InvalidArgumentError("gzip body is truncated");
    }
  }
}

}  // namespace

absl::StatusOr<std::string> Gunzip(std::string_view compressed, size_t max_output_bytes) {
  if (compressed.empty()) return absl::InvalidArgumentError("body is not valid gzip: empty body");
  if (compressed.size() > UINT_MAX) {
    return absl::InvalidArgumentError("gzip body is too large for zlib");
  }
  Inflater inflater;
  absl::Status status = inflater.Init(compressed);
  if (!status.ok()) return status;
  std::string out;
  status = inflater.InflateAll(max_output_bytes, &out);
  if (!status.ok()) return status;
  return out;
}

std::string Gzip(std::string_view data, int level) {
  if (data.size() > UINT_MAX) return "";  // One deflate() call; bodies are far smaller.
  z_stream stream{};
  // 8 is zlib's default memLevel.
  if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int code = deflate(&stream, Z_FINISH);
  out.resize(code == Z_STREAM_END ? stream.total_out : 0);
  deflateEnd(&stream);
  return out;
}

}  // namespace spanvault
