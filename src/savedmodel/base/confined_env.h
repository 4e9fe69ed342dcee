// ConfinedEnv: an Env that lets its user touch only files under chosen
// directories. A loaded SavedModel is code, and its ops (ReadFile, WriteFile,
// SaveV2, RestoreV2, MergeV2Checkpoints, table initialisation from a file)
// take paths from the graph; the loader wraps the session's Env in one of these
// so that a hostile model cannot read or write the rest of the file system.
//
// Every path is resolved by the wrapped Env's CanonicalPath ('..' and symbolic
// links as the kernel would follow them) before it is compared with the roots,
// so "export/../../etc/passwd" and a link inside the export directory that
// points out are both refused. What it does not stop: a process that can
// write inside an allowed directory swapping a checked component for a link
// between the check and the open (the usual TOCTOU limit of path checks).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"

namespace savedmodel {

struct FileAccessRoots {
  // Directories (or files) whose contents may be read.
  std::vector<std::string> read;
  // Directories whose contents may be read, created, replaced and deleted.
  std::vector<std::string> write;
};

class ConfinedEnv : public Env {
 public:
  // `base` must outlive the result. Roots are resolved now through
  // base->CanonicalPath; a root that cannot be resolved is an error.
  static StatusOr<std::unique_ptr<ConfinedEnv>> Create(Env* base, const FileAccessRoots& roots);

  StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> MapFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  // False, as for a missing file, when `path` is outside the readable roots.
  bool FileExists(const std::string& path) override;
  bool IsDirectory(const std::string& path) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status DeleteFile(const std::string& path) override;
  Status DeleteRecursively(const std::string& path) override;
  StatusOr<std::string> CanonicalPath(const std::string& path) override;

  // The resolved roots, for messages and tests.
  const FileAccessRoots& roots() const { return roots_; }

 private:
  ConfinedEnv(Env* base, FileAccessRoots roots) : base_(base), roots_(std::move(roots)) {}
  // OK when `path` lies under a root that permits `action`; else
  // PERMISSION_DENIED naming the action, the path and where it resolved.
  Status Check(const std::string& path, bool write, const char* action);

  Env* base_;
  FileAccessRoots roots_;  // resolved
};

}  // namespace savedmodel
