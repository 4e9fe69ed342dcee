// BundleReader: reads a TensorFlow tensor bundle (a checkpoint or a
// SavedModel's variables/variables). Layout in bundle_format.h.
//
// Open() reads and validates the whole index and opens every data shard;
// after that the reader is immutable, so concurrent calls from several threads
// are safe. Every tensor read is checked against its shard's size and its
// stored crc32c; corrupt files give DATA_LOSS statuses naming the file.
//
// Where the Env can (RandomAccessFile::MapCopyOnWrite), Open maps each data
// shard copy-on-write, and Read returns a numeric tensor stored whole at a
// 16-byte aligned offset as a view of the mapping instead of a copy (see
// BundleReaderOptions): its checksum is still verified, which reads its pages
// once, and a write into it lands in the process's own copy of the page, never
// in the file. Everything else (strings, bool, which is normalised, slices,
// misaligned or small tensors, Envs that cannot map) is read with positional
// reads straight into a fresh tensor.
//
// The one cost of a view: the file must not be truncated or rewritten in
// place while the tensor lives (see CopyOnWriteRegion): touching a page past a
// new end raises SIGBUS, and pages rewritten in place read as their new bytes,
// unchecked. Writers that replace the files by rename (ours, TensorFlow's) are
// safe. Where that cannot be promised, turn views off
// (BundleReaderOptions, LoadOptions::mmap_variables): then a shard truncated
// while the reader is open gives DATA_LOSS. Allocation failure is
// RESOURCE_EXHAUSTED.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/format/bundle/bundle_format.h"
#include "savedmodel/format/bundle/mapped_shard.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"

namespace savedmodel::bundle {

struct BundleReaderOptions {
  // Return tensors as views of the mapped data files where the Env can map.
  bool map_tensors = true;
  // Smaller tensors are copied: a view keeps its pages and the whole mapping
  // alive, which is not worth it for a few bytes.
  size_t min_view_bytes = 4096;
};

struct TensorInfo {
  DataType dtype = DT_INVALID;
  TensorShape shape;
};

class BundleReader {
 public:
  // `env` must outlive the reader. `prefix` is e.g. "model/variables/variables".
  static StatusOr<std::unique_ptr<BundleReader>> Open(Env* env, const std::string& prefix,
                                                      const BundleReaderOptions& options = {});

  // Tensor names, sorted; without the header key "" and the per-slice entries
  // of partitioned variables (those appear under their full name).
  std::vector<std::string> Keys() const;
  bool Contains(const std::string& key) const;
  StatusOr<TensorInfo> Info(const std::string& key) const;
  // The whole tensor, reassembled from its slices for partitioned variables;
  // a view of the mapped data file where the options allow (IsCheckpointView).
  StatusOr<Tensor> Read(const std::string& key) const;
  // Part of tensor `key`: `slice` has one extent per dim of its full shape
  // (length -1: the whole dim). Works whether the checkpoint stores the tensor
  // whole or as slices; in the latter case the stored slices must cover the
  // requested one, as TensorFlow's BundleReader::LookupSlice requires.
  StatusOr<Tensor> ReadSlice(const std::string& key, const std::vector<SliceExtent>& slice) const;

  // Lower-level access, for tools and byte-exact tests.
  int num_shards() const { return static_cast<int>(shards_.size()); }
  // Whether shard i is mapped (views of it can be returned).
  bool shard_mapped(int i) const { return shards_[i].mapping != nullptr; }
  const tensorflow::BundleHeaderProto& header() const { return header_; }
  // Every entry in the index (including slice entries), by key.
  const std::map<std::string, tensorflow::BundleEntryProto>& entries() const { return entries_; }
  // The stored bytes of an entry that holds data (not a partitioned one),
  // bounds-checked against its shard but not checksummed.
  StatusOr<std::string> EntryBytes(const std::string& key) const;

 private:
  BundleReader() = default;
  StatusOr<const tensorflow::BundleEntryProto*> FindEntry(const std::string& key) const;
  StatusOr<TensorInfo> InfoFromEntry(const std::string& key,
                                     const tensorflow::BundleEntryProto& e) const;
  struct Shard;
  // The shard holding `e`'s bytes, after checking they lie inside it.
  StatusOr<const Shard*> ShardOf(const std::string& key,
                                 const tensorflow::BundleEntryProto& e) const;
  StatusOr<std::string> BytesOf(const std::string& key,
                                const tensorflow::BundleEntryProto& e) const;
  StatusOr<Tensor> ReadImpl(const std::string& key) const;
  StatusOr<Tensor> ReadSliceImpl(const std::string& key,
                                 const std::vector<SliceExtent>& slice) const;
  // Reads an entry that stores its own bytes.
  StatusOr<Tensor> ReadStored(const std::string& key, const tensorflow::BundleEntryProto& e,
                              const TensorInfo& info) const;
  StatusOr<Tensor> ReadSliced(const std::string& key, const tensorflow::BundleEntryProto& e,
                              const TensorInfo& info) const;
  Status Corrupt(const std::string& key, const std::string& detail) const;

  std::string prefix_;
  std::string index_name_;
  tensorflow::BundleHeaderProto header_;
  std::map<std::string, tensorflow::BundleEntryProto> entries_;
  struct Shard {
    std::string filename;
    std::unique_ptr<RandomAccessFile> file;
    uint64_t size = 0;  // when opened; reads past a later truncation fail
    std::shared_ptr<MappedShard> mapping;  // null when not mapped
    // Byte ranges handed out as views (begin -> end), under view_mu_.
    mutable std::map<uint64_t, uint64_t> viewed;
  };
  // Whether [offset, offset + size) of `shard` may be handed out as a view:
  // no earlier view overlaps it, so every tensor Read returns still has bytes
  // of its own (a write into one is never seen through another).
  bool ClaimView(const Shard& shard, uint64_t offset, uint64_t size) const;
  std::vector<Shard> shards_;
  BundleReaderOptions options_;
  mutable std::mutex view_mu_;
  uint64_t total_shard_bytes_ = 0;
};

}  // namespace savedmodel::bundle
