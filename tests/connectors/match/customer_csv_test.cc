#include "connectors/match/customer_csv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace eddy {
namespace {

// Every row of `body` after its header, which must be good.
std::vector<CustomerCsvRow> read_all(std::string_view body) {
  CustomerCsvReader reader(body);
  const Status header = reader.read_header();
  EXPECT_TRUE(header.is_ok()) << header.to_string();
  std::vector<CustomerCsvRow> rows;
  while (std::optional<CustomerCsvRow> row = reader.next())
    rows.push_back(std::move(*row));
  return rows;
}

// The message read_header gives for a header line.
std::string header_error(std::string_view body) {
  CustomerCsvReader reader(body);
  const Status status = reader.read_header();
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), Errc::kInvalidArgument);
  EXPECT_FALSE(reader.next().has_value());
  return status.message();
}

TEST(CustomerCsv, ReadsColumnsInAnyOrderCaseAndSpacing) {
  const std::vector<CustomerCsvRow> rows = read_all(
      " Email ,ID,last_name,First_Name,PHONE,street,postcode,city,country\n"
      "ann@example.com,C1,Smith,Ann,+44 7911 123456,10 High St,SW1A 1AA,London,UK\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].line, 2u);
  ASSERT_TRUE(rows[0].record.is_ok()) << rows[0].record.status().to_string();
  RawCustomerRecord expected;
  expected.id = "C1";
  expected.email = "ann@example.com";
  expected.phone = "+44 7911 123456";
  expected.first_name = "Ann";
  expected.last_name = "Smith";
  expected.street = "10 High St";
  expected.postcode = "SW1A 1AA";
  expected.city = "London";
  expected.country = "UK";
  EXPECT_EQ(*rows[0].record, expected);
}

TEST(CustomerCsv, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  const std::vector<CustomerCsvRow> rows = read_all(
      "id,name,street\n"
      "1,\"Smith, Ann\",\"Flat 2\n10 High Street\"\n"
      "2,\"Bob \"\"Bobby\"\" Jones\",\"\"\n"
      "3,Carol White,\"1 \"\"The Lane\"\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].record->last_name, "Ann");  // split at the last space, as documented
  EXPECT_EQ(rows[0].record->first_name, "Smith,");
  EXPECT_EQ(rows[0].record->street, "Flat 2\n10 High Street");
  EXPECT_EQ(rows[1].line, 4u);  // the line break inside quotes counts
  EXPECT_EQ(rows[1].record->first_name, "Bob \"Bobby\"");
  EXPECT_EQ(rows[1].record->last_name, "Jones");
  EXPECT_EQ(rows[1].record->street, "");
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[2].record->street, "1 \"The Lane\"");
}

TEST(CustomerCsv, SplitsAFullNameAtItsLastSpace) {
  const std::vector<CustomerCsvRow> rows =
      read_all("id,name\n1,Anne Marie Smith\n2,Madonna\n3,  Ann   Smith  \n4,\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].record->first_name, "Anne Marie");
  EXPECT_EQ(rows[0].record->last_name, "Smith");
  EXPECT_EQ(rows[1].record->first_name, "");
  EXPECT_EQ(rows[1].record->last_name, "Madonna");
  EXPECT_EQ(rows[2].record->first_name, "Ann");
  EXPECT_EQ(rows[2].record->last_name, "Smith");
  EXPECT_EQ(rows[3].record->last_name, "");
}

TEST(CustomerCsv, TakesCrlfOrLfSkipsEmptyLinesAndAByteOrderMark) {
  const std::string bodies[] = {
      "id,email\r\n1,a@example.com\r\n2,b@example.com\r\n",
      "id,email\n1,a@example.com\n2,b@example.com",
      "\xEF\xBB\xBFid,email\n1,a@example.com\n\n\r\n2,b@example.com\n\n",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    const std::vector<CustomerCsvRow> rows = read_all(body);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].record->id, "1");
    EXPECT_EQ(rows[1].record->id, "2");
    EXPECT_EQ(rows[1].record->email, "b@example.com");
  }
  EXPECT_EQ(read_all("\xEF\xBB\xBFid,email\n1,a@example.com\n\n\r\n2,b@example.com\n")[1].line, 5u);
}

struct BadHeader {
  const char* body;
  const char* word;  // the message must say this
};

TEST(CustomerCsv, RefusesAHeaderItCannotUseSayingWhy) {
  const BadHeader cases[] = {
      {"", "empty"},
      {"\n\n", "empty"},
      {"id,email,favourite_colour\n", "unknown column 'favourite_colour'"},
      {"id,email,Email\n", "'email' appears twice"},
      {"email,phone\n1,2\n", "no 'id' column"},
      {"id,name,last_name\n", "'name' cannot be combined"},
      {"id,,email\n", "column 2 has no name"},
      {"id,\"email\n", "not closed"},
      {"id,em\"ail\n", "quote"},
      {"id,\xFF\n", "UTF-8"},
  };
  for (const BadHeader& c : cases) {
    SCOPED_TRACE(c.body);
    const std::string message = header_error(c.body);
    EXPECT_NE(message.find(c.word), std::string::npos) << message;
  }
}

