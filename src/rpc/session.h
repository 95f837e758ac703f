// What the requests of one connection share: the work to do when the
// connection ends, whichever way it ends (the peer closed it, it idled
// out, vapd stops). A client's process exit closes what it held, as the
// kernel closes a dead QEMU's files: vapd registers here the data fds a
// connection opened and the migrations it began, so a client that dies
// half way never leaves an mdev pinned or a guest stopped (docs/rpc.md
// "Sessions").
//
// Thread safety: none needed. A connection's requests, its stream and its
// end all run on the connection's own thread, one after another.
#ifndef VAP_RPC_SESSION_H_
#define VAP_RPC_SESSION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vap::rpc {

class Session {
 public:
  Session();
  ~Session() { Close(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Unique among the sessions of this process, never reused.
  uint64_t id() const { return id_; }
  // Runs `fn` when the session closes, unless dropped first; a second
  // registration under `key` replaces the first. At most one entry per
  // key: the count is bounded by what the callers can hold.
  void AtClose(std::string key, std::function<void()> fn);
  void Drop(std::string_view key);
  // Runs what is registered, the latest first, each once; what `fn`
  // throws is dropped (the connection is over). Later registrations run
  // at the next Close() or at destruction.
  void Close();

 private:
  const uint64_t id_;
  std::vector<std::pair<std::string, std::function<void()>>> at_close_;
};

}  // namespace vap::rpc

#endif  // VAP_RPC_SESSION_H_
