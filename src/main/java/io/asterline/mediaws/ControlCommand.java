package io.asterline.mediaws;

/**
 * A command to Asterisk's WebSocket channel, sent as a text frame in the format the channel speaks (plain text
 * {@code MARK_MEDIA m12}, or {@code {"command":"MARK_MEDIA","correlation_id":"m12"}} under {@code f(json)}).
 * Asterisk ignores a text message over 128 bytes, so correlation ids stay short.
 */
public record ControlCommand(Kind kind, String correlationId) {

  public enum Kind {
    ANSWER, HANGUP, START_MEDIA_BUFFERING, STOP_MEDIA_BUFFERING, MARK_MEDIA, FLUSH_MEDIA, REPORT_QUEUE_DRAINED,
    GET_STATUS
  }

  /** Longest correlation id: the JSON form of a command must stay well inside Asterisk's 128 bytes. */
  static final int MAX_CORRELATION_ID = 64;

  public ControlCommand {
    if (correlationId != null && (correlationId.length() > MAX_CORRELATION_ID
        || !correlationId.chars().allMatch(c -> c > ' ' && c < 127 && c != '"' && c != '\\'))) {
      throw new IllegalArgumentException("correlation id must be 1-" + MAX_CORRELATION_ID
          + " printable ASCII characters without spaces or quotes: " + correlationId);
    }
  }

  public static ControlCommand of(Kind kind) {
    return new ControlCommand(kind, null);
  }

  public static ControlCommand mark(String correlationId) {
    return new ControlCommand(Kind.MARK_MEDIA, correlationId);
  }
}
