// SpinningReader on a pipe: what it reads, and its count of requests in
// service (a worker's request is served when it reads again or ends).
#include "fuse/spinning_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace vap::fuse {
namespace {

class SpinningReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  void Put(char c) { ASSERT_EQ(write(fds_[1], &c, 1), 1); }
  char Get(SpinningReader& r) {
    char c = 0;
    EXPECT_EQ(r.Read(fds_[0], &c, 1), 1);
    return c;
  }
  int fds_[2];
};

TEST_F(SpinningReaderTest, ARequestIsInServiceUntilItsThreadReadsAgainOrEnds) {
  SpinningReader r(std::chrono::microseconds(200));
  Put('a');
  EXPECT_EQ(Get(r), 'a');
  EXPECT_EQ(r.TEST_in_flight(), 1);
  Put('b');
  EXPECT_EQ(Get(r), 'b');  // 'a' was served: still one in service
  EXPECT_EQ(r.TEST_in_flight(), 1);
  Put('c');
  std::thread([&] { EXPECT_EQ(Get(r), 'c'); }).join();  // a worker that ends
  EXPECT_EQ(r.TEST_in_flight(), 1);  // only this thread's 'b'
}

TEST_F(SpinningReaderTest, AWatcherGetsWhatArrivesWhileItWatches) {
  SpinningReader r(std::chrono::microseconds(5000));
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    Put('w');
  });
  EXPECT_EQ(Get(r), 'w');
  writer.join();
  SpinningReader off(std::chrono::microseconds(0));  // blocks at once
  Put('x');
  EXPECT_EQ(Get(off), 'x');
}

}  // namespace
}  // namespace vap::fuse
