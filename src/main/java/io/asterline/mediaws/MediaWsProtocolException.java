package io.asterline.mediaws;

import io.netty.handler.codec.DecoderException;

/** Asterisk's WebSocket channel sent something its protocol does not allow: the connection is closed. */
public final class MediaWsProtocolException extends DecoderException {

  public MediaWsProtocolException(String message) {
    super(message);
  }
}
