#include "server/persist/rdb.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "common/crc64.h"
#include "server/persist/lzf.h"
#include "server/persist/packed.h"
#include "server/types/hash_value.h"
#include "server/types/stream_value.h"
#include "tests/tools/rdb_text.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Helpers

// Bytes of a hand-built RDB file, with the format's own primitives.
struct RdbBytes {
  std::string s;

  RdbBytes& Raw(std::string_view b) {
    s.append(b);
    return *this;
  }
  RdbBytes& Byte(uint8_t b) {
    s.push_back(char(b));
    return *this;
  }
  RdbBytes& Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(char((v >> (8 * i)) & 0xFF));
    return *this;
  }
  RdbBytes& Be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xFF));
    return *this;
  }
  RdbBytes& Len(uint64_t n) {
    if (n < 64) return Byte(uint8_t(n));
    if (n < 16384) return Byte(uint8_t(0x40 | (n >> 8))).Byte(uint8_t(n & 0xFF));
    if (n <= UINT32_MAX) return Byte(0x80).Be(n, 4);
    return Byte(0x81).Be(n, 8);
  }
  RdbBytes& Str(std::string_view v) { return Len(v.size()).Raw(v); }
  RdbBytes& Id(uint64_t ms, uint64_t seq) { return Be(ms, 8).Be(seq, 8); }
  // Appends EOF and the CRC of everything before it.
  std::string Finish() {
    Byte(0xFF);
    Le(Crc64(s), 8);
    return s;
  }
};

// A ziplist of strings and integers, as Redis < 7.0 wrote them.
struct ZiplistBuilder {
  std::string body;
  size_t prev = 0, tail = 10, count = 0;

  void Entry(std::string_view encoded) {
    std::string e;
    if (prev < 254) {
      e.push_back(char(prev));
    } else {
      e.push_back(char(0xFE));
      for (int i = 0; i < 4; ++i) e.push_back(char((prev >> (8 * i)) & 0xFF));
    }
    e.append(encoded);
    tail = 10 + body.size();
    body += e;
    prev = e.size();
    ++count;
  }
  ZiplistBuilder& Add(std::string_view v) {
    std::string enc;
    if (v.size() < 64) {
      enc.push_back(char(v.size()));
    } else {
      enc.push_back(char(0x40 | (v.size() >> 8)));
      enc.push_back(char(v.size() & 0xFF));
    }
    Entry(enc + std::string(v));
    return *this;
  }
  ZiplistBuilder& AddInt(int64_t v) {
    std::string enc;
    if (v >= 0 && v <= 12) {
      enc.push_back(char(0xF1 + v));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      enc.push_back(char(0xC0));
      for (int i = 0; i < 2; ++i) enc.push_back(char((uint64_t(v) >> (8 * i)) & 0xFF));
    } else {
      enc.push_back(char(0xE0));
      for (int i = 0; i < 8; ++i) enc.push_back(char((uint64_t(v) >> (8 * i)) & 0xFF));
    }
    Entry(enc);
    return *this;
  }
  std::string Finish() const {
    RdbBytes b;
    b.Le(10 + body.size() + 1, 4).Le(count ? tail : 10, 4).Le(count, 2).Raw(body).Byte(0xFF);
    return b.s;
  }
};

struct LoadOutcome {
  RdbLoadResult result;
  std::vector<std::string> lines;  // KeyLine of every key, sorted
  std::vector<std::pair<std::string, std::string>> aux;
};

LoadOutcome LoadRdb(std::string_view data, const RestoreLimits& limits = {}) {
  StringSource src(data);
  RdbLoader loader(&src, limits);
  LoadOutcome out;
  out.result = loader.Load(
      [&](int db, Entry* e) {
        out.lines.push_back(KeyLine(db, e));
        Entry::Free(e);
      },
      [&](std::string_view k, std::string_view v) { out.aux.emplace_back(k, v); });
  std::sort(out.lines.begin(), out.lines.end());
  return out;
}

// A file with one key of `type` whose value bytes follow.
std::string OneKeyFile(uint8_t type, std::string_view value_bytes, int version = 10) {
  RdbBytes b;
  char magic[16];
  snprintf(magic, sizeof(magic), "REDIS%04d", version);
  b.Raw(magic).Byte(0xFE).Len(0).Byte(type).Str("k").Raw(value_bytes);
  return b.Finish();
}

class RdbTest : public EngineTest {
 protected:
  // The whole keyspace as an RDB file, the way a snapshot walks it.
  std::string Save(bool compress = true, bool checksum = true) {
    RdbWriter w(compress, checksum);
    w.Header();
    w.Aux("redis-ver", "7.0.15");
    w.Aux("ctime", int64_t(1700000000));
    Keyspace& ks = engine_.keyspace();
    for (int db = 0; db < ks.num_dbs(); ++db) {
      Db& d = ks.db(db);
      if (d.size() == 0) continue;
      w.SelectDb(db);
      w.ResizeDb(d.size(), d.expires_size());
      d.ForEach([&](Entry* e) { w.Key(e, clock_.NowMs()); });
    }
    w.Finish();
    return w.Take();
  }

