#include "rpc/server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rpc/session.h"

namespace vap::rpc {

namespace {

Status SysError(const std::string& what) {
  return Status::Error(errno, what + ": " + std::strerror(errno));
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Whether a server answers at `path` (a live socket, not a stale file).
bool Answers(const sockaddr_un& addr) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok =
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// The peer's credentials; false if they cannot be had.
bool PeerOf(int fd, ucred* cred) {
  socklen_t len = sizeof *cred;
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0;
}

bool PeerAllowed(const ucred& cred) {
  return cred.uid == 0 || cred.uid == geteuid();
}

constexpr const char* kEaccesAnswer =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,)"
    R"("message":"EACCES: only root or vapd's user may connect",)"
    R"("data":{"errno":"EACCES","errno_value":13}}})"
    "\n";
constexpr const char* kBusyAnswer =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,)"
    R"("message":"EAGAIN: too many connections to vapd; try again later",)"
    R"("data":{"errno":"EAGAIN","errno_value":11}}})"
    "\n";

void SetTimeout(int fd, int option, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Listen(const std::string& path,
                                               const Dispatcher& dispatcher,
                                               ServerOptions options) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Status::Error(ENAMETOOLONG, "socket path empty or too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return Status::Error(EEXIST, path + " exists and is not a socket");
    if (Answers(addr))
      return Status::Error(EADDRINUSE, "a server is running at " + path);
    unlink(path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SysError("socket");
  // Created 0600 from the start: no window in which others may connect.
  const mode_t old_umask = umask(0177);
  const int bound =
      bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old_umask);
  if (bound != 0 || listen(fd, 16) != 0) {
    Status s = SysError("bind " + path);
    close(fd);
    return s;
  }
  const int wake = eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    Status s = SysError("eventfd");
    close(fd);
    unlink(path.c_str());
    return s;
  }
  return std::unique_ptr<Server>(
      new Server(fd, wake, path, dispatcher, options));
}

Server::Server(int listen_fd, int wake_fd, std::string path,
               const Dispatcher& dispatcher, ServerOptions options)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      path_(std::move(path)),
      dispatcher_(dispatcher),
      options_(options) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

Server::~Server() { Stop(); }

void Server::Stop() {
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (Connection& c : connections_) shutdown(c.fd, SHUT_RDWR);
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  acceptor_.join();
  std::list<Connection> connections;
  {
    MutexLock lock(mu_);
    connections.swap(connections_);
  }
  for (Connection& c : connections) {
    c.thread.join();
    close(c.fd);
  }
  close(listen_fd_);
  close(wake_fd_);
  unlink(path_.c_str());
}

void Server::ReapLocked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    close(it->fd);
    it = connections_.erase(it);
  }
}

void Server::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // A refusal's answer never waits on its reader.
    SetTimeout(fd, SO_SNDTIMEO, std::chrono::milliseconds(100));
    ucred cred{};
    if (!PeerOf(fd, &cred) || !PeerAllowed(cred)) {
      Refuse(fd, kEaccesAnswer);
      continue;
    }
    MutexLock lock(mu_);
    ReapLocked();
    int from_peer = 0;
    for (const Connection& c : connections_) from_peer += c.peer == cred.pid;
    if (stopped_ || connections_.size() >= kMaxConnections ||
        from_peer >= kMaxPerPeer) {
      Refuse(fd, kBusyAnswer);
      continue;
    }
    SetTimeout(fd, SO_SNDTIMEO, options_.request_timeout);
    connections_.push_back(Connection{fd, cred.pid, {}, false});
    Connection* c = &connections_.back();
    c->thread = std::thread([this, c] { Serve(c); });
  }
}

void Server::Refuse(int fd, const char* answer) {
  (void)WriteAll(fd, answer);
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

namespace {

// A stream's end of the connection: no send timeout (the stream waits for
// a slow reader; what it sends from is bounded and drops instead), and the
// peer is gone once it hung up or the server shut the socket down.
class FdSink final : public StreamSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {
    SetTimeout(fd_, SO_SNDTIMEO, std::chrono::milliseconds(0));
  }
  bool Send(const Json& notification) override {
    return WriteAll(fd_, notification.dump() + "\n");
  }
  bool PeerGone() override {
    pollfd p{fd_, POLLRDHUP, 0};
    if (poll(&p, 1, 0) < 0) return errno != EINTR;
    return (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0;
  }

 private:
  const int fd_;
};

}  // namespace

void Server::RunStream(int fd, const Stream& stream) {
  FdSink sink(fd);
  stream(sink);
}

void Server::Serve(Connection* c) {
  const int fd = c->fd;
  std::string buf;
  char chunk[65536];
  using Clock = std::chrono::steady_clock;
  Clock::time_point request_start{};  // of the partial request in buf
  Session session;
  for (;;) {
    // Idle between requests; bounded while a request is half sent.
    std::chrono::milliseconds wait = options_.idle_timeout;
    if (!buf.empty()) {
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          request_start + options_.request_timeout - Clock::now());
      if (wait.count() <= 0) break;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;  // timed out (or failed): close
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (buf.empty()) request_start = Clock::now();
    buf.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    bool ok = true;
    for (size_t nl; ok && (nl = buf.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      const std::string_view line(buf.data() + start, nl - start);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Stream stream;
      const std::string response =
          dispatcher_.HandleLine(line, &stream, &session);
      if (!response.empty()) ok = WriteAll(fd, response + "\n");
      if (ok && stream) {
        RunStream(fd, stream);
        ok = false;  // the stream owned the connection to its end
      }
    }
    buf.erase(0, start);
    if (!ok) break;
    if (!buf.empty() && start > 0) request_start = Clock::now();
    if (buf.size() > kMaxRequest) {
      (void)WriteAll(fd, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,)"
                         R"("message":"request larger than 1 MiB"}})"
                         "\n");
      break;
    }
  }
  shutdown(fd, SHUT_RDWR);
  // What the peer left open ends with it (no lock of ours is held).
  session.Close();
  MutexLock lock(mu_);
  c->done = true;
}

}  // namespace vap::rpc
