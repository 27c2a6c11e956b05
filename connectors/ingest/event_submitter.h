#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "connectors/ingest/ingest_errc.h"
#include "connectors/ingest/message_dedup.h"
#include "connectors/ingest/segment_mapper.h"
#include "runtime/batch_builder.h"
#include "runtime/intake.h"
#include "runtime/source.h"

namespace eddy {

// Where an item stands in its request: its 0-based index among the request's messages, and for
// NDJSON its 1-based line.
struct ItemPos {
  size_t index = 0;
  std::optional<size_t> line;
};

struct ItemRejection {
  ItemPos pos;
  IngestError error;
};

// What became of a request's items. The list of rejections keeps the first few only (a bulk
// upload of a million bad lines must not answer with a million entries); the counts are complete.
struct RequestTally {
  size_t accepted = 0;
  size_t duplicates = 0;
  size_t rejected = 0;
  std::array<size_t, kIngestErrcCount> rejected_by_code{};
  std::vector<ItemRejection> rejections;
};

struct SubmitterOptions {
  // Events per batch handed to the source. The source admits a batch whole or not at all, so a
  // batch must fit the workers' inboxes; a bulk upload goes in several.
  size_t max_batch_events = 2048;
  // After part of a request has been taken, how long a full engine is waited for before the
  // request gives up with 503 (and says where to resume). The first batch never waits: a client
  // whose request is refused whole simply retries it.
  std::chrono::milliseconds busy_wait{5000};
  size_t max_reported_rejections = 1000;
};

// Gathers one request's events into batches for the source, claiming each messageId before its
// event is added and releasing the claims of whatever the engine did not take, so that a retry of
// a refused request is not mistaken for a duplicate.
//
// Not thread-safe: one per request.
class EventSubmitter {
 public:
  EventSubmitter(Intake& intake, MessageDedup& dedup, WallTime received_at,
                 SubmitterOptions options);
  // Releases the claims of events never submitted (an exception, an abandoned request).
  ~EventSubmitter();
  EventSubmitter(const EventSubmitter&) = delete;
  EventSubmitter& operator=(const EventSubmitter&) = delete;

  // An item refused before it became an event.
  void reject(const ItemPos& pos, IngestError error);
  // An event; one whose messageId was claimed before is counted as a duplicate and dropped. When
  // the batch is full it is submitted: a status other than ok (busy, stopped) means the engine did
  // not take it, and the caller must stop adding.
  Status add(const ItemPos& pos, const MappedEvent& event);
  // Submits what is left.
  Status finish();

  const RequestTally& tally() const { return tally_; }
  // After a failed submit: the first item of the batch that was not taken, where a client resumes
  // once the engine has room. Items from there on are not in the tally.
  const std::optional<ItemPos>& resume_at() const { return resume_at_; }
  // Settles once every batch taken is durable (see IngestReply::durable).
  const std::shared_ptr<AckLatch>& ack() const { return ack_; }

 private:
  struct Pending {
    ItemPos pos;
    std::optional<MessageIdHash> id;
    // The customer record sent beside an identify (MappedEvent::record): not a message of the
    // request, so neither counted nor reported.
    bool companion = false;
  };

  Status submit(const EventBatch& batch);
  void settle(const SubmitResult& result);
  void abandon();
  void note(RequestTally& into, const ItemPos& pos, IngestError error);

  Intake& intake_;
  MessageDedup& dedup_;
  WallTime received_at_;
  SubmitterOptions options_;
  BatchBuilder builder_;
  std::vector<Pending> pending_;  // the events in builder_, in order
  // What happened to the items since the last submit; merged into tally_ once the engine has
  // taken their batch, dropped when it has not.
  RequestTally chunk_;
  std::optional<ItemPos> chunk_first_;
  RequestTally tally_;
  std::optional<ItemPos> resume_at_;
  std::shared_ptr<AckLatch> ack_;
  std::vector<uint64_t> keys_;  // the pending events' messageId hashes, 0 for none
};

}  // namespace eddy
