#include "savedmodel/base/env.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace savedmodel {
namespace {

Status ErrnoStatus(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: case ENOTDIR: return NotFound(msg);
    case EEXIST: return AlreadyExists(msg);
    case EACCES: case EPERM: case EROFS: return PermissionDenied(msg);
    case ENOSPC: case ENOMEM: case EMFILE: return ResourceExhausted(msg);
    default: return Unknown(msg);
  }
}

class MmapRegion : public ReadOnlyMemoryRegion {
 public:
  MmapRegion(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~MmapRegion() override { munmap(addr_, size_); }
  std::string_view data() const override {
    return std::string_view(static_cast<const char*>(addr_), size_);
  }

 private:
  void* addr_;
  size_t size_;
};

class CopyOnWriteMmap : public CopyOnWriteRegion {
 public:
  CopyOnWriteMmap(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~CopyOnWriteMmap() override { munmap(addr_, size_); }
  char* data() const override { return static_cast<char*>(addr_); }
  size_t size() const override { return size_; }

 private:
  void* addr_;
  size_t size_;
};

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("writing " + path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("syncing " + path_, errno);
    return Status::OK();
  }
  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus("closing " + path_, errno);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status Read(uint64_t offset, size_t n, char* dst) const override {
    uint64_t at = offset;
    while (n > 0) {
      ssize_t got = ::pread(fd_, dst, n, static_cast<off_t>(at));
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("reading " + path_, errno);
      }
      if (got == 0) {
        return DataLoss("reading " + path_ + ": wanted " + std::to_string(n) + " bytes at offset " +
                        std::to_string(at) + " but the file ends there (it was " +
                        std::to_string(size_) + " bytes when opened)");
      }
      dst += got;
      at += static_cast<uint64_t>(got);
      n -= static_cast<size_t>(got);
    }
    return Status::OK();
  }
  uint64_t size() const override { return size_; }

  StatusOr<std::shared_ptr<CopyOnWriteRegion>> MapCopyOnWrite() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat " + path_, errno);
    // A pipe or a device has no fixed bytes to map, mmap refuses size 0, and a
    // file that shrank since it was opened would fault past its end.
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || static_cast<uint64_t>(st.st_size) != size_) {
      return Unimplemented(path_ + " is not a non-empty regular file of the size it was opened "
                           "with; it is not mapped");
    }
    // Writable so that code handed these bytes may write them (into its own
    // copied pages). No MAP_POPULATE: on a private writable mapping that
    // write-faults every page, copying the whole file into anonymous memory.
    void* addr = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ | PROT_WRITE, MAP_PRIVATE,
                        fd_, 0);
    if (addr == MAP_FAILED) return ErrnoStatus("mapping " + path_, errno);
    return std::shared_ptr<CopyOnWriteRegion>(
        std::make_shared<CopyOnWriteMmap>(addr, static_cast<size_t>(size_)));
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

// Opens `path` read-only and returns its size; a directory is refused. On
// success *fd is the caller's to close.
StatusOr<uint64_t> OpenForReading(const std::string& path, int* fd) {
  *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return ErrnoStatus("opening " + path, errno);
  struct stat st;
  if (::fstat(*fd, &st) != 0) {
    int err = errno;
    ::close(*fd);
    return ErrnoStatus("stat " + path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(*fd);
    return InvalidArgument(path + " is a directory, expected a file");
  }
  return static_cast<uint64_t>(st.st_size);
}

class PosixEnv : public Env {
 public:
  StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> MapFile(
      const std::string& path) override {
    int fd = -1;
    ASSIGN_OR_RETURN(uint64_t file_size, OpenForReading(path, &fd));
    size_t size = static_cast<size_t>(file_size);
    if (size == 0) {
      ::close(fd);
      return MakeStringRegion("");
    }
    void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (addr == MAP_FAILED) return ErrnoStatus("mapping " + path, err);
    return std::shared_ptr<const ReadOnlyMemoryRegion>(std::make_shared<MmapRegion>(addr, size));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("creating " + path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    int fd = -1;
    ASSIGN_OR_RETURN(uint64_t size, OpenForReading(path, &fd));
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd, size));
  }

  // realpath() on the longest prefix that exists, then the rest lexically: a
  // path may name a file not yet written. realpath sees links before '..', as
  // open() does, so "dir/link/.." resolves where the kernel would go.
  StatusOr<std::string> CanonicalPath(const std::string& path) override {
    if (path.empty()) return InvalidArgument("empty path");
    std::string abs = path;
    if (abs[0] != '/') {
      char cwd[PATH_MAX];
      if (::getcwd(cwd, sizeof(cwd)) == nullptr) return ErrnoStatus("getcwd", errno);
      abs = JoinPath(cwd, path);
    }
    std::string head = abs, tail;
    while (true) {
      char resolved[PATH_MAX];
      if (::realpath(head.c_str(), resolved) != nullptr) {
        std::string out = tail.empty() ? std::string(resolved) : JoinPath(resolved, tail);
        out = std::filesystem::path(out).lexically_normal().string();
        while (out.size() > 1 && out.back() == '/') out.pop_back();
        return out;
      }
      struct stat st;
      if (::lstat(head.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        // A dangling or looping link: creating a file through it would land
        // wherever it points, so it cannot be placed.
        return InvalidArgument(path + ": symbolic link " + head + " does not resolve");
      }
      const size_t slash = head.find_last_of('/');
      if (slash == std::string::npos || head == "/") {
        return InvalidArgument(path + ": cannot be resolved");
      }
      tail = tail.empty() ? head.substr(slash + 1) : JoinPath(head.substr(slash + 1), tail);
      head = slash == 0 ? "/" : head.substr(0, slash);
    }
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat " + path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::error_code ec;
    std::vector<std::string> out;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      out.push_back(it->path().filename().string());
    }
    if (ec) return ErrnoStatus("listing " + dir, ec.value());
    std::sort(out.begin(), out.end());
    return out;
  }

  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ErrnoStatus("creating directory " + dir, ec.value());
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("renaming " + from + " to " + to, errno);
    }
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("deleting " + path, errno);
    return Status::OK();
  }

  Status DeleteRecursively(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoStatus("deleting " + path, ec.value());
    return Status::OK();
  }
};

