#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/features.h"
#include "runtime/status.h"

namespace eddy {

// A segment rule: a small boolean expression over profile features, compiled once against the
// stage's feature catalog and evaluated per key without parsing or name lookups.
//
//   rule    := or
//   or      := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | compare
//   compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand
//                       | "in" "[" literal ("," literal)* "]")?
//   operand := number | string | "true" | "false" | path | "days_since" "(" path ")" | "(" or ")"
//   path    := name ("." name)*            a feature: rfm.m, lifecycle, counters.product_views_7d
//
// Strings are in double quotes with \" and \\ escapes. A bare operand used as a condition must be a
// boolean. Types are checked when compiling: comparing a number with a string is an error. A
// feature whose values say their own kind (traits.*, FeatureCatalog::kAnyKind) takes the kind of
// what it is compared with; a key whose value is of another kind has it missing for that rule.
// A feature a key does not have (no order yet, no such trait) makes every comparison that reads it
// unknown, and unknown is not true: `not (x > 1)` does not hold for a key without x. This is SQL's
// three-valued logic, so that a missing value never puts a customer into a segment by accident.
class SegmentRule {
 public:
  struct Error {
    size_t position;  // byte offset into the rule text
    std::string reason;
  };

  // Compiles `text`; on failure the status message is "at <position>: <reason>" and, when
  // `error` is given, it receives the position and reason separately.
  static Result<SegmentRule> compile(std::string_view text, const FeatureCatalog& catalog,
                                     Error* error = nullptr);

  // True only when the rule holds for the key (never for unknown).
  bool matches(uint32_t slot, EventTime now) const;
  // Whether the rule reads something that changes without the key's events: days_since(...), or
  // a feature declared FeatureCatalog::Changes::kAlsoWithTime (rfm.*, counters.*).
  bool depends_on_time() const { return depends_on_time_; }
  const std::string& text() const { return text_; }
  // The features the rule reads, days_since's included, each once.
  const std::vector<const FeatureCatalog::Feature*>& reads() const { return reads_; }

  // A value a comparison reads: a literal, a feature, or days since a time feature.
  struct Operand {
    enum class Kind : uint8_t { kNumber, kString, kBool, kFeature, kDaysSince };
    Kind kind = Kind::kNumber;
    FeatureValue::Kind type = FeatureValue::Kind::kNumber;  // what it evaluates to
    double number = 0;
    std::string_view text;
    bool flag = false;
    const FeatureCatalog::Feature* feature = nullptr;
  };
  struct Node {
    enum class Op : uint8_t { kOr, kAnd, kNot, kCompare, kIn, kTest };
    enum class Cmp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
    Op op = Op::kTest;
    Cmp cmp = Cmp::kEq;
    uint32_t left = 0;          // kOr, kAnd, kNot
    uint32_t right = 0;         // kOr, kAnd
    Operand a;                  // kCompare, kIn, kTest
    Operand b;                  // kCompare
    std::vector<Operand> list;  // kIn
  };

 private:
  std::string text_;
  std::vector<Node> nodes_;
  uint32_t root_ = 0;
  bool depends_on_time_ = false;
  std::vector<const FeatureCatalog::Feature*> reads_;
  // Literal strings of the rule, owned here so nodes can point into them.
  std::vector<std::unique_ptr<std::string>> strings_;

  friend class SegmentRuleCompiler;
  friend class SegmentRuleEvaluator;
};

}  // namespace eddy
