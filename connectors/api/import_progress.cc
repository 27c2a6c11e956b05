#include "connectors/api/import_progress.h"

#include <boost/json/array.hpp>

#include "connectors/normalize/iso8601.h"

namespace eddy {

std::string_view to_string(ImportState state) {
  switch (state) {
    case ImportState::kReading:
      return "reading";
    case ImportState::kSubmitting:
      return "submitting";
    case ImportState::kMatching:
      return "matching";
    case ImportState::kDone:
      return "done";
    case ImportState::kFailed:
      return "failed";
  }
  return "unknown";
}

boost::json::object to_json(const ImportSummary& s) {
  boost::json::array rejections;
  for (const ImportRejection& r : s.rejections)
    rejections.push_back({{"line", r.line}, {"code", r.code}, {"message", r.message}});
  boost::json::object out{{"import_id", s.id},
                          {"state", to_string(s.state)},
                          {"lines", s.lines},
                          {"submitted", s.submitted},
                          {"created", s.created},
                          {"merged", s.merged},
                          {"updated", s.updated},
                          {"matched", s.matched},
                          {"rejected", s.rejected},
                          {"placeholders", s.placeholders},
                          {"rejections", std::move(rejections)},
                          {"rejections_unlisted", s.rejections_unlisted},
                          {"started_at", format_iso8601(EventTime(s.started_at.value()))}};
  if (s.finished_at) out["finished_at"] = format_iso8601(EventTime(s.finished_at->value()));
  if (s.state == ImportState::kFailed) out["error"] = s.error;
  return out;
}

ImportProgress::ImportProgress(std::string id, size_t max_listed_rejections, const Clock& clock)
    : id_(std::move(id)), max_listed_rejections_(max_listed_rejections), clock_(clock) {
  summary_.id = id_;
  summary_.started_at = clock_.now();
}

void ImportProgress::count_line() {
  std::lock_guard lock(mu_);
  ++summary_.lines;
}

void ImportProgress::count_placeholders(uint64_t n) {
  std::lock_guard lock(mu_);
  summary_.placeholders += n;
}

void ImportProgress::reject(ImportRejection rejection) {
  std::lock_guard lock(mu_);
  ++summary_.rejected;
  if (summary_.rejections.size() < max_listed_rejections_) {
    summary_.rejections.push_back(std::move(rejection));
  } else {
    ++summary_.rejections_unlisted;
  }
}

void ImportProgress::start_submitting() {
  std::lock_guard lock(mu_);
  if (summary_.state == ImportState::kReading) summary_.state = ImportState::kSubmitting;
}

void ImportProgress::count_submitted(uint64_t n) {
  std::lock_guard lock(mu_);
  summary_.submitted += n;
}

void ImportProgress::finish_submitting() {
  std::lock_guard lock(mu_);
  if (summary_.state == ImportState::kFailed) return;
  summary_.state = ImportState::kMatching;
  finish_if_matched();
}

void ImportProgress::fail(std::string error) {
  std::lock_guard lock(mu_);
  if (summary_.state == ImportState::kFailed || summary_.state == ImportState::kDone) return;
  summary_.state = ImportState::kFailed;
  summary_.error = std::move(error);
  summary_.finished_at = clock_.now();
}

void ImportProgress::count_outcome(std::string_view outcome) {
  std::lock_guard lock(mu_);
  ++summary_.matched;
  if (outcome == "created") {
    ++summary_.created;
  } else if (outcome == "merged") {
    ++summary_.merged;
  } else if (outcome == "updated") {
    ++summary_.updated;
  }
  finish_if_matched();
}

void ImportProgress::finish_if_matched() {
  if (summary_.state != ImportState::kMatching || summary_.matched < summary_.submitted) return;
  summary_.state = ImportState::kDone;
  summary_.finished_at = clock_.now();
}

ImportSummary ImportProgress::summary() const {
  std::lock_guard lock(mu_);
  return summary_;
}

}  // namespace eddy
