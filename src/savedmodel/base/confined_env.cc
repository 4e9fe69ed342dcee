#include "savedmodel/base/confined_env.h"

namespace savedmodel {
namespace {

bool IsUnder(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

bool UnderAny(const std::string& path, const std::vector<std::string>& roots) {
  for (const std::string& r : roots) {
    if (IsUnder(path, r)) return true;
  }
  return false;
}

std::string List(const std::vector<std::string>& xs) {
  if (xs.empty()) return "none";
  std::string out;
  for (const std::string& x : xs) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<ConfinedEnv>> ConfinedEnv::Create(Env* base, const FileAccessRoots& roots) {
  FileAccessRoots resolved;
  for (const std::string& r : roots.read) {
    auto p = base->CanonicalPath(r);
    if (!p.ok()) return p.status().WithContext("allowed read path '" + r + "'");
    resolved.read.push_back(*p);
  }
  for (const std::string& r : roots.write) {
    auto p = base->CanonicalPath(r);
    if (!p.ok()) return p.status().WithContext("allowed write path '" + r + "'");
    resolved.write.push_back(*p);
  }
  return std::unique_ptr<ConfinedEnv>(new ConfinedEnv(base, std::move(resolved)));
}

Status ConfinedEnv::Check(const std::string& path, bool write, const char* action) {
  auto resolved = base_->CanonicalPath(path);
  if (!resolved.ok()) {
    return PermissionDenied(std::string(action) + " '" + path + "' is not allowed: " +
                            resolved.status().message());
  }
  if (UnderAny(*resolved, roots_.write) || (!write && UnderAny(*resolved, roots_.read))) {
    return Status::OK();
  }
  std::string where = *resolved == path ? "" : " (resolves to " + *resolved + ")";
  return PermissionDenied(std::string(action) + " '" + path + "'" + where +
                          " is not allowed: file access is confined to reading " +
                          List(roots_.read) + " and writing " + List(roots_.write));
}

StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> ConfinedEnv::MapFile(const std::string& path) {
  RETURN_IF_ERROR(Check(path, false, "reading"));
  return base_->MapFile(path);
}

StatusOr<std::unique_ptr<WritableFile>> ConfinedEnv::NewWritableFile(const std::string& path) {
  RETURN_IF_ERROR(Check(path, true, "writing"));
  return base_->NewWritableFile(path);
}

StatusOr<std::unique_ptr<RandomAccessFile>> ConfinedEnv::NewRandomAccessFile(
    const std::string& path) {
  RETURN_IF_ERROR(Check(path, false, "reading"));
  return base_->NewRandomAccessFile(path);
}

bool ConfinedEnv::FileExists(const std::string& path) {
  return Check(path, false, "checking").ok() && base_->FileExists(path);
}

bool ConfinedEnv::IsDirectory(const std::string& path) {
  return Check(path, false, "checking").ok() && base_->IsDirectory(path);
}

StatusOr<uint64_t> ConfinedEnv::GetFileSize(const std::string& path) {
  RETURN_IF_ERROR(Check(path, false, "reading the size of"));
  return base_->GetFileSize(path);
}

StatusOr<std::vector<std::string>> ConfinedEnv::GetChildren(const std::string& dir) {
  RETURN_IF_ERROR(Check(dir, false, "listing"));
  return base_->GetChildren(dir);
}

Status ConfinedEnv::CreateDirs(const std::string& dir) {
  RETURN_IF_ERROR(Check(dir, true, "creating directory"));
  return base_->CreateDirs(dir);
}

Status ConfinedEnv::RenameFile(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(Check(from, true, "renaming"));
  RETURN_IF_ERROR(Check(to, true, "renaming onto"));
  return base_->RenameFile(from, to);
}

Status ConfinedEnv::DeleteFile(const std::string& path) {
  RETURN_IF_ERROR(Check(path, true, "deleting"));
  return base_->DeleteFile(path);
}

Status ConfinedEnv::DeleteRecursively(const std::string& path) {
  RETURN_IF_ERROR(Check(path, true, "deleting"));
  return base_->DeleteRecursively(path);
}

StatusOr<std::string> ConfinedEnv::CanonicalPath(const std::string& path) {
  return base_->CanonicalPath(path);
}

}  // namespace savedmodel
