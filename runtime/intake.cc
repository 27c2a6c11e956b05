#include "runtime/intake.h"

namespace eddy {

void AckLatch::expect() {
  std::lock_guard lock(mu_);
  ++outstanding_;
}

void AckLatch::settle(const Status& status) {
  std::function<void(const Status&)> fire;
  Status outcome;
  {
    std::lock_guard lock(mu_);
    if (!status.is_ok() && first_failure_.is_ok()) first_failure_ = status;
    if (--outstanding_ == 0 && done_ && !fired_) {
      fired_ = true;
      fire = std::move(done_);
      outcome = first_failure_;
    }
  }
  if (fire) fire(outcome);
}

void AckLatch::arm(std::function<void(const Status&)> done) {
  Status outcome;
  {
    std::lock_guard lock(mu_);
    if (outstanding_ > 0) {
      done_ = std::move(done);
      return;
    }
    fired_ = true;
    outcome = first_failure_;
  }
  done(outcome);
}

}  // namespace eddy
