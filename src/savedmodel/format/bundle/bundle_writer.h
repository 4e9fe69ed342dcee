// BundleWriter: writes a tensor bundle in TensorFlow's exact layout
// (bundle_format.h), one data shard, no padding between tensors.
//
// Data goes to "P.data-00000-of-00001.tempstate<random>" and the index to
// "P.index.tempstate<random>"; Finish() renames them into place (data first,
// as TensorFlow does), so a crash leaves no half-written file under the final
// names. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/format/table/format.h"
#include "tensorflow/core/framework/tensor_slice.pb.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"

namespace savedmodel::bundle {

struct BundleWriterOptions {
  // TensorFlow >= 1.2 writes uncompressed index blocks; older releases used snappy.
  table::CompressionType index_compression = table::kNoCompression;
};

class BundleWriter {
 public:
  // Creates the prefix's directory if needed. Errors surface from Add/Finish.
  BundleWriter(Env* env, std::string prefix, BundleWriterOptions options = {});
  ~BundleWriter();  // deletes the temporary files if Finish() was not reached

  // Appends `tensor`'s bytes to the data file. Keys must be unique and
  // non-empty; they may come in any order (the index is sorted at Finish).
  Status Add(const std::string& key, const Tensor& tensor);

  // Adds one slice of the partitioned tensor `full_key` of `full_shape`. A
  // slice covering the whole tensor is stored as a plain Add.
  Status AddSlice(const std::string& full_key, const TensorShape& full_shape,
                  const tensorflow::TensorSliceProto& slice, const Tensor& slice_tensor);

  // Writes the index and renames both files into place.
  Status Finish();

 private:
  Env* env_;
  std::string prefix_;
  BundleWriterOptions options_;
  std::string data_tmp_;
  std::string index_tmp_;
  std::unique_ptr<WritableFile> data_;
  uint64_t size_ = 0;
  std::map<std::string, tensorflow::BundleEntryProto> entries_;
  Status status_;
  bool finished_ = false;
};

// TensorFlow's MergeBundles (the MergeV2Checkpoints op): joins the bundles at
// `prefixes`, each of any number of shards, into one at `merged_prefix`. Data
// files are renamed, not copied, and numbered by first use (bundle order, then
// key order); the slices of a partitioned tensor may come from several
// bundles. The source index files are deleted. A sharded Saver writes each device's tensors to its
// own temporary prefix and merges them this way.
Status MergeBundles(Env* env, const std::vector<std::string>& prefixes, const std::string& merged_prefix);

}  // namespace savedmodel::bundle
