#include "savedmodel/format/bundle/bundle_reader.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/crc32c.h"
#include "savedmodel/core/checked_math.h"
#include "savedmodel/format/bundle/bundle_format.h"
#include "savedmodel/format/table/table.h"

namespace savedmodel::bundle {
namespace {

// More shards than any real checkpoint; bounds the work a corrupt header can cause.
constexpr int kMaxShards = 1 << 16;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Callers have checked the size against bytes in the file, so TensorFlow's
// own rule holds: a checkpoint restores whatever fits in memory. What remains
// is the allocator failing (or the session's per-tensor limit, when a
// RestoreV2 kernel reads), which becomes a status here.
// `filled`: the caller overwrites every byte (a stored entry read whole), so
// the zero fill would be wasted on what can be most of a model's bytes.
StatusOr<Tensor> AllocateTensor(const std::string& what, DataType dtype, const TensorShape& shape,
                                bool filled = false) {
  try {
    return filled ? Tensor::Uninitialized(dtype, shape) : Tensor(dtype, shape);
  } catch (const TensorAllocationError& e) {
    return ResourceExhausted(what + ": " + e.message());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(what + ": OOM when allocating " + DataTypeString(dtype) +
                             shape.DebugString());
  }
}

}  // namespace

StatusOr<std::unique_ptr<BundleReader>> BundleReader::Open(Env* env, const std::string& prefix,
                                                          const BundleReaderOptions& options) {
  std::unique_ptr<BundleReader> r(new BundleReader());
  r->prefix_ = prefix;
  r->options_ = options;
  r->index_name_ = MetaFilename(prefix);
  const std::string& index_name = r->index_name_;
  ASSIGN_OR_RETURN(auto table, table::Table::Open(env, index_name));

  auto it = table->NewIterator();
  it.SeekToFirst();
  RETURN_IF_ERROR(it.status());
  if (!it.Valid() || !it.key().empty()) {
    return DataLoss(index_name + ": bundle index has no header entry (first key must be \"\")");
  }
  if (!r->header_.ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) {
    return DataLoss(index_name + ": unparseable BundleHeaderProto");
  }
  const auto& h = r->header_;
  if (h.endianness() != tensorflow::BundleHeaderProto::LITTLE) {
    return Unimplemented(index_name + ": big-endian bundles are not supported");
  }
  const auto& v = h.version();
  if (v.producer() < kTensorBundleMinProducer) {
    return FailedPrecondition(index_name + ": bundle producer version " +
                              std::to_string(v.producer()) + " is older than the minimum " +
                              std::to_string(kTensorBundleMinProducer));
  }
  if (v.min_consumer() > kTensorBundleVersion) {
    return FailedPrecondition(index_name + ": bundle needs reader version >= " +
                              std::to_string(v.min_consumer()) + "; this one is " +
                              std::to_string(kTensorBundleVersion));
  }
  for (int bad : v.bad_consumers()) {
    if (bad == kTensorBundleVersion) {
      return FailedPrecondition(index_name + ": bundle disallows reader version " +
                                std::to_string(bad));
    }
  }
  if (h.num_shards() < 1 || h.num_shards() > kMaxShards) {
    return DataLoss(index_name + ": bad num_shards " + std::to_string(h.num_shards()));
  }

  for (it.Next(); it.Valid(); it.Next()) {
    tensorflow::BundleEntryProto e;
    if (!e.ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) {
      return DataLoss(index_name + ": unparseable BundleEntryProto for key '" +
                      std::string(it.key()) + "'");
    }
    r->entries_.emplace(std::string(it.key()), std::move(e));
  }
  RETURN_IF_ERROR(it.status());

  for (int i = 0; i < h.num_shards(); ++i) {
    Shard s;
    s.filename = DataFilename(prefix, i, h.num_shards());
    auto file = env->NewRandomAccessFile(s.filename);
    if (!file.ok()) {
      return Status(file.status().code(),
                    "bundle " + index_name + " has " + std::to_string(h.num_shards()) +
                        " data shards but shard " + std::to_string(i) +
                        " cannot be opened: " + file.status().message());
    }
    s.file = std::move(file).value();
    s.size = s.file->size();
    if (options.map_tensors && s.size > 0) {
      // Any failure (an Env or file that cannot map, no address space) leaves
      // the shard to positional reads.
      auto region = s.file->MapCopyOnWrite();
      if (region.ok() && (*region)->size() == s.size) {
        s.mapping = std::make_shared<MappedShard>(std::move(region).value());
      }
    }
    r->total_shard_bytes_ += s.size;
    r->shards_.push_back(std::move(s));
  }
  return r;
}

bool BundleReader::ClaimView(const Shard& shard, uint64_t offset, uint64_t size) const {
  std::lock_guard<std::mutex> l(view_mu_);
  auto next = shard.viewed.lower_bound(offset);
  if (next != shard.viewed.end() && next->first < offset + size) return false;
  if (next != shard.viewed.begin() && std::prev(next)->second > offset) return false;
  shard.viewed.emplace(offset, offset + size);
  return true;
}

Status BundleReader::Corrupt(const std::string& key, const std::string& detail) const {
  return DataLoss(index_name_ + ": entry '" + key + "': " + detail);
}

std::vector<std::string> BundleReader::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& [k, e] : entries_) {
    if (!IsSliceKey(k)) keys.push_back(k);
  }
  return keys;
}

