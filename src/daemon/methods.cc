#include "daemon/methods.h"

#include <fmt/format.h>

#include <cerrno>
#include <optional>

#include "daemon/migration_methods.h"
#include "daemon/monitor.h"
#include "daemon/params.h"
#include "driver/explain.h"
#include "kvm/cpu_model.h"
#include "matrix/apqn.h"
#include "matrix/mask_format.h"

namespace vap::daemon {

namespace {

using rpc::Json;

// --- Results.

Json IdList(const ApMask& mask) {
  Json out = Json::array();
  for (unsigned id : mask.Ids()) out.push_back(id);
  return out;
}

Json GuestJson(const GuestInfo& g) {
  Json queues = Json::array();
  for (const GuestQueue& q : g.queues)
    queues.push_back(
        {{"apqn", q.apqn.ToString()}, {"interrupts", q.interrupts}});
  return {{"name", g.name},
          {"mdev", g.mdev},
          {"format", g.format},
          {"apm", FormatMaskHex(g.apcb.apm())},
          {"aqm", FormatMaskHex(g.apcb.aqm())},
          {"adm", FormatMaskHex(g.apcb.adm())},
          {"vcpus", g.vcpus},
          {"cfg_chg_count", g.cfg_chg_count},
          {"req_count", g.req_count},
          {"ap_rescans", g.ap_rescans},
          {"publications", g.publications},
          {"torn_reads", g.torn_reads},
          {"cpu_model", kvm::FormatCpuModel(g.cpu)},
          {"queues", queues}};
}

const char* KindName(driver::ResourceKind k) {
  switch (k) {
    case driver::ResourceKind::kAdapter:
      return "adapter";
    case driver::ResourceKind::kDomain:
      return "domain";
    case driver::ResourceKind::kControlDomain:
      return "control domain";
  }
  return "?";
}

Json ExplainJson(const driver::Explanation& e) {
  Json missing = Json::array();
  for (const driver::MissingResource& m : e.missing) {
    missing.push_back({{"kind", KindName(m.kind)},
                       {"id", m.id},
                       {"text", m.text},
                       {"fix", m.fix}});
  }
  return {{"uuid", e.uuid.ToString()},
          {"guest", e.guest},
          {"missing", missing},
          {"summary", e.summary},
          {"text", driver::ExplanationText(e)}};
}

// --- Method groups.

void RegisterSysfs(rpc::Dispatcher& d, System& s) {
  d.Register("sysfs.read", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string path, String(p, "path"));
    VAP_ASSIGN_OR_RETURN(std::string value, s.tree().Read(path));
    return Json{{"value", value}};
  });
  d.Register("sysfs.write", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string path, String(p, "path"));
    VAP_ASSIGN_OR_RETURN(std::string value, String(p, "value"));
    VAP_ASSIGN_OR_RETURN(size_t n, s.tree().Write(path, value));
    return Json{{"written", n}};
  });
  d.Register("sysfs.list", [&s](const Json& p) -> Result<Json> {
    std::string path;
    if (p.contains("path")) {
      VAP_ASSIGN_OR_RETURN(path, String(p, "path"));
    }
    VAP_ASSIGN_OR_RETURN(std::vector<sysfs::DirEntry> entries,
                         s.tree().List(path));
    Json out = Json::array();
    for (const sysfs::DirEntry& e : entries) {
      const char* type = e.type == sysfs::NodeType::kDir       ? "dir"
                         : e.type == sysfs::NodeType::kSymlink ? "link"
                                                               : "file";
      out.push_back({{"name", e.name}, {"type", type}});
    }
    return Json{{"entries", out}};
  });
}

Result<Json> HostShow(System& s) {
  const std::optional<ap::QciInfo> qci = s.firmware().Qci();
  Json adapters = Json::array();
  for (const ap::CardState& c : s.firmware().Cards()) {
    adapters.push_back({{"id", c.spec.apid},
                        {"type", c.spec.type.Name()},
                        {"configured", c.configured},
                        {"checkstopped", c.checkstopped}});
  }
  Json out = {{"profile", s.profile().name}, {"adapters", adapters}};
  if (qci) {
    out["apxa"] = qci->apxa;
    out["na"] = qci->na;
    out["nd"] = qci->nd;
    out["usage_domains"] = IdList(qci->aqm);
    out["control_domains"] = IdList(qci->adm);
  }
  return out;
}

