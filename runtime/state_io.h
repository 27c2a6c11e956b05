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

  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace eddy