  std::vector<std::string> Listing() {
    std::vector<std::string> lines;
    Keyspace& ks = engine_.keyspace();
    for (int db = 0; db < ks.num_dbs(); ++db) {
      ks.db(db).ForEach([&](Entry* e) { lines.push_back(KeyLine(db, e)); });
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  // Every type in every representation, expiries, several databases.
  void FillEverything(bool big = true) {
    Run({"SET", "s:int", "12345"});
    Run({"SET", "s:neg", "-7"});
    Run({"SET", "s:int64", "9223372036854775807"});
    Run({"SET", "s:short", "hello"});
    Run({"SET", "s:lzf", std::string(300, 'a') + std::string(300, 'b')});
    std::string bin;
    for (int i = 0; i < 256; ++i) bin.push_back(char(i));
    Run({"SET", std::string("s:bin\0\xff", 7), bin});
    Run({"SET", "s:empty", ""});
    Run({"HSET", "h:small", "a", "1", "b", "two", "c", ""});
    Run({"HSET", "h:longval", "a", std::string(100, 'v')});
    Run({"RPUSH", "l:small", "a", "1", "-2", ""});
    Run({"SADD", "set:ints", "3", "-1", "70000", "5000000000"});
    Run({"SADD", "set:strs", "x", "y", "12"});
    Run({"ZADD", "z:small", "1", "a", "-2.5", "b", "inf", "c", "-inf", "d", "0", "e"});
    Run({"ZADD", "z:long", "1", std::string(100, 'm')});
    Run({"XADD", "st", "1-1", "f", "v", "g", "w"});
    Run({"XADD", "st", "1-2", "f", "v2", "g", "w2"});
    Run({"XADD", "st", "2-0", "other", "x"});
    Run({"XADD", "st", "3-0", "f", "v3", "g", "w3"});
    Run({"XDEL", "st", "1-2"});
    Run({"XGROUP", "CREATE", "st", "g1", "0"});
    Run({"XGROUP", "CREATE", "st", "g2", "$"});
    Run({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "st", ">"});
    Run({"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "st", ">"});
    Run({"XGROUP", "CREATECONSUMER", "st", "g2", "idle"});
    Run({"XGROUP", "CREATE", "st:empty", "g", "$", "MKSTREAM"});
    Run({"PEXPIRE", "s:short", "100000"});
    Run({"PEXPIRE", "h:small", "200000"});
    Run({"PEXPIRE", "st", "300000"});
    for (int db = 1; db < 16; db += 7) {
      Run({"SELECT", std::to_string(db)});
      Run({"SET", "k" + std::to_string(db), "v"});
      Run({"RPUSH", "l" + std::to_string(db), "x"});
    }
    Run({"SELECT", "0"});
    if (!big) return;
    for (int i = 0; i < 600; ++i) {
      std::string n = std::to_string(i);
      Run({"HSET", "h:big", "f" + n, "v" + n});
      Run({"SADD", "set:bigints", n});
      Run({"SADD", "set:bigstrs", "m" + n});
      Run({"ZADD", "z:big", std::to_string(i * 0.5), "m" + n});
      Run({"RPUSH", "l:big", "element-number-" + n});
    }
    Run({"RPUSH", "l:big", std::string(20000, 'H')});
    for (int i = 0; i < 250; ++i) {
      Run({"XADD", "st:big", "*", i % 3 ? "f" : "g", std::to_string(i), "common", "x"});
    }
  }
};

// ---------------------------------------------------------------------------------------------
// CRC-64 and LZF

TEST(RdbCrc64Test, IncrementalEqualsWhole) {
  EXPECT_EQ(Crc64("123456789"), 0xe9c6d914c4b8d9caULL);
  std::string data;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) data.push_back(char(rng()));
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    std::string_view a(data.data(), split), b(data.data() + split, data.size() - split);
    EXPECT_EQ(Crc64(Crc64(0, a), b), Crc64(data)) << split;
  }
}

TEST(RdbLzfTest, RoundTripsWhatItCompresses) {
  std::mt19937 rng(1);
  std::vector<std::string> inputs = {"abcabcabcabcabcabcabcabcXYZ", std::string(100000, 'a'),
                                     std::string(21, 'q')};
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "the quick brown fox " + std::to_string(i % 37) + " ";
  inputs.push_back(text);
  std::string mixed;
  for (int i = 0; i < 50000; ++i) mixed.push_back(char(i % 50 < 25 ? 'x' : 'a' + rng() % 3));
  inputs.push_back(mixed);
  for (const std::string& in : inputs) {
    std::string out(in.size() + in.size() / 32 + 16, '\0');
    size_t n = LzfCompress(in, out.data(), out.size());
    ASSERT_GT(n, 0u);
    EXPECT_LT(n, in.size());
    std::string back(in.size(), '\0');
    ASSERT_TRUE(LzfDecompress(std::string_view(out.data(), n), back.data(), back.size()));
    EXPECT_EQ(back, in);
    EXPECT_LE(in.size(), LzfMaxExpansion(n));
  }
  // A run of one byte compresses to about 3 bytes per 264.
  std::string out(200000, '\0');
  EXPECT_LT(LzfCompress(std::string(100000, 'a'), out.data(), out.size()), 1200u);
}

TEST(RdbLzfTest, IncompressibleDataDoesNotFit) {
  std::mt19937 rng(2);
  std::string in;
  for (int i = 0; i < 4096; ++i) in.push_back(char(rng()));
  std::string out(in.size() - 4, '\0');
  EXPECT_EQ(LzfCompress(in, out.data(), out.size()), 0u);
  // With room for literal runs it round-trips all the same.
  out.resize(in.size() + in.size() / 32 + 16);
  size_t n = LzfCompress(in, out.data(), out.size());
  ASSERT_GT(n, in.size());
  std::string back(in.size(), '\0');
  ASSERT_TRUE(LzfDecompress(std::string_view(out.data(), n), back.data(), back.size()));
  EXPECT_EQ(back, in);
  EXPECT_EQ(LzfCompress("", out.data(), out.size()), 0u);
}

TEST(RdbLzfTest, DecompressRejectsMalformedStreams) {
  std::string in(5000, 'z');
  in += "tail of the data";
  std::string out(in.size(), '\0');
  size_t n = LzfCompress(in, out.data(), out.size());
  ASSERT_GT(n, 0u);
  std::string c(out.data(), n), back(in.size(), '\0');
  for (size_t cut = 0; cut < c.size(); ++cut) {
    EXPECT_FALSE(LzfDecompress(std::string_view(c.data(), cut), back.data(), back.size())) << cut;
  }
  EXPECT_FALSE(LzfDecompress(c, back.data(), back.size() - 1));  // output too small
  std::string bigger(in.size() + 1, '\0');
  EXPECT_FALSE(LzfDecompress(c, bigger.data(), bigger.size()));  // output too large
  // A back reference before the start of the output.
  std::string ref = {char(0), 'a', char(1 << 5), char(5)};
  std::string small(8, '\0');
  EXPECT_FALSE(LzfDecompress(ref, small.data(), 4));
  // Random garbage never reads or writes out of bounds.
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(size_t(rng() % 64), '\0');
    for (char& ch : junk) ch = char(rng());
    LzfDecompress(junk, small.data(), rng() % 9);
  }
}

// ---------------------------------------------------------------------------------------------
// Packed containers

TEST(RdbPackedTest, ListpackRoundTripsEveryEncoding) {
  std::vector<int64_t> ints = {0,
                               127,
                               128,
                               -1,
                               -4096,
                               4095,
                               4096,
                               -4097,
                               32767,
                               -32768,
                               32768,
                               8388607,
                               -8388608,
                               8388608,
                               INT32_MAX,
                               INT32_MIN,
                               int64_t(INT32_MAX) + 1,
                               INT64_MIN,
                               INT64_MAX};
  std::vector<std::string> strs = {"",
                                   "a",
                                   std::string(63, 'x'),
                                   std::string(64, 'y'),
                                   std::string(4095, 'z'),
                                   std::string(4096, 'w'),
                                   std::string(20000, 'v'),
                                   "007",
                                   "-0",
                                   "12a",
                                   "+1"};
  ListpackBuilder lp;
  for (int64_t v : ints) lp.AddInt(v);
  for (const auto& s : strs) lp.Add(s);
  lp.Add("-42");  // a canonical integer string is stored as an integer
  size_t expected_bytes = lp.bytes();
  std::string blob = lp.Finish();
  EXPECT_EQ(blob.size(), expected_bytes);
  ListpackReader r(blob);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.header_count(), ints.size() + strs.size() + 1);
  PackedValue v;
  for (int64_t want : ints) {
    ASSERT_TRUE(r.Next(&v));
    EXPECT_TRUE(v.is_int);
    EXPECT_EQ(v.num, want);
  }
  for (const auto& want : strs) {
    ASSERT_TRUE(r.Next(&v));
    EXPECT_FALSE(v.is_int) << want;
    EXPECT_EQ(v.str, want);
  }
  ASSERT_TRUE(r.Next(&v));
  EXPECT_TRUE(v.is_int);
  EXPECT_EQ(v.ToString(), "-42");
  EXPECT_FALSE(r.Next(&v));
  EXPECT_TRUE(r.ok()) << r.error();
}

