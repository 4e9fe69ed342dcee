#include "savedmodel/format/bundle/bundle_writer.h"

#include <random>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/crc32c.h"
#include "savedmodel/format/bundle/bundle_format.h"
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

}  // namespace savedmodel::bundle
