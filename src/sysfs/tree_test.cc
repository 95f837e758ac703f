#include "sysfs/tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

namespace vap::sysfs {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

ShowFn Text(std::string text) {
  return [text]() -> Result<std::string> { return text; };
}

template <typename T>
int Errno(const Result<T>& r) {
  return r.ok() ? 0 : r.status().errno_value();
}

class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    matrix_ = *tree_.MakeDirs("devices/vfio_ap/matrix");
    ASSERT_TRUE(tree_
                    .AddAttribute(matrix_, "features", 0444,
                                  Text("guest_matrix hotplug ap_config\n"),
                                  nullptr)
                    .ok());
    ASSERT_TRUE(tree_
                    .AddAttribute(matrix_, "sink", 0200, nullptr,
                                  [this](std::string_view buf) {
                                    stored_.assign(buf);
                                    return Status::Ok();
                                  })
                    .ok());
  }

  Tree tree_;
  NodeRef matrix_;
  std::string stored_;
};

TEST_F(TreeTest, ReadShowsAndWriteStores) {
  EXPECT_EQ(*tree_.Read("devices/vfio_ap/matrix/features"),
            "guest_matrix hotplug ap_config\n");
  EXPECT_EQ(*tree_.Read("/devices//vfio_ap/./matrix/features"),
            "guest_matrix hotplug ap_config\n");
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", "5\n"), 2u);
  EXPECT_EQ(stored_, "5\n");
}

TEST_F(TreeTest, StoreObserverRunsAfterSuccessfulStoresOnly) {
  int calls = 0;
  tree_.SetStoreObserver([&] {
    ++calls;
    EXPECT_EQ(tree_.TEST_active_callbacks(), 0);  // after the drain
    return calls == 2 ? Status::Error(ENOSPC, "disk full") : Status::Ok();
  });
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", "1"), 1u);
  EXPECT_EQ(calls, 1);
  // The observer's errno is the write's; the store has happened.
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap/matrix/sink", "2")), ENOSPC);
  EXPECT_EQ(stored_, "2");
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap/matrix/features", "x")), EACCES);
  EXPECT_EQ(calls, 2);
  tree_.SetStoreObserver(nullptr);
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", "3"), 1u);
  EXPECT_EQ(calls, 2);
}

TEST_F(TreeTest, WriteWithoutWriteBitIsEaccesEvenForRoot) {
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap/matrix/features", "x")), EACCES);
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap/matrix/sink")), EACCES);
  EXPECT_EQ(Errno(tree_.Open("devices/vfio_ap/matrix/features", true, true)),
            EACCES);
}

TEST_F(TreeTest, MissingCallbackIsEio) {
  ASSERT_TRUE(
      tree_.AddAttribute(matrix_, "noshow", 0644, nullptr, nullptr).ok());
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap/matrix/noshow")), EIO);
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap/matrix/noshow", "1")), EIO);
}

TEST_F(TreeTest, CallbackErrnoIsReturnedUnchanged) {
  ASSERT_TRUE(
      tree_
          .AddAttribute(matrix_, "assign_adapter", 0200, nullptr,
                        [](std::string_view) { return Status::Error(EADDRINUSE, "in use"); })
          .ok());
  ASSERT_TRUE(tree_
                  .AddAttribute(
                      matrix_, "broken", 0444,
                      []() -> Result<std::string> { return Status::Error(ENODEV, "gone"); }, nullptr)
                  .ok());
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap/matrix/assign_adapter", "5\n")),
            EADDRINUSE);
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap/matrix/broken")), ENODEV);
}

TEST_F(TreeTest, EmptyWriteDoesNotCallTheStore) {
  stored_ = "untouched";
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", ""), 0u);
  EXPECT_EQ(stored_, "untouched");
}

TEST_F(TreeTest, WritesAreCutToOnePage) {
  const std::string big(1 << 20, '7');  // 1 MiB
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", big), kPageSize);
  EXPECT_EQ(stored_.size(), kPageSize);
}

TEST_F(TreeTest, ShowIsCutToOnePageLessOne) {
  ASSERT_TRUE(tree_
                  .AddAttribute(matrix_, "huge", 0444,
                                Text(std::string(5000, 'x')), nullptr)
                  .ok());
  EXPECT_EQ(tree_.Read("devices/vfio_ap/matrix/huge")->size(), kPageSize - 1);
}

TEST_F(TreeTest, StoreSeesNulBytes) {
  const std::string with_nul("5\0x", 3);
  EXPECT_EQ(*tree_.Write("devices/vfio_ap/matrix/sink", with_nul), 3u);
  EXPECT_EQ(stored_, with_nul);
}

