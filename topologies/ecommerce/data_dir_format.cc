#include "topologies/ecommerce/data_dir_format.h"

#include <array>
#include <charconv>
#include <filesystem>
#include <string_view>

#include "runtime/durability/wal_format.h"
#include "runtime/durability/wal_storage.h"
#include "runtime/whole_file.h"

namespace eddy {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMarkerName = "EDDY";
constexpr std::string_view kMarkerPrefix = "eddy data directory, format ";

// What eddy itself puts in a data directory, and its configuration file, which people keep
// beside the data.
bool is_eddy_entry(const std::string& name) {
  static constexpr std::array<std::string_view, 7> kEntries = {
      "wal", "checkpoints", "out", "LOCK", "webhook-ids.log", "EDDY.tmp", "eddy.toml"};
  for (std::string_view e : kEntries) {
    if (name == e) return true;
  }
  return false;
}

Status check_marker(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return {Errc::kIo, "cannot read " + path + ": " + text.status().message()};
  std::string_view t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r'))
    t.remove_suffix(1);
  int format = 0;
  const std::string_view number = t.substr(std::min(t.size(), kMarkerPrefix.size()));
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), format);
  if (!t.starts_with(kMarkerPrefix) || ec != std::errc() || end != number.data() + number.size())
    return {Errc::kInvalidArgument, path + " is not an eddy data directory's EDDY file"};
  if (format > kDataDirFormat) {
    return {Errc::kInvalidArgument,
            "the data directory was laid out by a newer eddy (format " + std::to_string(format) +
                "; this eddy reads format " + std::to_string(kDataDirFormat) +
                " and older): run that eddy, or give this one another --data-dir"};
  }
  return {};
}

}  // namespace

Status check_data_dir(const std::string& dir) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (ec && !fs::exists(st)) {
    if (ec == std::errc::no_such_file_or_directory) return {};
    return {Errc::kIo, "--data-dir " + dir + ": " + ec.message()};
  }
  if (!fs::exists(st)) return {};
  if (!fs::is_directory(st))
    return {Errc::kInvalidArgument, "--data-dir " + dir + " is not a directory"};
  fs::directory_iterator it(dir, ec);
  if (ec) return {Errc::kIo, "cannot read --data-dir " + dir + ": " + ec.message()};
  std::string foreign;
  bool marked = false;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == kMarkerName) {
      marked = true;
    } else if (!is_eddy_entry(name) && foreign.empty()) {
      foreign = name;
    }
  }
  if (ec) return {Errc::kIo, "cannot read --data-dir " + dir + ": " + ec.message()};
  if (marked) return check_marker(dir + "/" + std::string(kMarkerName));
  if (!foreign.empty()) {
    return {Errc::kInvalidArgument,
            "--data-dir " + dir + " is not an eddy data directory: it holds '" + foreign +
                "' and no EDDY file. Give eddy an empty or new directory; it changes nothing "
                "in this one"};
  }
  return {};
}

Status mark_data_dir(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kMarkerName);
  std::error_code ec;
  if (fs::exists(path, ec)) return {};
  auto storage = posix_wal_storage();
  const std::string temp = path + ".tmp";
  auto file = storage->open(temp, 0);
  if (!file) return file.status();
  const std::string text = std::string(kMarkerPrefix) + std::to_string(kDataDirFormat) + "\n";
  if (Status s = (*file)->write(bytes_of(text)); !s) return s;
  if (Status s = (*file)->sync(); !s) return s;
  file->reset();
  if (Status s = storage->rename(temp, path); !s) return s;
  return storage->sync_dir(dir);
}

}  // namespace eddy
