// `vap show` over RPC: the grid of sysfs/grid.h, read from vapd.
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
