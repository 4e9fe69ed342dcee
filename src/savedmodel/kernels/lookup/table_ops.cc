// Lookup tables (TF1 HashTableV2 and friends): a key -> value map created once
// per model, filled by an init op, read by LookupTableFindV2. MutableHashTableV2
// tables (Keras preprocessing layers' vocabularies, restored from checkpoints)
// can also be changed after creation.
//
//   HashTableV2 / MutableHashTableV2 -> handle
//   InitializeTableV2 / LookupTableImportV2(handle, keys, values): fills a
//     HashTable once; replaces a MutableHashTable's contents
//   LookupTableInsertV2 / LookupTableRemoveV2(handle, keys[, values]),
//   LookupTableExportV2(handle) -> keys, values: mutable tables only
//   InitializeTableFromTextFileV2(handle, filename): key/value = whole line (-2),
//     line number (-1) or a delimited column
//   LookupTableFindV2(handle, keys, default) -> values shaped like keys
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

bool SupportedKey(DataType dt) { return dt == DT_STRING || dt == DT_INT64 || dt == DT_INT32; }
bool SupportedValue(DataType dt) {
  return dt == DT_STRING || dt == DT_INT64 || dt == DT_INT32 || dt == DT_FLOAT || dt == DT_DOUBLE;
}

// Keys are kept as bytes: the string itself, or the integer's 8 bytes.
std::string KeyAt(const Tensor& t, int64_t i) {
  if (t.dtype() == DT_STRING) return t.flat<std::string>()[i];
  int64_t v = t.dtype() == DT_INT64 ? t.flat<int64_t>()[i] : t.flat<int32_t>()[i];
  return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
}

// One scalar of any supported value type.
struct Scalar {
  std::string s;
  int64_t i = 0;
  double d = 0;
};

Scalar ValueAt(const Tensor& t, int64_t i) {
  Scalar v;
  switch (t.dtype()) {
    case DT_STRING: v.s = t.flat<std::string>()[i]; break;
    case DT_INT64: v.i = t.flat<int64_t>()[i]; break;
    case DT_INT32: v.i = t.flat<int32_t>()[i]; break;
    case DT_FLOAT: v.d = t.flat<float>()[i]; break;
    default: v.d = t.flat<double>()[i]; break;
  }
  return v;
}

void Store(const Scalar& v, Tensor* t, int64_t i) {
  switch (t->dtype()) {
    case DT_STRING: t->flat<std::string>()[i] = v.s; break;
    case DT_INT64: t->flat<int64_t>()[i] = v.i; break;
    case DT_INT32: t->flat<int32_t>()[i] = static_cast<int32_t>(v.i); break;
    case DT_FLOAT: t->flat<float>()[i] = static_cast<float>(v.d); break;
    default: t->flat<double>()[i] = v.d; break;
  }
}

// The key an entry was stored under, back in the key dtype.
void StoreKey(const std::string& key, Tensor* t, int64_t i) {
  if (t->dtype() == DT_STRING) {
    t->flat<std::string>()[i] = key;
    return;
  }
  int64_t v = 0;
  std::memcpy(&v, key.data(), sizeof(v));
  if (t->dtype() == DT_INT64) {
    t->flat<int64_t>()[i] = v;
  } else {
    t->flat<int32_t>()[i] = static_cast<int32_t>(v);
  }
}

class HashTable : public ResourceBase {
 public:
  HashTable(DataType key_dtype, DataType value_dtype, bool is_mutable)
      : key_dtype_(key_dtype), value_dtype_(value_dtype), mutable_(is_mutable) {}
  std::string DebugString() const override {
    return std::string(mutable_ ? "MutableHashTable<" : "HashTable<") + DataTypeString(key_dtype_) + ", " +
           DataTypeString(value_dtype_) + ">";
  }
  DataType key_dtype() const { return key_dtype_; }
  DataType value_dtype() const { return value_dtype_; }
  bool is_mutable() const { return mutable_; }

