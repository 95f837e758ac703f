#include "sysfs/ap_device_entries.h"

#include <fmt/format.h>

#include <cerrno>

#include "apbus/device_uevent.h"
#include "matrix/kernel_number.h"
#include "sysfs/attr.h"

namespace vap::sysfs {

namespace {

using apbus::ApDevice;

constexpr unsigned kDefaultMaxMsgSize = 12288;

using EntryList = std::vector<std::pair<std::string, DynamicEntry>>;

Status Gone() { return Status::Error(ENODEV, "device is gone"); }

bool IsCca(const ApDevice& dev) {
  return (dev.functions & ap::kFuncAccelerator) == 0 &&
         (dev.functions & ap::kFuncCoprocessor) != 0;
}

bool IsEp11(const ApDevice& dev) {
  return (dev.functions & (ap::kFuncAccelerator | ap::kFuncCoprocessor)) == 0 &&
         (dev.functions & ap::kFuncEp11) != 0;
}

DynamicEntry FixedText(std::string text) {
  return Attribute(kRo, [text] { return Text(text); });
}

// The device's uevent file (uevent_show(), uevent_store()): the driver
// core's DEVTYPE and DRIVER, then ap_uevent()'s keys; a write sends a
// synthetic event.
DynamicEntry Uevent(const ApDevice& dev, UeventSource& uevents) {
  UeventTarget target;
  target.devpath = apbus::DeviceDevpath(dev);
  target.subsystem = "ap";
  target.env = apbus::DeviceUeventEnv(dev);
  // dev_err()'s prefix: the driver's name, else the bus's.
  target.dev_name =
      fmt::format("{} {}", dev.driver.empty() ? "ap" : dev.driver, dev.Name());
  std::string text;
  for (const std::string& kv : target.env) text += kv + "\n";
  return Attribute(
      kRw, [text] { return Text(text); },
      [&uevents, target](std::string_view buf) {
        return uevents.Synthesize(target, buf);
      });
}

// Accepts any write and changes nothing visible (the request counters,
// which vap's model never counts up).
Status IgnoreWrite(std::string_view) { return Status::Ok(); }

// The card's `config` store: sscanf "%d", 0 or 1.
Status StoreConfig(apbus::ApBus& bus, uint8_t apid, std::string_view buf) {
  const Result<int> value = ScanfInt(buf, 10);
  if (!value.ok() || (*value != 0 && *value != 1))
    return Status::Error(EINVAL, "config takes 0 or 1");
  return bus.SetCardConfig(apid, *value == 1);
}

// zcrypt's query of a CCA or EP11 card, sent to queue `apqn`
// (cca_get_info(), ep11_get_domain_info()): answered when the card can
// be queried and the queue and its card are bound to zcrypt and online;
// otherwise nothing, and every attribute shows its "could not query"
// form (docs/host-profile.md, "Card information").
std::optional<ap::CardSpec> Query(apbus::ApBus& bus, apbus::Zcrypt& zcrypt,
                                  Apqn apqn) {
  const std::optional<ApDevice> card = bus.Card(apqn.apid);
  const std::optional<ApDevice> queue = bus.Queue(apqn);
  if (!card || !queue || card->driver != "cex4card" ||
      queue->driver != "cex4queue" || !zcrypt.CardOnline(*card) ||
      !zcrypt.QueueOnline(*queue))
    return std::nullopt;
  std::optional<ap::CardState> state = bus.firmware().Card(apqn.apid);
  if (!state || !state->spec.info.queryable) return std::nullopt;
  return state->spec;
}

// ep11_get_card_info(): to any queue of the card (AUTOSEL_DOM).
std::optional<ap::CardSpec> QueryCard(apbus::ApBus& bus, apbus::Zcrypt& zcrypt,
                                      uint8_t apid) {
  for (const ApDevice& q : bus.QueuesOfCard(apid)) {
    if (std::optional<ap::CardSpec> a = Query(bus, zcrypt, q.apqn())) return a;
  }
  return std::nullopt;
}

// The names of the set bits, in bit order, then a newline
// (ep11_card_op_modes_show(), ep11_queue_op_modes_show()).
std::string OpModes(uint32_t bits) {
  std::string out;
  const std::vector<std::string_view>& names = ap::Ep11OpModeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if ((bits >> i & 1) == 0) continue;
    if (!out.empty()) out += ' ';
    out += names[i];
  }
  return out + "\n";
}

// cca_mkvps_show(): new registers empty, the current key valid (invalid
// without a pattern), old ones invalid.
std::string CcaMkvps(const std::optional<ap::CardSpec>& a) {
  std::string out;
  const auto key = [&out, &a](const char* name, const std::string& cur, size_t digits) {
    if (!a) {
      for (const char* slot : {"NEW", "CUR", "OLD"})
        out += fmt::format("{} {}: - -\n", name, slot);
      return;
    }
    const std::string zero(digits, '0');
    out += fmt::format("{} NEW: empty 0x{}\n", name, zero);
    out += cur.empty() ? fmt::format("{} CUR: invalid 0x{}\n", name, zero)
                       : fmt::format("{} CUR: valid 0x{}\n", name, cur);
    out += fmt::format("{} OLD: invalid 0x{}\n", name, zero);
  };
  key("AES", a ? a->info.aes_mkvp : "", 16);
  key("APKA", a ? a->info.apka_mkvp : "", 16);
  key("ASYM", a ? a->info.asym_mkvp : "", 32);
  return out;
}

// ep11_mkvps_show(): the current wrapping key valid (invalid without a
// pattern), no new one.
std::string Ep11Mkvps(const std::optional<ap::CardSpec>& a) {
  if (!a) return "WK CUR: - -\nWK NEW: - -\n";
  return (a->info.wkvp.empty() ? std::string("WK CUR: invalid -\n")
                               : "WK CUR: valid 0x" + a->info.wkvp + "\n") +
         "WK NEW: empty -\n";
}

void AddZcryptCardEntries(EntryList& out, const ApDevice& card,
                          apbus::ApBus& bus, apbus::Zcrypt& zcrypt) {
  const uint8_t apid = card.apid;
  out.emplace_back("type", FixedText(apbus::ZcryptTypeName(card) + "\n"));
  out.emplace_back(
      "online", Attribute(
                    kRw,
                    [&bus, &zcrypt, apid]() -> Result<std::string> {
                      std::optional<ApDevice> c = bus.Card(apid);
                      if (!c) return Gone();
                      return fmt::format("{}\n", zcrypt.CardOnline(*c) ? 1 : 0);
                    },
                    [&zcrypt, apid](std::string_view buf) {
                      return zcrypt.StoreCardOnline(apid, buf);
                    }));
  out.emplace_back("load", FixedText("0\n"));
  const auto show = [&bus, &zcrypt, apid](auto format) -> ShowFn {
    return [&bus, &zcrypt, apid, format]() -> Result<std::string> {
      return format(QueryCard(bus, zcrypt, apid));
    };
  };
  if (IsCca(card)) {
    // cca_serialnr_show(): asked on the bus's default domain, if any.
    out.emplace_back("serialnr", Attribute(kRo, [&bus, &zcrypt, apid]() -> Result<std::string> {
      const int dom = bus.ap_domain();
      std::optional<ap::CardSpec> a;
      if (dom >= 0) a = Query(bus, zcrypt, Apqn(apid, static_cast<uint8_t>(dom)));
      return (a ? a->serial : std::string()) + "\n";
    }));
  } else if (IsEp11(card)) {
    // ep11_api_ordinalnr_show(), _fw_version_show(), _serialnr_show(),
    // ep11_card_op_modes_show(): one ep11_get_card_info() each.
    using Answer = std::optional<ap::CardSpec>;
    out.emplace_back("API_ordinalnr", Attribute(kRo, show([](const Answer& a) {
      return a && a->info.api_ordinal > 0 ? fmt::format("{}\n", a->info.api_ordinal)
                                          : std::string("\n");
    })));
    out.emplace_back("FW_version", Attribute(kRo, show([](const Answer& a) {
      return a && a->info.fw_version > 0
                 ? fmt::format("{}.{}\n", a->info.fw_version >> 8,
                               a->info.fw_version & 0xff)
                 : std::string("\n");
    })));
    out.emplace_back("serialnr", Attribute(kRo, show([](const Answer& a) {
      return a && !a->serial.empty() ? fmt::format("{:>16.16}\n", a->serial)
                                     : std::string("\n");
    })));
    out.emplace_back("op_modes", Attribute(kRo, show([](const Answer& a) {
      return OpModes(a ? a->info.op_modes : 0);
    })));
  }
}

void AddZcryptQueueEntries(EntryList& out, const ApDevice& queue,
                           apbus::ApBus& bus, apbus::Zcrypt& zcrypt) {
  const Apqn apqn = queue.apqn();
  out.emplace_back("online",
                   Attribute(
                       kRw,
                       [&bus, &zcrypt, apqn]() -> Result<std::string> {
                         std::optional<ApDevice> q = bus.Queue(apqn);
                         if (!q) return Gone();
                         return fmt::format("{}\n",
                                            zcrypt.QueueOnline(*q) ? 1 : 0);
                       },
                       [&zcrypt, apqn](std::string_view buf) {
                         return zcrypt.StoreQueueOnline(apqn, buf);
                       }));
  out.emplace_back("load", FixedText("0\n"));
  if (IsCca(queue)) {
    out.emplace_back("mkvps", Attribute(kRo, [&bus, &zcrypt, apqn]() -> Result<std::string> {
      return CcaMkvps(Query(bus, zcrypt, apqn));
    }));
  } else if (IsEp11(queue)) {
    out.emplace_back("mkvps", Attribute(kRo, [&bus, &zcrypt, apqn]() -> Result<std::string> {
      return Ep11Mkvps(Query(bus, zcrypt, apqn));
    }));
    out.emplace_back("op_modes", Attribute(kRo, [&bus, &zcrypt, apqn]() -> Result<std::string> {
      const std::optional<ap::CardSpec> a = Query(bus, zcrypt, apqn);
      return OpModes(a ? a->info.op_modes : 0);
    }));
  }
}

std::vector<DirEntry> Names(const EntryList& entries) {
  std::vector<DirEntry> out;
  out.reserve(entries.size());
  for (const auto& [name, e] : entries) out.push_back(DirEntry{name, e.type});
  return out;
}

std::optional<DynamicEntry> Pick(EntryList entries, std::string_view name) {
  for (auto& [n, e] : entries) {
    if (n == name) return std::move(e);
  }
  return std::nullopt;
}

}  // namespace

