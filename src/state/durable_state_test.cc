#include "state/durable_state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

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
    EXPECT_EQ(**LoadState(path_), before);
    EXPECT_EQ(o->state->snapshots(), 1u);  // the journal carried them
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

// An mdev unbound from vfio_ap_mdev stays an unbound device across a
// restart: through the journal, then through the snapshot the reopen
// writes.
TEST_F(DurableStateTest, AnUnboundMdevSurvivesAReopen) {
  {
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    o->system->tree().SetStoreObserver([&] { return o->state->Commit(); });
    ChangeEverything(*o->system);
    ASSERT_TRUE(o->system->tree()
                    .Write("bus/mdev/drivers/vfio_ap_mdev/unbind",
                           kMdevB.ToString())
                    .ok());
  }
  for (const char* from : {"journal", "snapshot"}) {
    SCOPED_TRACE(from);
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->system->vfio().UnboundMdevs(), std::vector<Uuid>{kMdevB});
    EXPECT_EQ(o->system->vfio().Mdevs(), std::vector<Uuid>{kMdevA});
    EXPECT_EQ(*o->system->tree().Read(MdevDir(kMdevB) + "uevent"), "");
    Result<SystemState> on_disk = DecodeState(FileText());
    ASSERT_TRUE(on_disk.ok()) << on_disk.status().ToString();
    ASSERT_EQ(on_disk->mdevs.size(), 2u);
    EXPECT_EQ(on_disk->mdevs[0].uuid, kMdevB);  // by UUID
    EXPECT_TRUE(on_disk->mdevs[0].unbound);
    EXPECT_FALSE(on_disk->mdevs[1].unbound);
  }
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
            EINVAL);  // not a regular file
}

TEST_F(DurableStateTest, ConcurrentCommitsAreBatchedAndAllDurable) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok());
  DurableState& state = *o->state;
  const uint64_t initial = state.writes();
  constexpr int kThreads = 4, kCommits = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  const std::string create =
      "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/"
      "create";
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        // A change each time: a commit without one writes nothing.
        const std::string uuid =
            fmt::format("00000000-0000-0000-0000-{:06x}{:06x}", t, i);
        if (!o->system->tree().Write(create, uuid).ok() ||
            !state.Commit().ok())
          ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(state.writes() - initial, uint64_t{kThreads * kCommits});
  EXPECT_GE(state.writes() - initial, uint64_t{kCommits});
  EXPECT_EQ((*LoadState(path_))->mdevs.size(), size_t{kThreads * kCommits});
}

TEST_F(DurableStateTest, ACommitThatChangesNothingWritesNothing) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok());
  o->system->tree().SetStoreObserver([&] { return o->state->Commit(); });
  const uint64_t initial = o->state->writes();
  const auto size = std::filesystem::file_size(path_ + ".journal");
  // A mask written with the value it has.
  const std::string apmask = *o->system->tree().Read("bus/ap/apmask");
  ASSERT_TRUE(o->system->tree().Write("bus/ap/apmask", apmask).ok());
  EXPECT_TRUE(o->state->Commit().ok());
  EXPECT_EQ(o->state->writes(), initial);
  EXPECT_EQ(std::filesystem::file_size(path_ + ".journal"), size);
}

// A commit appends what changed: one mdev's record, not the state.
TEST_F(DurableStateTest, ACommitAppendsOnlyTheChangedMdev) {
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  ASSERT_TRUE(o.ok());
  o->system->tree().SetStoreObserver([&] { return o->state->Commit(); });
  ChangeEverything(*o->system);
  const auto before = std::filesystem::file_size(path_ + ".journal");
  ASSERT_TRUE(
      o->system->tree().Write(MdevDir(kMdevA) + "assign_control_domain", "0x11")
          .ok());
  const auto grew = std::filesystem::file_size(path_ + ".journal") - before;
  EXPECT_GT(grew, 100u);
  EXPECT_LT(grew, 400u);  // one mdev record, nothing else
  EXPECT_EQ(**LoadState(path_), Capture(*o->system));
}

// A crash while appending leaves a torn last record: it was never
// acknowledged, and the rest of the journal still counts.
TEST_F(DurableStateTest, ATornLastRecordIsIgnoredAndATornMiddleRefused) {
  SystemState committed;
  {
    Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
    ASSERT_TRUE(o.ok());
    o->system->tree().SetStoreObserver([&] { return o->state->Commit(); });
    ChangeEverything(*o->system);
    committed = Capture(*o->system);
  }
  const std::string journal = path_ + ".journal";
  {
    std::ofstream out(journal, std::ios::app);
    out << "0x12345678 {\"op\":\"mdev\",\"md";  // torn
  }
  Result<std::optional<SystemState>> loaded = LoadState(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(**loaded, committed);
  {
    std::ofstream out(journal, std::ios::app);
    out << "\n0x00000000 {}\n";  // now the torn line is in the middle
  }
  loaded = LoadState(path_);
  EXPECT_EQ(loaded.status().errno_value(), EINVAL);
  EXPECT_NE(loaded.status().message().find("journal line"), std::string::npos)
      << loaded.status().message();
}

// Attacks on the path (docs/security.md): a FIFO, a device, a link, a
// huge file, a directory others may write.
TEST_F(DurableStateTest, StateFilesThatAreNotPlainFilesAreRefusedUnread) {
  ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  EXPECT_EQ(o.status().errno_value(), EINVAL) << o.status().ToString();
  std::filesystem::remove(path_);
  std::filesystem::create_symlink("/dev/zero", path_);
  o = DurableState::Open(TestOptions(), path_);
  EXPECT_EQ(o.status().errno_value(), ELOOP) << o.status().ToString();
  std::filesystem::remove(path_);
  {
    std::ofstream big(path_);
  }
  std::filesystem::resize_file(path_, kMaxStateFileSize + 1);  // sparse
  o = DurableState::Open(TestOptions(), path_);
  EXPECT_EQ(o.status().errno_value(), EFBIG) << o.status().ToString();
}

TEST_F(DurableStateTest, ADirectoryOthersMayWriteIsRefused) {
  ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
  Result<DurableState::Opened> o = DurableState::Open(TestOptions(), path_);
  EXPECT_EQ(o.status().errno_value(), EPERM) << o.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(path_));
  // Sticky (as /tmp): allowed, the temporaries are O_EXCL with random names.
  ASSERT_EQ(chmod(dir_.c_str(), 01777), 0);
  EXPECT_TRUE(DurableState::Open(TestOptions(), path_).ok());
}

// The old temporary name: a link planted there is never followed.
TEST_F(DurableStateTest, APlantedTemporaryLinkIsNotFollowed) {
  const std::string victim = dir_ + "/victim";
  { std::ofstream(victim) << "precious"; }
  std::filesystem::create_symlink(victim, path_ + ".tmp");
  ASSERT_TRUE(DurableState::Open(TestOptions(), path_).ok());
  std::ifstream in(victim);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "precious");
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