TEST_F(TreeTest, GetAttrReportsSysfsSizesAndModes) {
  const NodeStat attr = *tree_.GetAttr("devices/vfio_ap/matrix/features");
  EXPECT_EQ(attr.type, NodeType::kAttribute);
  EXPECT_EQ(attr.mode, 0444u);
  EXPECT_EQ(attr.size, 4096u);
  const NodeStat dir = *tree_.GetAttr("devices/vfio_ap");
  EXPECT_EQ(dir.type, NodeType::kDir);
  EXPECT_EQ(dir.mode, 0755u);
  EXPECT_EQ(dir.size, 0u);
  EXPECT_EQ(tree_.GetAttr("/")->type, NodeType::kDir);
}

TEST_F(TreeTest, ListIsSortedByName) {
  const auto entries = *tree_.List("devices/vfio_ap/matrix");
  EXPECT_THAT(entries, ElementsAre(Field(&DirEntry::name, "features"),
                                   Field(&DirEntry::name, "sink")));
  EXPECT_EQ(Errno(tree_.List("devices/vfio_ap/matrix/features")), ENOTDIR);
}

TEST_F(TreeTest, ErrorsOfLookup) {
  EXPECT_EQ(Errno(tree_.Read("devices/nope")), ENOENT);
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap/matrix/features/x")), ENOTDIR);
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap")), EISDIR);
  EXPECT_EQ(Errno(tree_.Write("devices/vfio_ap", "1")), EISDIR);
}

TEST_F(TreeTest, BuildingErrors) {
  EXPECT_EQ(Errno(tree_.MakeDir(matrix_, "features")), EEXIST);
  EXPECT_EQ(Errno(tree_.MakeDir(matrix_, "")), EINVAL);
  EXPECT_EQ(Errno(tree_.MakeDir(matrix_, "a/b")), EINVAL);
  EXPECT_EQ(Errno(tree_.MakeDir(matrix_, "..")), EINVAL);
  const NodeRef features = *tree_.Lookup("devices/vfio_ap/matrix/features");
  EXPECT_EQ(Errno(tree_.MakeDir(features, "x")), ENOTDIR);
  EXPECT_EQ(Errno(tree_.MakeDirs("devices/vfio_ap/matrix/features/x")),
            ENOTDIR);
}

TEST_F(TreeTest, RelativeSymlinksResolveFromTheirDirectory) {
  const NodeRef bus = *tree_.MakeDirs("bus/matrix/devices");
  ASSERT_TRUE(
      tree_.AddSymlink(bus, "matrix", "../../../devices/vfio_ap/matrix").ok());
  EXPECT_EQ(*tree_.ReadLink("bus/matrix/devices/matrix"),
            "../../../devices/vfio_ap/matrix");
  EXPECT_EQ(*tree_.Read("bus/matrix/devices/matrix/features"),
            "guest_matrix hotplug ap_config\n");
  EXPECT_EQ(tree_.GetAttr("bus/matrix/devices/matrix")->type,
            NodeType::kSymlink);
  EXPECT_EQ(tree_.GetAttr("bus/matrix/devices/matrix")->size, 0u);
  EXPECT_EQ(tree_.Lookup("bus/matrix/devices/matrix")->get(), matrix_.get());
  EXPECT_THAT(*tree_.List("bus/matrix/devices/matrix"),
              ElementsAre(Field(&DirEntry::name, "features"),
                          Field(&DirEntry::name, "sink")));
  EXPECT_EQ(Errno(tree_.ReadLink("bus/matrix/devices")), EINVAL);
  // ".." after a followed link goes up from the target, as in the kernel.
  EXPECT_EQ(tree_.Lookup("bus/matrix/devices/matrix/..")->get(),
            tree_.Lookup("devices/vfio_ap")->get());
}

TEST_F(TreeTest, SymlinkLoopsAreEloop) {
  const NodeRef dir = *tree_.MakeDirs("loop");
  ASSERT_TRUE(tree_.AddSymlink(dir, "a", "b").ok());
  ASSERT_TRUE(tree_.AddSymlink(dir, "b", "a").ok());
  EXPECT_EQ(Errno(tree_.Read("loop/a")), ELOOP);
  ASSERT_TRUE(tree_.AddSymlink(dir, "dangling", "nowhere").ok());
  EXPECT_EQ(Errno(tree_.Read("loop/dangling")), ENOENT);
}

TEST_F(TreeTest, RemoveTakesTheSubtree) {
  const NodeRef features = *tree_.Lookup("devices/vfio_ap/matrix/features");
  ASSERT_TRUE(tree_.Remove("devices/vfio_ap/matrix").ok());
  EXPECT_EQ(Errno(tree_.Read("devices/vfio_ap/matrix/features")), ENOENT);
  EXPECT_THAT(*tree_.List("devices/vfio_ap"), ::testing::IsEmpty());
  // An open handle outlives the node but reads fail as kernfs's do.
  EXPECT_EQ(Errno(tree_.Read(features)), ENODEV);
  EXPECT_EQ(tree_.PathOf(features), "/devices/vfio_ap/matrix/features");
  EXPECT_EQ(Errno(tree_.AddAttribute(matrix_, "late", 0444, nullptr, nullptr)),
            ENOENT);
  EXPECT_EQ(tree_.Remove(matrix_).errno_value(), ENOENT);
  EXPECT_EQ(tree_.Remove("/").errno_value(), EINVAL);
}

