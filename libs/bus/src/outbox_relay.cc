#include "changeledger/bus/outbox_relay.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kafka_conf.h"
#include "spdlog/spdlog.h"

namespace changeledger::bus {
namespace {

// While the outbox is empty and brokers were found unreachable: how often
// the relay asks the cluster whether they are back, and how long it waits
// for the answer (short: a new event or Stop() waits behind it).
constexpr absl::Duration kBrokerCheckInterval = absl::Seconds(1);
constexpr absl::Duration kBrokerCheckTimeout = absl::Milliseconds(250);

std::string Millis(absl::Duration d) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

// Builds the producer configuration; on error returns the message.
absl::StatusOr<rd_kafka_conf_t*> BuildConf(const OutboxRelayOptions& o) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", o.bootstrap_servers},
      {"linger.ms", Millis(o.linger)},
      {"message.timeout.ms", Millis(o.message_timeout)},
      {"queue.buffering.max.messages",
       std::to_string(std::max<size_t>(100000, 2 * o.batch_size))},
      {"batch.num.messages", "10000"},
      {"socket.keepalive.enable", "true"},
      // Reconnect within a second once a broker is back.
      {"reconnect.backoff.max.ms", "1000"},
      {"log_level", "4"},
  };
  for (const auto& kv : o.kafka_config) props.push_back(kv);
  // Fixed: the guarantees depend on them.
  props.push_back({"enable.idempotence", "true"});
  props.push_back({"acks", "all"});
  return internal::MakeKafkaConf(props);
}

class OutboxRelayImpl final : public OutboxRelay {
 public:
  OutboxRelayImpl(eventstore::EventStore* store, OutboxRelayOptions options,
                  RelayProbe* probe)
      : store_(store), options_(std::move(options)), probe_(probe) {}

  ~OutboxRelayImpl() override { Stop(); }

