#include "connectors/api/import_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "connectors/api/import_census.h"
#include "connectors/api/import_jobs.h"
#include "connectors/api/import_tracker.h"
#include "connectors/match/customer_record_event.h"
#include "runtime/batch_builder.h"
#include "runtime/identity_fields.h"

namespace eddy {
namespace {

constexpr EventType kRecordType{1};
constexpr EventType kMatchedType{2};

// The intake as a test sees it: keeps every batch it takes, refuses the first `busy` calls as
// busy, and settles a batch's acknowledgement with `durable` at once.
struct FakeIntake {
  std::mutex mu;
  std::vector<EventBatch> taken;
  int busy = 0;
  int calls = 0;
  Status refuse;   // refuses every call with this when set
  Status durable;  // what each taken batch's acknowledgement says

  SubmitRecords submit() {
    return [this](const EventBatch& batch, std::function<void(Status)> done) {
      Status ack;
      {
        std::lock_guard lock(mu);
        ++calls;
        if (!refuse) return refuse;
        if (busy > 0) {
          --busy;
          return Status(Errc::kBusy, "the intake is full");
        }
        taken.push_back(batch);
        ack = durable;
      }
      done(ack);
      return Status();
    };
  }

  std::vector<CustomerRecordEvent> records() {
    std::lock_guard lock(mu);
    std::vector<CustomerRecordEvent> out;
    for (const EventBatch& b : taken)
      for (const Event& e : b.events)
        out.push_back(read_customer_record_event(EventRef(e, *b.payload)));
    return out;
  }

  std::vector<std::string> prop_values(std::string_view name) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const EventBatch& b : taken) {
      for (const Event& e : b.events) {
        const PropValue v = EventRef(e, *b.payload).prop(name);
        out.emplace_back(v.kind() == PropKind::kString ? v.as_string() : "");
      }
    }
    return out;
  }
};

struct ImportRun {
  ManualClock clock{WallTime(1'700'000'000'000)};
  FakeIntake intake;
  ImportSettings settings;
  std::shared_ptr<ImportProgress> progress;

  ImportSummary run(std::string body, ImportFormat format, std::string source = "import") {
    ImportRequest request;
    request.body = std::move(body);
    request.format = format;
    request.source = std::move(source);
    request.record_type = kRecordType;
    request.default_phone_region = "DE";
    request.submit = intake.submit();
    progress =
        std::make_shared<ImportProgress>("import_test", settings.max_listed_rejections, clock);
    run_import(request, settings, progress, clock, std::stop_token());
    return progress->summary();
  }
};

std::vector<size_t> lines_of(const std::vector<ImportRejection>& rejections) {
  std::vector<size_t> out;
  for (const ImportRejection& r : rejections)
    out.push_back(r.line);
  return out;
}

TEST(ImportFormat, FollowsTheContentType) {
  EXPECT_EQ(import_format_of("text/csv"), ImportFormat::kCsv);
  EXPECT_EQ(import_format_of("Text/CSV; charset=utf-8"), ImportFormat::kCsv);
  EXPECT_EQ(import_format_of("application/x-ndjson"), ImportFormat::kNdjson);
  EXPECT_EQ(import_format_of("application/json"), ImportFormat::kNdjson);
  EXPECT_EQ(import_format_of("application/jsonl"), ImportFormat::kNdjson);
  EXPECT_EQ(import_format_of("application/xml"), std::nullopt);
  EXPECT_EQ(import_format_of(""), std::nullopt);
}

TEST(ImportSource, IsShortLowerCaseAndSafeInAnId) {
  EXPECT_TRUE(is_import_source("import"));
  EXPECT_TRUE(is_import_source("crm_2-eu"));
  EXPECT_FALSE(is_import_source(""));
  EXPECT_FALSE(is_import_source("CRM"));
  EXPECT_FALSE(is_import_source("a:b"));
  EXPECT_FALSE(is_import_source(std::string(33, 'a')));
}

