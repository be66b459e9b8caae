package io.asterline.audiosocket;

import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.asterline.call.CallRepository.AgentOutcome;
import io.asterline.degraded.HeldWrite;
import io.asterline.degraded.LocalCalls;
import io.asterline.degraded.TenantSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import java.net.SocketException;
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
 * One AudioSocket connection, i.e. one call's agent leg: reads Asterisk's frames as fast as they come, and
 * paces the agent's audio back as 20 ms frames on the event loop's clock, silence whenever the agent is quiet
 * (Asterisk drops a call after 2 s without frames). A new instance per channel; everything runs on its loop.
 */
final class CallHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(CallHandler.class);

  static final int FRAME_MILLIS = 20;
  static final int FRAME_SAMPLES = 160;
  private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(FRAME_MILLIS);
  /** A tick this late is skipped instead of sent in a burst: Asterisk does not buffer, a burst is heard. */
  private static final long MAX_LATE_NANOS = 3 * FRAME_NANOS;
  private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long UUID_TIMEOUT_MILLIS = 5000;
  /** How long the hangup waits for the decision to be stored before the dialplan goes on anyway. */
  private static final long STORE_WAIT_MILLIS = 1500;
  /** How long after the 0x00 Asterisk gets to close its side before we close ours. */
  private static final long LINGER_MILLIS = 2000;

  private final Talk talk;
  private ChannelHandlerContext ctx;
  private long connectedNanos;
  private UUID callId;
  private String callIdText;
  /** Admitted DEGRADED by this node: settings from memory, every write through the journal. */
  private boolean degraded;
  private long tenantId;
  private AgentCall agent;
  private ScheduledFuture<?> pacer;
  private ScheduledFuture<?> uuidTimeout;
  private long pacerStart;
  private long ticks;
  private boolean hungUp;
  private boolean failed;
  private boolean otherRateLogged;
  private AtomicInteger activeGauge;

  CallHandler(Talk talk) {
    this.talk = talk;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    connectedNanos = System.nanoTime();
    uuidTimeout = ctx.executor().schedule(() -> {
      if (callId == null) {
        log.warn("AudioSocket from {} sent no UUID within {} ms; closing", ctx.channel().remoteAddress(), UUID_TIMEOUT_MILLIS);
        ctx.close();
      }
    }, UUID_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof AudioSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    mdc();
    try {
      if (failed || hungUp) {
        return;
      }
      Kind kind = frame.kind();
      if (kind == Kind.UUID) {
        onUuid(frame.uuidValue());
      } else if (callId == null) {
        throw new AudioSocketProtocolException(kind + " frame before the UUID frame");
      } else if (kind == Kind.AUDIO) {
        if (agent != null) {
          agent.callerAudio(frame.payload());
        }
      } else if (kind.isAudio()) {
        if (!otherRateLogged) {
          otherRateLogged = true;
          log.warn("caller audio arrives as {} ({} Hz); only 8 kHz slin is relayed: dial AudioSocket with c(slin)",
              kind, kind.sampleRate());
        }
      } else if (kind == Kind.DTMF) {
        if (agent != null) {
          agent.dtmf(frame.dtmfDigit());
        }
      } else if (kind == Kind.ERROR) {
        ByteBuf p = frame.payload();
        log.warn("Asterisk reported AudioSocket error {}; closing", p.isReadable() ? String.format("0x%02x", p.getByte(p.readerIndex())) : "(no code)");
        ctx.close();
      } else if (kind == Kind.HANGUP) {
        log.info("Asterisk sent a hangup frame");
        ctx.close();
      }
    } finally {
      frame.release();
      MDC.remove("callId");
    }
  }

  private void onUuid(UUID id) {
    if (callId != null) {
      throw new AudioSocketProtocolException("a second UUID frame (" + id + ") on call " + callId);
    }
    uuidTimeout.cancel(false);
    if (!claimLeg(id)) {
      MDC.put("callId", id.toString());
      log.warn("a second AudioSocket leg for this call from {}; refusing it, the first keeps talking",
          ctx.channel().remoteAddress());
      hangup();
      return;
    }
    callId = id;
    callIdText = id.toString();
    mdc();
    startPacer();
    Optional<LocalCalls.DegradedCall> held = talk.local.degradedCall(id);
    if (held.isPresent()) {
      // before the database: the call row may not be written yet, even when the database is back
      startFromMemory(held.get());
      return;
    }
    talk.db.execute(() -> {
      Optional<CallSettings> settings;
      try {
        settings = talk.settings.connect(id);
      } catch (RuntimeException e) {
        inCall(() -> {
          log.error("cannot read the call's settings; hanging up so the dialplan goes on: {}", e.getMessage());
          hangup();
        });
        return;
      }
      inCall(() -> onSettings(settings));
    });
  }

  /** Makes this connection the call's one live leg on this node; false when another live one has it. */
  private boolean claimLeg(UUID id) {
    while (true) {
      io.netty.channel.Channel first = talk.legs.putIfAbsent(id, ctx.channel());
      if (first == null || first == ctx.channel()) {
        return true;
      }
      if (first.isActive()) {
        return false;
      }
      // a leg that has closed but not yet left the map (its channelInactive runs on its own loop)
      if (talk.legs.replace(id, first, ctx.channel())) {
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
      hangup();
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
      hangup();
      return;
    }
    onSettings(Optional.of(CallSettings.degradedInbound(callId, tenant.get(), apiKey)));
  }

  private void onSettings(Optional<CallSettings> found) {
    if (!ctx.channel().isActive() || hungUp) {
      return;
    }
    if (found.isEmpty()) {
      log.warn("unknown or ended call id; hanging up");
      hangup();
      return;
    }
    CallSettings settings = found.get();
    tenantId = settings.tenantId();
    log.info("agent leg connected{}: {}", degraded ? " (from memory: admitted while the database was down)" : "",
        settings);
    activeGauge = talk.metrics.active(settings.tenantId(), settings.direction());
    activeGauge.incrementAndGet();
    String key = settings.tenantApiKey().or(() -> talk.openai.apiKey()).orElse(null);
    agent = new AgentCall(talk, settings, this, ctx.channel().eventLoop(), connectedNanos, key);
    agent.start();
  }

  ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  // ------------------------------------------------------------------ pacing

  private void startPacer() {
    pacerStart = System.nanoTime();
    ticks = 0;
    // the event loop's scheduler is the shared clock: fixed rate, deadlines on System.nanoTime, no drift
    pacer = ctx.executor().scheduleAtFixedRate(this::tick, 0, FRAME_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    long now = System.nanoTime();
    long due = pacerStart + ticks * FRAME_NANOS;
    ticks++;
    if (hungUp || !ctx.channel().isActive()) {
      return;
    }
    mdc();
    try {
      if (now - due > MAX_LATE_NANOS || !ctx.channel().isWritable()) {
        // late after a stall, or Asterisk is not reading: never queue more than ~60 ms ahead of the caller
        talk.metrics.frameSkipped();
      } else {
        if (now - due > LATE_NANOS) {
          talk.metrics.tickLate();
        }
        ByteBuf frame;
        if (agent != null && agent.hasAudio()) {
          frame = AudioSocketFrameEncoder.audio(ctx.alloc(), FRAME_SAMPLES * 2);
          int samples = agent.fill(frame, FRAME_SAMPLES, now);
          frame.writeZero(2 * (FRAME_SAMPLES - samples));
        } else {
          if (agent != null) {
            agent.fill(null, FRAME_SAMPLES, now);
          }
          frame = AudioSocketFrameEncoder.silence();
        }
        ctx.writeAndFlush(frame, ctx.voidPromise());
      }
      if (agent != null) {
        agent.afterTick(now);
      }
    } finally {
      MDC.remove("callId");
    }
  }

  private void stopPacer() {
    if (pacer != null) {
      pacer.cancel(false);
      pacer = null;
    }
  }

  // ------------------------------------------------------------------ ending

  /** Stores the decision first (the after-agent script reads it the moment Asterisk continues), then 0x00. */
  void endWith(AgentOutcome outcome) {
    if (outcome.decision() != null) {
      // kept first, in memory: after-agent asks the moment Asterisk continues, and may find the database gone
      talk.local.decided(callId, tenantId, outcome.decision(), outcome.transferTo(), Instant.now());
    }
    boolean[] done = new boolean[1];
    try {
      ScheduledFuture<?> guard = ctx.executor().schedule(() -> inCall(() -> {
        if (!done[0]) {
          log.warn("storing the decision takes over {} ms; ending the leg anyway", STORE_WAIT_MILLIS);
          hangup();
        }
      }), STORE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      writer().execute(() -> {
        persist(outcome);
        inCall(() -> {
          done[0] = true;
          guard.cancel(false);
          hangup();
        });
      });
    } catch (RejectedExecutionException e) {
      log.warn("the service is stopping; the agent's outcome was not stored");
      hangup();
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
          outcome.voicemailResult(), outcome.conversationJson());
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

  /**
   * Ends the leg cleanly: Asterisk's AudioSocket returns 0 and the dialplan goes on. The socket is only
   * half-closed after the 0x00: Asterisk keeps sending audio until it has read it, and closing with that audio
   * unread would answer with a TCP reset, which can destroy the 0x00 before Asterisk reads it (and drop the call
   * instead of continuing the dialplan). Asterisk closes its side once it has the 0x00; that closes ours.
   */
  void hangup() {
    if (hungUp) {
      return;
    }
    hungUp = true;
    stopPacer();
    if (!ctx.channel().isActive()) {
      return;
    }
    ctx.writeAndFlush(AudioSocketFrame.hangup()).addListener(f -> {
      if (!f.isSuccess() || !(ctx.channel() instanceof DuplexChannel duplex)) {
        ctx.close();
        return;
      }
      duplex.shutdownOutput();
      ctx.executor().schedule(() -> {
        if (ctx.channel().isActive()) {
          ctx.close();
        }
      }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    });
  }

  /** The service stops: ends the call through the fallback rather than dropping it. */
  void shutdown() {
    inCall(() -> {
      if (agent != null && !agent.ended()) {
        agent.shutdown();
      } else {
        hangup();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    mdc();
    try {
      stopPacer();
      if (uuidTimeout != null) {
        uuidTimeout.cancel(false);
      }
      if (callId != null) {
        talk.legs.remove(callId, ctx.channel());
      }
      if (agent != null && !agent.ended()) {
        log.info("Asterisk closed the AudioSocket (caller hung up)");
        agent.callerGone();
      }
      if (activeGauge != null) {
        activeGauge.decrementAndGet();
        activeGauge = null;
      }
    } finally {
      MDC.remove("callId");
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    mdc();
    try {
      if (failed) {
        return;
      }
      failed = true;
      Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
      if (cause instanceof DecoderException) {
        log.warn("invalid AudioSocket input from {}; closing this connection: {}", ctx.channel().remoteAddress(),
            c.getMessage());
      } else if (c instanceof SocketException || c instanceof java.io.IOException) {
        // a broken pipe or reset is how a caller's hangup often looks from here: worth a line, not an alarm
        log.info("AudioSocket connection error: {}", c.getMessage());
      } else {
        log.error("AudioSocket handler failed; closing this connection", c);
      }
      stopPacer();
      ctx.close();
    } finally {
      MDC.remove("callId");
    }
  }

  /** Runs {@code r} on this call's event loop (from the database executor or the shutdown). */
  private void inCall(Runnable r) {
    try {
      ctx.executor().execute(() -> {
        mdc();
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

  private void mdc() {
    if (callIdText != null) {
      MDC.put("callId", callIdText);
    }
  }
}
