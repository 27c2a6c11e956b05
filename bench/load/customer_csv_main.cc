// customer-csv: writes the generated customer data set of the de-duplication tests
// (tests/connectors/match/customer_dataset.h) as a CSV import body, for bench/load/import_bench.sh:
//
//   customer-csv RECORDS [SEED] > customers.csv
//
// About 2.2 records per person: duplicates with typos, swapped names and other formats, relatives
// and namesakes, and 1% of people with a placeholder email.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/connectors/match/customer_dataset.h"

namespace {

// A CSV field, quoted when it must be (RFC 4180).
std::string field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: customer-csv RECORDS [SEED] > customers.csv\n");
    return 2;
  }
  const size_t records = std::strtoull(argv[1], nullptr, 10);
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  eddy::CustomerDatasetOptions options{
      .persons = records * 10 / 22, .seed = seed, .placeholder_email_share = 0.01};
  std::printf("id,email,phone,first_name,last_name,street,postcode,city,country\n");
  for (const eddy::LabeledCustomer& c : eddy::generate_customer_dataset(options)) {
    const eddy::RawCustomerRecord& r = c.raw;
    std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s\n", field(r.id).c_str(), field(r.email).c_str(),
                field(r.phone).c_str(), field(r.first_name).c_str(), field(r.last_name).c_str(),
                field(r.street).c_str(), field(r.postcode).c_str(), field(r.city).c_str(),
                field(r.country).c_str());
  }
  return 0;
}
