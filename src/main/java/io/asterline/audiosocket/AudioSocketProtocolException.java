package io.asterline.audiosocket;

import io.netty.handler.codec.DecoderException;

/** Bytes that are not AudioSocket: an unknown kind, a malformed UUID or DTMF frame, frames out of order. */
public final class AudioSocketProtocolException extends DecoderException {

  private static final long serialVersionUID = 1L;

  public AudioSocketProtocolException(String message) {
    super(message);
  }
}
