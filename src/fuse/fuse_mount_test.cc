// The mount against a small tree, through the kernel: what the kernel may
// cache and what it must not, and what a `cat` costs. Needs root (a FUSE
// mount); mounts only in a private mount namespace of its own.
#include "fuse/fuse_mount.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "fuse/private_mount_namespace.h"
#include "sysfs/attr.h"
#include "sysfs/power_entries.h"

namespace vap::fuse {
namespace {

using sysfs::DirEntry;
using sysfs::DynamicEntry;
using sysfs::NodeRef;
using sysfs::NodeType;

// A directory with one computed link whose target the test changes.
class Links : public sysfs::DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t) const override {
    if (!present) return {};
    return {{"driver", NodeType::kSymlink}};
  }
  std::optional<DynamicEntry> Find(uint64_t, std::string_view name) const override {
    if (!present || name != "driver") return std::nullopt;
    // Counting down to a change that comes in the middle of a lookup.
    if (finds_left.load() == 0) return std::nullopt;
    if (finds_left.load() > 0) finds_left.fetch_sub(1);
    DynamicEntry e;
    e.type = NodeType::kSymlink;
    MutexLock lock(mu);
    e.target = target;
    return e;
  }
  void SetTarget(std::string t) {
    MutexLock lock(mu);
    target = std::move(t);
  }
  std::atomic<bool> present{true};
  // -1: no change; n: the link goes after n more lookups.
  mutable std::atomic<int> finds_left{-1};
  // The test writes, the mount's threads read (TSan sees no order through
  // the kernel).
  mutable Mutex mu{LockRank::kLeaf, "test_links"};
  std::string target VAP_GUARDED_BY(mu) = "../a";
};

class FuseMountTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { private_ns_ = EnterPrivateMountNamespace(); }

  void SetUp() override {
    if (!private_ns_) GTEST_SKIP() << "needs root (a FUSE mount)";
    char tmpl[] = "/tmp/vap-fuse-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    a_ = *tree_.MakeDirs("devices/a");
    ASSERT_TRUE(tree_.AddAttribute(a_, "value", 0444, [this]() -> Result<std::string> {
      return std::to_string(++shows_) + "\n";
    }, nullptr).ok());
    links_ = std::make_shared<Links>();
    q_ = *tree_.MakeDynamicDir(a_, "q", links_, 0);
    Result<std::unique_ptr<FuseMount>> m = FuseMount::Mount(tree_, {dir_});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mount_ = std::move(*m);
  }
  void TearDown() override {
    mount_.reset();
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  std::string P(const std::string& rel) const { return dir_ + "/" + rel; }
  std::string Cat(const std::string& rel) const {
    const int fd = open(P(rel).c_str(), O_RDONLY);
    if (fd < 0) return "errno " + std::to_string(errno);
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }
  std::string Link(const std::string& rel) const {
    char buf[256];
    const ssize_t n = readlink(P(rel).c_str(), buf, sizeof buf);
    return n < 0 ? "errno " + std::to_string(errno) : std::string(buf, static_cast<size_t>(n));
  }
  static bool Exists(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
  }

  static inline bool private_ns_ = false;
  sysfs::Tree tree_;
  NodeRef a_, q_;
  std::shared_ptr<Links> links_;
  std::atomic<int> shows_{0};
  std::string dir_;
  std::unique_ptr<FuseMount> mount_;
};

TEST_F(FuseMountTest, ValuesAreAlwaysFreshAndACatCostsFewRequests) {
  // The kernel sends a RELEASE after close(2) returns: counts are taken
  // once every open file was released.
  const auto settled = [this] {
    RequestCounts c = mount_->request_counts();
    for (int i = 0; i < 1000 && c[Request::kRelease] < c[Request::kOpen]; ++i) {
      usleep(1000);
      c = mount_->request_counts();
    }
    return c;
  };
  EXPECT_EQ(Cat("devices/a/value"), "1\n");
  const RequestCounts before = settled();
  EXPECT_EQ(Cat("devices/a/value"), "2\n");  // shown again, never cached
  const RequestCounts after = settled();
  RequestCounts diff;
  for (size_t i = 0; i < diff.n.size(); ++i) diff.n[i] = after.n[i] - before.n[i];
  EXPECT_EQ(diff[Request::kLookup], 0u);
  EXPECT_EQ(diff[Request::kGetattr], 0u);
  // OPEN, READ, the READ that finds the end, RELEASE: names and modes come
  // from the kernel's cache (docs/performance.md, "The mount").
  EXPECT_LE(diff.total(), 4u) << "open " << diff[Request::kOpen] << ", read "
                              << diff[Request::kRead] << ", release "
                              << diff[Request::kRelease];
}

TEST_F(FuseMountTest, ARemovedNodeIsGoneAndANewOneThereAtOnce) {
  ASSERT_EQ(Cat("devices/a/value"), "1\n");
  ASSERT_TRUE(Exists(P("devices/a/q")));
  ASSERT_TRUE(tree_.Remove(a_).ok());
  EXPECT_FALSE(Exists(P("devices/a/value")));
  EXPECT_FALSE(Exists(P("devices/a")));
  EXPECT_FALSE(Exists(P("devices/b")));
  a_ = *tree_.MakeDir(*tree_.Lookup("devices"), "b");
  EXPECT_TRUE(Exists(P("devices/b")));
}