TEST(RdbPackedTest, ListpackReaderRejectsCorruption) {
  ListpackBuilder lp;
  lp.Add("hello");
  lp.Add(std::string(200, 'x'));
  lp.AddInt(1000);
  std::string good = lp.Finish();
  auto drain = [](std::string_view blob) {
    ListpackReader r(blob);
    PackedValue v;
    while (r.Next(&v)) {
    }
    return r.ok() ? std::string() : r.error();
  };
  EXPECT_EQ(drain(good), "");
  std::string bad = good;
  bad[0] ^= 1;  // total bytes
  EXPECT_THAT(drain(bad), HasSubstr("total bytes"));
  bad = good;
  bad.back() = 0;  // terminator
  EXPECT_THAT(drain(bad), HasSubstr("terminator"));
  bad = good;
  bad[4] = 7;  // header count
  EXPECT_THAT(drain(bad), HasSubstr("header says"));
  bad = good;
  bad[6 + 1 + 5] ^= 1;  // the first element's backlen
  EXPECT_THAT(drain(bad), HasSubstr("backlen"));
  bad = good;
  bad[6] = char(0xF5);  // no such encoding
  EXPECT_THAT(drain(bad), HasSubstr("encoding"));
  EXPECT_NE(drain(good.substr(0, 5)), "");
  // Every single-byte change and every truncation is either read consistently or rejected.
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xFF}) {
      bad = good;
      bad[i] = char(uint8_t(bad[i]) ^ x);
      drain(bad);
    }
    drain(std::string_view(good.data(), i));
  }
}

