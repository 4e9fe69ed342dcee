// Checkpoint I/O ops as TF1 graphs use them: the saver subgraph (RestoreV2,
// SaveV2, MergeV2Checkpoints, ShardedFilename, StringJoin).
#include <cstdint>
#include <cstdio>
#include <string_view>

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

// Parses a decimal int64 with an optional leading '-', nothing else; false
// on any other character or on overflow.
bool ParseInt64(std::string_view s, int64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0);
  if (v > limit) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = s.find(sep);
    std::string_view part = s.substr(0, at);
    if (!part.empty() || !skip_empty) parts.push_back(part);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return parts;
}

// A TF1 shape_and_slice spec, "dim0 dim1 ... slice", where the slice is one
// "start,length" or "-" (the whole dim) per dim, joined by ':', e.g.
// "10 4 0,4:-". The same rules as TensorFlow's checkpoint::ParseShapeAndSlice:
// dims non-negative, starts non-negative, lengths positive, each extent inside
// its dim, and as many extents as dims. Numbers are plain decimals (no '+',
// spaces or hex), a little stricter than TensorFlow's strto64.
struct ShapeAndSlice {
  std::vector<int64_t> full_shape;
  std::vector<bundle::SliceExtent> slice;
};

StatusOr<ShapeAndSlice> ParseShapeAndSlice(const std::string& spec, const std::string& tensor) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("shape_and_slice '" + spec + "' of tensor '" + tensor + "': " + why);
  };
  // Spaces are not collapsed: TensorFlow reads "4  3 -:-" as having an
  // empty, non-numeric dim. Empty extents between ':' are skipped, as there.
  std::vector<std::string_view> parts = Split(spec, ' ', /*skip_empty=*/false);
  if (parts.size() < 2) return bad("needs the full shape's dims and then a slice");
  ShapeAndSlice out;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int64_t dim;
    if (!ParseInt64(parts[i], &dim) || dim < 0) {
      return bad("dimension '" + std::string(parts[i]) + "' is not a non-negative int64");
    }
    out.full_shape.push_back(dim);
  }
  if (!TensorShape::FromDims(out.full_shape).ok()) return bad("the full shape is too large");
  for (std::string_view x : Split(parts.back(), ':', /*skip_empty=*/true)) {
    bundle::SliceExtent e;
    if (x == "-") {
      out.slice.push_back(e);
      continue;
    }
    const size_t comma = x.find(',');
    if (comma == std::string_view::npos || !ParseInt64(x.substr(0, comma), &e.start) ||
        !ParseInt64(x.substr(comma + 1), &e.length)) {
      return bad("extent '" + std::string(x) + "' is neither '-' nor 'start,length'");
    }
    if (e.start < 0 || e.length <= 0) {
      return bad("extent '" + std::string(x) + "' needs a non-negative start and a positive length");
    }
    out.slice.push_back(e);
  }
  if (out.slice.size() != out.full_shape.size()) {
    return bad("the slice has " + std::to_string(out.slice.size()) + " extents for " +
               std::to_string(out.full_shape.size()) + " dims");
  }
  for (size_t d = 0; d < out.slice.size(); ++d) {
    const auto& e = out.slice[d];
    if (e.length != -1 && (e.start > out.full_shape[d] || e.length > out.full_shape[d] - e.start)) {
      return bad("extent " + std::to_string(e.start) + "," + std::to_string(e.length) +
                 " of dimension " + std::to_string(d) + " lies outside its size " +
                 std::to_string(out.full_shape[d]));
    }
  }
  return out;
}

