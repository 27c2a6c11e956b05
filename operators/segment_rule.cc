#include "operators/segment_rule.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "runtime/ids.h"

namespace eddy {

namespace {

enum class Tok : uint8_t {
  kEnd,
  kNumber,
  kString,
  kName,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kCmp
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;
  std::string text;  // names, unescaped strings, comparison operators
  double number = 0;
};

struct CompileError {
  size_t pos;
  std::string reason;
};

// Kept small on purpose: rules are short and written by people, so clarity of errors beats speed.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  Result<std::vector<Token>> run(CompileError& err) {
    std::vector<Token> out;
    while (true) {
      while (pos_ < in_.size() && std::isspace(static_cast<unsigned char>(in_[pos_])))
        ++pos_;
      Token t;
      t.pos = pos_;
      if (pos_ >= in_.size()) {
        out.push_back(t);
        return out;
      }
      const char c = in_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && next_is_digit()) ||
          c == '.') {
        if (!number(t, err)) return Status(Errc::kInvalidArgument, err.reason);
      } else if (c == '"') {
        if (!string(t, err)) return Status(Errc::kInvalidArgument, err.reason);
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        t.kind = Tok::kName;
        while (pos_ < in_.size() && (std::isalnum(static_cast<unsigned char>(in_[pos_])) ||
                                     in_[pos_] == '_' || in_[pos_] == '.')) {
          t.text.push_back(in_[pos_++]);
        }
      } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') {
        t.kind = c == '('   ? Tok::kLParen
                 : c == ')' ? Tok::kRParen
                 : c == '[' ? Tok::kLBracket
                 : c == ']' ? Tok::kRBracket
                            : Tok::kComma;
        ++pos_;
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        t.kind = Tok::kCmp;
        t.text.push_back(c);
        ++pos_;
        if (pos_ < in_.size() && in_[pos_] == '=') t.text.push_back(in_[pos_++]);
        if (t.text == "=" || t.text == "!") {
          err = {t.pos, "expected '" + t.text + "=', got '" + t.text + "'"};
          return Status(Errc::kInvalidArgument, err.reason);
        }
      } else {
        err = {pos_, std::string("unexpected character '") + c + "'"};
        return Status(Errc::kInvalidArgument, err.reason);
      }
      out.push_back(std::move(t));
    }
  }

 private:
  bool next_is_digit() const {
    return pos_ + 1 < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_ + 1]));
  }

  bool number(Token& t, CompileError& err) {
    t.kind = Tok::kNumber;
    const size_t start = pos_;
    if (in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() &&
           (std::isdigit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '.')) {
      ++pos_;
    }
    const std::string text(in_.substr(start, pos_ - start));
    char* end = nullptr;
    t.number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(t.number)) {
      err = {start, "'" + text + "' is not a number"};
      return false;
    }
    return true;
  }

  bool string(Token& t, CompileError& err) {
    t.kind = Tok::kString;
    const size_t start = pos_++;
    while (pos_ < in_.size() && in_[pos_] != '"') {
      if (in_[pos_] == '\\' && pos_ + 1 < in_.size()) ++pos_;
      t.text.push_back(in_[pos_++]);
    }
    if (pos_ >= in_.size()) {
      err = {start, "the string is not closed"};
      return false;
    }
    ++pos_;
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

const char* kind_name(FeatureValue::Kind k) {
  switch (k) {
    case FeatureValue::Kind::kNumber:
      return "a number";
    case FeatureValue::Kind::kString:
      return "a string";
    case FeatureValue::Kind::kBool:
      return "a boolean";
    case FeatureValue::Kind::kMissing:
      return "nothing";
  }
  return "?";
}

}  // namespace

// Recursive descent over the token list, building nodes into the rule.
class SegmentRuleCompiler {
 public:
  SegmentRuleCompiler(SegmentRule& rule, std::vector<Token> tokens, const FeatureCatalog& catalog)
      : rule_(rule), tokens_(std::move(tokens)), catalog_(catalog) {}

  bool compile(CompileError& err) {
    err_ = &err;
    uint32_t root = 0;
    if (!parse_or(root)) return false;
    if (peek().kind != Tok::kEnd) return fail(peek().pos, "unexpected '" + describe(peek()) + "'");
    rule_.root_ = root;
    return true;
  }

 private:
  using Node = SegmentRule::Node;
  using Operand = SegmentRule::Operand;

