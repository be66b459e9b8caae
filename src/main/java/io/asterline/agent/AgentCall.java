package io.asterline.agent;

import io.asterline.call.Decision;
import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.call.CallEventLog;
import io.asterline.call.CallRepository.AgentOutcome;
import io.asterline.call.RealtimeUsage;
import io.asterline.realtime.RealtimeClient;
import io.asterline.realtime.RealtimeEvent;
import io.asterline.realtime.RealtimeMessages;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractEventExecutor;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One call's conversation with the Realtime API: greeting, turns, barge-in, tools, silence timeout, voicemail
 * detection, session renewal and the fallback when the upstream fails. All its state lives on the call's
 * event loop: WebSocket callbacks are handed over to it, so nothing here needs a lock and a barge-in and a
 * pacing tick can never interleave.
 */
final class AgentCall {

  private static final Logger log = LoggerFactory.getLogger(AgentCall.class);

  /** Errors the session survives: we cancelled a finished response, asked for one while one was running. */
  private static final Set<String> BENIGN = Set.of("response_cancel_not_active",
      "conversation_already_has_active_response", "item_truncate_invalid_audio_end_ms");
  /** Errors after which the session cannot serve the call. */
  private static final Set<String> FATAL = Set.of("session_expired", "beta_api_shape_disabled", "invalid_api_key",
      "insufficient_quota", "model_not_found", "session_not_found", "invalid_session_config");

  /** One WebSocket, on this call's event loop; callbacks from elsewhere are moved onto it. */
  private final class Upstream implements RealtimeClient.Listener {
    final boolean renewal;
    RealtimeClient client;
    boolean closedByUs;

    Upstream(boolean renewal) {
      this.renewal = renewal;
    }

    @Override
    public void opened() {
      onLoop(() -> onOpened(this));
    }

    @Override
    public void event(RealtimeEvent event) {
      if (loop.inEventLoop()) {
        // the WebSocket rides on this call's own event loop: no hand-over needed
        inCall(() -> onEvent(this, event));
      } else if (event.audio() != null) {
        // audio is only needed at the transport's next tick, which wakes the loop anyway: no wake-up per delta
        onLoopLazily(() -> onEvent(this, event));
      } else {
        onLoop(() -> onEvent(this, event));
      }
    }

    @Override
    public void closed(String why) {
      onLoop(() -> onClosed(this, why));
    }

    void close() {
      closedByUs = true;
      if (client != null) {
        client.close();
      }
    }
  }

  final Talk talk;
  final CallSettings settings;
  private final AgentLeg leg;
  private final MediaLeg media;
  private final EventLoop loop;
  private final long connectedNanos;
  private final String apiKey;

  private Upstream current;
  private Upstream next;
  private boolean ready;
  private boolean ended;
  private ScheduledFuture<?> connectDeadline;
  private long sessionStartNanos;
  private long renewAtNanos = Long.MAX_VALUE;
  private long forceRenewAtNanos = Long.MAX_VALUE;

  private String activeResponse;
  /** A response was asked for (or the caller's turn ended) and has not started yet; 0 when nothing is owed. */
  private long owedSinceNanos;
  /** When the last liveness ping went out; 0 when none since the server was last heard. */
  private long pingSentNanos;
  private String droppedResponse;
  private boolean responseAfterDone;

  private final byte[] input;
  private int inputFill;

  private boolean callerSpeaking;
  private long lastActivityNanos;
  private Ending pending;

  final VoicemailDetection voicemail;
  final Transcript transcript = new Transcript();
  private final Tools tools = new Tools(this);
  private final Keypad keypad = new Keypad(this);

  private OffsetDateTime firstAudioAt;
  private int bargeIns;
  /** What every session of this call used so far (a renewal's new session adds to it). */
  private RealtimeUsage usage = RealtimeUsage.NONE;
  private long bargeInSince;
  private long maxStopNanos = -1;
  /** This call's moments, written to call_event for the console as they happen. */
  final CallEventLog.Recorder events;