TEST_F(FuseMountTest, AComputedLinkIsSeenAsItIsNow) {
  EXPECT_EQ(Link("devices/a/q/driver"), "../a");
  links_->SetTarget("../b");  // a readlink always asks
  EXPECT_EQ(Link("devices/a/q/driver"), "../b");
  links_->present = false;
  tree_.EntriesChanged("devices/a/q", "driver");  // as a binding announces
  EXPECT_FALSE(Exists(P("devices/a/q/driver")));
  links_->present = true;
  EXPECT_TRUE(Exists(P("devices/a/q/driver")));
}

TEST_F(FuseMountTest, ANameThatGoesDuringItsLookupIsNotCached) {
  links_->finds_left = 1;  // found by the lookup, gone when it looks again
  EXPECT_FALSE(Exists(P("devices/a/q/driver")));
  links_->finds_left = -1;  // and nothing negative was cached either
  EXPECT_TRUE(Exists(P("devices/a/q/driver")));
}

TEST_F(FuseMountTest, AListingCarriesItsEntriesLookups) {
  const RequestCounts before = mount_->request_counts();
  DIR* d = opendir(P("devices/a").c_str());
  ASSERT_NE(d, nullptr);
  std::map<std::string, ino_t> listed;
  while (dirent* e = readdir(d)) listed[e->d_name] = e->d_ino;
  closedir(d);
  ASSERT_EQ(listed.count("value"), 1u);
  ASSERT_EQ(listed.count("q"), 1u);
  for (const char* name : {"value", "q"}) {
    struct stat st {};
    ASSERT_EQ(lstat(P(std::string("devices/a/") + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, listed[name]) << name;  // readdir and stat agree
  }
  const RequestCounts after = mount_->request_counts();
  EXPECT_GE(after[Request::kReaddirplus], before[Request::kReaddirplus] + 1);
  // devices and devices/a came through LOOKUP; their entries did not.
  EXPECT_LE(after[Request::kLookup] - before[Request::kLookup], 2u);
}

TEST_F(FuseMountTest, TimesAndLinkCountsAreKernfss) {
  struct stat st {};
  ASSERT_EQ(stat(P("devices/a").c_str(), &st), 0);
  EXPECT_GT(st.st_mtime, 1'600'000'000);
  EXPECT_EQ(st.st_nlink, 3u);  // 2 + q
  ASSERT_TRUE(tree_.MakeDir(a_, "c").ok());  // the cached count follows
  ASSERT_EQ(stat(P("devices/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 4u);
  ASSERT_EQ(stat(P("devices/a/value").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);
  EXPECT_NE(st.st_ino, 0u);
}

// A device directory whose `power` directory is computed, as a queue's is.
class WithPower : public sysfs::DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t) const override {
    return {{"power", NodeType::kDir}};
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    if (name != "power") return std::nullopt;
    return sysfs::PowerEntries::Dir(power_, key);
  }
  uint32_t Subdirs(uint64_t) const override { return 1; }

 private:
  std::shared_ptr<sysfs::PowerEntries> power_ =
      std::make_shared<sysfs::PowerEntries>();
};

TEST_F(FuseMountTest, ComputedDirectoriesAreServedAndGoWithTheirDevice) {
  const NodeRef dev =
      *tree_.MakeDynamicDir(a_, "dev", std::make_shared<WithPower>(), 1);
  struct stat st {};
  ASSERT_EQ(stat(P("devices/a/dev").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);  // 2 + power
  ASSERT_EQ(stat(P("devices/a/dev/power").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_nlink, 2u);
  std::vector<std::string> names;
  DIR* d = opendir(P("devices/a/dev/power").c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{
                       ".", "..", "autosuspend_delay_ms", "control",
                       "runtime_active_time", "runtime_status",
                       "runtime_suspended_time"}));
  EXPECT_EQ(Cat("devices/a/dev/power/control"), "auto\n");
  {
    const int fd = open(P("devices/a/dev/power/autosuspend_delay_ms").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    char buf[16];
    EXPECT_EQ(read(fd, buf, sizeof buf), -1);
    EXPECT_EQ(errno, EIO);
    close(fd);
  }
  const int fd = open(P("devices/a/dev/power/control").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(write(fd, "on\n", 3), 3);
  close(fd);
  EXPECT_EQ(Cat("devices/a/dev/power/control"), "on\n");
  // The device goes: so do the names below its computed directory.
  ASSERT_TRUE(tree_.Remove(dev).ok());
  EXPECT_FALSE(Exists(P("devices/a/dev/power/control")));
  EXPECT_FALSE(Exists(P("devices/a/dev/power")));
  ASSERT_EQ(stat(P("devices/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);  // 2 + q
}

}  // namespace
}  // namespace vap::fuse
