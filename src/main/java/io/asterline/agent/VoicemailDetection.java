package io.asterline.agent;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a person or an answering machine took the call, decided within the tenant's window from three signs:
 * AMD()'s answer, a beep in the caller audio, a voicemail phrase in the caller's transcript. A machine gets the
 * tenant's message after its beep (or after 10 s without one), or a hangup.
 */
final class VoicemailDetection {

  private static final Logger log = LoggerFactory.getLogger(VoicemailDetection.class);
  private static final long BEEP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  private enum State { OFF, LISTENING, DECIDED_HUMAN, WAITING_FOR_BEEP, LEAVING_MESSAGE }

  private final AgentCall call;
  private final CallSettings settings;
  private State state = State.OFF;
  private BeepDetector beep;
  private boolean beepHeard;
  private long windowEnd;
  private long beepDeadline;
  private String result;

  VoicemailDetection(AgentCall call, CallSettings settings) {
    this.call = call;
    this.settings = settings;
  }

  /** Starts listening when the call asks for detection; a MACHINE from AMD() decides at once. */
  void start(long connectedNanos) {
    if (!settings.voicemailDetection()) {
      return;
    }
    state = State.LISTENING;
    windowEnd = connectedNanos + TimeUnit.MILLISECONDS.toNanos(settings.voicemailWindowMs());
    beep = new BeepDetector(200);
    if (settings.amdStatus().filter("MACHINE"::equals).isPresent()) {
      machine("AMD() said MACHINE");
    }
  }

  /** A machine's greeting or our message is playing: the caller's speech starts no turn and stops no agent. */
  boolean holdsTurns() {
    return state == State.WAITING_FOR_BEEP || state == State.LEAVING_MESSAGE;
  }

  boolean waitingForBeep() {
    return state == State.WAITING_FOR_BEEP;
  }

  /** human, machine, unknown (still listening), or null (detection off). */
  String result() {
    return result == null && state == State.LISTENING ? "unknown" : result;
  }

  /** Caller audio, µ-law: listened to for a beep while one matters. */
  void callerAudio(ByteBuf mulaw) {
    if (beep != null && beep.feedMulaw(mulaw)) {
      onBeep();
    }
  }

  void callerSaid(String transcript) {
    if (state == State.LISTENING) {
      String phrase = VoicemailPhrases.find(transcript);
      if (phrase != null) {
        machine("the caller side said \"" + phrase + "\"");
      }
    }
  }

  /** The session is ready: a message waiting for a beep already heard goes now. True when it took the turn. */
  boolean sessionReady() {
    if (state != State.WAITING_FOR_BEEP) {
      return false;
    }
    if (beepHeard) {
      leaveMessage();
    }
    return true;
  }

  /** The window's and the beep's deadlines. True when it took the turn (the message started). */
  boolean tick(long now, boolean ready) {
    if (state == State.LISTENING && now - windowEnd >= 0) {
      state = State.DECIDED_HUMAN;
      result = "human";
      beep = null;
    } else if (state == State.WAITING_FOR_BEEP && ready && now - beepDeadline >= 0) {
      log.info("no beep heard; leaving the message anyway");
      leaveMessage();
      return true;
    }
    return false;
  }

  private void machine(String why) {
    if (state != State.LISTENING) {
      return;
    }
    result = "machine";
    boolean leave = "leave_message".equals(settings.voicemailAction()) && settings.voicemailMessage().isPresent();
    log.info("answering machine: {}; {}", why, leave ? "leaving the message after the beep" : "hanging up");
    if (!leave) {
      if ("leave_message".equals(settings.voicemailAction())) {
        log.warn("voicemail action is leave_message but no message is set for the call or tenant; hanging up");
      }
      call.finish("hangup", null, "voicemail");
      return;
    }
    state = State.WAITING_FOR_BEEP;
    beepDeadline = System.nanoTime() + BEEP_WAIT_NANOS;
    call.cancelEnding();
    call.stopAgent(System.nanoTime(), false);
    if (call.ready()) {
      // the machine's greeting must not make the model answer or cut off the message
      call.send(call.talk.messages.turnDetectionUpdate(call.session(false)));
      if (beepHeard) {
        leaveMessage();
      }
    }
  }

  private void onBeep() {
    beepHeard = true;
    if (state == State.LISTENING) {
      machine("a beep in the caller audio");
    } else if (state == State.WAITING_FOR_BEEP && call.ready()) {
      leaveMessage();
    }
  }

  private void leaveMessage() {
    state = State.LEAVING_MESSAGE;
    beep = null;
    call.createResponse(call.talk.messages.responseCreate("You reached an answering machine. Leave this message now, "
        + "word for word, then stop: \"" + settings.voicemailMessage().orElse("") + "\""));
    call.endAfterPlaying(new Ending("hangup", null, "voicemail", true, System.nanoTime() + TimeUnit.SECONDS.toNanos(90)));
  }
}
