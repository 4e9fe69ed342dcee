// Checkpoint I/O ops as TF1 graphs use them: the saver subgraph (RestoreV2,
// SaveV2, MergeV2Checkpoints, ShardedFilename, StringJoin).
#include <cstdio>

#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

Status ScalarString(OpKernelContext* ctx, int i, std::string* out) {
  Tensor t = ctx->input(i);
  if (t.dtype() != DT_STRING || t.num_elements() != 1) {
    return ctx->Error("input " + std::to_string(i) + " must be a single string, got " +
                      t.DebugString());
  }
  *out = t.flat<std::string>()[0];
  return Status::OK();
}

// RestoreV2(prefix, tensor_names, shape_and_slices) -> tensors of `dtypes`.
// Only whole tensors (empty slice specs) are restored; that is what savers of
// non-partitioned variables write.
class RestoreV2Kernel : public OpKernel {
 public:
  RestoreV2Kernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("dtypes", &dtypes_); }
  Status Compute(OpKernelContext* ctx) const override {
    std::string prefix;
    RETURN_IF_ERROR(ScalarString(ctx, 0, &prefix));
    Tensor names = ctx->input(1), slices = ctx->input(2);
    if (names.dtype() != DT_STRING || slices.dtype() != DT_STRING ||
        names.num_elements() != static_cast<int64_t>(dtypes_.size()) ||
        slices.num_elements() != names.num_elements()) {
      return ctx->Error("tensor_names and shape_and_slices must be string vectors of length " +
                        std::to_string(dtypes_.size()));
    }
    auto reader = bundle::BundleReader::Open(Env::Default(), prefix);
    if (!reader.ok()) return reader.status().WithContext("RestoreV2 '" + ctx->node().name() + "'");
    for (size_t i = 0; i < dtypes_.size(); ++i) {
      const std::string& name = names.flat<std::string>()[i];
      if (!slices.flat<std::string>()[i].empty()) {
        return Unimplemented("RestoreV2 '" + ctx->node().name() + "': restoring slice '" +
                             slices.flat<std::string>()[i] + "' of '" + name + "'");
      }
      auto t = (*reader)->Read(name);
      if (!t.ok()) return t.status().WithContext("restoring '" + name + "' from " + prefix);
      if (t->dtype() != dtypes_[i]) {
        return InvalidArgument("restoring '" + name + "' from " + prefix + ": checkpoint has " +
                               DataTypeString(t->dtype()) + ", graph expects " +
                               DataTypeString(dtypes_[i]));
      }
      ctx->set_output(static_cast<int>(i), std::move(t).value());
    }
    return Status::OK();
  }

 private:
  std::vector<DataType> dtypes_;
};
REGISTER_KERNEL("RestoreV2", RestoreV2Kernel);

// SaveV2(prefix, tensor_names, shape_and_slices, tensors...): writes one bundle.
class SaveV2Kernel : public OpKernel {
 public:
  SaveV2Kernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    std::string prefix;
    RETURN_IF_ERROR(ScalarString(ctx, 0, &prefix));
    Tensor names = ctx->input(1);
    const int n = ctx->num_inputs() - 3;
    if (names.dtype() != DT_STRING || names.num_elements() != n) {
      return ctx->Error("tensor_names must hold one name per tensor (" + std::to_string(n) + ")");
    }
    bundle::BundleWriter writer(Env::Default(), prefix);
    for (int i = 0; i < n; ++i) {
      RETURN_IF_ERROR(writer.Add(names.flat<std::string>()[i], ctx->input(3 + i)));
    }
    return writer.Finish();
  }
};
REGISTER_KERNEL("SaveV2", SaveV2Kernel);

// ShardedFilename(basename, shard, num_shards) -> "basename-00000-of-00001".
class ShardedFilenameKernel : public OpKernel {
 public:
  ShardedFilenameKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    std::string base;
    RETURN_IF_ERROR(ScalarString(ctx, 0, &base));
    Tensor shard = ctx->input(1), num = ctx->input(2);
    if (shard.num_elements() != 1 || num.num_elements() != 1) {
      return ctx->Error("shard and num_shards must be scalars");
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "-%05d-of-%05d", shard.flat<int32_t>()[0], num.flat<int32_t>()[0]);
    ctx->set_output(0, Tensor::Scalar<std::string>(base + buf));
    return Status::OK();
  }
};
REGISTER_KERNEL("ShardedFilename", ShardedFilenameKernel);

// StringJoin(inputs..., separator): element-wise join; scalars broadcast.
class StringJoinKernel : public OpKernel {
 public:
  StringJoinKernel(const OpKernelConstruction& c, Status* s) {
    if (c.HasAttr("separator")) *s = c.GetAttr("separator", &separator_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    std::vector<Tensor> in;
    TensorShape shape;
    bool have_shape = false;
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      in.push_back(ctx->input(i));
      if (in.back().rank() > 0) {
        if (have_shape && !(shape == in.back().shape())) {
          return ctx->Error("non-scalar inputs must all have the same shape");
        }
        shape = in.back().shape();
        have_shape = true;
      }
    }
    Tensor* out = ctx->allocate_output(0, DT_STRING, shape);
    auto o = out->flat<std::string>();
    for (size_t e = 0; e < o.size(); ++e) {
      for (size_t i = 0; i < in.size(); ++i) {
        if (i) o[e] += separator_;
        o[e] += in[i].flat<std::string>()[in[i].rank() == 0 ? 0 : e];
      }
    }
    return Status::OK();
  }

 private:
  std::string separator_;
};
REGISTER_KERNEL("StringJoin", StringJoinKernel);

// MergeV2Checkpoints(checkpoint_prefixes, destination_prefix): a single
// sharded save has one prefix; renaming its files is the whole merge.
class MergeV2CheckpointsKernel : public OpKernel {
 public:
  MergeV2CheckpointsKernel(const OpKernelConstruction& c, Status* s) {
    if (c.HasAttr("delete_old_dirs")) *s = c.GetAttr("delete_old_dirs", &delete_old_dirs_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor prefixes = ctx->input(0);
    std::string dest;
    RETURN_IF_ERROR(ScalarString(ctx, 1, &dest));
    if (prefixes.dtype() != DT_STRING || prefixes.num_elements() != 1) {
      return Unimplemented("MergeV2Checkpoints '" + ctx->node().name() +
                           "': merging more than one shard");
    }
    const std::string& src = prefixes.flat<std::string>()[0];
    Env* env = Env::Default();
    RETURN_IF_ERROR(env->RenameFile(src + ".index", dest + ".index"));
    RETURN_IF_ERROR(env->RenameFile(src + ".data-00000-of-00001", dest + ".data-00000-of-00001"));
    if (delete_old_dirs_) {
      std::string dir(Dirname(src));
      auto children = env->GetChildren(dir);
      if (children.ok() && children->empty()) env->DeleteRecursively(dir).IgnoreError();
    }
    return Status::OK();
  }

 private:
  bool delete_old_dirs_ = true;
};
REGISTER_KERNEL("MergeV2Checkpoints", MergeV2CheckpointsKernel);

}  // namespace
}  // namespace savedmodel