EntryList CardEntries::Entries(uint8_t apid) const {
  EntryList out;
  const std::optional<ApDevice> card = bus_.Card(apid);
  if (!card) return out;
  apbus::ApBus& bus = bus_;
  const auto live = [&bus, apid](auto field) -> ShowFn {
    return [&bus, apid, field]() -> Result<std::string> {
      std::optional<ApDevice> c = bus.Card(apid);
      if (!c) return Gone();
      return field(*c);
    };
  };
  out.emplace_back("hwtype", FixedText(fmt::format("{}\n", card->hwtype)));
  out.emplace_back("raw_hwtype", FixedText(fmt::format("{}\n", card->raw_hwtype)));
  out.emplace_back("depth", FixedText(fmt::format("{}\n", card->depth)));
  out.emplace_back(
      "ap_functions",
      FixedText(fmt::format("0x{:08X}\n", card->functions & 0xffff0000u)));
  out.emplace_back(
      "request_count",
      Attribute(
          kRw, [] { return Result<std::string>("0\n"); }, IgnoreWrite));
  out.emplace_back("requestq_count", FixedText("0\n"));
  out.emplace_back("pendingq_count", FixedText("0\n"));
  out.emplace_back("modalias", FixedText(fmt::format("ap:t{:02X}\n", card->hwtype)));
  out.emplace_back("config", Attribute(kRw, live([](const ApDevice& c) {
                                         return fmt::format("{}\n",
                                                            c.config ? 1 : 0);
                                       }),
                                       [&bus, apid](std::string_view buf) {
                                         return StoreConfig(bus, apid, buf);
                                       }));
  out.emplace_back("chkstop", Attribute(kRo, live([](const ApDevice& c) {
                                          return fmt::format("{}\n",
                                                             c.chkstop ? 1 : 0);
                                        })));
  out.emplace_back(
      "max_msg_size",
      FixedText(fmt::format("{}\n",
                       card->ml > 0 ? card->ml * 4096u : kDefaultMaxMsgSize)));
  out.emplace_back("uevent", Uevent(*card, uevents_));
  out.emplace_back("power",
                   PowerEntries::Dir(power_, PowerKey(PowerKind::kCard, apid)));
  out.emplace_back("subsystem", Symlink("../../../bus/ap"));
  if (!card->driver.empty()) {
    out.emplace_back("driver",
                     Symlink("../../../bus/ap/drivers/" + card->driver));
  }
  if (card->driver == "cex4card")
    AddZcryptCardEntries(out, *card, bus_, zcrypt_);
  return out;
}

