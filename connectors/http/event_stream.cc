#include "connectors/http/event_stream.h"

namespace eddy {

bool EventStream::push(std::string_view type, std::string_view data) {
  std::unique_lock lock(mu_);
  if (closed_) return false;
  if (queue_.size() >= capacity_) {
    closed_ = true;
    queue_.clear();
    wake_locked(lock);
    return false;
  }
  std::string frame;
  frame.reserve(type.size() + data.size() + 16);
  frame.append("event: ").append(type).append("\ndata: ").append(data).append("\n\n");
  queue_.push_back(std::move(frame));
  wake_locked(lock);
  return true;
}

void EventStream::close() {
  std::unique_lock lock(mu_);
  if (closed_) return;
  closed_ = true;
  wake_locked(lock);
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::vector<std::string> EventStream::take() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void EventStream::on_ready(std::function<void()> wake) {
  std::unique_lock lock(mu_);
  wake_ = std::move(wake);
  if (!queue_.empty() || closed_) wake_locked(lock);
}

void EventStream::wake_locked(std::unique_lock<std::mutex>& lock) {
  if (!wake_) return;
  // The waker runs without the lock, so that it may post to a strand that calls take() at once.
  auto wake = std::move(wake_);
  wake_ = nullptr;
  lock.unlock();
  wake();
  lock.lock();
}

}  // namespace eddy