  const Token& peek() const { return tokens_[at_]; }
  const Token& take() { return tokens_[at_++]; }
  bool is_word(const Token& t, std::string_view w) const {
    return t.kind == Tok::kName && t.text == w;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        return "end of rule";
      case Tok::kNumber:
        return "number";
      case Tok::kString:
        return "\"" + t.text + "\"";
      case Tok::kLParen:
        return "(";
      case Tok::kRParen:
        return ")";
      case Tok::kLBracket:
        return "[";
      case Tok::kRBracket:
        return "]";
      case Tok::kComma:
        return ",";
      default:
        return t.text;
    }
  }
  bool fail(size_t pos, std::string reason) {
    *err_ = {pos, std::move(reason)};
    return false;
  }
  uint32_t add(Node n) {
    rule_.nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(rule_.nodes_.size() - 1);
  }

  bool parse_or(uint32_t& out) {
    if (!parse_and(out)) return false;
    while (is_word(peek(), "or")) {
      take();
      uint32_t right = 0;
      if (!parse_and(right)) return false;
      Node n;
      n.op = Node::Op::kOr;
      n.left = out;
      n.right = right;
      out = add(std::move(n));
    }
    return true;
  }

  bool parse_and(uint32_t& out) {
    if (!parse_unary(out)) return false;
    while (is_word(peek(), "and")) {
      take();
      uint32_t right = 0;
      if (!parse_unary(right)) return false;
      Node n;
      n.op = Node::Op::kAnd;
      n.left = out;
      n.right = right;
      out = add(std::move(n));
    }
    return true;
  }

  bool parse_unary(uint32_t& out) {
    if (is_word(peek(), "not")) {
      take();
      uint32_t inner = 0;
      if (!parse_unary(inner)) return false;
      Node n;
      n.op = Node::Op::kNot;
      n.left = inner;
      out = add(std::move(n));
      return true;
    }
    return parse_compare(out);
  }

  bool parse_compare(uint32_t& out) {
    const size_t start = peek().pos;
    if (peek().kind == Tok::kLParen) {
      take();
      if (!parse_or(out)) return false;
      if (peek().kind != Tok::kRParen)
        return fail(peek().pos, "expected ')', got '" + describe(peek()) + "'");
      take();
      return true;
    }
    Node n;
    if (!parse_operand(n.a)) return false;
    if (peek().kind == Tok::kCmp) {
      const Token& op = take();
      n.op = Node::Op::kCompare;
      n.cmp = op.text == "=="   ? Node::Cmp::kEq
              : op.text == "!=" ? Node::Cmp::kNe
              : op.text == "<"  ? Node::Cmp::kLt
              : op.text == "<=" ? Node::Cmp::kLe
              : op.text == ">"  ? Node::Cmp::kGt
                                : Node::Cmp::kGe;
      const size_t right_pos = peek().pos;
      if (!parse_operand(n.b)) return false;
      settle_any_kind(n.a.type, n.b.type);
      if (n.a.type != n.b.type) {
        return fail(right_pos, std::string("cannot compare ") + kind_name(n.a.type) + " with " +
                                   kind_name(n.b.type));
      }
      const bool ordered = n.cmp != Node::Cmp::kEq && n.cmp != Node::Cmp::kNe;
      if (ordered && n.a.type == FeatureValue::Kind::kBool) {
        return fail(op.pos, "'" + op.text + "' does not apply to booleans");
      }
      out = add(std::move(n));
      return true;
    }
    if (is_word(peek(), "in")) {
      take();
      n.op = Node::Op::kIn;
      if (peek().kind != Tok::kLBracket) return fail(peek().pos, "expected '[' after 'in'");
      take();
      while (true) {
        const size_t item_pos = peek().pos;
        Operand item;
        if (!parse_literal(item)) return false;
        if (n.a.type == FeatureCatalog::kAnyKind) n.a.type = item.type;
        if (item.type != n.a.type) {
          return fail(item_pos, std::string("list item is ") + kind_name(item.type) +
                                    ", expected " + kind_name(n.a.type));
        }
        n.list.push_back(item);
        if (peek().kind == Tok::kComma) {
          take();
          continue;
        }
        if (peek().kind == Tok::kRBracket) {
          take();
          break;
        }
        return fail(peek().pos, "expected ',' or ']', got '" + describe(peek()) + "'");
      }
      out = add(std::move(n));
      return true;
    }
    if (n.a.type != FeatureValue::Kind::kBool && n.a.type != FeatureCatalog::kAnyKind) {
      return fail(start,
                  std::string("a condition must be a boolean, this is ") + kind_name(n.a.type));
    }
    n.op = Node::Op::kTest;
    out = add(std::move(n));
    return true;
  }

  bool parse_literal(Operand& o) {
    const Token& t = peek();
    if (t.kind == Tok::kNumber) {
      take();
      o.kind = Operand::Kind::kNumber;
      o.type = FeatureValue::Kind::kNumber;
      o.number = t.number;
      return true;
    }
    if (t.kind == Tok::kString) {
      take();
      rule_.strings_.push_back(std::make_unique<std::string>(t.text));
      o.kind = Operand::Kind::kString;
      o.type = FeatureValue::Kind::kString;
      o.text = *rule_.strings_.back();
      return true;
    }
    if (is_word(t, "true") || is_word(t, "false")) {
      take();
      o.kind = Operand::Kind::kBool;
      o.type = FeatureValue::Kind::kBool;
      o.flag = t.text == "true";
      return true;
    }
    return fail(t.pos, "expected a number, a string, true or false, got '" + describe(t) + "'");
  }

  bool parse_operand(Operand& o) {
    const Token& t = peek();
    if (t.kind == Tok::kName && t.text != "true" && t.text != "false") {
      if (t.text == "days_since") return parse_days_since(o);
      if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in") {
        return fail(t.pos, "expected a value, got '" + t.text + "'");
      }
      take();
      const FeatureCatalog::Feature* f = catalog_.find(t.text);
      if (f == nullptr) return fail(t.pos, "unknown feature '" + t.text + "'");
      o.kind = Operand::Kind::kFeature;
      o.type = f->kind;
      o.feature = f;
      note_read(f);
      return true;
    }
    return parse_literal(o);
  }

  bool parse_days_since(Operand& o) {
    take();
    if (peek().kind != Tok::kLParen) return fail(peek().pos, "expected '(' after days_since");
    take();
    const Token& path = peek();
    if (path.kind != Tok::kName)
      return fail(path.pos, "days_since takes a feature, got '" + describe(path) + "'");
    take();
    const FeatureCatalog::Feature* f = catalog_.find(path.text);
    if (f == nullptr) return fail(path.pos, "unknown feature '" + path.text + "'");
    if (f->kind != FeatureValue::Kind::kNumber && f->kind != FeatureCatalog::kAnyKind) {
      return fail(path.pos, "days_since needs a time (milliseconds), '" + path.text + "' is " +
                                kind_name(f->kind));
    }
    if (peek().kind != Tok::kRParen) return fail(peek().pos, "expected ')'");
    take();
    o.kind = Operand::Kind::kDaysSince;
    o.type = FeatureValue::Kind::kNumber;
    o.feature = f;
    note_read(f);
    rule_.depends_on_time_ = true;
    return true;
  }

  // A feature of any kind (a trait) is compared as the kind on the other side; a key whose value
  // is of another kind compares as missing.
  static void settle_any_kind(FeatureValue::Kind& a, FeatureValue::Kind& b) {
    if (a == FeatureCatalog::kAnyKind) a = b;
    if (b == FeatureCatalog::kAnyKind) b = a;
  }

  void note_read(const FeatureCatalog::Feature* f) {
    if (f->changes == FeatureCatalog::Changes::kAlsoWithTime) rule_.depends_on_time_ = true;
    if (std::find(rule_.reads_.begin(), rule_.reads_.end(), f) == rule_.reads_.end())
      rule_.reads_.push_back(f);
  }

  SegmentRule& rule_;
  std::vector<Token> tokens_;
  const FeatureCatalog& catalog_;
  size_t at_ = 0;
  CompileError* err_ = nullptr;
};

