#include "savedmodel/core/pickle_strings.h"

#include <string>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

// 200,000 nested lists used to overflow the stack when freed, one destructor
// frame per level; now they are freed flat and the pickle is refused as not an
// ndarray.
TEST(PickleStringsTest, DeeplyNestedListsFailWithoutRecursion) {
  constexpr int kDepth = 200'000;
  std::string pickle = "\x80\x02";
  pickle += std::string(kDepth, ']');       // EMPTY_LIST
  pickle += std::string(kDepth - 1, 'a');   // APPEND each into the one below
  pickle += '.';                            // STOP
  auto r = UnpickleObjectArrayStrings(pickle, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("not a numpy ndarray"), std::string::npos) << r.status();
}

// Nesting left on the stack at a failure is freed flat too.
TEST(PickleStringsTest, DeepNestingAtAnErrorIsFreedFlat) {
  std::string pickle = "\x80\x02" + std::string(200'000, ']') + std::string(199'999, 'a');
  EXPECT_FALSE(UnpickleObjectArrayStrings(pickle, 1).ok());  // no STOP
}

// A list appended to itself through the memo is a cycle; it must not leak or loop.
TEST(PickleStringsTest, SelfReferenceThroughMemo) {
  std::string pickle = "\x80\x02]q\x00h\x00" "a.";
  pickle[4] = '\0';
  pickle[6] = '\0';
  auto r = UnpickleObjectArrayStrings(std::string_view(pickle.data(), pickle.size()), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
}

}  // namespace
}  // namespace savedmodel