bool BundleReader::Contains(const std::string& key) const {
  return !IsSliceKey(key) && entries_.count(key) > 0;
}

StatusOr<const tensorflow::BundleEntryProto*> BundleReader::FindEntry(
    const std::string& key) const {
  auto it = entries_.find(key);
  if (key.empty() || it == entries_.end()) {
    return NotFound("key '" + key + "' not found in checkpoint " + prefix_);
  }
  return &it->second;
}

StatusOr<TensorInfo> BundleReader::InfoFromEntry(const std::string& key,
                                                 const tensorflow::BundleEntryProto& e) const {
  TensorInfo info;
  const int dt = static_cast<int>(e.dtype());
  if (!IsKnownDataType(dt)) return Corrupt(key, "unknown dtype " + std::to_string(dt));
  info.dtype = static_cast<DataType>(dt);
  if (e.shape().unknown_rank()) return Corrupt(key, "shape has unknown rank");
  std::vector<int64_t> dims;
  dims.reserve(e.shape().dim_size());
  for (const auto& d : e.shape().dim()) dims.push_back(d.size());
  auto shape = TensorShape::FromDims(dims);
  if (!shape.ok()) return Corrupt(key, "invalid shape: " + shape.status().message());
  info.shape = std::move(shape).value();
  return info;
}

StatusOr<TensorInfo> BundleReader::Info(const std::string& key) const {
  ASSIGN_OR_RETURN(const tensorflow::BundleEntryProto* e, FindEntry(key));
  return InfoFromEntry(key, *e);
}

StatusOr<const BundleReader::Shard*> BundleReader::ShardOf(
    const std::string& key, const tensorflow::BundleEntryProto& e) const {
  if (e.shard_id() < 0 || e.shard_id() >= num_shards()) {
    return Corrupt(key, "shard_id " + std::to_string(e.shard_id()) + " not in [0, " +
                            std::to_string(num_shards()) + ")");
  }
  const Shard& s = shards_[e.shard_id()];
  if (e.offset() < 0 || e.size() < 0 || static_cast<uint64_t>(e.offset()) > s.size ||
      static_cast<uint64_t>(e.size()) > s.size - static_cast<uint64_t>(e.offset())) {
    return Corrupt(key, "bytes [" + std::to_string(e.offset()) + ", +" + std::to_string(e.size()) +
                            ") lie outside data file " + s.filename + " (" +
                            std::to_string(s.size) + " bytes)");
  }
  return &s;
}

