// QEMU's vfio migration stream as the destination's loader takes it, in
// any split (hw/vfio/migration.c vfio_load_state()).
#include "vm/migration_stream.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace vap::vm {
namespace {

std::string Whole(const std::vector<std::string>& records) {
  std::string out = StreamSetup();
  for (const std::string& r : records) out += StreamData(r);
  return out + StreamEnd() + StreamConfig();
}

// Feeds `stream` `step` bytes at a time; the records the sink saw.
Result<std::vector<std::string>> Load(std::string_view stream, size_t step,
                                      StreamLoader& loader) {
  std::vector<std::string> got;
  for (size_t at = 0; at < stream.size(); at += step) {
    VAP_RETURN_IF_ERROR(loader.Feed(stream.substr(at, step), [&got](std::string_view d) {
      got.emplace_back(d);
      return Status::Ok();
    }));
  }
  return got;
}

TEST(StreamLoaderTest, AnySplitGivesTheRecordsWholeAndEndsAfterTheConfig) {
  const std::vector<std::string> records = {"abc", std::string(1000, 'x'), "z"};
  const std::string stream = Whole(records);
  for (size_t step : {size_t{1}, size_t{7}, size_t{16}, stream.size()}) {
    StreamLoader loader;
    Result<std::vector<std::string>> got = Load(stream, step, loader);
    ASSERT_TRUE(got.ok()) << step << ": " << got.status().ToString();
    EXPECT_EQ(*got, records) << step;
    EXPECT_TRUE(loader.ended()) << step;
  }
}

TEST(StreamLoaderTest, TheDataEndWithoutTheConfigSectionHasNotEnded) {
  StreamLoader loader;
  const std::string data_only = StreamSetup() + StreamData("abc") + StreamEnd();
  ASSERT_TRUE(Load(data_only, 5, loader).ok());
  EXPECT_FALSE(loader.ended());
  ASSERT_TRUE(Load(StreamConfig(), 3, loader).ok());
  EXPECT_TRUE(loader.ended());
}

TEST(StreamLoaderTest, FlagsOutOfPlaceAndOversizeRecordsAreEinvalAndFinal) {
  const std::string end = StreamEnd();
  const std::string bad[] = {
      StreamData("abc"),                                   // no setup section
      StreamSetup() + StreamConfig(),                      // config in the data
      StreamSetup() + end + StreamData("a"),               // data after the end
      StreamSetup() + end + end,                           // no config section
      StreamSetup() + end + StreamConfig().substr(0, 8) + StreamData("a"),
      Whole({"a"}) + end,                                  // bytes after the end
  };
  for (const std::string& stream : bad) {
    StreamLoader loader;
    Result<std::vector<std::string>> got = Load(stream, 3, loader);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().errno_value(), EINVAL);
    EXPECT_FALSE(loader.ended());
    // After an error every call fails.
    EXPECT_EQ(loader.Feed(StreamSetup(), [](std::string_view) { return Status::Ok(); })
                  .errno_value(),
              EINVAL);
  }
  // A record above QEMU's 1 MiB buffer is refused from its header alone.
  std::string huge = StreamSetup() + StreamData("").substr(0, 8);
  for (int i = 7; i >= 0; --i)
    huge.push_back(static_cast<char>((kVfioMigBufferSize + 1) >> (8 * i)));
  StreamLoader loader;
  EXPECT_EQ(Load(huge, huge.size(), loader).status().errno_value(), EINVAL);
}

TEST(StreamLoaderTest, ASinksErrorIsReturnedAsItIs) {
  StreamLoader loader;
  const Status s = loader.Feed(Whole({"abc"}), [](std::string_view) {
    return Status::Error(ENODEV, "no queue");
  });
  EXPECT_EQ(s.errno_value(), ENODEV);
}

}  // namespace
}  // namespace vap::vm
