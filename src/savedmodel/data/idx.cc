#include "savedmodel/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace savedmodel {
namespace {

constexpr size_t kHeaderBytes = 4;
// Deflate cannot expand by more than about 1032:1 (a 258-byte match costs at
// least 2 bits), so dims needing more than this per compressed byte are lies.
constexpr uint64_t kMaxDeflateRatio = 1032;
// zlib counts bytes in 32-bit uInt; larger spans are fed in pieces.
constexpr size_t kMaxZlibChunk = size_t{1} << 30;
// Output space offered after the data, to tell "stream ends here" from "more data".
constexpr size_t kExcessProbe = 16;

StatusOr<DataType> ElementType(uint8_t code) {
  switch (code) {
    case 0x08: return DT_UINT8;
    case 0x09: return DT_INT8;
    case 0x0B: return DT_INT16;
    case 0x0C: return DT_INT32;
    case 0x0D: return DT_FLOAT;
    case 0x0E: return DT_DOUBLE;
    default: break;
  }
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02X", code);
  return DataLoss(std::string("unknown element type ") + hex);
}

size_t ElementSize(DataType dt) {
  switch (dt) {
    case DT_INT16: return 2;
    case DT_INT32:
    case DT_FLOAT: return 4;
    case DT_DOUBLE: return 8;
    default: return 1;
  }
}

uint32_t LoadBigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// IDX stores elements big-endian; turn them around in place on this host.
void ToHostOrder(void* data, size_t count, size_t width) {
  if constexpr (std::endian::native == std::endian::big) return;
  auto* p = static_cast<unsigned char*>(data);
  for (size_t i = 0; i < count; ++i, p += width) std::reverse(p, p + width);
}

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// The decoded bytes of a file: the file itself, or its single gzip member
// inflated on demand so that only what the caller asks for is produced.
class ByteSource {
 public:
  explicit ByteSource(std::string_view file) : file_(file) {
    gzip_ = file.size() >= 2 && static_cast<unsigned char>(file[0]) == 0x1f &&
            static_cast<unsigned char>(file[1]) == 0x8b;
  }
  ~ByteSource() {
    if (zlib_ready_) inflateEnd(&zs_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }

  Status Init() {
    if (!gzip_) return Status();
    // A gzip member: 10-byte header, deflate data, 8-byte trailer (CRC32, ISIZE).
    if (file_.size() < 18) return DataLoss("truncated gzip stream (" + std::to_string(file_.size()) + " bytes)");
    std::memset(&zs_, 0, sizeof(zs_));
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) return Internal("zlib inflateInit2 failed");
    zlib_ready_ = true;
    return Status();
  }

  // The uncompressed size mod 2^32 that the gzip trailer records.
  uint32_t StoredSize() const {
    const auto* p = reinterpret_cast<const unsigned char*>(file_.data() + file_.size() - 4);
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  }

  // The most data bytes that can follow a header of `consumed` bytes.
  uint64_t MaxRemaining(uint64_t consumed) const {
    if (!gzip_) return file_.size() - consumed;
    return static_cast<uint64_t>(file_.size()) * kMaxDeflateRatio;
  }

  // Fills dst with exactly n bytes; DataLoss when the data ends first.
  Status Read(void* dst, size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    if (!gzip_) {
      if (file_.size() - pos_ < n) return Truncated(n);
      if (n == 0) return Status();  // an empty tensor has no buffer: memcpy(nullptr) is UB
      std::memcpy(out, file_.data() + pos_, n);
      pos_ += n;
      produced_ += n;
      return Status();
    }
    size_t got = 0;
    RETURN_IF_ERROR(Inflate(out, n, &got));
    if (got < n) return Truncated(n);
    return Status();
  }

  // Checks that nothing follows the bytes read so far.
  Status Finish() {
    if (!gzip_) {
      if (pos_ != file_.size()) {
        return DataLoss(std::to_string(file_.size() - pos_) + " bytes follow the data its dims describe");
      }
      return Status();
    }
    unsigned char probe[kExcessProbe];
    size_t got = 0;
    RETURN_IF_ERROR(Inflate(probe, sizeof(probe), &got));
    if (got > 0) return DataLoss("the gzip stream holds more data than its dims describe");
    if (!ended_) return DataLoss("truncated gzip stream: it ends before its trailer");
    if (zs_.avail_in > 0 || in_pos_ < file_.size()) {
      return DataLoss("bytes follow the end of the gzip stream");
    }
    return Status();
  }

 private:
  Status Truncated(size_t wanted) const {
    return DataLoss("truncated: needed " + std::to_string(wanted) + " more bytes after byte " +
                    std::to_string(produced_) + " of the " + (gzip_ ? "decompressed " : "") + "data");
  }

