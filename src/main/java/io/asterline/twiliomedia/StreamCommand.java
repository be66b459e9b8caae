package io.asterline.twiliomedia;

import io.netty.buffer.ByteBuf;

/**
 * A message sent to Twilio on a bidirectional Media Stream: {@code media} (µ-law for the caller, which Twilio
 * buffers and plays in order), {@code mark} (echoed when what was sent before it has played) and {@code clear}
 * (drops what Twilio buffered; its marks come back at once).
 */
public sealed interface StreamCommand {

  String streamSid();

  /** Audio for the caller; the encoder releases {@code mulaw}. */
  record Media(String streamSid, ByteBuf mulaw) implements StreamCommand {}

  record Mark(String streamSid, String name) implements StreamCommand {}

  record Clear(String streamSid) implements StreamCommand {}
}
