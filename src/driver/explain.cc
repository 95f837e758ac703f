#include "driver/explain.h"

#include <fmt/format.h>

#include "ap/queue_status.h"
#include "driver/queue_passable.h"

namespace vap::driver {

namespace {

struct Context {
  const apbus::ApBus& bus;
  const MdevInfo& mdev;
  const ap::QciInfo& info;
  ApMask apmask, aqmask;
};

std::optional<uint8_t> LinkedRc(const MdevInfo& m, Apqn apqn) {
  for (size_t i = 0; i < m.linked.size(); ++i) {
    if (m.linked[i] == apqn) return m.linked_reset_rc[i];
  }
  return std::nullopt;
}

MissingResource Make(ResourceKind kind, unsigned id, MissingReason reason,
                     std::string text, std::string fix) {
  MissingResource r;
  r.kind = kind;
  r.id = static_cast<uint8_t>(id);
  r.reason = reason;
  r.text = std::move(text);
  r.fix = std::move(fix);
  return r;
}

// "adapter 05", "usage domain 0047", "control domain 00ab".
std::string Name(ResourceKind kind, unsigned id) {
  switch (kind) {
    case ResourceKind::kAdapter:
      return fmt::format("adapter {:02x}", id);
    case ResourceKind::kDomain:
      return fmt::format("usage domain {:04x}", id);
    case ResourceKind::kControlDomain:
      return fmt::format("control domain {:04x}", id);
  }
  return "";
}

const char* kRefilter =
    "write the mdev's ap_config back to run the filter again "
    "(cat ap_config > ap_config), or assign another ID";

// Why adapter `apid` (in the host configuration) is not in the shadow.
MissingResource ExplainAdapter(const Context& c, unsigned apid) {
  MissingResource r =
      Make(ResourceKind::kAdapter, apid, MissingReason::kNotRefiltered, "", "");
  const auto id = static_cast<uint8_t>(apid);
  if (!c.bus.Card(id)) {
    std::optional<ap::CardState> card = c.bus.firmware().Card(id);
    if (card && !card->spec.type.Supported()) {
      r.reason = MissingReason::kAdapterTypeTooOld;
      r.text = fmt::format(
          "adapter {:02x}: type {} is older than CEX4, the AP bus gives it no "
          "device",
          apid, card->spec.type.Name());
      r.fix = "use a CEX4 or newer adapter";
      return r;
    }
  }
  const ApMask domains = c.mdev.matrix.aqm() & c.info.aqm;
  for (unsigned apqi : domains.Ids()) {
    const Apqn q(id, static_cast<uint8_t>(apqi));
    std::optional<uint8_t> rc = LinkedRc(c.mdev, q);
    if (rc && PassableAfterReset(*rc)) continue;
    r.queue = q;
    if (rc) {
      r.reason = MissingReason::kResetFailed;
      r.reset_rc = *rc;
      r.text = fmt::format(
          "adapter {:02x}: the last reset of queue {} ended with response "
          "code 0x{:02x} ({})",
          apid, q.ToString(), *rc, ap::ResponseCodeName(*rc));
      r.fix = fmt::format("once queue {} can be reset, {}", q.ToString(),
                          kRefilter);
      return r;
    }
    std::optional<apbus::ApDevice> dev = c.bus.Queue(q);
    if (!dev) {
      r.reason = MissingReason::kNoQueueDevice;
      r.text =
          fmt::format("adapter {:02x}: queue {} has no device on the AP bus",
                      apid, q.ToString());
      r.fix =
          "check the adapter (checkstop, configuration) and rescan the AP bus";
      return r;
    }
    r.reason = MissingReason::kQueueNotBound;
    r.driver = dev->driver;
    r.reserved_by_masks = c.apmask.Test(apid) && c.aqmask.Test(apqi);
    if (r.reserved_by_masks) {
      r.text = fmt::format(
          "adapter {:02x}: queue {} is bound to {}: apmask bit {:02x} and "
          "aqmask bit {:04x} reserve it for the host",
          apid, q.ToString(), dev->driver.empty() ? "no driver" : dev->driver,
          apid, apqi);
      r.fix =
          fmt::format("echo -0x{:x} > /sys/bus/ap/apmask (or -0x{:x} > aqmask)",
                      apid, apqi);
    } else {
      r.text = fmt::format(
          "adapter {:02x}: queue {} is bound to {}, not vfio_ap", apid,
          q.ToString(), dev->driver.empty() ? "no driver" : dev->driver);
      r.fix = fmt::format("echo {} > /sys/bus/ap/drivers/vfio_ap/bind",
                          q.ToString());
    }
    return r;
  }
  r.text = fmt::format(
      "adapter {:02x}: its queues are usable, but it was filtered out before "
      "and the filter has not run since",
      apid);
  r.fix = kRefilter;
  return r;
}

MissingResource NotInHost(ResourceKind kind, unsigned id) {
  const std::string name = Name(kind, id);
  const std::string what = name.substr(0, name.rfind(' '));  // "usage domain"
  return Make(
      kind, id, MissingReason::kNotInHostConfig,
      name + " is not in the host's AP configuration",
      fmt::format(
          "add {} 0x{:02x} to the host configuration (the HMC; vap host "
          "configure)",
          what, id));
}

}  // namespace

Result<Explanation> Explain(const VfioAp& driver, const apbus::ApBus& bus,
                            const Uuid& uuid) {
  VAP_ASSIGN_OR_RETURN(MdevInfo m, driver.Mdev(uuid));
  const ap::QciInfo info = bus.qci().value_or(ap::QciInfo{});
  Context c{bus, m, info, bus.apmask(), bus.aqmask()};
  Explanation e{uuid, m.guest, {}, ""};
  const ApMatrix& s = m.shadow_apcb;
  for (unsigned apid : m.matrix.apm().AndNot(s.apm()).Ids(m.matrix.apm_max())) {
    e.missing.push_back(info.apm.Test(apid)
                            ? ExplainAdapter(c, apid)
                            : NotInHost(ResourceKind::kAdapter, apid));
  }
  // Domains and control domains leave the shadow only with the host
  // configuration; one that is back is waiting for a filter run.
  const auto domains = [&](ResourceKind kind, const ApMask& assigned,
                           const ApMask& shown, const ApMask& host,
                           unsigned max) {
    for (unsigned id : assigned.AndNot(shown).Ids(max)) {
      e.missing.push_back(host.Test(id)
                              ? Make(kind, id, MissingReason::kNotRefiltered,
                                     Name(kind, id) +
                                         " is configured, but the filter has "
                                         "not run since it came back",
                                     kRefilter)
                              : NotInHost(kind, id));
    }
  };
  domains(ResourceKind::kDomain, m.matrix.aqm(), s.aqm(), info.aqm,
          m.matrix.aqm_max());
  domains(ResourceKind::kControlDomain, m.matrix.adm(), s.adm(), info.adm,
          m.matrix.adm_max());
  if (m.guest.empty()) {
    // Without a guest nothing is in a guest's view: the rest of the
    // assignment is missing for that reason alone.
    const auto no_guest = [&](ResourceKind kind, const ApMask& mask,
                              unsigned max) {
      for (unsigned id : mask.Ids(max)) {
        e.missing.push_back(
            Make(kind, id, MissingReason::kNoGuest,
                 Name(kind, id) + " would be passed through, but no guest is "
                                  "attached",
                 fmt::format("start a guest with mdev {}", uuid.ToString())));
      }
    };
    no_guest(ResourceKind::kAdapter, s.apm(), s.apm_max());
    no_guest(ResourceKind::kDomain, s.aqm(), s.aqm_max());
    no_guest(ResourceKind::kControlDomain, s.adm(), s.adm_max());
  }
  const size_t queues = s.Apqns().size();
  if (m.guest.empty()) {
    e.summary = fmt::format(
        "no guest is attached: nothing is passed through; a guest started "
        "now would get {} queue{} and {} control domain{}",
        queues, queues == 1 ? "" : "s", s.adm().Count(),
        s.adm().Count() == 1 ? "" : "s");
  } else {
    e.summary = fmt::format(
        "guest {} has {} queue{} and {} control domain{}; {} assigned "
        "resource{} missing",
        m.guest, queues, queues == 1 ? "" : "s", s.adm().Count(),
        s.adm().Count() == 1 ? "" : "s", e.missing.size(),
        e.missing.size() == 1 ? " is" : "s are");
  }
  return e;
}

std::string ExplanationText(const Explanation& e) {
  std::string out;
  for (const MissingResource& m : e.missing)
    out += fmt::format("{}; fix: {}\n", m.text, m.fix);
  return out + e.summary + "\n";
}

}  // namespace vap::driver
