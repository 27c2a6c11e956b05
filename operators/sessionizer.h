#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Gap-based session windows per customer: events closer than the gap to each other form one
// session; a session ends once the watermark shows that no further event can join it, and its
// summary is emitted as a "Session Ended" event and kept in the profile.
//
// Boundary rule. An event joins a session when it is strictly less than the gap away from it:
// start - gap < t < end + gap. An event exactly one gap after the last event (or one gap before
// the first) starts a new session; so open sessions of a key are always at least a gap apart, and
// an event joins at most two of them.
//
// Order. Events are placed by event time, not by arrival: an event older than the open sessions
// extends one (becoming its start, and giving it its channel and referrer), starts a new session
// between two, or bridges two open sessions, which then merge into one.
//
// Lateness (LatenessPolicy::kDeliver, decided here): an event behind the watermark by more than the
// allowed lateness goes to the "late" side output and changes nothing; any other event is placed
// as above, even one behind the watermark. A session closes when every event that could still join
// it would be late: when the watermark reaches last event + gap + allowed lateness (last event +
// gap with the default lateness of 0). So a session never closes while an event that belongs to it
// can still be accepted.
//
// Forced close. A key holds at most `max_open_sessions` open sessions (a bot, or a client clock
// jumping around, could otherwise open any number). One more closes the oldest early: it is emitted
// like any other, with "forced_close": true, counted in the profile, and a copy goes to the
// "session_forced_close" side output. An event that would have joined it later starts a new
// session.
//
// Emitted event (type `emit_type`, at time end + gap, when the session was known to be over):
//   start_ms, end_ms, duration_ms (end - start of its events), events, page_views ("page" and
//   "screen"), product_views ("Product Viewed"), cart_adds ("Product Added"), converted (an "Order
//   Completed" in it), channel and referrer (the "channel" and "referrer" properties of its
//   earliest event by event time, null when it has none; a tie keeps the one that arrived first),
//   forced_close, trigger_id (hex xxHash3 of key, start, end and how many sessions the key closed
//   before: the same input gives the same id).
//
// Config:
//   gap_ms             inactivity that ends a session, 1 ms .. 365 days (default 30 min)
//   max_open_sessions  1 .. 64 (default 4)
//   emit_type          the emitted event's type (default "Session Ended"; the topology must accept
//                      it)
//   types              the event types that count as activity (default: every type except the
//                      derived ones operators emit, see docs/event-model.md)
//
// Features: sessions.count, sessions.avg_duration_s, sessions.last.duration_s,
// sessions.last.converted (missing before the first closed session); sessions.current.events,
// .product_views, .cart_adds, .converted (the newest open session; missing when none is open).
// Profile: "sessions": {"count", "avg_duration_s", "open", "last": {...} | null,
// "current": {...} | null}.
//
// Merging (identity resolution): when another key's state is merged into this one, open sessions
// of the two that overlap or lie less than a gap apart become one, as if one key had seen all their
// events: the earlier start with its channel and referrer (on equal starts this key's), the later
// last event, counts added. Then, as after any event or timer, sessions that can no longer be
// joined at this watermark close, more than max_open_sessions force-close the oldest, and the
// close timer is armed for the oldest open one. Closed sessions are final, emitted under the old
// key: counts and durations add, and "last" is the one that ended later (on a tie this key's). Two
// closed sessions, or a closed and an open one, that one key would have seen as one session stay
// apart: they are what was emitted. The old key is left with nothing, like a new key.
//
// Events the operator cannot use (a time outside 1970..9999, a "channel" or "referrer" that is not
// a string) are rejected and left out of sessions. Every event passes on to the next operator:
// the sessionizer only observes.
//
// State: per key 64 bytes (the last closed session, counters, the pending timer) plus 48 bytes per
// open session, and channel/referrer strings interned once per operator instance, shared between
// sessions and reference-counted. Events are aggregated, never stored.
class Sessionizer final : public Operator {
 public:
  static constexpr int64_t kDefaultGapMs = 30 * kMillisPerMinute;
  static constexpr int64_t kMaxGapMs = 365 * kMillisPerDay;
  static constexpr uint32_t kDefaultMaxOpenSessions = 4;
  static constexpr uint32_t kMaxOpenSessionsLimit = 64;
  static constexpr std::string_view kDefaultEmitType = "Session Ended";
  static constexpr std::string_view kForcedCloseOutput = "session_forced_close";
  // Channel and referrer values are cut to this many bytes (at a UTF-8 character boundary).
  static constexpr size_t kMaxLabelBytes = 256;

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  Status declare_features(FeatureCatalog& catalog) override;

