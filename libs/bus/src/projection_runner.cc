#include "changeledger/bus/projection_runner.h"

#include <grpcpp/channel.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/log_reader_service.h"
#include "kafka_conf.h"
#include "prefixed_kv_store.h"
#include "spdlog/spdlog.h"

namespace changeledger::bus {
namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

absl::Status ValidateName(const Projection* projection, const kv::KvStore* store) {
  if (projection == nullptr || store == nullptr) {
    return absl::InvalidArgumentError("projection and store are required");
  }
  const std::string name = projection->name();
  if (name.empty() || name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError("projection name: empty or contains '/'");
  }
  return absl::OkStatus();
}

// The logic shared by both sources: dedupe, apply, commit with positions,
// lifecycle, rebuild bookkeeping.
class RunnerBase : public ProjectionRunner {
 public:
  RunnerBase(Projection* projection, kv::KvStore* store, ProjectionRunnerOptions options,
             RunnerProbe* probe)
      : projection_(projection),
        store_(store),
        name_(projection->name()),
        options_(options),
        probe_(probe) {}

  void Start() override {
    std::lock_guard lock(lifecycle_mu_);
    if (thread_.joinable()) return;
    stop_.store(false);
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "projection");
      Run();
    });
  }

  void Stop() override {
    std::lock_guard lock(lifecycle_mu_);
    if (!thread_.joinable()) return;
    {
      std::lock_guard wake_lock(wake_mu_);
      stop_.store(true);
    }
    wake_cv_.notify_all();
    Interrupt();
    thread_.join();
  }

  absl::Status Rebuild() override {
    std::lock_guard lock(lifecycle_mu_);
    rebuilding_.store(true);
    if (probe_ != nullptr) probe_->Rebuild(true, 0.0);
    if (!thread_.joinable()) {
      // Stopped: wipe now; the next Start reads from the beginning.
      absl::Status s = WipeProjection(*store_, name_);
      if (s.ok()) rebuild_handled_.store(rebuild_requested_.load());
      ResetRebuildProgress();
      return s;
    }
    rebuild_requested_.fetch_add(1);
    Interrupt();
    return absl::OkStatus();
  }

  bool rebuilding() const override { return rebuilding_.load(); }

  absl::Status status() const override {
    std::lock_guard lock(status_mu_);
    return status_;
  }

  bool source_up() const override { return source_up_.load(); }

  RunnerStats stats() const override {
    RunnerStats s;
    s.applied = applied_.load();
    s.duplicates_dropped = duplicates_.load();
    s.gaps_dropped = gaps_.load();
    s.commits = commits_.load();
    s.lag = lag_.load();
    return s;
  }

  absl::StatusOr<uint64_t> StateHash() override {
    return ProjectionStateHash(*store_, name_);
  }

 protected:
  using Position = std::pair<std::string, std::string>;  // bookkeeping key, value

  virtual void Run() = 0;
  // Wakes the runner thread out of a blocking wait (Stop, Rebuild).
  virtual void Interrupt() {}

  bool RebuildPending() const {
    return rebuild_requested_.load() != rebuild_handled_.load();
  }

  // On the runner thread: wipes the projection for a pending Rebuild.
  absl::Status HandleRebuild() {
    const uint64_t requested = rebuild_requested_.load();
    absl::Status s = WipeProjection(*store_, name_);
    if (!s.ok()) return s;
    rebuild_handled_.store(requested);
    ResetRebuildProgress();
    spdlog::info("projection {}: rebuilding from the beginning", name_);
    return absl::OkStatus();
  }

  void ResetRebuildProgress() { consumed_since_rebuild_.store(0); }

  // Reports lag; ends a rebuild once caught up (`caught_up` is the source's
  // judgement that nothing is left to read right now).
  void ReportLag(int64_t lag, bool caught_up) {
    lag_.store(lag);
    if (probe_ != nullptr) probe_->Lag(lag);
    if (!rebuilding_.load()) return;
    const double consumed = static_cast<double>(consumed_since_rebuild_.load());
    double progress = consumed + lag > 0 ? consumed / (consumed + std::max<int64_t>(lag, 0)) : 0;
    if (caught_up && !RebuildPending()) {
      rebuilding_.store(false);
      progress = 1.0;
      spdlog::info("projection {}: rebuild done", name_);
    }
    if (probe_ != nullptr) probe_->Rebuild(rebuilding_.load(), progress);
  }

  // Records whether the source is reachable; logs and reports changes.
  void SetSourceUp(bool up, std::string_view why) {
    if (source_up_.exchange(up) == up) return;
    if (up) {
      spdlog::info("projection {}: source reachable again", name_);
    } else {
      spdlog::warn("projection {}: source unreachable: {}", name_, why);
    }
    if (probe_ != nullptr) probe_->SourceUp(up);
  }

  void SetError(const absl::Status& s) {
    spdlog::error("projection {}: stopped: {}", name_, s.ToString());
    if (probe_ != nullptr) probe_->CommitError();
    std::lock_guard lock(status_mu_);
    status_ = s;
  }

  // Waits up to `d` unless stopping or a rebuild is pending.
  void Sleep(absl::Duration d) {
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, absl::ToChronoMilliseconds(d),
                      [this] { return stop_.load() || RebuildPending(); });
  }

  std::string Key(std::string_view suffix) const {
    return RunnerKeyPrefix(name_) + std::string(suffix);
  }

  absl::StatusOr<std::optional<int64_t>> ReadPosition(const std::string& key) {
    absl::StatusOr<std::optional<std::string>> v = store_->Get(key);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return std::optional<int64_t>();
    std::optional<int64_t> parsed = ParseInt(**v);
    if (!parsed) return absl::DataLossError(absl::StrCat("bad position at ", key));
    return parsed;
  }

  // Dedupes, applies and commits `events` with `positions` in one batch.
  // `consumed` counts source messages (for rebuild progress).
  absl::Status ApplyGroup(const std::vector<const Envelope*>& events,
                          const std::vector<Position>& positions, uint64_t consumed) {
    PrefixedKvStore view(*store_, ProjectionKeyPrefix(name_));
    kv::Transaction txn(view);
    struct Version {
      uint64_t last;
      bool changed;
    };
    std::map<std::string, Version> versions;
    uint64_t applied = 0, duplicates = 0, gaps = 0;
    for (const Envelope* event : events) {
      std::string key = Key("v/");
      key += event->source();
      key.push_back('\0');
      key += event->stream();
      auto it = versions.find(key);
      if (it == versions.end()) {
        absl::StatusOr<std::optional<int64_t>> stored = ReadPosition(key);
        if (!stored.ok()) return stored.status();
        it = versions.emplace(key, Version{static_cast<uint64_t>(stored->value_or(0)), false})
                 .first;
      }
      const uint64_t last = it->second.last;
      if (event->version() <= last) {
        ++duplicates;
        continue;
      }
      if (event->version() != last + 1) {
        // An earlier version is missing; the relay sends this stream again
        // from that version (see outbox_relay.h), so drop this copy.
        ++gaps;
        continue;
      }
      absl::Status s = projection_->Apply(*event, txn);
      if (!s.ok()) {
        return absl::Status(s.code(), absl::StrCat("apply ", event->stream(), " v",
                                                   event->version(), ": ", s.message()));
      }
      it->second = Version{event->version(), true};
      ++applied;
    }
    kv::WriteBatch batch;
    view.Translate(txn.writes(), batch);
    for (const auto& [key, version] : versions) {
      if (version.changed) batch.Put(key, std::to_string(version.last));
    }
    for (const auto& [key, value] : positions) batch.Put(key, value);
    if (!batch.empty()) {
      absl::Status s = store_->Write(batch, options_.sync_commits);
      if (!s.ok()) return s;
      commits_.fetch_add(1);
    }
    applied_.fetch_add(applied);
    duplicates_.fetch_add(duplicates);
    gaps_.fetch_add(gaps);
    consumed_since_rebuild_.fetch_add(consumed);
    if (probe_ != nullptr) {
      if (applied > 0) probe_->Applied(applied);
      if (duplicates > 0) probe_->DuplicatesDropped(duplicates);
      if (gaps > 0) probe_->GapsDropped(gaps);
    }
    return absl::OkStatus();
  }

  Projection* const projection_;
  kv::KvStore* const store_;
  const std::string name_;
  const ProjectionRunnerOptions options_;
  RunnerProbe* const probe_;
  std::atomic<bool> stop_{false};

 private:
  std::mutex lifecycle_mu_;
  std::thread thread_;
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  mutable std::mutex status_mu_;
  absl::Status status_;
  std::atomic<bool> rebuilding_{false};
  std::atomic<uint64_t> rebuild_requested_{0};
  std::atomic<uint64_t> rebuild_handled_{0};
  std::atomic<uint64_t> consumed_since_rebuild_{0};
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> gaps_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<int64_t> lag_{0};
  std::atomic<bool> source_up_{true};
};

