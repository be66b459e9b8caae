package io.asterline.agent;

import io.asterline.call.CallRepository.AgentOutcome;
import io.asterline.degraded.HeldWrite;
import io.asterline.degraded.LocalCalls;
import io.asterline.degraded.TenantSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One call's agent leg as a transport feeds it: the transport names the call ({@link #connect}), hands over the
 * caller's audio and keys, drives the timers with its clock ({@link #tick}) and says when the connection is gone;
 * the leg reads the call's settings, runs the conversation ({@link AgentCall}) and stores how it ended before the
 * transport ends the connection. Everything runs on the connection's event loop; the database is reached from
 * its own executor and the answers handed back.
 */
public final class AgentLeg {

  private static final Logger log = LoggerFactory.getLogger(AgentLeg.class);

  /** How long the hangup waits for the decision to be stored before the dialplan goes on anyway. */
  private static final long STORE_WAIT_MILLIS = 1500;

  private final Talk talk;
  private final MediaLeg media;
  private final Channel channel;
  private final long connectedNanos;
  private UUID callId;
  private String callIdText;
  /** Admitted DEGRADED by this node: settings from memory, every write through the journal. */
  private boolean degraded;
  private long tenantId;
  private AgentCall agent;
  private boolean over;
  private boolean mediaFailed;
  private AtomicInteger activeGauge;

  AgentLeg(Talk talk, MediaLeg media) {
    this.talk = talk;
    this.media = media;
    this.channel = media.channel();
    this.connectedNanos = System.nanoTime();
  }

  /**
   * The transport learnt the call id: makes this connection the call's one live leg on this node and starts the
   * call. False when another live connection already has it: the transport then refuses this one.
   */
  public boolean connect(UUID id) {
    if (!claimLeg(id)) {
      return false;
    }
    callId = id;
    callIdText = id.toString();
    Optional<LocalCalls.DegradedCall> held = talk.local.degradedCall(id);
    if (held.isPresent()) {
      // before the database: the call row may not be written yet, even when the database is back
      startFromMemory(held.get());
      return true;
    }
    talk.db.execute(() -> {
      Optional<CallSettings> settings;
      try {
        settings = talk.settings.connect(id);
      } catch (RuntimeException e) {
        inCall(() -> {
          log.error("cannot read the call's settings; hanging up so the dialplan goes on: {}", e.getMessage());
          end();
        });
        return;
      }
      inCall(() -> onSettings(settings));
    });
    return true;
  }

  /** Makes this connection the call's one live leg on this node; false when another live one has it. */
  private boolean claimLeg(UUID id) {
    while (true) {
      Channel first = talk.legs.putIfAbsent(id, channel);
      if (first == null || first == channel) {
        return true;
      }
      if (first.isActive()) {
        return false;
      }
      // a leg that has closed but not yet left the map (its close runs on its own loop)
      if (talk.legs.replace(id, first, channel)) {
        return true;
      }
    }
  }

  /** A call this node admitted while the database was down: its tenant's last-known-good settings. */
  private void startFromMemory(LocalCalls.DegradedCall call) {
    Optional<TenantSettings> tenant = talk.local.tenant(call.tenantId());
    if (tenant.isEmpty()) {
      log.error("call admitted while the database was down, but tenant {}'s settings are not in memory; hanging up so "
          + "the dialplan goes on", call.tenantId());
      end();
      return;
    }
    degraded = true;
    HeldWrite connected = new HeldWrite.AgentConnected(callId, OffsetDateTime.now(ZoneOffset.UTC));
    writeHeld(talk.journalWriter, () -> hold(connected));
    Optional<String> apiKey;
    try {
      apiKey = tenant.get().apiKey().map(stored -> talk.settings.revealApiKey(call.tenantId(), stored));
    } catch (RuntimeException e) {
      log.error("the tenant's OpenAI key kept in memory does not decrypt ({}); hanging up so the dialplan goes on",
          e.getClass().getSimpleName());
      end();
      return;
    }
    onSettings(Optional.of(CallSettings.degradedInbound(callId, tenant.get(), apiKey)));
  }

  private void onSettings(Optional<CallSettings> found) {
    if (!channel.isActive() || over) {
      return;
    }
    if (found.isEmpty()) {
      log.warn("unknown or ended call id; hanging up");
      end();
      return;
    }
    CallSettings settings = found.get();
    tenantId = settings.tenantId();
    log.info("agent leg connected{}: {}", degraded ? " (from memory: admitted while the database was down)" : "",
        settings);
    activeGauge = talk.metrics.active(settings.tenantId(), settings.direction());
    activeGauge.incrementAndGet();
    String key = settings.tenantApiKey().or(() -> talk.openai.apiKey()).orElse(null);
    agent = new AgentCall(talk, settings, this, media, channel.eventLoop(), connectedNanos, key);
    agent.start();
  }

  // ------------------------------------------------------------------ what the transport feeds

  /** The caller's audio, G.711 µ-law at 8 kHz (the reader index is not moved; the transport releases it). */
  public void callerAudio(ByteBuf mulaw) {
    if (agent != null) {
      agent.callerAudio(mulaw);
    }
  }

  /** A key the caller pressed. */
  public void dtmf(char digit) {
    if (agent != null) {
      agent.dtmf(digit);
    }
  }

  /** Agent audio reached Asterisk at {@code now}: the caller hears it. */
  public void agentAudioSent(long now) {
    if (agent != null) {
      agent.audioSent(now);
    }
  }

