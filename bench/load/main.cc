// eddy-load: see load_options.cc (or run `eddy-load --help`) for what it does and how to drive it.
#include <cstdio>
#include <string_view>
#include <vector>

#include "bench/load/load_client.h"
#include "bench/load/load_options.h"
#include "bench/load/request_source.h"

int main(int argc, char** argv) {
  using namespace eddy::load;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  eddy::Result<LoadOptions> options = parse_load_options(args);
  if (!options) {
    std::fprintf(stderr, "eddy-load: %s\n", options.status().message().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(load_usage().c_str(), stdout);
    return 0;
  }
  eddy::Result<std::unique_ptr<RequestSource>> source = RequestSource::create(*options);
  if (!source) {
    std::fprintf(stderr, "eddy-load: %s\n", source.status().message().c_str());
    return 2;
  }
  eddy::Result<LoadReport> report = run_load(*options, **source);
  if (!report) {
    std::fprintf(stderr, "eddy-load: %s\n", report.status().message().c_str());
    return 2;
  }
  print_report(stdout, *options, (*source)->run_id(), *report);
  return report->events_ok > 0 ? 0 : 1;
}