StatusOr<std::string> BundleReader::BytesOf(const std::string& key,
                                            const tensorflow::BundleEntryProto& e) const {
  ASSIGN_OR_RETURN(const Shard* s, ShardOf(key, e));
  std::string bytes;
  try {
    bytes.resize(static_cast<size_t>(e.size()));
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(index_name_ + ": entry '" + key + "': OOM reading " +
                             std::to_string(e.size()) + " bytes");
  }
  Status st = s->file->Read(static_cast<uint64_t>(e.offset()), bytes.size(), bytes.data());
  if (!st.ok()) return Status(st.code(), index_name_ + ": entry '" + key + "': " + st.message());
  return bytes;
}

StatusOr<std::string> BundleReader::EntryBytes(const std::string& key) const {
  auto it = entries_.find(key);
  if (key.empty() || it == entries_.end()) return NotFound("key '" + key + "' not found");
  return BytesOf(key, it->second);
}

StatusOr<Tensor> BundleReader::Read(const std::string& key) const {
  // Containers sized from checked file contents can still exhaust memory.
  try {
    return ReadImpl(key);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(index_name_ + ": entry '" + key + "': out of memory while reading");
  }
}

StatusOr<Tensor> BundleReader::ReadImpl(const std::string& key) const {
  ASSIGN_OR_RETURN(const tensorflow::BundleEntryProto* e, FindEntry(key));
  ASSIGN_OR_RETURN(TensorInfo info, InfoFromEntry(key, *e));
  if (!IsStorableDataType(info.dtype)) {
    return Unimplemented(index_name_ + ": entry '" + key + "' has dtype " +
                         DataTypeString(info.dtype) + ", which cannot be read");
  }
  if (e->slices_size() > 0) return ReadSliced(key, *e, info);
  return ReadStored(key, *e, info);
}