// Files are whole strings keyed by normalized path; directories are a set.
class MemEnv : public Env {
 public:
  class MemWritableFile : public WritableFile {
   public:
    MemWritableFile(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
    Status Append(std::string_view data) override {
      buf_.append(data);
      return Status::OK();
    }
    Status Sync() override {
      Flush();
      return Status::OK();
    }
    Status Close() override {
      Flush();
      return Status::OK();
    }

   private:
    void Flush() {
      std::lock_guard<std::mutex> l(env_->mu_);
      env_->files_[path_] = buf_;
    }
    MemEnv* env_;
    std::string path_;
    std::string buf_;
  };

  StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> MapFile(
      const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(Norm(path));
    if (it == files_.end()) return NotFound("opening " + path + ": No such file or directory");
    return MakeStringRegion(it->second);
  }

  // Reads the file as it is at each Read, so tests can shrink it underneath.
  class MemRandomAccessFile : public RandomAccessFile {
   public:
    MemRandomAccessFile(MemEnv* env, std::string path, uint64_t size)
        : env_(env), path_(std::move(path)), size_(size) {}
    Status Read(uint64_t offset, size_t n, char* dst) const override {
      std::lock_guard<std::mutex> l(env_->mu_);
      auto it = env_->files_.find(path_);
      const uint64_t have = it == env_->files_.end() ? 0 : it->second.size();
      if (offset > have || n > have - offset) {
        return DataLoss("reading " + path_ + ": wanted " + std::to_string(n) +
                        " bytes at offset " + std::to_string(offset) + " but the file has " +
                        std::to_string(have) + " (it was " + std::to_string(size_) +
                        " bytes when opened)");
      }
      if (n > 0) std::memcpy(dst, it->second.data() + offset, n);
      return Status::OK();
    }
    uint64_t size() const override { return size_; }

   private:
    MemEnv* env_;
    std::string path_;
    uint64_t size_;
  };

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string p = Norm(path);
    auto it = files_.find(p);
    if (it == files_.end()) return NotFound("opening " + path + ": No such file or directory");
    return std::unique_ptr<RandomAccessFile>(
        new MemRandomAccessFile(this, p, static_cast<uint64_t>(it->second.size())));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    std::string p = Norm(path);
    {
      std::lock_guard<std::mutex> l(mu_);
      std::string parent(Dirname(p));
      if (!parent.empty() && !dirs_.count(parent)) {
        return NotFound("creating " + path + ": No such file or directory");
      }
      files_[p] = "";
    }
    return std::unique_ptr<WritableFile>(new MemWritableFile(this, p));
  }

  bool FileExists(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string p = Norm(path);
    return files_.count(p) || dirs_.count(p);
  }

