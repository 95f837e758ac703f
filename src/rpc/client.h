// A JSON-RPC client on vapd's socket: one request, one response line.
#ifndef VAP_RPC_CLIENT_H_
#define VAP_RPC_CLIENT_H_

#include <string>

#include "base/result.h"
#include "rpc/dispatcher.h"

namespace vap::rpc {

// What a call gave: a result, or the server's error object.
struct Reply {
  bool ok = false;
  Json result;  // ok
  Json error;   // !ok: {"code", "message", "data"?}
};

class Client {
 public:
  // ECONNREFUSED/ENOENT/EACCES if vapd is not there or not ours.
  // `timeout_s` (> 0) bounds the connect and each send and receive of a
  // call: a vapd that is stopped or hung gives ETIMEDOUT, not a hang.
  static Result<Client> Connect(const std::string& path,
                                double timeout_s = 0);
  Client(Client&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Client& operator=(Client&&) = delete;
  ~Client();

  // EIO if the connection broke or the answer is not JSON-RPC (a line
  // vapd sent before closing, such as "too many connections", is the
  // reply), ETIMEDOUT past the timeout.
  Result<Reply> Call(const std::string& method, const Json& params);
  // After a streaming call's answer: the next notification the stream
  // sends, waiting as long as it takes (the timeout no longer applies).
  // EIO once the stream ended.
  Result<Json> NextNotification();
  // Ends the connection from another thread: a NextNotification() waiting
  // there returns EIO. The only call that may race with the others.
  void Shutdown();

 private:
  // One line of the connection, without its newline.
  Result<std::string> ReadLine();
  explicit Client(int fd) : fd_(fd) {}
  int fd_;
  int next_id_ = 1;
  std::string buffer_;
};

}  // namespace vap::rpc

#endif  // VAP_RPC_CLIENT_H_
