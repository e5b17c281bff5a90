#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/db/entry.h"
#include "server/types/dump.h"

namespace ember {

// Redis's RDB file format, version 10 as Redis 7.0 writes it: what SAVE/BGSAVE write, what
// start-up loads, and what a full resynchronisation streams to a replica.
//
//   "REDIS0010"  then opcodes: AUX (250) key value | SELECTDB (254) db | RESIZEDB (251) keys
//   expires | [EXPIRETIME_MS (252) u64 ms] [IDLE (248) len | FREQ (249) u8] type key value ...
//   | EOF (255), then the CRC-64 (common/crc64.h) of every byte before it, little-endian
//   (0 when checksums are off).
//
// Lengths are 1, 2, 5 or 9 bytes (6 bits; 14 bits; 0x80 + u32 and 0x81 + u64 big-endian);
// first bits 11 mark a specially encoded string (int8/16/32 little-endian, or LZF, see
// server/persist/lzf.h). The values, by type byte:
//   0 STRING; 1 LIST, 2 SET, 4 HASH: a count and plain strings; 3 ZSET / 5 ZSET_2: members with
//   a text / binary double score; 9 HASH_ZIPMAP, 10 LIST_ZIPLIST, 11 SET_INTSET,
//   12 ZSET_ZIPLIST, 13 HASH_ZIPLIST, 16 HASH_LISTPACK, 17 ZSET_LISTPACK, 20 SET_LISTPACK: one
//   string holding a packed container (server/persist/packed.h); 14 LIST_QUICKLIST: ziplist
//   nodes; 18 LIST_QUICKLIST_2: nodes, each a container kind (1 plain element, 2 listpack) and
//   a string; 15/19/21 STREAM_LISTPACKS(_2,_3): listpack nodes keyed by their master id, the
//   stream's counters, then its consumer groups with PELs and consumers.

inline constexpr int kRdbVersion = 10;

// What Redis records about a key's last access when an LRU (IDLE, seconds) or LFU (FREQ,
// logarithmic counter) maxmemory-policy is set; -1 = not recorded.
struct RdbKeyAccess {
  int64_t lru_idle_s = -1;
  int lfu_freq = -1;
};

// Produces an RDB file incrementally. Every call appends to an internal buffer that the caller
// drains at will (Take(), or by consuming buffer() and clearing it between calls), so a
// snapshot can be streamed in chunks from a background walker and from pre-write hooks alike;
// the checksum runs over everything produced, drained or not. Writes what a Redis 7.0 loads:
//   strings    STRING: integers in int8/16/32 form, other strings raw, or LZF-compressed when
//              `compress` and longer than 20 bytes and it saves space (as Redis);
//   lists      LIST_QUICKLIST_2 of listpack nodes up to 8 KB (a longer element gets a node of
//              its own; an element of 1 GB or more a plain node);
//   sets       SET_INTSET for Ember's intsets, SET otherwise;
//   sorted     ZSET_LISTPACK for listpack zsets, ZSET_2 (highest score first) for skiplists;
//   hashes     HASH_LISTPACK for listpack hashes, HASH otherwise;
//   streams    STREAM_LISTPACKS_2: live entries in listpack nodes of up to 100 entries / 4 KB
//              (fields shared with the node's master entry are elided), the counters, the
//              groups with entries-read, global PELs and consumers.
class RdbWriter {
 public:
  // `compress`: rdbcompression; `checksum`: rdbchecksum (false writes a zero CRC, which
  // loaders take as "not computed").
  RdbWriter(bool compress, bool checksum);

  void Header();  // "REDIS0010"
  void Aux(std::string_view key, std::string_view value);
  void Aux(std::string_view key, int64_t value);
  void SelectDb(int db);
  void ResizeDb(uint64_t keys, uint64_t expires);
  // Writes [EXPIRETIME_MS] [IDLE | FREQ] type key value for one key of any type. A key whose
  // deadline has already passed (expire_ms < now_ms, the keyspace's own test) can never be read
  // again and is not written: returns false then. Pass INT64_MIN to write every key.
  bool Key(const Entry* e, int64_t now_ms, const RdbKeyAccess& access = {});
  // EOF opcode and the 8-byte CRC-64 of the whole file.
  void Finish();
  // Just the type byte and the value of `e`, without its key (the body of a DUMP payload).
  void Value(const Entry* e);

  // Bytes produced since the last Take (or since the caller last cleared it).
  std::string& buffer() { return buf_; }
  std::string Take();
  // Bytes produced since construction, drained or not.
  uint64_t total_bytes() const { return total_ + buf_.size() - mark_; }