TEST(ImportJob, ReadsCsvAndRejectsBadRowsWithTheirLines) {
  ImportRun r;
  const ImportSummary s = r.run(
      "id,email,name,postcode\n"
      "1,Anna@Example.com,Anna Schmidt,10115\n"
      "2,\"broken,x\n"  // an unclosed quote swallows the rest: one bad row, the last
      ,
      ImportFormat::kCsv);
  EXPECT_EQ(s.lines, 2u);
  EXPECT_EQ(s.submitted, 1u);
  EXPECT_EQ(s.rejected, 1u);
  ASSERT_EQ(s.rejections.size(), 1u);
  EXPECT_EQ(s.rejections[0].line, 3u);
  EXPECT_EQ(s.rejections[0].code, kMalformedLine);
  EXPECT_FALSE(s.rejections[0].message.starts_with("line ")) << s.rejections[0].message;
  const auto records = r.intake.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.id, "import:1");
  EXPECT_EQ(records[0].record.email, "anna@example.com");
  EXPECT_EQ(records[0].record.first_name, "anna");
  EXPECT_EQ(records[0].record.last_name, "schmidt");
  EXPECT_EQ(records[0].import_id, "import_test");
  EXPECT_EQ(s.state, ImportState::kMatching) << "waits for the index's outcomes";
}

TEST(ImportJob, ReadsNdjsonInEverySpellingItTakes) {
  ImportRun r;
  const ImportSummary s = r.run(
      R"({"id":"a1","email":"a@example.com","firstName":"Ann","lastName":"Lee","tags":["vip"]})"
      "\n"
      R"({"id":42,"phone":3012345678,"name":"Bo Berg","address":{"street":"Hauptstr. 5","postalCode":10115,"city":"Berlin","country":"DE"}})"
      "\n\n"
      R"({"id":"c3","last_name":"Cole","postcode":"SW1A 1AA","country":null})"
      "\n",
      ImportFormat::kNdjson);
  EXPECT_EQ(s.rejected, 0u) << (s.rejections.empty() ? "" : s.rejections[0].message);
  EXPECT_EQ(s.lines, 3u);
  EXPECT_EQ(s.submitted, 3u);
  const auto records = r.intake.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].record.id, "import:a1");
  EXPECT_EQ(records[0].record.first_name, "ann");
  EXPECT_EQ(records[1].record.id, "import:42");
  EXPECT_EQ(records[1].record.phone, "+493012345678");
  EXPECT_EQ(records[1].record.first_name, "bo");
  EXPECT_EQ(records[1].record.street, "hauptstrasse 5");
  EXPECT_EQ(records[1].record.postcode, "10115");
  EXPECT_EQ(records[1].record.country, "DE");
  EXPECT_EQ(records[2].record.postcode, "SW1A1AA");
  EXPECT_EQ(r.intake.prop_values("traits.postcode")[1], "10115");
}

