#include "foundry/core/status.h"

#include <gtest/gtest.h>

namespace foundry {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  FOUNDRY_ASSIGN_OR_RETURN(int h, Half(x));
  FOUNDRY_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status Check(int x) {
  FOUNDRY_RETURN_IF_ERROR(Quarter(x).status());
  return Status::Ok();
}

TEST(Status, ValuesAndContext) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("model.gguf");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: model.gguf");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: model.gguf");
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(Check(4).ok());
  EXPECT_EQ(Check(2).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foundry
