// JSON-RPC 2.0 requests to method handlers (docs/rpc.md). One request is one
// line of JSON; the answer is one line. Handlers take the params object and
// return a result or a Status; an error Status becomes a JSON-RPC error with
// code -32000 and data {"errno": "ENODEV", "errno_value": 19} (the only
// place, with the sysfs adapters, where an errno leaves the library). Bad
// requests get the standard codes (-32700 parse error, -32600 invalid
// request, -32601 method not found, -32602 invalid params); a handler's
// exception is caught and reported as -32603, never a crash.
#ifndef VAP_RPC_DISPATCHER_H_
#define VAP_RPC_DISPATCHER_H_

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"
#include "rpc/session.h"

namespace vap::rpc {

using Json = nlohmann::json;
using Handler = std::function<Result<Json>(const Json& params)>;
// A handler that leaves work for the end of its connection (rpc/session.h).
using SessionHandler =
    std::function<Result<Json>(const Json& params, Session& session)>;

inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kErrnoError = -32000;

// A handler's way to say its params are wrong (-32602 with `message`).
Status InvalidParams(std::string message);

// The far end of a stream (a method that goes on sending after its
// answer, as `uevent.monitor` does): one JSON-RPC notification per line.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Sends one line (no newline); false once the peer is gone.
  virtual bool Send(const Json& notification) = 0;
  // True once the peer closed its end or the server stops.
  virtual bool PeerGone() = 0;
};
// What a streaming method runs after its answer, until it returns.
using Stream = std::function<void(StreamSink& sink)>;
// A streaming method: checks its params (an error is the answer, as for
// any method) and gives the stream.
using StreamHandler = std::function<Result<Stream>(const Json& params)>;

class Dispatcher {
 public:
  // Registers `method`; a later registration replaces an earlier one.
  void Register(std::string method, Handler handler);
  void RegisterInSession(std::string method, SessionHandler handler);
  // A streaming method: answered {"stream": true}, then its stream runs
  // on the connection, which it owns until it returns.
  void RegisterStream(std::string method, StreamHandler handler);
  // Runs after every request that succeeded, before its answer is made;
  // its error becomes the answer, though the method's effect stays (vapd:
  // durable state commits every acknowledged change, as the tree's store
  // observer does for sysfs stores). Set before serving.
  void SetAfterSuccess(std::function<Status()> after);
  // The response line (no newline) to one request line; empty for a
  // notification (no "id"), which gets no answer. For a streaming method
  // that succeeded, *stream is set: the caller runs it after the answer.
  // `session` is the connection's; without one the request is a session
  // of its own, closed before HandleLine returns.
  std::string HandleLine(std::string_view line, Stream* stream = nullptr,
                         Session* session = nullptr) const;

 private:
  Json Dispatch(const Json& request, Stream* stream, Session& session) const;
  std::map<std::string, SessionHandler, std::less<>> handlers_;
  std::map<std::string, StreamHandler, std::less<>> streams_;
  std::function<Status()> after_success_;
};

}  // namespace vap::rpc

#endif  // VAP_RPC_DISPATCHER_H_