TEST(RdbPackedTest, IntsetWidthsAndValidation) {
  std::vector<int64_t> out;
  std::string error;
  for (const std::vector<int64_t>& values :
       {std::vector<int64_t>{-3, 1, 300}, std::vector<int64_t>{-70000, 5},
        std::vector<int64_t>{INT64_MIN, 0, INT64_MAX}, std::vector<int64_t>{}}) {
    std::string blob = BuildIntset(values);
    ASSERT_TRUE(ReadIntset(blob, &out, &error)) << error;
    EXPECT_EQ(out, values);
  }
  EXPECT_EQ(BuildIntset({1, 2}).size(), 8u + 4u);
  EXPECT_EQ(BuildIntset({1, 70000}).size(), 8u + 8u);
  EXPECT_EQ(BuildIntset({1, 5000000000}).size(), 8u + 16u);
  std::string unsorted = BuildIntset({5, 1});
  EXPECT_FALSE(ReadIntset(unsorted, &out, &error));
  EXPECT_THAT(error, HasSubstr("ascending"));
  std::string blob = BuildIntset({1, 2, 3});
  EXPECT_FALSE(ReadIntset(blob.substr(0, blob.size() - 1), &out, &error));
  blob[0] = 3;
  EXPECT_FALSE(ReadIntset(blob, &out, &error));
  EXPECT_THAT(error, HasSubstr("width"));
}

TEST(RdbPackedTest, ZiplistReaderChecksPrevlenAndTail) {
  ZiplistBuilder zl;
  zl.Add("a").AddInt(7).AddInt(-300).AddInt(int64_t(1) << 40).Add(std::string(300, 's')).Add("b");
  std::string good = zl.Finish();
  auto read = [](std::string_view blob, std::vector<std::string>* items) {
    ZiplistReader r(blob);
    PackedValue v;
    while (r.Next(&v)) items->push_back(v.ToString());
    return r.ok();
  };
  std::vector<std::string> items;
  ASSERT_TRUE(read(good, &items));
  EXPECT_EQ(items, (std::vector<std::string>{"a", "7", "-300", "1099511627776",
                                             std::string(300, 's'), "b"}));
  std::string bad = good;
  bad[4] ^= 1;  // tail offset
  items.clear();
  EXPECT_FALSE(read(bad, &items));
  bad = good;
  bad[13] ^= 1;  // the second entry's prevlen (the first entry is 3 bytes at offset 10)
  EXPECT_FALSE(read(bad, &items));
  for (size_t i = 0; i < good.size(); ++i) {
    bad = good;
    bad[i] = char(~bad[i]);
    read(bad, &items);
  }
}

// ---------------------------------------------------------------------------------------------
// Writer -> loader

TEST_F(RdbTest, EveryTypeAndRepresentationRoundTrips) {
  FillEverything();
  std::vector<std::string> before = Listing();
  ASSERT_GT(before.size(), 25u);
  std::string file = Save();
  LoadOutcome out = LoadRdb(file);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_EQ(out.result.bytes, file.size());
  EXPECT_EQ(out.result.version, 10);
  EXPECT_EQ(out.result.keys, before.size());
  EXPECT_EQ(out.lines, before);
  EXPECT_EQ(out.aux, (std::vector<std::pair<std::string, std::string>>{{"redis-ver", "7.0.15"},
                                                                       {"ctime", "1700000000"}}));
  // The representations really are all there.
  std::string all;
  for (const auto& line : before) all += line + "\n";
  for (std::string_view want :
       {"string int", "string embstr", "hash listpack", "hash hashtable", "set intset",
        "set hashtable", "zset listpack", "zset skiplist", "list quicklist", "stream stream"}) {
    EXPECT_THAT(all, HasSubstr(want));
  }
}

TEST_F(RdbTest, LoadedEntriesServeCommands) {
  FillEverything(false);
  std::string file = Save();
  // Load into database 0 of a fresh keyspace, then use the values.
  Run({"FLUSHALL"});
  StringSource src(file);
  RdbLoader loader(&src, RestoreLimits{});
  RdbLoadResult r =
      loader.Load([&](int db, Entry* e) { engine_.keyspace().db(db).Put(e); }, nullptr);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Run({"HGETALL", "h:small"}), "[a, 1, b, two, c, ]");
  EXPECT_EQ(Run({"ZRANGE", "z:small", "0", "-1", "WITHSCORES"}),
            "[d, -inf, b, -2.5, e, 0, a, 1, c, inf]");
  EXPECT_EQ(Run({"SMEMBERS", "set:ints"}), "[-1, 3, 70000, 5000000000]");
  EXPECT_EQ(Run({"LRANGE", "l:small", "0", "-1"}), "[a, 1, -2, ]");
  EXPECT_EQ(Run({"GET", "s:int"}), "12345");
  EXPECT_EQ(Run({"PTTL", "s:short"}), "100000");
  EXPECT_EQ(Run({"XPENDING", "st", "g1"}), "[3, 1-1, 3-0, [[alice, 2], [bob, 1]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "st", ">"}), "(nil)");
  EXPECT_EQ(Run({"XACK", "st", "g1", "1-1", "2-0"}), "2");
  EXPECT_EQ(Run({"XLEN", "st:empty"}), "0");
  EXPECT_EQ(Run({"SELECT", "8"}), "OK");
  EXPECT_EQ(Run({"GET", "k8"}), "v");
}

