#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ember {

// Redis's value types, numbered as the TYPE command and RDB know them.
enum class ObjType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kStream = 6
};

std::string_view ObjTypeName(ObjType t);

// One key and its value in a single heap block, so that a small string key costs one
// allocation and no pointers besides the table slot that holds it:
//
//   [0]    type (low 4 bits) | string encoding (high 4 bits)
//   [1]    flags: kExpireSlot (8 bytes reserved for a deadline), kExpireSet (deadline valid)
//   [2-3]  snapshot epoch: the last snapshot that saved this entry, or the one running when it
//          was created (server/persist/snapshot.h)
//   [4-7]  access clock: LRU seconds, or LFU (minutes << 8 | log counter)
//   [8-15] absolute expiry in Unix ms, present only with kExpireSlot
//   key    varint length + bytes
//   value  strings: varint length + bytes, or an int64 (kInt); other types: an owning pointer
//
// Entries are immutable in size: a change of value builds a new Entry and the Db swaps it in.
// Entries know nothing of RESP or of the tables that hold them.
class Entry {
 public:
  enum class StrEnc : uint8_t { kInt = 0, kEmbstr = 1, kRaw = 2 };

  // How a new string value is encoded, mirroring how Redis built the object:
  // kAuto: integers become kInt, short strings embstr (SET, APPEND on a new key);
  // kNoInt: embstr or raw by length (INCRBYFLOAT results);
  // kRaw: always raw (values edited in place: APPEND, SETRANGE, SETBIT).
  enum class Repr { kAuto, kNoInt, kRaw };

  static Entry* NewString(std::string_view key, std::string_view value, bool with_expire_slot,
                          Repr repr = Repr::kAuto);
  static Entry* NewInt(std::string_view key, int64_t value, bool with_expire_slot);
  // An entry owning a collection value: an 8-byte handle the type's class interprets
  // (HashValue for kHash ...).
  static Entry* NewObject(std::string_view key, ObjType type, uint64_t handle,
                          bool with_expire_slot);
  // A deep copy under `key` (COPY): collections are copied too.
  static Entry* CloneWithKey(const Entry* e, std::string_view key, bool with_expire_slot);
  // Consumes `e` and returns the same value under `key` with the given layout (RENAME, adding
  // an expire slot); a collection moves over without being copied.
  static Entry* Rekey(Entry* e, std::string_view key, bool with_expire_slot);
  // Frees the entry and the collection it owns.
  static void Free(Entry* e);

  // Rewrites this string entry's value in place if the new value fits in its allocation
  // (same encoding rules as NewString). False, and unchanged, when it does not fit.
  bool TryOverwrite(std::string_view value, Repr repr);
  bool TryOverwriteInt(int64_t value);

  ObjType type() const { return ObjType(bytes()[0] & 0x0F); }
  StrEnc str_encoding() const { return StrEnc(bytes()[0] >> 4); }
  std::string_view key() const;

  bool has_expire_slot() const { return bytes()[1] & kExpireSlot; }
  bool has_expire() const { return bytes()[1] & kExpireSet; }
  int64_t expire_ms() const;
  // Requires has_expire_slot().
  void SetExpireMs(int64_t ms);
  void ClearExpire() { bytes()[1] &= uint8_t(~kExpireSet); }

  // Snapshots (server/persist/snapshot.h): an entry whose epoch is not the running snapshot's
  // has not been saved by it yet. New entries take the current epoch: a key created while a
  // snapshot runs did not exist at its point in time.
  static inline uint16_t current_epoch = 0;
  uint16_t snapshot_epoch() const {
    uint16_t v;
    memcpy(&v, bytes() + 2, 2);
    return v;
  }
  void set_snapshot_epoch(uint16_t v) { memcpy(bytes() + 2, &v, 2); }

  uint32_t access_clock() const;
  void set_access_clock(uint32_t v);

  // String values. int_value() requires str_encoding() == kInt.
  bool is_int() const { return str_encoding() == StrEnc::kInt; }
  int64_t int_value() const;
  // The raw bytes of a non-int string.
  std::string_view raw_value() const;
  // The value as Redis would send it (integers formatted).
  std::string StringValue() const;
  size_t StringLength() const;

  // The collection of a non-string entry, viewed through its type's handle class (HashValue
  // for kHash). The view points into this entry and is valid while the entry is.
  template <typename T>
  T* As() const {
    static_assert(sizeof(T) == 8);
    return reinterpret_cast<T*>(const_cast<uint8_t*>(ValuePtr()));
  }
  uint64_t handle() const;

  // Bytes the allocator handed out for this entry's own block.
  size_t AllocSize() const;
  // The block plus the collection it owns (what the key really costs).
  size_t TotalBytes() const;

 private:
  static constexpr uint8_t kExpireSlot = 1, kExpireSet = 2;
  static constexpr size_t kHeader = 8;
  static Entry* Relayout(const Entry* e, std::string_view key, bool with_expire_slot,
                         uint64_t handle);
  static Entry* Alloc(std::string_view key, size_t value_bytes, bool with_expire_slot,
                      uint8_t type_enc, uint8_t** value_out);
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this); }
  const uint8_t* ValuePtr() const;
};

// Seeded 64-bit hash of a key; the seed is random per process so that keys can't be chosen to
// collide.
uint64_t HashKey(std::string_view key);

}  // namespace ember
