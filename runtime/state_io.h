#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace eddy {

// Operators write their keyed state as a flat byte stream; the checkpoint layer frames and checks
// it. Fixed-width little-endian fields (the only byte order eddy runs on), strings with a length.
class StateWriter {
 public:
  template <typename T>
  requires std::is_arithmetic_v<T>
  void put(T v) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }

  // A length-prefixed run of bytes written in place, read back with get_string or get_view: what
  // put_string of a separate writer's bytes would give, without copying them. Returns the mark
  // that end_nested takes.
  size_t begin_nested() {
    const size_t mark = out_.size();
    put<uint32_t>(0);
    return mark;
  }
  void end_nested(size_t mark) {
    const auto length = static_cast<uint32_t>(out_.size() - mark - sizeof(uint32_t));
    std::memcpy(out_.data() + mark, &length, sizeof length);
  }

  void reserve(size_t bytes) { out_.reserve(bytes); }
  size_t size() const { return out_.size(); }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what a StateWriter wrote. A read past the end does not crash: it yields zero values and
// makes ok() false, so a restore checks once at the end instead of after every field.
class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}

  template <typename T>
  requires std::is_arithmetic_v<T> T get() {
    T v{};
    if (in_.size() - pos_ < sizeof(T)) {
      failed_ = true;
      pos_ = in_.size();
      return v;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<uint32_t>();
    if (in_.size() - pos_ < n) {
      failed_ = true;
      pos_ = in_.size();
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  // What get_string would return, as a view into the input.
  std::string_view get_view() {
    const auto n = get<uint32_t>();
    if (in_.size() - pos_ < n) {
      failed_ = true;
      pos_ = in_.size();
      return {};
    }
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace eddy
