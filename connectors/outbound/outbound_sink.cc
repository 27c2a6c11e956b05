#include "connectors/outbound/outbound_sink.h"

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "connectors/outbound/endpoint_url.h"
#include "connectors/outbound/outbound_message.h"
#include "runtime/log.h"
#include "runtime/this_thread.h"

namespace eddy {

using std::chrono::steady_clock;

namespace {

Result<std::vector<bool>> wanted_types(const WebhookEndpoint& endpoint,
                                       const EventTypeRegistry& types) {
  std::vector<bool> wanted;
  if (endpoint.event_types.empty()) return wanted;
  wanted.assign(types.size() + 1, false);
  for (const std::string& name : endpoint.event_types) {
    const EventType type = types.find(name);
    // A misspelt name would silently filter out everything; the topology knows every name.
    if (type == EventTypeRegistry::kUnknown) {
      return {Errc::kInvalidArgument,
              "outbound endpoint '" + endpoint.name + "': unknown event type '" + name + "'"};
    }
    wanted[type.value()] = true;
  }
  return wanted;
}

}  // namespace

Result<std::shared_ptr<OutboundSink>> OutboundSink::create(std::vector<WebhookEndpoint> endpoints,
                                                           const EventTypeRegistry& types,
                                                           EventSerializer serialize,
                                                           OutboundSettings settings) {
  if (endpoints.empty()) {
    return {Errc::kInvalidArgument, "an outbound sink needs at least one endpoint"};
  }
  if (!serialize) return {Errc::kInvalidArgument, "an outbound sink needs an event serializer"};
  if (settings.io_threads == 0) {
    return {Errc::kInvalidArgument, "an outbound sink needs at least one io thread"};
  }
  std::set<std::string, std::less<>> names;
  for (const WebhookEndpoint& endpoint : endpoints) {
    if (Status s = validate_endpoint(endpoint); !s) return s;
    if (!names.insert(endpoint.name).second) {
      return {Errc::kInvalidArgument, "outbound endpoint '" + endpoint.name + "' is defined twice"};
    }
  }
  const uint64_t seed = settings.random_seed
                            ? *settings.random_seed
                            : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  std::shared_ptr<OutboundSink> sink(
      new OutboundSink(std::move(serialize), settings.clock, std::move(settings.delivered_ids)));
  if (Status s = sink->add_endpoints(std::move(endpoints), types, seed); !s) return s;
  sink->start(settings.io_threads);
  return sink;
}

OutboundSink::OutboundSink(EventSerializer serialize, const Clock* clock,
                           std::shared_ptr<WebhookIdStore> delivered_ids)
    : clock_(clock != nullptr ? clock : &system_clock_),
      serialize_(std::move(serialize)),
      delivered_ids_(std::move(delivered_ids)),
      work_(boost::asio::make_work_guard(io_)) {}

Status OutboundSink::add_endpoints(std::vector<WebhookEndpoint> endpoints,
                                   const EventTypeRegistry& types, uint64_t seed) {
  // Endpoints naming the same file share one writer, so their lines never interleave.
  std::map<std::string, std::shared_ptr<DeadLetterFile>> files;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    WebhookEndpoint& config = endpoints[i];
    OutboundEndpoint::Options options;
    auto wanted = wanted_types(config, types);
    if (!wanted) return wanted.status();
    options.wanted_types = std::move(wanted).value();
    options.url = parse_endpoint_url(config.url).value();  // validated above
    if (!config.secret.empty()) options.secret = WebhookSecret::parse(config.secret).value();
    const std::string path = std::filesystem::path(config.dead_letter_path).lexically_normal();
    auto& file = files[path];
    if (!file) {
      auto opened = DeadLetterFile::open(path);
      if (!opened) return opened.status();
      file = std::move(opened).value();
      dead_letter_files_.push_back(file);
    }
    options.dead_letters = file;
    options.clock = clock_;
    options.delivered_ids = delivered_ids_;
    options.seed = seed + i;
    options.on_drained = [this] { notify_drained(); };
    options.config = std::move(config);
    endpoints_.push_back(std::make_shared<OutboundEndpoint>(io_, std::move(options)));
  }
  return Status::ok();
}

