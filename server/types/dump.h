#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/crc64.h"
#include "server/db/entry.h"
#include "server/types/hash_value.h"
#include "server/types/zset_value.h"

namespace ember {

// DUMP / RESTORE payloads in Ember's own format (RDB files are server/persist/rdb.h's):
//   [type byte][body][u16 format version][u64 CRC-64 of everything before it]
// Bodies: a string is one length-prefixed string; a hash, list or set is a varint count and
// then its fields and values, elements or members, each length-prefixed; a sorted set is a
// varint count and then, in order, each member length-prefixed and its score as 8 bytes. A
// stream is its live entries (id, field count, fields), its last id, entries-added and
// max-deleted id, then its groups with their consumers and PEL entries (delivery time, count,
// owner).
std::string DumpValue(const Entry* e);

struct RestoreLimits {
  HashLimits hash;
  size_t max_intset = 512;
  ZSetLimits zset;
};

// Builds a new entry under `key` from a payload; nullopt error text when the payload is not
// one (Redis's "DUMP payload version or checksum are wrong" / "Bad data format").
Entry* RestoreValue(std::string_view key, std::string_view payload, const RestoreLimits& limits,
                    std::string* error);

}  // namespace ember
