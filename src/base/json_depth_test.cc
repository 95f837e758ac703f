#include "base/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace vap {
namespace {

TEST(JsonDepth, CountsArraysAndObjects) {
  EXPECT_TRUE(JsonDepthWithin("{}", 1));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(JsonDepthWithin("[[],[],[]]", 2));
}

TEST(JsonDepth, BracketsInStringsDoNotCount) {
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"[[[[{{{{"})", 1));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"\"[[[["})", 1));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":"\\"[[})", 2));  // the escape ends
}

TEST(JsonDepth, AMegabyteOfBracketsIsRefusedWithoutRecursion) {
  const std::string deep(1 << 20, '[');
  EXPECT_FALSE(JsonDepthWithin(deep));
  const std::string ok = std::string(kMaxJsonDepth, '[') +
                         std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(JsonDepthWithin(ok));
  EXPECT_FALSE(JsonDepthWithin("[" + ok + "]"));
}

}  // namespace
}  // namespace vap
