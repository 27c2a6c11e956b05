#pragma once

#include <string>
#include <vector>

#include "runtime/settings.h"
#include "runtime/status.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {

// The settings of the `eddy` binary. Every one has a flag; `eddy --help` lists them all.
struct EddyOptions {
  std::string http = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string config;
  RuntimeSettings runtime;
  EcommerceSettings ecommerce;
  bool help = false;
};

// Parses `--name value` and `--name=value` flags. Unknown flags and bad values are errors that say
// which flag and why.
Result<EddyOptions> parse_eddy_options(const std::vector<std::string>& args);
std::string eddy_usage();

}  // namespace eddy
