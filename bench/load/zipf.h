#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace eddy::load {

// Draws ranks 0..n-1 with P(k) proportional to 1/(k+1)^s from a uniform number in [0, 1): a
// precomputed CDF and a binary search. O(n) memory, which is 800 KB for 100,000 customers; the
// generator's rate is bound by formatting and sending, not by this.
class ZipfDistribution {
 public:
  ZipfDistribution(uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (uint64_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_)
      c /= sum;
  }

  uint64_t operator()(double uniform) const {
    auto it = std::upper_bound(cdf_.begin(), cdf_.end(), uniform);
    return std::min<uint64_t>(static_cast<uint64_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

  // The probability of rank k.
  double probability(uint64_t k) const { return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1]; }
  uint64_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

}  // namespace eddy::load
