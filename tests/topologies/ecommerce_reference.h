#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tests/harness/harness.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy::testing {

// A naive, single-threaded model of the default topology's profile stage, written from the
// operators' documented semantics rather than from their code: it keeps every event of every
// customer and computes each feature from that history when asked, where the engine keeps
// aggregates, panes, sketches, timers and indexes. What a feature's value depends on besides the
// events (the watermark at the time, whether a session had closed when a trigger looked) is
// simulated step by step, in the order the script gives.
//
// It models what a script of in-order input gives: each customer's events in time order, no event
// behind the watermark (late and out-of-order input has its own tests, operator by operator). It
// covers the profile stage without the identity stage (one key is one customer), with the
// topology's counters, three triggers and default consent, and the segments given with `segment`:
// rules with no exit rule and no dwell, so that membership is a function of the features at the
// last check.
class EcommerceReference {
 public:
  explicit EcommerceReference(EcommerceSettings settings);

  // A segment the script also puts: its id and its enter rule, "<feature> <op> <value>" terms
  // joined by " and ", a value being a number, true, false or a string in quotes without spaces.
  void segment(std::string id, std::string rule);
  void run(const std::vector<Step>& steps);

  // For every key, the parts of its profile query the reference models, in the query's shape,
  // with "segments" sorted (membership by the rules at the current watermark: right only once
  // every key group has swept since the features last changed).
  std::map<std::string, boost::json::object> profiles() const;
  // What reached the "triggers" sink, one line per record: "<key> <type> <trigger>", sorted.
  std::vector<std::string> delivered() const;

  // One customer's history, and what the reference simulates of it step by step.
  struct Customer {
    std::vector<TestEvent> events;

    struct Line {
      int64_t quantity = 0;
      double price = 0;
    };
    bool cart_open = false;
    std::map<std::string, Line> lines;
    int64_t cart_started = 0;
    int64_t last_change = std::numeric_limits<int64_t>::min();
    int64_t settled_through = std::numeric_limits<int64_t>::min();
    int64_t abandoned = 0;

    std::string stage;  // as last evaluated, to tell when a watermark step changed it
    // No timer of the customer's can fire before this: watermark steps skip them until then.
    int64_t next_due = std::numeric_limits<int64_t>::min();

    struct Trigger {
      bool active = false;
      int64_t fired = 0;
    };
    std::array<Trigger, 3> triggers;

    bool said = false;
    bool granted = false;
    int64_t changed_ms = 0;
    int64_t withheld = 0;
  };

 private:
  void on_event(const TestEvent& e);
  void on_watermark(int64_t w);
  int64_t next_due(const Customer& c) const;
  void evaluate_triggers(Customer& c, const std::string& key, int64_t now);
  void deliver(Customer& c, const std::string& key, const std::string& type,
               const std::string& trigger);
  boost::json::object profile(const Customer& c) const;
  // Each customer's orders in the look-back window, and where they rank among everyone's.
  struct Orders {
    int64_t frequency = 0;
    int64_t cents = 0;
    int64_t last = std::numeric_limits<int64_t>::min();
  };
  Orders orders(const Customer& c) const;
  boost::json::object rfm(const Orders& mine, const std::vector<Orders>& everyone) const;

  EcommerceSettings settings_;
  std::map<std::string, Customer> customers_;
  std::vector<std::pair<std::string, std::string>> segments_;
  std::vector<std::string> delivered_;
  int64_t watermark_ = 0;
};

}  // namespace eddy::testing
