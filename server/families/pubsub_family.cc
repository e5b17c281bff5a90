// Pub/Sub: SUBSCRIBE, PSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, PUBSUB (Redis pubsub.c). The
// engine keeps the subscriptions and delivers messages; this file speaks the commands.

#include <algorithm>

#include "server/families/family_util.h"

namespace ember {

namespace {

// One (un)subscribe confirmation: [kind, channel, subscriptions left], a push in RESP3.
void Confirm(CommandContext& ctx, std::string_view kind, std::optional<std::string_view> channel) {
  ReplyBuilder& rb = ctx.reply();
  rb.PushHeader(3);
  rb.Bulk(kind);
  channel ? rb.Bulk(*channel) : rb.Null();
  const ClientState& c = ctx.client();
  rb.Integer(int64_t(c.channels.size() + c.patterns.size()));
}

void SubscribeGeneric(CmdArgs args, CommandContext& ctx, bool pattern) {
  for (size_t i = 1; i < args.size(); ++i) {
    ctx.engine().Subscribe(ctx.client(), args[i], pattern);
    Confirm(ctx, pattern ? "psubscribe" : "subscribe", args[i]);
  }
}

void UnsubscribeGeneric(CmdArgs args, CommandContext& ctx, bool pattern) {
  std::string_view kind = pattern ? "punsubscribe" : "unsubscribe";
  ClientState& c = ctx.client();
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) {
      ctx.engine().Unsubscribe(c, args[i], pattern);
      Confirm(ctx, kind, args[i]);
    }
    return;
  }
  auto& mine = pattern ? c.patterns : c.channels;
  if (mine.empty()) return Confirm(ctx, kind, std::nullopt);
  std::vector<std::string> all = mine;
  for (const std::string& ch : all) {
    ctx.engine().Unsubscribe(c, ch, pattern);
    Confirm(ctx, kind, ch);
  }
}

void CmdSubscribe(CmdArgs a, CommandContext& c) { SubscribeGeneric(a, c, false); }
void CmdPSubscribe(CmdArgs a, CommandContext& c) { SubscribeGeneric(a, c, true); }
void CmdUnsubscribe(CmdArgs a, CommandContext& c) { UnsubscribeGeneric(a, c, false); }
void CmdPUnsubscribe(CmdArgs a, CommandContext& c) { UnsubscribeGeneric(a, c, true); }

void CmdPublish(CmdArgs args, CommandContext& ctx) {
  ctx.reply().Integer(ctx.engine().Publish(args[1], args[2]));
}

void CmdPubsubChannels(CmdArgs args, CommandContext& ctx) {
  std::vector<std::string_view> names;
  for (const auto& [name, subscribers] : ctx.engine().pubsub_channels()) {
    if (args.size() < 3 || GlobMatch(args[2], name)) names.push_back(name);
  }
  ctx.reply().ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply().Bulk(n);
}

void CmdPubsubNumSub(CmdArgs args, CommandContext& ctx) {
  const auto& channels = ctx.engine().pubsub_channels();
  ctx.reply().ArrayHeader(2 * (args.size() - 2));  // a flat array in RESP3 too, as Redis 7.0
  for (size_t i = 2; i < args.size(); ++i) {
    auto it = channels.find(std::string(args[i]));
    ctx.reply().Bulk(args[i]);
    ctx.reply().Integer(it == channels.end() ? 0 : int64_t(it->second.size()));
  }
}

void CmdPubsubNumPat(CmdArgs, CommandContext& ctx) {
  ctx.reply().Integer(int64_t(ctx.engine().pubsub_patterns()));
}

}  // namespace

void RegisterPubSubFamily(CommandRegistry* registry) {
  constexpr uint32_t kSub = kPubSub | kNoScript | kLoading | kStale | kSubscribed;
  constexpr uint32_t kInfo = kPubSub | kLoading | kStale;
  const char* g = "pubsub";
  *registry
      << CommandId("SUBSCRIBE", kSub, -2, 0, 0)
             .Handler(CmdSubscribe)
             .Doc(g, "2.0.0", "Listens for messages published to channels.",
                  "O(N) where N is the number of channels to subscribe to.")
      << CommandId("PSUBSCRIBE", kSub, -2, 0, 0)
             .Handler(CmdPSubscribe)
             .Doc(g, "2.0.0",
                  "Listens for messages published to channels that match one or "
                  "more patterns.",
                  "O(N) where N is the number of patterns to subscribe to.")
      << CommandId("UNSUBSCRIBE", kSub, -1, 0, 0)
             .Handler(CmdUnsubscribe)
             .Doc(g, "2.0.0", "Stops listening to messages posted to channels.",
                  "O(N) where N is the number of channels to unsubscribe.")
      << CommandId("PUNSUBSCRIBE", kSub, -1, 0, 0)
             .Handler(CmdPUnsubscribe)
             .Doc(g, "2.0.0",
                  "Stops listening to messages published to channels that match "
                  "one or more patterns.",
                  "O(N) where N is the number of patterns to "
                  "unsubscribe.")
      << CommandId("PUBLISH", kPubSub | kLoading | kStale | kFast | kMayReplicate, 3, 0, 0)
             .Handler(CmdPublish)
             .Doc(g, "2.0.0", "Posts a message to a channel.",
                  "O(N+M) where N is the number of clients subscribed to the receiving channel "
                  "and M is the total number of subscribed patterns (by any client).")
      << CommandId("PUBSUB", 0, -2, 0, 0)
             .Handler(CmdContainer)
             .Doc(g, "2.8.0", "A container for Pub/Sub commands.", "Depends on subcommand.")
             .Sub(CommandId("CHANNELS", kInfo, -2, 0, 0)
                      .Handler(CmdPubsubChannels)
                      .Doc(g, "2.8.0", "Returns the active channels.",
                           "O(N) where N is the number of active channels"))
             .Sub(CommandId("NUMSUB", kInfo, -2, 0, 0)
                      .Handler(CmdPubsubNumSub)
                      .Doc(g, "2.8.0", "Returns a count of subscribers to channels.",
                           "O(N) for the NUMSUB subcommand, where N is the number of requested "
                           "channels"))
             .Sub(CommandId("NUMPAT", kInfo, 2, 0, 0)
                      .Handler(CmdPubsubNumPat)
                      .Doc(g, "2.8.0", "Returns a count of unique pattern subscriptions.", "O(1)"));
}

}  // namespace ember