 private:
  class Scope;
  void Byte(uint8_t b) { buf_.push_back(char(b)); }
  void Len(uint64_t len);
  void String(std::string_view s);
  void TypeAndKey(uint8_t type, const Entry* e);
  void WriteValue(const Entry* e);
  void WriteList(const Entry* e);
  void WriteSet(const Entry* e);
  void WriteZSet(const Entry* e);
  void WriteHash(const Entry* e);
  void WriteStream(const Entry* e);

  bool compress_;
  bool checksum_;
  bool with_keys_ = true;
  std::string buf_;
  size_t mark_ = 0;  // bytes of buf_ already counted in crc_ and total_
  uint64_t crc_ = 0;
  uint64_t total_ = 0;   // bytes counted so far
  std::string scratch_;  // LZF output
};

// Where a loader reads an RDB from: a file, a replication stream. Read returns up to n bytes
// (fewer is not the end), 0 only at the end of the data.
class RdbSource {
 public:
  virtual ~RdbSource() = default;
  virtual size_t Read(char* buf, size_t n) = 0;
};

// A file read in 1 MB blocks.
class FileSource : public RdbSource {
 public:
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // False (with the reason) when the file could not be opened; a read error later reads as
  // the end of the data and is reported by error() too.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t Read(char* buf, size_t n) override;

 private:
  static constexpr size_t kBlock = 1 << 20;
  int fd_ = -1;
  std::unique_ptr<char[]> block_;
  size_t pos_ = 0, len_ = 0;
  std::string error_;
};

// An RDB held in memory (tests, small payloads). The bytes must outlive the source.
class StringSource : public RdbSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  size_t Read(char* buf, size_t n) override;

 private:
  std::string_view data_;
};

struct RdbLoadResult {
  bool ok = false;
  // When !ok: what is wrong and at which byte offset ("... at offset N").
  std::string error;
  // When ok, the bytes read (the whole file: the loader never reads past the CRC); otherwise
  // the offset of the problem.
  uint64_t bytes = 0;
  int version = 0;
  uint64_t keys = 0;                // handed to on_key
  uint64_t empty_keys_skipped = 0;  // empty collections, which Redis also skips
};

// Loads an RDB of version 1 to 10 (Redis 7.0 and everything older; a newer version, such as
// Redis 7.2's 11, is refused with an error naming it). Reads every encoding listed at the top,
// LIST (1) through STREAM_LISTPACKS_3 (21), with IDLE, FREQ, EXPIRETIME and EXPIRETIME_MS; a
// function library (FUNCTION2/FUNCTION_PRE_GA) or module data is refused with an error saying
// so. Collections take Ember's compact or large representation from `limits` as Redis 7.0
// picks it when loading: plain encodings by count and element length, a hash or zset that
// arrives packed (ziplist/listpack) by count only. Stream tombstones are not kept (the counters
// that depend on them, max-deleted-id and entries-added, are).
//
// Malformed input (truncation, bad lengths, corrupt packed containers, duplicate members,
// unordered stream ids, a wrong CRC) ends the load with an error and its offset; lengths are
// never trusted for allocation beyond what the source has actually delivered. Keys whose
// deadline has passed are handed over all the same (a primary drops them, a replica keeps them;
// the caller knows which it is), and so are duplicate keys (the caller's table decides).
class RdbLoader {
 public:
  RdbLoader(RdbSource* src, const RestoreLimits& limits);

  // on_key(db, e): a new entry, with its expire set when the file gave one; the callee owns it.
  // `db` is the file's SELECTDB number (0 until one appears), not checked against any
  // `databases` setting: the callee does that. on_aux(key, value) for every AUX field. Either
  // may be empty; either may call Fail() to stop the load.
  RdbLoadResult Load(const std::function<void(int, Entry*)>& on_key,
                     const std::function<void(std::string_view, std::string_view)>& on_aux);

  // Reads just a type byte and one value of RDB `version` under `key` (a DUMP payload's body);
  // the source must hold nothing more. nullptr with the reason otherwise.
  Entry* LoadValue(std::string_view key, int version, std::string* error);

  // Inside on_key: the IDLE / FREQ the file recorded for this key (-1 when it did not).
  const RdbKeyAccess& key_access() const { return access_; }
  // Inside a callback: ends the load with this error (a db out of range, a duplicate key ...).
  void Fail(std::string reason);

 private:
  class Impl;
  RdbSource* src_;
  RestoreLimits limits_;
  RdbKeyAccess access_;
  std::string callback_error_;
};

}  // namespace ember
