#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/crc64.h"
#include "server/db/entry.h"
#include "server/types/hash_value.h"
#include "server/types/zset_value.h"

namespace ember {

// DUMP / RESTORE payloads as Redis makes them, so payloads move between Redis and Ember:
//   [type byte][value, in the RDB encoding (server/persist/rdb.h)][u16 RDB version]
//   [u64 CRC-64 of everything before it], little-endian.
// `compress`: rdbcompression (LZF for strings longer than 20 bytes).
std::string DumpValue(const Entry* e, bool compress);

struct RestoreLimits {
  HashLimits hash;
  size_t max_intset = 512;
  ZSetLimits zset;
};

// Builds a new entry under `key` from a payload of RDB version 10 or older (Redis 7.0's);
// nullptr with Redis's error text ("DUMP payload version or checksum are wrong" / "Bad data
// format") when the payload is not one.
Entry* RestoreValue(std::string_view key, std::string_view payload, const RestoreLimits& limits,
                    std::string* error);

}  // namespace ember
