#include "savedmodel/format/bundle/bundle_writer.h"

#include <random>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/crc32c.h"
#include "savedmodel/format/bundle/bundle_format.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/table/table_builder.h"

namespace savedmodel::bundle {
namespace {

std::string TempSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return ".tempstate" + std::to_string(rng());
}

void ShapeToProto(const TensorShape& s, tensorflow::TensorShapeProto* p) {
  p->Clear();
  for (int64_t d : s.dims()) p->add_dim()->set_size(d);
}

// Serializes a string tensor as TensorFlow does and returns its entry crc
// (over the fixed-width lengths, the stored length checksum and the bytes).
uint32_t EncodeStrings(const Tensor& t, std::string* out) {
  auto strs = t.flat<std::string>();
  uint32_t crc = 0;
  for (const std::string& s : strs) {
    PutVarint64(out, s.size());
    char buf[8];
    if (s.size() <= UINT32_MAX) {
      EncodeFixed32(buf, static_cast<uint32_t>(s.size()));
      crc = crc32c::Extend(crc, buf, 4);
    } else {
      EncodeFixed64(buf, s.size());
      crc = crc32c::Extend(crc, buf, 8);
    }
  }
  char masked[4];
  EncodeFixed32(masked, crc32c::Mask(crc));
  out->append(masked, 4);
  crc = crc32c::Extend(crc, masked, 4);
  for (const std::string& s : strs) {
    out->append(s);
    crc = crc32c::Extend(crc, s.data(), s.size());
  }
  return crc;
}

}  // namespace

BundleWriter::BundleWriter(Env* env, std::string prefix, BundleWriterOptions options)
    : env_(env), prefix_(std::move(prefix)), options_(options) {
  data_tmp_ = DataFilename(prefix_, 0, 1) + TempSuffix();
  index_tmp_ = MetaFilename(prefix_) + TempSuffix();
  const std::string dir(Dirname(prefix_));
  if (!dir.empty()) status_ = env_->CreateDirs(dir);
  if (!status_.ok()) return;
  auto f = env_->NewWritableFile(data_tmp_);
  if (!f.ok()) {
    status_ = f.status();
    return;
  }
  data_ = std::move(f).value();
}

BundleWriter::~BundleWriter() {
  if (finished_) return;
  if (data_) data_->Close().IgnoreError();
  if (env_->FileExists(data_tmp_)) env_->DeleteFile(data_tmp_).IgnoreError();
  if (env_->FileExists(index_tmp_)) env_->DeleteFile(index_tmp_).IgnoreError();
}

Status BundleWriter::Add(const std::string& key, const Tensor& tensor) {
  RETURN_IF_ERROR(status_);
  if (finished_) return FailedPrecondition("BundleWriter::Add after Finish");
  if (key.empty()) return InvalidArgument("bundle keys must be non-empty (\"\" is the header)");
  if (entries_.count(key)) return InvalidArgument("adding duplicate key '" + key + "'");
  if (!tensor.IsInitialized() || !IsStorableDataType(tensor.dtype())) {
    return InvalidArgument("cannot save tensor '" + key + "' of dtype " +
                           DataTypeString(tensor.dtype()));
  }
  tensorflow::BundleEntryProto entry;
  entry.set_dtype(static_cast<tensorflow::DataType>(tensor.dtype()));
  ShapeToProto(tensor.shape(), entry.mutable_shape());
  entry.set_shard_id(0);
  entry.set_offset(static_cast<int64_t>(size_));

  uint32_t crc = 0;
  std::string strings;
  std::string bools;
  std::string_view bytes;
  if (tensor.dtype() == DT_STRING) {
    crc = EncodeStrings(tensor, &strings);
    bytes = strings;
  } else {
    if (tensor.dtype() == DT_BOOL) {
      // One byte per element, 0 or 1, independent of how the host stores bool.
      for (bool b : tensor.flat<bool>()) bools.push_back(b ? 1 : 0);
      bytes = bools;
    } else {
      bytes = std::string_view(static_cast<const char*>(tensor.raw_data()),
                               static_cast<size_t>(tensor.num_elements()) *
                                   DataTypeSize(tensor.dtype()));
    }
    crc = crc32c::Value(bytes.data(), bytes.size());
  }
  status_ = data_->Append(bytes);
  RETURN_IF_ERROR(status_);
  entry.set_size(static_cast<int64_t>(bytes.size()));
  entry.set_crc32c(crc32c::Mask(crc));
  size_ += bytes.size();
  entries_.emplace(key, std::move(entry));
  return Status::OK();
}

Status BundleWriter::AddSlice(const std::string& full_key, const TensorShape& full_shape,
                              const tensorflow::TensorSliceProto& slice,
                              const Tensor& slice_tensor) {
  RETURN_IF_ERROR(status_);
  auto extents = SliceFromProto(slice, full_shape);
  if (!extents.ok()) return InvalidArgument("AddSlice '" + full_key + "': " + extents.status().message());
  const TensorShape slice_shape = SliceShape(*extents, full_shape);
  if (!(slice_shape == slice_tensor.shape())) {
    return InvalidArgument("AddSlice '" + full_key + "': slice tensor has shape " +
                           slice_tensor.shape().DebugString() + ", slice needs " +
                           slice_shape.DebugString());
  }
  if (slice_shape == full_shape) return Add(full_key, slice_tensor);

  auto it = entries_.find(full_key);
  if (it != entries_.end()) {
    const auto& e = it->second;
    if (e.slices_size() == 0 || e.dtype() != static_cast<int>(slice_tensor.dtype())) {
      return InvalidArgument("AddSlice '" + full_key + "' conflicts with an earlier entry");
    }
  }
  tensorflow::BundleEntryProto& full = entries_[full_key];
  full.set_dtype(static_cast<tensorflow::DataType>(slice_tensor.dtype()));
  ShapeToProto(full_shape, full.mutable_shape());
  *full.add_slices() = slice;
  return Add(EncodeTensorNameSlice(full_key, *extents), slice_tensor);
}