  /** After a flush, the caller hears no more agent audio from {@code now} on. */
  public void agentAudioStopped(long now) {
    if (agent != null) {
      agent.audioStopped(now);
    }
  }

  /** The timers that ride on the transport's clock (every 20 ms or so): endings, silence, voicemail, renewal. */
  public void tick(long now) {
    if (agent != null) {
      agent.afterTick(now);
    }
  }

  /**
   * The transport is closing the connection because it broke on this side (a malformed message from Asterisk, a
   * bug here), not because the caller left: the call's figures then say media_error, not caller_hangup.
   */
  public void mediaFailed() {
    mediaFailed = true;
  }

  /** The connection is gone (Asterisk closed it: the caller hung up, or this side ended it). */
  public void closed() {
    if (callId != null) {
      talk.legs.remove(callId, channel);
    }
    if (agent != null && !agent.ended()) {
      if (mediaFailed) {
        log.warn("the agent leg broke on this side; the dialplan goes on to the after-agent fallback");
        agent.callerGone("media_error");
      } else {
        log.info("Asterisk closed the agent leg (caller hung up)");
        agent.callerGone("caller_hangup");
      }
    }
    if (activeGauge != null) {
      activeGauge.decrementAndGet();
      activeGauge = null;
    }
  }

  /** The service stops: ends the call through the fallback rather than dropping it. */
  public void shutdown() {
    inCall(() -> {
      if (agent != null && !agent.ended()) {
        agent.shutdown();
      } else {
        end();
      }
    });
  }

  /** The call this leg serves, once {@link #connect}ed. */
  public UUID callId() {
    return callId;
  }

  // ------------------------------------------------------------------ ending

  private void end() {
    over = true;
    media.end();
  }

  /** Stores the decision first (the after-agent script reads it the moment Asterisk continues), then ends the leg. */
  void endWith(AgentOutcome outcome) {
    if (outcome.decision() != null) {
      // kept first, in memory: after-agent asks the moment Asterisk continues, and may find the database gone
      talk.local.decided(callId, tenantId, outcome.decision(), outcome.transferTo(), Instant.now());
    }
    boolean[] done = new boolean[1];
    try {
      ScheduledFuture<?> guard = channel.eventLoop().schedule(() -> inCall(() -> {
        if (!done[0]) {
          log.warn("storing the decision takes over {} ms; ending the leg anyway", STORE_WAIT_MILLIS);
          end();
        }
      }), STORE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      writer().execute(() -> {
        persist(outcome);
        inCall(() -> {
          done[0] = true;
          guard.cancel(false);
          end();
        });
      });
    } catch (RejectedExecutionException e) {
      log.warn("the service is stopping; the agent's outcome was not stored");
      end();
    }
  }

  /** Stores the figures of a call that ended on the caller's side. */
  void store(AgentOutcome outcome) {
    try {
      writer().execute(() -> persist(outcome));
    } catch (RejectedExecutionException e) {
      log.warn("the service is stopping; the call's figures were not stored");
    }
  }

  /** A DEGRADED call's writes go through one thread, in order; the others through the database pool. */
  private Executor writer() {
    return degraded ? talk.journalWriter : talk.db;
  }

  private void persist(AgentOutcome outcome) {
    MDC.put("callId", callIdText);
    try {
      HeldWrite held = new HeldWrite.AgentOutcome(callId,
          outcome.decision() == null ? null : outcome.decision().dbValue(), outcome.transferTo(),
          outcome.endReason(), outcome.firstAudioAt(), outcome.bargeInCount(), outcome.bargeInMaxStopMs(),
          outcome.voicemailResult(), outcome.conversationJson(), outcome.usage() == null ? null
              : new HeldWrite.Tokens(outcome.usage().textIn(), outcome.usage().audioIn(),
                  outcome.usage().cachedTextIn(), outcome.usage().cachedAudioIn(), outcome.usage().textOut(),
                  outcome.usage().audioOut()));
      if (degraded || talk.journal.holds(callId)) {
        // a DEGRADED call writes only through the journal, and any call's later writes wait behind its earlier
        // ones there: its row may not be in the database yet
        hold(held);
        return;
      }
      try {
        if (!talk.calls.recordAgentOutcome(callId, outcome)) {
          log.warn("the call row is gone; the agent's outcome was not stored");
        }
      } catch (RuntimeException e) {
        log.warn("storing the agent's outcome failed ({}); kept in the journal until the database is back",
            e.getMessage());
        hold(held);
      }
    } finally {
      MDC.remove("callId");
    }
  }

  /** Blocks on the disk: never on the event loop. */
  private void hold(HeldWrite write) {
    if (!talk.journal.hold(write)) {
      log.error("the call's {} could not be kept (journal full or disk failing); it is lost",
          write.getClass().getSimpleName());
    }
  }

  private void writeHeld(Executor executor, Runnable r) {
    try {
      executor.execute(() -> {
        MDC.put("callId", callIdText);
        try {
          r.run();
        } finally {
          MDC.remove("callId");
        }
      });
    } catch (RejectedExecutionException e) {
      log.warn("the service is stopping; a write of this call was not kept");
    }
  }

  /** Runs {@code r} on this call's event loop (from the database executor or the shutdown). */
  private void inCall(Runnable r) {
    try {
      channel.eventLoop().execute(() -> {
        if (callIdText != null) {
          MDC.put("callId", callIdText);
        }
        try {
          r.run();
        } finally {
          MDC.remove("callId");
        }
      });
    } catch (RejectedExecutionException e) {
      // the service is stopping and the event loops are gone: the connection is closed with them
    }
  }
}