void OutboundSink::start(uint32_t io_threads) {
  for (uint32_t i = 0; i < io_threads; ++i)
    threads_.emplace_back([this] {
      name_this_thread("eddy-outbound");
      io_.run();
    });
}

OutboundSink::~OutboundSink() {
  stop(steady_clock::now());
}

void OutboundSink::write(const EventBatch& batch) {
  std::vector<std::vector<OutboundMessage>> per_endpoint(endpoints_.size());
  for (const Event& raw : batch.events) {
    const EventRef event(raw, *batch.payload);
    // Serialised at most once, and only when some endpoint wants the event; the endpoints share
    // the body.
    std::shared_ptr<const std::string> body;
    std::string id;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      if (!endpoints_[i]->wants(event.type())) continue;
      if (!body) {
        body = std::make_shared<const std::string>(serialize_(event));
        id = webhook_id_for(event, *body);
      }
      OutboundMessage message;
      message.id = id;
      message.body = body;
      per_endpoint[i].push_back(std::move(message));
    }
  }
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!per_endpoint[i].empty()) endpoints_[i]->enqueue(std::move(per_endpoint[i]));
  }
}

OutboundStopResult OutboundSink::stop(steady_clock::time_point deadline) {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return stop_result_;
  for (const auto& endpoint : endpoints_)
    endpoint->close_intake();
  for (const auto& endpoint : endpoints_)
    endpoint->drain_until(deadline);
  const bool drained = wait_drained(deadline);
  if (!drained) {
    for (const auto& endpoint : endpoints_)
      endpoint->abort();
    // abort() does no network I/O, only dead-letter writes, so this wait is short.
    wait_drained(steady_clock::time_point::max());
  }
  // Handlers still queued belong to connections abort() closed; they have nothing left to do.
  work_.reset();
  io_.stop();
  for (std::thread& thread : threads_)
    thread.join();
  const bool was_running = !threads_.empty();
  threads_.clear();
  stopped_ = true;
  stop_result_ = drained ? OutboundStopResult::kDrained : OutboundStopResult::kDeadLettered;
  if (was_running) {
    log_line(LogLevel::kInfo, "outbound sink stopped",
             {{"drained", drained}, {"endpoints", endpoints_.size()}});
  }
  return stop_result_;
}

void OutboundSink::visit(const std::function<void(const OutboundEndpointMetrics&)>& visitor) const {
  for (const auto& endpoint : endpoints_)
    visitor(endpoint->metrics());
}

bool OutboundSink::all_drained() const {
  for (const auto& endpoint : endpoints_) {
    if (endpoint->held() != 0) return false;
  }
  return true;
}

bool OutboundSink::wait_drained(steady_clock::time_point deadline) {
  std::unique_lock lock(drain_mu_);
  if (deadline == steady_clock::time_point::max()) {
    drained_cv_.wait(lock, [this] { return all_drained(); });
    return true;
  }
  return drained_cv_.wait_until(lock, deadline, [this] { return all_drained(); });
}

void OutboundSink::notify_drained() {
  // Taking the lock orders this notification after a waiter's check of held(), so that it
  // cannot fall between that check and the wait.
  { std::lock_guard lock(drain_mu_); }
  drained_cv_.notify_all();
}

Result<uint64_t> OutboundSink::erase_customers(const std::unordered_set<std::string>& ids) {
  uint64_t erased = 0;
  for (const auto& file : dead_letter_files_) {
    auto n = file->erase_customers(ids);
    if (!n) return n;
    erased += *n;
  }
  return erased;
}

}  // namespace eddy
