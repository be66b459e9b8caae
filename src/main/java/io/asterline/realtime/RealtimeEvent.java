package io.asterline.realtime;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One server event as received, stamped with the steady clock on arrival (barge-in latency is measured
 * from it). Audio deltas are decoded from base64 on the WebSocket's reader thread, so the call's event loop
 * only copies bytes.
 */
public final class RealtimeEvent {

  private final String type;
  private final JsonNode json;
  private final byte[] audio;
  private final long receivedNanos;

  RealtimeEvent(String type, JsonNode json, byte[] audio, long receivedNanos) {
    this.type = type;
    this.json = json;
    this.audio = audio;
    this.receivedNanos = receivedNanos;
  }

  public String type() {
    return type;
  }

  public JsonNode json() {
    return json;
  }

  /** The decoded mu-law bytes of a {@code response.output_audio.delta}, else null. */
  public byte[] audio() {
    return audio;
  }

  public long receivedNanos() {
    return receivedNanos;
  }

  /** A top-level text field, or null. */
  public String text(String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  @Override
  public String toString() {
    return type;
  }
}
