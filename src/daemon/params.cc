#include "daemon/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace vap::daemon {

using rpc::Json;

Result<std::string> String(const Json& p, const char* key) {
  if (!p.contains(key) || !p[key].is_string())
    return rpc::InvalidParams(fmt::format("'{}' must be a string", key));
  return p[key].get<std::string>();
}

Result<uint64_t> Number(const Json& p, const char* key,
                        std::optional<uint64_t> fallback) {
  if (!p.contains(key)) {
    if (fallback) return *fallback;
    return rpc::InvalidParams(fmt::format("'{}' is required", key));
  }
  const Json& v = p[key];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    errno = 0;
    // strtoull() skips blanks and negates after a '-' ("-1" would be 2^64-1):
    // only digits are taken.
    const bool digits = !s.empty() && std::isdigit(static_cast<unsigned char>(s[0]));
    const unsigned long long n = std::strtoull(s.c_str(), &end, 0);
    if (digits && errno == 0 && *end == '\0') return n;
  }
  return rpc::InvalidParams(
      fmt::format("'{}' must be a non-negative integer", key));
}

Result<uint8_t> Id(const Json& p, const char* key) {
  VAP_ASSIGN_OR_RETURN(uint64_t n, Number(p, key));
  if (n > 255) return rpc::InvalidParams(fmt::format("'{}' is above 255", key));
  return static_cast<uint8_t>(n);
}

Result<Apqn> ApqnParam(const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string s, String(p, "apqn"));
  Result<Apqn> a = Apqn::Parse(s);
  if (!a.ok()) return rpc::InvalidParams("'apqn' must be AA.DDDD in hex");
  return *a;
}

Result<Uuid> UuidParam(const Json& p, const char* key) {
  VAP_ASSIGN_OR_RETURN(std::string s, String(p, key));
  Result<Uuid> u = Uuid::Parse(s);
  if (!u.ok())
    return rpc::InvalidParams(fmt::format("'{}' is not a UUID", key));
  return *u;
}

Result<kvm::CpuModel> CpuModelParam(const Json& p) {
  if (!p.contains("cpu_model")) return kvm::CpuModel{};
  VAP_ASSIGN_OR_RETURN(std::string text, String(p, "cpu_model"));
  Result<kvm::CpuModel> parsed = kvm::ParseCpuModel(text);
  if (!parsed.ok()) return rpc::InvalidParams(parsed.status().message());
  return *parsed;
}

Result<GuestParams> GuestParam(const Json& p) {
  GuestParams g;
  VAP_ASSIGN_OR_RETURN(g.name, String(p, "name"));
  VAP_ASSIGN_OR_RETURN(g.mdev, UuidParam(p, "mdev"));
  VAP_ASSIGN_OR_RETURN(uint64_t vcpus, Number(p, "vcpus", 2));
  g.vcpus = static_cast<int>(std::min<uint64_t>(vcpus, 1000));
  VAP_ASSIGN_OR_RETURN(g.cpu, CpuModelParam(p));
  return g;
}

}  // namespace vap::daemon
