// The host's adapter x domain grid of `vap show` and the library's
// Host::Grid(): for each queue, who has it — a host driver (h), vfio_ap
// with no mdev (.), an mdev (a label per mdev, A, B, ...: upper case when
// the queue is in that mdev's guest, lower case when assigned but not in a
// guest or filtered out), or no driver (-).
//
// Drawn from what the sysfs tree shows (the drivers' directories, each
// mdev's `matrix`, a bound queue's `status`), through a TreeReader: the
// library reads its own tree, the CLI asks vapd over RPC.
#ifndef VAP_SYSFS_GRID_H_
#define VAP_SYSFS_GRID_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "sysfs/tree.h"

namespace vap::sysfs {

class TreeReader {
 public:
  virtual ~TreeReader() = default;
  virtual Result<std::string> Read(const std::string& path) = 0;
  virtual Result<std::vector<DirEntry>> List(const std::string& path) = 0;
};

// A Tree, read directly.
class DirectReader final : public TreeReader {
 public:
  explicit DirectReader(const Tree& tree) : tree_(tree) {}
  Result<std::string> Read(const std::string& path) override {
    return tree_.Read(path);
  }
  Result<std::vector<DirEntry>> List(const std::string& path) override {
    return tree_.List(path);
  }

 private:
  const Tree& tree_;
};

// The rows and columns: the host's adapters (with their type names, as
// `host.show` gives them) and usage domains.
struct GridAdapter {
  unsigned id = 0;
  std::string type;
};
struct GridHost {
  std::vector<GridAdapter> adapters;
  std::vector<unsigned> usage_domains;
};

// The grid with its legend; ANSI colours if `colour`. The reader's error
// if a directory or attribute cannot be read.
Result<std::string> DrawGrid(TreeReader& tree, const GridHost& host,
                             bool colour);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_GRID_H_
