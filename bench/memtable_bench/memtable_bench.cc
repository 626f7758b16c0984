// memtable_bench: what each RocksDB memtable representation costs for the
// event store's request records: ids that arrive in no order, are written
// once, are looked up before every append (nearly always in vain), and
// reach a table file by a flush. For each representation it fills one
// memtable with random ids (WAL off: the memtable alone), looks up absent
// ids, and flushes, and prints CPU microseconds per record for each step.
//
// "hash" is the store's choice (RequestsFamilyOptions in
// libs/eventstore/src/rocksdb_event_store.cc); "skiplist" is RocksDB's
// default; "vector" appends on insert and sorts at flush, but sorts a copy
// of the whole memtable for any lookup its bloom filter lets through,
// hence the maximum lookup time.
//
// Usage: memtable_bench [--records=500000] [--lookups=10000] [--dir=PARENT]
// (scratch databases go into a new directory under PARENT, removed after)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "CLI/CLI.hpp"
#include "changeledger/bench/cpu_time.h"
#include "changeledger/bench/scratch_dir.h"
#include "rocksdb/db.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/slice_transform.h"

namespace {

using changeledger::bench::ProcessCpuMicros;

// Thrown on a RocksDB error, so that the open database is closed and the
// scratch directory removed on the way out.
struct RocksError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const char* what, const rocksdb::Status& s) {
  throw RocksError(std::string(what) + ": " + s.ToString());
}

// A request key as the store writes it: its prefix byte and an id (32
// random hex characters here).
std::string RandomRequestKey(std::mt19937_64& rng) {
  char key[34];
  snprintf(key, sizeof key, "i%016llx%016llx", static_cast<unsigned long long>(rng()),
           static_cast<unsigned long long>(rng()));
  return key;
}

rocksdb::Options OptionsFor(const std::string& rep, int records) {
  rocksdb::Options o;
  o.create_if_missing = true;
  // One memtable holds every record (the store's are 64 MiB, about 600,000
  // request records), so that the flush at the end is the only one.
  o.write_buffer_size = std::max<size_t>(64u << 20, static_cast<size_t>(records) * 160);
  o.allow_concurrent_memtable_write = false;  // the hash and vector memtables need it
  o.prefix_extractor.reset(rocksdb::NewNoopTransform());
  if (rep == "hash") {
    o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(131072));
  } else if (rep == "vector") {
    o.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
    // Without a bloom filter every lookup would sort the memtable.
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = 0.05;
  }
  return o;
}

struct Costs {
  double insert_us = 0;
  double lookup_us = 0;
  double lookup_max_us = 0;
  double flush_us = 0;
};

Costs Measure(const std::string& rep, const std::string& path, int records, int lookups) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(OptionsFor(rep, records), path, &raw);
  if (!s.ok()) Fail("open", s);
  std::unique_ptr<rocksdb::DB> db(raw);
  std::mt19937_64 rng(1);
  const std::string value(40, 'v');  // about an encoded append result
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  Costs c;

  double start = ProcessCpuMicros();
  for (int i = 0; i < records; ++i) {
    s = db->Put(wo, RandomRequestKey(rng), value);
    if (!s.ok()) Fail("put", s);
  }
  c.insert_us = (ProcessCpuMicros() - start) / records;

  std::string found;
  start = ProcessCpuMicros();
  for (int i = 0; i < lookups; ++i) {
    const double one = ProcessCpuMicros();
    s = db->Get(rocksdb::ReadOptions(), RandomRequestKey(rng), &found);
    if (!s.IsNotFound()) Fail("lookup of an absent id", s);
    c.lookup_max_us = std::max(c.lookup_max_us, ProcessCpuMicros() - one);
  }
  c.lookup_us = (ProcessCpuMicros() - start) / lookups;

  // The flush runs on RocksDB's thread while this one waits for it.
  start = ProcessCpuMicros();
  s = db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) Fail("flush", s);
  c.flush_us = (ProcessCpuMicros() - start) / records;
  s = db->Close();
  if (!s.ok()) Fail("close", s);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"RocksDB memtable representations under the request-record workload"};
  int records = 500000;
  int lookups = 10000;
  std::string parent = std::filesystem::temp_directory_path().string();
  app.add_option("--records", records, "random ids written into one memtable")
      ->check(CLI::Range(1000, 2000000));
  app.add_option("--lookups", lookups, "lookups of absent ids")->check(CLI::Range(1, 10000000));
  app.add_option("--dir", parent, "where to make the scratch directory")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);
  const std::string scratch = changeledger::bench::MakeScratchDir("memtable_bench", parent);
  if (scratch.empty()) return 1;

  printf("memtable_bench: %d random 33-byte ids with 40-byte values, WAL off; "
         "CPU us per record\n", records);
  printf("%-9s %8s %10s %14s %8s\n", "memtable", "insert", "lookup", "lookup_max", "flush");
  int status = 0;
  try {
    for (const char* rep : {"hash", "skiplist", "vector"}) {
      const Costs c = Measure(rep, scratch + "/" + rep, records, lookups);
      printf("%-9s %8.2f %10.2f %14.0f %8.2f\n", rep, c.insert_us, c.lookup_us,
             c.lookup_max_us, c.flush_us);
    }
  } catch (const RocksError& e) {
    fprintf(stderr, "memtable_bench: %s\n", e.what());
    status = 1;
  }
  std::filesystem::remove_all(scratch);
  return status;
}
