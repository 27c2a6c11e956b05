#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eddy {

// Every limit of the HTTP edge, with its default. Each has a flag and a config-file key.
struct HttpSettings {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  // Threads running the server's io_context; 0 picks one per hardware thread.
  uint32_t io_threads = 0;
  // Connections open at once; more are accepted and closed at once with 503.
  uint32_t max_connections = 10000;
  // A request's headers must arrive within this much time of its first byte.
  uint32_t header_timeout_ms = 10'000;
  // Its body within this much time of the end of its headers.
  uint32_t body_timeout_ms = 30'000;
  // A keep-alive connection with no request in flight is closed after this much time.
  uint32_t idle_timeout_ms = 60'000;
  uint32_t max_header_bytes = 16 * 1024;
  // The largest request body read from the wire (after this, 413). Segment routes have their own
  // smaller limits below; /v1/events and /v1/import take up to this.
  uint64_t max_body_bytes = 64ull * 1024 * 1024;
  // The largest body once a gzip Content-Encoding is undone (a zip bomb stops here with 413).
  uint64_t max_inflated_bytes = 256ull * 1024 * 1024;
  // Responses a connection may owe (pipelined requests) before it stops reading more.
  uint32_t max_pipelined_responses = 16;
  // JSON nested deeper than this is refused with 400.
  uint32_t max_json_depth = 32;

  // Segment Tracking API limits.
  uint32_t max_event_bytes = 32 * 1024;
  uint32_t max_batch_bytes = 500 * 1024;
  uint32_t max_batch_events = 2500;

  // Ingest authentication: when any write key is set, ingest requests need one (as the Basic user
  // name or `writeKey` in the body). Query and admin routes need one of `tokens` as a bearer token
  // when any is set.
  std::vector<std::string> write_keys;
  std::vector<std::string> tokens;

  // The most members GET /v1/segments/{id}/members returns in one page.
  uint32_t max_members_page = 10'000;

  // Server-Sent Events: events a slow subscriber may fall behind before it is disconnected.
  uint32_t sse_queue_events = 4096;
  uint32_t sse_heartbeat_ms = 15'000;
};

}  // namespace eddy