  // Bytes of keyed state held now (per-key records, open sessions, interned strings), estimated
  // from capacities; for benchmarks.
  size_t state_bytes() const;

 private:
  enum class Activity : uint8_t { kIgnored, kOther, kPage, kProductView, kCartAdd, kOrder };

  // Channel and referrer pairs, interned so that a key's sessions hold 4 bytes for both and the
  // thousands of sessions that came from the same place share one copy. Reference-counted: an
  // entry goes when the last session holding it does.
  class LabelPool {
   public:
    static constexpr uint32_t kNone = 0;  // neither a channel nor a referrer; never counted
    struct Labels {
      std::optional<std::string_view> channel;
      std::optional<std::string_view> referrer;
    };

    // Returns an id holding one reference, which the caller releases.
    uint32_t intern(const Labels& labels);
    void release(uint32_t id);
    Labels get(uint32_t id) const;
    void clear();
    size_t bytes() const;

   private:
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Entry {
      const std::string* text = nullptr;  // the index's key: stable while the entry lives
      uint32_t refs = 0;
    };

    std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;
    std::vector<Entry> entries_{Entry{}};  // entries_[kNone] is never used
    std::vector<uint32_t> free_;
    std::string scratch_;
  };

  // A session's aggregate: enough for the summary, nothing per event.
  struct Summary {
    int64_t start_ms = 0;
    int64_t end_ms = 0;
    uint32_t events = 0;
    uint32_t page_views = 0;
    uint32_t product_views = 0;
    uint32_t cart_adds = 0;
    uint32_t labels = LabelPool::kNone;  // of the earliest event
    bool converted = false;
  };
  static constexpr uint32_t kNil = UINT32_MAX;
  // Open sessions live in one pool per instance, linked per key in start order, so that a key with
  // no open session costs nothing for them.
  struct OpenSession {
    Summary summary;
    uint32_t next = kNil;
  };
  static constexpr int64_t kNoTimer = INT64_MIN;
  struct PerKey {
    Summary last;  // the last closed session; meaningful when closed > 0
    int64_t total_duration_ms = 0;
    int64_t timer_at = kNoTimer;  // the one pending timer: at or before the oldest's close
    uint32_t closed = 0;
    uint32_t open = kNil;  // the oldest open session
  };
  // The per-key budget the class comment promises.
  static_assert(sizeof(Summary) == 40 && sizeof(OpenSession) == 48 && sizeof(PerKey) == 64);

  // A key's state as move_key_out wrote it, read back with its labels interned (one reference
  // each, which release_moved gives back).
  struct MovedKey {
    uint32_t closed = 0;
    int64_t total_duration_ms = 0;
    Summary last;
    std::vector<Summary> open;
  };

  Activity activity_of(EventType type) const;
  void place(uint32_t slot, int64_t t, Activity activity, const LabelPool::Labels& labels);
  void close_oldest(uint32_t slot, bool forced, Context& ctx);
  void close_ended(uint32_t slot, Context& ctx);
  void emit_ended(const Summary& s, uint32_t ordinal, bool forced, Context& ctx);
  void rearm(uint32_t slot, int64_t floor, Context& ctx);
  bool closable(const Summary& s, const Context& ctx) const;
  int64_t lateness(const Context& ctx);
  const Summary* current(uint32_t slot) const;
  uint32_t open_count(uint32_t slot) const;
  uint32_t alloc_session();
  void free_session(uint32_t id);
  void absorb(Summary& into, const Summary& later);

  Status read_moved(StateReader& in, MovedKey& out);
  void release_moved(const MovedKey& moved);
  void merge_closed(PerKey& k, const MovedKey& moved);
  void merge_open(uint32_t slot, const std::vector<Summary>& moved);

  void write_summary(StateWriter& out, const Summary& s) const;
  bool read_summary(StateReader& in, Summary& s);
  boost::json::object summary_json(const Summary& s) const;

  int64_t gap_ms_ = kDefaultGapMs;
  uint32_t max_open_ = kDefaultMaxOpenSessions;
  EventType emit_type_;
  std::vector<Activity> activity_;  // by event type id
  // The runtime's allowed lateness, learnt from Context::is_late (see lateness()). Not state: every
  // instance of a topology sees the same setting.
  std::optional<int64_t> lateness_ms_;

  std::vector<PerKey> keys_;
  std::vector<OpenSession> sessions_;
  std::vector<uint32_t> free_sessions_;
  LabelPool labels_;
  // Builds the copies sent to the forced-close side output, and trigger id inputs.
  BatchBuilder side_builder_;
  std::string id_scratch_;
};

}  // namespace eddy
