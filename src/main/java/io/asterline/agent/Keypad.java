package io.asterline.agent;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The caller's keys: a caller typing a number presses several, so they reach the model as one message once the
 * caller pauses, and they silence the agent as speech would.
 */
final class Keypad {

  private static final long DTMF_GAP_MILLIS = 700;

  private final AgentCall call;
  private final StringBuilder digits = new StringBuilder();
  private ScheduledFuture<?> flush;

  Keypad(AgentCall call) {
    this.call = call;
  }

  void pressed(char digit) {
    digits.append(digit);
    if (flush != null) {
      flush.cancel(false);
    }
    flush = call.schedule(this::flush, DTMF_GAP_MILLIS);
  }

  private void flush() {
    if (call.ended() || digits.length() == 0) {
      return;
    }
    String keys = String.join(" ", digits.toString().split(""));
    digits.setLength(0);
    call.transcript.add("caller", "[keypad: " + keys + "]");
    if (call.voicemail.holdsTurns() || call.ending() != null) {
      return;
    }
    call.stopAgent(System.nanoTime(), false);
    call.send(call.talk.messages.userText("The caller pressed these keys on the phone keypad: " + keys));
    call.requestResponse();
  }

  void cancel() {
    if (flush != null) {
      flush.cancel(false);
    }
  }
}
