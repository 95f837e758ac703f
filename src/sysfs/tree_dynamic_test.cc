// Directories whose entries are computed by a DynamicEntries provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>

#include "sysfs/tree.h"

namespace vap::sysfs {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

// Directory `key` has an attribute "id" showing the key, a symlink "up" to
// its parent, and, while `extra` is set, an attribute "extra".
class Provider : public DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t /*key*/) const override {
    std::vector<DirEntry> out = {{"id", NodeType::kAttribute},
                                 {"up", NodeType::kSymlink}};
    if (extra) out.push_back({"extra", NodeType::kAttribute});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    if (name == "id") {
      DynamicEntry e;
      e.show = [this, key]() -> Result<std::string> {
        ++shows;
        if (hold) {
          while (hold.load()) std::this_thread::yield();
        }
        return std::to_string(key) + "\n";
      };
      return e;
    }
    if (name == "up") {
      DynamicEntry e;
      e.type = NodeType::kSymlink;
      e.target = "..";
      return e;
    }
    if (name == "extra" && extra) {
      DynamicEntry e;
      e.mode = 0200;
      e.store = [](std::string_view) {
        return Status::Ok();
      };
      return e;
    }
    return std::nullopt;
  }

  std::atomic<bool> extra{false};
  mutable std::atomic<bool> hold{false};
  mutable std::atomic<int> shows{0};
};

TEST(TreeDynamicTest, ComputedEntriesAreListedAndServed) {
  Tree tree;
  auto provider = std::make_shared<Provider>();
  const NodeRef base = *tree.MakeDirs("devices/ap");
  ASSERT_TRUE(tree.MakeDynamicDir(base, "card05", provider, 5).ok());
  EXPECT_THAT(
      *tree.List("devices/ap/card05"),
      ElementsAre(Field(&DirEntry::name, "id"), Field(&DirEntry::name, "up")));
  EXPECT_EQ(*tree.Read("devices/ap/card05/id"), "5\n");
  EXPECT_EQ(tree.GetAttr("devices/ap/card05/id")->size, kPageSize);
  EXPECT_EQ(tree.GetAttr("devices/ap/card05/up")->type, NodeType::kSymlink);
  EXPECT_EQ(*tree.ReadLink("devices/ap/card05/up"), "..");
  EXPECT_EQ(tree.Lookup("devices/ap/card05/up")->get(), base.get());
  EXPECT_EQ(tree.Read("devices/ap/card05/extra").status().errno_value(),
            ENOENT);
  provider->extra = true;
  EXPECT_EQ(*tree.Write("devices/ap/card05/extra", "1"), 1u);
  EXPECT_EQ(tree.Read("devices/ap/card05/extra").status().errno_value(),
            EACCES);
  EXPECT_EQ(tree.PathOf(*tree.Lookup("devices/ap/card05/id")),
            "/devices/ap/card05/id");
}

TEST(TreeDynamicTest, StoredChildShadowsComputedEntry) {
  Tree tree;
  auto provider = std::make_shared<Provider>();
  const NodeRef dir = *tree.MakeDynamicDir(tree.root(), "d", provider, 1);
  ASSERT_TRUE(tree.AddAttribute(
                      dir, "id", 0444,
                      []() -> Result<std::string> {
                        return std::string("stored\n");
                      },
                      nullptr)
                  .ok());
  EXPECT_EQ(*tree.Read("d/id"), "stored\n");
  EXPECT_EQ(tree.List("d")->size(), 2u);
}

TEST(TreeDynamicTest, RemovingTheDirectoryDrainsComputedCallbacks) {
  Tree tree;
  auto provider = std::make_shared<Provider>();
  ASSERT_TRUE(tree.MakeDynamicDir(tree.root(), "q", provider, 7).ok());
  const NodeRef id = *tree.Open("q/id", true, false);
  provider->hold = true;
  std::thread reader([&] { EXPECT_EQ(*tree.Read(id), "7\n"); });
  while (provider->shows.load() == 0) std::this_thread::yield();
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(tree.Remove("q").ok());
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // chance to fail
  EXPECT_FALSE(removed.load());
  provider->hold = false;
  reader.join();
  remover.join();
  EXPECT_TRUE(removed.load());
  // The handle outlives the directory; reads through it fail.
  EXPECT_EQ(tree.Read(id).status().errno_value(), ENODEV);
}

// Directory `key` has a computed directory "power" (key + 1000) whose
// entries `inner` gives.
class Outer : public DynamicEntries {
 public:
  explicit Outer(std::shared_ptr<const Provider> inner) : inner_(inner) {}
  std::vector<DirEntry> List(uint64_t) const override {
    return {{"power", NodeType::kDir}};
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    if (name != "power") return std::nullopt;
    DynamicEntry e;
    e.type = NodeType::kDir;
    e.mode = 0755;
    e.entries = inner_;
    e.key = key + 1000;
    return e;
  }
  uint32_t Subdirs(uint64_t) const override { return 1; }

 private:
  std::shared_ptr<const Provider> inner_;
};

TEST(TreeDynamicTest, ComputedDirectoriesNest) {
  Tree tree;
  auto inner = std::make_shared<Provider>();
  ASSERT_TRUE(tree.MakeDynamicDir(tree.root(), "q", std::make_shared<Outer>(inner), 7).ok());
  EXPECT_EQ(tree.GetAttr("q")->nlink, 3u);  // 2 + power
  const NodeStat power = *tree.GetAttr("q/power");
  EXPECT_EQ(power.type, NodeType::kDir);
  EXPECT_EQ(power.mode, 0755u);
  EXPECT_EQ(power.nlink, 2u);
  EXPECT_EQ(power.id, 0u);
  EXPECT_EQ(power.created_ns, tree.GetAttr("q")->created_ns);
  EXPECT_THAT(*tree.List("q/power"), ElementsAre(Field(&DirEntry::name, "id"),
                                                 Field(&DirEntry::name, "up")));
  EXPECT_EQ(*tree.Read("q/power/id"), "1007\n");
  EXPECT_EQ(tree.Lookup("q/power/up")->get(), tree.Lookup("q")->get());
  EXPECT_EQ(tree.PathOf(*tree.Lookup("q/power/id")), "/q/power/id");
  // Nothing is stored in a computed directory.
  EXPECT_EQ(tree.MakeDir(*tree.Lookup("q/power"), "x").status().errno_value(),
            EINVAL);
}

TEST(TreeDynamicTest, RemovingTheStoredDirectoryEndsComputedOnesBelow) {
  Tree tree;
  auto inner = std::make_shared<Provider>();
  ASSERT_TRUE(tree.MakeDynamicDir(tree.root(), "q", std::make_shared<Outer>(inner), 7).ok());
  const NodeRef power = *tree.Lookup("q/power");
  const NodeRef id = *tree.Open("q/power/id", true, false);
  inner->hold = true;
  std::thread reader([&] { EXPECT_EQ(*tree.Read(id), "1007\n"); });
  while (inner->shows.load() == 0) std::this_thread::yield();
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(tree.Remove("q").ok());
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // chance to fail
  EXPECT_FALSE(removed.load());  // the read below the computed directory runs
  inner->hold = false;
  reader.join();
  remover.join();
  EXPECT_TRUE(removed.load());
  EXPECT_TRUE(tree.Removed(power));
  EXPECT_TRUE(tree.Removed(id));
  EXPECT_EQ(tree.Read(id).status().errno_value(), ENODEV);
  EXPECT_EQ(tree.LookupChild(power, "id").status().errno_value(), ENOENT);
}

}  // namespace
}  // namespace vap::sysfs
