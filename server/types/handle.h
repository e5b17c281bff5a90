#pragma once

#include <cstdint>
#include <cstring>

namespace ember {

// The 8 bytes inside an Entry that hold a collection's handle (HashValue, ListValue,
// SetValue derive from it and give the handle its meaning). The bytes sit unaligned after the
// key, so they are read and written with memcpy.
class EntryHandle {
 protected:
  uint64_t load() const {
    uint64_t h;
    memcpy(&h, rep_, 8);
    return h;
  }
  void store(uint64_t h) { memcpy(rep_, &h, 8); }

 private:
  char rep_[8];
};

}  // namespace ember