StatusOr<Tensor> BundleReader::ReadStored(const std::string& key,
                                          const tensorflow::BundleEntryProto& e,
                                          const TensorInfo& info) const {
  const uint32_t stored_crc = crc32c::Unmask(e.crc32c());
  const int64_t n = info.shape.num_elements();

  if (info.dtype != DT_STRING) {
    ASSIGN_OR_RETURN(const Shard* shard, ShardOf(key, e));
    int64_t want = 0;
    const uint64_t size = static_cast<uint64_t>(e.size());
    if (!CheckedMul(n, static_cast<int64_t>(DataTypeSize(info.dtype)), &want) ||
        size != static_cast<uint64_t>(want)) {
      return Corrupt(key, "size " + std::to_string(size) + " bytes, but " +
                              DataTypeString(info.dtype) + info.shape.DebugString() + " needs " +
                              (want > 0 ? std::to_string(want) : std::string("more")));
    }
    const uint64_t offset = static_cast<uint64_t>(e.offset());
    // ShardOf checked the bytes lie inside the shard, which is the mapping's
    // size. bool is normalised below, so it is never a view.
    if (shard->mapping != nullptr && info.dtype != DT_BOOL && size > 0 &&
        size >= options_.min_view_bytes && offset % kExternalTensorAlignment == 0 &&
        ClaimView(*shard, offset, size)) {
      // A positional read of the tensor's last byte fails where the file was
      // truncated since Open, so the checksum pass below does not fault on a
      // page past the new end (SIGBUS). It cannot see a truncation after this
      // point; see the header.
      char last;
      Status st = shard->file->Read(offset + size - 1, 1, &last);
      if (!st.ok()) return Corrupt(key, st.message());
      const char* src = shard->mapping->data() + offset;
      const uint32_t actual = crc32c::Value(src, size);
      if (actual != stored_crc) {
        return Corrupt(key, "checksum mismatch: stored " + Hex32(stored_crc) + ", computed " +
                                Hex32(actual));
      }
      auto view = shard->mapping->View(info.dtype, info.shape, offset, size);
      if (!view.ok()) return Status(view.status().code(), index_name_ + ": entry '" + key + "': " +
                                                              view.status().message());
      return view;
    }
    // Read straight into the tensor: one copy.
    ASSIGN_OR_RETURN(Tensor t, AllocateTensor(index_name_ + ": entry '" + key + "'", info.dtype,
                                              info.shape, /*filled=*/true));
    char* dst = static_cast<char*>(t.raw_data());
    if (size > 0) {
      Status st = shard->file->Read(static_cast<uint64_t>(e.offset()), size, dst);
      if (!st.ok()) return Corrupt(key, st.message());
    }
    const uint32_t actual = crc32c::Value(dst, size);
    if (actual != stored_crc) {
      return Corrupt(key, "checksum mismatch: stored " + Hex32(stored_crc) + ", computed " +
                              Hex32(actual));
    }
    if (info.dtype == DT_BOOL) {
      // Any nonzero byte is true; a bool holding another byte value is invalid.
      auto* raw = reinterpret_cast<unsigned char*>(dst);
      for (int64_t i = 0; i < n; ++i) raw[i] = raw[i] != 0 ? 1 : 0;
    }
    return t;
  }

  // DT_STRING: varint64 lengths, masked crc of the lengths, then the bytes.
  ASSIGN_OR_RETURN(std::string stored, BytesOf(key, e));
  const std::string_view bytes = stored;
  if (bytes.empty() && n == 0) {
    return AllocateTensor(index_name_ + ": entry '" + key + "'", DT_STRING, info.shape);
  }
  // Each element needs at least one length byte, so this bounds the allocation.
  if (static_cast<uint64_t>(n) > bytes.size()) {
    return Corrupt(key, std::to_string(n) + " strings cannot fit in " +
                            std::to_string(bytes.size()) + " bytes");
  }
  std::vector<uint64_t> lengths(static_cast<size_t>(n));
  std::string_view in = bytes;
  uint32_t crc = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!GetVarint64(&in, &lengths[i])) {
      return Corrupt(key, "bad or truncated length of string " + std::to_string(i));
    }
    char buf[8];
    if (lengths[i] <= UINT32_MAX) {
      EncodeFixed32(buf, static_cast<uint32_t>(lengths[i]));
      crc = crc32c::Extend(crc, buf, 4);
    } else {
      EncodeFixed64(buf, lengths[i]);
      crc = crc32c::Extend(crc, buf, 8);
    }
  }
  uint32_t masked_length_crc = 0;
  if (!GetFixed32(&in, &masked_length_crc)) {
    return Corrupt(key, "truncated before the string-length checksum");
  }
  if (crc32c::Unmask(masked_length_crc) != crc) {
    return Corrupt(key, "string-length checksum mismatch: stored " +
                            Hex32(crc32c::Unmask(masked_length_crc)) + ", computed " +
                            Hex32(crc));
  }
  char buf[4];
  EncodeFixed32(buf, masked_length_crc);
  crc = crc32c::Extend(crc, buf, 4);
  uint64_t total = 0;
  for (uint64_t len : lengths) {
    if (len > in.size() - total) {
      return Corrupt(key, "string lengths exceed the " + std::to_string(in.size()) +
                              " bytes that remain");
    }
    total += len;
  }
  if (total != in.size()) {
    return Corrupt(key, std::to_string(in.size() - total) + " unexpected bytes after the strings");
  }
  crc = crc32c::Extend(crc, in.data(), in.size());
  if (crc != stored_crc) {
    return Corrupt(key, "checksum mismatch: stored " + Hex32(stored_crc) + ", computed " +
                            Hex32(crc));
  }
  ASSIGN_OR_RETURN(Tensor t,
                   AllocateTensor(index_name_ + ": entry '" + key + "'", DT_STRING, info.shape));
  auto out = t.flat<std::string>();
  for (int64_t i = 0; i < n; ++i) {
    out[i].assign(in.data(), lengths[i]);
    in.remove_prefix(lengths[i]);
  }
  return t;
}

