// The JSON-RPC server: a unix stream socket (mode 0600) on which each
// connection sends newline-delimited requests and reads one response line
// per request. Only root and the server's own user may talk to it: the
// peer's credentials are checked as soon as a connection is accepted,
// before it counts against any limit, and anyone else is answered EACCES
// and closed. A request line longer than kMaxRequest is answered with an
// error and the connection closed. At most kMaxConnections are served at
// once and kMaxPerPeer from one process; past that a connection is
// answered "too many connections" (EAGAIN) and closed. A connection idle
// for idle_timeout, or that takes longer than request_timeout to send a
// whole request or read an answer, is closed: nobody can hold the server
// by connecting and doing nothing. Each connection has a session
// (rpc/session.h), closed on the connection's thread when it ends, with
// no lock of the server's held.
#ifndef VAP_RPC_SERVER_H_
#define VAP_RPC_SERVER_H_

#include <sys/types.h>

#include <chrono>
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

struct ServerOptions {
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds request_timeout{10000};
};

class Server {
 public:
  static constexpr size_t kMaxRequest = 1 << 20;
  static constexpr int kMaxConnections = 64;
  static constexpr int kMaxPerPeer = 16;

  // Binds `path` (replacing a stale socket; EADDRINUSE if a server
  // answers there) and starts serving with `dispatcher`, which must
  // outlive the server.
  static Result<std::unique_ptr<Server>> Listen(const std::string& path,
                                                const Dispatcher& dispatcher,
                                                ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, ends every connection, removes the socket file.
  void Stop() VAP_EXCLUDES(mu_);
  const std::string& path() const { return path_; }

 private:
  struct Connection {
    int fd;
    pid_t peer;
    std::thread thread;
    bool done = false;
  };
  Server(int listen_fd, int wake_fd, std::string path,
         const Dispatcher& dispatcher, ServerOptions options);
  // Answers and closes a connection that is not served.
  void Refuse(int fd, const char* answer);
  void AcceptLoop() VAP_EXCLUDES(mu_);
  void Serve(Connection* c);
  // Hands the connection to a streaming method's stream until it returns.
  static void RunStream(int fd, const Stream& stream);
  // Joins connections that have ended.
  void ReapLocked() VAP_REQUIRES(mu_);

  const int listen_fd_;
  const int wake_fd_;  // an eventfd that ends AcceptLoop
  const std::string path_;
  const Dispatcher& dispatcher_;
  const ServerOptions options_;
  std::thread acceptor_;

  // Connections; rank kLeaf.
  Mutex mu_{LockRank::kLeaf, "rpc_connections"};
  std::list<Connection> connections_ VAP_GUARDED_BY(mu_);
  bool stopped_ VAP_GUARDED_BY(mu_) = false;
};

}  // namespace vap::rpc

#endif  // VAP_RPC_SERVER_H_
