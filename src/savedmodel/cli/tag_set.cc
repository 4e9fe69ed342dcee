// --tag_set as saved_model_cli reads it (see TagSplit in commands.h), and
// the Python reprs its messages print tag sets with.
#include <algorithm>

#include "commands.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"

namespace savedmodel::cli {

std::string PyStrings(const std::vector<std::string>& items, const char* open, const char* close,
                      const char* empty) {
  if (items.empty()) return empty;
  std::string s = open;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", '" : "'") + items[i] + "'";
  return s + close;
}

std::vector<std::string> SplitTagSet(const std::string& tag_set, TagSplit split) {
  // Python's str.strip() whitespace within ASCII: \t\n\v\f\r, \x1c-\x1f and space.
  constexpr const char* kSpace = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
  std::vector<std::string> tags;
  size_t start = 0;
  for (;;) {
    size_t end = std::min(tag_set.find(',', start), tag_set.size());
    std::string tag = tag_set.substr(start, end - start);
    if (split == TagSplit::kTrimmed) {
      size_t first = tag.find_first_not_of(kSpace);
      tag = first == std::string::npos ? "" : tag.substr(first, tag.find_last_not_of(kSpace) - first + 1);
    }
    if (!tag.empty()) tags.push_back(tag);
    if (end == tag_set.size()) break;
    start = end + 1;
  }
  return tags;
}

StatusOr<const tensorflow::MetaGraphDef*> FindMetaGraphForTagSet(const tensorflow::SavedModel& sm,
                                                                 const std::string& tag_set, TagSplit split) {
  const std::vector<std::string> tags = SplitTagSet(tag_set, split);
  auto mg = FindMetaGraphDef(sm, tags);
  if (mg.ok()) return mg;
  if (tags.empty() && split == TagSplit::kTrimmed) {
    return InvalidArgument("tag_set must contain at least one non-empty item.");
  }
  std::string valid;
  for (const auto& meta : sm.meta_graphs()) {
    std::string tags;
    for (const auto& t : meta.meta_info_def().tags()) tags += (tags.empty() ? "" : ",") + t;
    valid += (valid.empty() ? "'" : ", '") + tags + "'";
  }
  // saved_model_cli names the tags it looked for: trimmed ones joined by ','.
  std::string looked_for = tag_set;
  if (split == TagSplit::kTrimmed) {
    looked_for.clear();
    for (const auto& t : tags) looked_for += (looked_for.empty() ? "" : ",") + t;
  }
  return NotFound("MetaGraphDef associated with tag-set " + looked_for +
                  " could not be found in the SavedModel. Please use one of the following tag-sets: [" +
                  valid + "]");
}

}  // namespace savedmodel::cli