  // Mutable tables: insert (overwriting) or, with `replace`, clear first.
  void Insert(const Tensor& keys, const Tensor& values, bool replace) {
    std::lock_guard<std::mutex> l(mu_);
    if (replace) map_.clear();
    for (int64_t i = 0; i < keys.num_elements(); ++i) map_[KeyAt(keys, i)] = ValueAt(values, i);
  }
  void Remove(const Tensor& keys) {
    std::lock_guard<std::mutex> l(mu_);
    for (int64_t i = 0; i < keys.num_elements(); ++i) map_.erase(KeyAt(keys, i));
  }
  // Every entry, in the map's order (TensorFlow's export order is its hash
  // map's, unspecified too).
  Status Export(OpKernelContext* ctx) const {
    std::lock_guard<std::mutex> l(mu_);
    const int64_t n = static_cast<int64_t>(map_.size());
    Tensor* keys = ctx->allocate_output(0, key_dtype_, TensorShape{n});
    Tensor* values = ctx->allocate_output(1, value_dtype_, TensorShape{n});
    int64_t i = 0;
    for (const auto& [k, v] : map_) {
      StoreKey(k, keys, i);
      Store(v, values, i);
      ++i;
    }
    return Status::OK();
  }

  // Runs fill(map) once; later initializations are no-ops, as TensorFlow's
  // initializable tables ignore re-initialization.
  template <typename Fill>
  Status InitializeOnce(Fill&& fill) {
    std::lock_guard<std::mutex> l(mu_);
    if (initialized_) return Status::OK();
    std::unordered_map<std::string, Scalar> fresh;
    RETURN_IF_ERROR(fill(fresh));
    map_ = std::move(fresh);
    initialized_ = true;
    return Status::OK();
  }

  Status Find(const Tensor& keys, const Scalar& default_value, Tensor* out) const {
    std::lock_guard<std::mutex> l(mu_);
    for (int64_t i = 0; i < keys.num_elements(); ++i) {
      auto it = map_.find(KeyAt(keys, i));
      Store(it == map_.end() ? default_value : it->second, out, i);
    }
    return Status::OK();
  }
  int64_t size() const {
    std::lock_guard<std::mutex> l(mu_);
    return static_cast<int64_t>(map_.size());
  }

 private:
  const DataType key_dtype_, value_dtype_;
  const bool mutable_;
  mutable std::mutex mu_;
  bool initialized_ = false;
  std::unordered_map<std::string, Scalar> map_;
};

class HashTableKernel : public OpKernel {
 public:
  HashTableKernel(const OpKernelConstruction& c, Status* s) {
    std::string shared_name, container;
    bool use_node_name = false;
    *s = c.GetAttr("key_dtype", &key_dtype_);
    if (s->ok()) *s = c.GetAttr("value_dtype", &value_dtype_);
    if (s->ok()) *s = c.GetAttr("shared_name", &shared_name);
    if (s->ok()) *s = c.GetAttr("container", &container);
    if (s->ok() && c.HasAttr("use_node_name_sharing")) *s = c.GetAttr("use_node_name_sharing", &use_node_name);
    if (!s->ok()) return;
    if (!SupportedKey(key_dtype_)) *s = c.UnsupportedType(key_dtype_);
    if (!SupportedValue(value_dtype_)) *s = c.UnsupportedType(value_dtype_);
    // Unshared tables are still one per node within a model.
    name_ = "table:" + container + "/" + (shared_name.empty() ? c.name() : shared_name);
    mutable_ = c.def().op() == "MutableHashTableV2";
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, ctx->resources()->LookupOrCreate<HashTable>(name_, [&]() {
      return StatusOr<std::shared_ptr<ResourceBase>>(
          std::make_shared<HashTable>(key_dtype_, value_dtype_, mutable_));
    }));
    ctx->set_output_resource(0, table);
    return Status::OK();
  }

 private:
  DataType key_dtype_, value_dtype_;
  std::string name_;
  bool mutable_ = false;
};
REGISTER_KERNEL("HashTableV2", HashTableKernel);
REGISTER_KERNEL("MutableHashTableV2", HashTableKernel);

StatusOr<std::shared_ptr<HashTable>> TableInput(OpKernelContext* ctx) {
  auto table = std::dynamic_pointer_cast<HashTable>(ctx->input_resource(0));
  if (!table) return ctx->Error("input 0 is not a lookup table handle");
  return table;
}

