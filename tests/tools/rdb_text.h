#pragma once

#include <string>

#include "server/db/entry.h"

namespace ember {

// The canonical one-line text of a key, for comparing datasets in tests (rdb_tool print, the
// RDB unit tests, tests/integration/test_rdb_codec.py computes the same from a live server):
//   db key type encoding expire-ms-or--1 value
// Strings are quoted with every byte outside printable ASCII (and the quote and backslash) as
// \xHH. Values:
//   string  "v"                         list  ["a","b"]
//   set     {"a","b"} (members sorted)  hash  {"f":"v",...} (fields sorted)
//   zset    ["m"=score,...] in (score, member) order, scores as "%.17g"
//   stream  {entries=[id["f","v",...],...] last=id first=id maxdel=id added=N
//            groups=["name"{last=id read=N pel=[id:"consumer":time:count,...]
//                   consumers=["name":seen[id,...],...]},...]}
// The encoding is Ember's representation, named as OBJECT ENCODING names it.
std::string KeyLine(int db, const Entry* e);

}  // namespace ember