TEST(CustomerCsv, NamesTheKnownColumnsWhenOneIsUnknown) {
  const std::string message = header_error("id,mail\n");
  EXPECT_NE(message.find("id, email, phone, first_name, last_name, name"), std::string::npos)
      << message;
}

struct BadRow {
  std::string row;
  const char* word;
};

TEST(CustomerCsv, RefusesABadRowWithItsLineAndReadsOn) {
  const BadRow cases[] = {
      {"1,Ann", "the row has 2 fields, the header 3"},
      {"1,Ann,Smith,extra", "the row has 4 fields, the header 3"},
      {"1,An\"n,Smith", "a quote inside a field"},
      {"1,\"Ann\"x,Smith", "only a comma or a line break may follow a closing quote"},
      {"1,\"Ann\" ,Smith", "only a comma or a line break may follow a closing quote"},
      {"1,M\xFCller,Smith", "column 2 ('first_name') is not valid UTF-8"},  // Latin-1 'ü'
      {"1,Ann,\xC3\x28", "not valid UTF-8"},                                // cut sequence
      {"1,Ann,\xED\xA0\x80", "not valid UTF-8"},                            // a surrogate
      {"1,Ann,\xC0\xAF", "not valid UTF-8"},                                // overlong '/'
      {"1,Ann,\xF4\x90\x80\x80", "not valid UTF-8"},                        // above U+10FFFF
  };
  for (const BadRow& c : cases) {
    SCOPED_TRACE(c.row);
    const std::vector<CustomerCsvRow> rows =
        read_all("id,first_name,last_name\n0,Good,Row\n" + c.row + "\n2,Bob,Jones\n");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_TRUE(rows[0].record.is_ok());
    ASSERT_FALSE(rows[1].record.is_ok());
    EXPECT_EQ(rows[1].line, 3u);
    EXPECT_EQ(rows[1].record.status().code(), Errc::kInvalidArgument);
    const std::string& message = rows[1].record.status().message();
    EXPECT_NE(message.find(c.word), std::string::npos) << message;
    EXPECT_EQ(message.rfind("line 3: ", 0), 0u) << message;
    EXPECT_EQ(message.find("Ann"), std::string::npos) << "repeats a value: " << message;
    ASSERT_TRUE(rows[2].record.is_ok());
    EXPECT_EQ(rows[2].record->id, "2");
    EXPECT_EQ(rows[2].line, 4u);
  }
}

TEST(CustomerCsv, AcceptsValidUtf8OfEveryLength) {
  const std::vector<CustomerCsvRow> rows =
      read_all("id,first_name,last_name\n1,Jürgen,\xE2\x82\xAC\xF0\x9F\x98\x80\n");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].record.is_ok()) << rows[0].record.status().to_string();
  EXPECT_EQ(rows[0].record->first_name, "Jürgen");
}

TEST(CustomerCsv, ReportsAQuoteLeftOpenAtTheEnd) {
  const std::vector<CustomerCsvRow> rows =
      read_all("id,first_name\n1,Ann\n2,\"Bob\n3,Carol\n4,Dan\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].record.is_ok());
  ASSERT_FALSE(rows[1].record.is_ok());
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_NE(rows[1].record.status().message().find("not closed"), std::string::npos);
}

TEST(CustomerCsv, YieldsNothingWithoutAGoodHeader) {
  CustomerCsvReader unread("id\n1\n");
  EXPECT_FALSE(unread.next().has_value());
  CustomerCsvReader twice("id\n1\n");
  ASSERT_TRUE(twice.read_header().is_ok());
  EXPECT_FALSE(twice.read_header().is_ok());
  ASSERT_TRUE(twice.next().has_value());
}

// Random bytes, rich in the characters the parser cares about, behind a good header and alone:
// the reader must finish every body, and never yield more rows than the body has bytes.
TEST(CustomerCsv, NeverCrashesOrHangsOnGarbage) {
  static constexpr char kAlphabet[] = {',', '"',    '"',    '\n',   '\r',   ' ',    'a',    'b',
                                       '1', '\xC3', '\xA9', '\xFF', '\xEF', '\xBB', '\xBF', '\0'};
  std::mt19937_64 rng(2024);
  size_t rows_seen = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = round % 2 == 0 ? "id,name,email\n" : "";
    const size_t length = rng() % 200;
    for (size_t i = 0; i < length; ++i)
      body += kAlphabet[rng() % sizeof(kAlphabet)];
    CustomerCsvReader reader(body);
    if (!reader.read_header().is_ok()) continue;
    size_t rows = 0;
    while (std::optional<CustomerCsvRow> row = reader.next()) {
      ASSERT_LE(++rows, body.size() + 1) << "the reader does not advance";
      ASSERT_GE(row->line, 2u);
      if (!row->record) {
        ASSERT_EQ(row->record.status().code(), Errc::kInvalidArgument);
      }
    }
    rows_seen += rows;
  }
  EXPECT_GT(rows_seen, 1000u);
}

}  // namespace
}  // namespace eddy
