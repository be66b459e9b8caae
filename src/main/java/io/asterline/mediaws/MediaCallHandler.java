package io.asterline.mediaws;

import io.asterline.media.Playout;
import io.asterline.agent.Agents;
import io.asterline.media.MediaLegHandler;
import io.asterline.mediaws.ControlCommand.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One connection from Asterisk's WebSocket channel, i.e. one call's agent leg. G.711 µ-law passes through
 * untouched both ways: the caller's binary frames go to the agent as they are, and the agent's audio goes to
 * Asterisk as it arrives, in whole 20 ms frames (chan_websocket drops the rest of a message that is not), with a
 * MARK_MEDIA after each chunk; Asterisk queues and paces it, so no clock here decides what the caller hears. A
 * barge-in is FLUSH_MEDIA, and the truncate says what the marks (and the time since the last one) say was played.
 * MEDIA_XOFF holds the agent's audio here until MEDIA_XON. Ending is HANGUP (the dialplan goes on after Dial);
 * Asterisk closing the socket is the caller hanging up. A new instance per channel; everything on its loop.
 */
final class MediaCallHandler extends MediaLegHandler {

  private static final Logger log = LoggerFactory.getLogger(MediaCallHandler.class);

  static final int FRAME_BYTES = 160;
  /** Well inside Asterisk's 65,535-byte frame limit, and short enough that a mark follows every 2 s at most. */
  static final int MAX_MESSAGE_BYTES = 100 * FRAME_BYTES;
  private static final long TICK_MILLIS = 20;
  private static final long START_TIMEOUT_MILLIS = 5000;
  /** How long after HANGUP Asterisk gets to close the socket before we do. */
  private static final long LINGER_MILLIS = 2000;
  /**
   * How far ahead of the caller Asterisk's queue may be filled: 750 frames, so one more message (100 frames) stays
   * under MEDIA_XOFF's 900 and far from the 1,000 at which chan_websocket ignores whole messages. The Realtime API
   * sends faster than real time; the rest waits here and goes out as Asterisk plays.
   */
  private static final long MAX_AHEAD_BYTES = 750L * FRAME_BYTES;
  /** chan_websocket's QUEUE_LENGTH_XOFF_LEVEL and QUEUE_LENGTH_XON_LEVEL, in frames. */
  private static final long XOFF_FRAMES = 900;
  private static final long XON_FRAMES = 800;
  /** More agent audio than this held back (XOFF) means the upstream is misbehaving; the rest is dropped. */
  private static final int MAX_HELD_BYTES = 8 * 120_000;
  /** A partial frame is sent, padded with silence, once Asterisk has less than this left to play. */
  private static final long PAD_WHEN_QUEUED_BELOW_BYTES = 8 * 40;
  /**
   * While the agent is quiet Asterisk's queue is kept between 40 and 80 ms of silence: with nothing queued the
   * channel produces no frames at all, the caller's RTP stops (a carrier may hang up a call without RTP), and a
   * phone hears nothing where it should hear quiet. Agent audio replaces the queued silence at once (FLUSH_MEDIA).
   */
  private static final long SILENCE_LOW_BYTES = 8 * 40;
  private static final int SILENCE_TARGET_BYTES = 8 * 80;
  private static final byte MULAW_SILENCE = (byte) 0xFF;
  private static final FailureLines FAILURE_LINES = new FailureLines(
      "invalid input from Asterisk's WebSocket channel at {}; hanging up this leg so the call takes its fallback: {}",
      "media WebSocket connection error: {}", "media WebSocket handler failed; hanging up this leg");

  /** Agent audio in whole frames, waiting for XON. */
  private record Held(String itemId, ByteBuf mulaw) {}

  private final Agents agents;
  private final UUID uriCallId;
  private ChannelHandlerContext ctx;
  private UUID callId;
  private boolean started;
  private boolean ended;
  private boolean xoff;
  private ScheduledFuture<?> startTimeout;
  private ScheduledFuture<?> ticker;

  private final Playout playout = new Playout();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private int heldBytes;
  /** The start of a frame the agent's audio has not filled yet, and its item. */
  private final byte[] partial = new byte[FRAME_BYTES];
  private int partialFill;
  private String partialItem;