TEST_F(TreeTest, PathOf) {
  EXPECT_EQ(tree_.PathOf(matrix_), "/devices/vfio_ap/matrix");
  EXPECT_EQ(tree_.PathOf(tree_.root()), "/");
}

}  // namespace
}  // namespace vap::sysfs

namespace vap::sysfs {
namespace {

struct Recorder : ChangeObserver {
  void OnEntriesChanged(const NodeRef& dir, std::string_view name) override {
    seen.push_back(std::to_string(dir == nullptr ? 0 : ids(dir)) + ":" +
                   std::string(name));
  }
  std::function<uint64_t(const NodeRef&)> ids;
  std::vector<std::string> seen;
};

TEST(TreeNodesTest, NumbersTimesAndLinkCountsAreKernfss) {
  Tree tree;
  EXPECT_EQ(tree.Stat(tree.root()).id, 1u);
  const NodeRef a = *tree.MakeDirs("devices/a");
  const NodeRef b = *tree.MakeDir(a, "b");
  ASSERT_TRUE(tree.AddAttribute(a, "x", 0444, nullptr, nullptr).ok());
  const NodeStat sa = tree.Stat(a), sb = tree.Stat(b);
  EXPECT_GT(sa.id, 1u);
  EXPECT_NE(sa.id, sb.id);
  EXPECT_EQ(sa.nlink, 3u);  // 2 + b
  EXPECT_EQ(sb.nlink, 2u);
  EXPECT_EQ(tree.Stat(*tree.Lookup("devices/a/x")).nlink, 1u);
  EXPECT_GT(sa.created_ns, 1'600'000'000'000'000'000);  // not 1970
  ASSERT_TRUE(tree.Remove(b).ok());
  EXPECT_EQ(tree.Stat(a).nlink, 2u);
  // A new node never gets a removed one's number.
  const NodeRef b2 = *tree.MakeDir(a, "b");
  EXPECT_GT(tree.Stat(b2).id, sb.id);
}

TEST(TreeNodesTest, RemovalsAndAnnouncedChangesReachTheObserver) {
  Tree tree;
  Recorder rec;
  rec.ids = [&tree](const NodeRef& n) { return tree.Stat(n).id; };
  const NodeRef a = *tree.MakeDirs("devices/a");
  const NodeRef b = *tree.MakeDir(a, "b");
  tree.SetChangeObserver(&rec);
  ASSERT_TRUE(tree.Remove(b).ok());
  tree.EntriesChanged("devices/a", "link");
  tree.EntriesChanged("devices/a");
  tree.EntriesChanged("devices/none");  // nothing
  const std::string id = std::to_string(tree.Stat(a).id);
  EXPECT_THAT(rec.seen, ElementsAre(id + ":b", id + ":link", id + ":"));
  tree.SetChangeObserver(nullptr);
  tree.EntriesChanged("devices/a");
  EXPECT_EQ(rec.seen.size(), 3u);
}

TEST(TreeNodesTest, NodeWalkAnswersAsThePathWalk) {
  Tree tree;
  const NodeRef a = *tree.MakeDirs("devices/a");
  ASSERT_TRUE(tree.AddAttribute(a, "w", 0200, nullptr, nullptr).ok());
  ASSERT_TRUE(tree.AddSymlink(a, "l", "../a").ok());
  EXPECT_EQ(Errno(tree.LookupChild(a, "none")), ENOENT);
  EXPECT_EQ(Errno(tree.LookupChild(a, "..")), ENOENT);
  const NodeRef w = *tree.LookupChild(a, "w");
  EXPECT_EQ(Errno(tree.LookupChild(w, "x")), ENOTDIR);
  EXPECT_EQ(tree.CheckOpen(w, true, false).errno_value(), EACCES);
  EXPECT_TRUE(tree.CheckOpen(w, false, true).ok());
  EXPECT_EQ(tree.CheckOpen(a, false, true).errno_value(), EISDIR);
  EXPECT_EQ(*tree.ReadLink(*tree.LookupChild(a, "l")), "../a");
  EXPECT_EQ(Errno(tree.ReadLink(w)), EINVAL);
  EXPECT_THAT(*tree.List(a), ElementsAre(Field(&DirEntry::name, "l"),
                                         Field(&DirEntry::name, "w")));
  EXPECT_FALSE(tree.Removed(w));
  ASSERT_TRUE(tree.Remove(a).ok());
  EXPECT_TRUE(tree.Removed(w));
  EXPECT_EQ(Errno(tree.List(a)), ENOENT);
}

}  // namespace
}  // namespace vap::sysfs
