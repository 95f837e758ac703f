#include "cli/exec.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vap::cli {

void ExecOrExit127(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  fmt::print(stderr, "vap sandbox: {}: {}\n", command[0], strerror(errno));
  _exit(127);
}

}  // namespace vap::cli
