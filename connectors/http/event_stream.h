#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace eddy {

// The body of a Server-Sent Events response: producers on any thread push events; the connection
// that serves it pulls them on its own strand.
//
// Bounded: a subscriber that falls further behind than `capacity` events is cut off (the stream
// closes and the connection with it) rather than letting the queue grow without limit; the client
// reconnects and reads current state. Either side may close; producers learn it from push().
class EventStream {
 public:
  explicit EventStream(size_t capacity) : capacity_(capacity) {}

  // Queues one event, formatted as SSE ("event: <type>\ndata: <data>\n\n"). False once the stream
  // is closed (the client went away or fell behind): the producer should forget it.
  bool push(std::string_view type, std::string_view data);
  void close();
  bool closed() const;

  // Connection side. Takes everything queued; empty when nothing is.
  std::vector<std::string> take();
  // Calls `wake` (once) when something is queued or the stream closes. Replaces a previous waker.
  void on_ready(std::function<void()> wake);

 private:
  void wake_locked(std::unique_lock<std::mutex>& lock);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::function<void()> wake_;
  bool closed_ = false;
};

}  // namespace eddy