Result<SegmentRule> SegmentRule::compile(std::string_view text, const FeatureCatalog& catalog,
                                         Error* error) {
  auto report = [&](const CompileError& e) -> Status {
    if (error != nullptr) *error = {e.pos, e.reason};
    return {Errc::kInvalidArgument, "at " + std::to_string(e.pos) + ": " + e.reason};
  };
  CompileError err{0, ""};
  if (text.size() > 4096) return report({0, "the rule is longer than 4096 bytes"});
  auto tokens = Lexer(text).run(err);
  if (!tokens) return report(err);
  if (tokens->size() == 1) return report({0, "the rule is empty"});
  SegmentRule rule;
  rule.text_ = std::string(text);
  SegmentRuleCompiler compiler(rule, std::move(tokens).value(), catalog);
  if (!compiler.compile(err)) return report(err);
  return rule;
}

// Three-valued evaluation: kUnknown where a feature is missing.
class SegmentRuleEvaluator {
 public:
  enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

  SegmentRuleEvaluator(const SegmentRule& rule, uint32_t slot, EventTime now)
      : rule_(rule), slot_(slot), now_(now) {}

  Tri eval(uint32_t index) const {
    const SegmentRule::Node& n = rule_.nodes_[index];
    switch (n.op) {
      case SegmentRule::Node::Op::kOr: {
        const Tri l = eval(n.left);
        if (l == Tri::kTrue) return Tri::kTrue;
        const Tri r = eval(n.right);
        if (r == Tri::kTrue) return Tri::kTrue;
        return l == Tri::kUnknown || r == Tri::kUnknown ? Tri::kUnknown : Tri::kFalse;
      }
      case SegmentRule::Node::Op::kAnd: {
        const Tri l = eval(n.left);
        if (l == Tri::kFalse) return Tri::kFalse;
        const Tri r = eval(n.right);
        if (r == Tri::kFalse) return Tri::kFalse;
        return l == Tri::kUnknown || r == Tri::kUnknown ? Tri::kUnknown : Tri::kTrue;
      }
      case SegmentRule::Node::Op::kNot: {
        const Tri v = eval(n.left);
        return v == Tri::kUnknown ? v : v == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
      }
      case SegmentRule::Node::Op::kTest: {
        const FeatureValue v = value(n.a);
        if (v.kind != FeatureValue::Kind::kBool) return Tri::kUnknown;
        return v.flag ? Tri::kTrue : Tri::kFalse;
      }
      case SegmentRule::Node::Op::kCompare:
        return compare(n.cmp, value(n.a), value(n.b));
      case SegmentRule::Node::Op::kIn: {
        const FeatureValue v = value(n.a);
        if (v.kind == FeatureValue::Kind::kMissing) return Tri::kUnknown;
        for (const SegmentRule::Operand& item : n.list) {
          if (compare(SegmentRule::Node::Cmp::kEq, v, value(item)) == Tri::kTrue) return Tri::kTrue;
        }
        return Tri::kFalse;
      }
    }
    return Tri::kUnknown;
  }