namespace {

// Copies `src` (the slice) into `dst` (the full tensor) at `extents`.
void CopySlice(const Tensor& src, const std::vector<SliceExtent>& extents, Tensor* dst) {
  const int rank = dst->rank();
  const TensorShape& full = dst->shape();
  const TensorShape& part = src.shape();
  if (part.num_elements() == 0) return;
  // Row-major strides of the full tensor, in elements.
  std::vector<int64_t> stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) stride[d] = stride[d + 1] * full.dim(d + 1);
  const int64_t run = rank == 0 ? 1 : part.dim(rank - 1);
  const int64_t runs = part.num_elements() / run;
  std::vector<int64_t> idx(rank, 0);  // odometer over all but the last dim
  const size_t esize = DataTypeSize(dst->dtype());
  for (int64_t r = 0; r < runs; ++r) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) off += (extents[d].start + (d < rank - 1 ? idx[d] : 0)) * stride[d];
    const int64_t src_off = r * run;
    if (dst->dtype() == DT_STRING) {
      auto in = src.flat<std::string>();
      auto out = dst->flat<std::string>();
      for (int64_t i = 0; i < run; ++i) out[off + i] = in[src_off + i];
    } else {
      std::memcpy(static_cast<char*>(dst->raw_data()) + off * esize,
                  static_cast<const char*>(src.raw_data()) + src_off * esize, run * esize);
    }
    for (int d = rank - 2; d >= 0; --d) {
      if (++idx[d] < part.dim(d)) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

StatusOr<Tensor> BundleReader::ReadSliced(const std::string& key,
                                          const tensorflow::BundleEntryProto& e,
                                          const TensorInfo& info) const {
  // Every element must come from some slice's bytes, so a full shape larger
  // than all the data is corrupt; checking first keeps a bad shape from
  // driving a huge allocation.
  const int64_t n = info.shape.num_elements();
  const uint64_t min_bytes =
      static_cast<uint64_t>(n) * (info.dtype == DT_STRING ? 1 : DataTypeSize(info.dtype));
  if (min_bytes > total_shard_bytes_) {
    return Corrupt(key, "partitioned tensor " + info.shape.DebugString() +
                            " is larger than all its data shards");
  }
  if (info.shape.rank() == 0) return Corrupt(key, "a scalar cannot be partitioned");
  ASSIGN_OR_RETURN(Tensor full,
                   AllocateTensor(index_name_ + ": entry '" + key + "'", info.dtype, info.shape));
  for (const auto& sp : e.slices()) {
    auto extents = SliceFromProto(sp, info.shape);
    if (!extents.ok()) return Corrupt(key, extents.status().message());
    const std::string slice_key = EncodeTensorNameSlice(key, *extents);
    auto it = entries_.find(slice_key);
    if (it == entries_.end()) return Corrupt(key, "a slice's entry is missing");
    ASSIGN_OR_RETURN(TensorInfo slice_info, InfoFromEntry(key + " (slice)", it->second));
    const TensorShape want = SliceShape(*extents, info.shape);
    if (slice_info.dtype != info.dtype || !(slice_info.shape == want) ||
        it->second.slices_size() != 0) {
      return Corrupt(key, "slice entry holds " + DataTypeString(slice_info.dtype) +
                              slice_info.shape.DebugString() + ", expected " +
                              DataTypeString(info.dtype) + want.DebugString());
    }
    ASSIGN_OR_RETURN(Tensor part, ReadStored(key + " (slice)", it->second, slice_info));
    CopySlice(part, *extents, &full);
  }
  return full;
}

}  // namespace savedmodel::bundle

