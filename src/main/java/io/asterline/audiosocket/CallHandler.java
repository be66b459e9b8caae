package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.asterline.media.MediaLegHandler;
import io.asterline.realtime.MuLaw;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One AudioSocket connection, i.e. one call's agent leg: reads Asterisk's frames as fast as they come, and
 * paces the agent's audio back as 20 ms frames on the event loop's clock, silence whenever the agent is quiet
 * (Asterisk drops a call after 2 s without frames). AudioSocket speaks signed linear: caller audio is encoded to
 * µ-law for the agent and the agent's decoded on the way out. A new instance per channel; everything runs on its
 * loop.
 */
final class CallHandler extends MediaLegHandler {

  private static final Logger log = LoggerFactory.getLogger(CallHandler.class);

  static final int FRAME_MILLIS = 20;
  static final int FRAME_SAMPLES = 160;
  private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(FRAME_MILLIS);
  private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long UUID_TIMEOUT_MILLIS = 5000;
  /** How long after the 0x00 Asterisk gets to close its side before we close ours. */
  private static final long LINGER_MILLIS = 2000;
  /** More agent audio than this waiting to be played means the upstream is misbehaving; the rest is dropped. */
  private static final int MAX_QUEUED_BYTES = 8 * 120_000;
  private static final FailureLines FAILURE_LINES = new FailureLines(
      "invalid AudioSocket input from {}; closing this connection: {}", "AudioSocket connection error: {}",
      "AudioSocket handler failed; closing this connection");

  /** Agent audio waiting to be played; released when played or dropped. */
  private record Chunk(String itemId, ByteBuf mulaw) {}

  private final Agents agents;
  private final PacingMetrics pacing;
  /** A tick later than this is skipped (audiosocket.late-frame-limit) instead of sent late in a burst. */
  private final long lateLimitNanos;
  private ChannelHandlerContext ctx;
  private UUID callId;
  private ScheduledFuture<?> pacer;
  private ScheduledFuture<?> uuidTimeout;
  private long pacerStart;
  private long ticks;
  private boolean hungUp;
  private boolean otherRateLogged;

  private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
  private int queuedBytes;
  private String playingItem;
  private long playedSamples;
  /** One frame of slin, in and out: Netty's per-sample accessors check the buffer each time, this copies once. */
  private final byte[] scratch = new byte[FRAME_SAMPLES * 2];
  private final byte[] mulawScratch = new byte[FRAME_SAMPLES];

