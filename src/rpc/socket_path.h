// Where vapd listens unless told otherwise (vapd --socket; docs/rpc.md).
#ifndef VAP_RPC_SOCKET_PATH_H_
#define VAP_RPC_SOCKET_PATH_H_

#include <cstdlib>
#include <string>

namespace vap::rpc {

// $XDG_RUNTIME_DIR/vapd.sock, else /run/vapd.sock.
inline std::string DefaultSocketPath() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] != '\0')
    return std::string(runtime) + "/vapd.sock";
  return "/run/vapd.sock";
}

}  // namespace vap::rpc

#endif  // VAP_RPC_SOCKET_PATH_H_
