package io.asterline.twiliomedia;

import io.asterline.media.Playout;
import io.asterline.agent.Agents;
import io.asterline.media.MediaLegHandler;
import io.asterline.recording.RecordingKind;
import io.asterline.twiliomedia.StreamCalls.StreamCall;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One Twilio Media Stream ({@code <Connect><Stream>}), i.e. one Twilio call's agent leg. The stream names its call
 * in the {@code callId} custom parameter; it is served only when that is a live Twilio call whose CallSid is the
 * stream's, of this service's account. G.711 µ-law passes through untouched both ways: the caller's media to the
 * agent, the agent's audio to Twilio as it arrives (Twilio buffers and plays it in real time), each chunk followed
 * by a mark, so the marks Twilio echoes (and the time since the last) say what the caller heard. A barge-in is a
 * clear. The agent done: {@link io.asterline.twilio.StreamControl#agentDone} gives the call new TwiML, then the
 * socket closes; the stream over (stop or closed socket): {@code streamEnded}, with the recording Asterline made
 * when the tenant records calls. A new instance per stream; everything on its event loop.
 */
final class StreamCallHandler extends MediaLegHandler {

  private static final Logger log = LoggerFactory.getLogger(StreamCallHandler.class);

  private static final long TICK_MILLIS = 20;
  /** Twilio sends connected and start right after the handshake. */
  private static final long START_TIMEOUT_MILLIS = 5000;
  /** How long the socket waits for Twilio to take the call's new TwiML before it closes anyway. */
  static final long AGENT_DONE_WAIT_MILLIS = 5000;
  /** One media message carries at most half a second, so a mark follows at least that often. */
  static final int MAX_MESSAGE_BYTES = 4000;
  private static final long RECORDING_FLUSH_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final FailureLines FAILURE_LINES = new FailureLines(
      "invalid Media Streams message from {}; closing the stream so Twilio takes the call on: {}",
      "Media Streams connection error: {}", "Media Streams handler failed; closing the stream");

  private final Agents agents;
  private final TwilioMedia.Deps deps;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> startTimeout;
  private ScheduledFuture<?> ticker;
  private StreamEvent.Start start;
  private String streamSid;
  private UUID callId;
  private String callSid;
  /** The call row matched the stream: the agent has the call. */
  private boolean verified;
  /** The agent is done with the leg (or it is refused): no more audio either way. */
  private boolean ended;
  private boolean agentDoneCalled;
  private boolean over;
  private final Playout playout = new Playout();
  private StreamRecording recording;
  private long lastRecordingFlush;
  /** When start arrived: Twilio's media timestamps count from about then, and so does the recording. */
  private long startNanos;

  StreamCallHandler(Agents agents, TwilioMedia.Deps deps) {
    super(log, FAILURE_LINES);
    this.agents = agents;
    this.deps = deps;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    agent = agents.leg(this);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      startTimeout = ctx.executor().schedule(() -> {
        if (start == null) {
          log.warn("Twilio's Media Stream from {} sent no start within {} ms; closing", ctx.channel().remoteAddress(),
              START_TIMEOUT_MILLIS);
          closeStream(WebSocketCloseStatus.POLICY_VIOLATION);
        }
      }, START_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    mdc();
    try {
      if (msg instanceof StreamEvent event) {
        onEvent(event);
      } else if (msg instanceof WebSocketFrame frame) {
        frame.release();
        throw new TwilioMediaProtocolException("a " + frame.getClass().getSimpleName() + ": Twilio sends JSON text");
      } else {
        ctx.fireChannelRead(msg);
      }
    } finally {
      MDC.remove("callId");
    }
  }

  private void onEvent(StreamEvent event) {
    if (event instanceof StreamEvent.Connected) {
      return;
    }
    if (event instanceof StreamEvent.Start s) {
      onStart(s);
      return;
    }
    if (start == null) {
      throw new TwilioMediaProtocolException("'" + event.getClass().getSimpleName().toLowerCase() + "' before start");
    }
    long now = System.nanoTime();
    if (event instanceof StreamEvent.Media m) {
      if (verified && !ended && m.track().startsWith("inbound")) {
        ByteBuf mulaw = Unpooled.wrappedBuffer(m.payload());
        try {
          agent.callerAudio(mulaw);
        } finally {
          mulaw.release();
        }
        if (recording != null) {
          recording.caller(m.payload(), m.timestamp());
        }
      }
    } else if (event instanceof StreamEvent.Dtmf d) {
      if (verified && !ended) {
        agent.dtmf(d.digit());
      }
    } else if (event instanceof StreamEvent.Mark mark) {
      playout.markProcessed(mark.name(), now);
    } else if (event instanceof StreamEvent.Stop) {
      log.info("Twilio stopped the stream{}", agentDoneCalled ? " (the call went on to its new TwiML)" : "");
      // the socket closes next; its end tells the agent and the call control once
      ctx.close();
    }
  }

  private void onStart(StreamEvent.Start s) {
    if (start != null) {
      throw new TwilioMediaProtocolException("a second start");
    }
    start = s;
    startNanos = System.nanoTime();
    streamSid = s.streamSid();
    callSid = s.callSid();
    if (startTimeout != null) {
      startTimeout.cancel(false);
    }
    if (!s.accountSid().equals(deps.accountSid())) {
      refuse("the stream belongs to another Twilio account (" + s.accountSid() + ")");
      return;
    }
    if (!"audio/x-mulaw".equals(s.encoding()) || s.sampleRate() != 8000 || s.channels() != 1) {
      refuse("the stream carries " + s.encoding() + "/" + s.sampleRate() + "/" + s.channels()
          + "; only audio/x-mulaw at 8000 Hz, one channel, passes through");
      return;
    }
    String idText = s.customParameters().get("callId");
    UUID id;
    try {
      id = UUID.fromString(idText == null ? "" : idText.strip());
    } catch (IllegalArgumentException e) {
      refuse("the start's customParameters.callId is " + (idText == null ? "missing" : "not a call id"));
      return;
    }
    callId = id;
    callIdIs(id);
    mdc();
    try {
      deps.db().execute(() -> {
        Optional<StreamCall> found;
        try {
          found = deps.calls().find(id);
        } catch (RuntimeException e) {
          inLoop(() -> refuse("cannot read the call row: " + e.getMessage()));
          return;
        }
        inLoop(() -> onCall(found));
      });
    } catch (RejectedExecutionException e) {
      refuse("the service is stopping");
    }
  }

  private void onCall(Optional<StreamCall> found) {
    if (!ctx.channel().isActive() || ended) {
      return;
    }
    if (found.isEmpty()) {
      refuse("no call row has this callId");
      return;
    }
    StreamCall call = found.get();
    if (!"twilio".equals(call.provider()) || !callSid.equals(call.providerCallSid())) {
      refuse("the call row is not the Twilio call " + callSid + " (provider " + call.provider() + ", CallSid "
          + (call.providerCallSid() == null ? "none" : call.providerCallSid()) + ")");
      return;
    }
    if (call.ended()) {
      refuse("the call has already ended");
      return;
    }
    if (!agent.connect(callId)) {
      refuse("another stream already serves this call");
      return;
    }
    verified = true;
    long now = System.nanoTime();
    if (call.recordingEnabled()) {
      // from the start, not from now: the caller's audio is placed by Twilio's timestamps, which count from there
      recording = new StreamRecording(RecordingKind.CALL.file(deps.recordingsDir(), call.tenantId(), callId),
          startNanos, deps.recordingWriter());
      lastRecordingFlush = now;
    }
    log.info("Twilio Media Stream {} of call {} connected to the agent{}", streamSid, callSid,
        recording != null ? "; recording to " + recording.file() : "");
    ticker = ctx.executor().scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Closes a stream that cannot be served, saying why once (never a secret: SIDs and ids only). */
  private void refuse(String why) {
    if (ended) {
      return;
    }
    ended = true;
    log.warn("Twilio Media Stream {} refused: {}; closing it", streamSid == null ? "(no start)" : streamSid, why);
    closeStream(WebSocketCloseStatus.POLICY_VIOLATION);
  }

  private void tick() {
    if (ended || !ctx.channel().isActive()) {
      return;
    }
    mdc();
    try {
      long now = System.nanoTime();
      if (playout.playing(now)) {
        agent.agentAudioSent(now);
      } else {
        agent.agentAudioStopped(now);
      }
      playout.prune(now);
      if (recording != null && now - lastRecordingFlush >= RECORDING_FLUSH_NANOS) {
        lastRecordingFlush = now;
        recording.flush(now);
      }
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
      if (ended || !verified || !ctx.channel().isActive()) {
        return;
      }
      long now = System.nanoTime();
      while (mulaw.isReadable()) {
        int n = Math.min(MAX_MESSAGE_BYTES, mulaw.readableBytes());
        ByteBuf chunk = mulaw.readRetainedSlice(n);
        if (recording != null) {
          recording.agent(ByteBufUtil.getBytes(chunk), 0, n, now);
        }
        String mark = playout.sent(itemId, n, now);
        ctx.write(new StreamCommand.Media(streamSid, chunk), ctx.voidPromise());
        ctx.write(new StreamCommand.Mark(streamSid, mark), ctx.voidPromise());
      }
      ctx.flush();
      agent.agentAudioSent(now);
    } finally {
      mulaw.release();
    }
  }

  @Override
  public boolean playing() {
    return playout.playing(System.nanoTime());
  }

  @Override
  public Played flush() {
    long now = System.nanoTime();
    Played played = playout.played(now);
    boolean buffered = playout.playing(now) || playout.pendingMarks() > 0;
    if (buffered && verified && !ended && ctx.channel().isActive()) {
      ctx.writeAndFlush(new StreamCommand.Clear(streamSid), ctx.voidPromise());
      // the caller stops hearing the agent once the clear is out: said right after the agent's barge-in handling
      // (which stamps its start after this flush), not a tick later
      ctx.executor().execute(() -> {
        if (!ended) {
          agent.agentAudioStopped(System.nanoTime());
        }
      });
    }
    playout.flushed(now);
    if (recording != null) {
      recording.cut(now);
    }
    return played;
  }

  // ------------------------------------------------------------------ ending

  /**
   * The agent is done (its decision is stored, or it could not start): Twilio gets the call's next TwiML, then the
   * socket closes, at the latest after {@link #AGENT_DONE_WAIT_MILLIS}.
   */
  @Override
  public void end() {
    if (ended) {
      return;
    }
    ended = true;
    stopTicker();
    if (!verified || !ctx.channel().isActive()) {
      closeStream(WebSocketCloseStatus.NORMAL_CLOSURE);
      return;
    }
    agentDoneCalled = true;
    CompletableFuture<Void> done;
    try {
      done = deps.control().agentDone(callId, callSid);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    ScheduledFuture<?> guard = ctx.executor().schedule(() -> {
      mdc();
      try {
        if (ctx.channel().isActive()) {
          log.warn("Twilio has not taken the call's next TwiML within {} ms; closing the stream anyway",
              AGENT_DONE_WAIT_MILLIS);
          closeStream(WebSocketCloseStatus.NORMAL_CLOSURE);
        }
      } finally {
        MDC.remove("callId");
      }
    }, AGENT_DONE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    done.whenComplete((v, e) -> inLoop(() -> {
      guard.cancel(false);
      if (e != null) {
        log.warn("giving the call its next TwiML failed ({}); closing the stream, Twilio asks the action URL",
            e.getMessage());
      }
      closeStream(WebSocketCloseStatus.NORMAL_CLOSURE);
    }));
  }

  /**
   * The closing handshake: Netty's protocol handler sends nothing after the close frame, closes the socket when
   * Twilio answers it (or after {@link TwilioMedia#FORCE_CLOSE_MILLIS}). Closing at once instead would reset a
   * connection whose media is still unread, and the reset can overtake the close frame.
   */
  private void closeStream(WebSocketCloseStatus status) {
    if (!ctx.channel().isActive()) {
      return;
    }
    ctx.writeAndFlush(new CloseWebSocketFrame(status));
  }

  /** The socket is gone: the call control learns the stream is over, with the recording once it is written. */
  private void streamOver() {
    if (over || !verified) {
      return;
    }
    over = true;
    UUID id = callId;
    String sid = callSid;
    boolean afterAgentDone = agentDoneCalled;
    if (recording == null) {
      streamEnded(id, sid, afterAgentDone, null);
      return;
    }
    recording.finish(System.nanoTime()).whenComplete((path, e) -> {
      Runnable r = () -> streamEnded(id, sid, afterAgentDone, path);
      try {
        ctx.executor().execute(r);
      } catch (RejectedExecutionException stopping) {
        r.run();
      }
    });
  }

  private void streamEnded(UUID id, String sid, boolean afterAgentDone, Path path) {
    MDC.put("callId", id.toString());
    try {
      deps.control().streamEnded(id, sid, afterAgentDone, path);
    } catch (RuntimeException e) {
      log.error("the call control failed on the stream's end", e);
    } finally {
      MDC.remove("callId");
    }
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

  /** Nothing is held here (Twilio buffers the agent's audio); the stream's end is told from here, once. */
  @Override
  protected void dropAudio() {
    streamOver();
  }

  @Override
  protected void closeAfterFailure(ChannelHandlerContext ctx) {
    stopTicker();
    ended = true;
    if (ctx.channel().isActive()) {
      closeStream(WebSocketCloseStatus.POLICY_VIOLATION);
    } else {
      ctx.close();
    }
  }

  /** Runs {@code r} on this stream's loop (from the database executor or the call control's future). */
  private void inLoop(Runnable r) {
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
      // the service is stopping and the loops are gone: the socket is closed with them
    }
  }
}
