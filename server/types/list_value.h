#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/types/handle.h"

namespace ember {

// The value of a list key: an 8-byte handle inside the key's Entry pointing at a quicklist, as
// Redis 7.0 stores every list: a deque of chunks, each up to kChunkBytes of
// [varint len][bytes][backlen] records, where backlen is the record's length written so that
// it reads backwards from the record's end (as listpack's), so both ends pop in O(1). Pushing and
// popping at either end is O(1) (a chunk memmove of a few KB at most); index access walks chunk
// counts, then one chunk. The handle is null for an empty list. No RESP here.
class ListValue : public EntryHandle {
 public:
  static constexpr size_t kChunkBytes = 8 * 1024;  // Redis's list-max-listpack-size -2

  static void Destroy(uint64_t handle);
  static uint64_t Copy(uint64_t handle);
  static size_t Bytes(uint64_t handle);

  size_t size() const { return rep() ? rep()->size : 0; }

  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  // Pops an element; the list must not be empty.
  std::string PopFront();
  std::string PopBack();

  // Element at `index` (0 <= index < size).
  std::string_view At(size_t index) const;
  void Set(size_t index, std::string_view v);
  // fn(index, value) for indexes [start, end] (inclusive, within bounds), front to back.
  template <typename Fn>
  void ForRange(size_t start, size_t end, Fn&& fn) const;
  // Keeps [start, end] (inclusive, within bounds); start > end empties the list.
  void Trim(size_t start, size_t end);
  // Removes up to |count| elements equal to `v` from the front (count > 0), the back (< 0) or
  // all (0). Returns how many.
  size_t Remove(std::string_view v, int64_t count);
  // Inserts `v` before or after the first `pivot`; false when there is no pivot.
  bool Insert(std::string_view pivot, std::string_view v, bool before);

  size_t bytes() const { return Bytes(load()); }

 private:
  struct Chunk {
    std::string data;   // records from `head` on
    uint32_t head = 0;  // bytes popped from the front, reclaimed lazily
    uint32_t count = 0;
  };
  struct Rep {
    std::deque<Chunk> chunks;
    size_t size = 0;
    size_t bytes = 0;  // heap bytes of the chunk buffers
  };

  Rep* rep() const { return reinterpret_cast<Rep*>(load()); }
  Rep* MutableRep();
  void Rebuild(const std::vector<std::string>& items);
  std::vector<std::string> Items() const;
  static void Account(Rep* r, const Chunk& c, int sign);
};

// Decodes the record at p, advancing p past it.
std::string_view ListNext(const char*& p);

template <typename Fn>
void ListValue::ForRange(size_t start, size_t end, Fn&& fn) const {
  Rep* r = rep();
  if (r == nullptr || start > end) return;
  size_t index = 0;
  for (const Chunk& c : r->chunks) {
    if (index + c.count <= start) {
      index += c.count;
      continue;
    }
    const char* p = c.data.data() + c.head;
    for (uint32_t i = 0; i < c.count; ++i, ++index) {
      std::string_view v = ListNext(p);
      if (index < start) continue;
      if (index > end) return;
      fn(index, v);
    }
  }
}

}  // namespace ember
