// Replacing this process with a command, as the sandbox runs CMD and its
// tools (udevd, udevadm): execvp(3), or a message and exit status 127 (the
// shell's "command not found").
#ifndef VAP_CLI_EXEC_H_
#define VAP_CLI_EXEC_H_

#include <string>
#include <vector>

namespace vap::cli {

[[noreturn]] void ExecOrExit127(const std::vector<std::string>& command);

}  // namespace vap::cli

#endif  // VAP_CLI_EXEC_H_