TEST(ImportJob, RejectsEachBadNdjsonLineAndGoesOn) {
  ImportRun r;
  const ImportSummary s = r.run(
      "{\"id\":\"ok1\",\"email\":\"x@example.com\"}\n"        // 1
      "{not json\n"                                           // 2
      "[1,2]\n"                                               // 3
      "{\"id\":\"b\",\"email\":true}\n"                       // 4
      "{\"id\":\"c\",\"name\":\"A B\",\"lastName\":\"B\"}\n"  // 5
      "{\"id\":\"d\",\"postcode\":\"1\",\"address\":{\"postcode\":\"2\"},\"email\":\"d@e.de\"}\n"
      "{\"id\":\"e\",\"phone\":1.5}\n"            // 7
      "{\"id\":\"f\",\"first_name\":\"Only\"}\n"  // 8: nothing to match by
      "{\"email\":\"no-id@example.com\"}\n"       // 9
      "{\"id\":\"ok2\",\"phone\":\"+49 30 1234567\",\"mood\":{\"deep\":[1]}}\n",  // 10
      ImportFormat::kNdjson);
  EXPECT_EQ(s.lines, 10u);
  EXPECT_EQ(s.submitted, 2u);
  EXPECT_EQ(s.rejected, 8u);
  EXPECT_EQ(lines_of(s.rejections), (std::vector<size_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  const std::map<size_t, std::string_view> codes{
      {2, kMalformedLine}, {3, kMalformedLine}, {4, kInvalidField},  {5, kInvalidField},
      {6, kInvalidField},  {7, kInvalidField},  {8, kInvalidRecord}, {9, kInvalidRecord}};
  for (const ImportRejection& rejection : s.rejections) {
    SCOPED_TRACE(rejection.line);
    EXPECT_EQ(rejection.code, codes.at(rejection.line)) << rejection.message;
    EXPECT_EQ(rejection.message.find("no-id@example.com"), std::string::npos);
  }
}

TEST(ImportJob, RefusesAJsonArrayAndABadCsvHeaderBeforeAnyRecord) {
  ImportBodyReader array("[{\"id\":\"1\"}]", ImportFormat::kNdjson, 32);
  EXPECT_FALSE(array.start().is_ok());
  EXPECT_FALSE(array.next().has_value());
  ImportBodyReader header("email,phone\nx@example.com,1\n", ImportFormat::kCsv, 32);
  const Status s = header.start();
  EXPECT_NE(s.message().find("no 'id' column"), std::string::npos) << s.message();
}

TEST(ImportJob, PrefixesIdsWithTheSourceAndRefusesIdsThatCannotBeKeys) {
  ImportRun r;
  const std::string long_id(250, 'x');
  const ImportSummary s = r.run(
      "id,email\n"
      "7,a@example.com\n" +
          long_id +
          ",b@example.com\n"
          "\"x\x01y\",c@example.com\n",
      ImportFormat::kCsv, "shop-eu");
  ASSERT_EQ(r.intake.records().size(), 1u);
  EXPECT_EQ(r.intake.records()[0].record.id, "shop-eu:7");
  ASSERT_EQ(s.rejections.size(), 2u);
  EXPECT_EQ(s.rejections[0].line, 3u);
  EXPECT_EQ(s.rejections[0].code, kInvalidId);
  EXPECT_EQ(s.rejections[1].line, 4u);
  EXPECT_EQ(s.rejections[1].code, kInvalidId);
}

TEST(ImportJob, RejectsALaterLineWithAnIdAlreadyImported) {
  ImportRun r;
  const ImportSummary s = r.run(
      "id,email\n"
      "1,a@example.com\n"
      "2,b@example.com\n"
      " 1 ,c@example.com\n",
      ImportFormat::kCsv);
  EXPECT_EQ(s.submitted, 2u);
  ASSERT_EQ(s.rejections.size(), 1u);
  EXPECT_EQ(s.rejections[0].line, 4u);
  EXPECT_EQ(s.rejections[0].code, kDuplicateId);
  EXPECT_NE(s.rejections[0].message.find("line 2"), std::string::npos) << s.rejections[0].message;
}

TEST(ImportJob, DoesNotMatchOnAnEmailOrPhoneTooManyRecordsShare) {
  ImportRun r;
  r.settings.max_records_per_key = 2;
  const ImportSummary s = r.run(
      "id,email,phone,last_name\n"
      "1,NoEmail@example.com,+49 30 11111111,A\n"
      "2,noemail@example.com ,+49 30 22222222,B\n"
      "3,noemail@example.com,+49 30 22222222,C\n"
      "4,real@example.com,+49 30 22222222,D\n",
      ImportFormat::kCsv);
  EXPECT_EQ(s.placeholders, 2u) << "one email and one phone, counted, never listed";
  const auto records = r.intake.records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].record.email, "") << "not matched on";
  EXPECT_EQ(records[0].record.phone, "+493011111111");
  EXPECT_EQ(records[1].record.phone, "") << "three records share it";
  EXPECT_EQ(records[3].record.email, "real@example.com");
  EXPECT_EQ(r.intake.prop_values("traits.email")[0], "noemail@example.com") << "still a trait";
}

TEST(ImportJob, SubmitsInBatchesAndRetriesABusyIntake) {
  ImportRun r;
  r.settings.batch_events = 2;
  r.settings.pacing.first_backoff = std::chrono::milliseconds(1);
  r.intake.busy = 3;
  const ImportSummary s = r.run("id,last_name\n1,A\n2,B\n3,C\n4,D\n5,E\n", ImportFormat::kCsv);
  EXPECT_EQ(s.submitted, 5u);
  EXPECT_EQ(r.intake.taken.size(), 3u);
  EXPECT_EQ(r.intake.calls, 6) << "three batches, the first asked four times";
  EXPECT_EQ(s.state, ImportState::kMatching);
}

