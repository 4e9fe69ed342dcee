#include "savedmodel/base/status.h"

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(*out, Half(h));
  return Status::OK();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = NotFound("no such tensor");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: no such tensor");
  EXPECT_EQ(s.WithContext("loading x").message(), "loading x: no such tensor");
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd: 3");
}

// value() on an error is a caller bug: it must stop the process with the
// status in the message, never hand back a value or throw past the caller.
TEST(StatusDeathTest, ValueOfAnErrorAbortsWithTheStatus) {
  StatusOr<int> bad = Half(3);
  EXPECT_DEATH((void)bad.value(), "StatusOr::value\\(\\) on an error: INVALID_ARGUMENT: odd: 3");
  EXPECT_DEATH((void)*Half(5), "INVALID_ARGUMENT: odd: 5");
  const StatusOr<int> cbad = Half(7);
  EXPECT_DEATH((void)*cbad, "odd: 7");
  EXPECT_EQ(Half(8).value(), 4);
}

}  // namespace
}  // namespace savedmodel
