#include "matrix/uuid.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace vap {
namespace {

constexpr const char* kU1 = "62177883-f1bb-47f0-914d-32a22e3a8804";

TEST(UuidTest, ParsesAndPrintsLowercase) {
  const Result<Uuid> u = Uuid::Parse("62177883-F1BB-47F0-914D-32A22E3A8804");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->ToString(), kU1);
  EXPECT_EQ(u->bytes()[0], 0x62);
  EXPECT_EQ(u->bytes()[15], 0x04);
}

TEST(UuidTest, RejectsMalformed) {
  for (const char* bad : {"not-a-uuid", "62177883f1bb-47f0-914d-32a22e3a8804x",
                          "62177883-f1bb-47f0-914d-32a22e3a880g",
                          "62177883-f1bb-47f0-914d_32a22e3a8804",
                          "{2177883-f1bb-47f0-914d-32a22e3a8804", ""}) {
    const Result<Uuid> u = Uuid::Parse(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.status().errno_value(), EINVAL);
  }
}

TEST(UuidTest, CreateInputIs36Or37Bytes) {
  EXPECT_TRUE(Uuid::ParseCreateInput(std::string(kU1)).ok());
  EXPECT_TRUE(Uuid::ParseCreateInput(std::string(kU1) + "\n").ok());
  // The 37th byte is not looked at.
  EXPECT_TRUE(Uuid::ParseCreateInput(std::string(kU1) + "x").ok());
  EXPECT_FALSE(Uuid::ParseCreateInput(std::string(kU1) + "\n\n").ok());
  EXPECT_FALSE(Uuid::ParseCreateInput(std::string(kU1).substr(0, 35)).ok());
  EXPECT_FALSE(Uuid::ParseCreateInput("not-a-uuid\n").ok());
  // A NUL inside the first 36 bytes ends the kernel's string: invalid.
  std::string with_nul(kU1);
  with_nul[35] = '\0';
  EXPECT_FALSE(Uuid::ParseCreateInput(with_nul).ok());
}

TEST(UuidTest, Ordering) {
  EXPECT_LT(*Uuid::Parse("00000000-0000-0000-0000-000000000001"),
            *Uuid::Parse("00000000-0000-0000-0000-000000000002"));
}

}  // namespace
}  // namespace vap
