#include "server/journal.h"

#include "common/reply_builder.h"

namespace ember {

std::string SelectCommand(int db) {
  std::string n = std::to_string(db);
  return "*2\r\n$6\r\nSELECT\r\n$" + std::to_string(n.size()) + "\r\n" + n + "\r\n";
}

void Journal::Append(int db, std::span<const std::string_view> effect) {
  ++dirty_;
  if (sinks_.empty()) return;  // nobody reads the stream yet: don't pay for serialising it
  if (in_transaction_) {
    transaction_.emplace_back(db, std::vector<std::string>(effect.begin(), effect.end()));
    return;
  }
  Emit(db, effect);
}

void Journal::EndTransaction() {
  in_transaction_ = false;
  if (transaction_.empty()) return;
  bool wrap = transaction_.size() > 1;
  constexpr std::string_view kMulti[] = {"MULTI"}, kExec[] = {"EXEC"};
  if (wrap) Emit(transaction_.front().first, kMulti);
  std::vector<std::string_view> views;
  for (const auto& [db, args] : transaction_) {
    views.assign(args.begin(), args.end());
    Emit(db, views);
  }
  if (wrap) Emit(transaction_.back().first, kExec);
  transaction_.clear();
}

void Journal::Emit(int db, std::span<const std::string_view> effect) {
  scratch_.clear();
  ReplyBuilder rb(&scratch_);
  rb.ArrayHeader(effect.size());
  for (auto arg : effect) rb.Bulk(arg);
  for (auto* sink : sinks_) sink->Append(db, effect, scratch_);
}

}  // namespace ember
