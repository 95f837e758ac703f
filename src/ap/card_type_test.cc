#include "ap/card_type.h"

#include <gtest/gtest.h>

namespace vap::ap {
namespace {

TEST(CardTypeTest, NamesAndHwtypes) {
  struct {
    const char* name;
    uint8_t hwtype;
    CardKind kind;
  } cases[] = {
      {"CEX4A", 10, CardKind::kAccelerator}, {"CEX5C", 11, CardKind::kCca},
      {"CEX7P", 13, CardKind::kEp11},        {"CEX8C", 14, CardKind::kCca},
      {"CEX2A", 6, CardKind::kAccelerator},  {"CEX3C", 9, CardKind::kCca}};
  for (const auto& c : cases) {
    const Result<CardType> t = CardType::Parse(c.name);
    ASSERT_TRUE(t.ok()) << c.name;
    EXPECT_EQ(t->hwtype, c.hwtype) << c.name;
    EXPECT_EQ(t->kind, c.kind) << c.name;
    EXPECT_EQ(t->Name(), c.name);
  }
}

TEST(CardTypeTest, RejectsUnknown) {
  for (const char* bad :
       {"CEX9C", "CEX8X", "cex8c", "CEX3P", "CEX1A", "CEX8", ""}) {
    EXPECT_FALSE(CardType::Parse(bad).ok()) << bad;
  }
}

TEST(CardTypeTest, DefaultFunctionsCarryTheKindBit) {
  EXPECT_NE(CardType::Parse("CEX8A")->DefaultFunctions() & kFuncAccelerator,
            0u);
  EXPECT_NE(CardType::Parse("CEX8C")->DefaultFunctions() & kFuncCoprocessor,
            0u);
  EXPECT_NE(CardType::Parse("CEX8P")->DefaultFunctions() & kFuncEp11, 0u);
  EXPECT_TRUE(CardType::Parse("CEX4A")->Supported());
  EXPECT_FALSE(CardType::Parse("CEX3C")->Supported());
}

}  // namespace
}  // namespace vap::ap