// ---------------------------------------------------------------- Kafka

class KafkaRunner final : public RunnerBase {
 public:
  KafkaRunner(Projection* projection, kv::KvStore* store, KafkaSourceOptions source,
              ProjectionRunnerOptions options, RunnerProbe* probe)
      : RunnerBase(projection, store, options, probe), source_(std::move(source)) {}

  ~KafkaRunner() override { Stop(); }

  static absl::StatusOr<rd_kafka_conf_t*> BuildConf(const KafkaSourceOptions& s) {
    std::vector<std::pair<std::string, std::string>> props = {
        {"bootstrap.servers", s.bootstrap_servers},
        {"group.id", s.group_id},
        {"session.timeout.ms", "10000"},
        {"fetch.wait.max.ms", "10"},
        {"auto.offset.reset", "earliest"},
        {"log_level", "4"},
    };
    for (const auto& kv : s.kafka_config) props.push_back(kv);
    props.push_back({"enable.auto.commit", "false"});
    props.push_back({"enable.auto.offset.store", "false"});
    return internal::MakeKafkaConf(props);
  }

 private:
  using TopicPartition = std::pair<std::string, int32_t>;

  std::string OffsetKey(const std::string& topic, int32_t partition) const {
    return Key(absl::StrCat("o/", topic, "/", partition));
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<KafkaRunner*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->AssignFromStore(rk, partitions, /*from_beginning=*/false);
    } else {
      for (int i = 0; i < partitions->cnt; ++i) {
        self->next_offsets_.erase({partitions->elems[i].topic, partitions->elems[i].partition});
      }
      rd_kafka_assign(rk, nullptr);
    }
  }

  // Served inside the runner thread's polls (rd_kafka_poll_set_consumer).
  static void OnError(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaRunner*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      self->SetSourceUp(false, reason);
      self->next_broker_probe_ = absl::Now() + absl::Seconds(1);
    } else {
      spdlog::warn("projection {}: kafka error {}: {}", self->name_,
                   rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
    }
  }

  // Asks the brokers for metadata: once a second while the source is down,
  // and every idle_probe_interval while the runner is idle, because a
  // broker that hangs keeps its connections open and an idle consumer
  // would hear nothing to say so. Messages consumed count as an answer.
  void ProbeBrokers() {
    const absl::Time now = absl::Now();
    if (now < next_broker_probe_) return;
    const bool up = source_up();
    next_broker_probe_ = now + (up ? options_.idle_probe_interval : absl::Seconds(1));
    const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.probe_timeout));
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(consumer_, 0, nullptr, &metadata, timeout_ms) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      BrokersAnswered();
      return;
    }
    if (up && ++unanswered_probes_ >= 2) {
      SetSourceUp(false, absl::StrCat("two metadata requests in a row got no answer within ",
                                      absl::FormatDuration(options_.probe_timeout)));
    }
  }

  void BrokersAnswered() {
    unanswered_probes_ = 0;
    SetSourceUp(true, "");
  }

  // Assigns `partitions` at the offsets stored in the KvStore (the
  // beginning when none is stored, or when rebuilding).
  void AssignFromStore(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                       bool from_beginning) {
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& p = partitions->elems[i];
      int64_t offset = RD_KAFKA_OFFSET_BEGINNING;
      if (!from_beginning) {
        absl::StatusOr<std::optional<int64_t>> stored =
            ReadPosition(OffsetKey(p.topic, p.partition));
        if (!stored.ok()) {
          SetError(stored.status());
          stop_.store(true);
        } else if (stored->has_value()) {
          offset = **stored;
        }
      }
      p.offset = offset;
      next_offsets_[{p.topic, p.partition}] = offset;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, partitions);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::error("projection {}: assign: {}", name_, rd_kafka_err2str(err));
    }
  }

  void UpdateLag(bool idle) {
    int64_t lag = 0;
    bool known = !next_offsets_.empty();
    for (const auto& [tp, next] : next_offsets_) {
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(consumer_, tp.first.c_str(), tp.second, &low,
                                         &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0) {
        known = false;
        continue;
      }
      int64_t from = next >= 0 ? next : std::max<int64_t>(low, 0);
      lag += std::max<int64_t>(0, high - from);
    }
    ReportLag(lag, idle && known && lag == 0);
  }

  void Run() override {
    absl::StatusOr<rd_kafka_conf_t*> conf = BuildConf(source_);
    if (!conf.ok()) {
      SetError(conf.status());
      return;
    }
    rd_kafka_conf_set_opaque(*conf, this);
    rd_kafka_conf_set_rebalance_cb(*conf, &OnRebalance);
    rd_kafka_conf_set_error_cb(*conf, &OnError);
    char errstr[512];
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, errstr, sizeof(errstr));
    if (consumer_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      SetError(absl::UnavailableError(absl::StrCat("consumer: ", errstr)));
      return;
    }
    rd_kafka_poll_set_consumer(consumer_);
    rd_kafka_topic_partition_list_t* topics =
        rd_kafka_topic_partition_list_new(static_cast<int>(source_.topics.size()));
    for (const std::string& t : source_.topics) {
      rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      SetError(absl::UnavailableError(absl::StrCat("subscribe: ", rd_kafka_err2str(err))));
    } else {
      Loop();
    }
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
    next_offsets_.clear();
  }

  void Loop() {
    const int poll_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.poll_timeout));
    std::vector<rd_kafka_message_t*> messages;
    std::vector<Envelope> decoded;
    while (!stop_.load()) {
      if (RebuildPending()) {
        absl::Status s = HandleRebuild();
        if (!s.ok()) {
          SetError(s);
          return;
        }
        // Seek the current assignment to the beginning.
        rd_kafka_topic_partition_list_t* assignment = nullptr;
        if (rd_kafka_assignment(consumer_, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (assignment->cnt > 0) AssignFromStore(consumer_, assignment, true);
          rd_kafka_topic_partition_list_destroy(assignment);
        }
      }
      messages.clear();
      rd_kafka_message_t* first = rd_kafka_consumer_poll(consumer_, poll_ms);
      if (first == nullptr) {
        ProbeBrokers();
        UpdateLag(/*idle=*/true);
        continue;
      }
      messages.push_back(first);
      if (first->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ProbeBrokers();
      } else {
        next_broker_probe_ = absl::Now() + options_.idle_probe_interval;
        BrokersAnswered();
      }
      while (messages.size() < options_.max_batch) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 0);
        if (m == nullptr) break;
        messages.push_back(m);
      }
      std::map<TopicPartition, int64_t> next;
      decoded.clear();
      decoded.reserve(messages.size());
      uint64_t consumed = 0;
      for (rd_kafka_message_t* m : messages) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            spdlog::warn("projection {}: consume: {}", name_, rd_kafka_message_errstr(m));
          }
          continue;
        }
        TopicPartition tp{rd_kafka_topic_name(m->rkt), m->partition};
        // Only partitions still assigned (a rebalance may have run inside
        // the polls above).
        if (!next_offsets_.contains(tp)) continue;
        ++consumed;
        int64_t& n = next[tp];
        n = std::max(n, m->offset + 1);
        Envelope& event = decoded.emplace_back();
        if (!event.ParseFromArray(m->payload, static_cast<int>(m->len))) {
          spdlog::warn("projection {}: undecodable message at {}/{}@{}; skipped", name_,
                       tp.first, tp.second, m->offset);
          decoded.pop_back();
        }
      }
      for (rd_kafka_message_t* m : messages) rd_kafka_message_destroy(m);
      std::vector<const Envelope*> events;
      events.reserve(decoded.size());
      for (const Envelope& e : decoded) events.push_back(&e);
      std::vector<Position> positions;
      for (const auto& [tp, offset] : next) {
        positions.emplace_back(OffsetKey(tp.first, tp.second), std::to_string(offset));
      }
      absl::Status s = ApplyGroup(events, positions, consumed);
      if (!s.ok()) {
        SetError(s);
        return;
      }
      for (const auto& [tp, offset] : next) next_offsets_[tp] = offset;
      UpdateLag(/*idle=*/false);
    }
  }

  const KafkaSourceOptions source_;
  // Runner thread only (the rebalance callback runs inside its polls).
  rd_kafka_t* consumer_ = nullptr;
  std::map<TopicPartition, int64_t> next_offsets_;  // assigned partitions
  absl::Time next_broker_probe_ = absl::InfinitePast();
  int unanswered_probes_ = 0;
};

