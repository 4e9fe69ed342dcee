// Env: every file the library touches goes through here, so that tests can run
// the same code over an in-memory file system and inject corrupt bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/status.h"

namespace savedmodel {

// An immutable view of a whole file, memory-mapped where the Env can.
// Thread-safe; the bytes stay valid as long as the region lives.
class ReadOnlyMemoryRegion {
 public:
  virtual ~ReadOnlyMemoryRegion() = default;
  virtual std::string_view data() const = 0;
};

// A region over bytes already in memory (an in-memory file, a decompressed
// block, an empty file that mmap cannot map).
std::shared_ptr<const ReadOnlyMemoryRegion> MakeStringRegion(std::string bytes);

// A private mapping of a whole regular file that may be written (mmap with
// MAP_PRIVATE and PROT_READ | PROT_WRITE): a page is the file's page cache
// until written, then the process's own copy, so no write ever reaches the
// file. For readers that hand out a file's bytes without copying them to code
// that may write into what it is handed. Thread-safe; the bytes stay valid as
// long as the region lives.
//
// Pages not written read through to the file, so it must not change in place
// while mapped. Replacing it by rename (every writer here does, as
// TensorFlow's does) is safe: the mapping keeps the old file alive. Truncating
// it underneath (`cp` over it, a writer that truncates in place) makes the
// next touch of a page past the new end raise SIGBUS, which ends the process;
// where that can happen, read instead of mapping.
class CopyOnWriteRegion {
 public:
  virtual ~CopyOnWriteRegion() = default;
  virtual char* data() const = 0;
  virtual size_t size() const = 0;
};

// Positional reads of one file without mapping it, so a file that shrinks
// under the reader gives an error status rather than SIGBUS. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly `n` bytes at `offset` into `dst`; DATA_LOSS naming the file
  // when fewer remain (it was truncated after it was opened).
  virtual Status Read(uint64_t offset, size_t n, char* dst) const = 0;
  // The size when the file was opened.
  virtual uint64_t size() const = 0;
  // A CopyOnWriteRegion over the file as it was opened (the same file even if
  // its path was renamed over since), size() bytes long. UNIMPLEMENTED where
  // it cannot be mapped so: this default (the in-memory Env), a file from an
  // Env made by NewEnvWithoutMapping, a file that is not a non-empty regular
  // file (a pipe, a device), or one whose size changed since it was opened.
  // Callers then Read() instead.
  virtual StatusOr<std::shared_ptr<CopyOnWriteRegion>> MapCopyOnWrite() const;
};

// Sequential writer. Not thread-safe. Close() must be called to see write errors.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// Thread-safe. Paths are plain strings; '/' separates components.
class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never null, never deleted.
  static Env* Default();

  virtual StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> MapFile(
      const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries directly inside `dir`, sorted.
  virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // Creates `dir` and any missing parents; OK when it already exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Atomic where the file system is: replaces `to` if it is a file.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  virtual Status DeleteRecursively(const std::string& path) = 0;

  // `path` made absolute with '.', '..' and repeated '/' resolved, and, where
  // the file system has them, symbolic links resolved as far as the path
  // exists (the rest is appended as written). The base version is lexical
  // only, which is exact for file systems without links.
  virtual StatusOr<std::string> CanonicalPath(const std::string& path);

  // Conveniences over the primitives above.
  StatusOr<std::string> ReadFileToString(const std::string& path);
  Status WriteStringToFile(const std::string& path, std::string_view data);
};

// An Env that keeps files in memory; for tests. Caller owns the result.
std::unique_ptr<Env> NewMemEnv();

// `base` (which must outlive the result) with RandomAccessFile::MapCopyOnWrite
// refused, so that readers read files instead of mapping them
// (LoadOptions::mmap_variables off); everything else is passed through.
std::unique_ptr<Env> NewEnvWithoutMapping(Env* base);

// "a/b" + "c" -> "a/b/c"; an empty part is skipped.
std::string JoinPath(std::string_view a, std::string_view b);
template <typename... Rest>
std::string JoinPath(std::string_view a, std::string_view b, Rest&&... rest) {
  return JoinPath(JoinPath(a, b), std::forward<Rest>(rest)...);
}
// "a/b/c" -> "a/b"; "c" -> "".
std::string_view Dirname(std::string_view path);
// "a/b/c" -> "c".
std::string_view Basename(std::string_view path);

}  // namespace savedmodel
