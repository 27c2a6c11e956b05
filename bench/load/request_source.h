#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "bench/load/load_options.h"
#include "bench/load/shop_model.h"
#include "bench/load/zipf.h"
#include "runtime/status.h"

namespace eddy::load {

struct OutgoingRequest {
  bool get = false;  // GET, else POST
  std::string target;
  std::string body;
  std::string_view content_type;
  uint64_t events = 0;  // events in the body; 1 for a query
};

// Turns the traffic model (or a replay file) into HTTP requests for the chosen mode. Live traffic
// is stamped with the wall clock at the moment the request is built, which is when it is sent.
//
// Not thread-safe.
class RequestSource {
 public:
  static Result<std::unique_ptr<RequestSource>> create(const LoadOptions& options);

  // Fills `out` with the next request, carrying at most `max_events` events (>= 1). False when
  // there is nothing more to send (the replay file is exhausted).
  bool next(uint64_t max_events, OutgoingRequest& out);

  std::string_view run_id() const { return run_id_; }

 private:
  explicit RequestSource(const LoadOptions& options);

  void next_track(OutgoingRequest& out);
  void next_batch(uint64_t n, OutgoingRequest& out);
  void next_bulk(uint64_t n, OutgoingRequest& out);
  bool next_replay(uint64_t n, OutgoingRequest& out);
  void next_query(OutgoingRequest& out);
  // Appends the model's next event as a Segment message.
  void append_next_message(std::string& out);

  LoadOptions options_;
  std::string run_id_;
  ShopModel model_;
  ZipfDistribution query_customers_;
  uint64_t query_rng_;
  std::ifstream replay_;
  std::string line_;
};

}  // namespace eddy::load
