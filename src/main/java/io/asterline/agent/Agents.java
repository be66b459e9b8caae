package io.asterline.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.call.CallRepository;
import io.asterline.degraded.DegradedMode;
import io.asterline.http.HealthCheck;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.realtime.RealtimeTransport;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent side of every call on this node, whatever transport carries its audio (AudioSocket, Asterisk's
 * WebSocket channel): the database and journal executors, the Realtime transport and the meters all calls share.
 * A transport asks it for one {@link AgentLeg} per connection. Closed after every transport server, so the outcomes
 * of the calls they end on the way down are still stored.
 */
public final class Agents implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Agents.class);

  private final Talk talk;

  private Agents(Talk talk) {
    this.talk = talk;
  }

  public static Agents start(OpenAiConfig openai, DSLContext dsl, TenantApiKeys apiKeys, ObjectMapper json,
      MeterRegistry registry, DegradedMode degraded) {
    ExecutorService db = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("agent-db", true));
    ExecutorService journalWriter = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("agent-journal", true));
    RealtimeTransport realtime = RealtimeTransport.create();
    return new Agents(new Talk(openai, realtime, json, new CallSettingsRepository(dsl, apiKeys), new CallRepository(dsl),
        db, degraded.calls(), degraded.journal(), journalWriter, new TalkMetrics(registry)));
  }

  /** A new connection's agent side; it does nothing until the transport knows the call id ({@link AgentLeg#connect}). */
  public AgentLeg leg(MediaLeg media) {
    return new AgentLeg(talk, media);
  }

  /**
   * The Realtime API as this node last saw it: down when the latest session attempt failed (refused, no
   * session in time, fatal error, closed mid-call) and none has succeeded since. Not critical: calls then
   * take their tenant's fallback rather than silence.
   */
  public HealthCheck realtimeHealth() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "realtime";
      }

      @Override
      public boolean critical() {
        return false;
      }

      @Override
      public Status check() {
        return talk.metrics.realtimeStatus();
      }
    };
  }

  @Override
  public void close() {
    talk.realtime.close();
    talk.db.shutdown();
    try {
      if (!talk.db.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("agent: {} call outcome(s) not stored before the stop", talk.db.shutdownNow().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // after the database pool: an outcome the database refused during the stop goes to the journal through here
    talk.journalWriter.shutdown();
    try {
      if (!talk.journalWriter.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("agent: {} held write(s) not journalled before the stop", talk.journalWriter.shutdownNow().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