  void Start() override {
    std::lock_guard lock(lifecycle_mu_);
    if (thread_.joinable()) return;
    stop_.store(false);
    state_.store(RelayState::kHealthy);
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "relay");
      Run();
    });
  }

  void Stop() override {
    std::lock_guard lock(lifecycle_mu_);
    if (!thread_.joinable()) return;
    {
      std::lock_guard stop_lock(stop_mu_);
      stop_deadline_ = absl::Now() + options_.flush_timeout;
      stop_.store(true);
    }
    stop_cv_.notify_all();
    thread_.join();
    state_.store(RelayState::kStopped);
  }

  RelayState state() const override { return state_.load(); }

  RelayStats stats() const override {
    RelayStats s;
    s.published = published_.load();
    s.publish_errors = publish_errors_.load();
    s.producer_recreations = recreations_.load();
    s.rounds = rounds_.load();
    return s;
  }

 private:
  enum class Delivery : uint8_t { kPending, kPersisted, kFailed, kNotProduced };

  struct InFlight {
    uint64_t position;
    std::string_view stream;  // into entries_, which outlives the round
    Delivery delivery;
  };

  static void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<OutboxRelayImpl*>(opaque);
    const auto index = reinterpret_cast<uintptr_t>(msg->_private);
    if (index >= self->round_.size()) return;
    InFlight& entry = self->round_[index];
    if (entry.delivery != Delivery::kPending) return;
    // Only PERSISTED counts: POSSIBLY_PERSISTED (e.g. timed out in flight)
    // and NOT_PERSISTED are produced again.
    const bool persisted = msg->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                           rd_kafka_message_status(msg) == RD_KAFKA_MSG_STATUS_PERSISTED;
    entry.delivery = persisted ? Delivery::kPersisted : Delivery::kFailed;
    if (!persisted) {
      self->last_delivery_error_ = msg->err;
    }
    --self->pending_;
  }

  static void OnError(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* self = static_cast<OutboxRelayImpl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      self->fatal_.store(true);
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
               err == RD_KAFKA_RESP_ERR__TRANSPORT ||
               err == RD_KAFKA_RESP_ERR__RESOLVE) {
      self->broker_trouble_.store(true);
    }
    spdlog::warn("relay {}: kafka error {}: {}", self->options_.topic,
                 rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
  }

  bool CreateProducer() {
    absl::StatusOr<rd_kafka_conf_t*> conf = BuildConf(options_);
    if (!conf.ok()) return false;  // validated in Create; cannot happen
    rd_kafka_conf_set_opaque(*conf, this);
    rd_kafka_conf_set_dr_msg_cb(*conf, &OnDelivery);
    rd_kafka_conf_set_error_cb(*conf, &OnError);
    char errstr[512];
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, errstr, sizeof(errstr));
    if (producer_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      spdlog::error("relay {}: cannot create producer: {}", options_.topic, errstr);
      return false;
    }
    topic_ = rd_kafka_topic_new(producer_, options_.topic.c_str(), nullptr);
    fatal_.store(false);
    return true;
  }

  void DestroyProducer() {
    if (producer_ == nullptr) return;
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_, 0);  // serve the purge reports
    rd_kafka_topic_destroy(topic_);
    rd_kafka_destroy(producer_);
    producer_ = nullptr;
    topic_ = nullptr;
  }

  // Waits on the stop condition for up to `d`; returns true if stopping.
  bool SleepUnlessStopping(absl::Duration d) {
    std::unique_lock lock(stop_mu_);
    return stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(d),
                             [this] { return stop_.load(); });
  }

  // While the outbox holds fewer than batch_size entries, waits until its
  // oldest entry is `gather` old, so that a trickle of appends travels in
  // fuller rounds. Returns early on Stop: the round that follows publishes
  // what was gathered.
  void Gather() {
    if (options_.gather <= absl::ZeroDuration()) return;
    const eventstore::OutboxStats stats = store_->GetOutboxStats();
    if (stats.depth == 0 || stats.depth >= options_.batch_size) return;
    const absl::Duration wait =
        std::min(options_.gather, stats.oldest_recorded_at + options_.gather - absl::Now());
    if (wait > absl::ZeroDuration()) SleepUnlessStopping(wait);
  }

  void RefreshState(bool round_failed) {
    eventstore::OutboxStats stats = store_->GetOutboxStats();
    double age = 0;
    if (stats.depth > 0 && stats.oldest_recorded_at != absl::InfinitePast()) {
      age = std::max(0.0, absl::ToDoubleSeconds(absl::Now() - stats.oldest_recorded_at));
    }
    const bool degraded = round_failed || producer_ == nullptr || broker_trouble_.load() ||
                          age > absl::ToDoubleSeconds(options_.degraded_age);
    if (probe_ != nullptr) {
      probe_->OutboxStats(stats.depth, age);
      probe_->Degraded(degraded);
    }
    state_.store(degraded ? RelayState::kDegraded : RelayState::kHealthy);
  }

  // One round: produce up to batch_size of the oldest entries, wait for
  // their reports, acknowledge what may be acknowledged. Returns false if
  // any entry failed (or the outbox could not be read).
  bool Round(bool* idle) {
    *idle = false;
    round_.clear();
    absl::StatusOr<std::vector<eventstore::OutboxEntry>> read =
        store_->ReadOutbox(options_.batch_size);
    if (!read.ok()) {
      spdlog::error("relay {}: ReadOutbox: {}", options_.topic, read.status().ToString());
      return false;
    }
    entries_ = *std::move(read);
    const std::vector<eventstore::OutboxEntry>& entries = entries_;
    if (entries.empty()) {
      CheckBrokersWhileIdle();
      *idle = true;
      return true;
    }
    round_.reserve(entries.size());
    for (const eventstore::OutboxEntry& e : entries) {
      round_.push_back({e.global_position, e.event.stream(), Delivery::kNotProduced});
    }
    pending_ = 0;
    last_delivery_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
    // Serialize the whole round first, so that the produce calls follow one
    // another closely: librdkafka wakes a broker thread for the first
    // message of each partition, and wake-ups that arrive while it is
    // already awake cost nothing more.
    values_.clear();
    value_ends_.clear();
    value_ends_.reserve(entries.size());
    for (const eventstore::OutboxEntry& e : entries) {
      e.event.AppendToString(&values_);
      value_ends_.push_back(values_.size());
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      const eventstore::Envelope& event = entries[i].event;
      const size_t value_begin = i == 0 ? 0 : value_ends_[i - 1];
      const std::string_view value(values_.data() + value_begin,
                                   value_ends_[i] - value_begin);
      bool produced = false;
      while (!fatal_.load()) {
        round_[i].delivery = Delivery::kPending;
        ++pending_;
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer_, RD_KAFKA_V_RKT(topic_),
            RD_KAFKA_V_KEY(event.stream().data(), event.stream().size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_HEADER("type", event.type().data(),
                              static_cast<ssize_t>(event.type().size())),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(i))),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          produced = true;
          break;
        }
        --pending_;
        round_[i].delivery = Delivery::kNotProduced;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          spdlog::warn("relay {}: produce: {}", options_.topic, rd_kafka_err2str(err));
          break;
        }
        rd_kafka_poll(producer_, 10);  // make room
      }
      if (!produced) break;  // the rest waits for the next round
    }
    // Send at once (flush overrides linger.ms) and wait for every report,
    // served by rd_kafka_flush's polls. On Stop, give up after
    // flush_timeout: what is unreported stays in the outbox and is produced
    // again next time.
    while (pending_ > 0 && !fatal_.load()) {
      rd_kafka_flush(producer_, 50);
      if (stop_.load()) {
        std::lock_guard lock(stop_mu_);
        if (absl::Now() > stop_deadline_) break;
      }
    }
    std::vector<uint64_t> acks;
    std::set<std::string_view> failed_streams;
    uint64_t failures = 0;
    bool round_ok = true;
    for (const InFlight& entry : round_) {
      if (entry.delivery == Delivery::kPersisted && !failed_streams.contains(entry.stream)) {
        acks.push_back(entry.position);
        continue;
      }
      // Keep this entry and every later one of its stream, so the stream
      // is produced again in order starting from here.
      round_ok = false;
      if (entry.delivery == Delivery::kFailed) ++failures;
      failed_streams.insert(entry.stream);
    }
    if (!acks.empty()) {
      absl::Status acked = store_->AckOutbox(acks);
      if (!acked.ok()) {
        // The entries are published; they will be published again.
        spdlog::error("relay {}: AckOutbox: {}", options_.topic, acked.ToString());
        round_ok = false;
      } else {
        published_.fetch_add(acks.size());
        if (probe_ != nullptr) probe_->Published(acks.size());
      }
    }
    if (failures > 0) {
      publish_errors_.fetch_add(failures);
      if (probe_ != nullptr) probe_->PublishErrors(failures);
      spdlog::warn("relay {}: {} deliveries failed ({}); producing again from the oldest",
                   options_.topic, failures, rd_kafka_err2name(last_delivery_error_));
    }
    if (round_ok) broker_trouble_.store(false);
    rounds_.fetch_add(1);
    return round_ok;
  }

  // With an empty outbox no round serves librdkafka's callbacks, so a
  // broker that cannot be reached would show only with the next event:
  // serve them here. Once brokers are in trouble, ask the cluster for its
  // brokers now and then; an answer means they are back.
  void CheckBrokersWhileIdle() {
    rd_kafka_poll(producer_, 0);
    if (!broker_trouble_.load() || absl::Now() < next_broker_check_) return;
    next_broker_check_ = absl::Now() + kBrokerCheckInterval;
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(producer_, /*all_topics=*/0, nullptr, &metadata,
                          static_cast<int>(absl::ToInt64Milliseconds(
                              kBrokerCheckTimeout))) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      broker_trouble_.store(false);
    }
  }

  void Run() {
    while (!stop_.load()) {
      if (producer_ == nullptr && !CreateProducer()) {
        RefreshState(true);
        if (SleepUnlessStopping(options_.retry_backoff)) break;
        continue;
      }
      Gather();
      bool idle = false;
      const bool ok = Round(&idle);
      if (fatal_.load()) {
        char reason[512];
        rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_, reason, sizeof(reason));
        spdlog::error("relay {}: fatal producer error {}: {}; recreating the producer",
                      options_.topic, rd_kafka_err2name(err), reason);
        DestroyProducer();
        recreations_.fetch_add(1);
        if (probe_ != nullptr) probe_->ProducerRecreated();
        RefreshState(true);
        continue;
      }
      RefreshState(!ok);
      if (!ok) {
        if (SleepUnlessStopping(options_.retry_backoff)) break;
      } else if (idle) {
        store_->WaitForOutbox(absl::Now() + options_.poll_interval);
      }
    }
    if (producer_ != nullptr) {
      // What the last round left: within what is left of Stop()'s
      // flush_timeout, so that Stop() as a whole keeps to it.
      absl::Duration left;
      {
        std::lock_guard lock(stop_mu_);
        left = std::clamp(stop_deadline_ - absl::Now(), absl::ZeroDuration(),
                          options_.flush_timeout);
      }
      rd_kafka_flush(producer_, static_cast<int>(absl::ToInt64Milliseconds(left)));
      DestroyProducer();
    }
    spdlog::info("relay {}: stopped; {} events published in {} rounds", options_.topic,
                 published_.load(), rounds_.load());
  }

  eventstore::EventStore* store_;
  const OutboxRelayOptions options_;
  RelayProbe* probe_;

  std::mutex lifecycle_mu_;
  std::thread thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stop_{false};
  absl::Time stop_deadline_ = absl::InfiniteFuture();  // guarded by stop_mu_

  // Relay thread only (delivery reports are served by rd_kafka_poll and
  // rd_kafka_flush on it).
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_topic_t* topic_ = nullptr;
  std::vector<eventstore::OutboxEntry> entries_;  // the current round's entries
  std::vector<InFlight> round_;
  std::string values_;              // the round's serialized events, back to back
  std::vector<size_t> value_ends_;  // where each entry's value ends in values_
  size_t pending_ = 0;
  rd_kafka_resp_err_t last_delivery_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;

  std::atomic<bool> fatal_{false};
  std::atomic<bool> broker_trouble_{false};
  absl::Time next_broker_check_ = absl::InfinitePast();  // relay thread only
  std::atomic<RelayState> state_{RelayState::kStopped};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> publish_errors_{0};
  std::atomic<uint64_t> recreations_{0};
  std::atomic<uint64_t> rounds_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Create(
    eventstore::EventStore* store, OutboxRelayOptions options, RelayProbe* probe) {
  if (store == nullptr) return absl::InvalidArgumentError("store is null");
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap_servers: empty");
  }
  if (options.topic.empty()) return absl::InvalidArgumentError("topic: empty");
  if (options.batch_size == 0) return absl::InvalidArgumentError("batch_size: zero");
  absl::StatusOr<rd_kafka_conf_t*> conf = BuildConf(options);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_destroy(*conf);
  return std::unique_ptr<OutboxRelay>(
      std::make_unique<OutboxRelayImpl>(store, std::move(options), probe));
}

}  // namespace changeledger::bus