Status BundleWriter::Finish() {
  RETURN_IF_ERROR(status_);
  if (finished_) return FailedPrecondition("BundleWriter::Finish called twice");
  status_ = data_->Close();
  data_.reset();
  RETURN_IF_ERROR(status_);
  status_ = env_->RenameFile(data_tmp_, DataFilename(prefix_, 0, 1));
  RETURN_IF_ERROR(status_);

  ASSIGN_OR_RETURN(auto index, env_->NewWritableFile(index_tmp_));
  table::TableOptions topts;
  topts.compression = options_.index_compression;
  table::TableBuilder builder(topts, index.get());
  tensorflow::BundleHeaderProto header;
  header.set_num_shards(1);
  header.set_endianness(tensorflow::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(kTensorBundleVersion);
  header.mutable_version()->set_min_consumer(kTensorBundleMinConsumer);
  status_ = builder.Add("", header.SerializeAsString());
  for (const auto& [key, entry] : entries_) {
    if (!status_.ok()) break;
    status_ = builder.Add(key, entry.SerializeAsString());
  }
  if (status_.ok()) status_ = builder.Finish();
  Status close = index->Close();
  if (status_.ok()) status_ = close;
  if (status_.ok()) status_ = env_->RenameFile(index_tmp_, MetaFilename(prefix_));
  if (!status_.ok()) {
    env_->DeleteFile(index_tmp_).IgnoreError();
    return status_;
  }
  finished_ = true;
  return Status::OK();
}

Status MergeBundles(Env* env, const std::vector<std::string>& prefixes, const std::string& merged_prefix) {
  if (prefixes.empty()) return InvalidArgument("MergeBundles: no bundles to merge");
  std::map<std::string, tensorflow::BundleEntryProto> entries;
  // Source data file -> merged shard id, numbered by first use in key order,
  // exactly as TensorFlow numbers them (so the merged files are byte-identical).
  std::map<std::string, int> shard_ids;
  std::vector<std::string> shard_order;
  int num_shards = 0;
  tensorflow::BundleHeaderProto header;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& prefix = prefixes[i];
    ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env, prefix));
    const auto& h = reader->header();
    if (i == 0) {
      header.set_endianness(h.endianness());
      *header.mutable_version() = h.version();
    } else if (h.endianness() != header.endianness() ||
               h.version().SerializeAsString() != header.version().SerializeAsString()) {
      return InvalidArgument("MergeBundles: " + prefix + " differs in endianness or format version");
    }
    num_shards += h.num_shards();
    for (const auto& [key, entry] : reader->entries()) {
      auto it = entries.find(key);
      if (it != entries.end()) {
        // Only the full-tensor entries of a partitioned variable may repeat:
        // each bundle contributes its slices.
        if (it->second.slices_size() == 0 || entry.slices_size() == 0) {
          return InvalidArgument("MergeBundles: duplicate tensor '" + key + "' in " + prefix);
        }
        if (it->second.dtype() != entry.dtype() ||
            it->second.shape().SerializeAsString() != entry.shape().SerializeAsString()) {
          return InvalidArgument("MergeBundles: slices of '" + key + "' disagree on dtype or shape");
        }
        for (const auto& slice : entry.slices()) *it->second.add_slices() = slice;
        continue;
      }
      const std::string data = DataFilename(prefix, entry.shard_id(), h.num_shards());
      auto [id, fresh] = shard_ids.emplace(data, static_cast<int>(shard_ids.size()));
      if (fresh) shard_order.push_back(data);
      tensorflow::BundleEntryProto e = entry;
      e.set_shard_id(id->second);
      entries.emplace(key, std::move(e));
    }
  }
  const std::string dir(Dirname(merged_prefix));
  if (!dir.empty()) RETURN_IF_ERROR(env->CreateDirs(dir));
  for (const std::string& from : shard_order) {
    RETURN_IF_ERROR(env->RenameFile(from, DataFilename(merged_prefix, shard_ids[from],
                                                       static_cast<int>(shard_ids.size()))));
  }
  header.set_num_shards(num_shards);
  ASSIGN_OR_RETURN(auto index, env->NewWritableFile(MetaFilename(merged_prefix)));
  table::TableBuilder builder(table::TableOptions{}, index.get());
  Status s = builder.Add("", header.SerializeAsString());
  for (const auto& [key, entry] : entries) {
    if (!s.ok()) break;
    s = builder.Add(key, entry.SerializeAsString());
  }
  if (s.ok()) s = builder.Finish();
  Status close = index->Close();
  if (s.ok()) s = close;
  RETURN_IF_ERROR(s);
  for (const std::string& prefix : prefixes) env->DeleteFile(MetaFilename(prefix)).IgnoreError();
  return Status::OK();
}

}  // namespace savedmodel::bundle