  CallHandler(Agents agents, PacingMetrics pacing, long lateLimitNanos) {
    super(log, FAILURE_LINES);
    this.agents = agents;
    this.pacing = pacing;
    this.lateLimitNanos = lateLimitNanos;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    agent = agents.leg(this);
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
      if (failed() || hungUp) {
        return;
      }
      Kind kind = frame.kind();
      if (kind == Kind.UUID) {
        onUuid(frame.uuidValue());
      } else if (callId == null) {
        throw new AudioSocketProtocolException(kind + " frame before the UUID frame");
      } else if (kind == Kind.AUDIO) {
        callerAudio(frame.payload());
      } else if (kind.isAudio()) {
        if (!otherRateLogged) {
          otherRateLogged = true;
          log.warn("caller audio arrives as {} ({} Hz); only 8 kHz slin is relayed: dial AudioSocket with c(slin)",
              kind, kind.sampleRate());
        }
      } else if (kind == Kind.DTMF) {
        agent.dtmf(frame.dtmfDigit());
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
    MDC.put("callId", id.toString());
    if (!agent.connect(id)) {
      log.warn("a second AudioSocket leg for this call from {}; refusing it, the first keeps talking",
          ctx.channel().remoteAddress());
      end();
      return;
    }
    callId = id;
    callIdIs(id);
    startPacer();
  }

  /** Slin in, µ-law to the agent: one frame at a time through the scratch arrays. */
  private void callerAudio(ByteBuf slin) {
    ByteBuf mulaw = ctx.alloc().heapBuffer(slin.readableBytes() / 2);
    try {
      int samples = slin.readableBytes() / 2;
      int index = slin.readerIndex();
      while (samples > 0) {
        int n = Math.min(samples, FRAME_SAMPLES);
        slin.getBytes(index, scratch, 0, 2 * n);
        MuLaw.encodeLittleEndian(scratch, 0, mulawScratch, 0, n);
        mulaw.writeBytes(mulawScratch, 0, n);
        index += 2 * n;
        samples -= n;
      }
      agent.callerAudio(mulaw);
    } finally {
      mulaw.release();
    }
  }

  // ------------------------------------------------------------------ the agent's audio (MediaLeg)

  @Override
  public Channel channel() {
    return ctx.channel();
  }

  @Override
  public void play(String itemId, ByteBuf mulaw) {
    if (hungUp || queuedBytes + mulaw.readableBytes() > MAX_QUEUED_BYTES) {
      if (!hungUp) {
        log.warn("more than {} s of agent audio waiting; dropping {} bytes", MAX_QUEUED_BYTES / 8000,
            mulaw.readableBytes());
      }
      mulaw.release();
      return;
    }
    queue.add(new Chunk(itemId, mulaw));
    queuedBytes += mulaw.readableBytes();
  }

  @Override
  public boolean playing() {
    return !queue.isEmpty();
  }

  @Override
  public Played flush() {
    Chunk head = queue.peek();
    if (head == null) {
      return null;
    }
    long played = Objects.equals(head.itemId(), playingItem) ? playedSamples : 0;
    dropQueue();
    return new Played(head.itemId(), played / 8);
  }

  private void dropQueue() {
    for (Chunk c; (c = queue.poll()) != null; ) {
      c.mulaw().release();
    }
    queuedBytes = 0;
  }

  /** Writes up to one frame of queued agent audio into {@code frame} (8 kHz slin LE) and returns how many samples. */
  private int fill(ByteBuf frame, int samples) {
    int done = 0;
    while (done < samples && !queue.isEmpty()) {
      Chunk c = queue.peek();
      if (!Objects.equals(c.itemId(), playingItem)) {
        playingItem = c.itemId();
        playedSamples = 0;
      }
      int n = Math.min(Math.min(samples - done, c.mulaw().readableBytes()), scratch.length / 2);
      c.mulaw().readBytes(mulawScratch, 0, n);
      MuLaw.decodeLittleEndian(mulawScratch, 0, scratch, 0, n);
      frame.writeBytes(scratch, 0, 2 * n);
      done += n;
      playedSamples += n;
      queuedBytes -= n;
      if (!c.mulaw().isReadable()) {
        queue.poll().mulaw().release();
      }
    }
    return done;
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
      if (now - due > lateLimitNanos || !ctx.channel().isWritable()) {
        // late after a stall, or Asterisk is not reading: never queue more than ~60 ms ahead of the caller
        pacing.frameSkipped();
      } else {
        if (now - due > LATE_NANOS) {
          pacing.tickLate();
        }
        ByteBuf frame;
        if (!queue.isEmpty()) {
          frame = AudioSocketFrameEncoder.audio(ctx.alloc(), FRAME_SAMPLES * 2);
          int samples = fill(frame, FRAME_SAMPLES);
          frame.writeZero(2 * (FRAME_SAMPLES - samples));
          agent.agentAudioSent(now);
        } else {
          agent.agentAudioStopped(now);
          frame = AudioSocketFrameEncoder.silence();
        }
        ctx.writeAndFlush(frame, ctx.voidPromise());
      }
      agent.tick(now);
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

  /**
   * Ends the leg cleanly: Asterisk's AudioSocket returns 0 and the dialplan goes on. The socket is only
   * half-closed after the 0x00: Asterisk keeps sending audio until it has read it, and closing with that audio
   * unread would answer with a TCP reset, which can destroy the 0x00 before Asterisk reads it (and drop the call
   * instead of continuing the dialplan). Asterisk closes its side once it has the 0x00; that closes ours.
   */
  @Override
  public void end() {
    if (hungUp) {
      return;
    }
    hungUp = true;
    stopPacer();
    dropQueue();
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

  @Override
  protected void stopTimers() {
    stopPacer();
    if (uuidTimeout != null) {
      uuidTimeout.cancel(false);
    }
  }

  @Override
  protected void dropAudio() {
    dropQueue();
  }

  @Override
  protected void closeAfterFailure(ChannelHandlerContext ctx) {
    stopPacer();
    ctx.close();
  }
}