TEST_F(RdbTest, LimitsChooseTheRepresentation) {
  FillEverything(false);
  std::string file = Save();
  RestoreLimits tiny;
  tiny.hash.max_listpack_entries = 1;
  tiny.max_intset = 1;
  tiny.zset.max_listpack_entries = 1;
  LoadOutcome out = LoadRdb(file, tiny);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  std::string all;
  for (const auto& line : out.lines) all += line + "\n";
  EXPECT_THAT(all, HasSubstr("\"h:small\" hash hashtable"));
  EXPECT_THAT(all, HasSubstr("\"set:ints\" set hashtable"));
  EXPECT_THAT(all, HasSubstr("\"z:small\" zset skiplist"));
}

TEST_F(RdbTest, CompressionAndChecksumOptions) {
  FillEverything(false);
  std::string plain = Save(/*compress=*/false, /*checksum=*/false);
  std::string packed = Save(/*compress=*/true, /*checksum=*/true);
  EXPECT_LT(packed.size(), plain.size());
  EXPECT_EQ(plain.substr(plain.size() - 8), std::string(8, '\0'));  // no checksum
  EXPECT_EQ(packed.substr(packed.size() - 9, 1), "\xff");
  uint64_t crc = 0;
  memcpy(&crc, packed.data() + packed.size() - 8, 8);
  EXPECT_EQ(crc, Crc64(std::string_view(packed.data(), packed.size() - 8)));
  LoadOutcome a = LoadRdb(plain), b = LoadRdb(packed);
  ASSERT_TRUE(a.result.ok) << a.result.error;
  ASSERT_TRUE(b.result.ok) << b.result.error;
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_EQ(a.lines, Listing());
}

TEST_F(RdbTest, ChunkedOutputEqualsOneShot) {
  FillEverything();
  std::string whole = Save();
  // Drain after every call, alternating Take() and consuming buffer() in place.
  RdbWriter w(true, true);
  std::string streamed;
  int turn = 0;
  auto drain = [&] {
    if (turn++ % 2) {
      streamed += w.Take();
    } else {
      streamed += w.buffer();
      w.buffer().clear();
    }
  };
  w.Header();
  drain();
  w.Aux("redis-ver", "7.0.15");
  drain();
  w.Aux("ctime", int64_t(1700000000));
  drain();
  for (int db = 0; db < engine_.keyspace().num_dbs(); ++db) {
    Db& d = engine_.keyspace().db(db);
    if (d.size() == 0) continue;
    w.SelectDb(db);
    w.ResizeDb(d.size(), d.expires_size());
    drain();
    d.ForEach([&](Entry* e) {
      w.Key(e, clock_.NowMs());
      drain();
    });
  }
  w.Finish();
  EXPECT_EQ(w.total_bytes(), whole.size());
  drain();
  EXPECT_EQ(streamed, whole);
}

TEST_F(RdbTest, ExpiredKeysAreNotWritten) {
  Run({"SET", "gone", "v", "PX", "10"});
  Run({"SET", "kept", "v", "PX", "1000"});
  Entry* gone = engine_.keyspace().db(0).FindRaw("gone");
  Entry* kept = engine_.keyspace().db(0).FindRaw("kept");
  RdbWriter w(true, true);
  int64_t later = clock_.NowMs() + 500;
  EXPECT_FALSE(w.Key(gone, later));
  EXPECT_EQ(w.buffer(), "");
  EXPECT_TRUE(w.Key(kept, later));
  EXPECT_TRUE(w.Key(gone, INT64_MIN));
  // The loader hands expired keys over with their deadline; the caller decides.
  RdbBytes b;
  b.Raw("REDIS0010").Raw(w.Take());
  LoadOutcome out = LoadRdb(b.Finish());
  ASSERT_TRUE(out.result.ok) << out.result.error;
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_THAT(out.lines[0], HasSubstr(std::to_string(clock_.NowMs() + 10)));
}

TEST_F(RdbTest, AccessInfoTravels) {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  Run({"SET", "c", "3"});
  Db& d = engine_.keyspace().db(0);
  RdbWriter w(true, true);
  w.Header();
  w.Key(d.FindRaw("a"), 0, RdbKeyAccess{.lru_idle_s = 4000});
  w.Key(d.FindRaw("b"), 0, RdbKeyAccess{.lfu_freq = 300});
  w.Key(d.FindRaw("c"), 0);
  w.Finish();
  std::string file = w.Take();
  StringSource src(file);
  RdbLoader loader(&src, RestoreLimits{});
  std::map<std::string, std::pair<int64_t, int>> seen;
  RdbLoadResult r = loader.Load(
      [&](int, Entry* e) {
        seen[std::string(e->key())] = {loader.key_access().lru_idle_s,
                                       loader.key_access().lfu_freq};
        Entry::Free(e);
      },
      nullptr);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(seen["a"], std::make_pair(int64_t(4000), -1));
  EXPECT_EQ(seen["b"], std::make_pair(int64_t(-1), 255));
  EXPECT_EQ(seen["c"], std::make_pair(int64_t(-1), -1));
}

