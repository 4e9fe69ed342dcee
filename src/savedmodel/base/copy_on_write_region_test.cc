// RandomAccessFile::MapCopyOnWrite: which files map, and that writes into a
// mapping stay in the process.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include <unistd.h>

#include "savedmodel/base/env.h"
#include "test_util.h"

namespace savedmodel {
namespace {

TEST(CopyOnWriteRegionTest, MapsARegularFileAndNeverWritesIt) {
  testing::TempDir tmp;
  const std::string path = (tmp.path() / "f").string();
  const std::string bytes(10000, 'a');
  ASSERT_TRUE(Env::Default()->WriteStringToFile(path, bytes).ok());
  auto file = Env::Default()->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto region = (*file)->MapCopyOnWrite();
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_EQ((*region)->size(), bytes.size());
  EXPECT_EQ(std::string((*region)->data(), (*region)->size()), bytes);
  std::memset((*region)->data() + 100, 'b', 5000);
  EXPECT_EQ((*region)->data()[4000], 'b');
  EXPECT_EQ(testing::ReadFileOrDie(path), bytes);
  // A second mapping of the same file sees the file, not the first's writes.
  auto other = (*file)->MapCopyOnWrite();
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ((*other)->data()[4000], 'a');
  // The mapping outlives the file's name.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_EQ((*other)->data()[9999], 'a');
}

TEST(CopyOnWriteRegionTest, RefusesWhatCannotBeMapped) {
  testing::TempDir tmp;
  const std::string empty = (tmp.path() / "empty").string();
  ASSERT_TRUE(Env::Default()->WriteStringToFile(empty, "").ok());
  auto e = Env::Default()->NewRandomAccessFile(empty);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);

  // A device has no size to map.
  auto dev = Env::Default()->NewRandomAccessFile("/dev/zero");
  if (dev.ok()) EXPECT_EQ((*dev)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);

  // A file whose size changed since it was opened.
  const std::string path = (tmp.path() / "f").string();
  ASSERT_TRUE(Env::Default()->WriteStringToFile(path, std::string(8192, 'x')).ok());
  auto f = Env::Default()->NewRandomAccessFile(path);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  EXPECT_EQ((*f)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);
  ASSERT_EQ(::truncate(path.c_str(), 1 << 16), 0);
  EXPECT_EQ((*f)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);

  // Envs without mappings: in memory, and one that turns them off.
  auto mem = NewMemEnv();
  ASSERT_TRUE(mem->WriteStringToFile("m", "bytes").ok());
  auto m = mem->NewRandomAccessFile("m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);
  auto off = NewEnvWithoutMapping(Env::Default());
  auto g = off->NewRandomAccessFile(path);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->MapCopyOnWrite().status().code(), StatusCode::kUnimplemented);
  char c = 0;
  ASSERT_TRUE((*g)->Read(100, 1, &c).ok());
  EXPECT_EQ(c, 'x');
  EXPECT_EQ((*g)->size(), uint64_t{1} << 16);
  EXPECT_TRUE(off->FileExists(path));
}

}  // namespace
}  // namespace savedmodel
