#include "daemon/migration_methods.h"

#include <fmt/format.h>

#include <cerrno>
#include <map>
#include <memory>

#include "base/mutex.h"
#include "daemon/params.h"
#include "driver/migration.h"

namespace vap::daemon {

namespace {

using rpc::Json;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "data": an even number of hex digits, at most kMaxMigrationPiece bytes.
Result<std::string> DataParam(const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string hex, String(p, "data"));
  if (hex.size() % 2 != 0 || hex.size() / 2 > kMaxMigrationPiece) {
    return rpc::InvalidParams(fmt::format(
        "'data' must be hex, at most {} bytes", kMaxMigrationPiece));
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = Nibble(hex[2 * i]), lo = Nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return rpc::InvalidParams("'data' must be hex");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

Result<driver::MigState> StateParam(const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string text, String(p, "state"));
  Result<driver::MigState> s = driver::ParseMigState(text);
  if (!s.ok()) return rpc::InvalidParams(s.status().message());
  return *s;
}

// "fd": a data fd's number (numbers past 2^30 are none).
Result<int> FdParam(const Json& p) {
  VAP_ASSIGN_OR_RETURN(uint64_t fd, Number(p, "fd"));
  return static_cast<int>(std::min<uint64_t>(fd, 1 << 30));
}

std::string FdKey(int fd) { return fmt::format("fd:{}", fd); }

// The data fds handed out by vfio.migration.set_state, by number, never
// reused; each also closes when the connection that opened it ends, as a
// process's files close at its exit. A leaf lock, never held while a file
// is used or closed.
class DataFds {
 public:
  Result<int> Add(std::unique_ptr<driver::MigrationFile> file) {
    MutexLock lock(mu_);
    if (files_.size() >= kMaxMigrationFds)
      return Status::Error(EMFILE, "too many data fds open");
    const int fd = next_++;
    files_.emplace(fd, std::move(file));
    return fd;
  }
  Result<std::shared_ptr<driver::MigrationFile>> Get(const Json& p) {
    VAP_ASSIGN_OR_RETURN(int fd, FdParam(p));
    MutexLock lock(mu_);
    auto it = files_.find(fd);
    if (it == files_.end()) return Status::Error(EBADF, "no such data fd");
    return it->second;
  }
  Status Close(int fd) {
    std::shared_ptr<driver::MigrationFile> gone;
    MutexLock lock(mu_);
    auto it = files_.find(fd);
    if (it == files_.end()) return Status::Error(EBADF, "no such data fd");
    gone = std::move(it->second);
    files_.erase(it);
    return Status::Ok();  // `gone` closes after the lock (declared first)
  }

 private:
  Mutex mu_{LockRank::kLeaf, "vapd_data_fds"};
  std::map<int, std::shared_ptr<driver::MigrationFile>> files_
      VAP_GUARDED_BY(mu_);
  int next_ VAP_GUARDED_BY(mu_) = 3;
};

// Which connection's session began each guest's outgoing ("out:NAME") or
// incoming ("in:NAME") migration. When that connection ends before the
// migration's end, the migration fails there: the source runs the guest
// again, the incoming guest is torn down, as QEMU fails a migration whose
// channel broke (docs/rpc.md "Sessions"). A leaf lock, never held while
// the system is called.
class MigrationOwners {
 public:
  void Own(const std::string& key, uint64_t session) {
    MutexLock lock(mu_);
    owners_[key] = session;
  }
  void Release(const std::string& key) {
    MutexLock lock(mu_);
    owners_.erase(key);
  }
  // True (and forgotten) if `session` still owns `key`: nobody ended the
  // migration, nor began another since.
  bool Abandon(const std::string& key, uint64_t session) {
    MutexLock lock(mu_);
    auto it = owners_.find(key);
    if (it == owners_.end() || it->second != session) return false;
    owners_.erase(it);
    return true;
  }