// A source that hands out one byte per Read, as a slow socket might.
class TrickleSource : public RdbSource {
 public:
  explicit TrickleSource(std::string_view data) : data_(data) {}
  size_t Read(char* buf, size_t n) override {
    if (n == 0 || data_.empty()) return 0;
    buf[0] = data_[0];
    data_.remove_prefix(1);
    return 1;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

TEST_F(RdbTest, SourcesMayTrickleAndTheLoaderStopsAtTheChecksum) {
  FillEverything(false);
  std::string file = Save();
  std::string with_trailer = file + "$EOF-MARK-AND-MORE";
  TrickleSource src(with_trailer);
  RdbLoader loader(&src, RestoreLimits{});
  std::vector<std::string> lines;
  RdbLoadResult r = loader.Load(
      [&](int db, Entry* e) {
        lines.push_back(KeyLine(db, e));
        Entry::Free(e);
      },
      nullptr);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.bytes, file.size());
  EXPECT_EQ(src.rest(), "$EOF-MARK-AND-MORE");
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, Listing());
}

TEST_F(RdbTest, FileSourceReadsFiles) {
  FillEverything();
  std::string file = Save();
  char path[] = "/tmp/ember-rdb-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, file.data(), file.size()), ssize_t(file.size()));
  close(fd);
  FileSource src(path);
  ASSERT_TRUE(src.ok()) << src.error();
  RdbLoader loader(&src, RestoreLimits{});
  uint64_t keys = 0;
  RdbLoadResult r = loader.Load(
      [&](int, Entry* e) {
        ++keys;
        Entry::Free(e);
      },
      nullptr);
  unlink(path);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(keys, Listing().size());
  FileSource missing("/nonexistent/dir/dump.rdb");
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("cannot open"));
}

TEST_F(RdbTest, CallbacksCanStopTheLoad) {
  FillEverything(false);
  std::string file = Save();
  StringSource src(file);
  RdbLoader loader(&src, RestoreLimits{});
  int seen = 0;
  RdbLoadResult r = loader.Load(
      [&](int, Entry* e) {
        Entry::Free(e);
        if (++seen == 3) loader.Fail("duplicate key");
      },
      nullptr);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(seen, 3);
  EXPECT_THAT(r.error, HasSubstr("duplicate key at offset"));
  EXPECT_GT(r.bytes, 9u);
}

// ---------------------------------------------------------------------------------------------
// Malformed input

TEST_F(RdbTest, TruncationAtEveryOffsetFails) {
  FillEverything(false);
  std::string file = Save();
  ASSERT_GT(file.size(), 500u);
  for (size_t cut = 0; cut < file.size(); ++cut) {
    LoadOutcome out = LoadRdb(std::string_view(file.data(), cut));
    ASSERT_FALSE(out.result.ok) << cut;
    EXPECT_LE(out.result.bytes, cut);
    EXPECT_THAT(out.result.error, HasSubstr(" at offset "));
  }
}

TEST_F(RdbTest, LargeFileTruncationsFail) {
  FillEverything();
  std::string file = Save();
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    size_t cut = rng() % file.size();
    LoadOutcome out = LoadRdb(std::string_view(file.data(), cut));
    ASSERT_FALSE(out.result.ok) << cut;
  }
}

TEST_F(RdbTest, CorruptedBytesAreCaughtNeverCrash) {
  FillEverything(false);
  std::string with_crc = Save(true, true);
  std::string without_crc = Save(true, false);
  for (size_t i = 9; i < with_crc.size(); ++i) {
    for (uint8_t x : {0x01, 0x40, 0x80, 0xFF}) {
      std::string bad = with_crc;
      bad[i] = char(uint8_t(bad[i]) ^ x);
      // With the checksum on, every change is detected somewhere.
      EXPECT_FALSE(LoadRdb(bad).result.ok) << i << " ^ " << int(x);
      // Without it, the parsers alone must stay safe.
      bad = without_crc;
      if (i < bad.size()) {
        bad[i] = char(uint8_t(bad[i]) ^ x);
        LoadRdb(bad);
      }
    }
  }
}

TEST(RdbLoaderTest, RejectsOtherFilesAndNewerVersions) {
  LoadOutcome out = LoadRdb("GARBAGE000");
  EXPECT_FALSE(out.result.ok);
  EXPECT_THAT(out.result.error, HasSubstr("not an RDB file"));
  EXPECT_EQ(out.result.bytes, 0u);
  out = LoadRdb(RdbBytes{}.Raw("REDIS0011").Finish());
  EXPECT_FALSE(out.result.ok);
  EXPECT_THAT(out.result.error, HasSubstr("version 11 is not supported"));
  EXPECT_EQ(out.result.bytes, 5u);
  out = LoadRdb(RdbBytes{}.Raw("REDIS00x9").Finish());
  EXPECT_FALSE(out.result.ok);
  // Every version from 1 to 10 is accepted; before 5 there is no checksum.
  for (int v = 1; v <= 10; ++v) {
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", v);
    std::string file = RdbBytes{}.Raw(magic).Byte(0x00).Str("k").Str("v").Byte(0xFF).s;
    if (v >= 5) file += std::string(8, '\0');
    out = LoadRdb(file);
    EXPECT_TRUE(out.result.ok) << v << ": " << out.result.error;
    EXPECT_EQ(out.result.keys, 1u);
  }
}

TEST(RdbLoaderTest, WrongChecksum) {
  std::string file = RdbBytes{}.Raw("REDIS0010").Byte(0).Str("k").Str("v").Finish();
  file.back() ^= 1;
  LoadOutcome out = LoadRdb(file);
  EXPECT_FALSE(out.result.ok);
  EXPECT_THAT(out.result.error, HasSubstr("wrong RDB checksum"));
  EXPECT_EQ(out.result.bytes, file.size() - 8);
}

