#include "server/journal.h"

#include "common/reply_builder.h"

namespace ember {

void Journal::Append(int db, std::span<const std::string_view> effect) {
  ++dirty_;
  if (sinks_.empty()) return;  // nobody reads the stream yet: don't pay for serialising it
  scratch_.clear();
  ReplyBuilder rb(&scratch_);
  rb.ArrayHeader(effect.size());
  for (auto arg : effect) rb.Bulk(arg);
  offset_ += scratch_.size();
  for (auto* sink : sinks_) sink->Append(db, effect, scratch_);
}

}  // namespace ember