Status CheckKeysValues(OpKernelContext* ctx, const HashTable& table, const Tensor& keys, const Tensor& values) {
  if (keys.dtype() != table.key_dtype() || values.dtype() != table.value_dtype()) {
    return ctx->Error("keys/values have types " + DataTypeString(keys.dtype()) + "/" +
                      DataTypeString(values.dtype()) + " but the table is " + table.DebugString());
  }
  if (keys.num_elements() != values.num_elements()) {
    return ctx->Error("keys and values differ in size: " + keys.shape().DebugString() + " vs " +
                      values.shape().DebugString());
  }
  return Status::OK();
}

// InitializeTableV2 and LookupTableImportV2(handle, keys, values).
class InitializeTableKernel : public OpKernel {
 public:
  InitializeTableKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, TableInput(ctx));
    Tensor keys = ctx->input(1), values = ctx->input(2);
    RETURN_IF_ERROR(CheckKeysValues(ctx, *table, keys, values));
    if (table->is_mutable()) {
      if (ctx->node().op() != "LookupTableImportV2") {
        return ctx->Error("a mutable table is filled by LookupTableImportV2 or LookupTableInsertV2");
      }
      table->Insert(keys, values, /*replace=*/true);
      return Status::OK();
    }
    return table->InitializeOnce([&](std::unordered_map<std::string, Scalar>& map) {
      for (int64_t i = 0; i < keys.num_elements(); ++i) map[KeyAt(keys, i)] = ValueAt(values, i);
      return Status::OK();
    });
  }
};
REGISTER_KERNEL("InitializeTableV2", InitializeTableKernel);
REGISTER_KERNEL("LookupTableImportV2", InitializeTableKernel);

// InitializeTableFromTextFileV2(handle, filename): one entry per line.
class InitializeFromTextFileKernel : public OpKernel {
 public:
  static constexpr int64_t kWholeLine = -2;
  static constexpr int64_t kLineNumber = -1;

  InitializeFromTextFileKernel(const OpKernelConstruction& c, Status* s) : env_(c.env()) {
    *s = c.GetAttr("key_index", &key_index_);
    if (s->ok()) *s = c.GetAttr("value_index", &value_index_);
    if (s->ok()) *s = c.GetAttr("vocab_size", &vocab_size_);
    if (s->ok()) *s = c.GetAttr("delimiter", &delimiter_);
    if (s->ok() && (key_index_ < kWholeLine || value_index_ < kWholeLine)) {
      *s = c.Error("key_index and value_index must be >= -2");
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, TableInput(ctx));
    Tensor name = ctx->input(1);
    if (name.dtype() != DT_STRING || name.num_elements() != 1) return ctx->Error("filename must be a string scalar");
    const std::string& path = name.flat<std::string>()[0];
    return table->InitializeOnce([&](std::unordered_map<std::string, Scalar>& map) -> Status {
      // Through the session's Env: an in-memory or confined Env must see this read.
      auto contents = env_->ReadFileToString(path);
      if (!contents.ok()) {
        return contents.status().WithContext("table initializer '" + ctx->node().name() + "'");
      }
      std::string_view rest = *contents;
      // Lines as std::getline splits them: a final '\n' ends the last line
      // rather than starting an empty one.
      for (int64_t line_no = 0; !rest.empty(); ++line_no) {
        if (vocab_size_ >= 0 && line_no >= vocab_size_) break;
        const size_t eol = rest.find('\n');
        std::string line(rest.substr(0, eol));
        rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
        // TensorFlow's line reader drops a trailing '\r' (CRLF files).
        if (!line.empty() && line.back() == '\r') line.pop_back();
        ASSIGN_OR_RETURN(std::string key, Field(line, line_no, key_index_, table->key_dtype(), path));
        ASSIGN_OR_RETURN(std::string val, Field(line, line_no, value_index_, table->value_dtype(), path));
        Scalar v;
        switch (table->value_dtype()) {
          case DT_STRING: v.s = val; break;
          case DT_FLOAT: case DT_DOUBLE: v.d = std::strtod(val.c_str(), nullptr); break;
          default: v.i = std::strtoll(val.c_str(), nullptr, 10); break;
        }
        std::string k = key;
        if (table->key_dtype() != DT_STRING) {
          int64_t iv = std::strtoll(key.c_str(), nullptr, 10);
          k.assign(reinterpret_cast<const char*>(&iv), sizeof(iv));
        }
        map.emplace(std::move(k), std::move(v));
      }
      return Status::OK();
    });
  }