TEST(ImportJob, FailsWhenTheIntakeStopsAndKeepsWhatWasSubmitted) {
  ImportRun r;
  r.settings.batch_events = 1;
  r.intake.refuse = Status(Errc::kStopped, "the engine is stopping");
  const ImportSummary s = r.run("id,last_name\n1,A\n2,B\n", ImportFormat::kCsv);
  EXPECT_EQ(s.state, ImportState::kFailed);
  EXPECT_NE(s.error.find("the engine is stopping"), std::string::npos) << s.error;
  EXPECT_TRUE(s.finished_at.has_value());
  EXPECT_EQ(r.intake.calls, 1) << "not asked again";
}

TEST(ImportJob, FailsWhenABatchDoesNotBecomeDurable) {
  ImportRun r;
  r.settings.batch_events = 1;
  r.intake.durable = Status(Errc::kIo, "disk full");
  const ImportSummary s = r.run("id,last_name\n1,A\n2,B\n3,C\n", ImportFormat::kCsv);
  EXPECT_EQ(s.state, ImportState::kFailed);
  EXPECT_NE(s.error.find("disk full"), std::string::npos) << s.error;
  EXPECT_EQ(s.submitted, 0u);
}

TEST(ImportJob, ListsTheFirstRejectionsAndCountsTheRest) {
  ImportRun r;
  r.settings.max_listed_rejections = 2;
  const ImportSummary s = r.run("id,last_name\n,A\n,B\n,C\n1,D\n", ImportFormat::kCsv);
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(lines_of(s.rejections), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(s.rejections_unlisted, 1u);
}

TEST(ImportJob, IsDoneAtOnceWhenNothingWasSubmitted) {
  ImportRun r;
  const ImportSummary s = r.run("id,last_name\n,A\n", ImportFormat::kCsv);
  EXPECT_EQ(s.state, ImportState::kDone);
  EXPECT_TRUE(s.finished_at.has_value());
}

TEST(ImportCensus, FindsPlaceholdersAndDuplicatesByHash) {
  ImportCensus census;
  CustomerRecord a;
  a.id = "x";
  a.email = "same@example.com";
  census.add(2, a);
  census.add(3, a);
  a.id = "y";
  census.add(5, a);
  census.seal(2);
  EXPECT_TRUE(census.is_placeholder_email("same@example.com"));
  EXPECT_FALSE(census.is_placeholder_email("other@example.com"));
  EXPECT_FALSE(census.is_placeholder_phone(""));
  EXPECT_EQ(census.placeholders(), 1u);
  EXPECT_EQ(census.earlier_line_with_id(3), 2u);
  EXPECT_EQ(census.earlier_line_with_id(2), std::nullopt);
  EXPECT_EQ(census.earlier_line_with_id(5), std::nullopt);
}

// A "Customer Matched" event as the master customer index emits it.
void add_matched(BatchBuilder& b, EventType type, std::string_view import_id,
                 std::string_view outcome) {
  std::vector<PropDraft> props{{"record_id", PropValue::of_string("import:1")},
                               {"outcome", PropValue::of_string(outcome)}};
  if (!import_id.empty()) props.push_back({"import", PropValue::of_string(import_id)});
  EventDraft d;
  d.key = "customer";
  d.type = type;
  d.props = props;
  b.add(d);
}

TEST(ImportTracker, CountsOutcomesOfTheImportsItTracksAndIgnoresTheRest) {
  ManualClock clock;
  auto progress = std::make_shared<ImportProgress>("import_a", 10, clock);
  ImportTracker tracker(kMatchedType);
  tracker.track(progress);
  progress->start_submitting();
  progress->count_submitted(4);
  BatchBuilder b;
  add_matched(b, kMatchedType, "import_a", "created");
  add_matched(b, kMatchedType, "import_a", "merged");
  add_matched(b, kMatchedType, "import_other", "created");  // a replay of an import not tracked
  add_matched(b, kMatchedType, "", "created");              // an identify's record
  add_matched(b, kRecordType, "import_a", "created");       // not an outcome
  add_matched(b, kMatchedType, "import_a", "updated");
  tracker.write(b.finish());
  ImportSummary s = progress->summary();
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.merged, 1u);
  EXPECT_EQ(s.updated, 1u);
  EXPECT_EQ(s.state, ImportState::kSubmitting);

  progress->finish_submitting();
  EXPECT_EQ(progress->summary().state, ImportState::kMatching) << "3 outcomes of 4";
  add_matched(b, kMatchedType, "import_a", "created");
  tracker.write(b.finish());
  s = progress->summary();
  EXPECT_EQ(s.state, ImportState::kDone);
  EXPECT_EQ(s.created, 2u);
  EXPECT_TRUE(s.finished_at.has_value());

  tracker.forget("import_a");
  add_matched(b, kMatchedType, "import_a", "created");
  tracker.write(b.finish());
  EXPECT_EQ(progress->summary().created, 2u);
  EXPECT_TRUE(tracker.erase_customers({"customer"}).is_ok());
}

