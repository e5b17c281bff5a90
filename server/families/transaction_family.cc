// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis multi.c). Queueing itself happens
// in the dispatcher (Engine::ExecuteInBatch): inside MULTI every command without kTxControl
// is checked, then queued and answered +QUEUED.

#include "server/families/family_util.h"

namespace ember {

namespace {

void CmdMulti(CmdArgs, CommandContext& ctx) {
  if (ctx.client().in_multi) return ctx.reply().Error("MULTI calls can not be nested");
  ctx.client().in_multi = true;
  ctx.reply().Ok();
}

void CmdDiscard(CmdArgs, CommandContext& ctx) {
  if (!ctx.client().in_multi) return ctx.reply().Error("DISCARD without MULTI");
  ctx.engine().EndTransaction(ctx.client());
  ctx.reply().Ok();
}

// True when a watched key changed, or expired since WATCH without being touched yet.
bool WatchBroken(CommandContext& ctx) {
  ClientState& c = ctx.client();
  if (c.watch_dirty) return true;
  for (const auto& w : c.watched) {
    if (w.expired_at_watch) continue;
    Db& db = ctx.keyspace().db(w.db);
    Entry* e = db.FindRaw(w.key);
    if (e != nullptr && db.IsExpired(e)) return true;
  }
  return false;
}

void CmdExec(CmdArgs, CommandContext& ctx) {
  ClientState& c = ctx.client();
  Engine& engine = ctx.engine();
  if (!c.in_multi) return ctx.reply().Error("EXEC without MULTI");
  if (c.multi_aborted) {
    engine.EndTransaction(c);
    return ctx.reply().Error("-EXECABORT Transaction discarded because of previous errors.");
  }
  if (WatchBroken(ctx)) {
    engine.EndTransaction(c);
    return ctx.reply().NullArray();
  }
  std::vector<std::vector<std::string>> queued = std::move(c.queued);
  engine.EndTransaction(c);  // the queued commands run outside MULTI, watches released
  ctx.reply().ArrayHeader(queued.size());
  std::vector<std::string_view> args;
  c.in_exec = true;
  engine.journal().BeginTransaction();
  for (const auto& request : queued) {
    args.assign(request.begin(), request.end());
    engine.ExecuteInBatch(c, CmdArgs(args.data(), args.size()), ctx.reply());
  }
  engine.journal().EndTransaction();
  c.in_exec = false;
}

void CmdWatch(CmdArgs args, CommandContext& ctx) {
  if (ctx.client().in_multi) return ctx.reply().Error("WATCH inside MULTI is not allowed");
  for (size_t i = 1; i < args.size(); ++i)
    ctx.engine().Watch(ctx.client(), ctx.client().db, args[i]);
  ctx.reply().Ok();
}

void CmdUnwatch(CmdArgs, CommandContext& ctx) {
  ctx.engine().Unwatch(ctx.client());
  ctx.reply().Ok();
}

}  // namespace

void RegisterTransactionFamily(CommandRegistry* registry) {
  constexpr uint32_t kTx = kTxControl | kNoScript | kLoading | kStale | kFast;
  *registry << CommandId("MULTI", kTx, 1, 0, 0)
                   .Handler(CmdMulti)
                   .Doc("transactions", "1.2.0", "Starts a transaction.", "O(1)")
            << CommandId("EXEC", kTxControl | kNoScript | kLoading | kStale, 1, 0, 0)
                   .Handler(CmdExec)
                   .Doc("transactions", "1.2.0", "Executes all commands in a transaction.",
                        "Depends on commands in the transaction")
            << CommandId("DISCARD", kTx, 1, 0, 0)
                   .Handler(CmdDiscard)
                   .Doc("transactions", "2.0.0", "Discards a transaction.",
                        "O(N), when N is the number of queued commands")
            << CommandId("WATCH", kTx, -2, 1, -1)
                   .Handler(CmdWatch)
                   .Doc("transactions", "2.2.0",
                        "Monitors changes to keys to determine the execution of a transaction.",
                        "O(1) for every key.")
            << CommandId("UNWATCH", kNoScript | kLoading | kStale | kFast, 1, 0, 0)
                   .Handler(CmdUnwatch)
                   .Doc("transactions", "2.2.0", "Forgets about watched keys of a transaction.",
                        "O(1)");
}

}  // namespace ember