Result<Json> HostConfigure(System& s, const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string action, String(p, "action"));
  VAP_ASSIGN_OR_RETURN(uint8_t id, Id(p, "id"));
  apbus::ApBus& bus = s.bus();
  Status st;
  if (action == "add-adapter") {
    const std::string type = p.value("type", "CEX8C");
    Result<ap::CardType> t = ap::CardType::Parse(type);
    if (!t.ok()) return rpc::InvalidParams("unknown card type '" + type + "'");
    ap::CardSpec card = ap::CardSpec::For(id, *t);
    if (p.contains("functions")) {  // as a host profile's card may say
      VAP_ASSIGN_OR_RETURN(uint64_t f, Number(p, "functions"));
      if (f > 0xffffffffu) return rpc::InvalidParams("'functions' is above 0xffffffff");
      card.functions = static_cast<uint32_t>(f);
    }
    st = bus.AddAdapter(card);
  } else if (action == "remove-adapter") {
    st = bus.RemoveAdapter(id);
  } else if (action == "add-domain") {
    st = bus.AddUsageDomain(id);
  } else if (action == "remove-domain") {
    st = bus.RemoveUsageDomain(id);
  } else if (action == "add-control-domain") {
    st = bus.AddControlDomain(id);
  } else if (action == "remove-control-domain") {
    st = bus.RemoveControlDomain(id);
  } else if (action == "configure-adapter" || action == "deconfigure-adapter") {
    st = bus.SetCardConfig(id, action == "configure-adapter");
  } else {
    return rpc::InvalidParams("unknown action '" + action + "'");
  }
  VAP_RETURN_IF_ERROR(st);
  return Ok();
}

Result<ap::QueueFunction> FunctionParam(const Json& p) {
  const std::string f = p.value("function", "tapq");
  if (f == "tapq") return ap::QueueFunction::kTapq;
  if (f == "rapq") return ap::QueueFunction::kRapq;
  if (f == "zapq") return ap::QueueFunction::kZapq;
  if (f == "aqic") return ap::QueueFunction::kAqic;
  return rpc::InvalidParams("'function' is tapq, rapq, zapq or aqic");
}

Result<Json> HostFault(System& s, const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string kind, String(p, "kind"));
  // The target: "apqn" (one queue) or "adapter" (the whole card).
  ap::Fault f{ap::FaultKind::kCheckstop, 0, std::nullopt};
  if (p.contains("apqn")) {
    VAP_ASSIGN_OR_RETURN(Apqn q, ApqnParam(p));
    f.apid = q.apid;
    f.apqi = q.apqi;
  } else {
    VAP_ASSIGN_OR_RETURN(f.apid, Id(p, "adapter"));
  }
  if (kind == "clear") {
    VAP_RETURN_IF_ERROR(s.firmware().ClearFaults(f.apid, f.apqi));
    return Ok();
  }
  if (kind == "interrupt") {
    if (!f.apqi) return rpc::InvalidParams("an interrupt needs an 'apqn'");
    return Json{
        {"delivered", s.firmware().RaiseInterrupt(Apqn(f.apid, *f.apqi))}};
  }
  VAP_ASSIGN_OR_RETURN(uint64_t count, Number(p, "count", 1));
  f.count = static_cast<int>(std::min<uint64_t>(count, 1 << 30));
  if (kind == "checkstop") {
    f.kind = ap::FaultKind::kCheckstop;
  } else if (kind == "deconfigure") {
    f.kind = ap::FaultKind::kDeconfigure;
  } else if (kind == "reset-never-ends") {
    f.kind = ap::FaultKind::kResetNeverEnds;
  } else if (kind == "busy") {
    f.kind = ap::FaultKind::kBusy;
  } else if (kind == "answer") {
    f.kind = ap::FaultKind::kAnswer;
    VAP_ASSIGN_OR_RETURN(f.function, FunctionParam(p));
    VAP_ASSIGN_OR_RETURN(f.rc, Id(p, "rc"));
  } else {
    return rpc::InvalidParams(
        "'kind' is checkstop, deconfigure, reset-never-ends, busy, answer, "
        "interrupt or clear");
  }
  VAP_RETURN_IF_ERROR(s.firmware().InjectFault(f));
  return Ok();
}

