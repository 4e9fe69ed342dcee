// ParseExample / ParseExampleV2: serialized tf.Example protos -> dense and
// sparse tensors, as TF Serving's Classify and Regress feed them.
//
//   serialized: [batch] (V2 also a scalar) strings
//   dense i:    [batch] + dense_shapes[i], default dense_defaults[i] when absent
//   sparse j:   indices [nnz, 2] int64, values [nnz], dense_shape [2] = {batch, max_len}
#include <algorithm>

#include "savedmodel/kernels/kernel.h"
#include "tensorflow/core/example/example.pb.h"

namespace savedmodel {
namespace {

using tensorflow::Feature;

const char* FeatureKindName(Feature::KindCase k) {
  switch (k) {
    case Feature::kFloatList: return "float";
    case Feature::kInt64List: return "int64";
    case Feature::kBytesList: return "string";
    default: return "none";
  }
}

Feature::KindCase KindFor(DataType dt) {
  switch (dt) {
    case DT_FLOAT: return Feature::kFloatList;
    case DT_INT64: return Feature::kInt64List;
    case DT_STRING: return Feature::kBytesList;
    default: return Feature::KIND_NOT_SET;
  }
}

int64_t FeatureSize(const Feature& f) {
  switch (f.kind_case()) {
    case Feature::kFloatList: return f.float_list().value_size();
    case Feature::kInt64List: return f.int64_list().value_size();
    case Feature::kBytesList: return f.bytes_list().value_size();
    default: return 0;
  }
}

// Copies f's values into out[offset, offset + FeatureSize(f)).
void CopyFeature(const Feature& f, Tensor* out, int64_t offset) {
  switch (f.kind_case()) {
    case Feature::kFloatList:
      std::copy(f.float_list().value().begin(), f.float_list().value().end(),
                out->flat<float>().begin() + offset);
      break;
    case Feature::kInt64List:
      std::copy(f.int64_list().value().begin(), f.int64_list().value().end(),
                out->flat<int64_t>().begin() + offset);
      break;
    case Feature::kBytesList:
      std::copy(f.bytes_list().value().begin(), f.bytes_list().value().end(),
                out->flat<std::string>().begin() + offset);
      break;
    default:
      break;
  }
}

void CopyElements(const Tensor& src, int64_t src_offset, Tensor* dst, int64_t dst_offset,
                  int64_t n) {
  if (src.dtype() == DT_STRING) {
    auto s = src.flat<std::string>();
    auto d = dst->flat<std::string>();
    for (int64_t i = 0; i < n; ++i) d[dst_offset + i] = s[src_offset + i];
  } else {
    size_t elem = DataTypeSize(src.dtype());
    std::memcpy(static_cast<char*>(dst->raw_data()) + dst_offset * elem,
                static_cast<const char*>(src.raw_data()) + src_offset * elem, n * elem);
  }
}

struct Config {
  std::vector<DataType> sparse_types;
  std::vector<DataType> dense_types;
  std::vector<TensorShape> dense_shapes;
};

// Parsing shared by both versions once the keys are known.
Status ParseBatch(OpKernelContext* ctx, const Config& cfg, const Tensor& serialized,
                  const std::vector<std::string>& sparse_keys,
                  const std::vector<std::string>& dense_keys, int dense_defaults_start,
                  int sparse_out, int dense_out) {
  const int64_t batch = serialized.num_elements();
  const bool scalar_input = serialized.rank() == 0;
  std::vector<tensorflow::Example> examples(batch);
  for (int64_t i = 0; i < batch; ++i) {
    if (!examples[i].ParseFromString(serialized.flat<std::string>()[i])) {
      return ctx->InvalidArg("Could not parse example input, value: '" +
                             serialized.flat<std::string>()[i].substr(0, 64) + "'");
    }
  }

  const int num_sparse = static_cast<int>(sparse_keys.size());
  const int num_dense = static_cast<int>(dense_keys.size());
  for (int d = 0; d < num_dense; ++d) {
    const TensorShape& fshape = cfg.dense_shapes[d];
    const DataType dt = cfg.dense_types[d];
    Tensor def = ctx->input(dense_defaults_start + d);
    if (def.dtype() != dt) return ctx->InvalidArg("dense_defaults[" + std::to_string(d) + "] has the wrong type");
    const bool has_default = def.num_elements() > 0;
    if (has_default && def.num_elements() != fshape.num_elements()) {
      return ctx->InvalidArg("default value for feature '" + dense_keys[d] + "' has " +
                             std::to_string(def.num_elements()) + " elements, expected " +
                             std::to_string(fshape.num_elements()));
    }
    // The batch comes from the feed, the feature shape from an attr: their
    // product is checked, not trusted.
    std::vector<int64_t> out_dims;
    if (!scalar_input) out_dims.push_back(batch);
    out_dims.insert(out_dims.end(), fshape.dims().begin(), fshape.dims().end());
    auto out_shape = TensorShape::FromDims(out_dims);
    if (!out_shape.ok()) {
      return ctx->InvalidArg("dense feature '" + dense_keys[d] + "': " +
                             out_shape.status().message());
    }
    Tensor* out = ctx->allocate_output(dense_out + d, dt, *out_shape);
    const int64_t stride = fshape.num_elements();
    for (int64_t i = 0; i < batch; ++i) {
      const auto& fmap = examples[i].features().feature();
      auto it = fmap.find(dense_keys[d]);
      if (it == fmap.end() || it->second.kind_case() == Feature::KIND_NOT_SET) {
        if (!has_default) {
          return ctx->InvalidArg("Name: <unknown>, Feature: " + dense_keys[d] + " (data type: " +
                                 DataTypeString(dt) + ") is required but could not be found.");
        }
        CopyElements(def, 0, out, i * stride, stride);
        continue;
      }
      const Feature& f = it->second;
      if (f.kind_case() != KindFor(dt)) {
        return ctx->InvalidArg("Name: <unknown>, Feature: " + dense_keys[d] +
                               ".  Data types don't match. Data type: " + FeatureKindName(f.kind_case()) +
                               " but expected type: " + DataTypeString(dt));
      }
      if (FeatureSize(f) != stride) {
        return ctx->InvalidArg("Name: <unknown>, Key: " + dense_keys[d] + ", Index: " +
                               std::to_string(i) + ".  Number of float values != expected.  "
                               "values size: " + std::to_string(FeatureSize(f)) +
                               " but output shape: " + fshape.DebugString());
      }
      CopyFeature(f, out, i * stride);
    }
  }

  for (int s = 0; s < num_sparse; ++s) {
    const DataType dt = cfg.sparse_types[s];
    int64_t nnz = 0, max_len = 0;
    for (int64_t i = 0; i < batch; ++i) {
      const auto& fmap = examples[i].features().feature();
      auto it = fmap.find(sparse_keys[s]);
      if (it == fmap.end() || it->second.kind_case() == Feature::KIND_NOT_SET) continue;
      if (it->second.kind_case() != KindFor(dt)) {
        return ctx->InvalidArg("Name: <unknown>, Feature: " + sparse_keys[s] +
                               ".  Data types don't match. Expected type: " + DataTypeString(dt));
      }
      int64_t n = FeatureSize(it->second);
      nnz += n;
      max_len = std::max(max_len, n);
    }
    const int rank = scalar_input ? 1 : 2;
    Tensor* indices = ctx->allocate_output(sparse_out + s, DT_INT64, TensorShape{nnz, rank});
    Tensor* values = ctx->allocate_output(sparse_out + num_sparse + s, dt, TensorShape{nnz});
    Tensor* shape = ctx->allocate_output(sparse_out + 2 * num_sparse + s, DT_INT64, TensorShape{rank});
    if (scalar_input) {
      shape->flat<int64_t>()[0] = max_len;
    } else {
      shape->flat<int64_t>()[0] = batch;
      shape->flat<int64_t>()[1] = max_len;
    }
    int64_t k = 0;
    for (int64_t i = 0; i < batch; ++i) {
      const auto& fmap = examples[i].features().feature();
      auto it = fmap.find(sparse_keys[s]);
      if (it == fmap.end()) continue;
      int64_t n = FeatureSize(it->second);
      CopyFeature(it->second, values, k);
      for (int64_t j = 0; j < n; ++j, ++k) {
        if (scalar_input) {
          indices->flat<int64_t>()[k] = j;
        } else {
          indices->flat<int64_t>()[2 * k] = i;
          indices->flat<int64_t>()[2 * k + 1] = j;
        }
      }
    }
  }
  return Status::OK();
}

Status LoadConfig(const OpKernelConstruction& c, const char* dense_types_attr, Config* cfg) {
  RETURN_IF_ERROR(c.GetAttr("sparse_types", &cfg->sparse_types));
  RETURN_IF_ERROR(c.GetAttr(dense_types_attr, &cfg->dense_types));
  std::vector<PartialShape> shapes;
  RETURN_IF_ERROR(c.GetAttr("dense_shapes", &shapes));
  if (shapes.size() != cfg->dense_types.size()) {
    return c.Error("dense_shapes and " + std::string(dense_types_attr) + " differ in length");
  }
  for (const auto& s : shapes) {
    if (!s.IsFullyDefined()) {
      return Unimplemented("node '" + c.name() +
                           "': variable-length dense features (shape " + s.DebugString() +
                           ") are not supported");
    }
    ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(s.dims()));
    cfg->dense_shapes.push_back(shape);
  }
  // The counts that size the key inputs and the sparse outputs must agree
  // with the type lists the kernel indexes by (TF's ParseExampleAttrs checks).
  int64_t num_sparse = 0;
  RETURN_IF_ERROR(c.GetAttr(c.HasAttr("Nsparse") ? "Nsparse" : "num_sparse", &num_sparse));
  if (num_sparse != static_cast<int64_t>(cfg->sparse_types.size())) {
    return c.Error("len(sparse_keys) != len(sparse_types)");
  }
  if (c.HasAttr("Ndense")) {
    int64_t num_dense = 0;
    RETURN_IF_ERROR(c.GetAttr("Ndense", &num_dense));
    if (num_dense != static_cast<int64_t>(cfg->dense_types.size())) {
      return c.Error("len(dense_keys) != len(dense_types)");
    }
  }
  for (DataType dt : cfg->sparse_types) {
    if (KindFor(dt) == Feature::KIND_NOT_SET) return c.UnsupportedType(dt);
  }
  for (DataType dt : cfg->dense_types) {
    if (KindFor(dt) == Feature::KIND_NOT_SET) return c.UnsupportedType(dt);
  }
  return Status::OK();
}

StatusOr<std::string> StringScalar(OpKernelContext* ctx, int i) {
  Tensor t = ctx->input(i);
  if (t.dtype() != DT_STRING || t.num_elements() != 1) return ctx->InvalidArg("key inputs must be string scalars");
  return t.flat<std::string>()[0];
}

// ParseExample(serialized, names, sparse_keys x Nsparse, dense_keys x Ndense,
// dense_defaults x Ndense): keys are separate scalar inputs.
class ParseExampleKernel : public OpKernel {
 public:
  ParseExampleKernel(const OpKernelConstruction& c, Status* s) {
    *s = LoadConfig(c, "Tdense", &cfg_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const int ns = static_cast<int>(cfg_.sparse_types.size());
    const int nd = static_cast<int>(cfg_.dense_types.size());
    std::vector<std::string> sparse_keys, dense_keys;
    for (int i = 0; i < ns; ++i) {
      ASSIGN_OR_RETURN(std::string k, StringScalar(ctx, 2 + i));
      sparse_keys.push_back(k);
    }
    for (int i = 0; i < nd; ++i) {
      ASSIGN_OR_RETURN(std::string k, StringScalar(ctx, 2 + ns + i));
      dense_keys.push_back(k);
    }
    Tensor serialized = ctx->input(0);
    if (serialized.rank() != 1) return ctx->InvalidArg("serialized must be a vector, got shape " + serialized.shape().DebugString());
    return ParseBatch(ctx, cfg_, serialized, sparse_keys, dense_keys, 2 + ns + nd, 0, 3 * ns);
  }

 private:
  Config cfg_;
};
REGISTER_KERNEL("ParseExample", ParseExampleKernel);

// ParseExampleV2(serialized, names, sparse_keys, dense_keys, ragged_keys,
// dense_defaults...): keys are string vectors.
class ParseExampleV2Kernel : public OpKernel {
 public:
  ParseExampleV2Kernel(const OpKernelConstruction& c, Status* s) {
    *s = LoadConfig(c, "Tdense", &cfg_);
    std::vector<DataType> ragged;
    if (s->ok()) *s = c.GetAttr("ragged_value_types", &ragged);
    if (s->ok() && !ragged.empty()) *s = Unimplemented("node '" + c.name() + "': ragged features");
  }
  Status Compute(OpKernelContext* ctx) const override {
    auto keys = [&](int i, size_t want, std::vector<std::string>* out) -> Status {
      Tensor t = ctx->input(i);
      if (t.dtype() != DT_STRING || t.num_elements() != static_cast<int64_t>(want)) {
        return ctx->InvalidArg("input " + std::to_string(i) + " must hold " + std::to_string(want) + " keys");
      }
      out->assign(t.flat<std::string>().begin(), t.flat<std::string>().end());
      return Status::OK();
    };
    std::vector<std::string> sparse_keys, dense_keys;
    RETURN_IF_ERROR(keys(2, cfg_.sparse_types.size(), &sparse_keys));
    RETURN_IF_ERROR(keys(3, cfg_.dense_types.size(), &dense_keys));
    Tensor serialized = ctx->input(0);
    if (serialized.rank() > 1) return ctx->InvalidArg("serialized must be a scalar or vector");
    const int ns = static_cast<int>(cfg_.sparse_types.size());
    return ParseBatch(ctx, cfg_, serialized, sparse_keys, dense_keys, 5, 0, 3 * ns);
  }

 private:
  Config cfg_;
};
REGISTER_KERNEL("ParseExampleV2", ParseExampleV2Kernel);

}  // namespace
}  // namespace savedmodel
