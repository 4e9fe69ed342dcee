// File ops: ReadFile(filename) -> contents, WriteFile(filename, contents)
// and MatchingFiles(patterns) -> filenames. All go through the session's Env, so an in-memory Env serves
// them and a confined Env (LoadOptions::confine_file_access) refuses paths
// outside the model's directory.
#include <fnmatch.h>

#include <algorithm>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

StatusOr<std::string> ScalarStringInput(OpKernelContext* ctx, int i, const char* name) {
  Tensor t = ctx->input(i);
  if (t.dtype() != DT_STRING || t.rank() != 0) {
    return ctx->InvalidArg(std::string("input ") + name + " must be a string scalar, got " +
                           DataTypeString(t.dtype()) + t.shape().DebugString());
  }
  return t.flat<std::string>()[0];
}

std::string Where(OpKernelContext* ctx) {
  return "node '" + ctx->node().name() + "' (op " + ctx->node().op() + ")";
}

class ReadFileKernel : public OpKernel {
 public:
  ReadFileKernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string path, ScalarStringInput(ctx, 0, "filename"));
    auto contents = env_->ReadFileToString(path);
    if (!contents.ok()) return contents.status().WithContext(Where(ctx));
    ctx->set_output(0, Tensor::Scalar<std::string>(std::move(contents).value()));
    return Status::OK();
  }

 private:
  Env* env_;
};
REGISTER_KERNEL("ReadFile", ReadFileKernel);

// As in TensorFlow, a missing parent directory is created.
class WriteFileKernel : public OpKernel {
 public:
  WriteFileKernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string path, ScalarStringInput(ctx, 0, "filename"));
    ASSIGN_OR_RETURN(std::string contents, ScalarStringInput(ctx, 1, "contents"));
    // Writing first: a confined Env may hide whether the parent exists, and
    // the refusal should name the file, not its directory.
    Status st = env_->WriteStringToFile(path, contents);
    const std::string dir(Dirname(path));
    if (st.code() == StatusCode::kNotFound && !dir.empty()) {
      st = env_->CreateDirs(dir);
      if (st.ok()) st = env_->WriteStringToFile(path, contents);
    }
    return st.WithContext(Where(ctx));
  }

 private:
  Env* env_;
};
REGISTER_KERNEL("WriteFile", WriteFileKernel);

// Shell globbing as TensorFlow's GetMatchingPaths does it: the components
// up to the first with a wildcard ('*', '?', '[' or a '\\' escape) are taken
// as written, and each later one is matched with fnmatch against the entries
// of the directories matched so far ('*' matches a leading '.', '..' is not
// an entry). A pattern without wildcards names itself if the file exists.
class Globber {
 public:
  explicit Globber(Env* env) : env_(env) {}

  Status Expand(const std::string& pattern, std::vector<std::string>* out) {
    std::vector<std::string> parts;
    for (size_t start = 0; start <= pattern.size();) {
      size_t slash = pattern.find('/', start);
      if (slash == std::string::npos) slash = pattern.size();
      parts.push_back(pattern.substr(start, slash - start));
      start = slash + 1;
    }
    size_t first = 0;
    while (first < parts.size() && !IsGlob(parts[first])) ++first;
    if (first == parts.size()) {
      if (env_->FileExists(pattern)) out->push_back(pattern);
      return Status::OK();
    }
    std::string base;
    for (size_t i = 0; i < first; ++i) base += (i ? "/" : "") + parts[i];
    if (first > 0 && base.empty()) base = "/";  // an absolute pattern
    return Walk(base, parts, first, out);
  }

 private:
  static bool IsGlob(const std::string& part) {
    return part.find_first_of("*?[\\") != std::string::npos;
  }

  Status Walk(const std::string& dir, const std::vector<std::string>& parts, size_t i,
              std::vector<std::string>* out) {
    const bool last = i + 1 == parts.size();
    auto visit = [&](const std::string& path) -> Status {
      if (last) {
        out->push_back(path);
        return Status::OK();
      }
      return env_->IsDirectory(path) ? Walk(path, parts, i + 1, out) : Status::OK();
    };
    if (!IsGlob(parts[i])) {
      const std::string path = JoinPath(dir, parts[i]);
      return env_->FileExists(path) ? visit(path) : Status::OK();
    }
    // Listing, not a stat first: a confined Env refuses it by name rather
    // than answering "no such directory".
    auto children = env_->GetChildren(dir.empty() ? "." : dir);
    if (children.status().code() == StatusCode::kNotFound) return Status::OK();  // or not a dir
    if (!children.ok()) return children.status();
    for (const std::string& child : *children) {
      if (::fnmatch(parts[i].c_str(), child.c_str(), 0) == 0) RETURN_IF_ERROR(visit(JoinPath(dir, child)));
    }
    return Status::OK();
  }

  Env* env_;
};

class MatchingFilesKernel : public OpKernel {
 public:
  MatchingFilesKernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    Tensor patterns = ctx->input(0);
    if (patterns.dtype() != DT_STRING || patterns.rank() > 1) {
      return ctx->InvalidArg("input patterns must be a string scalar or vector, got " +
                             DataTypeString(patterns.dtype()) + patterns.shape().DebugString());
    }
    std::vector<std::string> names;
    Globber glob(env_);
    for (const std::string& p : patterns.flat<std::string>()) {
      Status st = glob.Expand(p, &names);
      if (!st.ok()) return st.WithContext(Where(ctx) + ": matching '" + p + "'");
    }
    std::sort(names.begin(), names.end());
    Tensor* out = ctx->allocate_output(0, DT_STRING, TensorShape{static_cast<int64_t>(names.size())});
    for (size_t i = 0; i < names.size(); ++i) out->flat<std::string>()[i] = std::move(names[i]);
    return Status::OK();
  }

 private:
  Env* env_;
};
REGISTER_KERNEL("MatchingFiles", MatchingFilesKernel);

}  // namespace
}  // namespace savedmodel
