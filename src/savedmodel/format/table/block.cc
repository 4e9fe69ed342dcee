#include "savedmodel/format/table/block.h"

#include <algorithm>

#include "savedmodel/base/coding.h"

namespace savedmodel::table {

BlockIterator::BlockIterator(BlockContents contents, const std::string* filename)
    : contents_(std::move(contents)), filename_(filename) {
  const std::string_view d = contents_.data;
  if (d.size() < 4) {
    Corrupt("block of " + std::to_string(d.size()) + " bytes is too short for a restart count");
    return;
  }
  if (d.size() > UINT32_MAX) {
    Corrupt("block larger than 4 GiB");
    return;
  }
  num_restarts_ = DecodeFixed32(d.data() + d.size() - 4);
  const uint64_t max_restarts = (d.size() - 4) / 4;
  if (num_restarts_ > max_restarts) {
    Corrupt("bad restart array: " + std::to_string(num_restarts_) + " restarts in a block of " +
            std::to_string(d.size()) + " bytes");
    num_restarts_ = 0;
    return;
  }
  restarts_offset_ = static_cast<uint32_t>(d.size() - 4 - 4 * uint64_t{num_restarts_});
  if (num_restarts_ == 0 && restarts_offset_ != 0) {
    Corrupt("bad restart array: no restart points but " + std::to_string(restarts_offset_) +
            " bytes of entries");
    restarts_offset_ = 0;
    return;
  }
  current_ = restarts_offset_;
}

void BlockIterator::Corrupt(std::string_view detail) {
  if (status_.ok()) {
    status_ = TableCorruption(filename_ ? *filename_ : std::string("<table>"), detail);
  }
  current_ = restarts_offset_;
  key_.clear();
  value_ = {};
}

bool BlockIterator::ParseEntryAt(uint32_t offset) {
  const char* base = contents_.data.data();
  const char* p = base + offset;
  const char* limit = base + restarts_offset_;
  uint32_t shared = 0, non_shared = 0, value_size = 0;
  if ((p = GetVarint32Ptr(p, limit, &shared)) == nullptr ||
      (p = GetVarint32Ptr(p, limit, &non_shared)) == nullptr ||
      (p = GetVarint32Ptr(p, limit, &value_size)) == nullptr) {
    Corrupt("truncated entry header at block offset " + std::to_string(offset));
    return false;
  }
  if (shared > key_.size()) {
    Corrupt("entry at block offset " + std::to_string(offset) + " shares " +
            std::to_string(shared) + " bytes with a previous key of " +
            std::to_string(key_.size()) + " bytes");
    return false;
  }
  const uint64_t remaining = static_cast<uint64_t>(limit - p);
  if (uint64_t{non_shared} + value_size > remaining) {
    Corrupt("entry at block offset " + std::to_string(offset) + " needs " +
            std::to_string(uint64_t{non_shared} + value_size) + " bytes but " +
            std::to_string(remaining) + " remain");
    return false;
  }
  key_.resize(shared);
  key_.append(p, non_shared);
  value_ = std::string_view(p + non_shared, value_size);
  current_ = offset;
  next_ = static_cast<uint32_t>(p + non_shared + value_size - base);
  return true;
}

void BlockIterator::SeekToFirst() {
  if (!status_.ok()) return;
  key_.clear();
  if (restarts_offset_ == 0) {
    current_ = restarts_offset_;
    return;
  }
  uint32_t first = DecodeFixed32(contents_.data.data() + restarts_offset_);
  if (first >= restarts_offset_) {
    Corrupt("bad restart array: restart point " + std::to_string(first) + " past entries end " +
            std::to_string(restarts_offset_));
    return;
  }
  ParseEntryAt(first);
}

void BlockIterator::Next() {
  if (!Valid()) return;
  if (next_ >= restarts_offset_) {
    current_ = restarts_offset_;
    return;
  }
  ParseEntryAt(next_);
}

bool BlockIterator::RestartKey(uint32_t index, std::string_view* key) {
  const uint32_t off = DecodeFixed32(contents_.data.data() + restarts_offset_ + 4 * index);
  if (off >= restarts_offset_) {
    Corrupt("bad restart array: restart point " + std::to_string(off) + " past entries end " +
            std::to_string(restarts_offset_));
    return false;
  }
  key_.clear();
  // With key_ cleared, ParseEntryAt rejects a restart entry that claims a
  // shared prefix: restart entries must hold their whole key.
  if (!ParseEntryAt(off)) return false;
  *key = key_;
  return true;
}

void BlockIterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  if (num_restarts_ == 0) {
    current_ = restarts_offset_;
    return;
  }
  // Last restart point whose key is < target; scanning from there finds the answer.
  uint32_t left = 0, right = num_restarts_ - 1;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view k;
    if (!RestartKey(mid, &k)) return;
    if (k < target) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  std::string_view k;
  if (!RestartKey(left, &k)) return;
  while (Valid() && key() < target) Next();
}

BlockBuilder::BlockBuilder(int restart_interval)
    : restart_interval_(std::max(1, restart_interval)), restarts_{0} {}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.assign(1, 0);
  counter_ = 0;
  last_key_.clear();
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  size_t shared = 0;
  if (counter_ < restart_interval_) {
    const size_t n = std::min(last_key_.size(), key.size());
    while (shared < n && last_key_[shared] == key[shared]) ++shared;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    counter_ = 0;
  }
  const size_t non_shared = key.size() - shared;
  PutVarint32(&buffer_, static_cast<uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(non_shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(key.data() + shared, non_shared);
  buffer_.append(value);
  last_key_.resize(shared);
  last_key_.append(key.data() + shared, non_shared);
  ++counter_;
}

std::string_view BlockBuilder::Finish() {
  for (uint32_t r : restarts_) PutFixed32(&buffer_, r);
  PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
  return buffer_;
}

}  // namespace savedmodel::table
