#include "server/repl/repl_log.h"

#include <algorithm>

namespace ember {

namespace {
// Bytes per block: big enough that a block header is noise, small enough that a cut-off
// reader or the backlog's edge keeps little more than it needs.
constexpr size_t kBlockBytes = 64 * 1024;
}  // namespace

ReplicationLog::ReplicationLog() = default;

void ReplicationLog::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  {
    std::lock_guard lk(mu_);
    while (!bytes.empty()) {
      if (blocks_.empty() || blocks_.back().data.size() >= kBlockBytes) {
        blocks_.push_back(Block{end_, {}});
        blocks_.back().data.reserve(kBlockBytes);
      }
      std::string& data = blocks_.back().data;
      size_t n = std::min(bytes.size(), kBlockBytes - data.size());
      data.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      end_ += n;
    }
    TrimLocked();
    // A wake-up is a system call per append: only for a reader that waits.
    if (waiting_ == 0) return;
  }
  cv_.notify_all();
}

void ReplicationLog::Reset(uint64_t offset) {
  {
    std::lock_guard lk(mu_);
    blocks_.clear();
    start_ = end_ = offset;
    for (auto& c : cursors_) c->cut = true;
    cursors_.clear();
  }
  cv_.notify_all();
}

uint64_t ReplicationLog::start() const {
  std::lock_guard lk(mu_);
  return start_;
}

uint64_t ReplicationLog::end() const { return end_.load(std::memory_order_acquire); }

uint64_t ReplicationLog::held() const {
  std::lock_guard lk(mu_);
  return end_ - start_;
}

uint64_t ReplicationLog::Pinned(const Cursor& c) const {
  std::lock_guard lk(mu_);
  return PinnedLocked(c);
}

uint64_t ReplicationLog::WindowStartLocked() const {
  uint64_t end = end_;
  return end > backlog_size_ ? end - backlog_size_ : 0;
}

uint64_t ReplicationLog::PinnedLocked(const Cursor& c) const {
  uint64_t window = WindowStartLocked();
  return c.next < window ? window - c.next : 0;
}

bool ReplicationLog::WasCut(const Cursor& c) const {
  std::lock_guard lk(mu_);
  return c.cut;
}

bool ReplicationLog::Contains(uint64_t offset) const {
  std::lock_guard lk(mu_);
  return offset >= start_ && offset <= end_;
}

std::shared_ptr<ReplicationLog::Cursor> ReplicationLog::Attach(uint64_t offset) {
  auto c = std::make_shared<Cursor>();
  std::lock_guard lk(mu_);
  c->next = std::clamp(offset, start_, end_.load());
  cursors_.push_back(c);
  return c;
}

void ReplicationLog::Detach(const std::shared_ptr<Cursor>& c) {
  std::lock_guard lk(mu_);
  cursors_.remove(c);
  TrimLocked();
}

void ReplicationLog::Cut(const std::shared_ptr<Cursor>& c) {
  {
    std::lock_guard lk(mu_);
    c->cut = true;
    cursors_.remove(c);
    TrimLocked();
  }
  cv_.notify_all();
}

bool ReplicationLog::Read(Cursor* c, size_t max, std::string* out,
                          std::chrono::steady_clock::time_point deadline) {
  out->clear();
  std::unique_lock lk(mu_);
  ++waiting_;
  cv_.wait_until(lk, deadline, [&] { return c->cut || c->woken || c->next < end_; });
  --waiting_;
  c->woken = false;
  if (c->cut) return false;
  while (out->size() < max && c->next < end_) {
    // The block holding c->next: blocks are contiguous, so find it from the front.
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), c->next,
                               [](uint64_t off, const Block& b) { return off < b.offset; });
    const Block& b = *std::prev(it);
    size_t from = size_t(c->next - b.offset);
    size_t n = std::min(max - out->size(), b.data.size() - from);
    out->append(b.data, from, n);
    c->next += n;
  }
  TrimLocked();
  return true;
}

void ReplicationLog::Linger(Cursor* c, std::chrono::microseconds d) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [&] { return c->cut || c->woken; });
}

void ReplicationLog::WakeAll() {
  std::lock_guard lk(mu_);
  for (auto& c : cursors_) c->woken = true;
  cv_.notify_all();
}

void ReplicationLog::set_backlog_size(uint64_t bytes) {
  std::lock_guard lk(mu_);
  backlog_size_ = std::max<uint64_t>(bytes, 1);
  TrimLocked();
}

void ReplicationLog::set_replica_limit(uint64_t bytes) {
  std::lock_guard lk(mu_);
  replica_limit_ = bytes;
  TrimLocked();
}

// Frees the front blocks nobody needs: wholly before the backlog's window and read by every
// attached cursor. A cursor pinning more than the replica limit is cut first.
void ReplicationLog::TrimLocked() {
  uint64_t backlog_from = WindowStartLocked();
  uint64_t keep_from = backlog_from;
  bool cut_any = false;
  for (auto it = cursors_.begin(); it != cursors_.end();) {
    Cursor& c = **it;
    if (replica_limit_ > 0 && PinnedLocked(c) > replica_limit_) {
      c.cut = true;
      cut_any = true;
      it = cursors_.erase(it);
      continue;
    }
    keep_from = std::min(keep_from, c.next);
    ++it;
  }
  while (!blocks_.empty() && blocks_.front().offset + blocks_.front().data.size() <= keep_from &&
         blocks_.size() > 1) {
    blocks_.pop_front();
  }
  // The window starts where the backlog says, even inside a block that is still kept.
  uint64_t end = end_;
  start_ = blocks_.empty() ? end : std::max(blocks_.front().offset, backlog_from);
  start_ = std::min(start_, end);
  if (cut_any) cv_.notify_all();
}

}  // namespace ember
