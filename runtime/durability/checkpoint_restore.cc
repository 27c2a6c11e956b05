#include "runtime/durability/checkpoint_restore.h"

#include "runtime/log.h"

namespace eddy {

Status check_compatible(const CheckpointManifestData& m, const Engine& engine) {
  const TopologySpec& t = engine.topology();
  const std::string which = "checkpoint " + std::to_string(m.id) + " ";
  if (m.topology != t.name()) {
    return {Errc::kInvalidArgument, which + "holds the state of topology '" + m.topology +
                                        "', and this eddy runs '" + t.name() + "'"};
  }
  if (m.topology_version != t.version()) {
    return {Errc::kInvalidArgument,
            which + "was made by version " + std::to_string(m.topology_version) + " of topology '" +
                t.name() + "', and this is version " + std::to_string(t.version()) +
                ": its state cannot be restored (start with an empty data directory, or "
                "run the version that made it)"};
  }
  if (m.topology_layout != topology_layout(t)) {
    return {Errc::kInvalidArgument,
            which + "was made by topology '" + t.name() + "' version " +
                std::to_string(t.version()) +
                " with other stages or operators than this one has: raise the topology's "
                "version when its operators change"};
  }
  if (m.key_groups != engine.settings().key_groups) {
    return {Errc::kInvalidArgument, which + "has " + std::to_string(m.key_groups) +
                                        " key groups and this eddy " +
                                        std::to_string(engine.settings().key_groups) +
                                        ": the key group count is fixed "
                                        "for a data directory"};
  }
  return {};
}

Result<RestoredCheckpoint> restore_newest_checkpoint(
    const CheckpointStore& store, Engine& engine,
    const std::function<Status(std::string_view name, std::string_view state)>& restore_part) {
  const std::vector<uint64_t> ids = store.committed();
  RestoredCheckpoint out;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    auto loaded = store.load(*it);
    if (!loaded) {
      log_line(LogLevel::kError, "skipping a checkpoint that fails its checks",
               {{"checkpoint", *it}, {"error", loaded.status().message()}});
      ++out.skipped;
      continue;
    }
    if (Status s = check_compatible(loaded->manifest, engine); !s) return s;
    if (loaded->groups.size() != loaded->manifest.key_groups) {
      log_line(LogLevel::kError, "skipping a checkpoint that lacks key groups",
               {{"checkpoint", *it}, {"key_groups", loaded->groups.size()}});
      ++out.skipped;
      continue;
    }
    for (const auto& [name, state] : loaded->parts) {
      if (Status s = restore_part(name, state); !s)
        return Status(s.code(), "checkpoint " + std::to_string(*it) + ", part '" + name +
                                    "': " + s.message());
    }
    if (Status s = engine.restore_key_groups(std::move(loaded->groups)); !s)
      return Status(s.code(), "checkpoint " + std::to_string(*it) + ": " + s.message());
    engine.source().advance_watermark(EventTime(loaded->manifest.watermark));
    out.id = *it;
    out.wal_offset = loaded->manifest.wal_offset;
    return out;
  }
  return out;
}

}  // namespace eddy
