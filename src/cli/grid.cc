#include "cli/grid.h"

#include <fmt/format.h>

#include <cerrno>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace vap::cli {

using rpc::Json;

namespace {

Result<Json> Ask(rpc::Client& c, const std::string& method, const Json& p) {
  VAP_ASSIGN_OR_RETURN(rpc::Reply r, c.Call(method, p));
  if (!r.ok) return Status::Error(EIO, r.error.value("message", "error"));
  return r.result;
}

Result<std::vector<std::string>> Lines(rpc::Client& c,
                                       const std::string& path) {
  VAP_ASSIGN_OR_RETURN(Json r, Ask(c, "sysfs.read", {{"path", path}}));
  std::vector<std::string> out;
  std::istringstream in(r["value"].get<std::string>());
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Queue names bound to `driver`.
Result<std::set<std::string>> BoundTo(rpc::Client& c, const std::string& drv) {
  VAP_ASSIGN_OR_RETURN(
      Json r, Ask(c, "sysfs.list", {{"path", "bus/ap/drivers/" + drv}}));
  std::set<std::string> out;
  for (const Json& e : r["entries"]) {
    const std::string name = e["name"];
    if (name.size() == 7 && name[2] == '.') out.insert(name);
  }
  return out;
}

struct Cell {
  char c = ' ';
  const char* colour = "";
};

}  // namespace

Result<std::string> DrawGrid(rpc::Client& c, bool colour) {
  VAP_ASSIGN_OR_RETURN(Json host, Ask(c, "host.show", Json::object()));
  VAP_ASSIGN_OR_RETURN(std::set<std::string> host_q, BoundTo(c, "cex4queue"));
  VAP_ASSIGN_OR_RETURN(std::set<std::string> vfio_q, BoundTo(c, "vfio_ap"));
  // Mdevs in the matrix device's directory, in name order: A, B, ...
  VAP_ASSIGN_OR_RETURN(
      Json m, Ask(c, "sysfs.list", {{"path", "devices/vfio_ap/matrix"}}));
  std::map<std::string, std::pair<char, std::string>> owner;  // apqn
  std::string legend;
  char letter = 'A';
  for (const Json& e : m["entries"]) {
    const std::string uuid = e["name"];
    if (e["type"] != "dir" || uuid.size() != 36) continue;
    const std::string dir = "devices/vfio_ap/matrix/" + uuid + "/";
    VAP_ASSIGN_OR_RETURN(std::vector<std::string> matrix,
                         Lines(c, dir + "matrix"));
    for (const std::string& q : matrix) owner[q] = {letter, uuid};
    legend += fmt::format("  {} = {}\n", letter, uuid);
    letter = letter == 'Z' ? 'Z' : static_cast<char>(letter + 1);
  }
  std::vector<unsigned> domains;
  for (const Json& d : host["usage_domains"])
    domains.push_back(d.get<unsigned>());

  std::string out = "      ";
  for (unsigned d : domains) out += fmt::format("{:02x} ", d);
  out += "  (domains)\n";
  const char* reset = colour ? "\033[0m" : "";
  for (const Json& a : host["adapters"]) {
    const unsigned apid = a["id"].get<unsigned>();
    out += fmt::format("  {:02x}  ", apid);
    for (unsigned d : domains) {
      const std::string q = fmt::format("{:02x}.{:04x}", apid, d);
      Cell cell{'-', colour ? "\033[2m" : ""};
      if (host_q.count(q) != 0) {
        cell = {'h', colour ? "\033[34m" : ""};
      } else if (auto o = owner.find(q); o != owner.end()) {
        std::string status = "assigned";
        if (vfio_q.count(q) != 0) {
          Result<std::vector<std::string>> s =
              Lines(c, fmt::format("devices/ap/card{:02x}/{}/status", apid, q));
          if (s.ok() && !s->empty()) status = s->front();
        }
        const bool in_guest = status == "in use";
        cell = {in_guest ? o->second.first
                         : static_cast<char>(o->second.first - 'A' + 'a'),
                colour ? (in_guest ? "\033[32;1m" : "\033[33m") : ""};
      } else if (vfio_q.count(q) != 0) {
        cell = {'.', colour ? "\033[36m" : ""};
      }
      out += fmt::format("{}{}{}  ", cell.colour, cell.c, colour ? reset : "");
    }
    out += fmt::format(" {}\n", a["type"].get<std::string>());
  }
  out +=
      "\n  h = host driver, . = free for vfio_ap, - = no driver,\n"
      "  A = in mdev A's guest, a = assigned to mdev A, not in a guest (no\n"
      "  guest, or filtered out: `vap explain UUID` says why)\n";
  return out + legend;
}

}  // namespace vap::cli
