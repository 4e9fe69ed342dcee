#include "savedmodel/format/table/table_builder.h"

#include <snappy.h>

#include "savedmodel/base/coding.h"
#include "savedmodel/base/crc32c.h"

namespace savedmodel::table {

void FindShortestSeparator(std::string* start, std::string_view limit) {
  const size_t n = std::min(start->size(), limit.size());
  size_t diff = 0;
  while (diff < n && (*start)[diff] == limit[diff]) ++diff;
  if (diff >= n) return;  // one is a prefix of the other: keep start
  const uint8_t b = static_cast<uint8_t>((*start)[diff]);
  if (b < 0xff && b + 1 < static_cast<uint8_t>(limit[diff])) {
    (*start)[diff] = static_cast<char>(b + 1);
    start->resize(diff + 1);
  }
}

void FindShortSuccessor(std::string* key) {
  for (size_t i = 0; i < key->size(); ++i) {
    const uint8_t b = static_cast<uint8_t>((*key)[i]);
    if (b != 0xff) {
      (*key)[i] = static_cast<char>(b + 1);
      key->resize(i + 1);
      return;
    }
  }
}

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      index_block_(1) {}

Status TableBuilder::Add(std::string_view key, std::string_view value) {
  if (closed_) return FailedPrecondition("TableBuilder::Add after Finish");
  RETURN_IF_ERROR(status_);
  if (num_entries_ > 0) {
    if (key <= std::string_view(last_key_)) {
      return InvalidArgument("table keys must be added in increasing order: '" +
                             std::string(key) + "' after '" + last_key_ + "'");
    }
    // TensorFlow (unlike LevelDB) gives an entry of at least two blocks' worth
    // its own block rather than letting it bloat the current one.
    if (key.size() + value.size() >= 2 * options_.block_size) RETURN_IF_ERROR(Flush());
  }
  if (pending_index_entry_) {
    FindShortestSeparator(&last_key_, key);
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(last_key_, handle);
    pending_index_entry_ = false;
  }
  last_key_.assign(key);
  ++num_entries_;
  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) RETURN_IF_ERROR(Flush());
  return Status::OK();
}

Status TableBuilder::Flush() {
  if (data_block_.empty()) return Status::OK();
  RETURN_IF_ERROR(WriteBlock(&data_block_, &pending_handle_));
  pending_index_entry_ = true;
  return Status::OK();
}

Status TableBuilder::WriteBlock(BlockBuilder* block, BlockHandle* handle) {
  const std::string_view raw = block->Finish();
  std::string_view contents = raw;
  CompressionType type = kNoCompression;
  if (options_.compression == kSnappyCompression) {
    compressed_.clear();
    snappy::Compress(raw.data(), raw.size(), &compressed_);
    // Same threshold as TensorFlow/LevelDB: keep it only if it saves >= 1/8.
    if (compressed_.size() < raw.size() - raw.size() / 8) {
      contents = compressed_;
      type = kSnappyCompression;
    }
  }
  Status s = WriteRawBlock(contents, type, handle);
  compressed_.clear();
  block->Reset();
  return s;
}

Status TableBuilder::WriteRawBlock(std::string_view contents, CompressionType type,
                                   BlockHandle* handle) {
  handle->offset = offset_;
  handle->size = contents.size();
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(type);
  uint32_t crc = crc32c::Value(contents.data(), contents.size());
  crc = crc32c::Extend(crc, trailer, 1);
  EncodeFixed32(trailer + 1, crc32c::Mask(crc));
  status_ = file_->Append(contents);
  if (status_.ok()) status_ = file_->Append(std::string_view(trailer, kBlockTrailerSize));
  if (status_.ok()) offset_ += contents.size() + kBlockTrailerSize;
  return status_;
}

Status TableBuilder::Finish() {
  if (closed_) return FailedPrecondition("TableBuilder::Finish called twice");
  closed_ = true;
  RETURN_IF_ERROR(status_);
  RETURN_IF_ERROR(Flush());
  BlockHandle metaindex_handle, index_handle;
  BlockBuilder metaindex(options_.block_restart_interval);
  RETURN_IF_ERROR(WriteBlock(&metaindex, &metaindex_handle));
  if (pending_index_entry_) {
    FindShortSuccessor(&last_key_);
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(last_key_, handle);
    pending_index_entry_ = false;
  }
  RETURN_IF_ERROR(WriteBlock(&index_block_, &index_handle));
  Footer footer;
  footer.metaindex_handle = metaindex_handle;
  footer.index_handle = index_handle;
  std::string encoded;
  footer.EncodeTo(&encoded);
  status_ = file_->Append(encoded);
  if (status_.ok()) offset_ += encoded.size();
  return status_;
}

}  // namespace savedmodel::table
