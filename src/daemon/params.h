// The params of vapd's JSON-RPC methods: each a typed value from a key,
// or JSON-RPC's invalid-params error naming the key.
#ifndef VAP_DAEMON_PARAMS_H_
#define VAP_DAEMON_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "kvm/cpu_model.h"
#include "matrix/apqn.h"
#include "matrix/uuid.h"
#include "rpc/dispatcher.h"

namespace vap::daemon {

Result<std::string> String(const rpc::Json& p, const char* key);
// An integer from a JSON number or a string in C syntax ("0x47", "71").
Result<uint64_t> Number(const rpc::Json& p, const char* key,
                        std::optional<uint64_t> fallback = std::nullopt);
Result<uint8_t> Id(const rpc::Json& p, const char* key);
Result<Apqn> ApqnParam(const rpc::Json& p);
Result<Uuid> UuidParam(const rpc::Json& p, const char* key);
// "cpu_model" if given (kvm::ParseCpuModel), else the default model.
Result<kvm::CpuModel> CpuModelParam(const rpc::Json& p);
// What a guest is started with (guest.start, guest.incoming.begin):
// "name", "mdev", "vcpus" (2; above 1000 taken as 1000, which the system
// refuses) and "cpu_model".
struct GuestParams {
  std::string name;
  Uuid mdev;
  int vcpus = 2;
  kvm::CpuModel cpu;
};
Result<GuestParams> GuestParam(const rpc::Json& p);
inline rpc::Json Ok() { return rpc::Json::object(); }

}  // namespace vap::daemon

#endif  // VAP_DAEMON_PARAMS_H_
