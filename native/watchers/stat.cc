#include "stat.h"

#include <sys/stat.h>

#include <cstring>

#include "../binding.h"

namespace greenhub {

namespace {

double Seconds(const struct timespec& ts) { return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9; }

bool SameAttr(const StatAttr& a, const StatAttr& b) {
  if (a.exists != b.exists) return false;
  if (!a.exists) return true;
  // atime is left out on purpose: reading a file must not count as a change.
  for (int f : {kStatDev, kStatIno, kStatMode, kStatNlink, kStatUid, kStatGid, kStatRdev, kStatSize, kStatMtime,
                kStatCtime}) {
    if (a.fields[f] != b.fields[f]) return false;
  }
  return true;
}

}  // namespace

double StatWatcher::interval() const {
  if (interval_ == 0) return kStatDefaultInterval;
  return interval_ < kStatMinInterval ? kStatMinInterval : interval_;
}

StatAttr StatWatcher::Read(const std::string& path) {
  StatAttr attr;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || st.st_nlink == 0) return attr;
  attr.exists = true;
  attr.fields[kStatDev] = static_cast<double>(st.st_dev);
  attr.fields[kStatIno] = static_cast<double>(st.st_ino);
  attr.fields[kStatMode] = st.st_mode;
  attr.fields[kStatNlink] = static_cast<double>(st.st_nlink);
  attr.fields[kStatUid] = st.st_uid;
  attr.fields[kStatGid] = st.st_gid;
  attr.fields[kStatRdev] = static_cast<double>(st.st_rdev);
  attr.fields[kStatSize] = static_cast<double>(st.st_size);
  attr.fields[kStatBlksize] = static_cast<double>(st.st_blksize);
  attr.fields[kStatBlocks] = static_cast<double>(st.st_blocks);
  attr.fields[kStatAtime] = Seconds(st.st_atim);
  attr.fields[kStatMtime] = Seconds(st.st_mtim);
  attr.fields[kStatCtime] = Seconds(st.st_ctim);
  return attr;
}

void StatWatcher::Snapshot() {
  attr_ = Read(path_);
  prev_ = attr_;
}

void StatWatcher::Check() {
  if (!active()) return;
  StatAttr now = Read(path_);
  if (SameAttr(now, attr_)) return;
  prev_ = attr_;
  attr_ = now;
  Emit(kStat);
}

}  // namespace greenhub

namespace greenhub {

namespace {

Napi::Value StatInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_TYPE", "The \"path\" argument must be of type string");
    return Napi::Value();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double interval;
  if (!ArgSeconds(info, 1, "interval", &interval)) return Napi::Value();
  if (path.empty() || path.find('\0') != std::string::npos) {
    ThrowTypeError(info.Env(), "ERR_INVALID_ARG_VALUE",
                   "The \"path\" argument must be a non-empty string without null bytes");
    return Napi::Value();
  }
  return NewWatcherId(info.Env(), loop, loop->backend().NewStat(*loop, std::move(path), interval));
}

void PutAttr(const StatAttr& attr, double* out) {
  out[0] = attr.exists ? 1 : 0;
  for (int f = 0; f < kStatFieldCount; f++) out[1 + f] = attr.fields[f];
}

// [exists, fields...] for attr, then the same for prev.
Napi::Value StatRead(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* stat = WatcherArg<StatWatcher>(info, loop, 0, Kind::kStat);
  if (stat == nullptr) return Napi::Value();
  constexpr size_t kSlots = 1 + kStatFieldCount;
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), kSlots * 2);
  PutAttr(stat->attr(), out.Data());
  PutAttr(stat->prev(), out.Data() + kSlots);
  return out;
}

Napi::Value StatInterval(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  auto* stat = WatcherArg<StatWatcher>(info, loop, 0, Kind::kStat);
  if (stat == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), stat->interval());
}

}  // namespace

void BindStat(Napi::Object target, Loop* loop) {
  SetFunction(target, "statInit", StatInit, loop);
  SetFunction(target, "statRead", StatRead, loop);
  SetFunction(target, "statInterval", StatInterval, loop);
}

}  // namespace greenhub