  bool IsDirectory(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    return dirs_.count(Norm(path)) > 0;
  }

  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(Norm(path));
    if (it == files_.end()) return NotFound("stat " + path + ": No such file or directory");
    return static_cast<uint64_t>(it->second.size());
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string d = Norm(dir);
    if (!dirs_.count(d)) return NotFound("listing " + dir + ": No such file or directory");
    std::set<std::string> names;
    auto collect = [&](const std::string& p) {
      if (Dirname(p) == d) names.insert(std::string(Basename(p)));
    };
    for (auto& [p, _] : files_) collect(p);
    for (auto& p : dirs_) collect(p);
    return std::vector<std::string>(names.begin(), names.end());
  }

  Status CreateDirs(const std::string& dir) override {
    std::lock_guard<std::mutex> l(mu_);
    // Stops at the root: Dirname("/") is "/" itself.
    for (std::string p = Norm(dir); !p.empty(); p = std::string(Dirname(p))) {
      if (files_.count(p)) return AlreadyExists("creating directory " + dir + ": a file is in the way");
      dirs_.insert(p);
      if (p == "/") break;
    }
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string f = Norm(from), t = Norm(to);
    if (files_.count(f)) {
      files_[t] = std::move(files_[f]);
      files_.erase(f);
      return Status::OK();
    }
    if (!dirs_.count(f)) return NotFound("renaming " + from + ": No such file or directory");
    if (dirs_.count(t)) return AlreadyExists("renaming " + from + " to " + to + ": target exists");
    auto move_prefix = [&](auto& container) {
      std::vector<std::string> keys;
      for (auto& e : container) {
        const std::string& k = KeyOf(e);
        if (k == f || k.rfind(f + "/", 0) == 0) keys.push_back(k);
      }
      return keys;
    };
    for (const std::string& k : move_prefix(dirs_)) {
      dirs_.erase(k);
      dirs_.insert(t + k.substr(f.size()));
    }
    for (const std::string& k : move_prefix(files_)) {
      files_[t + k.substr(f.size())] = std::move(files_[k]);
      files_.erase(k);
    }
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    if (files_.erase(Norm(path)) == 0) return NotFound("deleting " + path + ": No such file");
    return Status::OK();
  }

  Status DeleteRecursively(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string p = Norm(path);
    std::erase_if(files_, [&](auto& e) { return e.first == p || e.first.rfind(p + "/", 0) == 0; });
    std::erase_if(dirs_, [&](auto& e) { return e == p || e.rfind(p + "/", 0) == 0; });
    return Status::OK();
  }

 private:
  static const std::string& KeyOf(const std::string& s) { return s; }
  static const std::string& KeyOf(const std::pair<const std::string, std::string>& e) {
    return e.first;
  }
  static std::string Norm(const std::string& path) {
    std::string p = std::filesystem::path(path).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  }

  std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_;
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv();
  return env;
}

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

namespace {

// Passes reads through and refuses the mapping (the base class's default).
class UnmappableFile : public RandomAccessFile {
 public:
  explicit UnmappableFile(std::unique_ptr<RandomAccessFile> file) : file_(std::move(file)) {}
  Status Read(uint64_t offset, size_t n, char* dst) const override {
    return file_->Read(offset, n, dst);
  }
  uint64_t size() const override { return file_->size(); }

 private:
  std::unique_ptr<RandomAccessFile> file_;
};

class EnvWithoutMapping : public Env {
 public:
  explicit EnvWithoutMapping(Env* base) : base_(base) {}
  StatusOr<std::shared_ptr<const ReadOnlyMemoryRegion>> MapFile(const std::string& path) override {
    return base_->MapFile(path);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    ASSIGN_OR_RETURN(auto file, base_->NewRandomAccessFile(path));
    return std::unique_ptr<RandomAccessFile>(new UnmappableFile(std::move(file)));
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  bool IsDirectory(const std::string& path) override { return base_->IsDirectory(path); }
  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status DeleteFile(const std::string& path) override { return base_->DeleteFile(path); }
  Status DeleteRecursively(const std::string& path) override {
    return base_->DeleteRecursively(path);
  }
  StatusOr<std::string> CanonicalPath(const std::string& path) override {
    return base_->CanonicalPath(path);
  }

 private:
  Env* base_;
};

}  // namespace

std::unique_ptr<Env> NewEnvWithoutMapping(Env* base) {
  return std::make_unique<EnvWithoutMapping>(base);
}

StatusOr<std::shared_ptr<CopyOnWriteRegion>> RandomAccessFile::MapCopyOnWrite() const {
  return Unimplemented("this file cannot be mapped");
}

std::shared_ptr<const ReadOnlyMemoryRegion> MakeStringRegion(std::string bytes) {
  class StringRegion : public ReadOnlyMemoryRegion {
   public:
    explicit StringRegion(std::string s) : s_(std::move(s)) {}
    std::string_view data() const override { return s_; }

   private:
    std::string s_;
  };
  return std::make_shared<StringRegion>(std::move(bytes));
}

StatusOr<std::string> Env::CanonicalPath(const std::string& path) {
  if (path.empty()) return InvalidArgument("empty path");
  // Relative paths are taken from the root, as an in-memory Env keys them.
  std::string p = std::filesystem::path(path[0] == '/' ? path : "/" + path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

StatusOr<std::string> Env::ReadFileToString(const std::string& path) {
  ASSIGN_OR_RETURN(auto region, MapFile(path));
  return std::string(region->data());
}

Status Env::WriteStringToFile(const std::string& path, std::string_view data) {
  ASSIGN_OR_RETURN(auto file, NewWritableFile(path));
  RETURN_IF_ERROR(file->Append(data));
  return file->Close();
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out.append(b);
  return out;
}

std::string_view Dirname(std::string_view path) {
  size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return {};
  if (pos == 0) return path.substr(0, 1);
  return path.substr(0, pos);
}

std::string_view Basename(std::string_view path) {
  size_t pos = path.rfind('/');
  return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

}  // namespace savedmodel