// ----------------------------------------------------------- Log reader

class LogRunner final : public RunnerBase {
 public:
  LogRunner(Projection* projection, kv::KvStore* store, LogReaderSourceOptions source,
            ProjectionRunnerOptions options, RunnerProbe* probe)
      : RunnerBase(projection, store, options, probe),
        source_(std::move(source)),
        client_(source_.channel) {}

  ~LogRunner() override { Stop(); }

 private:
  void Interrupt() override { client_.Cancel(); }

  void Run() override {
    const std::string position_key = Key("l/" + source_.source_name);
    while (!stop_.load()) {
      if (RebuildPending()) {
        absl::Status s = HandleRebuild();
        if (!s.ok()) {
          SetError(s);
          return;
        }
      }
      absl::StatusOr<std::optional<int64_t>> stored = ReadPosition(position_key);
      if (!stored.ok()) {
        SetError(stored.status());
        return;
      }
      const uint64_t from = static_cast<uint64_t>(std::max<int64_t>(1, stored->value_or(1)));
      absl::StatusOr<eventlog::v1::GetLogHeadResponse> head =
          client_.GetLogHead(source_.metadata);
      if (head.ok()) {
        SetSourceUp(true, "");
        const int64_t lag = static_cast<int64_t>(head->log_head()) - static_cast<int64_t>(from) + 1;
        ReportLag(std::max<int64_t>(lag, 0), lag <= 0);
      }
      bool apply_failed = false;
      ReadLogOptions read;
      read.from_position = from;
      read.follow = true;
      read.page_size = source_.page_size;
      read.metadata = source_.metadata;
      absl::Status s =
          client_.Read(read, [&](const eventlog::v1::ReadLogResponse& page) -> absl::Status {
            if (stop_.load() || RebuildPending()) return absl::CancelledError("interrupted");
            if (page.events().empty()) return absl::OkStatus();
            std::vector<const Envelope*> events;
            events.reserve(page.events_size());
            for (const Envelope& e : page.events()) events.push_back(&e);
            const uint64_t last = page.events(page.events_size() - 1).global_position();
            absl::Status applied = ApplyGroup(
                events, {{position_key, std::to_string(last + 1)}}, events.size());
            if (!applied.ok()) {
              apply_failed = true;
              return applied;
            }
            const int64_t lag = static_cast<int64_t>(page.log_head()) - static_cast<int64_t>(last);
            ReportLag(std::max<int64_t>(lag, 0), lag <= 0);
            return absl::OkStatus();
          });
      if (apply_failed) {
        SetError(s);
        return;
      }
      if (stop_.load() || absl::IsCancelled(s)) continue;
      SetSourceUp(false, s.ToString());
      spdlog::warn("projection {}: log reader {}: {}; reconnecting", name_,
                   source_.source_name, s.ToString());
      Sleep(source_.reconnect_backoff);
    }
  }

