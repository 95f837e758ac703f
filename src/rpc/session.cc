#include "rpc/session.h"

#include <algorithm>
#include <atomic>
#include <exception>

namespace vap::rpc {

namespace {

std::atomic<uint64_t> next_session_id{1};

}  // namespace

Session::Session() : id_(next_session_id.fetch_add(1)) {}

void Session::AtClose(std::string key, std::function<void()> fn) {
  Drop(key);
  at_close_.emplace_back(std::move(key), std::move(fn));
}

void Session::Drop(std::string_view key) {
  std::erase_if(at_close_, [key](const auto& e) { return e.first == key; });
}

void Session::Close() {
  while (!at_close_.empty()) {
    std::function<void()> fn = std::move(at_close_.back().second);
    at_close_.pop_back();
    try {
      fn();
    } catch (const std::exception&) {
      // The peer is gone: there is nobody to tell.
    }
  }
}

}  // namespace vap::rpc