namespace savedmodel::bundle {
namespace {

// A box in the full tensor's coordinates: [start[d], start[d] + size[d]).
struct Box {
  std::vector<int64_t> start, size;
  int64_t num_elements() const {
    int64_t n = 1;
    for (int64_t s : size) n *= s;
    return n;
  }
};

Box Resolve(const std::vector<SliceExtent>& extents, const TensorShape& full) {
  Box b;
  for (size_t d = 0; d < extents.size(); ++d) {
    const bool whole = extents[d].length == -1;
    b.start.push_back(whole ? 0 : extents[d].start);
    b.size.push_back(whole ? full.dim(static_cast<int>(d)) : extents[d].length);
  }
  return b;
}

// Copies the part of `src` (holding box `sb`) that lies in `db` into `dst`
// (holding box `db`), marking each copied element in `filled`. Returns false
// if an element was already filled: stored slices must not overlap, or the
// result would depend on their order.
bool CopyIntersection(const Tensor& src, const Box& sb, const Box& db, Tensor* dst,
                      std::vector<bool>* filled) {
  const int rank = static_cast<int>(db.start.size());
  Box in;
  for (int d = 0; d < rank; ++d) {
    const int64_t lo = std::max(sb.start[d], db.start[d]);
    const int64_t hi = std::min(sb.start[d] + sb.size[d], db.start[d] + db.size[d]);
    if (hi <= lo) return true;
    in.start.push_back(lo);
    in.size.push_back(hi - lo);
  }
  std::vector<int64_t> sstride(rank, 1), dstride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) {
    sstride[d] = sstride[d + 1] * sb.size[d + 1];
    dstride[d] = dstride[d + 1] * db.size[d + 1];
  }
  const int64_t run = rank == 0 ? 1 : in.size[rank - 1];
  const int64_t runs = in.num_elements() / run;
  const size_t esize = DataTypeSize(dst->dtype());
  std::vector<int64_t> idx(rank, 0);  // odometer over all but the last dim
  for (int64_t r = 0; r < runs; ++r) {
    int64_t soff = 0, doff = 0;
    for (int d = 0; d < rank; ++d) {
      const int64_t at = in.start[d] + (d < rank - 1 ? idx[d] : 0);
      soff += (at - sb.start[d]) * sstride[d];
      doff += (at - db.start[d]) * dstride[d];
    }
    for (int64_t i = 0; i < run; ++i) {
      if ((*filled)[doff + i]) return false;
      (*filled)[doff + i] = true;
    }
    if (dst->dtype() == DT_STRING) {
      auto s = src.flat<std::string>();
      auto o = dst->flat<std::string>();
      for (int64_t i = 0; i < run; ++i) o[doff + i] = s[soff + i];
    } else {
      std::memcpy(static_cast<char*>(dst->raw_data()) + doff * esize,
                  static_cast<const char*>(src.raw_data()) + soff * esize, run * esize);
    }
    for (int d = rank - 2; d >= 0; --d) {
      if (++idx[d] < in.size[d]) break;
      idx[d] = 0;
    }
  }
  return true;
}

std::string ExtentsString(const std::vector<SliceExtent>& extents) {
  std::string s;
  for (size_t d = 0; d < extents.size(); ++d) {
    if (d) s += ":";
    s += extents[d].length == -1
             ? std::string("-")
             : std::to_string(extents[d].start) + "," + std::to_string(extents[d].length);
  }
  return s;
}

}  // namespace

StatusOr<Tensor> BundleReader::ReadSlice(const std::string& key,
                                         const std::vector<SliceExtent>& slice) const {
  try {
    return ReadSliceImpl(key, slice);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(index_name_ + ": entry '" + key + "': out of memory while reading");
  }
}