  // Inflates up to n bytes into out; *got says how many. Stops early only at
  // the end of the stream or of the input.
  Status Inflate(unsigned char* out, size_t n, size_t* got) {
    *got = 0;
    while (*got < n && !ended_) {
      if (zs_.avail_in == 0 && in_pos_ < file_.size()) {
        const size_t take = std::min(kMaxZlibChunk, file_.size() - in_pos_);
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(file_.data() + in_pos_));
        zs_.avail_in = static_cast<uInt>(take);
        in_pos_ += take;
      }
      const size_t room = std::min(kMaxZlibChunk, n - *got);
      zs_.next_out = out + *got;
      zs_.avail_out = static_cast<uInt>(room);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const size_t made = room - zs_.avail_out;
      *got += made;
      produced_ += made;
      if (rc == Z_STREAM_END) {
        ended_ = true;  // zlib has checked the CRC and ISIZE here
      } else if (rc == Z_BUF_ERROR || (rc == Z_OK && made == 0 && zs_.avail_in == 0)) {
        if (zs_.avail_in == 0 && in_pos_ >= file_.size()) break;  // input exhausted
        if (rc == Z_BUF_ERROR) return DataLoss("corrupt gzip stream: no progress");
      } else if (rc != Z_OK) {
        return DataLoss(std::string("corrupt gzip stream: ") + (zs_.msg ? zs_.msg : "inflate error " + std::to_string(rc)));
      }
    }
    return Status();
  }

  std::string_view file_;
  bool gzip_ = false;
  size_t pos_ = 0;       // raw files: bytes read
  uint64_t produced_ = 0;  // bytes handed out so far
  // gzip state
  z_stream zs_{};
  bool zlib_ready_ = false;
  bool ended_ = false;
  size_t in_pos_ = 0;  // compressed bytes given to zlib
};

// What an IDX header says, once its dims are known to fit the file.
struct IdxHeader {
  DataType dtype = DT_INVALID;
  std::vector<int64_t> dims;
  uint64_t bytes = 0;  // of element data
  size_t width = 1;    // bytes per element
};

// Reads and checks the header, leaving `src` at the first data byte.
StatusOr<IdxHeader> ReadHeader(ByteSource& src) {
  RETURN_IF_ERROR(src.Init());
  unsigned char magic[kHeaderBytes];
  RETURN_IF_ERROR(src.Read(magic, sizeof(magic)));
  if (magic[0] != 0 || magic[1] != 0) {
    return DataLoss("bad magic: an IDX file starts with two zero bytes");
  }
  IdxHeader h;
  ASSIGN_OR_RETURN(h.dtype, ElementType(magic[2]));
  const int rank = magic[3];
  std::vector<unsigned char> dim_bytes(4 * static_cast<size_t>(rank));
  RETURN_IF_ERROR(src.Read(dim_bytes.data(), dim_bytes.size()));

  h.width = ElementSize(h.dtype);
  const uint64_t consumed = kHeaderBytes + dim_bytes.size();
  const uint64_t limit = src.MaxRemaining(consumed);
  h.dims.resize(rank);
  uint64_t bytes = h.width;
  bool too_big = false;
  for (int i = 0; i < rank; ++i) {
    h.dims[i] = LoadBigEndian32(&dim_bytes[4 * i]);
    // Saturate: once past the limit the exact product does not matter.
    if (!too_big && __builtin_mul_overflow(bytes, static_cast<uint64_t>(h.dims[i]), &bytes)) too_big = true;
  }
  if (too_big || bytes > limit) {
    return DataLoss("dims " + DimsString(h.dims) + " need " + (too_big ? "more than 2^64" : std::to_string(bytes)) +
                    " bytes of data but the file " + (src.gzip() ? "can decompress to at most " : "has ") +
                    std::to_string(limit));
  }
  if (src.gzip() && static_cast<uint32_t>(consumed + bytes) != src.StoredSize()) {
    return DataLoss("dims " + DimsString(h.dims) + " need " + std::to_string(consumed + bytes) +
                    " decompressed bytes but the gzip trailer records " + std::to_string(src.StoredSize()) +
                    " (mod 2^32): the file is truncated, corrupt or not what its dims say");
  }
  h.bytes = bytes;
  return h;
}

// The buffer for decoded data, unfilled: the caller writes every element
// before the tensor is handed out. The dims are already bounded by the
// file's size, but the bound for gzip is 1032 times it, so the allocation
// can still fail and must say so rather than throw.
StatusOr<Tensor> AllocateForData(DataType dtype, const TensorShape& shape) {
  ScopedTensorByteLimit limit;
  try {
    return Tensor::Uninitialized(dtype, shape);
  } catch (const TensorAllocationError& e) {
    return ResourceExhausted(e.message());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("OOM when allocating tensor of shape " + shape.DebugString() + " and type " +
                             DataTypeString(dtype));
  }
}

StatusOr<Tensor> DecodeIdx(std::string_view file) {
  ByteSource src(file);
  ASSIGN_OR_RETURN(IdxHeader h, ReadHeader(src));
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(h.dims));
  ASSIGN_OR_RETURN(Tensor t, AllocateForData(h.dtype, shape));
  RETURN_IF_ERROR(src.Read(t.raw_data(), h.bytes));
  RETURN_IF_ERROR(src.Finish());
  if (h.width > 1) ToHostOrder(t.raw_data(), h.bytes / h.width, h.width);
  return t;
}