// RestoreV2(prefix, tensor_names, shape_and_slices) -> tensors of `dtypes`.
// An empty spec restores the whole tensor; a non-empty one (a TF1 partitioned
// variable's part) restores that slice, whether the checkpoint holds the
// tensor whole or in slices. String tensors restore by slice too, where
// TensorFlow refuses ("Dtype string not supported"); nothing depends on that
// refusal, and the bundle reader already reassembles sliced strings.
class RestoreV2Kernel : public OpKernel {
 public:
  RestoreV2Kernel(const OpKernelConstruction& c, Status* s) : env_(c.env()) {
    *s = c.GetAttr("dtypes", &dtypes_);
  }
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
    auto reader = bundle::BundleReader::Open(env_, prefix);
    if (!reader.ok()) return reader.status().WithContext("RestoreV2 '" + ctx->node().name() + "'");
    for (size_t i = 0; i < dtypes_.size(); ++i) {
      const std::string& name = names.flat<std::string>()[i];
      const std::string& spec = slices.flat<std::string>()[i];
      auto context = [&](const Status& s) {
        return s.WithContext("RestoreV2 '" + ctx->node().name() + "': restoring '" + name +
                             "' from " + prefix);
      };
      auto read = [&]() -> StatusOr<Tensor> {
        if (spec.empty()) return (*reader)->Read(name);
        ASSIGN_OR_RETURN(ShapeAndSlice parsed, ParseShapeAndSlice(spec, name));
        ASSIGN_OR_RETURN(bundle::TensorInfo info, (*reader)->Info(name));
        if (info.shape.dims() != parsed.full_shape) {
          return InvalidArgument("tensor '" + name + "': shape in shape_and_slice '" + spec +
                                 "' does not match the shape stored in the checkpoint, " +
                                 info.shape.DebugString());
        }
        // Checked before reading, so a wrong dtype costs no read.
        if (info.dtype != dtypes_[i]) {
          return InvalidArgument("tensor '" + name + "': checkpoint has " +
                                 DataTypeString(info.dtype) + ", graph expects " +
                                 DataTypeString(dtypes_[i]));
        }
        return (*reader)->ReadSlice(name, parsed.slice);
      };
      StatusOr<Tensor> t = read();
      if (!t.ok()) return context(t.status());
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
  Env* env_;
  std::vector<DataType> dtypes_;
};
REGISTER_KERNEL("RestoreV2", RestoreV2Kernel);

// SaveV2(prefix, tensor_names, shape_and_slices, tensors...): writes one bundle.
class SaveV2Kernel : public OpKernel {
 public:
  SaveV2Kernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    std::string prefix;
    RETURN_IF_ERROR(ScalarString(ctx, 0, &prefix));
    Tensor names = ctx->input(1);
    const int n = ctx->num_inputs() - 3;
    if (names.dtype() != DT_STRING || names.num_elements() != n) {
      return ctx->Error("tensor_names must hold one name per tensor (" + std::to_string(n) + ")");
    }
    bundle::BundleWriter writer(env_, prefix);
    for (int i = 0; i < n; ++i) {
      RETURN_IF_ERROR(writer.Add(names.flat<std::string>()[i], ctx->input(3 + i)));
    }
    return writer.Finish().WithContext("SaveV2 '" + ctx->node().name() + "'");
  }

 private:
  Env* env_;
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
  MergeV2CheckpointsKernel(const OpKernelConstruction& c, Status* s) : env_(c.env()) {
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
    auto where = [&](const Status& st) {
      return st.WithContext("MergeV2Checkpoints '" + ctx->node().name() + "'");
    };
    Status st = env_->RenameFile(src + ".index", dest + ".index");
    if (st.ok()) {
      st = env_->RenameFile(src + ".data-00000-of-00001", dest + ".data-00000-of-00001");
    }
    if (!st.ok()) return where(st);
    if (delete_old_dirs_) {
      std::string dir(Dirname(src));
      auto children = env_->GetChildren(dir);
      if (children.ok() && children->empty()) env_->DeleteRecursively(dir).IgnoreError();
    }
    return Status::OK();
  }

 private:
  Env* env_;
  bool delete_old_dirs_ = true;
};
REGISTER_KERNEL("MergeV2Checkpoints", MergeV2CheckpointsKernel);

}  // namespace
}  // namespace savedmodel
