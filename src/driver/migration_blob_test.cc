// The migration blob's layout and the compatibility rule, field by field.
#include "driver/migration_blob.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vap::driver {
namespace {

// A CEX8C queue's GR2: mex4k, crt4k, coprocessor, APXA; type 0x0e.
constexpr uint64_t kCca8 = 0x72000000'0e0f0007ull;

TEST(MigrationBlobTest, EncodesBigEndianAndDecodesBack) {
  MigBlob blob;
  blob.adm = ApMask::Of({0, 0xab});
  blob.records = {{kCca8, Apqn(5, 4)}, {0x0102030405060708ull, Apqn(0xff, 0xfe)}};
  const std::string bytes = EncodeMigBlob(blob);
  ASSERT_EQ(bytes.size(), MigBlobSize(2));
  EXPECT_EQ(bytes.substr(0, 16), std::string("vfap\0\0\0\x01\0\0\0\x02\0\0\0\0", 16));
  EXPECT_EQ(static_cast<uint8_t>(bytes[16]), 0x80);       // domain 0
  EXPECT_EQ(static_cast<uint8_t>(bytes[16 + 21]), 0x10);  // domain 0xab
  EXPECT_EQ(bytes.substr(48, 10), std::string("\x72\0\0\0\x0e\x0f\0\x07\x05\x04", 10));
  EXPECT_EQ(bytes.substr(58, 6), std::string(6, '\0'));
  EXPECT_EQ(*DecodeMigBlob(bytes), blob);
  EXPECT_EQ(MigBlobSize(65536), 1048624u);
}

TEST(MigrationBlobTest, RefusesBadHeadersAndSizes) {
  const std::string good = EncodeMigBlob({ApMask(), {{kCca8, Apqn(1, 2)}}});
  std::string magic = good;
  magic[3] = 'q';
  EXPECT_EQ(DecodeMigBlob(magic).status().errno_value(), EINVAL);
  std::string version = good;
  version[7] = 2;
  EXPECT_EQ(DecodeMigBlob(version).status().errno_value(), EINVAL);
  std::string many = good;
  many[9] = 1;   // 65,536 + 1 queues
  many[11] = 1;
  EXPECT_EQ(DecodeMigBlob(many).status().errno_value(), EINVAL);
  EXPECT_EQ(DecodeMigBlob(good + "x").status().errno_value(), EIO);
  EXPECT_EQ(DecodeMigBlob(good.substr(0, 40)).status().errno_value(), EIO);
  EXPECT_EQ(DecodeMigBlob(good.substr(0, 63)).status().errno_value(), EIO);
}

TEST(MigrationBlobTest, CompatibilityFollowsTheSeriesRule) {
  const Apqn q(5, 0x47);
  EXPECT_TRUE(IncompatibilityLines(kCca8, kCca8, q).empty());
  // Queue depth, number of domains, ML and the other class bits count not.
  EXPECT_TRUE(IncompatibilityLines(kCca8, kCca8 ^ 0x00ff'0000'00ff'ffffull, q)
                  .empty());
  // Newer target: fine; older: refused.
  EXPECT_TRUE(IncompatibilityLines(kCca8 - (1ull << 24), kCca8, q).empty());
  const auto older = IncompatibilityLines(kCca8, kCca8 - (1ull << 24), q);
  ASSERT_EQ(older.size(), 2u);
  EXPECT_EQ(older[0],
            "Migration failed: Source and target queue (05.0047) not compatible");
  EXPECT_EQ(older[1], "AP type of source (0e) not compatible with target (0d)");
  // Stateless to native is fine; native to stateless is not.
  const uint64_t native = kCca8 | (1ull << 55), stateless = kCca8 | (1ull << 54);
  EXPECT_TRUE(IncompatibilityLines(stateless, native, q).empty());
  EXPECT_EQ(IncompatibilityLines(native, stateless, q).size(), 3u);
  // Any bind state other than 0, even with every other bit equal.
  const uint64_t bound = kCca8 | (2ull << 46);
  const auto bs = IncompatibilityLines(bound, bound, q);
  ASSERT_EQ(bs.size(), 2u);
  EXPECT_EQ(bs[1], "Bind/associate state for source (2) and target (2) queue "
                   "05.0047 must be 0");
  // Each facility: a source line and a target line.
  const auto apsc = IncompatibilityLines(kCca8 | (1ull << 63), kCca8, q);
  ASSERT_EQ(apsc.size(), 3u);
  EXPECT_EQ(apsc[1], "APSC facility installed in source queue 05.0047");
  EXPECT_EQ(apsc[2], "APSC facility not installed in target queue 05.0047");
  const auto slcf = IncompatibilityLines(kCca8, kCca8 | (1ull << 56), q);
  ASSERT_EQ(slcf.size(), 3u);
  EXPECT_EQ(slcf[2],
            "Stateless-command-filtering (SLCF) available in target queue 05.0047");
}

}  // namespace
}  // namespace vap::driver
