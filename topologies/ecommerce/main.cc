// eddy: serves the ecommerce topology.

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "connectors/ndjson_file_sink.h"
#include "operators/builtin.h"
#include "runtime/engine.h"
#include "runtime/log.h"
#include "topologies/ecommerce/ecommerce.h"
#include "topologies/ecommerce/options.h"

namespace {

int fail(const eddy::Status& s) {
  eddy::log_line(eddy::LogLevel::kError, s.message(), {{"code", eddy::errc_name(s.code())}});
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace eddy;
  auto options = parse_eddy_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::fprintf(stderr, "eddy: %s\n", options.status().message().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(eddy_usage().c_str(), stdout);
    return 0;
  }

  // Blocked before any thread starts, so every thread inherits the mask and only sigwait below
  // receives SIGINT and SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::error_code ec;
  std::filesystem::create_directories(options->data_dir, ec);
  if (ec) return fail({Errc::kIo, "--data-dir " + options->data_dir + ": " + ec.message()});

  auto registry = std::make_shared<OperatorRegistry>();
  if (Status s = register_builtin_operators(*registry); !s) return fail(s);
  auto topology = make_ecommerce_topology(registry, options->ecommerce);
  if (!topology) return fail(topology.status());

  // Until the outbound webhooks exist, every output of the topology is appended to an NDJSON file
  // in the data directory, one per sink, and every side output (late, rejected, ...) to another.
  const std::string out_dir = options->data_dir + "/out";
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail({Errc::kIo, out_dir + ": " + ec.message()});
  auto types = std::make_shared<EventTypeRegistry>(topology->types());
  EngineOptions engine_options;
  for (const StageSpec& stage : topology->stages()) {
    for (const SinkSpec& sink : stage.sinks) {
      auto file = NdjsonFileSink::open(out_dir + "/" + sink.name + ".ndjson", types);
      if (!file) return fail(file.status());
      engine_options.sinks[sink.name] = std::move(file).value();
    }
  }
  auto side = NdjsonFileSink::open(out_dir + "/side_outputs.ndjson", types);
  if (!side) return fail(side.status());
  engine_options.side_sinks[std::string(kAnySideOutput)] = std::move(side).value();
  engine_options.settings = options->runtime;
  auto engine = Engine::create(std::move(topology).value(), std::move(engine_options));
  if (!engine) return fail(engine.status());
  if (Status s = (*engine)->start(); !s) return fail(s);
  log_line(LogLevel::kInfo, "eddy started",
           {{"topology", (*engine)->topology().name()},
            {"workers", (*engine)->workers()},
            {"key_groups", (*engine)->settings().key_groups},
            {"data_dir", options->data_dir},
            {"http", options->http_listen},
            {"note", "the HTTP edge is not part of this build yet; the engine runs in-process"}});

  int received = 0;
  sigwait(&signals, &received);
  log_line(LogLevel::kInfo, "stopping: draining accepted events", {{"signal", received}});
  if (Status s = (*engine)->stop(); !s) return fail(s);
  log_line(LogLevel::kInfo, "eddy stopped");
  return 0;
}