Result<Json> GuestPqap(System& s, const Json& p) {
  VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
  VAP_ASSIGN_OR_RETURN(std::string op, String(p, "op"));
  VAP_ASSIGN_OR_RETURN(Apqn q, ApqnParam(p));
  kvm::PqapRegs r;
  if (op == "tapq" || op == "zapq") {
    r = kvm::MakePqapRegs(
        op == "tapq" ? kvm::PqapCall::kTapq : kvm::PqapCall::kZapq, q);
  } else if (op == "aqic-enable" || op == "aqic-disable") {
    const bool enable = op == "aqic-enable";
    VAP_ASSIGN_OR_RETURN(uint64_t isc, Number(p, "isc", 3));
    VAP_ASSIGN_OR_RETURN(uint64_t nib, Number(p, "nib", 0x1000));
    if (isc > 7) return rpc::InvalidParams("'isc' is 0-7");
    r = kvm::MakePqapRegs(
        enable ? kvm::PqapCall::kAqicEnable : kvm::PqapCall::kAqicDisable, q,
        static_cast<uint8_t>(isc), nib);
  } else {
    return rpc::InvalidParams(
        "'op' is aqic-enable, aqic-disable, tapq or zapq");
  }
  VAP_ASSIGN_OR_RETURN(kvm::PqapResult res, s.GuestPqap(name, r));
  const auto status = static_cast<uint32_t>(res.regs.gr1);
  return Json{{"outcome", kvm::PqapOutcomeName(res.outcome)},
              {"cc", res.cc},
              {"response_code", (res.regs.gr1 >> 16) & 0xff},
              {"status", fmt::format("0x{:08x}", status)},
              {"gr1", fmt::format("0x{:016x}", res.regs.gr1)}};
}

// The guest.show object, with the guest's own tree's mount as "sysfs".
Result<Json> ShowGuestJson(System& s, GuestMounts* mounts,
                           const std::string& name) {
  VAP_ASSIGN_OR_RETURN(GuestInfo g, s.ShowGuest(name));
  Json out = GuestJson(g);
  if (mounts != nullptr) {
    if (std::optional<std::string> path = mounts->PathOf(name))
      out["sysfs"] = *path;
  }
  return out;
}

void RegisterGuests(rpc::Dispatcher& d, System& s, GuestMounts* mounts) {
  d.Register("guest.start", [&s, mounts](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(GuestParams g, GuestParam(p));
    const std::string& name = g.name;
    VAP_RETURN_IF_ERROR(s.StartGuest(name, g.mdev, g.vcpus, g.cpu));
    if (mounts != nullptr) {
      const Status mounted = mounts->Mount(name);
      if (!mounted.ok()) {
        (void)s.StopGuest(name);
        return Status::Error(mounted.errno_value(),
                             "the guest's /sys: " + mounted.message());
      }
    }
    return ShowGuestJson(s, mounts, name);
  });
  d.Register("guest.stop", [&s, mounts](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    if (mounts != nullptr) mounts->Unmount(name);  // before its kernel goes
    VAP_RETURN_IF_ERROR(s.StopGuest(name));
    return Ok();
  });
  d.Register("guest.list", [&s](const Json&) -> Result<Json> {
    Json out = Json::array();
    for (const std::string& n : s.GuestNames()) {
      if (Result<GuestInfo> g = s.ShowGuest(n); g.ok()) {
        out.push_back(
            {{"name", g->name}, {"mdev", g->mdev}, {"vcpus", g->vcpus}});
      }
    }
    return Json{{"guests", out}};
  });
  d.Register("guest.show", [&s, mounts](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    return ShowGuestJson(s, mounts, name);
  });
  d.Register("guest.pqap",
             [&s](const Json& p) -> Result<Json> { return GuestPqap(s, p); });
  d.Register("guest.reset", [&s, mounts](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    // The old kernel's tree goes with it; the new kernel's is mounted.
    const bool mounted = mounts != nullptr && mounts->PathOf(name).has_value();
    if (mounted) mounts->Unmount(name);
    const Status reset = s.GuestReset(name);
    if (mounted) (void)mounts->Mount(name);
    VAP_RETURN_IF_ERROR(reset);
    return Ok();
  });
  d.Register("guest.events", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(std::string name, String(p, "name"));
    if (!p.contains("on") || !p["on"].is_boolean())
      return rpc::InvalidParams("'on' must be true or false");
    VAP_RETURN_IF_ERROR(s.SetGuestEventHandling(name, p["on"].get<bool>()));
    return Ok();
  });
}