  const LogReaderSourceOptions source_;
  LogReaderClient client_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProjectionRunner>> ProjectionRunner::CreateKafka(
    Projection* projection, kv::KvStore* store, KafkaSourceOptions source,
    ProjectionRunnerOptions options, RunnerProbe* probe) {
  absl::Status s = ValidateName(projection, store);
  if (!s.ok()) return s;
  if (source.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap_servers: empty");
  }
  if (source.group_id.empty()) return absl::InvalidArgumentError("group_id: empty");
  if (source.topics.empty()) return absl::InvalidArgumentError("topics: empty");
  if (options.max_batch == 0) return absl::InvalidArgumentError("max_batch: zero");
  absl::StatusOr<rd_kafka_conf_t*> conf = KafkaRunner::BuildConf(source);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_destroy(*conf);
  return std::unique_ptr<ProjectionRunner>(
      std::make_unique<KafkaRunner>(projection, store, std::move(source), options, probe));
}

absl::StatusOr<std::unique_ptr<ProjectionRunner>> ProjectionRunner::CreateLogReader(
    Projection* projection, kv::KvStore* store, LogReaderSourceOptions source,
    ProjectionRunnerOptions options, RunnerProbe* probe) {
  absl::Status s = ValidateName(projection, store);
  if (!s.ok()) return s;
  if (source.channel == nullptr) return absl::InvalidArgumentError("channel: null");
  if (source.source_name.empty() || source.source_name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError("source_name: empty or contains '/'");
  }
  if (source.page_size == 0 || source.page_size > 1000) {
    return absl::InvalidArgumentError("page_size: must be 1..1000");
  }
  return std::unique_ptr<ProjectionRunner>(
      std::make_unique<LogRunner>(projection, store, std::move(source), options, probe));
}

}  // namespace changeledger::bus
