// stat: watches a path's attributes (libev's ev_stat). Fires when the path is
// created, deleted or changes (size, times, inode, mode, links, owner).
// The comparison lives here; backends decide when to look again (kernel
// notification, and polling every `interval` seconds as the fallback).
#ifndef GREENHUB_WATCHERS_STAT_H_
#define GREENHUB_WATCHERS_STAT_H_

#include <sys/stat.h>

#include <string>

#include "../watcher.h"

namespace greenhub {

// The fields JS sees, as doubles, in this order. A path that does not exist
// (or has no links left) has no attributes.
enum StatField {
  kStatDev,
  kStatIno,
  kStatMode,
  kStatNlink,
  kStatUid,
  kStatGid,
  kStatRdev,
  kStatSize,
  kStatBlksize,
  kStatBlocks,
  kStatAtime,
  kStatMtime,
  kStatCtime,
  kStatFieldCount,
};

struct StatAttr {
  bool exists = false;
  double fields[kStatFieldCount] = {};
};

// libev's defaults: 0 means "about 5 seconds"; shorter intervals are raised
// to the minimum.
constexpr double kStatDefaultInterval = 5.0074891;
constexpr double kStatMinInterval = 0.1074891;

class StatWatcher : public Watcher {
 public:
  StatWatcher(Loop& loop, std::string path, double interval)
      : Watcher(loop, Kind::kStat), path_(std::move(path)), interval_(interval) {}

  const std::string& path() const { return path_; }
  // The interval in effect: the requested one, defaulted and clamped.
  double interval() const;
  const StatAttr& attr() const { return attr_; }
  const StatAttr& prev() const { return prev_; }

 protected:
  // Takes the first snapshot; call from DoStart.
  void Snapshot();
  // Stats the path again and fires when anything changed.
  void Check();

 private:
  static StatAttr Read(const std::string& path);
  std::string path_;
  double interval_;
  StatAttr attr_;
  StatAttr prev_;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_STAT_H_
