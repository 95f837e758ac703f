// `vap show`: the host's adapter x domain grid — for each queue, who has
// it: a host driver, vfio_ap (free), an mdev (a letter per mdev: upper
// case when the queue is in that mdev's guest, lower case when assigned
// but not in a guest or filtered out), or nobody.
#ifndef VAP_CLI_GRID_H_
#define VAP_CLI_GRID_H_

#include <string>

#include "base/result.h"
#include "rpc/client.h"

namespace vap::cli {

// Asks vapd over `client` and draws the grid; ANSI colours if `colour`.
Result<std::string> DrawGrid(rpc::Client& client, bool colour);

}  // namespace vap::cli

#endif  // VAP_CLI_GRID_H_
