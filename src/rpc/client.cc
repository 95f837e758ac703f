#include "rpc/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vap::rpc {

namespace {

void SetTimeouts(int fd, double seconds) {
  if (seconds <= 0) return;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>(
      (seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

Status Broken(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS)
    return Status::Error(ETIMEDOUT, "vapd did not answer in time (--timeout)");
  return Status::Error(EIO, "vapd closed the connection");
}

}  // namespace

Result<Client> Client::Connect(const std::string& path, double timeout_s) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Status::Error(ENAMETOOLONG, "socket path empty or too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(errno, "socket");
  SetTimeouts(fd, timeout_s);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno == EAGAIN || errno == EINPROGRESS ? ETIMEDOUT : errno;
    close(fd);
    return Status::Error(e, "cannot connect to vapd at " + path);
  }
  return Client(fd);
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

void Client::Shutdown() {
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

Result<Reply> Client::Call(const std::string& method, const Json& params) {
  const int id = next_id_++;
  const std::string line = Json{{"jsonrpc", "2.0"},
                                {"id", id},
                                {"method", method},
                                {"params", params}}
                               .dump() +
                           "\n";
  for (size_t off = 0; off < line.size();) {
    const ssize_t n =
        send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Broken(errno);
    // Closed: it may have said why first ("too many connections"): read on.
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  VAP_ASSIGN_OR_RETURN(const std::string line_in, ReadLine());
  const Json response =
      Json::parse(line_in, nullptr, /*allow_exceptions=*/false);
  if (!response.is_object())
    return Status::Error(EIO, "vapd's answer is not JSON-RPC");
  Reply reply;
  if (response.contains("result")) {
    reply.ok = true;
    reply.result = response["result"];
  } else if (response.contains("error") && response["error"].is_object()) {
    reply.error = response["error"];
  } else {
    return Status::Error(EIO, "vapd's answer has no result or error");
  }
  return reply;
}

Result<std::string> Client::ReadLine() {
  size_t nl;
  while ((nl = buffer_.find('\n')) == std::string::npos) {
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Broken(errno);
    if (n == 0) return Broken(0);
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  std::string line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 1);
  return line;
}

Result<Json> Client::NextNotification() {
  const timeval forever{};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof forever);
  VAP_ASSIGN_OR_RETURN(const std::string line, ReadLine());
  Json n = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!n.is_object() || !n.contains("method"))
    return Status::Error(EIO, "vapd's stream sent something else");
  return n;
}

}  // namespace vap::rpc
