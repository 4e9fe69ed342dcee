// MappedShard: one data file of a tensor bundle mapped copy-on-write
// (Env's RandomAccessFile::MapCopyOnWrite), shared by the BundleReader that
// mapped it and by every tensor it handed out as a view of its bytes: the
// mapping lives until the last of them is gone.
//
// The process keeps a record of the live mappings, so that the ops that set a
// variable can tell a restored view (IsCheckpointView) from a tensor someone
// else may still write, and take it without copying it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel::bundle {

class MappedShard : public std::enable_shared_from_this<MappedShard> {
 public:
  // Records the region's bytes as a checkpoint mapping until destroyed.
  explicit MappedShard(std::shared_ptr<CopyOnWriteRegion> region);
  ~MappedShard();
  MappedShard(const MappedShard&) = delete;
  MappedShard& operator=(const MappedShard&) = delete;

  const char* data() const { return region_->data(); }
  size_t size() const { return region_->size(); }

  // A tensor over bytes [offset, offset + bytes) of the mapping, which it keeps
  // alive. REQUIRES: the range lies inside the mapping, the address is
  // kExternalTensorAlignment-aligned, bytes = num_elements * DataTypeSize, and
  // dtype is numeric (every bit pattern a valid value). The bytes are charged
  // to the calling thread's MemoryBudget and per-tensor limit, as an allocation
  // of the same size would be (RESOURCE_EXHAUSTED when over), and released
  // when the tensor goes.
  StatusOr<Tensor> View(DataType dtype, const TensorShape& shape, uint64_t offset,
                        size_t bytes);

 private:
  std::shared_ptr<CopyOnWriteRegion> region_;
};

// True when `t`'s bytes lie inside a live MappedShard: a view a BundleReader
// returned, or a tensor sharing its buffer. Those pages are private to the
// process (written ones are copies) and reached only through tensors, so a
// variable may take such a tensor as its value without copying it, as it takes
// the fresh buffer an update writes: no writer outside the runtime holds them.
bool IsCheckpointView(const Tensor& t);

}  // namespace savedmodel::bundle