  MediaCallHandler(Agents agents, UUID uriCallId) {
    super(log, FAILURE_LINES);
    this.agents = agents;
    this.uriCallId = uriCallId;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    agent = agents.leg(this);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      // Asterisk sends MEDIA_START right after the handshake
      startTimeout = ctx.executor().schedule(() -> {
        if (!started) {
          log.warn("Asterisk's WebSocket channel from {} sent no MEDIA_START within {} ms; closing",
              ctx.channel().remoteAddress(), START_TIMEOUT_MILLIS);
          ctx.close();
        }
      }, START_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    mdc();
    try {
      if (msg instanceof BinaryWebSocketFrame frame) {
        try {
          callerAudio(frame.content());
        } finally {
          frame.release();
        }
      } else if (msg instanceof ControlEvent event) {
        onEvent(event);
      } else if (msg instanceof WebSocketFrame frame) {
        // continuation frames: Asterisk sends whole messages; the protocol handler answers pings and closes
        frame.release();
      } else {
        ctx.fireChannelRead(msg);
      }
    } finally {
      MDC.remove("callId");
    }
  }

  private void callerAudio(ByteBuf mulaw) {
    if (!started) {
      throw new MediaWsProtocolException("media before MEDIA_START");
    }
    if (!ended) {
      agent.callerAudio(mulaw);
    }
  }

  private void onEvent(ControlEvent event) {
    if (event instanceof ControlEvent.MediaStart start) {
      onStart(start);
      return;
    }
    if (!started) {
      throw new MediaWsProtocolException(event + " before MEDIA_START");
    }
    long now = System.nanoTime();
    if (event instanceof ControlEvent.MarkProcessed mark) {
      playout.markProcessed(mark.correlationId(), now);
    } else if (event instanceof ControlEvent.Xoff) {
      log.debug("MEDIA_XOFF: Asterisk's queue is full; holding the agent's audio");
      xoff = true;
      playout.queuedIs(XOFF_FRAMES * FRAME_BYTES, now);
    } else if (event instanceof ControlEvent.Xon) {
      xoff = false;
      playout.queuedIs((XON_FRAMES - 1) * FRAME_BYTES, now);
      drain(now);
    } else if (event instanceof ControlEvent.DtmfEnd dtmf) {
      agent.dtmf(dtmf.digit());
    } else if (event instanceof ControlEvent.Error error) {
      log.warn("Asterisk's WebSocket channel reports: {}", error.text());
    }
    // QUEUE_DRAINED, STATUS, MEDIA_BUFFERING_COMPLETED: nothing asked for them
  }

  private void onStart(ControlEvent.MediaStart start) {
    if (started) {
      throw new MediaWsProtocolException("a second MEDIA_START");
    }
    started = true;
    if (startTimeout != null) {
      startTimeout.cancel(false);
    }
    UUID id = callIdOf(start.variables());
    if (id == null) {
      id = uriCallId;
    } else if (uriCallId != null && !id.equals(uriCallId)) {
      // Asterisk sets the URI parameters on the connection object all calls share, just before connecting: two
      // calls dialled at the same instant can swap them. The channel's own variable cannot be swapped.
      log.warn("the URI names call {} but the channel's ASTERLINE_CALL_ID is {}; taking the channel's", uriCallId, id);
    }
    if (id == null) {
      throw new MediaWsProtocolException("no call id: neither the URI's call parameter nor ASTERLINE_CALL_ID in "
          + "MEDIA_START's channel variables");
    }
    callId = id;
    callIdIs(id);
    mdc();
    if (!"ulaw".equals(start.format()) || start.optimalFrameSize() != FRAME_BYTES) {
      log.error("Asterisk's WebSocket channel speaks {} in {}-byte frames; only ulaw (160-byte, 20 ms frames) passes "
          + "through: dial WebSocket/<connection>/c(ulaw); hanging up so the dialplan goes on", start.format(),
          start.optimalFrameSize());
      end();
      return;
    }
    if (!agent.connect(id)) {
      log.warn("a second agent leg for this call from {}; refusing it, the first keeps talking",
          ctx.channel().remoteAddress());
      end();
      return;
    }
    log.debug("MEDIA_START on {} ({})", start.channel(), start.connectionId());
    ticker = ctx.executor().scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** ASTERLINE_CALL_ID as the WebSocket channel inherited it (with or without the inheritance underscores). */
  static UUID callIdOf(Map<String, String> variables) {
    for (Map.Entry<String, String> v : variables.entrySet()) {
      if (v.getKey().replaceFirst("^_+", "").equals("ASTERLINE_CALL_ID")) {
        try {
          return UUID.fromString(v.getValue().strip());
        } catch (IllegalArgumentException e) {
          throw new MediaWsProtocolException("ASTERLINE_CALL_ID is not a call id: " + v.getValue());
        }
      }
    }
    return null;
  }

  private void tick() {
    if (ended || !ctx.channel().isActive()) {
      return;
    }
    mdc();
    try {
      long now = System.nanoTime();
      if (partialFill > 0 && !xoff && held.isEmpty() && playout.queued(now) < PAD_WHEN_QUEUED_BELOW_BYTES) {
        // the response ended mid-frame: the rest of the frame is silence rather than a clipped last syllable
        padPartial();
        drain(now);
      }
      if (!held.isEmpty()) {
        // more than Asterisk's window was waiting: it goes out as Asterisk plays
        drain(now);
      }
      if (!xoff && held.isEmpty() && partialFill == 0 && playout.queued(now) < SILENCE_LOW_BYTES) {
        topUpSilence(now);
      }
      if (playout.agentPlaying(now)) {
        agent.agentAudioSent(now);
      } else {
        agent.agentAudioStopped(now);
      }
      playout.prune(now);
      agent.tick(now);
    } finally {
      MDC.remove("callId");
    }
  }

  // ------------------------------------------------------------------ the agent's audio (MediaLeg)

  @Override
  public Channel channel() {
    return ctx.channel();
  }

  @Override
  public void play(String itemId, ByteBuf mulaw) {
    try {
      if (ended) {
        return;
      }
      if (heldBytes + mulaw.readableBytes() > MAX_HELD_BYTES) {
        log.warn("more than {} s of agent audio held back; dropping {} bytes", MAX_HELD_BYTES / 8000,
            mulaw.readableBytes());
        return;
      }
      if (partialFill > 0 && !Objects.equals(partialItem, itemId)) {
        padPartial();
      }
      // complete the partial frame first, then whole frames, then keep the rest for the next chunk
      if (partialFill > 0) {
        int n = Math.min(FRAME_BYTES - partialFill, mulaw.readableBytes());
        mulaw.readBytes(partial, partialFill, n);
        partialFill += n;
        if (partialFill == FRAME_BYTES) {
          hold(itemId, ctx.alloc().directBuffer(FRAME_BYTES).writeBytes(partial));
          partialFill = 0;
        }
      }
      int whole = mulaw.readableBytes() / FRAME_BYTES * FRAME_BYTES;
      if (whole > 0) {
        hold(itemId, mulaw.readRetainedSlice(whole));
      }
      if (mulaw.isReadable()) {
        partialItem = itemId;
        int n = mulaw.readableBytes();
        mulaw.readBytes(partial, partialFill, n);
        partialFill += n;
      }
      drain(System.nanoTime());
    } finally {
      mulaw.release();
    }
  }

  private void padPartial() {
    java.util.Arrays.fill(partial, partialFill, FRAME_BYTES, MULAW_SILENCE);
    hold(partialItem, ctx.alloc().directBuffer(FRAME_BYTES).writeBytes(partial));
    partialFill = 0;
  }

  private void hold(String itemId, ByteBuf frames) {
    held.add(new Held(itemId, frames));
    heldBytes += frames.readableBytes();
  }

  private void topUpSilence(long now) {
    int bytes = (int) ((SILENCE_TARGET_BYTES - playout.queued(now) + FRAME_BYTES - 1) / FRAME_BYTES * FRAME_BYTES);
    ByteBuf silence = ctx.alloc().directBuffer(bytes);
    for (int i = 0; i < bytes; i++) {
      silence.writeByte(MULAW_SILENCE);
    }
    String mark = playout.silence(bytes, now);
    ctx.write(new BinaryWebSocketFrame(silence), ctx.voidPromise());
    ctx.writeAndFlush(ControlCommand.mark(mark), ctx.voidPromise());
  }

  /** Sends what is held, unless Asterisk asked us to wait: binary messages of whole frames, each followed by a mark. */
  private void drain(long now) {
    if (xoff || ended || !ctx.channel().isActive() || held.isEmpty()) {
      return;
    }
    if (playout.playing(now) && !playout.agentPlaying(now)) {
      // only silence ahead of the caller: the agent's audio replaces it rather than waiting behind it
      ctx.write(ControlCommand.of(Kind.FLUSH_MEDIA), ctx.voidPromise());
      playout.flushed(now);
    }
    boolean wrote = false;
    for (Held h; (h = held.peek()) != null; ) {
      long room = MAX_AHEAD_BYTES - playout.queued(now);
      int n = (int) Math.min(Math.min(MAX_MESSAGE_BYTES, h.mulaw().readableBytes()), room / FRAME_BYTES * FRAME_BYTES);
      if (n <= 0) {
        break;
      }
      ByteBuf message = h.mulaw().readRetainedSlice(n);
      heldBytes -= n;
      String mark = playout.sent(h.itemId(), n, now);
      ctx.write(new BinaryWebSocketFrame(message), ctx.voidPromise());
      ctx.write(ControlCommand.mark(mark), ctx.voidPromise());
      wrote = true;
      if (!h.mulaw().isReadable()) {
        held.poll().mulaw().release();
      }
    }
    if (wrote) {
      ctx.flush();
      agent.agentAudioSent(now);
    }
  }

  @Override
  public boolean playing() {
    return partialFill > 0 || !held.isEmpty() || playout.agentPlaying(System.nanoTime());
  }

  @Override
  public Played flush() {
    long now = System.nanoTime();
    Played played = playout.played(now);
    if (played == null) {
      // nothing in Asterisk's queue: the head of what is held here has not started
      Held head = held.peek();
      String item = head != null ? head.itemId() : partialFill > 0 ? partialItem : null;
      played = item == null ? null : new Played(item, 0);
    }
    boolean queued = playout.agentPlaying(now);
    dropHeld();
    if (queued && ctx.channel().isActive() && !ended) {
      ctx.writeAndFlush(ControlCommand.of(Kind.FLUSH_MEDIA), ctx.voidPromise());
    }
    playout.flushed(now);
    return played;
  }

  private void dropHeld() {
    for (Held h; (h = held.poll()) != null; ) {
      h.mulaw().release();
    }
    heldBytes = 0;
    partialFill = 0;
  }

  // ------------------------------------------------------------------ ending

  /** HANGUP: Asterisk hangs up the WebSocket channel and the caller's dialplan goes on after Dial. */
  @Override
  public void end() {
    if (ended) {
      return;
    }
    ended = true;
    stopTicker();
    dropHeld();
    if (!ctx.channel().isActive()) {
      return;
    }
    ctx.writeAndFlush(ControlCommand.of(Kind.HANGUP));
    ctx.executor().schedule(() -> {
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
            .addListener(f -> ctx.close());
      }
    }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void stopTicker() {
    if (ticker != null) {
      ticker.cancel(false);
      ticker = null;
    }
  }

  @Override
  protected void stopTimers() {
    stopTicker();
    if (startTimeout != null) {
      startTimeout.cancel(false);
    }
  }

  @Override
  protected void dropAudio() {
    dropHeld();
  }

  @Override
  protected void closeAfterFailure(ChannelHandlerContext ctx) {
    stopTicker();
    if (ctx.channel().isActive() && !ended) {
      // HANGUP first: the dialplan goes on at once (after-agent finds no decision: the tenant's fallback)
      ended = true;
      dropHeld();
      ctx.writeAndFlush(ControlCommand.of(Kind.HANGUP)).addListener(f -> ctx.close());
    } else {
      ctx.close();
    }
  }
}
