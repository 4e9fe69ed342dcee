// TableBuilder: writes a LevelDB-format table (format.h) through a WritableFile.
//
// With the default options it produces the same bytes as TensorFlow's
// table::TableBuilder given the same keys, values and options, including the
// choice of index keys (shortest separator / short successor), the rule that
// an entry of at least 2 * block_size bytes starts a new block, and keeping a
// snappy-compressed block only when it saves at least 1/8.
//
// Not thread-safe. Call Finish() exactly once; the caller closes the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/format/table/block.h"
#include "savedmodel/format/table/format.h"

namespace savedmodel::table {

struct TableOptions {
  // Target size of a data block before compression (TensorFlow's default).
  size_t block_size = 262144;
  // Entries between full keys in data blocks; index blocks always use 1.
  int block_restart_interval = 16;
  // TensorFlow's BundleWriter has used kNoCompression since release 1.2;
  // earlier bundles (and the table default) used snappy.
  CompressionType compression = kNoCompression;
};

class TableBuilder {
 public:
  // `file` must outlive the builder.
  TableBuilder(const TableOptions& options, WritableFile* file);

  // REQUIRES: key > every key added before (else InvalidArgument).
  Status Add(std::string_view key, std::string_view value);
  // Writes the last data block, the metaindex and index blocks and the footer.
  Status Finish();

  uint64_t NumEntries() const { return num_entries_; }
  // Bytes written so far (the file size after Finish).
  uint64_t FileSize() const { return offset_; }

 private:
  Status Flush();
  Status WriteBlock(BlockBuilder* block, BlockHandle* handle);
  Status WriteRawBlock(std::string_view contents, CompressionType type, BlockHandle* handle);

  TableOptions options_;
  WritableFile* file_;
  uint64_t offset_ = 0;
  Status status_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::string last_key_;
  uint64_t num_entries_ = 0;
  bool closed_ = false;
  // The index entry for a finished data block waits for the next key, so its
  // key can be a short separator between the two blocks.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  std::string compressed_;
};

// Index-key helpers, as LevelDB's bytewise comparator defines them.
// Shortens *start to a key in [*start, limit) when one byte can be bumped.
void FindShortestSeparator(std::string* start, std::string_view limit);
// Shortens *key to a short key >= *key.
void FindShortSuccessor(std::string* key);

}  // namespace savedmodel::table