TEST(ImportProgress, ReadsAsTheStatusJson) {
  ManualClock clock(WallTime(1'700'000'000'000));
  ImportProgress p("import_x", 10, clock);
  p.count_line();
  p.reject({2, std::string(kInvalidRecord), "no id"});
  p.fail("stopped");
  const boost::json::object json = to_json(p.summary());
  EXPECT_EQ(json.at("import_id"), "import_x");
  EXPECT_EQ(json.at("state"), "failed");
  EXPECT_EQ(json.at("error"), "stopped");
  EXPECT_EQ(json.at("started_at"), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(json.at("rejections").as_array().at(0).as_object().at("line"), 2);
  for (const char* key : {"lines", "submitted", "created", "merged", "updated", "rejected",
                          "placeholders", "rejections_unlisted", "finished_at"})
    EXPECT_TRUE(json.contains(key)) << key;
}

// An intake that is busy until told otherwise.
struct BusyIntake {
  std::atomic<bool> busy{true};
  SubmitRecords submit() {
    return [this](const EventBatch&, std::function<void(Status)> done) {
      if (busy) return Status(Errc::kBusy, "full");
      done(Status());
      return Status();
    };
  }
};

ImportRequest busy_request(BusyIntake& intake) {
  ImportRequest request;
  request.body = "id,last_name\n1,A\n";
  request.format = ImportFormat::kCsv;
  request.record_type = kRecordType;
  request.submit = intake.submit();
  return request;
}

template <typename Check>
bool eventually(Check check) {
  for (int i = 0; i < 1000; ++i) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(ImportJobs, RunsAtMostTheLimitAtOnceAndStopsThoseWaitingOnABusyIntake) {
  ManualClock clock;
  ImportTracker tracker(kMatchedType);
  ImportSettings settings;
  settings.max_concurrent = 1;
  ImportJobs jobs(settings, tracker, clock);
  BusyIntake intake;
  auto first = jobs.start(busy_request(intake));
  ASSERT_TRUE(first.is_ok());
  EXPECT_TRUE(first->starts_with("import_"));
  EXPECT_EQ(first->size(), 7u + 32u);
  auto second = jobs.start(busy_request(intake));
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Errc::kBusy);
  EXPECT_FALSE(jobs.find("import_unknown").has_value());
  ASSERT_TRUE(eventually([&] { return jobs.find(*first)->state == ImportState::kSubmitting; }));

  jobs.stop();
  const ImportSummary stopped = *jobs.find(*first);
  EXPECT_EQ(stopped.state, ImportState::kFailed);
  EXPECT_NE(stopped.error.find("shutting down"), std::string::npos) << stopped.error;
  EXPECT_EQ(jobs.start(busy_request(intake)).status().code(), Errc::kStopped);
}

TEST(ImportJobs, FreesTheSlotOnceSubmittedAndKeepsTheNewestFinished) {
  ManualClock clock;
  ImportTracker tracker(kMatchedType);
  ImportSettings settings;
  settings.max_concurrent = 1;
  settings.kept_finished = 2;
  ImportJobs jobs(settings, tracker, clock);
  BusyIntake intake;
  intake.busy = false;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    Result<std::string> id = Status(Errc::kBusy, "");
    ASSERT_TRUE(eventually([&] {
      id = jobs.start(busy_request(intake));
      return id.is_ok();
    }));
    ids.push_back(*id);
    ASSERT_TRUE(eventually([&] { return jobs.find(*id)->state == ImportState::kMatching; }));
  }
  // The fourth start trimmed to the two newest ended jobs besides the running one.
  EXPECT_FALSE(jobs.find(ids[0]).has_value());
  EXPECT_TRUE(jobs.find(ids[3]).has_value());

  BatchBuilder b;
  add_matched(b, kMatchedType, ids[3], "created");
  tracker.write(b.finish());
  EXPECT_EQ(jobs.find(ids[3])->state, ImportState::kDone);
}

}  // namespace
}  // namespace eddy
