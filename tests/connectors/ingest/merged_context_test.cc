#include "connectors/ingest/merged_context.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace eddy {
namespace {

struct Case {
  const char* name;
  const char* own;     // JSON object or "null"
  const char* shared;  // JSON object or "null"
  std::initializer_list<std::string_view> path;
  const char* expected;  // JSON of the value found, or "absent"
};

TEST(MergedContext, TheMessagesOwnKeysWinAtEveryDepth) {
  const Case cases[] = {
      {"only the batch has it", "{}", R"({"page":{"url":"b"}})", {"page", "url"}, R"("b")"},
      {"only the message has it", R"({"page":{"url":"m"}})", "{}", {"page", "url"}, R"("m")"},
      {"both: the message wins",
       R"({"page":{"url":"m"}})",
       R"({"page":{"url":"b"}})",
       {"page", "url"},
       R"("m")"},
      {"objects merge key by key",
       R"({"campaign":{"source":"m"}})",
       R"({"campaign":{"medium":"b"}})",
       {"campaign", "medium"},
       R"("b")"},
      {"and the message's sibling stays",
       R"({"campaign":{"source":"m"}})",
       R"({"campaign":{"medium":"b"}})",
       {"campaign", "source"},
       R"("m")"},
      {"a non-object hides the batch's object",
       R"({"campaign":"x"})",
       R"({"campaign":{"medium":"b"}})",
       {"campaign", "medium"},
       "absent"},
      {"a message null hides too",
       R"({"campaign":null})",
       R"({"campaign":{"medium":"b"}})",
       {"campaign", "medium"},
       "absent"},
      {"a batch non-object under a message object is ignored",
       R"({"page":{"url":"m"}})",
       R"({"page":"b"})",
       {"page", "referrer"},
       "absent"},
      {"three levels deep",
       R"({"a":{"b":{"c":1}}})",
       R"({"a":{"b":{"d":2}}})",
       {"a", "b", "d"},
       "2"},
      {"missing everywhere", R"({"a":1})", R"({"b":2})", {"c"}, "absent"},
      {"no message context", "null", R"({"page":{"url":"b"}})", {"page", "url"}, R"("b")"},
      {"no batch context", R"({"page":{"url":"m"}})", "null", {"page", "url"}, R"("m")"},
      {"neither", "null", "null", {"page"}, "absent"},
      {"path through a scalar", R"({"page":5})", "{}", {"page", "url"}, "absent"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const boost::json::value own = boost::json::parse(c.own);
    const boost::json::value shared = boost::json::parse(c.shared);
    const MergedContext merged(own.is_object() ? &own.get_object() : nullptr,
                               shared.is_object() ? &shared.get_object() : nullptr);
    const boost::json::value* found = merged.find(c.path);
    if (std::string_view(c.expected) == "absent") {
      EXPECT_EQ(found, nullptr) << boost::json::serialize(*found);
    } else {
      ASSERT_NE(found, nullptr);
      EXPECT_EQ(*found, boost::json::parse(c.expected));
    }
    // The view agrees with the merged object it stands for.
    const boost::json::value whole = merged.materialize();
    const boost::json::value* walked = &whole;
    for (std::string_view key : c.path) {
      walked = walked != nullptr && walked->is_object() ? walked->get_object().if_contains(key)
                                                        : nullptr;
    }
    if (found == nullptr) {
      EXPECT_EQ(walked, nullptr);
    } else if (!found->is_object()) {
      ASSERT_NE(walked, nullptr);
      EXPECT_EQ(*walked, *found);
    }
  }
}

TEST(MergedContext, MaterializeMergesDeeply) {
  const boost::json::value own = boost::json::parse(R"({"a":{"x":1},"b":2,"c":{"y":1}})");
  const boost::json::value shared = boost::json::parse(R"({"a":{"z":3},"b":{"q":1},"d":4})");
  const MergedContext merged(&own.get_object(), &shared.get_object());
  EXPECT_EQ(boost::json::value(merged.materialize()),
            boost::json::parse(R"({"a":{"x":1,"z":3},"b":2,"c":{"y":1},"d":4})"));
}

}  // namespace
}  // namespace eddy