 private:
  StatusOr<std::string> Field(const std::string& line, int64_t line_no, int64_t index, DataType dt,
                              const std::string& path) const {
    if (index == kLineNumber) return std::to_string(line_no);
    if (index == kWholeLine) return line;
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t pos = delimiter_.empty() ? std::string::npos : line.find(delimiter_, start);
      parts.push_back(line.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
      if (pos == std::string::npos) break;
      start = pos + delimiter_.size();
    }
    if (index >= static_cast<int64_t>(parts.size())) {
      return InvalidArgument(path + " line " + std::to_string(line_no + 1) + ": has no column " +
                             std::to_string(index));
    }
    (void)dt;
    return parts[index];
  }

  Env* env_;
  int64_t key_index_ = kWholeLine, value_index_ = kLineNumber, vocab_size_ = -1;
  std::string delimiter_ = "\t";
};
REGISTER_KERNEL("InitializeTableFromTextFileV2", InitializeFromTextFileKernel);

class LookupTableFindKernel : public OpKernel {
 public:
  LookupTableFindKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, TableInput(ctx));
    Tensor keys = ctx->input(1), def = ctx->input(2);
    if (keys.dtype() != table->key_dtype()) {
      return ctx->Error("keys are " + DataTypeString(keys.dtype()) + " but the table is " + table->DebugString());
    }
    if (def.dtype() != table->value_dtype() || def.num_elements() != 1) {
      return ctx->Error("default_value must be a " + DataTypeString(table->value_dtype()) + " scalar");
    }
    Tensor* out = ctx->allocate_output(0, table->value_dtype(), keys.shape());
    return table->Find(keys, ValueAt(def, 0), out);
  }
};
REGISTER_KERNEL("LookupTableFindV2", LookupTableFindKernel);

class LookupTableSizeKernel : public OpKernel {
 public:
  LookupTableSizeKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, TableInput(ctx));
    ctx->set_output(0, Tensor::Scalar<int64_t>(table->size()));
    return Status::OK();
  }
};
REGISTER_KERNEL("LookupTableSizeV2", LookupTableSizeKernel);

StatusOr<std::shared_ptr<HashTable>> MutableTableInput(OpKernelContext* ctx) {
  ASSIGN_OR_RETURN(auto table, TableInput(ctx));
  if (!table->is_mutable()) return ctx->Error(table->DebugString() + " cannot be changed or exported");
  return table;
}

class LookupTableInsertKernel : public OpKernel {
 public:
  LookupTableInsertKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, MutableTableInput(ctx));
    Tensor keys = ctx->input(1), values = ctx->input(2);
    RETURN_IF_ERROR(CheckKeysValues(ctx, *table, keys, values));
    table->Insert(keys, values, /*replace=*/false);
    return Status::OK();
  }
};
REGISTER_KERNEL("LookupTableInsertV2", LookupTableInsertKernel);

class LookupTableRemoveKernel : public OpKernel {
 public:
  LookupTableRemoveKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, MutableTableInput(ctx));
    Tensor keys = ctx->input(1);
    if (keys.dtype() != table->key_dtype()) {
      return ctx->Error("keys are " + DataTypeString(keys.dtype()) + " but the table is " + table->DebugString());
    }
    table->Remove(keys);
    return Status::OK();
  }
};
REGISTER_KERNEL("LookupTableRemoveV2", LookupTableRemoveKernel);

class LookupTableExportKernel : public OpKernel {
 public:
  LookupTableExportKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto table, MutableTableInput(ctx));
    return table->Export(ctx);
  }
};
REGISTER_KERNEL("LookupTableExportV2", LookupTableExportKernel);

}  // namespace
}  // namespace savedmodel
