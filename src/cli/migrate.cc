#include "cli/migrate.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace vap::cli {

namespace {

using rpc::Json;

// A call's result, or its error as "METHOD: DESCRIPTION (MESSAGE)".
Result<Json> Call(rpc::Client& c, const std::string& method, const Json& p) {
  Result<rpc::Reply> r = c.Call(method, p);
  if (!r.ok()) return Status::Error(r.status().errno_value(),
                                    method + ": " + r.status().ToString());
  if (r->ok) return r->result;
  const Json& e = r->error;
  std::string what = e.value("message", "error");
  if (e.contains("data") && e["data"].contains("description")) {
    what = fmt::format("{} ({})", e["data"]["description"].get<std::string>(),
                       what);
  }
  return Status::Error(EIO, method + ": " + what);
}

int Fail(const Status& s) {
  fmt::print(stderr, "vap: guest migrate: {}\n", s.message());
  return 1;
}

// Carries the stream; the destination has begun and the source stopped.
Status Stream(rpc::Client& src, rpc::Client& dst, const MigrateOptions& o,
              const std::string& setup, uint64_t* bytes) {
  VAP_RETURN_IF_ERROR(
      Call(dst, "guest.incoming.write", {{"name", o.name}, {"data", setup}})
          .status());
  *bytes = setup.size() / 2;
  for (;;) {
    VAP_ASSIGN_OR_RETURN(Json piece,
                         Call(src, "guest.migrate.read", {{"name", o.name}}));
    if (piece["end"].get<bool>()) return Status::Ok();
    const std::string data = piece["data"].get<std::string>();
    *bytes += data.size() / 2;
    VAP_RETURN_IF_ERROR(
        Call(dst, "guest.incoming.write", {{"name", o.name}, {"data", data}})
            .status());
  }
}

}  // namespace

int RunMigrate(rpc::Client& src, const MigrateOptions& o) {
  Result<Json> guest = Call(src, "guest.show", {{"name", o.name}});
  if (!guest.ok()) return Fail(guest.status());
  const std::string mdev =
      o.mdev.empty() ? (*guest)["mdev"].get<std::string>() : o.mdev;
  Result<rpc::Client> dst = rpc::Client::Connect(o.to, o.timeout);
  if (!dst.ok()) {
    return Fail(Status::Error(dst.status().errno_value(),
                              fmt::format("--to {}: {}", o.to,
                                          dst.status().ToString())));
  }
  // 1. The destination QEMU, started -incoming: device open, RESUMING.
  Result<Json> in = Call(*dst, "guest.incoming.begin",
                         {{"name", o.name},
                          {"mdev", mdev},
                          {"vcpus", (*guest)["vcpus"]},
                          {"cpu_model", (*guest)["cpu_model"]}});
  if (!in.ok()) return Fail(in.status());
  // 2. The source: setup, the VM stops (downtime starts), the stream.
  const auto stop = std::chrono::steady_clock::now();
  Result<Json> begun = Call(src, "guest.migrate.begin", {{"name", o.name}});
  uint64_t bytes = 0;
  Status s = begun.status();
  if (s.ok()) {
    s = Stream(src, *dst, o, (*begun)["data"].get<std::string>(), &bytes);
  }
  // 3. The destination runs; a failure there has torn it down already.
  if (s.ok()) s = Call(*dst, "guest.incoming.end", {{"name", o.name}}).status();
  const double downtime_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                stop)
          .count();
  if (!s.ok()) (void)Call(*dst, "guest.stop", {{"name", o.name}});
  // 4. The source lets the guest go, or runs it again.
  if (begun.ok()) {
    const Status ended =
        Call(src, "guest.migrate.end", {{"name", o.name}, {"succeeded", s.ok()}})
            .status();
    if (s.ok() && !ended.ok()) s = ended;
  }
  if (!s.ok()) return Fail(s);
  if (o.json) {
    fmt::print("{}\n", Json{{"name", o.name},
                            {"to", o.to},
                            {"mdev", mdev},
                            {"bytes", bytes},
                            {"downtime_ms", downtime_ms}}
                           .dump(2));
  } else {
    fmt::print("guest {} migrated to {} (mdev {}): {} bytes, downtime {:.1f} ms\n",
               o.name, o.to, mdev, bytes, downtime_ms);
  }
  return 0;
}

}  // namespace vap::cli
