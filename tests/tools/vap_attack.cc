// vap_attack: the clients of the hardening tests (tests/integration/
// hardening_test.sh), each one thing a hostile or careless local user
// does to vapd.
//
//   vap_attack pread FILE THREADS MS   many threads pread one open fd
//   vap_attack rpc SOCKET              sends stdin, prints the first answer
//   vap_attack session SOCKET          one connection: each stdin line sent,
//                                      its answer printed, until stdin ends
//   vap_attack idle SOCKET N           holds N idle connections until killed
//
// Exit 0 when the attack could be carried out (whatever vapd answered),
// 1 when it could not (pread: a read failed other than as expected).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

int Pread(const char* path, int threads, int ms) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  std::atomic<bool> failed{false};
  std::atomic<long> reads{0};
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      char buf[4096];
      unsigned seed = static_cast<unsigned>(t);
      while (std::chrono::steady_clock::now() < end && !failed) {
        const off_t off = static_cast<off_t>(rand_r(&seed) % 8);
        if (pread(fd, buf, sizeof buf, off) < 0) {
          std::perror("pread");
          failed = true;
        }
        ++reads;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  close(fd);
  std::printf("%ld reads\n", reads.load());
  return failed ? 1 : 0;
}

int Connect(const char* path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return -1;
  return fd;
}

int Rpc(const char* path) {
  const std::string request((std::istreambuf_iterator<char>(std::cin)), {});
  const int fd = Connect(path);
  if (fd < 0) return 1;
  (void)!write(fd, request.data(), request.size());
  std::string answer;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') answer += c;
  std::printf("%s\n", answer.c_str());
  return 0;
}

// A client that keeps its connection (its session) across requests, for
// a script that plays QEMU through a coprocess; it hangs up at the end of
// stdin, or dies when killed.
int Session(const char* path) {
  const int fd = Connect(path);
  if (fd < 0) return 1;
  std::string line;
  while (std::getline(std::cin, line)) {
    line += '\n';
    if (write(fd, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size()))
      return 1;
    std::string answer;
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') answer += c;
    std::printf("%s\n", answer.c_str());
    std::fflush(stdout);
  }
  close(fd);
  return 0;
}

int Idle(const char* path, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) fds.push_back(Connect(path));
  std::printf("holding %d\n", n);
  std::fflush(stdout);
  pause();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "pread" && argc == 5)
    return Pread(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "rpc" && argc == 3) return Rpc(argv[2]);
  if (mode == "session" && argc == 3) return Session(argv[2]);
  if (mode == "idle" && argc == 4) return Idle(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr,
               "usage: vap_attack pread FILE THREADS MS | rpc SOCKET "
               "| session SOCKET | idle SOCKET N\n");
  return 2;
}
