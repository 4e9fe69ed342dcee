// Table: read-only view of a LevelDB-format table (see format.h for the bytes).
//
// The whole file is held in memory (normally a mapping from Env::MapFile) and
// kept alive by a shared_ptr, so blocks stored uncompressed are read in place.
// Every block checksum is verified when the block is read. Malformed input
// yields DATA_LOSS statuses naming the file; nothing asserts on file bytes.
//
// Thread-safe: a Table is immutable after Open; each Iterator belongs to one
// thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/format/table/block.h"
#include "savedmodel/format/table/format.h"

namespace savedmodel::table {

class Table {
 public:
  // `filename` is only used in error messages.
  static StatusOr<std::unique_ptr<Table>> Open(std::shared_ptr<const ReadOnlyMemoryRegion> file,
                                               std::string filename);
  // Maps `path` through env and opens it.
  static StatusOr<std::unique_ptr<Table>> Open(Env* env, const std::string& path);
  // Copies `bytes` into a private region (tests, fuzzing).
  static StatusOr<std::unique_ptr<Table>> OpenBytes(std::string bytes, std::string filename);

  // Walks the entries in key order, loading data blocks as it reaches them.
  // Holds a reference to the file bytes, so it may outlive the Table.
  class Iterator {
   public:
    bool Valid() const { return data_.Valid(); }
    // OK unless a block was corrupt; iteration stops at the first error.
    Status status() const;
    std::string_view key() const { return data_.key(); }
    std::string_view value() const { return data_.value(); }

    void SeekToFirst();
    // Positions at the first entry with key >= target.
    void Seek(std::string_view target);
    void Next();

   private:
    friend class Table;
    explicit Iterator(const Table* table);
    // Loads the data block the index iterator points at (or clears data_).
    void LoadDataBlock();
    // Moves past empty data blocks.
    void SkipEmptyBlocks();

    std::shared_ptr<const ReadOnlyMemoryRegion> file_;
    std::shared_ptr<const std::string> filename_;
    BlockIterator index_;
    BlockIterator data_;
    Status status_;
  };

  Iterator NewIterator() const { return Iterator(this); }

  // The value stored under exactly `key`; NOT_FOUND when absent.
  StatusOr<std::string> Get(std::string_view key) const;

  const std::string& filename() const { return *filename_; }

 private:
  Table() = default;

  std::shared_ptr<const ReadOnlyMemoryRegion> file_;
  std::shared_ptr<const std::string> filename_;
  BlockContents index_block_;
};

}  // namespace savedmodel::table
