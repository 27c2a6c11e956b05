#include "connectors/ingest/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

namespace eddy {
namespace {

// Compresses with zlib's gzip wrapper (or the zlib one), as an HTTP client would.
std::string compress(std::string_view data, bool gzip_wrapper = true, int level = 6) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, level, Z_DEFLATED, gzip_wrapper ? 16 + MAX_WBITS : MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string random_text(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, ' ');
  for (char& c : s)
    c = static_cast<char>('a' + rng() % 26);
  return s;
}

TEST(Gunzip, RoundTripsBodiesOfEverySize) {
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{100}, size_t{4096}, size_t{70'000}, size_t{3'000'000}}) {
    SCOPED_TRACE(size);
    const std::string body = random_text(size, size);
    auto out = gunzip(compress(body), 64 * 1024 * 1024);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(*out, body);
  }
}

TEST(Gunzip, TakesZlibWrappedDeflateToo) {
  const std::string body = random_text(10'000, 3);
  auto out = gunzip(compress(body, /*gzip_wrapper=*/false), 1 << 20);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*out, body);
}

TEST(Gunzip, TakesSeveralMembersOneAfterAnother) {
  const std::string a = random_text(5000, 1), b = random_text(7000, 2);
  auto out = gunzip(compress(a) + compress(b), 1 << 20);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*out, a + b);
}

TEST(Gunzip, ABodyExactlyAtTheLimitPassesOneByteMoreDoesNot) {
  const std::string body(1000, 'x');
  const std::string packed = compress(body);
  EXPECT_TRUE(gunzip(packed, 1000).is_ok());
  auto over = gunzip(packed, 999);
  ASSERT_FALSE(over.is_ok());
  EXPECT_EQ(over.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(over.status().message().find("too large"), std::string::npos);
}

TEST(Gunzip, ABombStopsAtTheLimitWithoutInflatingItAll) {
  // 1 GiB of zeros compresses to about 1 MiB; the limit stops it after 10 MiB of output.
  const std::string zeros(64 * 1024 * 1024, '\0');
  std::string bomb;
  const std::string chunk = compress(zeros, true, 9);
  for (int i = 0; i < 16; ++i)
    bomb += chunk;
  EXPECT_LT(bomb.size(), 2u * 1024 * 1024);
  auto out = gunzip(bomb, 10 * 1024 * 1024);
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(out.status().message().find("too large"), std::string::npos);
}

TEST(Gunzip, RefusesWhatIsNotGzip) {
  const std::string good = compress(random_text(5000, 9));
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  struct Case {
    const char* name;
    std::string body;
  };
  const Case cases[] = {
      {"empty", ""},
      {"plain text", "{\"userId\":\"u1\"}"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"header only", good.substr(0, 10)},
      {"corrupted in the middle", flipped},
      {"bad checksum", bad_crc},
      {"garbage after the member", good + "garbage"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = gunzip(c.body, 1 << 20);
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), Errc::kCorrupt) << out.status().to_string();
  }
}

}  // namespace
}  // namespace eddy
