// Fuzzes vapd's JSON-RPC front: any request line, against a whole system
// with every method of docs/rpc.md registered, gets a well-formed JSON-RPC
// response (or none for a notification), never a crash or an exception.
// Methods that reach outside the process or start threads per call
// (state.save with a path, guest.start, system.stop) are replaced by
// stubs; their parameter checks are covered by the unit tests.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/check.h"
#include "daemon/methods.h"
#include "rpc/dispatcher.h"
#include "system/system.h"

namespace {

struct Harness {
  Harness() {
    vap::SystemOptions o;
    o.time_scale = 0.0001;
    o.periodic_scans = false;
    system = vap::System::Create(o).value();
    vap::daemon::RegisterMethods(dispatcher, *system,
                                 {"fuzz", "/fuzz/sys", "/fuzz/sock"}, nullptr,
                                 [] {});
    for (const char* m : {"state.save", "guest.start", "system.stop"}) {
      dispatcher.Register(m, [](const vap::rpc::Json&) {
        return vap::Result<vap::rpc::Json>(
            vap::Status::Error(EPERM, "not in the fuzzer"));
      });
    }
  }
  std::unique_ptr<vap::System> system;
  vap::rpc::Dispatcher dispatcher;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const std::string reply = h->dispatcher.HandleLine(line);
  if (reply.empty()) return 0;  // a notification
  const vap::rpc::Json j = vap::rpc::Json::parse(reply, nullptr, false);
  VAP_CHECK(!j.is_discarded());
  VAP_CHECK(j.value("jsonrpc", "") == "2.0");
  VAP_CHECK(j.contains("result") != j.contains("error"));
  return 0;
}
