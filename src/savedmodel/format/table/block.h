// One block of a table: sorted key/value entries with prefix-compressed keys.
//
//   block   := entry* restart:fixed32[num_restarts] num_restarts:fixed32
//   entry   := shared:varint32 non_shared:varint32 value_size:varint32
//              key_delta[non_shared] value[value_size]
//
// An entry's key is the first `shared` bytes of the previous key followed by
// key_delta. Every `restart_interval` entries the builder stores a whole key
// (shared = 0) and records that entry's offset in the restart array, so a
// reader can binary-search the restarts and then scan forward.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/format/table/format.h"

namespace savedmodel::table {

// Iterates the entries of one block. The bytes must outlive the iterator
// (hold the BlockContents). Any malformed entry makes the iterator invalid
// with a non-OK status(); it never reads outside `contents`.
class BlockIterator {
 public:
  BlockIterator() = default;
  // `filename` names the file in errors.
  BlockIterator(BlockContents contents, const std::string* filename);

  bool Valid() const { return current_ < restarts_offset_ && status_.ok(); }
  const Status& status() const { return status_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

  void SeekToFirst();
  // Positions at the first entry with key >= target.
  void Seek(std::string_view target);
  void Next();

 private:
  void Corrupt(std::string_view detail);
  // Parses the entry at `offset` (relative to the block) given the previous key.
  bool ParseEntryAt(uint32_t offset);
  bool RestartKey(uint32_t index, std::string_view* key);

  BlockContents contents_;
  const std::string* filename_ = nullptr;
  uint32_t restarts_offset_ = 0;  // where the restart array begins
  uint32_t num_restarts_ = 0;
  uint32_t current_ = 0;          // offset of the current entry; restarts_offset_ = end
  uint32_t next_ = 0;             // offset of the entry after it
  std::string key_;
  std::string_view value_;
  Status status_;
};

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);

  // REQUIRES: key > every key added since the last Reset (the table builder checks).
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array; the result stays valid until Reset.
  std::string_view Finish();
  void Reset();

  // Size of the block if it were finished now.
  size_t CurrentSizeEstimate() const { return buffer_.size() + 4 * restarts_.size() + 4; }
  bool empty() const { return buffer_.empty(); }

 private:
  int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;
  std::string last_key_;
};

}  // namespace savedmodel::table
