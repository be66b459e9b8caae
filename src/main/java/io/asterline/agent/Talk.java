package io.asterline.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.call.CallRepository;
import io.asterline.degraded.Journal;
import io.asterline.degraded.LocalCalls;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.realtime.RealtimeMessages;
import io.asterline.realtime.RealtimeTransport;
import io.netty.channel.Channel;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/** What every call's agent shares: configuration, repositories, the database executor and the meters. */
final class Talk {

  final OpenAiConfig openai;
  final ObjectMapper json;
  final RealtimeMessages messages;
  /** TLS and DNS for the calls' Realtime WebSockets, which run on the calls' own event loops. */
  final RealtimeTransport realtime;
  final CallSettingsRepository settings;
  final CallRepository calls;
  /** JDBC blocks; it never runs on an event loop. */
  final ExecutorService db;
  /** This node's DEGRADED calls, tenant settings and decisions: checked before the database. */
  final LocalCalls local;
  final Journal journal;
  /** One thread, so a call's held writes reach the journal in the order they happened. */
  final ExecutorService journalWriter;
  final TalkMetrics metrics;
  /**
   * The one live AudioSocket leg of each call on this node. The call id is the only secret AudioSocket has, so a
   * second connection naming it is refused rather than given a second session on the same call.
   */
  final ConcurrentHashMap<UUID, Channel> legs = new ConcurrentHashMap<>();

  Talk(OpenAiConfig openai, RealtimeTransport realtime, ObjectMapper json, CallSettingsRepository settings,
      CallRepository calls, ExecutorService db, LocalCalls local, Journal journal, ExecutorService journalWriter,
      TalkMetrics metrics) {
    this.openai = openai;
    this.realtime = realtime;
    this.json = json;
    this.messages = new RealtimeMessages(json);
    this.settings = settings;
    this.calls = calls;
    this.db = db;
    this.local = local;
    this.journal = journal;
    this.journalWriter = journalWriter;
    this.metrics = metrics;
  }
}