 private:
  FeatureValue value(const SegmentRule::Operand& o) const {
    switch (o.kind) {
      case SegmentRule::Operand::Kind::kNumber:
        return FeatureValue::of_number(o.number);
      case SegmentRule::Operand::Kind::kString:
        return FeatureValue::of_string(o.text);
      case SegmentRule::Operand::Kind::kBool:
        return FeatureValue::of_bool(o.flag);
      case SegmentRule::Operand::Kind::kFeature:
        return o.feature->get(slot_, now_);
      case SegmentRule::Operand::Kind::kDaysSince: {
        const FeatureValue t = o.feature->get(slot_, now_);
        if (t.kind != FeatureValue::Kind::kNumber) return FeatureValue::missing();
        return FeatureValue::of_number(
            std::floor((static_cast<double>(now_.value()) - t.number) / kMillisPerDay));
      }
    }
    return FeatureValue::missing();
  }

  static Tri compare(SegmentRule::Node::Cmp cmp, const FeatureValue& a, const FeatureValue& b) {
    if (a.kind == FeatureValue::Kind::kMissing || b.kind == FeatureValue::Kind::kMissing ||
        a.kind != b.kind) {
      return Tri::kUnknown;
    }
    int order = 0;
    switch (a.kind) {
      case FeatureValue::Kind::kNumber:
        order = a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
        break;
      case FeatureValue::Kind::kString:
        order = a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
        break;
      case FeatureValue::Kind::kBool:
        order = a.flag == b.flag ? 0 : 1;
        break;
      case FeatureValue::Kind::kMissing:
        return Tri::kUnknown;
    }
    bool holds = false;
    switch (cmp) {
      case SegmentRule::Node::Cmp::kEq:
        holds = order == 0;
        break;
      case SegmentRule::Node::Cmp::kNe:
        holds = order != 0;
        break;
      case SegmentRule::Node::Cmp::kLt:
        holds = order < 0;
        break;
      case SegmentRule::Node::Cmp::kLe:
        holds = order <= 0;
        break;
      case SegmentRule::Node::Cmp::kGt:
        holds = order > 0;
        break;
      case SegmentRule::Node::Cmp::kGe:
        holds = order >= 0;
        break;
    }
    return holds ? Tri::kTrue : Tri::kFalse;
  }

  const SegmentRule& rule_;
  uint32_t slot_;
  EventTime now_;
};

bool SegmentRule::matches(uint32_t slot, EventTime now) const {
  return SegmentRuleEvaluator(*this, slot, now).eval(root_) == SegmentRuleEvaluator::Tri::kTrue;
}

}  // namespace eddy
