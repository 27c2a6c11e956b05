#include "runtime/durability/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

namespace eddy {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The check value of CRC-32C (RFC 3720, appendix B.4).
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(bytes_of("")), 0u);
}

TEST(Crc32c, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(1024);
  for (uint8_t& b : data)
    b = static_cast<uint8_t>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; len + start <= 300; len += 7) {
      const std::span<const uint8_t> part(data.data() + start, len);
      ASSERT_EQ(crc32c(part), crc32c_portable(part)) << start << "+" << len;
    }
  }
}

TEST(Crc32c, ContinuesAcrossPieces) {
  const std::string_view text = "the quick brown fox jumps over the lazy dog";
  const uint32_t whole = crc32c(bytes_of(text));
  EXPECT_EQ(crc32c(bytes_of(text.substr(10)), crc32c(bytes_of(text.substr(0, 10)))), whole);
}

}  // namespace
}  // namespace eddy
