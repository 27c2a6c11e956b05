#include "bench/load/request_source.h"

#include <chrono>
#include <cstdio>

namespace eddy::load {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kNdjson = "application/x-ndjson";

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Different in every run, so that eddy's messageId memory never mistakes a run for a repeat.
std::string random_run_id() {
  uint64_t state =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count() ^
                            std::chrono::system_clock::now().time_since_epoch().count());
  char buf[24];
  std::snprintf(buf, sizeof buf, "l%012llx",
                static_cast<unsigned long long>(splitmix(state) & 0xFFFFFFFFFFFFull));
  return buf;
}

ShopModelOptions model_options(const LoadOptions& o) {
  ShopModelOptions m;
  m.seed = o.seed;
  m.customers = o.customers;
  m.products = o.products;
  m.customer_skew = o.customer_skew;
  m.product_skew = o.product_skew;
  m.concurrent_sessions = o.sessions;
  m.start_ms = o.replay_start_ms.value_or(wall_ms());
  return m;
}

}  // namespace

RequestSource::RequestSource(const LoadOptions& options)
    : options_(options),
      run_id_(options.run_id.empty() ? random_run_id() : options.run_id),
      model_(model_options(options)),
      query_customers_(options.mode == LoadMode::kQuery ? options.customers : 1,
                       options.customer_skew),
      query_rng_(options.seed) {}

Result<std::unique_ptr<RequestSource>> RequestSource::create(const LoadOptions& options) {
  std::unique_ptr<RequestSource> source(new RequestSource(options));
  if (options.mode == LoadMode::kReplay) {
    source->replay_.open(options.file);
    if (!source->replay_) {
      return Status(Errc::kNotFound, "cannot read --file " + options.file);
    }
  }
  return source;
}

bool RequestSource::next(uint64_t max_events, OutgoingRequest& out) {
  out.body.clear();
  out.get = false;
  switch (options_.mode) {
    case LoadMode::kTrack:
      next_track(out);
      return true;
    case LoadMode::kBatch:
      next_batch(max_events, out);
      return true;
    case LoadMode::kBulk:
      next_bulk(max_events, out);
      return true;
    case LoadMode::kReplay:
      return next_replay(max_events, out);
    case LoadMode::kQuery:
      next_query(out);
      return true;
  }
  return false;
}

void RequestSource::append_next_message(std::string& out) {
  const ShopEvent& e = model_.next();
  const int64_t now = wall_ms();
  append_segment_message(out, e, options_.replay_start_ms ? e.time_ms : now, now, run_id_);
}

void RequestSource::next_track(OutgoingRequest& out) {
  const ShopEvent& e = model_.next();
  const int64_t now = wall_ms();
  append_segment_message(out.body, e, options_.replay_start_ms ? e.time_ms : now, now, run_id_);
  out.target = segment_path(e.call);
  out.content_type = kJson;
  out.events = 1;
}

void RequestSource::next_batch(uint64_t n, OutgoingRequest& out) {
  out.body += "{\"batch\":[";
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0) out.body += ',';
    append_next_message(out.body);
  }
  out.body += "]}";
  out.target = "/v1/batch";
  out.content_type = kJson;
  out.events = n;
}

void RequestSource::next_bulk(uint64_t n, OutgoingRequest& out) {
  for (uint64_t i = 0; i < n; ++i) {
    append_next_message(out.body);
    out.body += '\n';
  }
  out.target = "/v1/events";
  out.content_type = kNdjson;
  out.events = n;
}

bool RequestSource::next_replay(uint64_t n, OutgoingRequest& out) {
  out.events = 0;
  while (out.events < n && std::getline(replay_, line_)) {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) continue;
    out.body += line_;
    out.body += '\n';
    ++out.events;
  }
  out.target = "/v1/events";
  out.content_type = kNdjson;
  return out.events > 0;
}

void RequestSource::next_query(OutgoingRequest& out) {
  const double u = static_cast<double>(splitmix(query_rng_) >> 11) * 0x1.0p-53;
  out.get = true;
  out.target = "/v1/customers/u" + std::to_string(query_customers_(u));
  out.content_type = {};
  out.events = 1;
}

}  // namespace eddy::load
