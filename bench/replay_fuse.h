// ReplayFuse: the reference for the mount's benchmarks. A FUSE server that
// does nothing but answer from memory: it reads a copy of a tree (names,
// modes, link targets, file contents) once, then serves it read-only the
// way vapd's mount serves the live tree: the same libfuse low-level API,
// mount options (default_permissions) and loop (multi-threaded, requests
// read through fuse::SpinningReader), names and attributes cached by the
// kernel for an hour, READDIRPLUS, and every open with direct I/O, so
// every read is a READ request. What it costs is what FUSE itself costs
// on this machine; vapd's mount against it is what vap adds
// (docs/performance.md, "The mount").
//
// Needs root (a FUSE mount); the benchmarks mount in vap_bench's own
// mount namespace (main.cc).
#ifndef VAP_BENCH_REPLAY_FUSE_H_
#define VAP_BENCH_REPLAY_FUSE_H_

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fuse/spinning_reader.h"

namespace vap::bench {

class ReplayFuse {
 public:
  // Serves what is below `from` at a fresh directory; null if it cannot
  // read the copy or mount.
  static std::unique_ptr<ReplayFuse> Start(const std::string& from);
  ~ReplayFuse();
  ReplayFuse(const ReplayFuse&) = delete;
  ReplayFuse& operator=(const ReplayFuse&) = delete;

  const std::string& mount() const { return mount_; }

  // For the operations (replay_fuse.cc). A node's id is its index + 1.
  struct Node {
    mode_t mode = 0;  // type and permission bits
    std::string data;  // a file's contents, a link's target
    uint64_t parent = 1;
    std::map<std::string, uint64_t> children;
  };
  const Node* Get(uint64_t ino) const {
    return ino >= 1 && ino <= nodes_.size() ? &nodes_[ino - 1] : nullptr;
  }
  fuse::SpinningReader& reader() { return reader_; }

 private:
  ReplayFuse() = default;
  // Reads `path` into a new node below `parent`; its id.
  uint64_t Load(const std::string& path, uint64_t parent);

  std::vector<Node> nodes_;
  fuse::SpinningReader reader_{fuse::SpinningReader::kDefaultSpin};
  std::string mount_;
  fuse_session* session_ = nullptr;
  std::thread loop_;
};

}  // namespace vap::bench

#endif  // VAP_BENCH_REPLAY_FUSE_H_
