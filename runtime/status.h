#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace eddy {

// Error codes of the runtime. Stable: callers map them to HTTP statuses and metrics labels.
enum class Errc {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (a bad event, a bad setting)
  kInvalidTopology,  // a topology failed its checks at build time
  kNotFound,
  kAlreadyExists,
  kBusy,      // a bounded queue is full; try again later (HTTP 429/503)
  kStopped,   // the engine no longer accepts work
  kCorrupt,   // stored bytes failed a check
  kIo,        // the operating system refused an operation
  kInternal,  // an invariant broke; a bug
};

const char* errc_name(Errc code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Errc::kOk; }
  explicit operator bool() const { return is_ok(); }
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  Errc code_ = Errc::kOk;
  std::string message_;
};

// A value or the reason there is none. Accessing the value of an error is a bug (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(data_).is_ok() && "a Result needs a value or an error");
  }
  Result(Errc code, std::string message) : data_(Status(code, std::move(message))) {}

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & {
    assert(is_ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    assert(is_ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(is_ok());
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace eddy
