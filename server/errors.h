#pragma once

// Error replies byte for byte as Redis 7.0 sends them (clients match their prefixes). Messages
// that carry their own code start with '-'; the others get "-ERR " from the ReplyBuilder.
namespace ember::errors {

inline constexpr char kSyntax[] = "syntax error";
inline constexpr char kWrongType[] =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "value is not an integer or out of range";
inline constexpr char kNotFloat[] = "value is not a valid float";
inline constexpr char kOverflow[] = "increment or decrement would overflow";
inline constexpr char kNanOrInf[] = "increment would produce NaN or Infinity";
inline constexpr char kNoSuchKey[] = "no such key";
inline constexpr char kDbIndex[] = "DB index is out of range";
inline constexpr char kInvalidDbIndex[] = "invalid DB index";
inline constexpr char kSameObject[] = "source and destination objects are the same";
inline constexpr char kBitOffset[] = "bit offset is not an integer or out of range";
inline constexpr char kBitValue[] = "bit is not an integer or out of range";
inline constexpr char kStringTooLong[] = "string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kOffsetRange[] = "offset is out of range";
inline constexpr char kInvalidCursor[] = "invalid cursor";
inline constexpr char kNoAuth[] = "-NOAUTH Authentication required.";
inline constexpr char kWrongPass[] =
    "-WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr char kAuthNoPassword[] =
    "AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr char kMisconf[] =
    "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    "to disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.";
inline constexpr char kReadOnly[] = "-READONLY You can't write against a read only replica.";
inline constexpr char kNoReplicas[] = "-NOREPLICAS Not enough good replicas to write.";
inline constexpr char kMasterDown[] =
    "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr char kLoading[] = "-LOADING Redis is loading the dataset in memory";
inline constexpr char kOom[] = "-OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr char kMaxClients[] = "max number of clients reached";
inline constexpr char kNoProto[] = "-NOPROTO unsupported protocol version";
inline constexpr char kTimeoutNotInt[] = "timeout is not an integer or out of range";
inline constexpr char kGtLtNx[] = "GT, LT, and/or NX options at the same time are not compatible";
inline constexpr char kNxXx[] = "NX and XX, GT or LT options at the same time are not compatible";
inline constexpr char kProtectedMode[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    "host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need "
    "to do one of the above things in order for the server to start accepting connections from "
    "the outside.";

}  // namespace ember::errors
