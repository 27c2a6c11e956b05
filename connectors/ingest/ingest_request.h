#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/intake.h"

namespace eddy {

// What the HTTP layer hands to ingest: a request whose body has been read in full and, when it
// came with `Content-Encoding: gzip`, inflated (gunzip() in gzip.h). Views; they must outlive the
// call.
struct IngestRequest {
  std::string_view body;
  // The Authorization header as sent; empty when there was none.
  std::string_view authorization;
  std::string_view content_type;
};

// What the HTTP layer sends back: the status, a JSON body (every error body has `code` and
// `message`), and a Retry-After header when `retry_after_seconds` is set. The counts are the
// request's events, for access logs.
struct IngestReply {
  unsigned status = 200;
  std::string body;
  std::optional<uint32_t> retry_after_seconds;
  size_t accepted = 0;
  size_t rejected = 0;
  size_t duplicates = 0;
  // Settles once what the request handed to the engine is durable; the reply may be sent only
  // then, and a failure replaces it with storage_failure_reply(). Null when nothing was handed.
  std::shared_ptr<AckLatch> durable;
};

}  // namespace eddy