StatusOr<Tensor> BundleReader::ReadSliceImpl(const std::string& key,
                                             const std::vector<SliceExtent>& slice) const {
  ASSIGN_OR_RETURN(const tensorflow::BundleEntryProto* e, FindEntry(key));
  ASSIGN_OR_RETURN(TensorInfo info, InfoFromEntry(key, *e));
  if (!IsStorableDataType(info.dtype)) {
    return Unimplemented(index_name_ + ": entry '" + key + "' has dtype " +
                         DataTypeString(info.dtype) + ", which cannot be read");
  }
  const int rank = info.shape.rank();
  if (static_cast<int>(slice.size()) != rank) {
    return InvalidArgument("slice " + ExtentsString(slice) + " of '" + key + "' has rank " +
                           std::to_string(slice.size()) + ", but the checkpoint's tensor is " +
                           info.shape.DebugString());
  }
  for (int d = 0; d < rank; ++d) {
    const SliceExtent& x = slice[d];
    const int64_t dim = info.shape.dim(d);
    const bool ok = x.length == -1 ? x.start == 0
                                   : x.start >= 0 && x.length >= 0 && x.start <= dim &&
                                         x.length <= dim - x.start;
    if (!ok) {
      return InvalidArgument("slice " + ExtentsString(slice) + " of '" + key +
                             "' does not fit dimension " + std::to_string(d) + " of " +
                             info.shape.DebugString());
    }
  }
  const Box want = Resolve(slice, info.shape);
  TensorShape want_shape;
  for (int64_t s : want.size) want_shape.AddDim(s);
  const int64_t n = want_shape.num_elements();

  if (e->slices_size() == 0) {
    ASSIGN_OR_RETURN(Tensor whole, ReadStored(key, *e, info));
    ASSIGN_OR_RETURN(Tensor out,
                     AllocateTensor(index_name_ + ": entry '" + key + "'", info.dtype, want_shape));
    std::vector<bool> filled(static_cast<size_t>(n), false);
    CopyIntersection(whole, Resolve(std::vector<SliceExtent>(rank), info.shape), want, &out,
                     &filled);
    return out;
  }

  // As in ReadSliced: every requested element must come from stored bytes,
  // which bounds the allocation a hostile index can cause.
  const uint64_t min_bytes =
      static_cast<uint64_t>(n) * (info.dtype == DT_STRING ? 1 : DataTypeSize(info.dtype));
  if (min_bytes > total_shard_bytes_) {
    return Corrupt(key, "slice " + ExtentsString(slice) + " of partitioned tensor " +
                            info.shape.DebugString() + " is larger than all its data shards");
  }
  ASSIGN_OR_RETURN(Tensor out,
                   AllocateTensor(index_name_ + ": entry '" + key + "'", info.dtype, want_shape));
  std::vector<bool> filled(static_cast<size_t>(n), false);
  for (const auto& sp : e->slices()) {
    auto extents = SliceFromProto(sp, info.shape);
    if (!extents.ok()) return Corrupt(key, extents.status().message());
    const Box have = Resolve(*extents, info.shape);
    bool meets = true;
    for (int d = 0; d < rank; ++d) {
      meets = meets && std::max(have.start[d], want.start[d]) <
                           std::min(have.start[d] + have.size[d], want.start[d] + want.size[d]);
    }
    if (!meets) continue;
    auto it = entries_.find(EncodeTensorNameSlice(key, *extents));
    if (it == entries_.end()) return Corrupt(key, "a slice's entry is missing");
    ASSIGN_OR_RETURN(TensorInfo slice_info, InfoFromEntry(key + " (slice)", it->second));
    const TensorShape stored = SliceShape(*extents, info.shape);
    if (slice_info.dtype != info.dtype || !(slice_info.shape == stored) ||
        it->second.slices_size() != 0) {
      return Corrupt(key, "slice entry holds " + DataTypeString(slice_info.dtype) +
                              slice_info.shape.DebugString() + ", expected " +
                              DataTypeString(info.dtype) + stored.DebugString());
    }
    ASSIGN_OR_RETURN(Tensor part, ReadStored(key + " (slice)", it->second, slice_info));
    if (!CopyIntersection(part, have, want, &out, &filled)) {
      return Corrupt(key, "stored slices overlap");
    }
  }
  for (bool f : filled) {
    if (!f) {
      return InvalidArgument("checkpoint " + prefix_ + " does not have slices of '" + key +
                             "' covering the requested slice " + ExtentsString(slice));
    }
  }
  return out;
}

}  // namespace savedmodel::bundle
