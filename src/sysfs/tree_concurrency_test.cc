// Concurrent reads, writes and removals (kernfs "drain" semantics).
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "sysfs/tree.h"

namespace vap::sysfs {
namespace {

// A gate a callback waits at until the test opens it.
class Gate {
 public:
  void Open() {
    MutexLock lock(mu_);
    open_ = true;
    cv_.SignalAll();
  }
  void Wait() {
    MutexLock lock(mu_);
    while (!open_) cv_.Wait(mu_);
  }

 private:
  Mutex mu_{LockRank::kMdevs, "gate"};
  CondVar cv_;
  bool open_ VAP_GUARDED_BY(mu_) = false;
};

TEST(TreeConcurrencyTest, RemoveWaitsForARunningStore) {
  Tree tree;
  const NodeRef dir = *tree.MakeDirs("devices/mdev");
  Gate gate;
  std::atomic<bool> store_entered{false};
  std::atomic<bool> store_returned{false};
  ASSERT_TRUE(tree.AddAttribute(dir, "slow", 0200, nullptr,
                                [&](std::string_view) {
                                  store_entered = true;
                                  gate.Wait();
                                  store_returned = true;
                                  return Status::Ok();
                                })
                  .ok());
  std::thread writer(
      [&] { EXPECT_TRUE(tree.Write("devices/mdev/slow", "1").ok()); });
  while (!store_entered) std::this_thread::yield();

  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(tree.Remove("devices/mdev").ok());
    removed = true;
    // Removal returned only after the store had.
    EXPECT_TRUE(store_returned.load());
  });
  // Once the node is detached, lookups fail while the store still runs.
  while (tree.Lookup("devices/mdev").ok()) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // chance to fail
  EXPECT_FALSE(removed.load());
  gate.Open();
  writer.join();
  remover.join();
  EXPECT_TRUE(removed.load());
  EXPECT_EQ(tree.TEST_active_callbacks(), 0);
}

TEST(TreeConcurrencyTest, StoreMayRemoveItsOwnDirectory) {
  // The mdev `remove` attribute removes its own directory: the store does
  // not wait for itself.
  Tree tree;
  const NodeRef dir = *tree.MakeDirs("devices/vfio_ap/matrix/u1");
  ASSERT_TRUE(tree.AddAttribute(
                      dir, "matrix", 0444,
                      []() -> Result<std::string> {
                        return std::string();
                      },
                      nullptr)
                  .ok());
  ASSERT_TRUE(tree.AddAttribute(dir, "remove", 0200, nullptr,
                                [&](std::string_view) -> Status {
                                  if (!tree.Remove(dir).ok())
                                    return Status::Error(EIO, "not removed");
                                  return Status::Ok();
                                })
                  .ok());
  const NodeRef remove_node = *tree.Lookup("devices/vfio_ap/matrix/u1/remove");
  EXPECT_EQ(*tree.Write("devices/vfio_ap/matrix/u1/remove", "1\n"), 2u);
  EXPECT_FALSE(tree.Lookup("devices/vfio_ap/matrix/u1").ok());
  // A writer that opened the file before the removal sees ENODEV.
  EXPECT_EQ(tree.Write(remove_node, "1\n").status().errno_value(), ENODEV);
  EXPECT_EQ(tree.TEST_active_callbacks(), 0);
}

TEST(TreeConcurrencyTest, ReadersWritersAndRemoversRace) {
  // Directories come and go while other threads read, write, list and look
  // up in them. Nothing may crash, hang or report anything but the errors
  // a vanishing node gives.
  Tree tree;
  const NodeRef base = *tree.MakeDirs("devices/ap");
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0};
  auto make = [&](int i) {
    const std::string name = "card" + std::to_string(i);
    auto dir = tree.MakeDir(base, name);
    if (!dir.ok()) return;
    (void)tree.AddAttribute(
        *dir, "type", 0444,
        [&calls]() -> Result<std::string> {
          ++calls;
          return std::string("CEX8C\n");
        },
        nullptr);
    (void)tree.AddAttribute(
        *dir, "online", 0644,
        []() -> Result<std::string> {
          return std::string("1\n");
        },
        [&calls](std::string_view) {
          ++calls;
          return Status::Ok();
        });
  };
  for (int i = 0; i < 8; ++i) make(i);

  auto ok_error = [](int e) { return e == ENOENT || e == ENODEV; };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      unsigned x = static_cast<unsigned>(t) + 1;
      while (!stop) {
        x = x * 1103515245u + 12345u;
        const std::string card = "devices/ap/card" + std::to_string(x % 8);
        if (x % 3 == 0) {
          auto r = tree.Read(card + "/type");
          if (r.ok()) {
            EXPECT_EQ(*r, "CEX8C\n");
          } else {
            EXPECT_TRUE(ok_error(r.status().errno_value()))
                << r.status().ToString();
          }
        } else if (x % 3 == 1) {
          auto r = tree.Write(card + "/online", "0\n");
          EXPECT_TRUE(r.ok() || ok_error(r.status().errno_value()));
        } else {
          auto r = tree.List(card);
          EXPECT_TRUE(r.ok() || ok_error(r.status().errno_value()));
        }
      }
    });
  }
  // At least 300 rounds, and until the other threads got through a few
  // callbacks (a loaded machine may start them late); bounded either way.
  for (int round = 0; round < 300 || (calls.load() < 50 && round < 1000000);
       ++round) {
    const int i = round % 8;
    const Status s = tree.Remove("devices/ap/card" + std::to_string(i));
    EXPECT_TRUE(s.ok() || s.errno_value() == ENOENT);
    make(i);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(tree.TEST_active_callbacks(), 0);
  EXPECT_GT(calls.load(), 0);
}

}  // namespace
}  // namespace vap::sysfs
