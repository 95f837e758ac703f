#include "rpc/dispatcher.h"

#include <fmt/format.h>

#include <cerrno>
#include <exception>

#include "base/json_depth.h"

namespace vap::rpc {

namespace {

// Marks a Status as "invalid params" without a new errno: ENOTRECOVERABLE
// is never produced by vap otherwise.
constexpr int kInvalidParamsErrno = ENOTRECOVERABLE;

Json Error(const Json& id, int code, const std::string& message,
           Json data = nullptr) {
  Json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = std::move(data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

}  // namespace

Status InvalidParams(std::string message) {
  return Status::Error(kInvalidParamsErrno, std::move(message));
}

void Dispatcher::Register(std::string method, Handler handler) {
  handlers_[std::move(method)] = [h = std::move(handler)](
                                     const Json& p, Session&) { return h(p); };
}

void Dispatcher::RegisterInSession(std::string method, SessionHandler handler) {
  handlers_[std::move(method)] = std::move(handler);
}

void Dispatcher::RegisterStream(std::string method, StreamHandler handler) {
  streams_[std::move(method)] = std::move(handler);
}

void Dispatcher::SetAfterSuccess(std::function<Status()> after) {
  after_success_ = std::move(after);
}

std::string Dispatcher::HandleLine(std::string_view line, Stream* stream,
                                   Session* session) const {
  if (!JsonDepthWithin(line)) {
    return Error(nullptr, kInvalidRequest,
                 fmt::format("nested deeper than {} levels", kMaxJsonDepth))
        .dump();
  }
  Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded())
    return Error(nullptr, kParseError, "parse error").dump();
  Session own;
  Json response = Dispatch(request, stream, session ? *session : own);
  if (response.is_null()) return "";
  return response.dump();
}

Json Dispatcher::Dispatch(const Json& request, Stream* stream,
                          Session& session) const {
  if (!request.is_object())
    return Error(nullptr, kInvalidRequest, "a request is a JSON object");
  const bool has_id = request.contains("id");
  const Json id = has_id ? request["id"] : Json(nullptr);
  if (has_id && !id.is_null() && !id.is_string() && !id.is_number_integer())
    return Error(nullptr, kInvalidRequest, "id must be a string or integer");
  if (request.value("jsonrpc", Json()) != "2.0")
    return Error(id, kInvalidRequest, "jsonrpc must be \"2.0\"");
  if (!request.contains("method") || !request["method"].is_string())
    return Error(id, kInvalidRequest, "method must be a string");
  const Json params = request.value("params", Json::object());
  if (!params.is_object())
    return Error(id, kInvalidParams, "params must be an object");
  const std::string method = request["method"];
  auto it = handlers_.find(method);
  auto st = streams_.find(method);
  if (it == handlers_.end() && (st == streams_.end() || stream == nullptr))
    return Error(id, kMethodNotFound, "no method '" + method + "'");
  Result<Json> result = Status::Error(EIO, "not run");
  try {
    if (it != handlers_.end()) {
      result = it->second(params, session);
    } else if (Result<Stream> s = st->second(params); s.ok()) {
      *stream = std::move(*s);
      result = Json{{"stream", true}};
    } else {
      result = s.status();
    }
  } catch (const std::exception& e) {
    return Error(id, kInternalError, e.what());
  }
  if (result.ok() && after_success_) {
    if (Status after = after_success_(); !after.ok()) result = after;
  }
  if (!has_id) {  // a notification: no answer, and so no stream
    if (stream != nullptr) *stream = nullptr;
    return nullptr;
  }
  if (!result.ok()) {
    const Status& s = result.status();
    if (s.errno_value() == kInvalidParamsErrno)
      return Error(id, kInvalidParams, s.message());
    return Error(id, kErrnoError, s.ToString(),
                 {{"errno", ErrnoName(s.errno_value())},
                  {"errno_value", s.errno_value()},
                  {"description", ErrnoDescription(s.errno_value())}});
  }
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", *result}};
}

}  // namespace vap::rpc
