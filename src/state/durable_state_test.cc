#include "state/durable_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>
#include <vector>

#include "state/state_file.h"
#include "state/state_json.h"
#include "state/state_test_util.h"
#include "state/system_state.h"

namespace vap::state {
namespace {

class DurableStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vap-state-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string FileText() {
    Result<std::optional<std::string>> t = ReadStateFile(path_);
    return t.ok() && *t ? **t : "<none>";
  }

  std::string dir_;
  std::string path_;
};

TEST_F(DurableStateTest, FirstOpenWritesTheBootState) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FALSE(o->restored);
  Result<SystemState> on_disk = DecodeState(FileText());
  ASSERT_TRUE(on_disk.ok()) << on_disk.status().ToString();
  EXPECT_EQ(*on_disk, Capture(*o->system));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  EXPECT_EQ(std::filesystem::status(path_).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read |
                std::filesystem::perms::owner_write);
}

TEST_F(DurableStateTest, CommittedChangesSurviveAReopen) {
  SystemState before;
  {
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    o->system->tree().SetStoreObserver([&] { return o->state->Commit(); });
    ChangeEverything(*o->system);
    // Host changes are committed by their RPC, as vapd does.
    ASSERT_TRUE(o->state->Commit().ok());
    before = Capture(*o->system);
    EXPECT_EQ(*DecodeState(FileText()), before);
  }
  SystemOptions other = TestOptions();
  other.host = "builtin:legacy";  // ignored: the file has the host
  Result<DurableState::Opened> o = DurableState::Open(other, path_);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->restored);
  EXPECT_EQ(Capture(*o->system), before);
  EXPECT_EQ(*o->system->tree().Read(MdevDir(kMdevA) + "matrix"),
            "05.0020\n05.0047\n");
}

TEST_F(DurableStateTest, BadFileIsRefusedAndLeftAlone) {
  {
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_TRUE(o.ok());
  }
  const std::string good = FileText();
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), std::string(), std::string("{}")}) {
    ASSERT_TRUE(WriteStateFile(path_, bad).ok());
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().errno_value(), EINVAL) << o.status().ToString();
    EXPECT_EQ(FileText(), bad);
  }
  std::filesystem::remove(path_);
  std::filesystem::create_directory(path_);
  EXPECT_EQ(DurableState::Open(TestOptions(), path_).status().errno_value(),
            EISDIR);
}

TEST_F(DurableStateTest, ConcurrentCommitsAreBatchedAndAllDurable) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok());
  DurableState& state = *o->state;
  const uint64_t initial = state.writes();
  constexpr int kThreads = 4, kCommits = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCommits; ++i)
        if (!state.Commit().ok()) ++failures;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(state.writes() - initial, uint64_t{kThreads * kCommits});
  EXPECT_GE(state.writes() - initial, uint64_t{kCommits});
}

TEST_F(DurableStateTest, AWriteThatFailsIsReportedAsEio) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok());
  std::filesystem::remove_all(dir_);
  const Status s = o->state->Commit();
  EXPECT_EQ(s.errno_value(), EIO);
  EXPECT_NE(s.message().find("state not saved: cannot create"),
            std::string::npos)
      << s.message();
  std::filesystem::create_directory(dir_);
  EXPECT_TRUE(o->state->Commit().ok());
}

}  // namespace
}  // namespace vap::state