  AgentCall(Talk talk, CallSettings settings, AgentLeg leg, MediaLeg media, EventLoop loop, long connectedNanos,
      String apiKey) {
    this.talk = talk;
    this.settings = settings;
    this.leg = leg;
    this.media = media;
    this.loop = loop;
    this.connectedNanos = connectedNanos;
    this.apiKey = apiKey;
    this.input = new byte[(int) talk.openai.inputChunk().toMillis() * 8];
    this.lastActivityNanos = System.nanoTime();
    this.voicemail = new VoicemailDetection(this, settings);
    this.events = talk.events.forCall(settings.callId());
  }

  // ---------------------------------------------------------------- start and upstream

  void start() {
    long now = System.nanoTime();
    // the transport's package names it: audiosocket, mediaws
    events.connected(media.getClass().getPackageName().substring(media.getClass().getPackageName().lastIndexOf('.') + 1));
    voicemail.start(connectedNanos);
    if (ended) {
      return;
    }
    if (apiKey == null) {
      log.warn("no OpenAI API key for tenant {} (set openai.api-key or the tenant's key)", settings.tenantId());
      finish(settings.fallbackDecision(), fallbackNumber(), "no_api_key");
      return;
    }
    current = open(false);
    connectDeadline = loop.schedule(() -> inCall(() -> {
      if (!ready && !ended) {
        talk.metrics.upstreamError("connect");
        upstreamFailed("no Realtime session within " + talk.openai.connectTimeout().toMillis() + " ms");
      }
    }), talk.openai.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
    lastActivityNanos = now;
  }

  private Upstream open(boolean renewal) {
    Upstream up = new Upstream(renewal);
    up.client = RealtimeClient.connect(talk.realtime, loop, talk.openai.realtimeUrl(), settings.model(), apiKey,
        (int) talk.openai.connectTimeout().toMillis(), talk.json, settings.callId().toString(), up);
    return up;
  }

  private void onOpened(Upstream up) {
    if (ended || (up != current && up != next)) {
      up.close();
      return;
    }
    up.client.send(talk.messages.sessionUpdate(session(up.renewal)));
  }

  RealtimeMessages.Session session(boolean renewal) {
    String instructions = settings.instructions();
    if (renewal) {
      instructions += "\n\nThis phone call is already in progress (the connection was renewed); do not greet "
          + "again, continue where the conversation stopped. The conversation so far:\n" + transcript.tail(6000);
    }
    boolean autoRespond = !voicemail.holdsTurns();
    return new RealtimeMessages.Session(settings.model(), instructions, settings.voice(), settings.language(),
        talk.openai.transcriptionModel(), talk.openai.vadThreshold(),
        (int) talk.openai.vadPrefixPadding().toMillis(), (int) talk.openai.vadSilence().toMillis(), autoRespond);
  }

  private void onClosed(Upstream up, String why) {
    if (up == next) {
      next = null;
      log.warn("renewing the Realtime session failed: {}; the current one goes on", why);
      return;
    }
    if (up != current || up.closedByUs || ended) {
      return;
    }
    talk.metrics.upstreamError(ready ? "closed" : "connect");
    upstreamFailed("Realtime connection " + why);
  }

  private void upstreamFailed(String why) {
    if (ended) {
      return;
    }
    if (pending != null) {
      log.warn("{}; ending as already decided", why);
      finish(pending.decision, pending.transferTo, pending.reason);
      return;
    }
    Decision decision = settings.fallbackDecision();
    log.warn("{}; the caller goes to the tenant's fallback: {}", why, decision.dbValue());
    events.fallback("upstream_failure: " + why, decision);
    finish(decision, fallbackNumber(), "upstream_failure");
  }

  private String fallbackNumber() {
    return settings.fallbackDecision() == Decision.TRANSFER ? settings.transferNumber().orElse(null) : null;
  }

  /** Asks for a response: from now until the server starts it, the session owes us an answer. */
  void createResponse(String event) {
    if (owedSinceNanos == 0) {
      owedSinceNanos = System.nanoTime();
    }
    send(event);
  }

  void send(String event) {
    if (current != null && !current.client.send(event)) {
      log.debug("realtime: not connected, dropped {}", event.length() > 60 ? event.substring(0, 60) : event);
    }
  }

  // ---------------------------------------------------------------- server events

  private void onEvent(Upstream up, RealtimeEvent e) {
    if (ended) {
      return;
    }
    if (up == next) {
      if ("session.updated".equals(e.type())) {
        swapToRenewed();
      } else if ("error".equals(e.type())) {
        log.warn("renewal session error: {}", errorText(e));
        next = null;
        up.close();
      }
      return;
    }
    if (up != current) {
      return;
    }
    switch (e.type()) {
      case "session.updated" -> {
        if (!ready) {
          sessionReady();
        }
      }
      case "response.created" -> {
        activeResponse = e.json().path("response").path("id").asText(null);
        owedSinceNanos = 0;
      }
      case "response.output_audio.delta" -> onAudio(e);
      case "response.output_audio_transcript.done" -> turn("agent", e.text("transcript"));
      case "conversation.item.input_audio_transcription.completed" -> onCallerTranscript(e.text("transcript"));
      case "input_audio_buffer.speech_started" -> onSpeechStarted(e);
      case "input_audio_buffer.speech_stopped" -> {
        callerSpeaking = false;
        lastActivityNanos = System.nanoTime();
        // with create_response on, the server answers the caller's turn by itself: it owes that answer now
        if (!voicemail.holdsTurns() && owedSinceNanos == 0) {
          owedSinceNanos = lastActivityNanos;
        }
      }
      case "response.function_call_arguments.done" -> tools.onToolCall(e);
      case "response.done" -> onResponseDone(e);
      case "error" -> onError(e);
      default -> {
        // the rest (item bookkeeping, rate limits, deltas of text) changes nothing on a phone line
      }
    }
  }

  private void sessionReady() {
    ready = true;
    talk.metrics.sessionReady();
    if (connectDeadline != null) {
      connectDeadline.cancel(false);
    }
    long now = System.nanoTime();
    startSessionClock(now);
    lastActivityNanos = now;
    if (voicemail.sessionReady()) {
      return;
    }
    createResponse(talk.messages.responseCreate("Greet the caller now by saying exactly this, nothing else: \""
        + settings.greeting() + "\""));
  }

  private void startSessionClock(long now) {
    sessionStartNanos = now;
    long max = talk.openai.maxSession().toNanos();
    long before = talk.openai.renewBefore().toNanos();
    renewAtNanos = now + max - before;
    forceRenewAtNanos = now + max - before / 2;
  }

  private void onAudio(RealtimeEvent e) {
    String response = e.text("response_id");
    if (response != null && response.equals(droppedResponse)) {
      return;
    }
    byte[] audio = e.audio();
    if (audio == null || audio.length == 0) {
      return;
    }
    // off the heap: at 1,000 calls seconds of it are queued at any moment, and as byte arrays the collector
    // copied them at every young collection (a pause every call hears as a late frame)
    media.play(e.text("item_id"), media.channel().alloc().directBuffer(audio.length).writeBytes(audio));
  }

  private void onResponseDone(RealtimeEvent e) {
    JsonNode response = e.json().path("response");
    // every response is billed, cancelled ones too: the ledger sums what the server says each one used
    usage = usage.plus(RealtimeUsage.of(response.get("usage")));
    String id = response.path("id").asText(null);
    if (Objects.equals(id, activeResponse)) {
      activeResponse = null;
    }
    String status = response.path("status").asText("");
    if ("failed".equals(status)) {
      talk.metrics.upstreamError("response_failed");
      log.warn("realtime response failed: {}", RealtimeClient.redact(response.path("status_details").toString()));
    }
    if (pending != null) {
      pending.responseDone = true;
    }
    if (responseAfterDone && activeResponse == null) {
      responseAfterDone = false;
      createResponse(talk.messages.responseCreate(null));
    }
  }

  private void onError(RealtimeEvent e) {
    JsonNode err = e.json().path("error");
    String code = err.path("code").asText("");
    String type = err.path("type").asText("");
    if (BENIGN.contains(code)) {
      log.debug("realtime: {}", errorText(e));
      return;
    }
    talk.metrics.upstreamError("error");
    if (!ready || FATAL.contains(code) || "server_error".equals(type) || "authentication_error".equals(type)) {
      talk.metrics.upstreamError("fatal");
      upstreamFailed("fatal Realtime error: " + errorText(e));
    } else {
      log.warn("realtime error (the session goes on): {}", errorText(e));
    }
  }

  private static String errorText(RealtimeEvent e) {
    JsonNode err = e.json().path("error");
    return err.path("type").asText("?") + "/" + err.path("code").asText("?") + ": "
        + RealtimeClient.redact(err.path("message").asText(""));
  }

  private void onCallerTranscript(String transcript) {
    lastActivityNanos = System.nanoTime();
    turn("caller", transcript);
    voicemail.callerSaid(transcript);
  }

  // ---------------------------------------------------------------- barge-in

  private void onSpeechStarted(RealtimeEvent e) {
    callerSpeaking = true;
    lastActivityNanos = System.nanoTime();
    if (voicemail.holdsTurns()) {
      return;
    }
    if (pending != null && "silence_timeout".equals(pending.reason)) {
      pending = null;
    }
    stopAgent(e.receivedNanos(), true);
  }

  /**
   * Silences the agent now: the queued audio is dropped (the transport stops playing it), the running
   * response is cancelled, and the playing item is truncated to what the caller actually heard.
   */
  void stopAgent(long sinceNanos, boolean countAsBargeIn) {
    if (activeResponse != null) {
      // with interrupt_response the server usually cancels first; then this is answered with a harmless error
      send(talk.messages.responseCancel(activeResponse));
      droppedResponse = activeResponse;
    }
    if (!media.playing()) {
      return;
    }
    MediaLeg.Played played = media.flush();
    if (played != null && played.itemId() != null) {
      send(talk.messages.truncate(played.itemId(), played.millis()));
    }
    if (countAsBargeIn) {
      bargeIns++;
      bargeInSince = sinceNanos;
    }
  }

  // ---------------------------------------------------------------- what tools, keys and voicemail ask for

  void requestResponse() {
    if (activeResponse != null) {
      responseAfterDone = true;
    } else {
      createResponse(talk.messages.responseCreate(null));
    }
  }

  /** The call ends this way once the agent's last words are played (or at the ending's deadline). */
  void endAfterPlaying(Ending ending) {
    pending = ending;
  }

  Ending ending() {
    return pending;
  }

  void cancelEnding() {
    pending = null;
  }

  boolean ready() {
    return ready;
  }

  void dtmf(char digit) {
    lastActivityNanos = System.nanoTime();
    if (!ready || ended) {
      return;
    }
    keypad.pressed(digit);
  }

  ScheduledFuture<?> schedule(Runnable r, long millis) {
    return loop.schedule(() -> inCall(r), millis, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- audio in and out (event loop)

  /** The caller's audio, µ-law: relayed in chunks of {@code realtime.input-chunk}, and listened to for a beep. */
  void callerAudio(ByteBuf mulaw) {
    if (ended) {
      return;
    }
    voicemail.callerAudio(mulaw);
    if (ended) {
      return;
    }
    if (!ready) {
      return;
    }
    int index = mulaw.readerIndex();
    int left = mulaw.readableBytes();
    while (left > 0) {
      int n = Math.min(left, input.length - inputFill);
      mulaw.getBytes(index, input, inputFill, n);
      index += n;
      left -= n;
      inputFill += n;
      if (inputFill == input.length) {
        current.client.appendAudio(input, 0, input.length);
        inputFill = 0;
      }
    }
  }

  /** The transport handed agent audio to Asterisk: the caller hears the agent. */
  void audioSent(long now) {
    lastActivityNanos = now;
    if (firstAudioAt == null) {
      firstAudioAt = OffsetDateTime.now();
      talk.metrics.firstAudio(Duration.ofNanos(now - connectedNanos));
      events.greeting(TimeUnit.NANOSECONDS.toMillis(now - connectedNanos));
    }
  }

  /** The caller hears no more agent audio: a barge-in's stop time ends here. */
  void audioStopped(long now) {
    if (bargeInSince != 0) {
      long stop = Math.max(0, now - bargeInSince);
      maxStopNanos = Math.max(maxStopNanos, stop);
      talk.metrics.bargeInStop(Duration.ofNanos(stop));
      events.bargeIn(TimeUnit.NANOSECONDS.toMillis(stop));
      bargeInSince = 0;
    }
  }

  /** The timers that ride on the transport's clock: endings, silence timeout, voicemail window, renewal. */
  void afterTick(long now) {
    if (ended) {
      return;
    }
    if (ready && stalled(now)) {
      return;
    }
    boolean idle = activeResponse == null && !media.playing();
    if (pending != null) {
      if ((idle && (!pending.waitForResponse || pending.responseDone)) || now - pending.deadline >= 0) {
        finish(pending.decision, pending.transferTo, pending.reason);
      }
      return;
    }
    if (voicemail.tick(now, ready)) {
      return;
    }
    if (!ready) {
      return;
    }
    if (idle && !callerSpeaking && !voicemail.waitingForBeep()
        && now - lastActivityNanos >= TimeUnit.MILLISECONDS.toNanos(settings.silenceTimeoutMs())) {
      log.info("the caller said nothing for {} ms; saying goodbye", settings.silenceTimeoutMs());
      createResponse(talk.messages.responseCreate("The caller has not said anything for a while. Say exactly this, "
          + "nothing else: \"" + settings.goodbye() + "\""));
      pending = new Ending(Decision.HANGUP, null, "silence_timeout", true, now + TimeUnit.SECONDS.toNanos(15));
      return;
    }
    if (next == null && now - renewAtNanos >= 0 && ((idle && !callerSpeaking) || now - forceRenewAtNanos >= 0)) {
      log.info("the Realtime session nears its {} limit; moving the call to a new session", talk.openai.maxSession());
      renewAtNanos = now + TimeUnit.SECONDS.toNanos(Math.max(1, talk.openai.renewBefore().toSeconds() / 4));
      forceRenewAtNanos = Math.max(forceRenewAtNanos, renewAtNanos);
      next = open(true);
    }
  }

  /**
   * Liveness of the Realtime session. A TCP connection to a stopped or wedged server stays open and says nothing,
   * and without this the caller would hear silence until they gave up. While the session owes something (a
   * response asked for or in progress, the caller's turn ended), silence from the server longer than
   * {@code realtime.liveness-timeout} fails the session; while nothing is owed, a quiet server gets a WebSocket
   * ping after {@code realtime.ping-interval} and fails when even that goes unanswered for the timeout. Either way
   * the call takes the tenant's fallback at once.
   */
  private boolean stalled(long now) {
    if (current == null) {
      return false;
    }
    long heard = current.client.lastHeardNanos();
    long silent = now - heard;
    long timeout = talk.openai.livenessTimeout().toNanos();
    // a response we cancelled for a barge-in owes nothing, nor does a session listening to the caller
    boolean responding = activeResponse != null && !Objects.equals(activeResponse, droppedResponse);
    boolean owed = !callerSpeaking && (responding || owedSinceNanos != 0);
    if (pingSentNanos != 0 && heard - pingSentNanos >= 0) {
      pingSentNanos = 0;
    }
    String why = null;
    if (owed && silent >= timeout) {
      why = "the Realtime session sent nothing for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms while "
          + (responding ? "a response was in progress" : "an answer was owed");
    } else if (pingSentNanos != 0 && now - pingSentNanos >= timeout) {
      why = "the Realtime session did not answer a ping for " + TimeUnit.NANOSECONDS.toMillis(now - pingSentNanos) + " ms";
    } else if (!owed && pingSentNanos == 0 && silent >= talk.openai.pingInterval().toNanos()) {
      if (current.client.ping()) {
        pingSentNanos = now;
      }
    }
    if (why == null) {
      return false;
    }
    talk.metrics.upstreamError("stalled");
    if (pending != null && "silence_timeout".equals(pending.reason)) {
      // the caller may have been silent because the agent was: the goodbye never came, so the fallback decides
      pending = null;
    }
    upstreamFailed(why);
    return true;
  }

  private void swapToRenewed() {
    Upstream old = current;
    current = next;
    next = null;
    pingSentNanos = 0;
    inputFill = 0;
    old.close();
    startSessionClock(System.nanoTime());
    log.info("moved to a new Realtime session with the conversation so far");
  }

  // ---------------------------------------------------------------- ending

  private void turn(String role, String text) {
    transcript.add(role, text);
    events.turn(role, text);
  }

  /** The agent decided (or failed): store the decision, then the leg ends and the dialplan goes on. */
  void finish(Decision decision, String transferTo, String reason) {
    if (ended) {
      return;
    }
    ended = true;
    pending = null;
    media.flush();
    closeUpstreams();
    log.info("agent leg ends: decision {}{} ({})", decision.dbValue(), transferTo == null ? "" : " to " + transferTo, reason);
    talk.metrics.decision(decision.dbValue(), reason);
    if (reason.equals("no_api_key") || reason.equals("shutdown")) {
      events.fallback(reason, decision);
    }
    leg.endWith(outcome(decision, transferTo, reason));
  }

  /**
   * The socket closed without a decision: the caller hung up ({@code caller_hangup}), or the leg broke on this side
   * ({@code media_error}). Only the figures are stored.
   */
  void callerGone(String reason) {
    if (ended) {
      return;
    }
    ended = true;
    closeUpstreams();
    talk.metrics.decision("none", reason);
    leg.store(outcome(null, null, reason));
  }

  /** The service is stopping: the caller goes where the tenant's fallback says, not into silence. */
  void shutdown() {
    finish(settings.fallbackDecision(), fallbackNumber(), "shutdown");
  }

  private void closeUpstreams() {
    if (connectDeadline != null) {
      connectDeadline.cancel(false);
    }
    keypad.cancel();
    if (current != null) {
      current.close();
    }
    if (next != null) {
      next.close();
      next = null;
    }
  }

  private AgentOutcome outcome(Decision decision, String transferTo, String reason) {
    Integer maxStop = maxStopNanos < 0 ? null : (int) TimeUnit.NANOSECONDS.toMillis(maxStopNanos);
    return new AgentOutcome(decision, transferTo, reason, firstAudioAt, bargeIns, maxStop, voicemail.result(),
        transcript.json(talk.json), usage);
  }

  boolean ended() {
    return ended;
  }

  private void onLoop(Runnable r) {
    try {
      loop.execute(() -> inCall(r));
    } catch (RejectedExecutionException e) {
      // the event loop is shutting down with the service; the call is being ended by it
    }
  }

  /** Queued without waking the loop: the 20 ms pacing tick runs queued tasks before itself. */
  private void onLoopLazily(Runnable r) {
    try {
      if (loop instanceof AbstractEventExecutor lazy) {
        lazy.lazyExecute(() -> inCall(r));
      } else {
        loop.execute(() -> inCall(r));
      }
    } catch (RejectedExecutionException e) {
      // the event loop is shutting down with the service; the call is being ended by it
    }
  }

  private void inCall(Runnable r) {
    MDC.put("callId", settings.callId().toString());
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("agent call failed; falling back", e);
      if (!ended) {
        finish(settings.fallbackDecision(), fallbackNumber(), "upstream_failure");
      }
    } finally {
      MDC.remove("callId");
    }
  }

}