// Decodes a uint8 [N, rows, cols] image file as [N, rows * cols].
StatusOr<Tensor> DecodeImages(std::string_view file) {
  ByteSource src(file);
  ASSIGN_OR_RETURN(IdxHeader h, ReadHeader(src));
  if (h.dtype != DT_UINT8 || h.dims.size() != 3) {
    return InvalidArgument("holds " + DataTypeString(h.dtype) + " " + DimsString(h.dims) +
                           ", expected uint8 [N, rows, cols]");
  }
  // Rows times cols fits: each is below 2^32.
  const std::vector<int64_t> flat = {h.dims[0], h.dims[1] * h.dims[2]};
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(flat));
  ASSIGN_OR_RETURN(Tensor images, AllocateForData(DT_UINT8, shape));
  RETURN_IF_ERROR(src.Read(images.raw_data(), h.bytes));
  RETURN_IF_ERROR(src.Finish());
  return images;
}

StatusOr<std::string> FindMnistFile(Env* env, const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {JoinPath(dir, name + ".gz"), JoinPath(dir, name)}) {
    if (env->FileExists(candidate)) return candidate;
  }
  return NotFound("no " + name + " or " + name + ".gz in '" + dir + "'");
}

struct Split {
  Tensor images, labels;
};

StatusOr<Split> LoadSplit(Env* env, const std::string& dir, const std::string& images_name,
                          const std::string& labels_name) {
  ASSIGN_OR_RETURN(std::string images_path, FindMnistFile(env, dir, images_name));
  ASSIGN_OR_RETURN(std::string labels_path, FindMnistFile(env, dir, labels_name));
  Split out;
  {
    ASSIGN_OR_RETURN(auto region, env->MapFile(images_path));
    auto images = DecodeImages(region->data());
    if (!images.ok()) return images.status().WithContext("IDX file '" + images_path + "'");
    out.images = std::move(images).value();
  }
  ASSIGN_OR_RETURN(Tensor labels, ReadIdx(env, labels_path));
  if (labels.dtype() != DT_UINT8 || labels.rank() != 1) {
    return InvalidArgument("'" + labels_path + "' holds " + DataTypeString(labels.dtype()) + " " +
                           labels.shape().DebugString() + ", expected uint8 [N]");
  }
  const int64_t n = out.images.dim(0);
  if (n != labels.dim(0)) {
    return InvalidArgument("'" + images_path + "' has " + std::to_string(n) + " images but '" + labels_path +
                           "' has " + std::to_string(labels.dim(0)) + " labels");
  }
  ASSIGN_OR_RETURN(out.labels, AllocateForData(DT_INT64, TensorShape{n}));
  const uint8_t* l = labels.flat<uint8_t>().data();
  int64_t* lo = out.labels.flat<int64_t>().data();
  for (int64_t i = 0; i < n; ++i) lo[i] = l[i];
  return out;
}

}  // namespace

StatusOr<Tensor> ReadIdx(Env* env, const std::string& path) {
  auto region = env->MapFile(path);
  if (!region.ok()) return region.status();
  StatusOr<Tensor> t = DecodeIdx((*region)->data());
  if (!t.ok()) return t.status().WithContext("IDX file '" + path + "'");
  return t;
}

// Runs once per training batch (78,400 pixels at the tutorial's size), so it
// has an AVX2 build too, picked at load time by the CPU.
__attribute__((target_clones("avx2", "default")))
void ScalePixels(const uint8_t* __restrict pixels, int64_t n, float* __restrict out) {
  // A division, not a multiplication by 1/255: the tutorial's values exactly,
  // in a loop the compiler vectorizes.
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(pixels[i]) / 255.0f;
}

StatusOr<Tensor> ScaleImages(const Tensor& images) {
  if (images.dtype() != DT_UINT8) {
    return InvalidArgument("images must be uint8, not " + DataTypeString(images.dtype()));
  }
  ASSIGN_OR_RETURN(Tensor out, AllocateForData(DT_FLOAT, images.shape()));
  if (images.num_elements() > 0) {
    ScalePixels(images.flat<uint8_t>().data(), images.num_elements(), out.flat<float>().data());
  }
  return out;
}

StatusOr<MnistData> LoadMnist(Env* env, const std::string& dir) {
  // The two splits decode on two threads: inflating the training images is
  // most of the work, and the test split fits beside it.
  StatusOr<Split> test = Internal("test split not loaded");
  auto load_test = [&] { test = LoadSplit(env, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"); };
  std::thread worker;
  try {
    worker = std::thread(load_test);
  } catch (const std::system_error&) {
    load_test();  // no thread to be had: one after the other
  }
  StatusOr<Split> train = LoadSplit(env, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  if (worker.joinable()) worker.join();
  if (!train.ok()) return train.status();
  if (!test.ok()) return test.status();
  MnistData data;
  data.train_images = std::move(train->images);
  data.train_labels = std::move(train->labels);
  data.test_images = std::move(test->images);
  data.test_labels = std::move(test->labels);
  return data;
}

}  // namespace savedmodel