TEST(RdbLoaderTest, FunctionsAndModulesAreRefusedClearly) {
  LoadOutcome out = LoadRdb(RdbBytes{}.Raw("REDIS0010").Byte(245).Str("#!lua name=x").Finish());
  EXPECT_FALSE(out.result.ok);
  EXPECT_THAT(out.result.error, HasSubstr("function library"));
  EXPECT_EQ(out.result.bytes, 9u);
  out = LoadRdb(RdbBytes{}.Raw("REDIS0010").Byte(247).Len(1).Finish());
  EXPECT_THAT(out.result.error, HasSubstr("module data"));
  out = LoadRdb(OneKeyFile(7, RdbBytes{}.Len(12345).s));
  EXPECT_THAT(out.result.error, HasSubstr("module value"));
  out = LoadRdb(OneKeyFile(8, ""));
  EXPECT_THAT(out.result.error, HasSubstr("unknown RDB value type 8"));
}

TEST(RdbLoaderTest, HugeLengthsAreNotAllocated) {
  // A string, a set and an LZF blob that announce far more than the file holds.
  LoadOutcome out = LoadRdb(OneKeyFile(0, RdbBytes{}.Len(uint64_t(1) << 50).Raw("abc").s));
  EXPECT_FALSE(out.result.ok);
  EXPECT_THAT(out.result.error, HasSubstr("unexpected end of file"));
  out = LoadRdb(OneKeyFile(2, RdbBytes{}.Len(uint64_t(1) << 62).Str("a").Str("b").s));
  EXPECT_FALSE(out.result.ok);  // runs into the EOF opcode and the CRC
  out = LoadRdb(OneKeyFile(0, RdbBytes{}.Byte(0xC3).Len(4).Len(uint64_t(1) << 40).Raw("xxxx").s));
  EXPECT_THAT(out.result.error, HasSubstr("LZF string claims"));
  out = LoadRdb(OneKeyFile(18, RdbBytes{}.Len(uint64_t(1) << 40).Len(2).Str("x").s));
  EXPECT_FALSE(out.result.ok);
  // A stream with no nodes, zero counters and 2^60 groups.
  RdbBytes groups;
  for (int i = 0; i < 9; ++i) groups.Len(0);
  out = LoadRdb(OneKeyFile(19, groups.Len(uint64_t(1) << 60).s));
  EXPECT_FALSE(out.result.ok);
}

TEST(RdbLoaderTest, DuplicatesAreRejected) {
  LoadOutcome out = LoadRdb(OneKeyFile(2, RdbBytes{}.Len(2).Str("a").Str("a").s));
  EXPECT_THAT(out.result.error, HasSubstr("duplicate set member"));
  out = LoadRdb(OneKeyFile(2, RdbBytes{}.Len(2).Str("1").Str("1").s));
  EXPECT_THAT(out.result.error, HasSubstr("duplicate set member"));
  out = LoadRdb(OneKeyFile(4, RdbBytes{}.Len(2).Str("f").Str("1").Str("f").Str("2").s));
  EXPECT_THAT(out.result.error, HasSubstr("duplicate hash field"));
  std::string z = RdbBytes{}.Len(2).Str("m").Le(0, 8).Str("m").Le(0x3FF0000000000000, 8).s;
  out = LoadRdb(OneKeyFile(5, z));
  EXPECT_THAT(out.result.error, HasSubstr("duplicate zset member"));
  out = LoadRdb(OneKeyFile(5, RdbBytes{}.Len(1).Str("m").Le(0x7FF8000000000000, 8).s));
  EXPECT_THAT(out.result.error, HasSubstr("NaN"));
  ListpackBuilder lp;
  lp.Add("f");
  lp.Add("1");
  lp.Add("f");
  lp.Add("2");
  out = LoadRdb(OneKeyFile(16, RdbBytes{}.Str(lp.Finish()).s));
  EXPECT_THAT(out.result.error, HasSubstr("duplicate hash field"));
}

TEST(RdbLoaderTest, EmptyCollectionsAreSkipped) {
  RdbBytes b;
  b.Raw("REDIS0010");
  b.Byte(1).Str("l").Len(0);
  b.Byte(2).Str("s").Len(0);
  b.Byte(18).Str("q").Len(1).Len(2).Str(ListpackBuilder().Finish());
  b.Byte(16).Str("h").Str(ListpackBuilder().Finish());
  b.Byte(0).Str("kept").Str("v");
  LoadOutcome out = LoadRdb(b.Finish());
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_EQ(out.result.keys, 1u);
  EXPECT_EQ(out.result.empty_keys_skipped, 4u);
}

// ---------------------------------------------------------------------------------------------
// Encodings of older Redis versions and of Redis 7.2