Result<Json> StateSave(System& s, state::DurableState* state, const Json& p) {
  if (p.contains("path")) {
    VAP_ASSIGN_OR_RETURN(std::string path, String(p, "path"));
    VAP_RETURN_IF_ERROR(state::SaveState(s, path));
    return Json{{"path", path}};
  }
  if (!state) {
    return Status::Error(EINVAL,
                         "vapd runs without --state; give a 'path' to save to");
  }
  VAP_RETURN_IF_ERROR(state->Commit());
  return Json{{"path", state->path()}};
}

}  // namespace

void RegisterMethods(rpc::Dispatcher& d, System& s, SystemInfo info,
                     state::DurableState* state, std::function<void()> stop,
                     GuestMounts* mounts) {
  // Every change a method made is durable before its answer, whichever
  // method made it; a method that changed nothing costs a look at the
  // change counts (docs/state.md).
  if (state) d.SetAfterSuccess([state] { return state->Commit(); });
  RegisterSysfs(d, s);
  RegisterGuests(d, s, mounts);
  RegisterMigration(d, s, mounts);
  RegisterMonitor(d, s);
  d.Register("host.show", [&s](const Json&) { return HostShow(s); });
  d.Register("host.configure",
             [&s](const Json& p) { return HostConfigure(s, p); });
  // Faults are not part of the durable state (docs/state.md).
  d.Register("host.fault", [&s](const Json& p) { return HostFault(s, p); });
  d.Register("state.save", [&s, state](const Json& p) {
    return StateSave(s, state, p);
  });
  d.Register("explain", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(Uuid u, UuidParam(p, "uuid"));
    VAP_ASSIGN_OR_RETURN(driver::Explanation e,
                         driver::Explain(s.vfio(), s.bus(), u));
    return ExplainJson(e);
  });
  d.Register("log.read", [&s](const Json& p) -> Result<Json> {
    VAP_ASSIGN_OR_RETURN(uint64_t after, Number(p, "after", 0));
    Json lines = Json::array();
    for (const LogLine& l : s.log().Read(after)) {
      lines.push_back({{"seq", l.seq},
                       {"time", static_cast<double>(l.time.count()) / 1e9},
                       {"level", LogLevelName(l.level)},
                       {"text", l.text}});
    }
    return Json{{"lines", lines}};
  });
  d.Register("system.info", [&s, info](const Json&) -> Result<Json> {
    return Json{{"version", info.version},
                {"profile", s.profile().name},
                {"mount", info.mount},
                {"socket", info.socket}};
  });
  // docs/architecture.md, "Invariants": the driver's invariants (a violation
  // is a bug: vapd aborts with the reason, as a kernel BUG_ON would) and no
  // vCPU ever saw a half-published APCB.
  d.Register("system.check", [&s](const Json&) -> Result<Json> {
    s.vfio().CheckInvariants();
    uint64_t torn = 0;
    const std::vector<std::string> guests = s.GuestNames();
    for (const std::string& name : guests) {
      Result<GuestInfo> g = s.ShowGuest(name);
      if (g.ok()) torn += g->torn_reads;
    }
    if (torn != 0)
      return Status::Error(EIO, fmt::format("{} torn APCB reads", torn));
    return Json{{"ok", true},
                {"mdevs", s.vfio().Mdevs().size()},
                {"guests", guests.size()}};
  });
  d.Register("system.stop", [stop](const Json&) -> Result<Json> {
    stop();
    return Ok();
  });
}

}  // namespace vap::daemon
