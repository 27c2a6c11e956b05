// Costs of normalising one field of an incoming event, each with a mix of the forms real senders
// write, so that the figures include the slower paths (a national phone number, an ISO time with
// an offset, a country name rather than a code). bench/RESULTS.md records the figures.
#include <benchmark/benchmark.h>

#include <array>
#include <string_view>

#include "connectors/normalize/country.h"
#include "connectors/normalize/email.h"
#include "connectors/normalize/money.h"
#include "connectors/normalize/phone.h"
#include "connectors/normalize/timestamp.h"

namespace eddy {
namespace {

template <typename T, size_t N>
const T& pick(const std::array<T, N>& inputs, size_t& i) {
  return inputs[i++ % N];
}

void BM_NormalizeEmail(benchmark::State& state) {
  constexpr std::array<std::string_view, 4> kInputs = {
      "ann.smith@example.com", "  Bob.Jones+Newsletter@Mail.Example.CO.UK ",
      "CUSTOMER_4711@SHOP.EXAMPLE", "o'reilly@example.ie"};
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(normalize_email(pick(kInputs, i)));
}
BENCHMARK(BM_NormalizeEmail);

void BM_NormalizePhone(benchmark::State& state) {
  struct Input {
    std::string_view raw;
    std::string_view region;
  };
  constexpr std::array<Input, 4> kInputs = {{{"+49 151 23456789", "DE"},
                                             {"0151 23456789", "DE"},
                                             {"(415) 555-2671", "US"},
                                             {"0044 20 7946 0958", "US"}}};
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = pick(kInputs, i);
    benchmark::DoNotOptimize(normalize_phone(in.raw, in.region));
  }
}
BENCHMARK(BM_NormalizePhone);

void BM_NormalizeTimestamp(benchmark::State& state) {
  constexpr std::array<std::string_view, 4> kInputs = {
      "2024-03-10T14:05:09.123Z", "2024-03-10T19:35:09.123+05:30", "1710079509", "1710079509123"};
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(normalize_timestamp(pick(kInputs, i)));
}
BENCHMARK(BM_NormalizeTimestamp);

void BM_NormalizeMoney(benchmark::State& state) {
  struct Input {
    std::string_view amount;
    std::string_view currency;
  };
  constexpr std::array<Input, 4> kInputs = {
      {{"19.99", "EUR"}, {"1200", "jpy"}, {"249.00", "USD"}, {"19.990000000000002", "usd"}}};
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = pick(kInputs, i);
    benchmark::DoNotOptimize(normalize_money(in.amount, in.currency));
  }
}
BENCHMARK(BM_NormalizeMoney);

void BM_NormalizeMoneyFromDouble(benchmark::State& state) {
  constexpr std::array<double, 4> kInputs = {19.99, 249.0, 0.1 + 0.2, 1234.5};
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(normalize_money(pick(kInputs, i), "EUR"));
}
BENCHMARK(BM_NormalizeMoneyFromDouble);

void BM_NormalizeCountry(benchmark::State& state) {
  constexpr std::array<std::string_view, 4> kInputs = {"DE", "USA", "United Kingdom",
                                                       "Côte d'Ivoire"};
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(normalize_country(pick(kInputs, i)));
}
BENCHMARK(BM_NormalizeCountry);

}  // namespace
}  // namespace eddy