TEST(RdbLoaderTest, LegacyEncodings) {
  RdbBytes b;
  b.Raw("REDIS0006").Byte(0xFE).Len(2);
  b.Byte(0xFD).Le(1800000000, 4);  // EXPIRETIME in seconds
  b.Byte(10).Str("zl").Str(ZiplistBuilder().Add("a").AddInt(5).AddInt(-1000).Finish());
  b.Byte(13).Str("zh").Str(ZiplistBuilder().Add("f").AddInt(1).Add("g").Add("x").Finish());
  b.Byte(12).Str("zz").Str(ZiplistBuilder().Add("m").Add("1.5").Add("n").AddInt(-3).Finish());
  b.Byte(14)
      .Str("ql")
      .Len(2)
      .Str(ZiplistBuilder().Add("q1").Finish())
      .Str(ZiplistBuilder().AddInt(2).Finish());
  b.Byte(11).Str("is").Str(BuildIntset({-2, 9}));
  std::string zipmap =
      RdbBytes{}.Byte(1).Str("key").Len(3).Byte(2).Raw("val").Byte(0).Byte(0).Byte(0xFF).s;
  b.Byte(9).Str("zm").Str(zipmap);
  b.Byte(3).Str("tz").Len(3).Str("a").Str("2.5").Str("b").Byte(254).Str("c").Byte(255);
  LoadOutcome out = LoadRdb(b.Finish());
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_EQ(out.lines, (std::vector<std::string>{
                           "2 \"is\" set intset -1 {\"-2\",\"9\"}",
                           "2 \"ql\" list quicklist -1 [\"q1\",\"2\"]",
                           "2 \"tz\" zset listpack -1 [\"c\"=-inf,\"a\"=2.5,\"b\"=inf]",
                           "2 \"zh\" hash listpack -1 {\"f\":\"1\",\"g\":\"x\"}",
                           "2 \"zl\" list quicklist 1800000000000 [\"a\",\"5\",\"-1000\"]",
                           "2 \"zm\" hash listpack -1 {\"key\":\"val\"}",
                           "2 \"zz\" zset listpack -1 [\"n\"=-3,\"m\"=1.5]",
                       }));
}

TEST(RdbLoaderTest, SetListpackAndStreamV3FromRedis72) {
  RdbBytes b;
  b.Raw("REDIS0010");
  ListpackBuilder members;
  members.Add("x");
  members.AddInt(7);
  b.Byte(20).Str("sl").Str(members.Finish());
  // A stream with one node of one entry, a group, and a consumer with both of 7.2's times.
  ListpackBuilder node;
  for (int64_t v : {1, 0, 1}) node.AddInt(v);
  node.Add("f");
  node.AddInt(0);
  for (int64_t v : {2, 0, 0}) node.AddInt(v);
  node.Add("v");
  node.AddInt(4);
  b.Byte(21).Str("st").Len(1).Str(RdbBytes{}.Id(5, 1).s).Str(node.Finish());
  b.Len(1).Len(5).Len(1).Len(5).Len(1).Len(0).Len(0).Len(1);  // length, last, first, maxdel, added
  b.Len(1).Str("g").Len(5).Len(1).Len(1);                     // group, last id, entries-read
  b.Len(1).Id(5, 1).Le(1000, 8).Len(2);                       // PEL: id, delivered, count
  b.Len(1).Str("c").Le(2000, 8).Le(3000, 8).Len(1).Id(5, 1);  // consumer: seen, active, PEL
  LoadOutcome out = LoadRdb(b.Finish());
  ASSERT_TRUE(out.result.ok) << out.result.error;
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[0], "0 \"sl\" set hashtable -1 {\"7\",\"x\"}");
  EXPECT_EQ(out.lines[1],
            "0 \"st\" stream stream -1 {entries=[5-1[\"f\",\"v\"]] last=5-1 first=5-1 "
            "maxdel=0-0 added=1 groups=[\"g\"{last=5-1 read=1 pel=[5-1:\"c\":1000:2] "
            "consumers=[\"c\":2000[5-1]]}]}");
}

TEST(RdbLoaderTest, StreamConsistencyIsChecked) {
  auto stream_file = [](int64_t lp_count, uint64_t length, bool orphan_pel, bool out_of_order) {
    ListpackBuilder node;
    for (int64_t v : {2, 0, 1}) node.AddInt(v);
    node.Add("f");
    node.AddInt(0);
    for (int64_t v : {2, 0, 0}) node.AddInt(v);
    node.Add("a");
    node.AddInt(lp_count);
    for (int64_t v : {2, 0, out_of_order ? -1 : 1}) node.AddInt(v);
    node.Add("b");
    node.AddInt(4);
    RdbBytes b;
    b.Len(1).Str(RdbBytes{}.Id(5, 1).s).Str(node.Finish());
    b.Len(length).Len(5).Len(2).Len(5).Len(1).Len(0).Len(0).Len(2);
    b.Len(1).Str("g").Len(5).Len(2).Len(2);
    b.Len(1).Id(5, 1).Le(1000, 8).Len(1);
    b.Len(orphan_pel ? 0 : 1);
    if (!orphan_pel) b.Str("c").Le(2000, 8).Len(1).Id(5, 1);
    return OneKeyFile(19, b.s);
  };
  EXPECT_TRUE(LoadRdb(stream_file(4, 2, false, false)).result.ok);
  EXPECT_THAT(LoadRdb(stream_file(5, 2, false, false)).result.error, HasSubstr("lp-count"));
  EXPECT_THAT(LoadRdb(stream_file(4, 3, false, false)).result.error, HasSubstr("stream length 3"));
  EXPECT_THAT(LoadRdb(stream_file(4, 2, true, false)).result.error, HasSubstr("no consumer"));
  EXPECT_THAT(LoadRdb(stream_file(4, 2, false, true)).result.error, HasSubstr("not ascending"));
}

}  // namespace
}  // namespace ember