 private:
  Mutex mu_{LockRank::kLeaf, "vapd_migration_owners"};
  std::map<std::string, uint64_t> owners_ VAP_GUARDED_BY(mu_);
};

bool Positional(const Json& p) {
  return p.contains("positional") && p["positional"].is_boolean() &&
         p["positional"].get<bool>();
}

void RegisterDevice(rpc::Dispatcher& d, System& s) {
  auto fds = std::make_shared<DataFds>();
  d.Register("vfio.migration.feature", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "mdev"));
    VAP_ASSIGN_OR_RETURN(uint32_t flags, s.vfio().MigrationFlags(u));
    return Json{{"flags", flags}};
  });
  d.Register("vfio.migration.data_size", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "mdev"));
    VAP_ASSIGN_OR_RETURN(uint64_t size, s.vfio().MigrationDataSize(u));
    return Json{{"size", size}};
  });
  d.Register("vfio.migration.get_state", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "mdev"));
    VAP_ASSIGN_OR_RETURN(driver::MigState st, s.vfio().MigrationState(u));
    return Json{{"state", driver::MigStateName(st)}};
  });
  d.RegisterInSession(
      "vfio.migration.set_state",
      [&s, fds](const Json& p, rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "mdev"));
        VAP_ASSIGN_OR_RETURN(driver::MigState st, StateParam(p));
        VAP_ASSIGN_OR_RETURN(std::unique_ptr<driver::MigrationFile> f,
                             s.vfio().SetMigrationState(u, st));
        int fd = -1;
        if (f != nullptr) {
          VAP_ASSIGN_OR_RETURN(fd, fds->Add(std::move(f)));
          session.AtClose(FdKey(fd), [fds, fd] { (void)fds->Close(fd); });
        }
        return Json{{"state", driver::MigStateName(st)}, {"fd", fd}};
      });
  d.Register("vfio.migration.read", [fds](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::shared_ptr<driver::MigrationFile> f, fds->Get(p));
    VAP_ASSIGN_OR_RETURN(uint64_t len, Number(p, "len", kMaxMigrationPiece));
    VAP_ASSIGN_OR_RETURN(
        std::string bytes,
        f->Read(std::min<uint64_t>(len, kMaxMigrationPiece), Positional(p)));
    return Json{{"data", Hex(bytes)}};
  });
  d.Register("vfio.migration.write", [fds](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::shared_ptr<driver::MigrationFile> f, fds->Get(p));
    VAP_ASSIGN_OR_RETURN(std::string bytes, DataParam(p));
    VAP_ASSIGN_OR_RETURN(size_t n, f->Write(bytes, Positional(p)));
    return Json{{"written", n}};
  });
  d.RegisterInSession(
      "vfio.migration.close",
      [fds](const Json& p, rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(int fd, FdParam(p));
        VAP_RETURN_IF_ERROR(fds->Close(fd));
        session.Drop(FdKey(fd));
        return Ok();
      });
  d.Register("vfio.reset", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "mdev"));
    VAP_RETURN_IF_ERROR(s.vfio().ResetDevice(u));
    return Ok();
  });
}

void RegisterGuestSteps(rpc::Dispatcher& d, System& s, GuestMounts* mounts) {
  auto owners = std::make_shared<MigrationOwners>();
  d.RegisterInSession(
      "guest.migrate.begin",
      [&s, owners](const Json& p, rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
        VAP_ASSIGN_OR_RETURN(std::string setup, s.MigrateOutBegin(name));
        const std::string key = "out:" + name;
        owners->Own(key, session.id());
        session.AtClose(key, [&s, owners, key, name, id = session.id()] {
          if (owners->Abandon(key, id)) (void)s.MigrateOutEnd(name, false);
        });
        VAP_ASSIGN_OR_RETURN(GuestInfo g, s.ShowGuest(name));
        return Json{{"data", Hex(setup)},
                    {"vcpus", g.vcpus},
                    {"cpu_model", kvm::FormatCpuModel(g.cpu)}};
      });
  d.Register("guest.migrate.read", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    VAP_ASSIGN_OR_RETURN(uint64_t max, Number(p, "max", kMaxMigrationPiece));
    VAP_ASSIGN_OR_RETURN(
        std::string piece,
        s.MigrateOutRead(name, std::min<uint64_t>(max, kMaxMigrationPiece)));
    return Json{{"data", Hex(piece)}, {"end", piece.empty()}};
  });
  d.RegisterInSession(
      "guest.migrate.end",
      [&s, mounts, owners](const Json& p,
                           rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
        if (!p.contains("succeeded") || !p["succeeded"].is_boolean())
          return rpc::InvalidParams("'succeeded' must be true or false");
        const bool succeeded = p["succeeded"].get<bool>();
        owners->Release("out:" + name);
        session.Drop("out:" + name);
        if (succeeded && mounts != nullptr) mounts->Unmount(name);
        VAP_RETURN_IF_ERROR(s.MigrateOutEnd(name, succeeded));
        return Ok();
      });
  d.RegisterInSession(
      "guest.incoming.begin",
      [&s, owners](const Json& p, rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(GuestParams g, GuestParam(p));
        VAP_RETURN_IF_ERROR(s.MigrateInBegin(g.name, g.mdev, g.vcpus, g.cpu));
        const std::string key = "in:" + g.name;
        owners->Own(key, session.id());
        session.AtClose(key,
                        [&s, owners, key, name = g.name, id = session.id()] {
                          if (owners->Abandon(key, id))
                            (void)s.MigrateInAbort(name);
                        });
        return Ok();
      });
  d.Register("guest.incoming.write", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    VAP_ASSIGN_OR_RETURN(std::string bytes, DataParam(p));
    VAP_RETURN_IF_ERROR(s.MigrateInWrite(name, bytes));
    return Ok();
  });
  d.RegisterInSession(
      "guest.incoming.end",
      [&s, mounts, owners](const Json& p,
                           rpc::Session& session) -> Result<Json> {
        VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
        owners->Release("in:" + name);
        session.Drop("in:" + name);
        VAP_RETURN_IF_ERROR(s.MigrateInEnd(name));
        if (mounts != nullptr) (void)mounts->Mount(name);
        return Ok();
      });
}

}  // namespace

void RegisterMigration(rpc::Dispatcher& d, System& s, GuestMounts* mounts) {
  RegisterDevice(d, s);
  RegisterGuestSteps(d, s, mounts);
}

}  // namespace vap::daemon
