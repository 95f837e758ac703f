#include "cli/grid.h"

#include <cerrno>

#include "sysfs/grid.h"

namespace vap::cli {

using rpc::Json;

namespace {

Result<Json> Ask(rpc::Client& c, const std::string& method, const Json& p) {
  VAP_ASSIGN_OR_RETURN(rpc::Reply r, c.Call(method, p));
  if (!r.ok) return Status::Error(EIO, r.error.value("message", "error"));
  return r.result;
}

// The tree as vapd serves it over RPC (sysfs.read, sysfs.list).
class RpcReader final : public sysfs::TreeReader {
 public:
  explicit RpcReader(rpc::Client& c) : c_(c) {}
  Result<std::string> Read(const std::string& path) override {
    VAP_ASSIGN_OR_RETURN(Json r, Ask(c_, "sysfs.read", {{"path", path}}));
    return r["value"].get<std::string>();
  }
  Result<std::vector<sysfs::DirEntry>> List(const std::string& path) override {
    VAP_ASSIGN_OR_RETURN(Json r, Ask(c_, "sysfs.list", {{"path", path}}));
    std::vector<sysfs::DirEntry> out;
    for (const Json& e : r["entries"]) {
      const std::string type = e["type"];
      out.push_back({e["name"].get<std::string>(),
                     type == "dir"    ? sysfs::NodeType::kDir
                     : type == "link" ? sysfs::NodeType::kSymlink
                                      : sysfs::NodeType::kAttribute});
    }
    return out;
  }

 private:
  rpc::Client& c_;
};

}  // namespace

Result<std::string> DrawGrid(rpc::Client& c, bool colour) {
  VAP_ASSIGN_OR_RETURN(Json shown, Ask(c, "host.show", Json::object()));
  sysfs::GridHost host;
  for (const Json& a : shown["adapters"])
    host.adapters.push_back({a["id"].get<unsigned>(), a["type"]});
  for (const Json& d : shown["usage_domains"])
    host.usage_domains.push_back(d.get<unsigned>());
  RpcReader reader(c);
  return sysfs::DrawGrid(reader, host, colour);
}

}  // namespace vap::cli
