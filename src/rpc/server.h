// The JSON-RPC server: a unix stream socket (mode 0600) on which each
// connection sends newline-delimited requests and reads one response line
// per request. Only root and the server's own user may talk to it (the
// peer's credentials are checked on connect). A request line longer than
// kMaxRequest is answered with an error and the connection closed; at
// most kMaxConnections are served at once, further ones are closed.
#ifndef VAP_RPC_SERVER_H_
#define VAP_RPC_SERVER_H_

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "rpc/dispatcher.h"

namespace vap::rpc {

class Server {
 public:
  static constexpr size_t kMaxRequest = 1 << 20;
  static constexpr int kMaxConnections = 64;

  // Binds `path` (replacing a stale socket; EADDRINUSE if a server
  // answers there) and starts serving with `dispatcher`, which must
  // outlive the server.
  static Result<std::unique_ptr<Server>> Listen(const std::string& path,
                                                const Dispatcher& dispatcher);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, ends every connection, removes the socket file.
  void Stop() VAP_EXCLUDES(mu_);
  const std::string& path() const { return path_; }

 private:
  struct Connection {
    int fd;
    std::thread thread;
    bool done = false;
  };
  Server(int listen_fd, int wake_fd, std::string path,
         const Dispatcher& dispatcher);
  void AcceptLoop() VAP_EXCLUDES(mu_);
  void Serve(Connection* c);
  // Joins connections that have ended.
  void ReapLocked() VAP_REQUIRES(mu_);

  const int listen_fd_;
  const int wake_fd_;  // an eventfd that ends AcceptLoop
  const std::string path_;
  const Dispatcher& dispatcher_;
  std::thread acceptor_;

  // Connections; rank kLeaf.
  Mutex mu_{LockRank::kLeaf, "rpc_connections"};
  std::list<Connection> connections_ VAP_GUARDED_BY(mu_);
  bool stopped_ VAP_GUARDED_BY(mu_) = false;
};

}  // namespace vap::rpc

#endif  // VAP_RPC_SERVER_H_