std::vector<DirEntry> CardEntries::List(uint64_t key) const {
  return Names(Entries(static_cast<uint8_t>(key)));
}

std::optional<DynamicEntry> CardEntries::Find(uint64_t key,
                                              std::string_view name) const {
  return Pick(Entries(static_cast<uint8_t>(key)), name);
}

EntryList QueueEntries::Entries(Apqn apqn) const {
  EntryList out;
  const std::optional<ApDevice> queue = bus_.Queue(apqn);
  if (!queue) return out;
  apbus::ApBus& bus = bus_;
  const auto live = [&bus, apqn](auto field) -> ShowFn {
    return [&bus, apqn, field]() -> Result<std::string> {
      std::optional<ApDevice> q = bus.Queue(apqn);
      if (!q) return Gone();
      return field(*q);
    };
  };
  out.emplace_back(
      "request_count",
      // request_count_show() in ap_queue.c: the count only while the
      // state machine runs (vap's model never counts a request).
      Attribute(kRw, live([](const ApDevice& q) {
                  return std::string(q.sm.initiated() ? "0\n" : "-\n");
                }),
                IgnoreWrite));
  out.emplace_back("requestq_count", FixedText("0\n"));
  out.emplace_back("pendingq_count", FixedText("0\n"));
  // reset_show()/reset_store() and interrupt_show(): the AP bus's state
  // machine (apbus/queue_sm.h); the I bit from TAPQ.
  out.emplace_back(
      "reset", Attribute(
                   kRw, live([](const ApDevice& q) {
                     return apbus::ResetText(q.sm.sm_state);
                   }),
                   [&bus, apqn](std::string_view) { return bus.ResetQueue(apqn); }));
  out.emplace_back(
      "interrupt", Attribute(kRo, [&bus, apqn]() -> Result<std::string> {
        std::optional<ApDevice> q = bus.Queue(apqn);
        if (!q) return Gone();
        return apbus::InterruptText(
            q->sm.sm_state, bus.machine().TestQueue(apqn).status.irq_enabled);
      }));
  out.emplace_back("config", Attribute(kRo, live([](const ApDevice& q) {
                                         return fmt::format("{}\n",
                                                            q.config ? 1 : 0);
                                       })));
  out.emplace_back("chkstop", Attribute(kRo, live([](const ApDevice& q) {
                                          return fmt::format("{}\n",
                                                             q.chkstop ? 1 : 0);
                                        })));
  out.emplace_back("ap_functions",
                   Attribute(kRo, [&bus, apqn]() -> Result<std::string> {
                     const ap::TapqResult r = bus.machine().TestQueue(apqn);
                     if (r.status.response_code > ap::kRcBusy) {
                       return Status::Error(EIO, "TAPQ failed");
                     }
                     return fmt::format("0x{:08X}\n", r.info.functions);
                   }));
  out.emplace_back(
      "driver_override",
      Attribute(
          kRw, live([](const ApDevice& q) { return q.driver_override + "\n"; }),
          [&bus, apqn](std::string_view buf) -> Status {
            // driver_set_override: at most PAGE_SIZE - 2
            // bytes, cut at the first newline.
            if (buf.size() >= kPageSize - 1) {
              return Status::Error(EINVAL, "override too long");
            }
            return bus.SetDriverOverride(apqn, buf.substr(0, buf.find('\n')));
          }));
  out.emplace_back("uevent", Uevent(*queue, uevents_));
  out.emplace_back("power", PowerEntries::Dir(
                                power_, PowerKey(PowerKind::kQueue, apqn.qid())));
  out.emplace_back("subsystem", Symlink("../../../../bus/ap"));
  if (!queue->driver.empty()) {
    out.emplace_back("driver",
                     Symlink("../../../../bus/ap/drivers/" + queue->driver));
  }
  if (queue->driver == "cex4queue")
    AddZcryptQueueEntries(out, *queue, bus_, zcrypt_);
  if (std::shared_ptr<const DynamicEntries> extra =
          DriverEntries(queue->driver)) {
    for (const DirEntry& e : extra->List(apqn.qid())) {
      if (std::optional<DynamicEntry> entry = extra->Find(apqn.qid(), e.name)) {
        out.emplace_back(e.name, std::move(*entry));
      }
    }
  }
  return out;
}

std::vector<DirEntry> QueueEntries::List(uint64_t key) const {
  return Names(Entries(Apqn::FromQid(static_cast<uint16_t>(key))));
}

std::optional<DynamicEntry> QueueEntries::Find(uint64_t key,
                                               std::string_view name) const {
  return Pick(Entries(Apqn::FromQid(static_cast<uint16_t>(key))), name);
}

void QueueEntries::AddDriverEntries(
    std::string driver, std::shared_ptr<const DynamicEntries> provider) {
  MutexLock lock(mu_);
  driver_entries_[std::move(driver)] = std::move(provider);
}

std::shared_ptr<const DynamicEntries> QueueEntries::DriverEntries(
    const std::string& driver) const {
  if (driver.empty()) return nullptr;
  MutexLock lock(mu_);
  auto it = driver_entries_.find(driver);
  return it == driver_entries_.end() ? nullptr : it->second;
}

}  // namespace vap::sysfs
