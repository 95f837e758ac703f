// The host's default AP drivers, zcrypt's cex4card and cex4queue, as far
// as vfio_ap and the tools see them: they take what apmask/aqmask reserve
// for the host, and keep the `online` state that lszcrypt and chzcrypt
// read and write (s390-tools' zconf/zcrypt/lszcrypt.c and chzcrypt.c).
#ifndef VAP_APBUS_ZCRYPT_H_
#define VAP_APBUS_ZCRYPT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "apbus/ap_bus.h"
#include "apbus/ap_driver.h"
#include "base/change_count.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap::apbus {

// "CEX8C": generation from the compatible hwtype, letter from the
// functions (accelerator, else CCA, else EP11); empty if none is set.
std::string ZcryptTypeName(const ApDevice& dev);

class Zcrypt {
 public:
  explicit Zcrypt(ApBus& bus);
  Zcrypt(const Zcrypt&) = delete;
  Zcrypt& operator=(const Zcrypt&) = delete;

  ApDriver& card_driver() { return card_driver_; }
  ApDriver& queue_driver() { return queue_driver_; }

  // The `online` attributes. Show: card: config && !chkstop && online;
  // queue: config && online. Stores take "%d" 0 or 1, else EINVAL; going
  // online: ENODEV if the device (or its card) is deconfigured or, for a
  // card, checkstopped; EINVAL for a queue whose card is offline. A card's
  // state is forced onto its queues.
  bool CardOnline(const ApDevice& card) const VAP_EXCLUDES(mu_);
  bool QueueOnline(const ApDevice& queue) const VAP_EXCLUDES(mu_);
  Status StoreCardOnline(uint8_t apid, std::string_view buf) VAP_EXCLUDES(mu_);
  Status StoreQueueOnline(Apqn apqn, std::string_view buf) VAP_EXCLUDES(mu_);
  // The bound cards ("card05") and queues ("05.0047") set offline, in
  // that order (durable state).
  std::vector<std::string> OfflineDevices() const VAP_EXCLUDES(mu_);
  // Counts the changes of the online flags, for durable state.
  const ChangeCount& changes() const { return changes_; }

 private:
  // cex4card and cex4queue: the same driver for the two device kinds.
  class Driver : public ApDriver {
   public:
    Driver(Zcrypt& z, DeviceKind kind) : z_(z), kind_(kind) {}
    std::string_view name() const override {
      return kind_ == DeviceKind::kCard ? "cex4card" : "cex4queue";
    }
    bool is_default() const override { return true; }
    bool Matches(const ApDevice& dev) const override;
    Status Probe(const ApDevice& dev) override;
    void Remove(const ApDevice& dev) override;

   private:
    Zcrypt& z_;
    const DeviceKind kind_;
  };

  ApBus& bus_;
  Driver card_driver_{*this, DeviceKind::kCard};
  Driver queue_driver_{*this, DeviceKind::kQueue};
  // Online flags of bound cards and queues; rank kLeaf.
  mutable Mutex mu_{LockRank::kLeaf, "zcrypt"};
  std::map<uint8_t, bool> card_online_ VAP_GUARDED_BY(mu_);
  std::map<uint16_t, bool> queue_online_ VAP_GUARDED_BY(mu_);
  ChangeCount changes_;
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_ZCRYPT_H_
