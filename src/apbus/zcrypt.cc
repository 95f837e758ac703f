#include "apbus/zcrypt.h"

#include <fmt/format.h>

#include <cerrno>

#include "matrix/kernel_number.h"

namespace vap::apbus {

namespace {

bool SupportedType(const ApDevice& dev) {
  return dev.hwtype >= ap::kHwtypeCex4 && dev.hwtype <= ap::kHwtypeCex8;
}

// sscanf(buf, "%d") accepting only 0 and 1 (online_store()).
Result<bool> ParseOnline(std::string_view buf) {
  const Result<int> value = ScanfInt(buf, 10);
  if (!value.ok() || (*value != 0 && *value != 1))
    return Status::Error(EINVAL, "online takes 0 or 1");
  return *value == 1;
}

}  // namespace

std::string ZcryptTypeName(const ApDevice& dev) {
  char letter;
  if ((dev.functions & ap::kFuncAccelerator) != 0) {
    letter = 'A';
  } else if ((dev.functions & ap::kFuncCoprocessor) != 0) {
    letter = 'C';
  } else if ((dev.functions & ap::kFuncEp11) != 0) {
    letter = 'P';
  } else {
    return "";
  }
  return fmt::format("CEX{}{}", dev.hwtype - ap::kHwtypeCex4 + 4, letter);
}

Zcrypt::Zcrypt(ApBus& bus) : bus_(bus) {}

bool Zcrypt::Driver::Matches(const ApDevice& dev) const {
  return dev.kind == kind_ && SupportedType(dev);
}

Status Zcrypt::Driver::Probe(const ApDevice& dev) {
  if (ZcryptTypeName(dev).empty()) return Status::Error(ENODEV, "no card mode");
  ChangeCount::Scope change(z_.changes_);
  MutexLock lock(z_.mu_);
  if (kind_ == DeviceKind::kCard) {
    z_.card_online_[dev.apid] = true;
  } else {
    z_.queue_online_[dev.apqn().qid()] = true;
  }
  return Status::Ok();
}

void Zcrypt::Driver::Remove(const ApDevice& dev) {
  ChangeCount::Scope change(z_.changes_);
  MutexLock lock(z_.mu_);
  if (kind_ == DeviceKind::kCard) {
    z_.card_online_.erase(dev.apid);
  } else {
    z_.queue_online_.erase(dev.apqn().qid());
  }
}

bool Zcrypt::CardOnline(const ApDevice& card) const {
  MutexLock lock(mu_);
  auto it = card_online_.find(card.apid);
  return card.config && !card.chkstop && it != card_online_.end() && it->second;
}

bool Zcrypt::QueueOnline(const ApDevice& queue) const {
  MutexLock lock(mu_);
  auto it = queue_online_.find(queue.apqn().qid());
  // online_show() in zcrypt_queue.c: aq->config && !aq->chkstop && online.
  return queue.config && !queue.chkstop && it != queue_online_.end() &&
         it->second;
}

Status Zcrypt::StoreCardOnline(uint8_t apid, std::string_view buf) {
  VAP_ASSIGN_OR_RETURN(bool online, ParseOnline(buf));
  const std::optional<ApDevice> card = bus_.Card(apid);
  if (!card) return Status::Error(ENODEV, "card is gone");
  if (online && (!card->config || card->chkstop)) {
    return Status::Error(ENODEV, "card is deconfigured or checkstopped");
  }
  const std::vector<ApDevice> queues = bus_.QueuesOfCard(apid);
  std::vector<const ApDevice*> forced;  // queues whose state changed
  {
    ChangeCount::Scope change(changes_);
    MutexLock lock(mu_);
    auto it = card_online_.find(apid);
    if (it == card_online_.end())
      return Status::Error(ENODEV, "card is not bound");
    it->second = online;
    for (const ApDevice& q : queues) {
      auto qit = queue_online_.find(q.apqn().qid());
      if (qit == queue_online_.end() || qit->second == online) continue;
      qit->second = online;
      forced.push_back(&q);
    }
  }
  // online_store() in zcrypt_card.c: the card's ONLINE= on every accepted
  // write, then one for each queue it forced.
  const std::string value = online ? "ONLINE=1" : "ONLINE=0";
  bus_.SendChangeEvent(&*card, {value});
  for (const ApDevice* q : forced) bus_.SendChangeEvent(q, {value});
  return Status::Ok();
}

std::vector<std::string> Zcrypt::OfflineDevices() const {
  std::vector<std::string> out;
  MutexLock lock(mu_);
  for (const auto& [apid, online] : card_online_)
    if (!online) out.push_back(CardName(apid));
  for (const auto& [qid, online] : queue_online_)
    if (!online) out.push_back(Apqn::FromQid(qid).ToString());
  return out;
}

Status Zcrypt::StoreQueueOnline(Apqn apqn, std::string_view buf) {
  VAP_ASSIGN_OR_RETURN(bool online, ParseOnline(buf));
  const std::optional<ApDevice> queue = bus_.Queue(apqn);
  const std::optional<ApDevice> card = bus_.Card(apqn.apid);
  if (!queue || !card) return Status::Error(ENODEV, "queue is gone");
  // online_store() in zcrypt_queue.c.
  if (online && (!queue->config || !card->config || queue->chkstop ||
                 card->chkstop)) {
    return Status::Error(ENODEV,
                         "queue or card is deconfigured or checkstopped");
  }
  {
    MutexLock lock(mu_);
    auto cit = card_online_.find(apqn.apid);
    if (online && (cit == card_online_.end() || !cit->second)) {
      return Status::Error(EINVAL, "card is offline");
    }
    auto it = queue_online_.find(apqn.qid());
    if (it == queue_online_.end())
      return Status::Error(ENODEV, "queue is not bound");
    if (it->second != online) {
      ChangeCount::Scope change(changes_);
      it->second = online;
    }
  }
  // online_store() in zcrypt_queue.c: ONLINE= on every accepted write.
  bus_.SendChangeEvent(&*queue, {online ? "ONLINE=1" : "ONLINE=0"});
  return Status::Ok();
}

}  // namespace vap::apbus
