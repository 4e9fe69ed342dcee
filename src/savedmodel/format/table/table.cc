#include "savedmodel/format/table/table.h"

namespace savedmodel::table {

StatusOr<std::unique_ptr<Table>> Table::Open(std::shared_ptr<const ReadOnlyMemoryRegion> file,
                                             std::string filename) {
  const std::string_view bytes = file->data();
  if (bytes.size() < kFooterLength) {
    return TableCorruption(filename, "file is too short (" + std::to_string(bytes.size()) +
                                         " bytes) to be a table; the footer alone is " +
                                         std::to_string(kFooterLength));
  }
  Footer footer;
  RETURN_IF_ERROR(footer.DecodeFrom(bytes.substr(bytes.size() - kFooterLength), filename));
  ASSIGN_OR_RETURN(BlockContents index,
                   ReadBlock(bytes, footer.index_handle, filename, "index block"));
  std::unique_ptr<Table> t(new Table());
  t->file_ = std::move(file);
  t->filename_ = std::make_shared<const std::string>(std::move(filename));
  t->index_block_ = std::move(index);
  return t;
}

StatusOr<std::unique_ptr<Table>> Table::Open(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto region, env->MapFile(path));
  return Open(std::move(region), path);
}

StatusOr<std::unique_ptr<Table>> Table::OpenBytes(std::string bytes, std::string filename) {
  return Open(MakeStringRegion(std::move(bytes)), std::move(filename));
}

Table::Iterator::Iterator(const Table* table)
    : file_(table->file_),
      filename_(table->filename_),
      index_(table->index_block_, filename_.get()) {}

Status Table::Iterator::status() const {
  if (!status_.ok()) return status_;
  if (!index_.status().ok()) return index_.status();
  return data_.status();
}

void Table::Iterator::LoadDataBlock() {
  data_ = BlockIterator();
  if (!index_.Valid()) return;
  std::string_view v = index_.value();
  BlockHandle handle;
  if (!handle.DecodeFrom(&v)) {
    status_ = TableCorruption(*filename_, "bad block handle in index entry for key '" +
                                              std::string(index_.key()) + "'");
    return;
  }
  auto block = ReadBlock(file_->data(), handle, *filename_, "data block");
  if (!block.ok()) {
    status_ = block.status();
    return;
  }
  data_ = BlockIterator(std::move(block).value(), filename_.get());
}

void Table::Iterator::SkipEmptyBlocks() {
  while (!data_.Valid() && status().ok() && index_.Valid()) {
    index_.Next();
    LoadDataBlock();
    if (data_.status().ok() && status_.ok()) data_.SeekToFirst();
  }
}

void Table::Iterator::SeekToFirst() {
  if (!status_.ok()) return;
  index_.SeekToFirst();
  LoadDataBlock();
  if (status_.ok() && data_.status().ok()) data_.SeekToFirst();
  SkipEmptyBlocks();
}

void Table::Iterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  index_.Seek(target);
  LoadDataBlock();
  if (status_.ok() && data_.status().ok()) data_.Seek(target);
  SkipEmptyBlocks();
}

void Table::Iterator::Next() {
  if (!Valid()) return;
  data_.Next();
  SkipEmptyBlocks();
}

StatusOr<std::string> Table::Get(std::string_view key) const {
  Iterator it = NewIterator();
  it.Seek(key);
  RETURN_IF_ERROR(it.status());
  if (!it.Valid() || it.key() != key) {
    return NotFound(filename() + ": key '" + std::string(key) + "' not found");
  }
  return std::string(it.value());
}

}  // namespace savedmodel::table
