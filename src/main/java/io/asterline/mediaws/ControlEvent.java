package io.asterline.mediaws;

import java.util.Map;

/**
 * A control message Asterisk's WebSocket channel sends as a text frame (chan_websocket.c, Asterisk 22.5+): in
 * plain text ({@code MEDIA_XOFF}, {@code MEDIA_MARK_PROCESSED m12}, {@code DTMF_END digit:5 channel_id:...}) or,
 * dialled with {@code f(json)}, as JSON with an {@code event} field. Binary frames carry media and are not these.
 */
public sealed interface ControlEvent {

  /**
   * First message on every connection. {@code variables} are the WebSocket channel's variables (JSON format only;
   * the ones it inherited from the caller's channel, e.g. ASTERLINE_CALL_ID), empty in plain text.
   */
  record MediaStart(String connectionId, String channel, String channelId, String format, int optimalFrameSize,
      int ptime, Map<String, String> variables) implements ControlEvent {}

  /** Asterisk played every frame queued before the MARK_MEDIA with this correlation id. */
  record MarkProcessed(String correlationId) implements ControlEvent {}

  /** The partial frame left by STOP_MEDIA_BUFFERING was queued. */
  record BufferingCompleted(String correlationId) implements ControlEvent {}

  /** Asterisk's queue reached 900 frames: stop sending media until {@link Xon}. */
  record Xoff() implements ControlEvent {}

  /** Asterisk's queue fell below 800 frames: media may flow again. */
  record Xon() implements ControlEvent {}

  /** The queue ran empty after REPORT_QUEUE_DRAINED. */
  record QueueDrained() implements ControlEvent {}

  /** The caller pressed a key. */
  record DtmfEnd(char digit) implements ControlEvent {}

  /** The answer to GET_STATUS. */
  record Status(int queueLength, boolean queueFull, boolean bulkMedia, boolean paused) implements ControlEvent {}

  /** Asterisk refused a command (wrong mode, bad JSON). */
  record Error(String text) implements ControlEvent {}
}
