package io.asterline.twiliomedia;

import java.util.List;
import java.util.Map;

/**
 * A message Twilio sends on a Media Stream (a JSON text frame): {@code connected} first, then {@code start}, then
 * the caller's {@code media} every 20 ms, {@code dtmf} when a key is pressed, {@code mark} when audio sent before a
 * mark of ours has played (or was cleared), and {@code stop} last.
 */
public sealed interface StreamEvent {

  /** {@code connected}: the protocol the stream speaks. */
  record Connected(String protocol, String version) implements StreamEvent {}

  /** {@code start}: which stream and call this is, the custom parameters TwiML gave it, and the audio's format. */
  record Start(String streamSid, String accountSid, String callSid, List<String> tracks,
      Map<String, String> customParameters, String encoding, int sampleRate, int channels) implements StreamEvent {

    /** Keeps the custom parameters' values out of logs: their names are enough. */
    @Override
    public String toString() {
      return "Start[streamSid=" + streamSid + ", callSid=" + callSid + ", tracks=" + tracks + ", customParameters="
          + customParameters.keySet() + ", format=" + encoding + "/" + sampleRate + "/" + channels + "]";
    }
  }

  /** {@code media}: 20 ms of µ-law of {@code track}, its chunk number (from 1) and its ms since the stream began. */
  record Media(String track, long chunk, long timestamp, byte[] payload) implements StreamEvent {}

  /** {@code dtmf}: a key the caller pressed. */
  record Dtmf(String track, char digit) implements StreamEvent {}

  /** {@code mark}: the audio sent before our mark {@code name} has played, or a clear dropped it. */
  record Mark(String name) implements StreamEvent {}

  /** {@code stop}: the stream is over (the call ended, or its TwiML moved on). */
  record Stop(String accountSid, String callSid) implements StreamEvent {}
}
